"""Every output format from the same canonical CMAF fragments, end to end.

ffmpeg pushes 12 s to the default live event once (a module-scoped daemon, started exactly as the `daemon` fixture
starts it, so every format below reads the same fragments); then, for each format, the manifest is fetched, every
segment it names is fetched, and the media is decoded frame by frame with ffprobe:

- HLS `m3u8-aapl` (v4, TS, separate audio rendition) and `m3u8-aapl-v3` (v3, TS, audio muxed): every TS segment
  decodes alone and all of them concatenated; continuity counters (every PID, PAT/PMT included), PCR spacing and
  PTS/DTS continuity are checked across segment boundaries by parsing the TS bytes here; I-frame playlists' key
  frames decode alone; ffprobe also plays the TS playlists as a real HLS client.
- HLS `m3u8-cmaf` I-frame playlists and `audio-only=false`; the `.m3u8` / `.mpd` suffix forms.
- DASH `mpd-time-csf` and `mpd-time-cmaf`: every segment of every representation, init prepended, decoded.
- Smooth (no format, Smooth 2.2 with `r`) and `fmp4-v20`: the XML parsed, every fragment fetched and checked for its
  `tfxd` time, the init segment prepended, decoded (Debian's ffmpeg has no Smooth client demuxer).
- A live output records the same push into an asset: every path `listPaths` returns plays while it records, and again
  on demand once the output is deleted.
"""
import os
import re
import struct
import subprocess
import time
import xml.etree.ElementTree as ET

import pytest

from conftest import Daemon, arm, ffmpeg_push, ffprobe_json, http_get, http_status, probe_url_frames, resolve

PUSH_SECONDS = 12
FPS = 30
GOP = 60
VIDEO_FRAMES = PUSH_SECONDS * FPS
AUDIO_FRAMES = PUSH_SECONDS * 48000 // 1024
MPD_NS = {"d": "urn:mpeg:dash:schema:mpd:2011"}
TFXD = bytes.fromhex("6D1D9B0542D544E680E2141DAFF757B2")
TFRF = bytes.fromhex("D4807EF2CA3946958E5426CB9E46A79F")
WRAP = 1 << 33


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """The daemon with 12 s pushed to its default live event; stops cleanly at the end (as the `daemon` fixture)."""
    d = Daemon(str(tmp_path_factory.mktemp("formats") / "data")).start()
    try:
        # A live output archives the push into an asset published by a clear streaming locator.
        assert arm(d, "PUT", "/assets/formats", {}, version="2023-01-01")[0] == 201
        assert arm(d, "PUT", "/liveEvents/default/liveOutputs/formats", {
            "properties": {"assetName": "formats", "archiveWindowLength": "PT5M", "manifestName": "show",
                           "hls": {"fragmentsPerTsSegment": 2}}})[0] == 201
        code, _, locator = arm(d, "PUT", "/streamingLocators/formats", {
            "properties": {"assetName": "formats", "streamingPolicyName": "Predefined_ClearStreamingOnly"}}, version="2023-01-01")
        assert code == 201, locator
        r = ffmpeg_push(d.ingest, PUSH_SECONDS)
        assert r.returncode == 0, r.stderr
        time.sleep(1)
        yield d
    finally:
        d.stop()
    assert d.proc.returncode == 0, f"edgelive did not exit cleanly: {d.proc.returncode}\n{d.read_log()[-3000:]}"


def manifest_url(daemon, options):
    base = daemon.urls["hls"].split("manifest(")[0]
    return base + ("manifest" if not options else f"manifest({options})")


def get_ok(url):
    status, headers, body = http_get(url)
    assert status == 200 and body, url
    return headers, body


# MARK: - Decoding with ffprobe

def probe_counts(path):
    """Frames decoded per stream type (`-count_frames`): {"video": n, "audio": n}."""
    info = ffprobe_json(["-count_frames", "-show_entries", "stream=codec_type,codec_name,nb_read_frames", path])
    return {s["codec_type"]: int(s.get("nb_read_frames", 0)) for s in info["streams"]}


