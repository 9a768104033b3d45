"""Smooth Streaming (fragmented MP4) ingest end to end: ffmpeg's ismv muxer POSTs chunked fMP4 to a pass-through
FragmentedMP4 live event; its preview plays as HLS-CMAF and DASH with every frame decoding."""
import http.client
import socket
import struct
import subprocess
import threading
import time

from conftest import arm, download_track, hls_media_playlists, http_status, parse_media_playlist, count_frames_file, \
    probe_url_frames
from test_passthrough import assert_contiguous, mpd_tracks

ALLOW_ALL = {"ip": {"allow": [{"name": "all", "address": "0.0.0.0", "subnetPrefixLength": 0}]}}
PUSH_SECONDS = 10
FPS = 30
GOP = 60
VIDEO_FRAMES = PUSH_SECONDS * FPS
AUDIO_FRAMES = PUSH_SECONDS * 48000 // 1024


def smooth_event(daemon, name):
    body = {"location": "local", "properties": {
        "input": {"streamingProtocol": "FragmentedMP4", "accessControl": ALLOW_ALL},
        "preview": {"accessControl": ALLOW_ALL}}}
    return arm(daemon, "PUT", f"/liveEvents/{name}?autoStart=true", body)


def ismv_push_cmd(url, seconds):
    return ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re",
            "-f", "lavfi", "-i", f"testsrc2=size=640x360:rate={FPS}",
            "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000",
            "-t", str(seconds), "-map", "0:v", "-map", "1:a",
            "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
            "-g", str(GOP), "-keyint_min", str(GOP), "-sc_threshold", "0", "-b:v", "1M",
            "-c:a", "aac", "-b:a", "128k", "-ac", "2",
            "-f", "ismv", "-movflags", "isml+frag_keyframe", url]


def post(daemon, path, body=b"", chunked=False):
    conn = http.client.HTTPConnection("127.0.0.1", daemon.http_port, timeout=30)
    try:
        if chunked:
            conn.putrequest("POST", path)
            conn.putheader("Transfer-Encoding", "chunked")
            conn.endheaders()
            for i in range(0, len(body), 1000):
                part = body[i:i + 1000]
                conn.send(b"%x\r\n%s\r\n" % (len(part), part))
            conn.send(b"0\r\n\r\n")
        else:
            conn.request("POST", path, body=body)
        r = conn.getresponse()
        return r.status, r.read().decode(errors="replace")
    finally:
        conn.close()


def test_ffmpeg_ismv_push_plays_as_hls_and_dash(daemon, tmp_path):
    code, _, ev = smooth_event(daemon, "smooth")
    assert code == 201, ev
    ingest = ev["properties"]["input"]["endpoints"][0]["url"]
    assert ingest.endswith("/ingest.isml"), ingest
    path = ingest.split(str(daemon.http_port), 1)[1]
    preview = ev["properties"]["preview"]["endpoints"][0]["url"]
    # An encoder's probe: an empty POST.
    assert post(daemon, path + "/Streams(video)")[0] == 200

    r = subprocess.run(ismv_push_cmd(ingest + "/Streams(video)", PUSH_SECONDS), capture_output=True, text=True,
                       timeout=PUSH_SECONDS + 90)
    assert r.returncode == 0, r.stderr
    time.sleep(1)
    log = daemon.read_log()
    assert "fragmented MP4 session ended by the encoder" in log, log[-3000:]

    hls = hls_media_playlists(preview + "(format=m3u8-cmaf)")
    assert sorted(k for _, k in hls) == ["audio", "video"], hls
    for url, kind in hls:
        init, segs, text = parse_media_playlist(url)
        assert init and segs, text
        frames, pts = count_frames_file(download_track(init, [s for s, _, _ in segs], str(tmp_path / f"hls-{kind}.mp4")))
        if kind == "video":
            assert VIDEO_FRAMES - GOP <= frames <= VIDEO_FRAMES, frames
            assert_contiguous(sorted(pts), 1 / FPS, "HLS video")
        else:
            assert AUDIO_FRAMES - 96 <= frames <= AUDIO_FRAMES + 2, frames
            assert_contiguous(pts, 1024 / 48000, "HLS audio")

    dash = mpd_tracks(preview + "(format=mpd-time-cmaf)")
    assert sorted(t["kind"] for t in dash) == ["audio", "video"]
    for t in dash:
        frames, _ = count_frames_file(download_track(t["init"], t["segments"], str(tmp_path / f"dash-{t['kind']}.mp4")))
        if t["kind"] == "video":
            assert VIDEO_FRAMES - GOP <= frames <= VIDEO_FRAMES, frames
        else:
            assert AUDIO_FRAMES - 96 <= frames <= AUDIO_FRAMES + 2, frames

    # A real player on the live DASH URL decodes every frame.
    played = probe_url_frames(preview + "(format=mpd-time-cmaf)")
    assert played.get("video", 0) >= VIDEO_FRAMES - GOP, played
    assert played.get("audio", 0) >= AUDIO_FRAMES - 96, played


