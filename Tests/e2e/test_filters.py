"""Dynamic filters end to end: account and asset filters made with the official SDK (azure-mgmt-media), applied by
`filter=` and by a locator's `filters`, on a three-quality pass-through recorded into an asset. Checked on every
manifest format and on what ffprobe decodes: track selections (Type, Bitrate ranges, FourCC, Name), firstQuality,
the presentation time range while live (liveBackoffDuration, presentationWindowDuration) and on demand
(startTimestamp/endTimestamp), combinations, and the refusals."""
import datetime
import re
import subprocess
import time
import xml.etree.ElementTree as ET

from azure.core.exceptions import HttpResponseError
from azure.mgmt.media.models import (AccountFilter, Asset, AssetFilter, FilterTrackPropertyCondition,
                                     FilterTrackSelection, FirstQuality, LiveOutput, PresentationTimeRange,
                                     StreamingLocator)

from conftest import count_frames_file, download_track, http_get, http_status, parse_media_playlist, resolve
from test_api_sdk import ACCOUNT, RG, new_event, sdk_client

QUALITIES = [("426x240", "800k", 800_000), ("320x180", "500k", 500_000), ("256x144", "250k", 250_000)]
SECONDS = 80
TICKS = 10_000_000
DASH_NS = "{urn:mpeg:dash:schema:mpd:2011}"


def push_qualities(ingest_base):
    """Three aligned qualities and one AAC track from one ffmpeg, faster than real time."""
    n = len(QUALITIES)
    graph = f"[0:v]split={n}" + "".join(f"[s{i}]" for i in range(n)) + ";" + ";".join(
        f"[s{i}]scale={size.replace('x', ':')}[v{i}]" for i, (size, _, _) in enumerate(QUALITIES))
    cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin",
           "-t", str(SECONDS), "-f", "lavfi", "-i", "testsrc2=size=426x240:rate=30",
           "-t", str(SECONDS), "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000",
           "-filter_complex", graph]
    for i, (_, rate, _) in enumerate(QUALITIES):
        cmd += ["-map", f"[v{i}]", "-map", "1:a", "-c:v", "libx264", "-preset", "ultrafast", "-g", "60",
                "-keyint_min", "60", "-sc_threshold", "0", "-b:v", rate, "-maxrate", rate, "-bufsize", rate,
                "-c:a", "aac", "-b:a", "128k", "-f", "flv", f"{ingest_base}/q{i + 1}"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=SECONDS + 120)


def condition(prop, value, op="Equal"):
    return FilterTrackPropertyCondition(property=prop, value=value, operation=op)


def hls_master(url):
    """[(bandwidth, resolution or None, uri)] of the variants, in order, and the audio renditions' names."""
    text = http_get(url)[2].decode()
    lines = text.splitlines()
    variants = []
    for i, line in enumerate(lines):
        if line.startswith("#EXT-X-STREAM-INF:"):
            bw = int(re.search(r"BANDWIDTH=(\d+)", line).group(1))
            res = re.search(r"RESOLUTION=(\d+x\d+)", line)
            variants.append((bw, res.group(1) if res else None, resolve(url, lines[i + 1].strip())))
    audio = re.findall(r'#EXT-X-MEDIA:TYPE=AUDIO.*?NAME="([^"]+)"', text)
    return variants, audio, text


def dash_representations(url):
    """{contentType: [(bandwidth, width)]} and the MPD root."""
    root = ET.fromstring(http_get(url)[2])
    out = {}
    for aset in root.iter(DASH_NS + "AdaptationSet"):
        kind = aset.get("contentType") or aset.get("mimeType", "").split("/")[0]
        for rep in aset.iter(DASH_NS + "Representation"):
            out.setdefault(kind, []).append((int(rep.get("bandwidth")), rep.get("width")))
    return out, root


def smooth_levels(url):
    """{Type: [Bitrate]} from a Smooth client manifest."""
    root = ET.fromstring(http_get(url)[2])
    return {si.get("Type"): sorted(int(q.get("Bitrate")) for q in si.iter("QualityLevel")) for si in root.iter("StreamIndex")}


def segment_times(playlist_url):
    """[(start ticks, end ticks)] of a CMAF media playlist, from its Fragments(name=<t>) URIs and EXTINF."""
    _, segs, _ = parse_media_playlist(playlist_url)
    out = []
    for url, dur, _ in segs:
        t = int(re.search(r"=(\d+),", url).group(1))
        out.append((t, t + round(dur * TICKS)))
    return out


def video_bitrates(variants):
    return sorted(res for _, res, _ in variants if res)