def write(tmp_path, name, data):
    path = str(tmp_path / name)
    with open(path, "wb") as f:
        f.write(data)
    return path


# MARK: - MPEG-TS parsing

def ts_packets(data):
    assert len(data) % 188 == 0, f"{len(data)} bytes is not a whole number of TS packets"
    for at in range(0, len(data), 188):
        p = data[at:at + 188]
        assert p[0] == 0x47, f"no sync byte at {at}"
        pid = (p[1] & 0x1F) << 8 | p[2]
        control = p[3] >> 4 & 3
        index, pcr = 4, None
        if control & 2:
            length = p[4]
            if length and p[5] & 0x10:
                b = p[6:11]
                pcr = b[0] << 25 | b[1] << 17 | b[2] << 9 | b[3] << 1 | b[4] >> 7
            index += 1 + length
        yield pid, bool(p[1] & 0x40), p[3] & 0x0F, bool(control & 1), pcr, p[index:] if control & 1 else b""


def ts_timestamp(b):
    return (b[0] >> 1 & 7) << 30 | b[1] << 22 | (b[2] >> 1) << 15 | b[3] << 7 | b[4] >> 1


def pes_times(data):
    """{pid: [(pts, dts)]} of every PES start."""
    out = {}
    for pid, start, _, payload, _, body in ts_packets(data):
        if payload and start and body[:3] == b"\x00\x00\x01":
            flags = body[7] >> 6
            pts = ts_timestamp(body[9:14])
            dts = ts_timestamp(body[14:19]) if flags == 3 else pts
            out.setdefault(pid, []).append((pts, dts))
    return out


def unwrap(values):
    out, offset, last = [], 0, None
    for v in values:
        if last is not None and v + offset < last - WRAP // 2:
            offset += WRAP
        out.append(v + offset)
        last = v + offset
    return out


def check_ts_continuity(segments, what):
    """Across the segments as served one by one: every PID's continuity counter runs on (+1 per packet with payload,
    unchanged without), PCR grows by at most 100 ms, DTS grows and PTS leave no hole."""
    last, pcrs = {}, []
    for number, segment in enumerate(segments):
        for pid, _, counter, payload, pcr, _ in ts_packets(segment):
            if pid in last:
                expected = (last[pid] + 1) % 16 if payload else last[pid]
                assert counter == expected, f"{what}: segment {number}, PID {pid:#x}: counter {counter} after {last[pid]}"
            last[pid] = counter
            if pcr is not None:
                pcrs.append(pcr)
    pcrs = unwrap(pcrs)
    steps = [b - a for a, b in zip(pcrs, pcrs[1:])]
    assert pcrs and all(0 < s <= 9000 for s in steps), f"{what}: PCR steps {sorted(steps)[-3:]} (90 kHz)"
    times = pes_times(b"".join(segments))
    for pid, entries in times.items():
        dts = unwrap([d for _, d in entries])
        assert all(b > a for a, b in zip(dts, dts[1:])), f"{what}: PID {pid:#x} DTS not increasing"
        pts = sorted(unwrap([p for p, _ in entries]))
        limit = 3000 * 1.5 if pid == 0x100 else 9000   # 1.5 frames of video; one ~90 ms audio PES
        holes = [b - a for a, b in zip(pts, pts[1:]) if b - a > limit]
        assert not holes, f"{what}: PID {pid:#x} PTS holes {holes[:3]}"
    return last


# MARK: - HLS

def hls_master(url):
    _, body = get_ok(url)
    text = body.decode()
    assert text.startswith("#EXTM3U"), text[:200]
    lines = text.splitlines()
    variants, renditions, iframes = [], [], []
    for i, line in enumerate(lines):
        if line.startswith("#EXT-X-STREAM-INF:"):
            variants.append((resolve(url, lines[i + 1]), line))
        elif line.startswith("#EXT-X-MEDIA:"):
            renditions.append(resolve(url, re.search(r'URI="([^"]+)"', line).group(1)))
        elif line.startswith("#EXT-X-I-FRAME-STREAM-INF:"):
            iframes.append(resolve(url, re.search(r'URI="([^"]+)"', line).group(1)))
    return text, variants, renditions, iframes


