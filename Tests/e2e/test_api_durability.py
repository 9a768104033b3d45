"""State and archives survive a daemon restart and a kill -9 in the middle of a stream."""
import re
import subprocess
import time

from conftest import (Daemon, arm, count_frames_file, download_track, ffmpeg_push, ffmpeg_push_cmd, hls_media_playlists,
                      http_status, parse_media_playlist)

ALLOW_ALL = {"ip": {"allow": [{"name": "all", "address": "0.0.0.0", "subnetPrefixLength": 0}]}}


def create_workflow(d, event="dur", asset="durasset", output="durout", locator="durloc"):
    code, _, body = arm(d, "PUT", f"/liveEvents/{event}?autoStart=true", {
        "location": "local",
        "properties": {"input": {"streamingProtocol": "RTMP", "accessControl": ALLOW_ALL},
                       "preview": {"accessControl": ALLOW_ALL}}})
    assert code == 201, body
    ingest = body["properties"]["input"]["endpoints"][0]["url"] + "/cam"
    assert arm(d, "PUT", f"/assets/{asset}", {"properties": {}}, version="2023-01-01")[0] == 201
    code, _, body = arm(d, "PUT", f"/liveEvents/{event}/liveOutputs/{output}", {
        "properties": {"assetName": asset, "archiveWindowLength": "PT30M", "manifestName": "prog"}})
    assert code == 201, body
    code, _, body = arm(d, "PUT", f"/streamingLocators/{locator}", {
        "properties": {"assetName": asset, "streamingPolicyName": "Predefined_ClearStreamingOnly"}}, version="2023-01-01")
    assert code == 201, body
    hls = f"{d.origin}/{body['properties']['streamingLocatorId']}/prog.ism/manifest(format=m3u8-cmaf)"
    return ingest, hls


def video_segments(hls):
    for url, kind in hls_media_playlists(hls):
        if kind == "video":
            return parse_media_playlist(url)
    raise AssertionError("no video playlist")


def settled_segments(hls, timeout=10):
    """The video segments once the listing stops changing: ffmpeg has exited, and the daemon closes the last fragment
    when it sees the connection end, a moment later."""
    listed, text, deadline = None, "", time.time() + timeout
    while time.time() < deadline:
        _, now, text = video_segments(hls)
        if now and now == listed:
            break
        listed = now
        time.sleep(0.5)
    return listed, text


def start_times(segments):
    return [int(re.search(r"Fragments\(\w+=(\d+)", u).group(1)) for u, _, _ in segments]


def test_restart_keeps_events_outputs_locators(tmp_path):
    data = str(tmp_path / "data")
    d = Daemon(data).start()
    try:
        ingest, hls = create_workflow(d)
        r = ffmpeg_push(ingest, 8)
        assert r.returncode == 0, r.stderr
        before, _ = settled_segments(hls)
        assert before
    finally:
        d.stop()
    assert d.proc.returncode == 0

    again = Daemon(data, ports=(d.http_port, d.rtmp_port, d.api_port)).start()
    try:
        code, _, event = arm(again, "GET", "/liveEvents/dur")
        assert code == 200 and event["properties"]["resourceState"] == "Running", event
        assert event["properties"]["input"]["endpoints"][0]["url"] + "/cam" == ingest, "ingest URL must be stable"
        code, _, outputs = arm(again, "GET", "/liveEvents/dur/liveOutputs")
        assert [o["name"] for o in outputs["value"]] == ["durout"]
        assert arm(again, "GET", "/streamingLocators/durloc", version="2023-01-01")[0] == 200
        # The archive from before the restart is still listed, and a new push on the same URL appends to it.
        _, after_restart, _ = video_segments(hls)
        assert start_times(after_restart) == start_times(before)
        r = ffmpeg_push(ingest, 6)
        assert r.returncode == 0, r.stderr
        after_push, text = settled_segments(hls)
        assert len(after_push) > len(before)
        assert "#EXT-X-DISCONTINUITY" in text
        assert start_times(after_push)[:len(before)] == start_times(before)
        # Finished: the asset becomes on-demand ...
        assert arm(again, "DELETE", "/liveEvents/dur/liveOutputs/durout")[0] in (200, 202)
    finally:
        again.stop()
    assert again.proc.returncode == 0

    # ... and still streams as VOD after another restart.
    third = Daemon(data, ports=(d.http_port, d.rtmp_port, d.api_port)).start()
    try:
        _, vod, text = video_segments(hls)
        assert "#EXT-X-ENDLIST" in text
        assert start_times(vod) == start_times(after_push)
        frames, _ = count_frames_file(download_track(*video_init_and_urls(hls), f"{data}-vod.mp4"))
        assert frames == len(vod) * 60
    finally:
        third.stop()
    assert third.proc.returncode == 0


def video_init_and_urls(hls):
    init, segments, _ = video_segments(hls)
    return init, [u for u, _, _ in segments]


def test_kill9_mid_stream_loses_at_most_the_fragment_in_flight(tmp_path):
    data = str(tmp_path / "data")
    d = Daemon(data).start()
    seconds = 30
    push = None
    try:
        ingest, hls = create_workflow(d)
        push = subprocess.Popen(ffmpeg_push_cmd(ingest, seconds), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(13)
        # Every fragment listed just before the kill was complete; all of them must come back.
        _, listed, _ = video_segments(hls)
        assert len(listed) >= 4, listed
        d.kill9()
    finally:
        if push:
            push.kill()
            push.wait()
    again = Daemon(data, ports=(d.http_port, d.rtmp_port, d.api_port)).start()
    try:
        _, recovered, _ = video_segments(hls)
        assert set(start_times(listed)) <= set(start_times(recovered)), "a committed fragment was lost"
        # The recovered asset becomes VOD and decodes.
        code, _, _ = arm(again, "DELETE", "/liveEvents/dur/liveOutputs/durout")
        assert code in (200, 202)
        for url, kind in hls_media_playlists(hls):
            init, segments, text = parse_media_playlist(url)
            assert "#EXT-X-ENDLIST" in text
            frames, pts = count_frames_file(download_track(init, [u for u, _, _ in segments], f"{data}-{kind}.mp4"))
            assert frames > 0
            if kind == "video":
                assert frames >= len(listed) * 60, (frames, len(listed))
    finally:
        again.stop()
    assert again.proc.returncode == 0