def test_wrong_token_and_malformed_body_are_refused_and_the_daemon_keeps_serving(daemon, tmp_path):
    code, _, ev = smooth_event(daemon, "smooth2")
    assert code == 201, ev
    ingest = ev["properties"]["input"]["endpoints"][0]["url"]
    path = ingest.split(str(daemon.http_port), 1)[1]

    status, text = post(daemon, "/0123456789abcdef0123456789abcdef/ingest.isml/Streams(video)", b"\0\0\0\x10ftypiso6\0\0\0\0")
    assert status == 404 and "MPE_RTMP_APPID_AUTH_FAILURE" in text, (status, text)
    assert "fragmented MP4 encoder refused" in daemon.read_log()

    # ffmpeg pushing with a wrong token is answered 404 at once (ffmpeg itself ignores the answer to a POST): the
    # refusal is logged and nothing reaches the event.
    subprocess.run(ismv_push_cmd("http://127.0.0.1:%d/nope/ingest.isml/Streams(video)" % daemon.http_port, 2),
                   capture_output=True, text=True, timeout=60)
    assert "no live event has the access token 'nope'" in daemon.read_log()

    for chunked in (False, True):
        status, text = post(daemon, path + "/Streams(video)", b"\0\0\0\x10ftypiso6\0\0\0\0" + b"garbage bytes, not a box" * 50,
                            chunked=chunked)
        assert status == 400 and "MPE_INGEST_PROTOCOL_ERROR" in text, (status, text)
    assert "malformed fragmented MP4" in daemon.read_log()

    # Still serving: the API, the origin and a good push.
    assert arm(daemon, "GET", "/liveEvents/smooth2")[0] == 200
    r = subprocess.run(ismv_push_cmd(ingest + "/Streams(video)", 4), capture_output=True, text=True, timeout=90)
    assert r.returncode == 0, r.stderr
    preview = ev["properties"]["preview"]["endpoints"][0]["url"]
    assert http_status(preview + "(format=m3u8-cmaf)")[0] == 200


def top_level_boxes(data):
    boxes, off = [], 0
    while off + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[off:off + 8])
        if size == 1:
            size = struct.unpack(">Q", data[off + 8:off + 16])[0]
        boxes.append((kind.decode("latin-1"), data[off:off + size]))
        off += size
    return boxes


