"""Issue 19, "plays in every player people use": the interop matrix.

Clients (ffmpeg, GStreamer playbin and playbin3, streamlink, yt-dlp, headless Chromium) x formats (HLS-CMAF, HLS-TS v4
and v3, DASH CMAF and CSF, Smooth, LL-HLS, LL-DASH) x situations (live, live across an encoder reconnect, live from
20 s behind the edge in the DVR window, on demand). One daemon; four events pushed once each for the whole matrix
(640x360, 30 fps, 1 s GOP): `default` and `ll` (streamOptions LowLatency) push continuously, `recon` and `reconll`
push RECONNECT_PUSH seconds, stop, and push again on the same event, over and over. Every event has a live output
(rewind window) published by a locator: the matrix plays locator URLs, as viewers do; `default` and `ll` have a
second output, deleted before the on-demand cells, whose asset is the on-demand content.

A cell passes when its client decoded at least the cell's minimum of video frames:
- live, DVR, on demand: 3 s of video (90 frames);
- reconnect: more frames than one encoder session produces (RECONNECT_PUSH s + 1 s), so the client played across
  at least one discontinuity;
- DVR: the client starts 20 s behind the live edge: ffmpeg `-live_start_index -20` (HLS, 1 s segments), streamlink
  `--hls-start-offset 20` (HLS), Chromium's MSE player starts 20 s back (DASH; asserted at least 15 s behind); clients
  and formats with no start option (GStreamer, yt-dlp, DASH in ffmpeg and streamlink, Chromium's native HLS, which gives
  a live stream no seekable range) play a filter with `liveBackoffDuration` 20 s (`manifest(format=…,filter=dvr20)`).
Frames are counted by each client's own decoder: ffmpeg `-progress` frame=, GStreamer fakesink handoffs with the
sinks synchronised to the clock as a player's are (interop_gst_count.py, system Python with gi), streamlink and yt-dlp output decoded by ffprobe `-count_frames`,
Chromium's `getVideoPlaybackQuality().totalVideoFrames` from our MSE/native page (interop_player.html) over CDP.
Cells a client cannot play by design are EXCEPTIONS, with the reason. Two cells run at a time; every client has a
deadline and its process group is killed after it.

The matrix is printed (whatever pytest's capture) and written to .build/interop-matrix.txt.
"""
import concurrent.futures
import functools
import glob
import http.server
import json
import os
import sys
import re
import signal
import subprocess
import threading
import time
import urllib.parse
import urllib.request

import pytest

from conftest import Daemon, arm, create_running_rtmp_event, ffmpeg_push_cmd, free_port, http_status

HERE = os.path.dirname(os.path.abspath(__file__))
VENV_BIN = os.path.dirname(os.path.abspath(sys.executable))
FPS = 30
GOP = FPS                    # 1 s fragments: players start sooner and DVR/reconnect arithmetic is in whole seconds
MIN_FRAMES = 3 * FPS
RECONNECT_PUSH = 4           # seconds per encoder session on the reconnect events
RECONNECT_GAP = 1            # seconds between sessions
RECONNECT_MIN = (RECONNECT_PUSH + 1) * FPS
DVR_BEHIND = 20
VOD_SECONDS = 30             # length of the on-demand recordings
TICKS = 10_000_000
MATRIX_FILE = os.path.join(".build", "interop-matrix.txt")
ALLOW_ALL = {"ip": {"allow": [{"name": "all", "address": "0.0.0.0", "subnetPrefixLength": 0}]}}

CLIENTS = ["ffmpeg", "playbin", "playbin3", "streamlink", "yt-dlp", "chromium"]
# column -> (manifest format option or "" for Smooth, low-latency event?)
FORMATS = {
    "hls-cmaf": ("m3u8-cmaf", False),
    "hls-ts-v4": ("m3u8-aapl", False),
    "hls-ts-v3": ("m3u8-aapl-v3", False),
    "dash-cmaf": ("mpd-time-cmaf", False),
    "dash-csf": ("mpd-time-csf", False),
    "smooth": ("", False),
    "ll-hls": ("m3u8-cmaf", True),
    "ll-dash": ("mpd-time-cmaf", True),
}
SITUATIONS = ["live", "reconnect", "dvr", "vod"]