def hls_media(url):
    _, body = get_ok(url)
    text = body.decode()
    init = re.search(r'#EXT-X-MAP:URI="([^"]+)"', text)
    segments = [resolve(url, line) for line in text.splitlines() if line and not line.startswith("#")]
    sequence = int(re.search(r"#EXT-X-MEDIA-SEQUENCE:(\d+)", text).group(1))
    return text, (resolve(url, init.group(1)) if init else None), segments, sequence


def check_ts_playlist(tmp_path, url, what, expect, minimum_segments=4):
    """Every segment alone and concatenated; continuity across boundaries; returns the frame counts."""
    text, init, segments, sequence = hls_media(url)
    assert init is None and len(segments) >= minimum_segments, text
    assert all(s.endswith(".ts") for s in segments)
    served = []
    live = "#EXT-X-ENDLIST" not in text
    first_counter = None
    for number, segment_url in enumerate(segments):
        headers, body = get_ok(segment_url)
        assert headers.get("Content-Type") == "video/mp2t"
        packets = list(ts_packets(body))
        # PAT and PMT open the segment, numbered with the segment's own sequence number, so the counters go on
        # across segment boundaries; live playlists number segments with it too (on demand they count from 0).
        assert [p[0] for p in packets[:2]] == [0, 0x1000], what
        if first_counter is None:
            first_counter = packets[0][2]
            assert not live or first_counter == sequence % 16, f"{what}: PAT counter of the first segment"
        assert packets[0][2] == (first_counter + number) % 16, f"{what}: PAT counter of segment {number}"
        counts = probe_counts(write(tmp_path, f"{what}-{number}.ts", body))
        for kind, minimum in expect.items():
            assert counts.get(kind, 0) >= minimum, f"{what}: segment {number} alone decodes {counts}"
        served.append(body)
    last = check_ts_continuity(served, what)
    assert all(counter == 15 for pid, counter in last.items() if pid not in (0, 0x1000)), last
    return probe_counts(write(tmp_path, f"{what}-all.ts", b"".join(served)))


@pytest.mark.parametrize("suffix", ["", ".m3u8"])
def test_hls_v4_ts_with_separate_audio(live, tmp_path, suffix):
    text, variants, renditions, iframes = hls_master(manifest_url(live, "format=m3u8-aapl") + suffix)
    assert "#EXT-X-VERSION:4" in text
    video = [u for u, line in variants if "RESOLUTION=" in line]
    audio_only = [u for u, line in variants if "RESOLUTION=" not in line]
    assert len(video) == 1 and len(renditions) == 1 and len(audio_only) == 1 and len(iframes) == 1, text
    counts = check_ts_playlist(tmp_path, video[0], "v4-video", {"video": 1})
    assert VIDEO_FRAMES - GOP <= counts["video"] <= VIDEO_FRAMES and "audio" not in counts, counts
    counts = check_ts_playlist(tmp_path, renditions[0], "v4-audio", {"audio": 1})
    assert AUDIO_FRAMES - 96 <= counts["audio"] <= AUDIO_FRAMES + 2 and "video" not in counts, counts
    check_iframes(tmp_path, iframes[0], "v4")


