"""DASH-IF CMAF ingest end to end: ffmpeg's dash muxer pushes its init segments, segments and MPD over HTTP to a
pass-through FragmentedMP4 live event; its preview plays as HLS-CMAF and DASH with every frame decoding."""
import glob
import http.client
import math
import os
import re
import subprocess
import threading
import time

from conftest import arm, count_frames_file, download_track, hls_media_playlists, parse_media_playlist, \
    probe_url_frames
from test_passthrough import assert_contiguous, mpd_tracks

ALLOW_ALL = {"ip": {"allow": [{"name": "all", "address": "0.0.0.0", "subnetPrefixLength": 0}]}}
FPS = 30
GOP = 60


def aac_frames(seconds):
    """AAC frames ffmpeg's encoder writes for `seconds` of 48 kHz audio: the priming frame, then every sample."""
    return 1 + math.ceil(seconds * 48000 / 1024)


def cmaf_event(daemon, name, allow=ALLOW_ALL, start=True):
    body = {"location": "local", "properties": {
        "input": {"streamingProtocol": "FragmentedMP4", "accessControl": allow},
        "preview": {"accessControl": ALLOW_ALL}}}
    code, _, ev = arm(daemon, "PUT", f"/liveEvents/{name}" + ("?autoStart=true" if start else ""), body)
    assert code == 201, ev
    return ev


def ingest_url(ev):
    url = ev["properties"]["input"]["endpoints"][0]["url"]
    assert url.endswith("/ingest.isml"), url
    return url


def dash_push_cmd(url, seconds, size="1280x720", bitrate="2M", low_latency=True, realtime=True):
    cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin"] + (["-re"] if realtime else [])
    cmd += ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={FPS}",
            "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000",
            "-t", str(seconds), "-map", "0:v", "-map", "1:a",
            "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
            "-g", str(GOP), "-keyint_min", str(GOP), "-sc_threshold", "0", "-b:v", bitrate,
            "-c:a", "aac", "-b:a", "128k", "-ac", "2",
            "-f", "dash", "-seg_duration", "2", "-use_template", "1", "-use_timeline", "1"]
    if url.startswith("http"):
        if low_latency:
            cmd += ["-method", "PUT", "-http_persistent", "1", "-streaming", "1", "-ldash", "1", "-remove_at_exit", "1"]
        else:
            cmd += ["-method", "POST"]
    return cmd + [url]


def wait_for_log(daemon, text, count=1, timeout=20):
    deadline = time.time() + timeout
    while daemon.read_log().count(text) < count and time.time() < deadline:
        time.sleep(0.2)
    return daemon.read_log().count(text) >= count


def stream_events(daemon, name):
    code, _, events = arm(daemon, "POST", f"/liveEvents/{name}/getStreamEvents")
    assert code == 200, events
    return events["value"]


def check_preview_plays(ev, tmp_path, video_frames, audio_frames, tag):
    """HLS-CMAF and DASH list one video and one audio track; every frame of each decodes, all of what was pushed."""
    preview = ev["properties"]["preview"]["endpoints"][0]["url"]
    hls = hls_media_playlists(preview + "(format=m3u8-cmaf)")
    assert sorted(k for _, k in hls) == ["audio", "video"], hls
    first = {}
    for url, kind in hls:
        init, segs, text = parse_media_playlist(url)
        assert init and segs, text
        assert "#EXT-X-DISCONTINUITY\n" not in text, text
        frames, pts = count_frames_file(download_track(init, [s for s, _, _ in segs], str(tmp_path / f"{tag}-hls-{kind}.mp4")))
        first[kind] = int(re.search(r"Fragments\((?:audio|video)=(\d+)", segs[0][0]).group(1))
        if kind == "video":
            assert frames == video_frames, (frames, video_frames)
            assert_contiguous(sorted(pts), 1 / FPS, "HLS video")
        else:
            assert frames == audio_frames, (frames, audio_frames)
            assert_contiguous(pts, 1024 / 48000, "HLS audio")
    # Audio and video keep their true offset (the edit lists are applied): the source's audio starts one AAC
    # encoder delay (1024 samples) before its video (first fragment times, in 10 MHz ticks, from the URLs).
    assert abs(first["video"] - first["audio"] - 1024 * 10_000_000 / 48000) < 10_000, first
    dash = mpd_tracks(preview + "(format=mpd-time-cmaf)")
    assert sorted(t["kind"] for t in dash) == ["audio", "video"]
    for t in dash:
        frames, _ = count_frames_file(download_track(t["init"], t["segments"], str(tmp_path / f"{tag}-dash-{t['kind']}.mp4")))
        if t["kind"] == "video":
            assert frames == video_frames, (frames, video_frames)
        else:
            assert frames == audio_frames, (frames, audio_frames)
    return preview