# Cells a client cannot play by design, whatever the origin does: (situations, client, column) -> reason.
ALL = tuple(SITUATIONS)
EXCEPTIONS = {
    (ALL, "ffmpeg", "smooth"): "libavformat has no Smooth Streaming client demuxer (`ffmpeg -demuxers`: dash, hls; "
                          "its ismv/smoothstreaming are muxers)",
    (ALL, "streamlink", "smooth"): "streamlink has no Smooth Streaming plugin (its generic stream types are HLS and DASH)",
    (ALL, "chromium", "smooth"): "no browser plays Smooth natively and a JavaScript Smooth player means npm or files "
                                 "from the internet; the page of our own is a DASH (MSE) player",
    (("live", "reconnect", "dvr"), "yt-dlp", "smooth"): "yt-dlp reads no live Smooth manifest: "
        "InfoExtractor._parse_ism_formats_and_subtitles returns no formats when IsLive is TRUE "
        "(yt_dlp/extractor/common.py, `if ism_doc.get('IsLive') == 'TRUE': return [], {}`); on demand it plays",
}

# Cells that fail because of a defect still open (ours, or a player's we have not worked around yet): played and
# printed like any cell, marked `known` in the table; such a cell that fails is reported as xfail, one that passes as a
# pass (the sign that a fix landed). Not exceptions: each is work left, listed in the README.
GST = ("playbin", "playbin3")
KNOWN_DEFECTS = {
    (ALL, ("playbin3",), ("smooth",)): "GStreamer 1.22's mssdemux2 (playbin3) reloads the Smooth manifest and seeks but "
        "never requests a fragment; cause not established (Smooth is asked of yt-dlp only in issue 19's matrix)",
    (("dvr", "vod"), ("playbin",), ("smooth",)): "GStreamer 1.22's mssdemux (playbin) renders no frame of on-demand or "
        "DVR-filtered Smooth (it plays live Smooth); suspected: Smooth's chunk times count from 1970 and the legacy "
        "demuxer's segment starts at 0, as HLS-CMAF did before its tfdt shift; not yet confirmed",
    (("reconnect",), GST, ("hls-cmaf", "ll-hls", "dash-cmaf", "dash-csf", "ll-dash")): "GStreamer 1.22 across an "
        "encoder reconnect: playbin's hlsdemux times segments by summing EXTINF from the first one it loaded, so after "
        "an encoder gap the tfdt-based buffer times run ahead of its clock; dashdemux/dashdemux2's stream_seek "
        "(1.21.2+) adds the first segment's start twice and mis-seeks after a gap in the SegmentTimeline; not yet "
        "worked around",
    (("dvr",), GST, ("dash-cmaf", "dash-csf", "ll-dash")): "GStreamer 1.22's dashdemux starts at the wall-clock live "
        "edge it computes from availabilityStartTime, not at the end of the backoff-filtered SegmentTimeline, and "
        "gst-launch has no start offset; not yet worked around (e.g. suggestedPresentationDelay with the backoff)",
}


def known_defect(situation, client, column):
    for (situations, clients, columns), reason in KNOWN_DEFECTS.items():
        if situation in situations and client in clients and column in columns:
            return reason
    return None


def exception(situation, client, column):
    """(number, reason) of the declared exception covering the cell, or None."""
    for n, ((situations, c, col), reason) in enumerate(EXCEPTIONS.items()):
        if c == client and col == column and situation in situations:
            return n + 1, reason
    return None


def is_hls(column):
    return FORMATS[column][0].startswith("m3u8")