def test_hls_v3_ts_muxed(live, tmp_path):
    text, variants, renditions, iframes = hls_master(manifest_url(live, "format=m3u8-aapl-v3"))
    assert "#EXT-X-VERSION:3" in text and not renditions and not iframes, text
    video = [u for u, line in variants if "RESOLUTION=" in line]
    assert len(video) == 1 and 'CODECS="avc1.' in text and "mp4a.40.2" in text
    counts = check_ts_playlist(tmp_path, video[0], "v3-muxed", {"video": 1, "audio": 1})
    assert VIDEO_FRAMES - 2 * GOP <= counts["video"] <= VIDEO_FRAMES, counts
    assert AUDIO_FRAMES - 2 * 96 <= counts["audio"] <= AUDIO_FRAMES + 2, counts
    # audio-only=false removes the audio-only variant.
    _, variants, _, _ = hls_master(manifest_url(live, "format=m3u8-aapl-v3,audio-only=false"))
    assert all("RESOLUTION=" in line for _, line in variants) and len(variants) == 1


def check_iframes(tmp_path, url, what):
    text, init, segments, _ = hls_media(url)
    assert "#EXT-X-I-FRAMES-ONLY" in text and len(segments) >= 5, text
    init_bytes = get_ok(init)[1] if init else b""
    for number, segment_url in enumerate(segments):
        assert "KeyFrames(" in segment_url
        _, body = get_ok(segment_url)
        counts = probe_counts(write(tmp_path, f"{what}-key-{number}", init_bytes + body))
        assert counts == {"video": 1}, f"{what}: key frame {number} decodes {counts}"


def test_hls_cmaf_iframes_and_audio_only_false(live, tmp_path):
    text, variants, renditions, iframes = hls_master(manifest_url(live, "format=m3u8-cmaf,audio-only=false") + ".m3u8")
    assert len(variants) == 1 and len(renditions) == 1 and len(iframes) == 1, text
    check_iframes(tmp_path, iframes[0], "cmaf")


def test_hls_ts_playlists_play_in_ffprobe(live):
    """A real HLS client (libavformat) on the TS playlists: video and audio decode, v4 renditions and v3 muxing."""
    for options in ("format=m3u8-aapl", "format=m3u8-aapl-v3"):
        counts = probe_url_frames(manifest_url(live, options), extra=["-live_start_index", "0"], settle=4)
        assert counts.get("video", 0) >= VIDEO_FRAMES - 2 * GOP, (options, counts)
        assert counts.get("audio", 0) >= AUDIO_FRAMES - 2 * 96, (options, counts)


def test_ts_has_no_init_segment_and_unknown_times_are_404(live):
    _, _, segments, _ = hls_media(hls_master(manifest_url(live, "format=m3u8-aapl"))[1][0][0])
    base = segments[0].split("Fragments(")[0]
    status, text = http_status(base + "Fragments(video=i,format=m3u8-aapl)")
    assert status == 404 and "initialization" in text
    status, text = http_status(re.sub(r"=(\d+),", lambda m: f"={int(m.group(1)) + 1},", segments[0]))
    assert status == 404, text


# MARK: - DASH

def dash_tracks(url):
    _, body = get_ok(url)
    root = ET.fromstring(body)
    out = []
    for aset in root.iter("{urn:mpeg:dash:schema:mpd:2011}AdaptationSet"):
        for rep in aset.findall("d:Representation", MPD_NS):
            tmpl = rep.find("d:SegmentTemplate", MPD_NS)
            if tmpl is None:
                tmpl = aset.find("d:SegmentTemplate", MPD_NS)
            times, t = [], None
            for s in tmpl.find("d:SegmentTimeline", MPD_NS).findall("d:S", MPD_NS):
                t = int(s.get("t")) if s.get("t") is not None else t
                for _ in range(int(s.get("r", "0")) + 1):
                    times.append(t)
                    t += int(s.get("d"))
            bw = rep.get("bandwidth")
            media = tmpl.get("media").replace("$Bandwidth$", bw)
            out.append({"kind": aset.get("contentType"), "aset": aset, "rep": rep,
                        "init": resolve(url, tmpl.get("initialization").replace("$Bandwidth$", bw)),
                        "segments": [resolve(url, media.replace("$Time$", str(t))) for t in times]})
    return root, out