def test_ffmpeg_low_latency_dash_push_plays_as_hls_and_dash(daemon, tmp_path):
    """ffmpeg -f dash -streaming 1 -ldash 1 -method PUT -http_persistent 1: one chunked PUT per segment, a moof per
    frame, the MPD PUT after every segment, DELETEs of old segments and, at exit, of everything."""
    seconds = 10
    ev = cmaf_event(daemon, "cmaf")
    ingest = ingest_url(ev)
    r = subprocess.run(dash_push_cmd(ingest + "/manifest.mpd", seconds), capture_output=True, text=True,
                       timeout=seconds + 90)
    assert r.returncode == 0, r.stderr
    # The DELETE of each init segment at exit ends its track.
    assert wait_for_log(daemon, "fragmented MP4 session ended by the encoder", count=2), daemon.read_log()[-3000:]
    log = daemon.read_log()
    assert "DASH manifest received" in log
    published = [line for line in log.splitlines() if "track published" in line and "name=video" in line]
    assert len(published) == 1 and "bitrate=2000000" in published[0], published  # the MPD's bandwidth

    preview = check_preview_plays(ev, tmp_path, seconds * FPS, aac_frames(seconds), "ll")
    # A real player on the live DASH URL decodes the frames (it may join a little after the start).
    played = probe_url_frames(preview + "(format=mpd-time-cmaf)")
    assert played.get("video", 0) >= seconds * FPS - GOP, played
    assert played.get("audio", 0) >= aac_frames(seconds) - 96, played

    kinds = [e["eventType"] for e in stream_events(daemon, "cmaf")]
    assert kinds.count("StreamEvent/BeginIngest") == 2 and kinds.count("StreamEvent/EndIngest") == 2, kinds


def test_ffmpeg_dash_post_of_whole_segments_ends_with_the_static_mpd(daemon, tmp_path):
    """ffmpeg -f dash -method POST without streaming: one POST per whole segment (styp, sidx, moof, mdat); the
    final MPD (type static) ends the tracks."""
    seconds = 6
    ev = cmaf_event(daemon, "whole")
    r = subprocess.run(dash_push_cmd(ingest_url(ev) + "/live/manifest.mpd", seconds, size="640x360", bitrate="800k",
                                     low_latency=False), capture_output=True, text=True, timeout=seconds + 90)
    assert r.returncode == 0, r.stderr
    assert wait_for_log(daemon, "fragmented MP4 session ended by the encoder", count=2), daemon.read_log()[-3000:]
    assert "final (static) manifest" in daemon.read_log()
    check_preview_plays(ev, tmp_path, seconds * FPS, aac_frames(seconds), "whole")


def put(daemon, path, body=b"", method="PUT", chunked=False):
    conn = http.client.HTTPConnection("127.0.0.1", daemon.http_port, timeout=30)
    try:
        if chunked:
            conn.putrequest(method, path)
            conn.putheader("Transfer-Encoding", "chunked")
            conn.endheaders()
            for i in range(0, len(body), 4000):
                part = body[i:i + 4000]
                conn.send(b"%x\r\n%s\r\n" % (len(part), part))
            conn.send(b"0\r\n\r\n")
        else:
            conn.request(method, path, body=body)
        r = conn.getresponse()
        return r.status, r.read().decode(errors="replace")
    finally:
        conn.close()