def is_dash(column):
    return FORMATS[column][0].startswith("mpd")


# MARK: - The channels

def create_event(daemon, name, stream_options):
    event = create_running_rtmp_event(daemon, name, stream_options)
    return event["properties"]["input"]["endpoints"][0]["url"] + "/cam"


def publish_output(daemon, event, output):
    """A live output with a 5 min rewind window into asset `output`, and a clear locator: the manifest base URL."""
    code, _, body = arm(daemon, "PUT", f"/assets/{output}", {}, version="2023-01-01")
    assert code in (200, 201), body
    code, _, body = arm(daemon, "PUT", f"/liveEvents/{event}/liveOutputs/{output}", {"properties": {
        "assetName": output, "archiveWindowLength": "PT10M", "rewindWindowLength": "PT5M", "manifestName": output}})
    assert code in (200, 201), body
    code, _, body = arm(daemon, "PUT", f"/streamingLocators/{output}", {"properties": {
        "assetName": output, "streamingPolicyName": "Predefined_ClearStreamingOnly"}}, version="2023-01-01")
    assert code == 201, body
    return f"{daemon.origin}/{body['properties']['streamingLocatorId']}/{output}.ism/manifest"


def push_cmd(ingest, seconds):
    return ffmpeg_push_cmd(ingest, seconds, fps=FPS, gop=GOP, size="640x360", bitrate="1M")


class ReconnectingEncoder:
    """Pushes RECONNECT_PUSH seconds, hangs up, waits RECONNECT_GAP seconds and connects again, until stopped."""

    def __init__(self, ingest):
        self.ingest, self.stopped, self.sessions = ingest, threading.Event(), 0
        self.proc = None
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stopped.is_set():
            self.proc = subprocess.Popen(push_cmd(self.ingest, RECONNECT_PUSH), stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)
            self.proc.wait()
            self.sessions += 1
            self.stopped.wait(RECONNECT_GAP)

    def stop(self):
        self.stopped.set()
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
        self.thread.join(timeout=RECONNECT_PUSH + 5)


