"""Live encoding end to end (software path: libx264, since CI has no GPU): one RTMP contribution in, the
service's ladder out as HLS and DASH, every rung decoded, keyframes aligned; input rules; worker faults."""
import json
import os
import re
import signal
import subprocess
import time
import xml.etree.ElementTree as ET

import pytest

from conftest import (BIN, Daemon, arm, count_frames_file, download_track, ffprobe_json, hls_media_playlists, http_get, http_status,
                      parse_media_playlist, resolve)

ALLOW_ALL = {"ip": {"allow": [{"name": "all", "address": "0.0.0.0", "subnetPrefixLength": 0}]}}
MPD = "{urn:mpeg:dash:schema:mpd:2011}"
DEFAULT_720P = [(1280, 720, 3500000), (960, 540, 2200000), (704, 396, 1350000), (512, 288, 850000),
                (384, 216, 550000), (340, 192, 200000)]
KEYFRAME_INTERVAL = 2.0


def contribution(tmp_path_factory, size, fps, seconds, pix_fmt="yuv420p", profile="high"):
    """A pre-encoded contribution (H.264 High, 2 s GOP, AAC-LC 48 kHz stereo), made once and pushed with -c copy so
    the machine's cores go to the ladder, as with a real encoder on another box."""
    path = tmp_path_factory.getbasetemp() / f"contribution-{size}-{fps}-{seconds}-{pix_fmt}.flv"
    if not path.exists():
        r = subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin",
                            "-f", "lavfi", "-i", f"testsrc2=size={size}:rate={fps}",
                            "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000", "-t", str(seconds),
                            "-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", "veryfast", "-profile:v", profile,
                            "-pix_fmt", pix_fmt, "-g", str(2 * fps), "-keyint_min", str(2 * fps), "-sc_threshold", "0",
                            "-b:v", "4M", "-c:a", "aac", "-b:a", "128k", "-ac", "2", "-f", "flv", str(path)],
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
    return str(path)


def push(path, url):
    return subprocess.Popen(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re", "-i", path,
                             "-c", "copy", "-f", "flv", url], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def create_encoding_event(daemon, name, preset="Default720p", encoding_type="Standard", extra=None):
    encoding = {"encodingType": encoding_type, "presetName": preset, **(extra or {})}
    body = {"location": "local", "properties": {"input": {"streamingProtocol": "RTMP", "accessControl": ALLOW_ALL},
                                                "preview": {"accessControl": ALLOW_ALL}, "encoding": encoding}}
    code, _, created = arm(daemon, "PUT", f"/liveEvents/{name}?autoStart=true", body)
    assert code in (200, 201), created
    code, _, event = arm(daemon, "GET", f"/liveEvents/{name}")
    assert code == 200 and event["properties"]["resourceState"] == "Running", event
    ingest = event["properties"]["input"]["endpoints"][0]["url"] + "/contribution"
    preview = event["properties"]["preview"]["endpoints"][0]["url"]
    return ingest, preview + "(format=m3u8-cmaf)", preview + "(format=mpd-time-cmaf)"