def test_reconnect_resending_fragments_skips_them_and_keeps_the_timeline(daemon, tmp_path):
    code, _, ev = smooth_event(daemon, "resend")
    assert code == 201, ev
    ingest = ev["properties"]["input"]["endpoints"][0]["url"]
    path = ingest.split(str(daemon.http_port), 1)[1] + "/Streams(video)"
    preview = ev["properties"]["preview"]["endpoints"][0]["url"]
    header, fragments = record_ismv(tmp_path, 6)
    assert len(fragments) >= 6, len(fragments)
    half = len(fragments) // 2
    # First connection: the first half. Second: the encoder reconnects and resends the last two fragments.
    status, text = post(daemon, path, header + b"".join(fragments[:half]), chunked=True)
    assert status == 200, text
    status, text = post(daemon, path, header + b"".join(fragments[half - 2:]), chunked=True)
    assert status == 200, text
    assert "skipping resent fragments already ingested" in daemon.read_log()

    hls = hls_media_playlists(preview + "(format=m3u8-cmaf)")
    for url, kind in hls:
        init, segs, text = parse_media_playlist(url)
        assert "#EXT-X-DISCONTINUITY" not in text.replace("#EXT-X-DISCONTINUITY-SEQUENCE", ""), text
        frames, pts = count_frames_file(download_track(init, [s for s, _, _ in segs], str(tmp_path / f"{kind}.mp4")))
        if kind == "video":
            assert frames == 6 * FPS, frames  # every frame once: none lost, none duplicated
            assert_contiguous(sorted(pts), 1 / FPS, "video after the reconnect")
        else:
            assert_contiguous(pts, 1024 / 48000, "audio after the reconnect")


