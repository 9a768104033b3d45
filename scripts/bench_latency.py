#!/usr/bin/env python3
"""Encoder -> player latency of a low-latency live event (a section of `make bench`; runs alone too).

ffmpeg pushes a pre-encoded 720p30 H.264 + AAC stream (1 s GOP, the service's advice for low latency) with `-re`, so
the frame with decode time d leaves the encoder at (ffmpeg's start + d - d0). The channel's timeline is anchored at
the first keyframe, so a video sample whose canonical decode time is D left the encoder at
T0 + (D - D0), D0 being the first segment's start. Three Python "players" follow the live edge at the same time:

- LL-HLS: blocking playlist reload (`_HLS_msn`/`_HLS_part` for the next part), then every new part;
- HLS polling: reloads the same playlist every half target duration and fetches each new whole segment;
- LL-DASH: requests the segment in progress and reads it as it is streamed (chunked transfer), then the next one.

For every video frame a player receives, latency = (wall time the bytes holding it arrived) - (wall time the encoder
sent it). That is delivery latency; a playing client adds the hold-back it keeps from the live edge (LL-HLS
PART-HOLD-BACK, 3 target durations for plain HLS, the MPD's target latency for LL-DASH), shown as the playback
estimate. The published figures it compares to (spec/ams-live.md §14) are end-to-end, 3-7 s for LL-HLS.
"""
import http.client
import json
import os
import re
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

BIN = os.environ.get("EDGELIVE_BIN", ".build/release/edgelive")
PUSH_SECONDS = int(os.environ.get("BENCH_LATENCY_SECONDS", "45"))
WARMUP_SECONDS = 6
ARM = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/edgelive/providers/Microsoft.Media/mediaservices/edgelive"
TICKS = 10_000_000


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# MARK: - fMP4 reading (video samples' decode times)

def boxes(data, start=0, end=None):
    end = len(data) if end is None else end
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack(">I4s", data[pos:pos + 8])
        header = 8
        if size == 1:
            size = struct.unpack(">Q", data[pos + 8:pos + 16])[0]
            header = 16
        if size < header or pos + size > end:
            return
        yield kind.decode("latin-1"), pos + header, pos + size
        pos += size


def complete_length(data):
    """Bytes of `data` made of whole top-level boxes."""
    pos = 0
    for _, _, box_end in boxes(data):
        pos = box_end
    return pos


def sample_times(data, with_end=False):
    """Decode times (ticks) of every sample of every moof in `data` (and the end of the last one)."""
    times, end_time = [], None
    for kind, body, end in boxes(data):
        if kind != "moof":
            continue
        for kind2, traf, traf_end in boxes(data, body, end):
            if kind2 != "traf":
                continue
            base, durations = None, []
            for kind3, b, e in boxes(data, traf, traf_end):
                if kind3 == "tfdt":
                    version = data[b]
                    base = struct.unpack(">Q", data[b + 4:b + 12])[0] if version == 1 else struct.unpack(">I", data[b + 4:b + 8])[0]
                elif kind3 == "trun":
                    flags = int.from_bytes(data[b + 1:b + 4], "big")
                    count = struct.unpack(">I", data[b + 4:b + 8])[0]
                    pos = b + 8 + (4 if flags & 0x1 else 0) + (4 if flags & 0x4 else 0)
                    per = sum(4 for bit in (0x100, 0x200, 0x400, 0x800) if flags & bit)
                    for _ in range(count):
                        durations.append(struct.unpack(">I", data[pos:pos + 4])[0] if flags & 0x100 else 0)
                        pos += per
            t = base or 0
            for d in durations:
                times.append(t)
                t += d
            end_time = t
    return (times, end_time) if with_end else times


# MARK: - Daemon, event, push

def arm(api, token, method, path, body=None):
    url = f"{api}{ARM}{path}{'&' if '?' in path else '?'}api-version=2022-11-01"
    req = urllib.request.Request(url, data=json.dumps(body).encode() if body is not None else None, method=method)
    req.add_header("Authorization", f"Bearer {token}")
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"null")


def get(url, timeout=30):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read()


def make_source(path):
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30",
                    "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000", "-t", str(PUSH_SECONDS + 2),
                    "-c:v", "libx264", "-preset", "veryfast", "-g", "30", "-keyint_min", "30", "-sc_threshold", "0",
                    "-b:v", "3M", "-maxrate", "3M", "-bufsize", "3M", "-c:a", "aac", "-b:a", "128k", "-f", "flv", path],
                   check=True)


# MARK: - Players

class Player(threading.Thread):
    def __init__(self, name, stop):
        super().__init__(daemon=True)
        self.name, self.stop, self.arrivals, self.error = name, stop, [], None

    def record(self, data):
        now = time.time()
        self.arrivals += [(t, now) for t in sample_times(data)]

    def run(self):
        try:
            self.play()
        except Exception as e:  # noqa: BLE001 - reported with the figures
            if not self.stop.is_set():
                self.error = f"{type(e).__name__}: {e}"


