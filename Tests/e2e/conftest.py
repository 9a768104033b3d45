"""End-to-end fixtures: the real edgelive binary, real encoders (ffmpeg, GStreamer), real players (ffprobe)."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest

BIN = os.environ.get("EDGELIVE_BIN", ".build/release/edgelive")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Daemon:
    """`edgelive serve` on free ports with its own data directory; parses the URLs it prints."""

    def __init__(self, data_dir, extra_args=(), expect=("api", "ingest", "hls", "dash"), ports=None):
        self.data_dir = data_dir
        self.http_port, self.rtmp_port, self.api_port = ports or (free_port(), free_port(), free_port())
        self.expect = set(expect)
        self.extra_args = list(extra_args)
        self.proc = None
        self.urls = {}
        self.log_path = data_dir.rstrip("/") + ".log"
        self.cwd = None   # where the daemon is started from (default: the tests' own directory)

    def start(self, timeout=30):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [os.path.abspath(BIN), "serve", "--data-dir", self.data_dir, "--http-port", str(self.http_port),
             "--rtmp-port", str(self.rtmp_port), "--api-port", str(self.api_port), "--public-host", "127.0.0.1",
             *self.extra_args],
            stdout=subprocess.PIPE, stderr=self.log, text=True, cwd=self.cwd)
        deadline = time.time() + timeout
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"edgelive exited early ({self.proc.poll()}); log: {self.read_log()[-3000:]}")
            m = re.match(r"^(\w+)\s+(\S+)$", line.strip())
            if m:
                self.urls[m.group(1)] = m.group(2)
            if self.expect <= self.urls.keys():
                return self
        raise RuntimeError("edgelive did not print its URLs in time")

    def read_log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    @property
    def ingest(self):
        return self.urls["ingest"]

    @property
    def api(self):
        return self.urls["api"]

    @property
    def token(self):
        with open(os.path.join(self.data_dir, "api-token")) as f:
            return f.read().strip()

    @property
    def origin(self):
        return f"http://127.0.0.1:{self.http_port}"

    def kill9(self):
        self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()
        self.log.close()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()
        if getattr(self, "log", None):
            self.log.close()


@pytest.fixture
def daemon(tmp_path):
    d = Daemon(str(tmp_path / "data")).start()
    yield d
    d.stop()
    assert d.proc.returncode == 0, f"edgelive did not exit cleanly: {d.proc.returncode}\n{d.read_log()[-3000:]}"


def ffmpeg_push_cmd(url, seconds, fps=30, size="1280x720", gop=60, bitrate="3M", realtime=True):
    """A synthetic H.264 High + AAC-LC stream, 2 s GOP, the way OBS would send it."""
    cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin"]
    if realtime:
        cmd += ["-re"]
    cmd += ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={fps}",
            "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000",
            "-t", str(seconds), "-map", "0:v", "-map", "1:a",
            "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high", "-pix_fmt", "yuv420p",
            "-g", str(gop), "-keyint_min", str(gop), "-sc_threshold", "0",
            "-b:v", bitrate, "-maxrate", bitrate, "-bufsize", bitrate,
            "-c:a", "aac", "-b:a", "128k", "-ac", "2", "-f", "flv", url]
    return cmd


def ffmpeg_push(url, seconds, **kw):
    return subprocess.run(ffmpeg_push_cmd(url, seconds, **kw), capture_output=True, text=True, timeout=seconds + 60)


def gst_push_cmd(url, seconds, fps=30, reference=None):
    """GStreamer publishing with rtmp2sink; with `reference`, the exact FLV it sent is also written there."""
    frames = seconds * fps
    audio_buffers = seconds * 48000 // 1024
    return ["gst-launch-1.0", "-q",
            "videotestsrc", "is-live=true", f"num-buffers={frames}", "pattern=smpte", "!",
            f"video/x-raw,width=1280,height=720,framerate={fps}/1", "!",
            "x264enc", "key-int-max=60", "bitrate=3000", "speed-preset=veryfast", "!", "h264parse", "!",
            "flvmux", "name=mux", "streamable=true", "!",
            *(["tee", "name=t", "!", "queue", "!", "rtmp2sink", f"location={url}",
               "t.", "!", "queue", "!", "filesink", f"location={reference}"] if reference
              else ["rtmp2sink", f"location={url}"]),
            "audiotestsrc", "is-live=true", f"num-buffers={audio_buffers}", "samplesperbuffer=1024", "!",
            "audio/x-raw,rate=48000,channels=2", "!", "voaacenc", "bitrate=128000", "!", "aacparse", "!", "mux."]


def http_get(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, dict(r.headers), r.read()


def http_status(url, timeout=10):
    """(status, body text) without raising on 4xx/5xx."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode(errors="replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


ARM = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/edgelive/providers/Microsoft.Media/mediaservices/edgelive"