def worker_pids(daemon):
    out = subprocess.run(["pgrep", "-P", str(daemon.proc.pid), "-f", "worker encode"], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def wait_for(predicate, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def variants(master_url):
    """[(width, height, bandwidth, media playlist url)] of the video variants, as the multivariant playlist lists them."""
    text = http_get(master_url)[2].decode()
    lines = text.splitlines()
    out = []
    for i, line in enumerate(lines):
        if line.startswith("#EXT-X-STREAM-INF:") and "RESOLUTION=" in line:
            w, h = map(int, re.search(r"RESOLUTION=(\d+)x(\d+)", line).groups())
            bw = int(re.search(r"AVERAGE-BANDWIDTH=(\d+)", line).group(1))
            out.append((w, h, bw, lines[i + 1].strip()))
    return out, text


def keyframe_times(path):
    info = ffprobe_json(["-select_streams", "v", "-show_entries", "packet=pts_time,flags", path])
    return [round(float(p["pts_time"]), 3) for p in info["packets"] if "K" in p.get("flags", "")]


def video_stream(path):
    info = ffprobe_json(["-count_frames", "-select_streams", "v", "-show_entries",
                         "stream=codec_name,profile,width,height,nb_read_frames,avg_frame_rate", path])
    return info["streams"][0]


def test_default720p_ladder_from_one_contribution(daemon, tmp_path, tmp_path_factory):
    source = contribution(tmp_path_factory, "1280x720", 30, 14)
    ingest, hls, dash = create_encoding_event(daemon, "ladder")
    proc = push(source, ingest)
    assert proc.wait(timeout=120) == 0, proc.stderr.read()
    time.sleep(4)  # the worker's encoder delay, then the last fragments close

    ladder, master = variants(hls)
    audio_bitrates = [int(b) for b in re.findall(r'#EXT-X-MEDIA:TYPE=AUDIO.*URI="QualityLevels\((\d+)\)/Manifest\(audio', master)]
    assert audio_bitrates == [128000], master
    assert [(w, h) for w, h, _, _ in ladder] == [(w, h) for w, h, _ in DEFAULT_720P], master
    assert [bw - 128000 for _, _, bw, _ in ladder] == [b for _, _, b in DEFAULT_720P], master

    # DASH lists the same six rungs with their sizes and bitrates.
    root = ET.fromstring(http_get(dash)[2])
    reps = [(int(r.get("width")), int(r.get("height")), int(r.get("bandwidth")))
            for a in root.iter(f"{MPD}AdaptationSet") if a.get("contentType") == "video"
            for r in a.findall(f"{MPD}Representation")]
    assert sorted(reps, reverse=True) == sorted(DEFAULT_720P, reverse=True), reps

    # Every rung decodes completely; keyframes sit at identical presentation times on all rungs.
    keyframes = {}
    frames = {}
    for w, h, _, uri in ladder:
        init, segs, text = parse_media_playlist(resolve(hls, uri))
        assert init and len(segs) >= 4, text
        path = download_track(init, [s for s, _, _ in segs], str(tmp_path / f"rung-{h}.mp4"))
        stream = video_stream(path)
        assert (stream["width"], stream["height"]) == (w, h)
        assert stream["codec_name"] == "h264" and stream["profile"] == "High", stream
        frames[h] = int(stream["nb_read_frames"])
        count, _ = count_frames_file(path)
        assert count == frames[h]
        keyframes[h] = keyframe_times(path)
    assert len(set(frames.values())) == 1, f"rungs decode different frame counts: {frames}"
    assert frames[720] >= 30 * 8, frames   # most of the 14 s pushed is in the window
    reference = keyframes[720]
    assert len(reference) >= 4
    for h, times in keyframes.items():
        assert times == reference, f"rung {h} keyframes {times} differ from 720p {reference}"
    gaps = [round(b - a, 3) for a, b in zip(reference, reference[1:])]
    # Keyframes sit on the absolute keyFrameInterval grid (the same after a worker restart); only the GOP the
    # session starts with may be shorter.
    assert 0 < gaps[0] <= KEYFRAME_INTERVAL + 0.05 and all(abs(g - KEYFRAME_INTERVAL) < 0.05 for g in gaps[1:]), gaps

    # Audio: AAC-LC stereo at 128 kbit/s, decoded whole.
    audio_url = [u for u, k in hls_media_playlists(hls) if k == "audio"][0]
    init, segs, _ = parse_media_playlist(audio_url)
    apath = download_track(init, [s for s, _, _ in segs], str(tmp_path / "audio.mp4"))
    a = ffprobe_json(["-show_entries", "stream=codec_name,profile,channels,sample_rate", apath])["streams"][0]
    assert (a["codec_name"], a["profile"], a["channels"]) == ("aac", "LC", 2), a
    acount, apts = count_frames_file(apath)
    assert acount >= 8 * 48000 // 1024

    # Status says what encodes and why.
    code, _, status = arm(daemon, "POST", "/liveEvents/ladder/getStatus")
    assert code == 200, status
    reasons = " ".join(status["value"][0].get("healthDescriptions") or [])
    assert "libx264" in reasons and "fell back to software" in reasons, status
    # The daemon's own alignment check agrees: the rungs' GOPs start together.
    code, _, events = arm(daemon, "POST", "/liveEvents/ladder/getStreamEvents")
    assert code == 200 and not [e for e in events["value"] if e["eventType"] == "StreamEvent/UnalignedKeyFrames"], events


def test_1080p60_input_gives_30fps_rungs_and_360p_input_drops_higher_rungs(daemon, tmp_path, tmp_path_factory):
    hd60 = contribution(tmp_path_factory, "1920x1080", 60, 8)
    ingest, hls, _ = create_encoding_event(daemon, "sixty")
    proc = push(hd60, ingest)
    assert proc.wait(timeout=120) == 0, proc.stderr.read()
    time.sleep(4)
    ladder, master = variants(hls)
    assert [(w, h) for w, h, _, _ in ladder] == [(w, h) for w, h, _ in DEFAULT_720P], master
    assert all("FRAME-RATE=30.000" in line for line in master.splitlines() if line.startswith("#EXT-X-STREAM-INF") and "RESOLUTION" in line), master
    w, h, _, uri = ladder[-1]
    init, segs, _ = parse_media_playlist(resolve(hls, uri))
    path = download_track(init, [s for s, _, _ in segs], str(tmp_path / "sixty.mp4"))
    _, pts = count_frames_file(path)
    steps = sorted(round(b - a, 4) for a, b in zip(sorted(pts), sorted(pts)[1:]))
    assert abs(steps[len(steps) // 2] - 1 / 30) < 0.002, steps[:5]

    small = contribution(tmp_path_factory, "640x360", 30, 8)
    ingest, hls, _ = create_encoding_event(daemon, "small")
    proc = push(small, ingest)
    assert proc.wait(timeout=120) == 0, proc.stderr.read()
    time.sleep(4)
    ladder, master = variants(hls)
    assert [(w, h) for w, h, _, _ in ladder] == [(512, 288), (384, 216), (340, 192)], master


def test_worker_killed_or_hung_is_replaced_and_playback_continues(daemon, tmp_path, tmp_path_factory):
    source = contribution(tmp_path_factory, "1280x720", 30, 30)
    ingest, hls, _ = create_encoding_event(daemon, "faults")
    first = wait_for(lambda: worker_pids(daemon), 10, "the encode worker")[0]
    proc = push(source, ingest)
    try:
        wait_for(lambda: variants(hls)[0] if http_status(hls)[0] == 200 else None, 20, "the ladder")
        time.sleep(3)
        os.kill(first, signal.SIGKILL)
        second = wait_for(lambda: [p for p in worker_pids(daemon) if p != first], 10, "a restarted worker")[0]
        time.sleep(8)
        # A worker that stops answering (a hung GPU, here SIGSTOP) is killed and replaced within seconds.
        os.kill(second, signal.SIGSTOP)
        third = wait_for(lambda: [p for p in worker_pids(daemon) if p not in (first, second)], 15, "a replaced hung worker")[0]
        assert third
    finally:
        assert proc.wait(timeout=120) == 0, proc.stderr.read()
    time.sleep(4)
    assert daemon.alive()
    log = daemon.read_log()
    assert "killed by signal 9" in log and "stopped answering" in log, log[-3000:]

    ladder, _ = variants(hls)
    for _, h, _, uri in ladder[:1] + ladder[-1:]:
        init, segs, text = parse_media_playlist(resolve(hls, uri))
        assert sum(1 for _, _, d in segs if d) >= 2, text   # one discontinuity per replaced worker
        path = download_track(init, [s for s, _, _ in segs], str(tmp_path / f"after-{h}.mp4"))
        count, pts = count_frames_file(path)
        assert count >= 30 * 12, count   # playback continued after both faults
        assert pts[-1] - pts[0] > 20

    code, _, events = arm(daemon, "POST", "/liveEvents/faults/getStreamEvents")
    assert code == 200
    messages = [e["data"].get("resultMessage", "") for e in events["value"] if e["data"].get("resultCode") == "EDGELIVE_ENCODER_WORKER_FAILED"]
    assert len(messages) >= 2, events

    # The default pass-through event was unaffected throughout.
    assert http_status(daemon.urls["hls"])[0] in (200, 404)


def test_second_contribution_to_an_encoding_event_is_refused(daemon, tmp_path_factory):
    source = contribution(tmp_path_factory, "640x360", 30, 8)
    ingest, _, _ = create_encoding_event(daemon, "single", preset="720p-3-Layer")
    first = push(source, ingest)
    time.sleep(2)
    second = push(source, ingest.rsplit("/", 1)[0] + "/another")
    assert second.wait(timeout=60) != 0
    assert first.wait(timeout=60) == 0, first.stderr.read()
    assert "MPE_INGEST_MEDIA_QUALITIES_EXCEEDED" in daemon.read_log()


def stream_events(daemon, name):
    code, _, events = arm(daemon, "POST", f"/liveEvents/{name}/getStreamEvents")
    assert code == 200, events
    return events["value"]


def check_single_rung(hls, tmp_path, tag, min_seconds):
    """The 720p-3-Layer ladder of a 640x360 contribution: its one 360p rung at 400 kbit/s, every frame decoding, GOPs on
    the 2 s grid, and AAC-LC stereo audio."""
    ladder, master = variants(hls)
    assert [(w, h, bw - 128000) for w, h, bw, _ in ladder] == [(640, 360, 400000)], master
    init, segs, text = parse_media_playlist(resolve(hls, ladder[0][3]))
    assert "#EXT-X-DISCONTINUITY\n" not in text, text
    path = download_track(init, [u for u, _, _ in segs], str(tmp_path / f"{tag}-360p.mp4"))
    stream = video_stream(path)
    assert (stream["codec_name"], stream["width"], stream["height"]) == ("h264", 640, 360), stream
    count, pts = count_frames_file(path)
    assert count == int(stream["nb_read_frames"]) and count >= 30 * min_seconds, (count, stream)
    pts = sorted(pts)
    gaps = [round(b - a, 3) for a, b in zip(pts, pts[1:])]
    assert all(abs(g - 1 / 30) < 0.002 for g in gaps), f"{tag}: frames missing or repeated: {sorted(set(gaps))}"
    keys = keyframe_times(path)
    assert len(keys) >= 3 and all(abs(b - a - KEYFRAME_INTERVAL) < 0.05 for a, b in zip(keys[1:], keys[2:])), keys
    audio_url = [u for u, k in hls_media_playlists(hls) if k == "audio"][0]
    init, segs, _ = parse_media_playlist(audio_url)
    apath = download_track(init, [u for u, _, _ in segs], str(tmp_path / f"{tag}-audio.mp4"))
    a = ffprobe_json(["-show_entries", "stream=codec_name,profile,channels", apath])["streams"][0]
    assert (a["codec_name"], a["profile"], a["channels"]) == ("aac", "LC", 2), a
    acount, _ = count_frames_file(apath)
    assert acount >= min_seconds * 48000 // 1024, acount


def test_contributions_an_encoding_event_cannot_take_are_refused_and_the_next_is_encoded(daemon, tmp_path, tmp_path_factory):
    """Spec §2.7: encoding events take 8-bit 4:2:0 H.264 up to 1920x1088. A contribution outside that ends its own
    session at its sequence header with the service's code (a stream event and a log line say why); the event then
    encodes the next, valid contribution as if nothing had happened."""
    ingest, hls, _ = create_encoding_event(daemon, "rules", preset="720p-3-Layer")
    refused = [("MPE_INGEST_VIDEO_RESOLUTION_NOT_SUPPORTED", "2560x1440", contribution(tmp_path_factory, "2560x1440", 30, 4)),
               ("MPE_INGEST_CODEC_NOT_SUPPORTED", "10-bit", contribution(tmp_path_factory, "1280x720", 30, 4, "yuv420p10le", "high10"))]
    for code, words, source in refused:
        proc = push(source, ingest)
        assert proc.wait(timeout=60) != 0, f"{code}: the push was not ended"
        ends = wait_for(lambda: [e for e in stream_events(daemon, "rules")
                                 if e["eventType"] == "StreamEvent/EndIngest" and e["data"].get("resultCode") == code], 10, code)
        assert words in ends[0]["data"]["resultMessage"], ends
        assert code in daemon.read_log()
    assert http_status(hls)[0] == 404  # nothing was encoded from them
    proc = push(contribution(tmp_path_factory, "640x360", 30, 10), ingest)
    assert proc.wait(timeout=60) == 0, proc.stderr.read()
    time.sleep(4)
    check_single_rung(hls, tmp_path, "after-refusals", 8)
    assert daemon.alive()


@pytest.mark.parametrize("protocol", ["smooth", "cmaf"])
def test_fragmented_mp4_contribution_is_encoded(daemon, tmp_path, protocol):
    """An encoding event fed over HTTP: Smooth ingest (ffmpeg's ismv muxer, video and audio in one POST) or DASH-IF
    CMAF ingest (ffmpeg's dash muxer, one stream per track); the ladder is the same as from RTMP."""
    from test_cmaf_ingest import dash_push_cmd
    from test_smooth_ingest import ismv_push_cmd
    name = f"fmp4{protocol}"
    body = {"location": "local", "properties": {"input": {"streamingProtocol": "FragmentedMP4", "accessControl": ALLOW_ALL},
                                                "preview": {"accessControl": ALLOW_ALL},
                                                "encoding": {"encodingType": "Standard", "presetName": "720p-3-Layer"}}}
    code, _, ev = arm(daemon, "PUT", f"/liveEvents/{name}?autoStart=true", body)
    assert code in (200, 201), ev
    ingest = ev["properties"]["input"]["endpoints"][0]["url"]
    hls = ev["properties"]["preview"]["endpoints"][0]["url"] + "(format=m3u8-cmaf)"
    if protocol == "smooth":
        cmd = ismv_push_cmd(ingest + "/Streams(contribution)", 10)
    else:
        cmd = dash_push_cmd(ingest + "/contribution.mpd", 10, size="640x360", bitrate="1M")
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
    assert r.returncode == 0, r.stderr
    time.sleep(4)
    check_single_rung(hls, tmp_path, protocol, 8)
    ends = [e for e in stream_events(daemon, name) if e["eventType"] == "StreamEvent/EndIngest"]
    assert ends and all(e["data"].get("resultCode") == "MPE_CLIENT_TERMINATED_SESSION" for e in ends), ends


def test_a_contribution_of_another_size_keeps_the_ladder(daemon, tmp_path, tmp_path_factory):
    """The first contribution plans the ladder and the event keeps it (as the service kept its ingest configuration
    until a Reset): a later, smaller contribution is scaled to the same rungs, so every variant goes on at its size
    after a discontinuity instead of changing size under the player or ending."""
    ingest, hls, _ = create_encoding_event(daemon, "pinned", preset="720p-3-Layer")
    for size in ("960x540", "640x360"):
        proc = push(contribution(tmp_path_factory, size, 30, 8), ingest)
        assert proc.wait(timeout=60) == 0, proc.stderr.read()
    time.sleep(4)
    ladder, master = variants(hls)
    assert [(w, h, bw - 128000) for w, h, bw, _ in ladder] == [(960, 540, 1000000), (640, 360, 400000)], master
    for w, h, _, uri in ladder:
        init, segs, text = parse_media_playlist(resolve(hls, uri))
        assert text.count("#EXT-X-DISCONTINUITY\n") == 1, text
        first = [i for i, (_, _, d) in enumerate(segs) if d][0]
        for part, chosen in (("before", segs[:first]), ("after", segs[first:])):
            path = download_track(init, [u for u, _, _ in chosen], str(tmp_path / f"{h}-{part}.mp4"))
            stream = video_stream(path)
            assert (stream["width"], stream["height"]) == (w, h), (part, stream)
            assert int(stream["nb_read_frames"]) >= 30 * 6, (part, stream)
    assert "the event keeps the ladder it first planned: 960x540 is above this 640x360 input and upscaled" in daemon.read_log()


def test_preset_rules_at_create(daemon):
    body = lambda enc: {"location": "local", "properties": {"input": {"streamingProtocol": "RTMP"}, "encoding": enc}}
    code, _, err = arm(daemon, "PUT", "/liveEvents/cross", body({"encodingType": "Standard", "presetName": "Default1080p"}))
    assert code == 400 and "Premium1080p" in err["error"]["message"], err
    code, _, err = arm(daemon, "PUT", "/liveEvents/unknown", body({"encodingType": "Premium1080p", "presetName": "Nope"}))
    assert code == 400 and "Default1080p" in err["error"]["message"], err
    # Premium1080p defaults to Default1080p; whether this box takes it is its hardware profile's word (a 2-core
    # software box sustains Default720p only, and says so rather than falling behind real time).
    code, _, ev = arm(daemon, "PUT", "/liveEvents/premium", body({"encodingType": "Premium1080p"}))
    hw = json.loads(subprocess.run([BIN, "hw", "probe", "--json", "--profiles", "hwprofiles"], capture_output=True, text=True).stdout)
    chosen = hw["selection"]
    ladders = chosen["softwareTier"]["ladders"] if chosen.get("softwareTier") else chosen["profile"].get("ladders", {})
    if "Default1080p" in ladders:
        assert code in (200, 201) and ev["properties"]["encoding"]["presetName"] == "Default1080p", ev
    else:
        assert code == 400 and ev["error"]["code"] == "NotSupported", ev
        assert "Default1080p" in ev["error"]["message"] and "hw probe" in ev["error"]["message"], ev


def test_policy_never_without_a_gpu_refuses_encoding_events(tmp_path):
    if any(name.startswith("renderD") for name in (os.listdir("/dev/dri") if os.path.isdir("/dev/dri") else [])):
        pytest.skip("this machine has a DRM render node; the no-GPU refusal is tested on machines without one")
    d = Daemon(str(tmp_path / "data"), extra_args=["--encode-policy", "never"]).start()
    try:
        body = {"location": "local", "properties": {"input": {"streamingProtocol": "RTMP"}, "encoding": {"encodingType": "Standard"}}}
        code, _, err = arm(d, "PUT", "/liveEvents/gpuonly", body)
        assert code == 400 and err["error"]["code"] == "NotSupported", err
        assert "no usable GPU" in err["error"]["message"], err
        assert "encoding live events will be refused" in d.read_log()
        # Pass-through keeps working.
        code, _, _ = arm(d, "PUT", "/liveEvents/plain", {"location": "local", "properties": {"input": {"streamingProtocol": "RTMP"}}})
        assert code in (200, 201)
        # One event may ask for the other policy (the tag edgelive.encodePolicy): `auto` encodes here, in software.
        code, _, ev = arm(d, "PUT", "/liveEvents/software?autoStart=true", {**body, "tags": {"edgelive.encodePolicy": "auto"}})
        assert code in (200, 201) and ev["properties"]["resourceState"] == "Running", ev
        wait_for(lambda: worker_pids(d), 10, "the software encode worker")
    finally:
        d.stop()
    # And on a box whose policy is auto, an event tagged `never` is refused without a GPU.
    d = Daemon(str(tmp_path / "data2")).start()
    try:
        code, _, err = arm(d, "PUT", "/liveEvents/gpuonly", {**body, "tags": {"edgelive.encodePolicy": "never"}})
        assert code == 400 and err["error"]["code"] == "NotSupported", err
        assert "no usable GPU" in err["error"]["message"] and "edgelive.encodePolicy" in err["error"]["message"], err
    finally:
        d.stop()