@pytest.mark.parametrize("fmt,suffix", [("mpd-time-csf", ""), ("mpd-time-csf", ".mpd"), ("mpd-time-cmaf", "")])
def test_dash(live, tmp_path, fmt, suffix):
    root, tracks = dash_tracks(manifest_url(live, f"format={fmt}") + suffix)
    profiles = root.get("profiles")
    if fmt == "mpd-time-csf":
        assert profiles == "urn:mpeg:dash:profile:isoff-live:2011"
        assert all(t["aset"].get("profiles") == "ccff" for t in tracks)
        assert all(re.fullmatch(r"\d+_[VA]_\w+_1", t["rep"].get("id")) for t in tracks)
    else:
        assert "cmaf:2019" in profiles
    assert sorted(t["kind"] for t in tracks) == ["audio", "video"]
    for track in tracks:
        assert all(f"format={fmt}" in s for s in track["segments"])
        data = get_ok(track["init"])[1] + b"".join(get_ok(s)[1] for s in track["segments"])
        counts = probe_counts(write(tmp_path, f"{fmt}-{track['kind']}.mp4", data))
        if track["kind"] == "video":
            assert VIDEO_FRAMES - GOP <= counts["video"] <= VIDEO_FRAMES, counts
        else:
            assert AUDIO_FRAMES - 96 <= counts["audio"] <= AUDIO_FRAMES + 2, counts


# MARK: - Smooth Streaming

def boxes(data, start=0, end=None):
    end = len(data) if end is None else end
    while start + 8 <= end:
        size, kind = struct.unpack(">I4s", data[start:start + 8])
        assert size >= 8 and start + size <= end, f"bad box at {start}"
        yield kind.decode("latin-1"), start, start + size
        start += size


def smooth_uuid_boxes(fragment):
    kinds = list(boxes(fragment))
    assert [k for k, _, _ in kinds] == ["moof", "mdat"], kinds
    _, moof_start, moof_end = kinds[0]
    traf = next((s, e) for k, s, e in boxes(fragment, moof_start + 8, moof_end) if k == "traf")
    return {fragment[s + 8:s + 24]: fragment[s + 24:e] for k, s, e in boxes(fragment, traf[0] + 8, traf[1]) if k == "uuid"}


@pytest.mark.parametrize("options", ["", "format=fmp4-v20"])
def test_smooth(live, tmp_path, options):
    _, body = get_ok(manifest_url(live, options))
    root = ET.fromstring(body)
    assert root.tag == "SmoothStreamingMedia" and root.get("TimeScale") == "10000000"
    assert root.get("MinorVersion") == ("0" if options else "2")
    assert root.get("IsLive") == "TRUE" and root.get("LookAheadFragmentCount") == "2"
    kinds = []
    for index in root.findall("StreamIndex"):
        name, url, kind = index.get("Name"), index.get("Url"), index.get("Type")
        kinds.append(kind)
        times, t = [], None
        for c in index.findall("c"):
            assert options == "" or c.get("r") is None, "fmp4-v20 has no repeat counts"
            t = int(c.get("t")) if c.get("t") is not None else t
            for _ in range(int(c.get("r", "1"))):      # Smooth's r counts chunks
                times.append(t)
                t += int(c.get("d"))
        assert int(index.get("Chunks")) == len(times) >= 5
        for level in index.findall("QualityLevel"):
            bitrate = level.get("Bitrate")
            assert level.get("CodecPrivateData")
            assert level.get("FourCC") == ("H264" if kind == "video" else "AACL")
            fragments = []
            for n, start in enumerate(times):
                fragment_url = resolve(manifest_url(live, ""), url.replace("{bitrate}", bitrate).replace("{start time}", str(start)))
                _, fragment = get_ok(fragment_url)
                uuids = smooth_uuid_boxes(fragment)
                version, absolute, duration = struct.unpack(">IQQ", uuids[TFXD])
                assert version >> 24 == 1 and absolute == start and duration > 0
                if n + 2 < len(times):
                    count = uuids[TFRF][4]
                    ahead = [struct.unpack(">QQ", uuids[TFRF][5 + 16 * i:21 + 16 * i])[0] for i in range(count)]
                    assert ahead == times[n + 1:n + 3], "tfrf announces the next two fragments"
                fragments.append(fragment)
            init = get_ok(resolve(manifest_url(live, ""), f"QualityLevels({bitrate})/Fragments({name}=i)"))[1]
            counts = probe_counts(write(tmp_path, f"smooth{options}-{kind}.mp4", init + b"".join(fragments)))
            if kind == "video":
                assert VIDEO_FRAMES - GOP <= counts["video"] <= VIDEO_FRAMES, counts
            else:
                assert AUDIO_FRAMES - 96 <= counts["audio"] <= AUDIO_FRAMES + 2, counts
    assert sorted(kinds) == ["audio", "video"]


