"""Low latency end to end: ffmpeg pushes RTMP in real time into a pass-through event with streamOptions
["LowLatency"]; LL-HLS (parts, preload hints, blocking reload, delta updates) and LL-DASH (chunked transfer of the
segment in progress) come out, and ffprobe decodes what a player would assemble. Timing bounds are loose: a loaded
2-core machine must pass."""
import http.client
import os
import re
import subprocess
import time
import urllib.parse
import xml.etree.ElementTree as ET

import pytest

from conftest import arm, count_frames_file, create_running_rtmp_event, ffmpeg_push_cmd, http_get, http_status, probe_url_frames, resolve

ALLOW_ALL = {"ip": {"allow": [{"name": "all", "address": "0.0.0.0", "subnetPrefixLength": 0}]}}
MPD_NS = {"d": "urn:mpeg:dash:schema:mpd:2011"}
PUSH_SECONDS = 60  # each test kills its push when done; long enough for two 20 s live probes
FPS = 30
GOP = 30  # 1 s


def create_event(daemon, name, stream_options):
    event = create_running_rtmp_event(daemon, name, stream_options)
    ingest = event["properties"]["input"]["endpoints"][0]["url"] + "/cam"
    preview = event["properties"]["preview"]["endpoints"][0]["url"]
    return ingest, preview