def test_stopping_the_event_ends_the_smooth_session(daemon):
    code, _, ev = smooth_event(daemon, "stopme")
    assert code == 201, ev
    ingest = ev["properties"]["input"]["endpoints"][0]["url"]
    push = subprocess.Popen(ismv_push_cmd(ingest + "/Streams(video)", 30), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 20
        while "tracks=" not in daemon.read_log() and time.time() < deadline:
            time.sleep(0.2)
        assert arm(daemon, "POST", "/liveEvents/stopme/stop", {"removeOutputsOnStop": True})[0] == 202
        deadline = time.time() + 15
        while "MPE_INGEST_LIVE_EVENT_STOPPED" not in daemon.read_log() and time.time() < deadline:
            time.sleep(0.2)
        assert "MPE_INGEST_LIVE_EVENT_STOPPED" in daemon.read_log(), daemon.read_log()[-3000:]
    finally:
        push.kill()
        push.wait()
    assert arm(daemon, "GET", "/liveEvents/stopme")[0] == 200


def record_ismv(tmp_path, seconds):
    """ffmpeg's ismv output written to a file: the exact bytes its HTTP push would send. Returns (header, fragments)."""
    recorded = str(tmp_path / "sent.ismv")
    cmd = ismv_push_cmd(recorded, seconds)
    cmd.remove("-re")
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    boxes = top_level_boxes(open(recorded, "rb").read())
    first_moof = next(i for i, (k, _) in enumerate(boxes) if k == "moof")
    header = b"".join(b for _, b in boxes[:first_moof])
    fragments = [boxes[i][1] + boxes[i + 1][1] for i in range(first_moof, len(boxes) - 1)
                 if boxes[i][0] == "moof" and boxes[i + 1][0] == "mdat"]
    return header, fragments


def paced_push(port, path, header, fragments, seconds, stop_after=None, results=None, name=""):
    """One encoder: a chunked POST sending the fragments at the pace of the media; with `stop_after`, the encoder
    dies after that many fragments (the connection is reset, no end of body)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    try:
        sock.sendall(b"POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n" % path.encode())
        sock.sendall(b"%x\r\n%s\r\n" % (len(header), header))
        start = time.time()
        for i, fragment in enumerate(fragments):
            if stop_after is not None and i == stop_after:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                results[name] = "killed"
                return
            delay = start + i * seconds / len(fragments) - time.time()
            if delay > 0:
                time.sleep(delay)
            sock.sendall(b"%x\r\n%s\r\n" % (len(fragment), fragment))
        sock.sendall(b"0\r\n\r\n")
        results[name] = sock.recv(4096).decode(errors="replace").split("\r\n")[0]
    finally:
        sock.close()


def test_redundant_encoders_on_one_stream_play_once_and_survive_either_stopping(daemon, tmp_path):
    seconds = 10
    code, _, ev = smooth_event(daemon, "redundant")
    assert code == 201, ev
    path = ev["properties"]["input"]["endpoints"][0]["url"].split(str(daemon.http_port), 1)[1] + "/Streams(video)"
    preview = ev["properties"]["preview"]["endpoints"][0]["url"]
    header, fragments = record_ismv(tmp_path, seconds)
    assert len(fragments) >= 10, len(fragments)

    # Encoder A starts first and dies half way; encoder B, the same stream with the same timestamps, started a
    # moment later and goes to the end.
    results = {}
    a = threading.Thread(target=paced_push, args=(daemon.http_port, path, header, fragments, seconds),
                         kwargs={"stop_after": len(fragments) // 2, "results": results, "name": "a"})
    b = threading.Thread(target=paced_push, args=(daemon.http_port, path, header, fragments, seconds),
                         kwargs={"results": results, "name": "b"})
    a.start()
    time.sleep(0.7)
    b.start()
    a.join(60)
    b.join(60)
    assert results == {"a": "killed", "b": "HTTP/1.1 200 OK"}, results
    assert "skipping resent fragments already ingested" in daemon.read_log()

    hls = hls_media_playlists(preview + "(format=m3u8-cmaf)")
    assert sorted(k for _, k in hls) == ["audio", "video"], hls
    for url, kind in hls:
        init, segs, text = parse_media_playlist(url)
        assert "#EXT-X-DISCONTINUITY\n" not in text, text
        frames, pts = count_frames_file(download_track(init, [s for s, _, _ in segs], str(tmp_path / f"{kind}.mp4")))
        if kind == "video":
            assert frames == VIDEO_FRAMES, frames  # every frame once: none lost when A died, none doubled
            assert_contiguous(sorted(pts), 1 / FPS, "video from two encoders")
        else:
            assert AUDIO_FRAMES - 96 <= frames <= AUDIO_FRAMES + 2, frames
            assert_contiguous(pts, 1024 / 48000, "audio from two encoders")

    # One ingest session for the two encoders: it began with the first and ended with the last.
    code, _, events = arm(daemon, "POST", "/liveEvents/redundant/getStreamEvents")
    kinds = [e["eventType"] for e in events["value"]]
    assert kinds.count("StreamEvent/BeginIngest") == 1 and kinds.count("StreamEvent/EndIngest") == 1, kinds


def test_a_stalled_post_ends_on_the_idle_timeout_and_frees_the_stream(daemon, tmp_path):
    code, _, ev = smooth_event(daemon, "stall")
    assert code == 201, ev
    path = ev["properties"]["input"]["endpoints"][0]["url"].split(str(daemon.http_port), 1)[1] + "/Streams(video)"
    header, fragments = record_ismv(tmp_path, 4)

    # Headers, ftyp, manifest and moov, then nothing.
    sock = socket.create_connection(("127.0.0.1", daemon.http_port), timeout=60)
    started = time.time()
    sock.sendall(b"POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n" % path.encode())
    sock.sendall(b"%x\r\n%s\r\n" % (len(header), header))
    answer = b""
    while True:
        data = sock.recv(4096)
        if not data:
            break
        answer += data
    elapsed = time.time() - started
    sock.close()
    # Ended after the idle timeout (10 s, the minimum; checked every half second), said and closed.
    print(f"idle POST ended after {elapsed:.2f} s")
    assert 9.5 <= elapsed <= 20, elapsed
    assert answer.startswith(b"HTTP/1.1 408") and b"MPE_RTMP_SESSION_IDLE_TIMEOUT" in answer, answer[:300]
    log = daemon.read_log()
    assert "ingest request idle: ended" in log and "MPE_RTMP_SESSION_IDLE_TIMEOUT" in log, log[-3000:]
    code, _, events = arm(daemon, "POST", "/liveEvents/stall/getStreamEvents")
    ends = [e for e in events["value"] if e["eventType"] == "StreamEvent/EndIngest"]
    assert [e["data"].get("resultCode") for e in ends] == ["MPE_RTMP_SESSION_IDLE_TIMEOUT"], events["value"]

    # The stream is free: an encoder reconnecting is taken at once.
    status, text = post(daemon, path, header + b"".join(fragments), chunked=True)
    assert status == 200, text
    preview = ev["properties"]["preview"]["endpoints"][0]["url"]
    hls = hls_media_playlists(preview + "(format=m3u8-cmaf)")
    assert sorted(k for _, k in hls) == ["audio", "video"], hls