def test_filters_on_every_format_live_and_on_demand(daemon, tmp_path):
    client = sdk_client(daemon)
    event = client.live_events.begin_create(RG, ACCOUNT, "filtered", new_event(), auto_start=True).result(timeout=30)
    ingest = event.input.endpoints[0].url
    client.assets.create_or_update(RG, ACCOUNT, "program", Asset())
    client.live_outputs.begin_create(RG, ACCOUNT, "filtered", "out", LiveOutput(
        asset_name="program", archive_window_length=datetime.timedelta(minutes=10), manifest_name="show")).result(timeout=30)

    # Account filters: a device profile (video up to 600 kb/s, and the audio), a first quality, a live backoff and a
    # DVR window; asset filters: video only, and H.264 only by FourCC.
    client.account_filters.create_or_update(RG, ACCOUNT, "small", AccountFilter(tracks=[
        FilterTrackSelection(track_selections=[condition("Type", "Video"), condition("Bitrate", "0-600000")]),
        FilterTrackSelection(track_selections=[condition("Type", "Audio")])]))
    client.account_filters.create_or_update(RG, ACCOUNT, "first500", AccountFilter(first_quality=FirstQuality(bitrate=500_000)))
    client.account_filters.create_or_update(RG, ACCOUNT, "backoff", AccountFilter(
        presentation_time_range=PresentationTimeRange(live_backoff_duration=10 * TICKS, timescale=TICKS)))
    client.account_filters.create_or_update(RG, ACCOUNT, "window", AccountFilter(
        presentation_time_range=PresentationTimeRange(presentation_window_duration=60, timescale=1)))
    client.asset_filters.create_or_update(RG, ACCOUNT, "program", "videoonly", AssetFilter(tracks=[
        FilterTrackSelection(track_selections=[condition("Type", "audio", "NotEqual")])]))
    client.asset_filters.create_or_update(RG, ACCOUNT, "program", "avc", AssetFilter(tracks=[
        FilterTrackSelection(track_selections=[condition("FourCC", "avc1")])]))
    assert sorted(f.name for f in client.account_filters.list(RG, ACCOUNT)) == ["backoff", "first500", "small", "window"]
    assert sorted(f.name for f in client.asset_filters.list(RG, ACCOUNT, "program")) == ["avc", "videoonly"]
    try:
        client.account_filters.create_or_update(RG, ACCOUNT, "tiny", AccountFilter(
            presentation_time_range=PresentationTimeRange(presentation_window_duration=30 * TICKS)))
        raise AssertionError("a 30 s window was accepted")
    except HttpResponseError as e:
        assert e.status_code == 400 and "presentationWindowDuration" in str(e), e

    plain = client.streaming_locators.create(RG, ACCOUNT, "plain", StreamingLocator(
        asset_name="program", streaming_policy_name="Predefined_ClearStreamingOnly"))
    pinned = client.streaming_locators.create(RG, ACCOUNT, "pinned", StreamingLocator(
        asset_name="program", streaming_policy_name="Predefined_ClearStreamingOnly", filters=["videoonly"]))
    base = f"{daemon.origin}/{plain.streaming_locator_id}/show.ism"
    pinned_base = f"{daemon.origin}/{pinned.streaming_locator_id}/show.ism"

    r = push_qualities(ingest)
    assert r.returncode == 0, r.stderr
    time.sleep(1.5)

    # ---- Live (the output still records): backoff and window on the newest 80 s.
    variants, _, _ = hls_master(f"{base}/manifest(format=m3u8-cmaf)")
    assert video_bitrates(variants) == sorted(size for size, _, _ in QUALITIES), variants
    top = [u for _, res, u in variants if res == "426x240"][0]
    full = segment_times(top)
    edge = full[-1][1]
    assert edge - full[0][0] >= (SECONDS - 4) * TICKS, (full[0], full[-1])

    backoff_variants, _, _ = hls_master(f"{base}/manifest(format=m3u8-cmaf,filter=backoff)")
    backed = segment_times([u for _, res, u in backoff_variants if res == "426x240"][0])
    assert backed[-1][1] <= edge - 10 * TICKS, (backed[-1], edge)
    assert backed[-1][1] > edge - 14 * TICKS, (backed[-1], edge)
    assert backed[0] == full[0]

    window_variants, _, _ = hls_master(f"{base}/manifest(format=m3u8-cmaf,filter=window)")
    windowed = segment_times([u for _, res, u in window_variants if res == "426x240"][0])
    assert windowed[-1] == full[-1]
    assert edge - 62 * TICKS <= windowed[0][0] <= edge - 58 * TICKS, (windowed[0], edge)
    _, mpd = dash_representations(f"{base}/manifest(format=mpd-time-cmaf,filter=window)")
    assert mpd.get("type") == "dynamic" and mpd.get("timeShiftBufferDepth") in ("PT60S", "PT1M"), mpd.attrib

    both_variants, _, _ = hls_master(f"{base}/manifest(format=m3u8-cmaf,filter=window;backoff)")
    both = segment_times([u for _, res, u in both_variants if res == "426x240"][0])
    assert both[-1] == backed[-1] and both[0] == windowed[0], (both[0], both[-1])
    # A fragment past the live edge is not there yet: 412.
    ahead = re.sub(r"=\d+,", f"={edge + 20 * TICKS},", parse_media_playlist(top)[1][-1][0])
    assert http_status(ahead)[0] == 412

    # ---- On demand: stop recording; the asset is complete.
    client.live_outputs.begin_delete(RG, ACCOUNT, "filtered", "out").result(timeout=30)
    t0 = segment_times([u for _, res, u in hls_master(f"{base}/manifest(format=m3u8-cmaf)")[0] if res == "426x240"][0])[0][0]
    client.asset_filters.create_or_update(RG, ACCOUNT, "program", "middle", AssetFilter(
        presentation_time_range=PresentationTimeRange(start_timestamp=t0 + 20 * TICKS + TICKS // 2,
                                                      end_timestamp=t0 + 40 * TICKS, timescale=TICKS)))

    # Track selection, the same on every format.
    small_variants, small_audio, _ = hls_master(f"{base}/manifest(format=m3u8-aapl,filter=small)")
    assert video_bitrates(small_variants) == ["256x144", "320x180"], small_variants
    assert small_audio, "the audio selection was dropped"
    reps, _ = dash_representations(f"{base}/manifest(format=mpd-time-csf,filter=small)")
    assert sorted(w for _, w in reps["video"]) == ["256", "320"] and len(reps["audio"]) == 1, reps
    levels = smooth_levels(f"{base}/manifest(filter=small)")
    assert len(levels["video"]) == 2 and max(levels["video"]) < 700_000 and len(levels["audio"]) == 1, levels
    # FourCC: every video quality is avc1, the AAC track is not.
    avc, avc_audio, _ = hls_master(f"{base}/manifest(format=m3u8-cmaf,filter=avc)")
    assert len(video_bitrates(avc)) == 3 and not avc_audio, (avc, avc_audio)

    # firstQuality: the 500 kb/s quality is listed first.
    first, _, _ = hls_master(f"{base}/manifest(format=m3u8-cmaf,filter=first500)")
    assert first[0][1] == "320x180", first

    # Every segment of a filtered TS rendition decodes, all 80 s of it.
    low = [u for _, res, u in small_variants if res == "256x144"][0]
    init, segs, _ = parse_media_playlist(low)
    path = str(tmp_path / "small.ts")
    with open(path, "wb") as f:
        for url, _, _ in segs:
            f.write(http_get(url)[2])
    info = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v", "-show_entries",
                           "stream=nb_read_frames,width", "-of", "csv=p=0", path], capture_output=True, text=True)
    # ffprobe 5.1 prints a TS stream twice (under its program and alone).
    width, frames = info.stdout.strip().splitlines()[0].split(",")
    assert width == "256" and int(frames) >= (SECONDS - 2) * 30, info.stdout

    # The time range trims whole fragments (GOP accurate): 20.5 s → 40 s keeps the fragments from 20 s to 40 s.
    middle_variants, _, _ = hls_master(f"{base}/manifest(format=m3u8-cmaf,filter=middle)")
    middle_top = [u for _, res, u in middle_variants if res == "426x240"][0]
    trimmed = segment_times(middle_top)
    assert trimmed[0][0] == t0 + 20 * TICKS and trimmed[-1][1] == t0 + 40 * TICKS, (trimmed[0], trimmed[-1])
    init, segs, text = parse_media_playlist(middle_top)
    assert "#EXT-X-ENDLIST" in text
    frames, _ = count_frames_file(download_track(init, [s for s, _, _ in segs], str(tmp_path / "middle.mp4")))
    assert frames == 20 * 30, frames
    _, mpd = dash_representations(f"{base}/manifest(format=mpd-time-cmaf,filter=middle)")
    assert mpd.get("type") == "static" and mpd.get("mediaPresentationDuration") == "PT20S", mpd.attrib
    # Combined with a track filter: both apply.
    combo, combo_audio, _ = hls_master(f"{base}/manifest(format=m3u8-cmaf,filter=small;middle)")
    assert video_bitrates(combo) == ["256x144", "320x180"] and combo_audio
    assert segment_times([u for _, res, u in combo if res == "320x180"][0]) == trimmed

    # The pinned locator always drops audio, and adds what the URL asks for.
    pinned_variants, pinned_audio, _ = hls_master(f"{pinned_base}/manifest(format=m3u8-cmaf)")
    assert len(video_bitrates(pinned_variants)) == 3 and not pinned_audio, (pinned_variants, pinned_audio)
    reps, _ = dash_representations(f"{pinned_base}/manifest(format=mpd-time-cmaf,filter=small)")
    assert list(reps) == ["video"] and len(reps["video"]) == 2, reps

    # Refusals: an unknown filter name is a 404 naming it; a filter a locator uses cannot be deleted.
    status, body = http_status(f"{base}/manifest(format=m3u8-cmaf,filter=nosuch)")
    assert status == 404 and "nosuch" in body, (status, body)
    try:
        client.asset_filters.delete(RG, ACCOUNT, "program", "videoonly")
        raise AssertionError("a filter in use was deleted")
    except HttpResponseError as e:
        assert e.status_code == 400 and "pinned" in str(e), e
    client.streaming_locators.delete(RG, ACCOUNT, "pinned")
    client.asset_filters.delete(RG, ACCOUNT, "program", "videoonly")