def wait_playable(url, timeout=40):
    """Until the video media playlist of `url` (an HLS manifest) lists at least 4 segments."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        code, text = http_status(url)
        if code == 200:
            variant = next((line for line in text.splitlines() if line and not line.startswith("#")), None)
            if variant:
                code, media = http_status(urllib.parse.urljoin(url, variant))
                last = media[-300:]
                if code == 200 and media.count("#EXTINF") >= 4:
                    return
        time.sleep(0.5)
    raise AssertionError(f"{url} never listed 4 segments: {last}")


# MARK: - Running clients

def run_bounded(cmd, timeout, on_line=None, env=None):
    """Runs `cmd` in its own process group; `on_line(line)` returning True stops it early. After `timeout` seconds the
    group is killed. Returns (stdout text, stderr tail, seconds)."""
    started = time.time()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1,
                            start_new_session=True, env=env)
    out, err = [], []
    stderr_reader = threading.Thread(target=lambda: err.extend(proc.stderr), daemon=True)
    stderr_reader.start()
    timer = threading.Timer(timeout, lambda: kill_group(proc))
    timer.start()
    try:
        for line in proc.stdout:
            out.append(line)
            if on_line and on_line(line):
                break
    finally:
        timer.cancel()
        kill_group(proc, signal.SIGINT)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            kill_group(proc)
            proc.wait()
        stderr_reader.join(timeout=2)
    return "".join(out), "".join(err)[-1500:], time.time() - started


def kill_group(proc, sig=signal.SIGKILL):
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass


def count_video_frames(path):
    """Video frames ffprobe decodes from a downloaded file (0 when there is none)."""
    if not path or not os.path.exists(path) or os.path.getsize(path) == 0:
        return 0, "no output file"
    r = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_frames", "-show_entries",
                        "stream=nb_read_frames", "-of", "csv=p=0", path], capture_output=True, text=True, timeout=60)
    counts = [int(n) for n in re.findall(r"^(\d+)", r.stdout, re.M)]
    return (max(counts), "") if counts else (0, (r.stdout + r.stderr)[-300:])


class Cell:
    def __init__(self, situation, client, column):
        self.situation, self.client, self.column = situation, client, column
        self.frames, self.ok, self.detail, self.seconds, self.url, self.retried = 0, False, "", 0.0, "", None

    @property
    def key(self):
        return f"{self.situation}-{self.client}-{self.column}"


class Matrix:
    def __init__(self, tmp, daemon, bases, chromium):
        self.tmp, self.daemon, self.bases, self.chromium = tmp, daemon, bases, chromium

    def manifest(self, cell, extra=""):
        option, low_latency = FORMATS[cell.column]
        base = self.bases[(cell.situation, low_latency)]
        options = ",".join(o for o in (f"format={option}" if option else "", extra) if o)
        return base + (f"({options})" if options else "")

    def minimum(self, cell):
        return RECONNECT_MIN if cell.situation == "reconnect" else MIN_FRAMES

    def deadline(self, cell):
        return {"live": 10, "reconnect": 18, "dvr": 10, "vod": 10}[cell.situation]

    def run(self, cell):
        started = time.time()
        try:
            getattr(self, "play_" + cell.client.replace("-", "_"))(cell)
        except Exception as e:  # a client that crashed is a failed cell, with the reason
            cell.detail = f"{type(e).__name__}: {e}"[:500]
        cell.seconds = time.time() - started
        cell.ok = cell.ok and cell.frames >= self.minimum(cell)
        if not cell.ok and not cell.detail:
            cell.detail = f"{cell.frames} frames < {self.minimum(cell)}"
        return cell

    # ffmpeg: libavformat's HLS / DASH demuxers, decoded to the null muxer; -progress reports frame=.
    def play_ffmpeg(self, cell):
        dvr = cell.situation == "dvr"
        start = ["-live_start_index", f"-{DVR_BEHIND}"] if dvr and is_hls(cell.column) else []
        cell.url = self.manifest(cell, "filter=dvr20" if dvr and not start else "")
        minimum = self.minimum(cell)
        frames = [0]

        def progress(line):
            if line.startswith("frame="):
                frames[0] = int(line.split("=")[1])
            return frames[0] >= minimum

        _, err, _ = run_bounded(["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-progress", "pipe:1",
                                 "-stats_period", "0.25", *start, "-i", cell.url, "-map", "0:v:0", "-f", "null", "-"],
                                self.deadline(cell), progress)
        cell.frames, cell.ok = frames[0], True
        cell.detail = "" if frames[0] >= minimum else err.strip()[-300:]

    # GStreamer: playbin / playbin3 with fakesinks, counted from Python (system python3-gi).
    def play_gst(self, cell, element):
        cell.url = self.manifest(cell, "filter=dvr20" if cell.situation == "dvr" else "")
        out, err, _ = run_bounded(["/usr/bin/python3", os.path.join(HERE, "interop_gst_count.py"), element, cell.url,
                                   str(self.minimum(cell)), str(self.deadline(cell) - 3)], self.deadline(cell))
        result = json.loads(out.strip().splitlines()[-1]) if out.strip() else {"frames": 0, "error": err[-300:]}
        cell.frames, cell.ok = result["frames"], True
        cell.detail = result.get("error") or ""

    def play_playbin(self, cell):
        self.play_gst(cell, "playbin")

    def play_playbin3(self, cell):
        self.play_gst(cell, "playbin3")

    # streamlink: the suffix form (its HLS/DASH plugins match URLs ending in .m3u8 / .mpd), written to a file.
    def play_streamlink(self, cell):
        dvr = cell.situation == "dvr"
        options = []
        if dvr and is_hls(cell.column):
            options = ["--hls-start-offset", str(DVR_BEHIND)]
        cell.url = self.manifest(cell, "filter=dvr20" if dvr and not options else "")
        cell.url += ".m3u8" if is_hls(cell.column) else ".mpd"
        content = (RECONNECT_PUSH + 4) if cell.situation == "reconnect" else 5
        path = os.path.join(self.tmp, cell.key + ".ts")
        out, err, _ = run_bounded([os.path.join(VENV_BIN, "streamlink"), "--loglevel", "warning", "--force",
                                 "--stream-segmented-duration", str(content), *options, "-o", path, cell.url, "best"],
                                self.deadline(cell))
        cell.frames, probe = count_video_frames(path)
        cell.ok = True
        cell.detail = "" if cell.frames >= self.minimum(cell) else (out + err).strip()[-300:] or probe

    # yt-dlp: its generic extractor; live through its ffmpeg downloader (what it asks for live HLS), bounded by -t.
    def play_yt_dlp(self, cell):
        live = cell.situation != "vod"
        cell.url = self.manifest(cell, "filter=dvr20" if cell.situation == "dvr" else "")
        content = (RECONNECT_PUSH + 4) if cell.situation == "reconnect" else 5
        options = ["--downloader", "ffmpeg", "--hls-use-mpegts", "--downloader-args", f"ffmpeg_o:-t {content}"] if live else []
        out_dir = os.path.join(self.tmp, cell.key)
        os.makedirs(out_dir, exist_ok=True)
        _, err, _ = run_bounded([os.path.join(VENV_BIN, "yt-dlp"), "--no-progress", "--no-part", "--no-cache-dir",
                                 "-f", "bv*", *options, "-o", os.path.join(out_dir, "out.%(ext)s"), cell.url],
                                self.deadline(cell))
        files = sorted(glob.glob(os.path.join(out_dir, "out.*")), key=os.path.getsize)
        cell.frames, probe = count_video_frames(files[-1] if files else None)
        cell.ok = True
        cell.detail = "" if cell.frames >= self.minimum(cell) else (err.strip() or probe)[-300:]

    # Chromium: native HLS in <video>, DASH through the MSE player of interop_player.html; driven over CDP.
    # Chromium's native HLS player gives a live stream no seekable range (duration Infinity, video.seekable empty), so
    # it cannot seek back: its DVR cells play the backoff filter. The MSE page starts DASH 20 s back itself.
    def play_chromium(self, cell):
        dvr = cell.situation == "dvr"
        mode = "hls" if is_hls(cell.column) else "dash"
        cell.url = self.manifest(cell, "filter=dvr20" if dvr and mode == "hls" else "")
        behind = DVR_BEHIND if dvr and mode == "dash" else 0
        result = self.chromium.play(mode, cell.url, behind, self.minimum(cell), self.deadline(cell))
        # Chromium's native HLS player now and then refuses a live TS playlist at load (MEDIA_ERR_SRC_NOT_SUPPORTED
        # or a demuxer parse error before the first frame) and plays it when asked again: one retry, marked ok* in
        # the table so it stays visible.
        if mode == "hls" and not result.get("frames") and "video error 4" in (result.get("error") or ""):
            cell.retried = result.get("error")
            result = self.chromium.play(mode, cell.url, behind, self.minimum(cell), self.deadline(cell))
        cell.frames, cell.ok = int(result.get("frames") or 0), True
        cell.detail = result.get("error") or ""
        if behind and cell.frames >= self.minimum(cell):
            lag = result.get("behind")
            if lag is None or lag < DVR_BEHIND - 5:
                cell.ok, cell.detail = False, f"played {lag} s behind the live edge, not ~{DVR_BEHIND} s"
        if not cell.ok or cell.frames < self.minimum(cell):
            cell.detail = (cell.detail + " " + " | ".join(result.get("log", [])[-6:]))[:500]


# MARK: - Chromium over the DevTools protocol

class Chromium:
    """One headless Chromium for the whole matrix; each cell opens its own tab with its own CDP connection."""

    def __init__(self, tmp, page_origin):
        self.page_origin = page_origin
        self.port = free_port()
        self.proc = subprocess.Popen(
            ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--mute-audio", "--no-first-run",
             "--autoplay-policy=no-user-gesture-required", f"--remote-debugging-port={self.port}",
             # Two cells play at once, so one tab is in the background: keep its muted (video-only) media playing
             # and its timers running.
             "--disable-background-media-suspend", "--disable-renderer-backgrounding",
             "--disable-background-timer-throttling", "--disable-backgrounding-occluded-windows",
             "--disable-features=BackgroundVideoPauseOptimization,BackgroundVideoTrackOptimization",
             "--remote-allow-origins=*", f"--user-data-dir={tmp}/chromium", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json/version", timeout=2) as r:
                    info = json.loads(r.read())
                    self.version, self.browser_ws = info["Browser"], info["webSocketDebuggerUrl"]
                    return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError("chromium did not open its DevTools port")

    def play(self, mode, url, behind, minimum, timeout):
        from websockets.sync.client import connect
        page = f"{self.page_origin}/interop_player.html?" + urllib.parse.urlencode(
            {"mode": mode, "url": url, "behind": behind})
        # Each cell in a window of its own: a second tab of one window would be hidden, and Chromium pauses hidden
        # muted video.
        with connect(self.browser_ws, max_size=None, open_timeout=10) as browser:
            browser.send(json.dumps({"id": 1, "method": "Target.createTarget", "params": {"url": page, "newWindow": True}}))
            while True:
                message = json.loads(browser.recv(timeout=10))
                if message.get("id") == 1:
                    break
        target = {"id": message["result"]["targetId"]}
        result = {"frames": 0, "error": "no result", "log": []}
        try:
            with connect(f"ws://127.0.0.1:{self.port}/devtools/page/{target['id']}", max_size=None, open_timeout=10) as ws:
                deadline = time.time() + timeout
                ident = 0
                while time.time() < deadline:
                    ident += 1
                    ws.send(json.dumps({"id": ident, "method": "Runtime.evaluate", "params": {
                        "expression": "JSON.stringify(window.matrixResult || null)", "returnByValue": True}}))
                    while True:
                        message = json.loads(ws.recv(timeout=10))
                        if message.get("id") == ident:
                            break
                    value = message.get("result", {}).get("result", {}).get("value")
                    if value and value != "null":
                        result = json.loads(value)
                        if result.get("error") or result.get("frames", 0) >= minimum:
                            break
                    time.sleep(0.5)
        finally:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json/close/{target['id']}", timeout=5).read()
            except OSError:
                pass
        return result

    def stop(self):
        kill_group(self.proc, signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            kill_group(self.proc)
            self.proc.wait()


def serve_page():
    """The player page over HTTP from this directory (a file:// page may not fetch http:// media)."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=HERE))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# MARK: - Versions and the table

def versions(chromium):
    def first_line(cmd):
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
            return (r.stdout or r.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired) as e:
            return f"? ({e})"
    return {
        "ffmpeg": first_line(["ffmpeg", "-version"]),
        "GStreamer": first_line(["gst-launch-1.0", "--version"]).replace("gst-launch-1.0 version", "").strip() or "?",
        "streamlink": first_line([os.path.join(VENV_BIN, "streamlink"), "--version"]),
        "yt-dlp": first_line([os.path.join(VENV_BIN, "yt-dlp"), "--version"]),
        "chromium": chromium.version if chromium else first_line(["chromium", "--version"]),
    }


def render(cells, seconds, client_versions, phase_seconds):
    by_key = {(c.situation, c.client, c.column): c for c in cells}
    notes = {}
    width = 11
    lines = [f"edgelive interop matrix — a cell is the video frames the client decoded "
             f"(minimum {MIN_FRAMES}; reconnect {RECONNECT_MIN}); FAIL = fewer; x<n> = declared exception <n>; ok* = on a retry",
             "versions: " + "; ".join(f"{k} {v}" for k, v in client_versions.items())]
    for situation in SITUATIONS:
        lines += ["", f"[{situation}]".ljust(12) + "".join(c.ljust(width) for c in FORMATS)]
        for client in CLIENTS:
            row = client.ljust(12)
            for column in FORMATS:
                if exception(situation, client, column):
                    text = f"x{exception(situation, client, column)[0]}"
                else:
                    c = by_key.get((situation, client, column))
                    text = "-" if c is None else (f"ok{'*' if c.retried else ''} {c.frames}" if c.ok else
                                                  f"{'known' if known_defect(situation, client, column) else 'FAIL'} {c.frames}")
                row += text.ljust(width)
            lines.append(row.rstrip())
    lines += ["", "exceptions:"]
    lines += [f"  x{i + 1} {client} x {column} ({', '.join(situations) if situations != ALL else 'every situation'}): {reason}"
              for i, ((situations, client, column), reason) in enumerate(EXCEPTIONS.items())]
    retried = [c for c in cells if c.retried]
    if retried:
        lines += ["", "ok* = passed when asked a second time; the first time:"]
        lines += [f"  {c.key}: {c.retried[:200]}" for c in retried]
    lines += ["", "known defects (expected to fail until fixed):"]
    lines += [f"  {', '.join(clients)} x {', '.join(columns)} ({', '.join(situations) if situations != ALL else 'every situation'}): {reason}"
              for (situations, clients, columns), reason in KNOWN_DEFECTS.items()]
    failed = [c for c in cells if not c.ok]
    if failed:
        lines += ["", "failures:"]
        lines += [f"  {c.key}: {c.url}\n      {c.detail.strip()}" for c in failed]
    lines += ["", "URL forms: locator manifest URLs http://HOST:8080/<locator>/<name>.ism/manifest(format=…); streamlink "
              "the .m3u8/.mpd suffix form; DVR cells without a client start option add filter=dvr20 "
              f"(liveBackoffDuration {DVR_BEHIND} s)",
              f"{len(cells)} cells in {seconds:.0f} s (" + ", ".join(f"{k} {v:.0f} s" for k, v in phase_seconds.items())
              + "; the rest is set-up: events, pushes, the DVR window filling)",
              "slowest cells: " + ", ".join(f"{c.key} {c.seconds:.0f} s" for c in sorted(cells, key=lambda c: -c.seconds)[:5])]
    return "\n".join(lines) + "\n"


# MARK: - The matrix, run once for the module

def all_cells():
    return [(s, client, column) for s in SITUATIONS for client in CLIENTS for column in FORMATS]


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    began = time.time()
    tmp = str(tmp_path_factory.mktemp("interop"))
    daemon = Daemon(os.path.join(tmp, "data")).start()
    pushes, encoders, chromium, page_server = [], [], None, None
    try:
        ingest = {"default": re.sub(r"/[^/]+$", "/cam", daemon.ingest)}
        for name, options in (("ll", ["LowLatency"]), ("recon", ["Default"]), ("reconll", ["LowLatency"])):
            ingest[name] = create_event(daemon, name, options)
        bases = {}
        for situation, event, low_latency in (("live", "default", False), ("live", "ll", True),
                                              ("reconnect", "recon", False), ("reconnect", "reconll", True)):
            bases[(situation, low_latency)] = publish_output(daemon, event, f"{event}-live")
            if situation == "live":
                bases[("dvr", low_latency)] = bases[(situation, low_latency)]
                bases[("vod", low_latency)] = publish_output(daemon, event, f"{event}-vod")
        code, _, body = arm(daemon, "PUT", "/accountFilters/dvr20", {"properties": {
            "presentationTimeRange": {"liveBackoffDuration": DVR_BEHIND * TICKS, "timescale": TICKS}}})
        assert code in (200, 201), body
        for name in ("default", "ll"):
            pushes.append(subprocess.Popen(push_cmd(ingest[name], 3600), stdout=subprocess.DEVNULL,
                                           stderr=subprocess.DEVNULL, start_new_session=True))
        pushed = time.time()
        encoders = [ReconnectingEncoder(ingest["recon"]), ReconnectingEncoder(ingest["reconll"])]
        page_server = serve_page()
        chromium = Chromium(tmp, f"http://127.0.0.1:{page_server.server_address[1]}")
        for (situation, _), base in bases.items():
            if situation != "vod":
                wait_playable(base + "(format=m3u8-cmaf)")
        client_versions = versions(chromium)

        matrix = Matrix(tmp, daemon, bases, chromium)
        cells = []

        def run_phase(situation):
            todo = [Cell(s, client, column) for s, client, column in all_cells()
                    if s == situation and not exception(s, client, column)]
            phase_started = time.time()
            with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
                cells.extend(pool.map(matrix.run, todo))
            phase_seconds[situation] = time.time() - phase_started

        # The on-demand assets: what the second outputs record in their first VOD_SECONDS.
        deleted = []

        def end_recordings():
            for event in ("default", "ll"):
                deleted.append(arm(daemon, "DELETE", f"/liveEvents/{event}/liveOutputs/{event}-vod")[0])
        recording = threading.Timer(max(0.0, VOD_SECONDS - (time.time() - pushed)), end_recordings)
        recording.start()
        phase_seconds = {}
        run_phase("live")
        recording.join()
        assert all(code in (200, 202, 204) for code in deleted) and len(deleted) == 2, deleted
        run_phase("reconnect")
        # The DVR window must hold DVR_BEHIND seconds and more by now.
        while time.time() - began < DVR_BEHIND + 15:
            time.sleep(1)
        run_phase("dvr")
        run_phase("vod")
        seconds = time.time() - began
        text = render(cells, seconds, client_versions, phase_seconds)
        os.makedirs(os.path.dirname(MATRIX_FILE), exist_ok=True)
        with open(MATRIX_FILE, "w") as f:
            f.write(text)
        yield {(c.situation, c.client, c.column): c for c in cells}, text
    finally:
        for encoder in encoders:
            encoder.stop()
        for push in pushes:
            kill_group(push)
            push.wait()
        if chromium:
            chromium.stop()
        if page_server:
            page_server.shutdown()
        daemon.stop()
    assert daemon.proc.returncode == 0, f"edgelive did not exit cleanly: {daemon.proc.returncode}\n{daemon.read_log()[-3000:]}"


def test_matrix_table(matrix, capsys):
    """Prints the matrix, pytest capture or not (it is also in .build/interop-matrix.txt)."""
    cells, text = matrix
    with capsys.disabled():
        print("\n" + text)
    # Every cell was played or declared an exception, and the table shows each situation and client.
    assert set(cells) == {c for c in all_cells() if not exception(*c)}
    for situation in SITUATIONS:
        assert f"[{situation}]" in text
    assert all(re.search(rf"(?m)^{client}\s", text) for client in CLIENTS), text


@pytest.mark.parametrize("situation,client,column", all_cells(), ids=lambda v: v)
def test_cell(matrix, situation, client, column):
    if exception(situation, client, column):
        pytest.skip(f"declared exception: {exception(situation, client, column)[1]}")
    cell = matrix[0][(situation, client, column)]
    if known_defect(situation, client, column) and not cell.ok:
        pytest.xfail(f"known defect: {known_defect(situation, client, column)}")
    assert cell.ok, f"{cell.key}: {cell.frames} frames (minimum {MIN_FRAMES if situation != 'reconnect' else RECONNECT_MIN}) " \
                    f"from {cell.url}: {cell.detail}"