def playlist_entries(text, base):
    """[(kind, url, msn, part index)] of the parts and segments of an LL-HLS playlist, in order."""
    msn = int(re.search(r"#EXT-X-MEDIA-SEQUENCE:(\d+)", text).group(1))
    skip = re.search(r"#EXT-X-SKIP:SKIPPED-SEGMENTS=(\d+)", text)
    msn += int(skip.group(1)) if skip else 0
    out, part = [], 0
    for line in text.splitlines():
        if line.startswith("#EXT-X-PART:"):
            out.append(("part", urllib.parse.urljoin(base, re.search(r'URI="([^"]+)"', line).group(1)), msn, part))
            part += 1
        elif line and not line.startswith("#"):
            out.append(("segment", urllib.parse.urljoin(base, line), msn, None))
            msn, part = msn + 1, 0
    return out


class LowLatencyHLSPlayer(Player):
    def __init__(self, playlist, stop):
        super().__init__("LL-HLS (blocking reload, parts)", stop)
        self.playlist = playlist

    def play(self):
        text = get(self.playlist).decode()
        entries = playlist_entries(text, self.playlist)
        parts = [e for e in entries if e[0] == "part"]
        # Join at the live edge: the newest part.
        _, url, msn, part = parts[-1]
        self.record(get(url))
        while not self.stop.is_set():
            want = (msn, part + 1)
            try:
                text = get(f"{self.playlist}?_HLS_msn={want[0]}&_HLS_part={want[1]}", timeout=15).decode()
            except urllib.error.HTTPError as e:
                if e.code == 503:
                    continue
                raise
            entries = playlist_entries(text, self.playlist)
            for kind, url, m, p in entries:
                if kind == "part" and (m, p) > (msn, part):
                    self.record(get(url))
                    msn, part = m, p
            # Once the segment being read has closed (its last parts were read above), the next is part 0 of msn + 1.
            if any(kind == "segment" and m == msn for kind, _, m, _ in entries):
                msn, part = msn + 1, -1


class PollingHLSPlayer(Player):
    def __init__(self, playlist, stop):
        super().__init__("HLS polling (whole segments)", stop)
        self.playlist = playlist

    def play(self):
        seen = None
        while not self.stop.is_set():
            text = get(self.playlist).decode()
            target = int(re.search(r"#EXT-X-TARGETDURATION:(\d+)", text).group(1))
            segments = [(u, m) for kind, u, m, _ in playlist_entries(text, self.playlist) if kind == "segment"]
            if seen is None:
                seen = segments[-1][1] - 1  # join at the newest segment
            for url, msn in segments:
                if msn > seen:
                    self.record(get(url))
                    seen = msn
            time.sleep(target / 2)


class ChunkedDASHPlayer(Player):
    def __init__(self, mpd, stop):
        super().__init__("LL-DASH (chunked segment in progress)", stop)
        self.mpd = mpd

    def play(self):
        text = get(self.mpd).decode()
        rep = re.search(r'<AdaptationSet[^>]*contentType="video".*?<Representation[^>]*bandwidth="(\d+)".*?'
                        r'media="([^"]+)".*?<SegmentTimeline>(.*?)</SegmentTimeline>', text, re.S)
        bandwidth, media, timeline = rep.group(1), rep.group(2).replace("&amp;", "&"), rep.group(3)
        t = None
        for s in re.finditer(r'<S (?:t="(\d+)" )?d="(\d+)"(?: r="(\d+)")?/>', timeline):
            if s.group(1):
                t = int(s.group(1))
            for _ in range(int(s.group(3) or 0) + 1):
                last = t
                t += int(s.group(2))
        start = last  # the newest listed segment (in progress when listed so)
        template = urllib.parse.urljoin(self.mpd, media.replace("$Bandwidth$", bandwidth))
        while not self.stop.is_set():
            url = urllib.parse.urlsplit(template.replace("$Time$", str(start)))
            conn = http.client.HTTPConnection(url.hostname, url.port, timeout=15)
            conn.request("GET", url.path)
            response = conn.getresponse()
            if response.status != 200:
                response.read()
                conn.close()
                time.sleep(0.1)
                continue
            buffer, end = b"", None
            while True:
                chunk = response.read1(65536)
                if not chunk:
                    break
                buffer += chunk
                whole = complete_length(buffer)
                if whole:
                    times, chunk_end = sample_times(buffer[:whole], with_end=True)
                    now = time.time()
                    self.arrivals += [(x, now) for x in times]
                    end = chunk_end or end
                    buffer = buffer[whole:]
            conn.close()
            # The next segment starts where this one ended (the origin holds a request for it until its first chunk).
            if end is None:
                time.sleep(0.1)
                continue
            start = end


def summary(latencies):
    ordered = sorted(latencies)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return statistics.median(ordered), p95, ordered[-1]