def start_push(url, seconds=PUSH_SECONDS):
    return subprocess.Popen(ffmpeg_push_cmd(url, seconds, fps=FPS, gop=GOP, size="640x360", bitrate="1M"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def wait_for(url, predicate, timeout=30):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        code, text = http_status(url)
        last = (code, text[:500])
        if code == 200 and predicate(text):
            return text
        time.sleep(0.3)
    raise AssertionError(f"{url} never satisfied the condition; last {last}")


def video_playlist_url(preview, fmt="m3u8-cmaf"):
    master_url = preview + f"(format={fmt})"
    master = wait_for(master_url, lambda t: "#EXT-X-STREAM-INF" in t)
    lines = master.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("#EXT-X-STREAM-INF") and "RESOLUTION=" in line:
            return resolve(master_url, lines[i + 1].strip())
    raise AssertionError(master)


def tags(text, name):
    return [line for line in text.splitlines() if line.startswith(name + ":") or line == name]


def attr(line, key):
    m = re.search(key + r'=("([^"]*)"|[^,]*)', line)
    return m.group(2) if m and m.group(2) is not None else (m.group(1) if m else None)


def media_sequence(text):
    return int(tags(text, "#EXT-X-MEDIA-SEQUENCE")[0].split(":")[1])


def last_msn(text):
    """Media sequence number of the last complete segment."""
    return media_sequence(text) + sum(1 for line in text.splitlines() if line.startswith("#EXTINF")) - 1


@pytest.fixture
def ll_event(daemon):
    ingest, preview = create_event(daemon, "ll", ["LowLatency"])
    push = start_push(ingest)
    try:
        playlist_url = video_playlist_url(preview)
        wait_for(playlist_url, lambda t: t.count("#EXTINF") >= 2 and "#EXT-X-PART:" in t)
        yield daemon, preview, playlist_url, push
    finally:
        push.kill()
        push.wait()


def test_ll_hls_playlist_parts_blocking_and_skip(ll_event, tmp_path):
    daemon, preview, playlist_url, push = ll_event
    text = http_get(playlist_url)[2].decode()
    assert tags(text, "#EXT-X-VERSION") == ["#EXT-X-VERSION:9"], text
    part_target = float(tags(text, "#EXT-X-PART-INF")[0].split("PART-TARGET=")[1])
    assert 0.2 <= part_target <= 1.0, text
    control = tags(text, "#EXT-X-SERVER-CONTROL")[0]
    assert "CAN-BLOCK-RELOAD=YES" in control
    assert float(attr(control, "PART-HOLD-BACK")) >= 3 * part_target - 1e-6
    target = int(tags(text, "#EXT-X-TARGETDURATION")[0].split(":")[1])
    assert float(attr(control, "CAN-SKIP-UNTIL")) >= 6 * target
    parts = tags(text, "#EXT-X-PART")
    assert parts and all(float(attr(p, "DURATION")) <= part_target + 1e-3 for p in parts), parts
    assert any("INDEPENDENT=YES" in p for p in parts)
    hint = tags(text, "#EXT-X-PRELOAD-HINT")
    assert len(hint) == 1 and "TYPE=PART" in hint[0] and "part=" in attr(hint[0], "URI"), hint

    # Blocking reload: ask for the part after the one the hint names; the answer comes only once it exists.
    text = http_get(playlist_url)[2].decode()
    hint_uri = attr(tags(text, "#EXT-X-PRELOAD-HINT")[0], "URI")
    msn = last_msn(text) + 1  # the segment in progress
    open_parts = 0
    lines = text.splitlines()
    last_extinf = max(i for i, line in enumerate(lines) if line.startswith("#EXTINF"))
    open_parts = sum(1 for line in lines[last_extinf:] if line.startswith("#EXT-X-PART:"))
    want_part = open_parts + 1
    started = time.time()
    _, _, body = http_get(f"{playlist_url}?_HLS_msn={msn}&_HLS_part={want_part}", timeout=30)
    waited = time.time() - started
    blocked = body.decode()
    # Either part `want_part` of segment msn exists now, or the segment closed (msn is complete).
    later_segment = last_msn(blocked) >= msn
    part_uris = [attr(p, "URI") for p in tags(blocked, "#EXT-X-PART")]
    assert later_segment or any(f"part={want_part}" in u for u in part_uris[-(want_part + 1):]), blocked
    # Two part durations at most had to pass (plus a loaded machine's slack); it did block for some of that.
    assert waited < 2 * part_target + 3.0, waited
    assert waited > part_target * 0.5, f"answered after {waited:.2f} s: it did not wait for the part"

    # The preload-hinted part: the request blocks until the part exists, then returns it.
    started = time.time()
    code, headers, part_bytes = http_get(resolve(playlist_url, hint_uri), timeout=30)
    waited = time.time() - started
    assert code == 200 and headers["Content-Type"] == "video/mp4" and b"moof" in part_bytes[:64], part_bytes[:64]
    assert waited < part_target + 3.0, waited

    # Too far ahead: 400 at once.
    code, body = http_status(f"{playlist_url}?_HLS_msn={last_msn(blocked) + 10}")
    assert code == 400, body
    code, body = http_status(f"{playlist_url}?_HLS_part=1")
    assert code == 400, body

    # Delta update.
    time.sleep(max(0.0, 8 * target - (time.time() - started)))
    full = http_get(playlist_url)[2].decode()
    delta = http_get(playlist_url + "?_HLS_skip=YES")[2].decode()
    skip = tags(delta, "#EXT-X-SKIP")
    assert len(skip) == 1, delta
    skipped = int(skip[0].split("SKIPPED-SEGMENTS=")[1])
    assert skipped >= 1, (skipped, full)
    assert delta.count("#EXTINF") + skipped in (full.count("#EXTINF"), full.count("#EXTINF") + 1, full.count("#EXTINF") + 2)
    assert media_sequence(delta) == media_sequence(full) or abs(media_sequence(delta) - media_sequence(full)) <= 1


def segment_parts(text, playlist_url):
    """[(segment url, [part urls])] of the complete segments that list their parts."""
    out, pending = [], []
    for line in text.splitlines():
        if line.startswith("#EXT-X-PART:"):
            pending.append(resolve(playlist_url, attr(line, "URI")))
        elif line and not line.startswith("#"):
            out.append((resolve(playlist_url, line), pending))
            pending = []
    return [(seg, parts) for seg, parts in out if parts]


def test_ll_hls_parts_concatenate_to_the_segment(ll_event, tmp_path):
    daemon, preview, playlist_url, push = ll_event
    text = http_get(playlist_url)[2].decode()
    init_url = resolve(playlist_url, attr(tags(text, "#EXT-X-MAP")[0], "URI"))
    init = http_get(init_url)[2]
    listed = segment_parts(text, playlist_url)
    assert listed, text
    segment_url, part_urls = listed[-1]
    assert len(part_urls) >= 2, part_urls
    whole = http_get(segment_url)[2]
    joined = b"".join(http_get(u)[2] for u in part_urls)
    assert joined == whole, "the parts of a segment are its byte ranges"
    (tmp_path / "parts.mp4").write_bytes(init + joined)
    (tmp_path / "whole.mp4").write_bytes(init + whole)
    frames_parts, pts_parts = count_frames_file(str(tmp_path / "parts.mp4"))
    frames_whole, pts_whole = count_frames_file(str(tmp_path / "whole.mp4"))
    assert frames_parts == frames_whole == len(pts_whole) and frames_whole >= FPS * 0.9, (frames_parts, frames_whole)
    assert pts_parts == pts_whole
    # Each part on its own (after the init segment) decodes too when it starts with a key frame.
    first = http_get(part_urls[0])[2]
    (tmp_path / "first.mp4").write_bytes(init + first)
    frames_first, _ = count_frames_file(str(tmp_path / "first.mp4"))
    assert 1 <= frames_first < frames_whole

    # Other formats read the multi-chunk fragment: TS segments and Smooth fragments decode every frame.
    ts_playlist = video_playlist_url(preview, "m3u8-aapl")
    ts_text = http_get(ts_playlist)[2].decode()
    ts_url = [resolve(ts_playlist, line) for line in ts_text.splitlines() if line and not line.startswith("#")][-1]
    (tmp_path / "seg.ts").write_bytes(http_get(ts_url)[2])
    frames_ts, _ = count_frames_file(str(tmp_path / "seg.ts"))
    assert frames_ts >= FPS * 0.9, frames_ts
    # Smooth rewraps the same samples into one moof; the I-frame playlist's key frame is the first sample alone.
    smooth = http_get(segment_url.replace(",format=m3u8-cmaf).mp4", ")"))[2]
    assert smooth.count(b"moof") == 1 and len(smooth) > len(whole) - 2000, (len(smooth), len(whole))
    key_frame = http_get(segment_url.replace("/Fragments(", "/KeyFrames("))[2]
    (tmp_path / "key.mp4").write_bytes(init + key_frame)
    assert count_frames_file(str(tmp_path / "key.mp4"))[0] == 1


def test_ll_dash_chunked_segment_in_progress(ll_event, tmp_path):
    daemon, preview, playlist_url, push = ll_event
    mpd_url = preview + "(format=mpd-time-cmaf)"
    text = http_get(mpd_url)[2].decode()
    root = ET.fromstring(text)
    assert root.find("d:ServiceDescription/d:Latency", MPD_NS) is not None, text
    assert root.find("d:UTCTiming", MPD_NS) is not None
    video = next(a for a in root.iter(f"{{{MPD_NS['d']}}}AdaptationSet") if a.get("contentType") == "video")
    rep = video.find("d:Representation", MPD_NS)
    prt = rep.find("d:ProducerReferenceTime", MPD_NS)
    assert prt is not None and prt.get("wallClockTime") and prt.get("presentationTime"), text
    template = rep.find("d:SegmentTemplate", MPD_NS)
    assert template.get("availabilityTimeComplete") == "false"
    assert 0 < float(template.get("availabilityTimeOffset")) < 1.0, template.attrib
    # The last S is the segment in progress (listed once its first chunk exists); it may close between the MPD and
    # the request (1 s GOP), so try a few MPDs until a segment is caught in progress.
    for attempt in range(20):
        root = ET.fromstring(http_get(mpd_url)[2].decode())
        video = next(a for a in root.iter(f"{{{MPD_NS['d']}}}AdaptationSet") if a.get("contentType") == "video")
        rep = video.find("d:Representation", MPD_NS)
        template = rep.find("d:SegmentTemplate", MPD_NS)
        t, starts = 0, []
        for s in template.findall("d:SegmentTimeline/d:S", MPD_NS):
            if s.get("t") is not None:
                t = int(s.get("t"))
            for _ in range(int(s.get("r", "0")) + 1):
                starts.append(t)
                t += int(s.get("d"))
        media = template.get("media").replace("$Bandwidth$", rep.get("bandwidth")).replace("$Time$", str(starts[-1]))
        url = urllib.parse.urlsplit(resolve(mpd_url, media))
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        started = time.time()
        conn.request("GET", url.path)
        response = conn.getresponse()
        assert response.status == 200, response.read()
        chunked = response.getheader("Transfer-Encoding") == "chunked"
        arrivals, body = [], b""
        while True:
            chunk = response.read1(65536)
            if not chunk:
                break
            arrivals.append(time.time() - started)
            body += chunk
        conn.close()
        # A request caught just before the segment closed gets its chunks nearly together: try another segment.
        if chunked and arrivals[-1] - arrivals[0] > 0.1:
            break
        time.sleep(0.2 + 0.13 * attempt)
    else:
        raise AssertionError("no request caught a segment in progress early enough to see its chunks arrive over time")
    # The body came over time (chunks as they were produced), and ended when the segment closed.
    assert arrivals[-1] < 10, arrivals
    assert body.count(b"moof") >= 2
    whole = http_get(resolve(mpd_url, media))[2]
    assert whole == body, "the streamed segment is the stored segment"
    init = http_get(resolve(mpd_url, template.get("initialization").replace("$Bandwidth$", rep.get("bandwidth"))))[2]
    (tmp_path / "dash.mp4").write_bytes(init + body)
    frames, pts = count_frames_file(str(tmp_path / "dash.mp4"))
    assert frames == len(pts) and frames >= FPS * 0.5, frames


def test_clients_without_low_latency_still_play(ll_event):
    """ffprobe (libavformat's HLS and DASH demuxers know nothing of parts or chunked transfer) plays both."""
    daemon, preview, playlist_url, push = ll_event
    for fmt in ("m3u8-cmaf", "mpd-time-cmaf"):
        # A loaded machine can start the probe late: give it time to reach the 5 s it must decode.
        counts = probe_url_frames(preview + f"(format={fmt})", settle=5, limit=20)
        assert counts.get("video", 0) >= 5 * FPS and counts.get("audio", 0) >= 5 * 46, (fmt, counts)


def test_default_event_playlists_are_not_low_latency(daemon):
    ingest, preview = create_event(daemon, "plain", ["Default"])
    push = start_push(ingest, seconds=8)
    try:
        playlist_url = video_playlist_url(preview)
        text = wait_for(playlist_url, lambda t: t.count("#EXTINF") >= 2)
        assert "#EXT-X-VERSION:7" in text
        for tag in ("#EXT-X-PART", "#EXT-X-PRELOAD-HINT", "#EXT-X-SERVER-CONTROL", "#EXT-X-PART-INF"):
            assert tag not in text, text
        mpd = http_get(preview + "(format=mpd-time-cmaf)")[2].decode()
        assert "availabilityTimeOffset" not in mpd and "ServiceDescription" not in mpd
        segments = [line for line in text.splitlines() if line and not line.startswith("#")]
        seg = resolve(playlist_url, segments[-1])
        part_url = seg.replace(").mp4", ",part=0).mp4")
        code, body = http_status(part_url)
        assert code == 404 and "not a low-latency" in body, (code, body)
        assert http_get(seg)[2].count(b"moof") == 1
    finally:
        push.kill()
        push.wait()


def test_low_latency_v2_encoding_event_has_ll_hls_renditions(daemon, tmp_path_factory):
    """LowLatencyV2 on an encoding event: every rung of the ladder is LL-HLS, each naming the others' newest parts."""
    from test_live_encoding import contribution, push as push_file
    body = {"location": "local", "properties": {
        "input": {"streamingProtocol": "RTMP", "accessControl": ALLOW_ALL}, "preview": {"accessControl": ALLOW_ALL},
        "encoding": {"encodingType": "Standard", "presetName": "Default720p"}, "streamOptions": ["LowLatencyV2"]}}
    code, _, created = arm(daemon, "PUT", "/liveEvents/llenc?autoStart=true", body)
    assert code in (200, 201), created
    event = arm(daemon, "GET", "/liveEvents/llenc")[2]
    assert event["properties"]["streamOptions"] == ["LowLatencyV2"], event
    ingest = event["properties"]["input"]["endpoints"][0]["url"] + "/contribution"
    preview = event["properties"]["preview"]["endpoints"][0]["url"]
    # A 360p contribution: the ladder keeps only the rungs at or below it, so two cores keep up.
    pusher = push_file(contribution(tmp_path_factory, "640x360", 30, 40), ingest)
    try:
        master_url = preview + "(format=m3u8-cmaf)"
        master = wait_for(master_url, lambda t: t.count("RESOLUTION=") >= 2, timeout=60)
        lines = master.splitlines()
        rungs = [resolve(master_url, lines[i + 1]) for i, line in enumerate(lines)
                 if line.startswith("#EXT-X-STREAM-INF") and "RESOLUTION=" in line]
        text = wait_for(rungs[0], lambda t: t.count("#EXTINF") >= 2 and "#EXT-X-PART:" in t, timeout=60)
        assert "#EXT-X-PART-INF:PART-TARGET=" in text and "CAN-BLOCK-RELOAD=YES" in text
        reports = tags(text, "#EXT-X-RENDITION-REPORT")
        assert len(reports) == len(rungs) - 1, (reports, rungs)
        for report in reports:
            assert int(attr(report, "LAST-MSN")) >= last_msn(text) - 1, report
            other = resolve(rungs[0], attr(report, "URI"))
            assert other in rungs, (other, rungs)
        # A blocking request on another rung for the part after the one reported.
        report = reports[0]
        other = resolve(rungs[0], attr(report, "URI"))
        msn, part = int(attr(report, "LAST-MSN")), int(attr(report, "LAST-PART") or 0)
        code, _, blocked = http_get(f"{other}?_HLS_msn={msn}&_HLS_part={part + 1}", timeout=30)
        assert code == 200 and "#EXT-X-PART:" in blocked.decode()
    finally:
        pusher.kill()
        pusher.wait()