# MARK: - listPaths, live then on demand

def check_listed_path(url, protocol, live):
    """The manifest a listPaths entry names plays: its first and last segments are served in that format."""
    _, body = get_ok(url)
    if protocol == "Hls":
        text, variants, renditions, _ = hls_master(url)
        assert "format=m3u8-aapl" in url and "#EXT-X-VERSION:4" in text
        served = []
        for media in [variants[0][0]] + renditions:
            playlist, _, segments, _ = hls_media(media)
            assert ("#EXT-X-ENDLIST" in playlist) != live, playlist
            served += [get_ok(segments[0])[1], get_ok(segments[-1])[1]]
        return served
    if protocol == "Dash":
        root, tracks = dash_tracks(url)
        assert root.get("type") == ("dynamic" if live else "static")
        assert root.get("profiles") == "urn:mpeg:dash:profile:isoff-live:2011"
        return [get_ok(t["init"])[1] + get_ok(t["segments"][0])[1] for t in tracks]
    root = ET.fromstring(body)
    assert root.tag == "SmoothStreamingMedia" and (root.get("IsLive") == "TRUE") == live
    index = root.find("StreamIndex")
    start = index.find("c").get("t")
    bitrate = index.find("QualityLevel").get("Bitrate")
    return [get_ok(resolve(url, index.get("Url").replace("{bitrate}", bitrate).replace("{start time}", start)))[1]]


def test_list_paths_play_while_recording_and_on_demand(live, tmp_path):
    code, _, body = arm(live, "POST", "/streamingLocators/formats/listPaths", version="2023-01-01")
    assert code == 200, body
    listed = {entry["streamingProtocol"]: entry["paths"] for entry in body["streamingPaths"]}
    assert sorted(listed) == ["Dash", "Hls", "SmoothStreaming"]
    for protocol, paths in listed.items():
        for path in paths:
            for segment in check_listed_path(live.origin + path, protocol, live=True):
                if protocol == "Hls":
                    list(ts_packets(segment))
    # Deleting the live output makes the asset on-demand content at the same URLs.
    code, _, _ = arm(live, "DELETE", "/liveEvents/default/liveOutputs/formats")
    assert code in (200, 202, 204)
    for protocol, paths in listed.items():
        for path in paths:
            check_listed_path(live.origin + path, protocol, live=False)
    hls = live.origin + listed["Hls"][0]
    _, variants, _, _ = hls_master(hls)
    # The live output's hls.fragmentsPerTsSegment (2) groups two 2 s fragments per TS segment of its asset.
    playlist, _, _, _ = hls_media(variants[0][0])
    durations = [float(line[8:].split(",")[0]) for line in playlist.splitlines() if line.startswith("#EXTINF:")]
    assert max(durations) > 3.5 and all(d <= 4.1 for d in durations), playlist
    counts = check_ts_playlist(tmp_path, variants[0][0], "vod-v4-video", {"video": 1}, minimum_segments=3)
    assert VIDEO_FRAMES - GOP <= counts["video"] <= VIDEO_FRAMES, counts