def test_refusals_a_malformed_segment_and_an_idle_track(daemon, tmp_path):
    out = tmp_path / "dash"
    out.mkdir()
    r = subprocess.run(dash_push_cmd(str(out / "manifest.mpd"), 8, size="640x360", bitrate="800k", realtime=False),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    init = (out / "init-stream0.m4s").read_bytes()
    segments = sorted(glob.glob(str(out / "chunk-stream0-*.m4s")))
    assert len(segments) >= 4, os.listdir(out)
    seg = [open(s, "rb").read() for s in segments]

    ev = cmaf_event(daemon, "objects")
    path = ingest_url(ev).split(str(daemon.http_port), 1)[1]

    status, text = put(daemon, "/0123456789abcdef0123456789abcdef/ingest.isml/init-stream0.m4s", init)
    assert status == 404 and "MPE_RTMP_APPID_AUTH_FAILURE" in text, (status, text)
    walled = cmaf_event(daemon, "walled", allow={"ip": {"allow": [{"name": "lan", "address": "10.0.0.0", "subnetPrefixLength": 8}]}})
    status, text = put(daemon, ingest_url(walled).split(str(daemon.http_port), 1)[1] + "/init-stream0.m4s", init)
    assert status == 403 and "MPE_INGEST_ENCODER_CONNECTION_DENIED" in text, (status, text)
    stopped = cmaf_event(daemon, "stopped", start=False)
    status, text = put(daemon, ingest_url(stopped).split(str(daemon.http_port), 1)[1] + "/init-stream0.m4s", init)
    assert status == 410 and "MPE_INGEST_LIVE_EVENT_NOT_RUNNING" in text, (status, text)
    # A segment of a track that never sent its header: 412, asking for it.
    status, text = put(daemon, path + "/chunk-stream7-00001.m4s", seg[0])
    assert status == 412 and "header" in text, (status, text)

    assert put(daemon, path + "/init-stream0.m4s", init, chunked=True)[0] == 200
    assert put(daemon, path + "/chunk-stream0-00001.m4s", seg[0])[0] == 200
    broken = bytearray(seg[1])
    broken[60:120] = b"\xff" * 60  # inside the moof
    status, text = put(daemon, path + "/chunk-stream0-00002.m4s", bytes(broken))
    assert status == 400 and "MPE_INGEST_PROTOCOL_ERROR" in text, (status, text)
    # The next good segments are accepted; DELETEs are answered and ignored.
    assert put(daemon, path + "/chunk-stream0-00003.m4s", seg[2], method="POST", chunked=True)[0] == 200
    assert put(daemon, path + "/chunk-stream0-00004.m4s", seg[3])[0] == 200
    assert put(daemon, path + "/chunk-stream0-00001.m4s", method="DELETE")[0] == 200

    # What was served is exactly segments 1, 3 and 4, frame for frame.
    sent = tmp_path / "sent.mp4"
    sent.write_bytes(init + seg[0] + seg[2] + seg[3])
    sent_frames, _ = count_frames_file(str(sent))
    preview = ev["properties"]["preview"]["endpoints"][0]["url"]
    deadline = time.time() + 10
    while True:
        hls = hls_media_playlists(preview + "(format=m3u8-cmaf)")
        if hls or time.time() > deadline:
            break
        time.sleep(0.5)
    assert [k for _, k in hls] == ["video"], hls
    # The last fragment closes when the track ends: here on the idle timeout, nothing more being sent.
    assert wait_for_log(daemon, "MPE_RTMP_SESSION_IDLE_TIMEOUT", timeout=30), daemon.read_log()[-3000:]
    init_url, segs, text = parse_media_playlist(hls[0][0])
    served, _ = count_frames_file(download_track(init_url, [s for s, _, _ in segs], str(tmp_path / "served.mp4")))
    assert served == sent_frames, (served, sent_frames)

    # The track nobody feeds any more ended on the idle timeout, said in the stream events.
    ends = [e for e in stream_events(daemon, "objects") if e["eventType"] == "StreamEvent/EndIngest"]
    assert any(e["data"].get("resultCode") == "MPE_RTMP_SESSION_IDLE_TIMEOUT" for e in ends), ends
    assert arm(daemon, "GET", "/liveEvents/objects")[0] == 200


def test_long_running_post_per_track_to_streams_urls(daemon, tmp_path):
    """DASH-IF Interface 1 as the spec draws it: one long-running chunked POST per CMAF track, to
    `…/ingest.isml/Streams(<track>)`, the CMAF header first and then every segment, on two parallel connections."""
    seconds = 6
    out = tmp_path / "dash"
    out.mkdir()
    r = subprocess.run(dash_push_cmd(str(out / "manifest.mpd"), seconds, size="640x360", bitrate="800k", realtime=False),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    tracks = {}
    for index, name in ((0, "video"), (1, "audio")):
        body = (out / f"init-stream{index}.m4s").read_bytes()
        for segment in sorted(glob.glob(str(out / f"chunk-stream{index}-*.m4s"))):
            body += open(segment, "rb").read()
        tracks[name] = body
        (tmp_path / f"sent-{name}.mp4").write_bytes(body)

    ev = cmaf_event(daemon, "perTrack")
    path = ingest_url(ev).split(str(daemon.http_port), 1)[1]
    results = {}

    def push(name):
        results[name] = put(daemon, f"{path}/Streams({name})", tracks[name], method="POST", chunked=True)

    threads = [threading.Thread(target=push, args=(name,)) for name in tracks]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results == {"video": (200, ""), "audio": (200, "")}, results
    # Each POST carried a whole track: its end ends the track's session.
    assert wait_for_log(daemon, "fragmented MP4 session ended by the encoder", count=2), daemon.read_log()[-3000:]
    sent_video, _ = count_frames_file(str(tmp_path / "sent-video.mp4"))
    sent_audio, _ = count_frames_file(str(tmp_path / "sent-audio.mp4"))
    assert sent_video == seconds * FPS
    check_preview_plays(ev, tmp_path, sent_video, aac_frames(seconds), "pertrack")