def arm(daemon, method, path, body=None, version="2022-11-01", token=None, raw_query=""):
    """One raw API call; returns (status, headers, parsed JSON or None)."""
    sep = "&" if "?" in path else "?"
    url = f"{daemon.api}{ARM}{path}{sep}api-version={version}{raw_query}" if version else f"{daemon.api}{ARM}{path}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Authorization", f"Bearer {token if token is not None else daemon.token}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            text = r.read()
            return r.status, dict(r.headers), (json.loads(text) if text else None)
    except urllib.error.HTTPError as e:
        text = e.read()
        return e.code, dict(e.headers), (json.loads(text) if text else None)


def resolve(base, ref):
    return urllib.parse.urljoin(base, ref)


import urllib.parse  # noqa: E402


def hls_media_playlists(master_url):
    """Returns [(uri, kind)] for every media playlist the multivariant playlist names."""
    _, _, body = http_get(master_url)
    text = body.decode()
    assert text.startswith("#EXTM3U"), text[:200]
    out = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("#EXT-X-MEDIA:") and "URI=" in line:
            uri = re.search(r'URI="([^"]+)"', line).group(1)
            out.append((resolve(master_url, uri), "audio"))
        elif line.startswith("#EXT-X-STREAM-INF:") and "RESOLUTION=" in line:
            out.append((resolve(master_url, lines[i + 1].strip()), "video"))
    return out


def parse_media_playlist(url):
    """Returns (init_url, [(segment_url, duration, discontinuity_before)], text)."""
    _, _, body = http_get(url)
    text = body.decode()
    init = None
    segs = []
    disc = False
    dur = None
    for line in text.splitlines():
        if line.startswith("#EXT-X-MAP:"):
            init = resolve(url, re.search(r'URI="([^"]+)"', line).group(1))
        elif line.startswith("#EXT-X-DISCONTINUITY") and not line.startswith("#EXT-X-DISCONTINUITY-SEQUENCE"):
            disc = True
        elif line.startswith("#EXTINF:"):
            dur = float(line[8:].split(",")[0])
        elif line and not line.startswith("#"):
            segs.append((resolve(url, line), dur, disc))
            disc = False
    return init, segs, text


def download_track(init_url, segment_urls, path):
    with open(path, "wb") as f:
        f.write(http_get(init_url)[2])
        for u in segment_urls:
            f.write(http_get(u)[2])
    return path


def ffprobe_json(args, timeout=120):
    r = subprocess.run(["ffprobe", "-v", "error", "-of", "json", *args], capture_output=True, text=True,
                       timeout=timeout)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def count_frames_file(path):
    """Decodes every frame of a file; returns (frames decoded, packet pts list in seconds)."""
    info = ffprobe_json(["-count_frames", "-show_entries", "stream=codec_type,nb_read_frames", path])
    streams = info["streams"]
    assert len(streams) == 1
    pk = ffprobe_json(["-show_entries", "packet=pts_time,dts_time,duration_time", path])
    pts = [float(p["pts_time"]) for p in pk["packets"]]
    return int(streams[0]["nb_read_frames"]), pts


def probe_url_frames(url, extra=(), settle=6, limit=120):
    """Plays a live URL with ffprobe, decoding every frame, until no new frame arrives for `settle`
    seconds (a live presentation never ends by itself). Returns {codec_type: frames}."""
    cmd = ["ffprobe", "-v", "error", *extra, "-show_frames", "-show_entries", "frame=media_type,pts_time",
           "-of", "csv=p=0", url]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
    counts = {}
    last_change = time.time()
    start = time.time()
    import selectors
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    try:
        while time.time() - start < limit:
            if not sel.select(timeout=0.5):
                if time.time() - last_change > settle or proc.poll() is not None:
                    break
                continue
            line = proc.stdout.readline()
            if not line:
                break
            kind = line.split(",")[0].strip()
            if kind:
                counts[kind] = counts.get(kind, 0) + 1
                last_change = time.time()
    finally:
        proc.kill()
        proc.wait()
    return counts


def create_running_rtmp_event(daemon, name, stream_options):
    """An RTMP pass-through live event with open allow lists, created with autoStart and waited for until Running;
    returns its resource."""
    allow_all = {"ip": {"allow": [{"name": "all", "address": "0.0.0.0", "subnetPrefixLength": 0}]}}
    body = {"location": "local", "properties": {"input": {"streamingProtocol": "RTMP", "accessControl": allow_all},
                                                "preview": {"accessControl": allow_all},
                                                "streamOptions": stream_options}}
    code, _, event = arm(daemon, "PUT", f"/liveEvents/{name}?autoStart=true", body)
    assert code in (200, 201), event
    deadline = time.time() + 30
    while event["properties"].get("resourceState") != "Running" and time.time() < deadline:
        time.sleep(0.3)
        event = arm(daemon, "GET", f"/liveEvents/{name}")[2]
    assert event["properties"]["resourceState"] == "Running", event
    return event