def bench_player_latency(work):
    """Runs the three players against one low-latency event; returns [(name, frames, median, p95, max, hold-back)]
    in seconds, or raises with the reason."""
    src = os.path.join(work, "source-1s-gop.flv")
    make_source(src)
    http_port, rtmp_port, api_port = free_port(), free_port(), free_port()
    data = os.path.join(work, "data-player-latency")
    log = open(os.path.join(work, "edgelive-player-latency.log"), "w")
    proc = subprocess.Popen([BIN, "serve", "--data-dir", data, "--http-port", str(http_port), "--rtmp-port", str(rtmp_port),
                             "--api-port", str(api_port), "--public-host", "127.0.0.1"],
                            stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        urls = {}
        while "api" not in urls:
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError("edgelive did not start")
            m = re.match(r"^(\w+)\s+(\S+)$", line.strip())
            if m:
                urls[m.group(1)] = m.group(2)
        token = open(os.path.join(data, "api-token")).read().strip()
        allow = {"ip": {"allow": [{"name": "all", "address": "0.0.0.0", "subnetPrefixLength": 0}]}}
        event = arm(urls["api"], token, "PUT", "/liveEvents/latency?autoStart=true", {
            "location": "local", "properties": {"input": {"streamingProtocol": "RTMP", "accessControl": allow},
                                                "preview": {"accessControl": allow}, "streamOptions": ["LowLatency"]}})
        for _ in range(100):
            if event["properties"].get("resourceState") == "Running":
                break
            time.sleep(0.3)
            event = arm(urls["api"], token, "GET", "/liveEvents/latency")
        ingest = event["properties"]["input"]["endpoints"][0]["url"] + "/cam"
        preview = event["properties"]["preview"]["endpoints"][0]["url"]

        started = time.time()
        pusher = subprocess.Popen(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re", "-i", src,
                                   "-t", str(PUSH_SECONDS), "-c", "copy", "-f", "flv", ingest])
        master_url = preview + "(format=m3u8-cmaf)"
        playlist = None
        while playlist is None and time.time() - started < 30:
            try:
                master = get(master_url).decode().splitlines()
                playlist = next(urllib.parse.urljoin(master_url, master[i + 1]) for i, line in enumerate(master)
                                if line.startswith("#EXT-X-STREAM-INF") and "RESOLUTION=" in line)
            except (urllib.error.HTTPError, StopIteration):
                time.sleep(0.2)
        if playlist is None:
            raise RuntimeError("the event never published a playlist")
        text = get(playlist).decode()
        first = playlist_entries(text, playlist)[0][1]
        origin_start = int(re.search(r"=(\d+),", first).group(1))  # decode time of the first keyframe
        part_hold_back = float(re.search(r"PART-HOLD-BACK=([\d.]+)", text).group(1))
        target = int(re.search(r"#EXT-X-TARGETDURATION:(\d+)", text).group(1))
        mpd = get(preview + "(format=mpd-time-cmaf)").decode()
        dash_target = int(re.search(r'<Latency[^>]*target="(\d+)"', mpd).group(1)) / 1000

        stop = threading.Event()
        players = [(LowLatencyHLSPlayer(playlist, stop), part_hold_back),
                   (PollingHLSPlayer(playlist, stop), 3 * target),
                   (ChunkedDASHPlayer(preview + "(format=mpd-time-cmaf)", stop), dash_target)]
        for player, _ in players:
            player.start()
        pusher.wait()
        stop.set()
        for player, _ in players:
            player.join(timeout=20)
        rows = []
        for player, hold_back in players:
            latencies = [arrived - (started + (t - origin_start) / TICKS) for t, arrived in player.arrivals
                         if (t - origin_start) / TICKS >= WARMUP_SECONDS]
            if not latencies:
                rows.append((player.name, 0, None, None, None, hold_back, player.error))
                continue
            rows.append((player.name, len(latencies), *summary(latencies), hold_back, player.error))
        return rows
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def print_rows(rows):
    print(f"encoder -> player latency, low-latency pass-through event (RTMP, 720p30 3 Mbps, 1 s GOP, 0.5 s parts), "
          f"{PUSH_SECONDS} s pushed at real time; frames after the first {WARMUP_SECONDS} s; service publishes 3-7 s (LL-HLS):")
    for name, frames, median, p95, worst, hold_back, error in rows:
        if not frames:
            print(f"  {name:<40} no frames received" + (f" ({error})" if error else ""))
            continue
        print(f"  {name:<40} {frames:5d} frames  arrival median {median:5.2f} s  p95 {p95:5.2f} s  max {worst:5.2f} s"
              f"   + hold-back {hold_back:.1f} s = playback ~{median + hold_back:4.1f} s" + (f"  [{error}]" if error else ""))


if __name__ == "__main__":
    if not os.path.exists(BIN):
        sys.exit(f"{BIN} is missing: run `swift build -c release` first (make bench does)")
    import shutil
    work = tempfile.mkdtemp(prefix="edgelive-latency-")
    try:
        print_rows(bench_player_latency(work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
