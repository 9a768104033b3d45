"""Multi-bitrate pass-through: one encoder publishes three qualities (one RTMP stream name each) into one live event;
the manifests list every quality, each decodes, and unaligned keyframes are reported (UnalignedKeyFrames)."""
import subprocess
import time

from conftest import arm, count_frames_file, download_track, hls_media_playlists, http_get, parse_media_playlist, resolve

QUALITIES = [("640x360", "1200k"), ("480x270", "700k"), ("320x180", "300k")]
SECONDS = 12


def push_qualities(ingest_base, gops):
    """One ffmpeg process, one clock: the three qualities' timestamps match, as a hardware multi-bitrate encoder's do."""
    n = len(QUALITIES)
    graph = f"[0:v]split={n}" + "".join(f"[s{i}]" for i in range(n)) + ";" + ";".join(
        f"[s{i}]scale={size.replace('x', ':')}[v{i}]" for i, (size, _) in enumerate(QUALITIES))
    cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re",
           # Durations on the inputs: an output -t would end only the first of the three outputs.
           "-t", str(SECONDS), "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30",
           "-t", str(SECONDS), "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000",
           "-filter_complex", graph]
    for i, ((_, rate), gop) in enumerate(zip(QUALITIES, gops)):
        cmd += ["-map", f"[v{i}]", "-map", "1:a", "-c:v", "libx264", "-preset", "veryfast", "-g", str(gop),
                "-keyint_min", str(gop), "-sc_threshold", "0", "-b:v", rate, "-c:a", "aac", "-b:a", "128k",
                "-f", "flv", f"{ingest_base}/q{i + 1}"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=SECONDS + 60)


def unaligned_events(daemon):
    code, _, events = arm(daemon, "POST", "/liveEvents/default/getStreamEvents")
    assert code == 200, events
    return [e for e in events["value"] if e["eventType"] == "StreamEvent/UnalignedKeyFrames"]


def test_three_aligned_qualities_are_listed_and_play(daemon, tmp_path):
    base = daemon.ingest.rsplit("/", 1)[0]
    r = push_qualities(base, [60, 60, 60])
    assert r.returncode == 0, r.stderr
    time.sleep(1)
    tracks = hls_media_playlists(daemon.urls["hls"])
    assert sorted(k for _, k in tracks) == ["audio", "video", "video", "video"], tracks
    master = http_get(daemon.urls["hls"])[2].decode()
    for size, _ in QUALITIES:
        assert f"RESOLUTION={size}" in master, master
    for url, kind in tracks:
        init, segs, text = parse_media_playlist(url)
        path = download_track(init, [s for s, _, _ in segs], str(tmp_path / f"{kind}-{len(segs)}-{abs(hash(url))}.mp4"))
        frames, _ = count_frames_file(path)
        assert frames > (SECONDS - 3) * (30 if kind == "video" else 46), (url, frames)
    assert unaligned_events(daemon) == []


def test_a_quality_with_another_gop_is_reported_as_unaligned(daemon):
    base = daemon.ingest.rsplit("/", 1)[0]
    r = push_qualities(base, [60, 60, 50])
    assert r.returncode == 0, r.stderr
    events = unaligned_events(daemon)
    assert events, "no UnalignedKeyFrames stream event"
    assert all(e["eventLevel"] == "Warning" for e in events)
    assert any("q3" in (e["data"].get("streamName", "") + e["data"].get("resultMessage", "")) for e in events), events
    assert "unaligned keyframes" in daemon.read_log()
