#!/usr/bin/env python3
"""`make bench`: figures, not tests. Run side by side on this machine, in one run:

1. CPU time per second of ingested 720p30 3 Mbps H.264 + AAC stream, pushed by ffmpeg at real time,
   for edgelive (RTMP in, CMAF live window, HLS/DASH origin) and for nginx with Debian's RTMP module
   (`hls on`, same stream), and the ratio.
2. Latency from a fragment's last byte arriving at ingest to that fragment being listed in the live
   playlist, as the daemon measures it (wall clock at the socket read of the fragment's last sample to
   the fragment entering the live window that playlists are rendered from). It includes the wait for
   the next keyframe, which is what proves the fragment complete (one frame interval, 33 ms at 30 fps).
3. Live encoding, software path: frames per second of the Default720p ladder (six libx264 rungs + AAC) made by
   edgelive's encoder (`edgelive worker bench`, the worker's engine without the pipe) and by the ffmpeg CLI
   encoding the same input into the same ladder with the same libx264 settings (one decode, split, scale,
   encode), both offline as fast as possible, and their ratio; per libx264 preset, and whether the machine
   holds the ladder in real time (30 fps with 15 % headroom).
4. Encoder -> player latency of a low-latency event (`scripts/bench_latency.py`, which also runs alone): LL-HLS with
   blocking reload, plain HLS polling and LL-DASH chunked transfer, median/p95 per frame, against the service's
   published 3-7 s.
5. Segment requests per second (`scripts/bench_segments.py`, which also runs alone): clear against encrypted (CENC,
   AES-128) for the same segment, and the origin against nginx serving the same bytes from a file.
"""
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_latency import bench_player_latency, print_rows as print_latency_rows  # noqa: E402
from bench_segments import bench_segments, print_rows as print_segment_rows  # noqa: E402

BIN = os.environ.get("EDGELIVE_BIN", ".build/release/edgelive")
SECONDS = int(os.environ.get("BENCH_SECONDS", "30"))
CLK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / CLK   # utime + stime
        except FileNotFoundError:
            pass
    return total


def children(pid):
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [int(p) for p in out]


def make_source(path):
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30",
                    "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000", "-t", str(SECONDS + 2),
                    "-c:v", "libx264", "-preset", "veryfast", "-g", "60", "-keyint_min", "60", "-sc_threshold", "0",
                    "-b:v", "3M", "-maxrate", "3M", "-bufsize", "3M", "-c:a", "aac", "-b:a", "128k", "-f", "flv", path],
                   check=True)


def push(src, url):
    return subprocess.Popen(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re", "-i", src,
                             "-t", str(SECONDS), "-c", "copy", "-f", "flv", url])


def measure(pids_fn, src, url):
    time.sleep(1)
    before = cpu_seconds(pids_fn())
    started = time.time()
    pusher = push(src, url)
    pusher.wait()
    elapsed = time.time() - started
    after = cpu_seconds(pids_fn())
    return (after - before) / elapsed, elapsed


def bench_edgelive(src, work, watch_latency):
    """CPU run (no viewer), or latency run: the daemon logs, per video fragment, the time from the
    arrival of the fragment's last sample at ingest to the fragment being listed (debug level)."""
    http_port, rtmp_port = free_port(), free_port()
    log_path = os.path.join(work, "edgelive-latency.log" if watch_latency else "edgelive.log")
    env = dict(os.environ, EDGELIVE_LOG_LEVEL="debug" if watch_latency else "info")
    with open(log_path, "w") as log:
        proc = subprocess.Popen([BIN, "serve", "--data-dir", os.path.join(work, "data-latency" if watch_latency else "data"),
                                 "--http-port", str(http_port), "--rtmp-port", str(rtmp_port), "--api-port", str(free_port()),
                                 "--public-host", "127.0.0.1"],
                                stdout=subprocess.PIPE, stderr=log, text=True, env=env)
        urls = {}
        while not {"ingest", "hls"} <= urls.keys():
            line = proc.stdout.readline()
            if not line:
                sys.exit("edgelive did not start")
            m = re.match(r"^(\w+)\s+(\S+)$", line.strip())
            if m:
                urls[m.group(1)] = m.group(2)
        cpu, elapsed = measure(lambda: [proc.pid], src, urls["ingest"])
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)
    with open(log_path) as f:
        latencies = [int(m) / 1e6 for m in re.findall(r"ingest_to_list_us=(\d+)", f.read())]
    return cpu, elapsed, latencies


def bench_nginx(src, work):
    rtmp_port, http_port = free_port(), free_port()
    hls = os.path.join(work, "hls")
    os.makedirs(hls, exist_ok=True)
    conf = os.path.join(work, "nginx.conf")
    module = "/usr/lib/nginx/modules/ngx_rtmp_module.so"
    with open(conf, "w") as f:
        f.write(f"""
load_module {module};
daemon off;
master_process on;
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log;
events {{ worker_connections 1024; }}
rtmp {{
  server {{
    listen 127.0.0.1:{rtmp_port};
    application live {{
      live on;
      hls on;
      hls_path {hls};
      hls_fragment 2s;
      hls_playlist_length 300s;
    }}
  }}
}}
http {{
  access_log off;
  server {{ listen 127.0.0.1:{http_port}; location / {{ root {work}; }} }}
}}
""")
    proc = subprocess.Popen(["nginx", "-c", conf, "-p", work], stderr=subprocess.DEVNULL)
    time.sleep(1.5)
    cpu, elapsed = measure(lambda: [proc.pid, *children(proc.pid)], src, f"rtmp://127.0.0.1:{rtmp_port}/live/stream")
    proc.send_signal(signal.SIGQUIT)
    proc.wait(timeout=15)
    return cpu, elapsed


# Default720p (spec §2.5): width, height, kbit/s.
LADDER_720P = [(1280, 720, 3500), (960, 540, 2200), (704, 396, 1350), (512, 288, 850), (384, 216, 550), (340, 192, 200)]
LADDER_SECONDS = int(os.environ.get("BENCH_LADDER_SECONDS", "20"))
X264_PRESETS = os.environ.get("BENCH_X264_PRESETS", "ultrafast,superfast,veryfast").split(",")


def ffmpeg_ladder_cmd(src, preset):
    """The same ladder with the ffmpeg CLI: one decode, split, scale each rung, libx264 with the settings edgelive's
    encoder uses (High profile, CBR-like VBV of 2x the rate, closed 2 s GOP, no scene cut, bilinear scaling),
    AAC-LC 128k stereo."""
    n = len(LADDER_720P)
    graph = f"[0:v]split={n}" + "".join(f"[s{i}]" for i in range(n)) + ";" + ";".join(
        f"[s{i}]scale={w}:{h}:flags=bilinear[o{i}]" for i, (w, h, _) in enumerate(LADDER_720P))
    cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-i", src, "-filter_complex", graph]
    for i, (_, _, kbps) in enumerate(LADDER_720P):
        cmd += ["-map", f"[o{i}]", f"-c:v:{i}", "libx264", f"-preset:v:{i}", preset, f"-profile:v:{i}", "high",
                f"-b:v:{i}", f"{kbps}k", f"-maxrate:v:{i}", f"{kbps}k", f"-bufsize:v:{i}", f"{2 * kbps}k",
                f"-g:v:{i}", "60", f"-keyint_min:v:{i}", "60", f"-forced-idr:v:{i}", "1",
                f"-x264-params:v:{i}", "scenecut=0:open-gop=0:force-cfr=1"]
    cmd += ["-map", "0:a", "-c:a", "aac", "-b:a", "128k", "-ac", "2", "-f", "null", "-"]
    return cmd


def bench_ladder(work):
    src = os.path.join(work, "contribution.flv")
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30",
                    "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000", "-t", str(LADDER_SECONDS),
                    "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high", "-g", "60", "-keyint_min", "60",
                    "-sc_threshold", "0", "-b:v", "4M", "-c:a", "aac", "-b:a", "128k", "-f", "flv", src], check=True)
    frames = LADDER_SECONDS * 30
    rows = []
    for preset in X264_PRESETS:
        out = subprocess.run([BIN, "worker", "bench", "--input", src, "--preset", "Default720p", "--x264-preset", preset],
                             capture_output=True, text=True, check=True).stdout
        ours = json.loads(out.strip().splitlines()[-1])
        start = time.monotonic()
        usage_before = os.times()
        subprocess.run(ffmpeg_ladder_cmd(src, preset), check=True)
        ff_wall = time.monotonic() - start
        usage_after = os.times()
        ff_cpu = (usage_after.children_user - usage_before.children_user) + (usage_after.children_system - usage_before.children_system)
        rows.append((preset, ours["fps"], ours["cpu_seconds"], frames / ff_wall, ff_cpu))
    return rows


def main():
    if not os.path.exists(BIN):
        sys.exit(f"{BIN} is missing: run `swift build -c release` first (make bench does)")
    work = tempfile.mkdtemp(prefix="edgelive-bench-")
    try:
        src = os.path.join(work, "source.flv")
        make_source(src)
        # CPU runs without any viewer and at info log level; the latency run logs at debug level.
        e_cpu, _, _ = bench_edgelive(src, work, watch_latency=False)
        n_cpu, _ = bench_nginx(src, work)
        _, _, lat = bench_edgelive(src, work, watch_latency=True)
        print(f"stream: 720p30 H.264 3 Mbps + AAC 128k, {SECONDS} s pushed at real time by ffmpeg (-c copy)")
        print(f"edgelive          CPU {e_cpu * 1000:7.1f} ms per second of stream")
        print(f"nginx-rtmp (hls)  CPU {n_cpu * 1000:7.1f} ms per second of stream")
        if n_cpu > 0:
            print(f"ratio edgelive / nginx-rtmp: {e_cpu / n_cpu:.2f}")
        if lat:
            lat_ms = sorted(x * 1000 for x in lat)
            p95 = lat_ms[min(len(lat_ms) - 1, int(len(lat_ms) * 0.95))]
            print(f"ingest -> playlist latency over {len(lat_ms)} video fragments: median {statistics.median(lat_ms):.1f} ms, "
                  f"p95 {p95:.1f} ms, max {lat_ms[-1]:.1f} ms")
        else:
            print("ingest -> playlist latency: no fragment observed")
        try:
            print_latency_rows(bench_player_latency(work))
        except Exception as e:  # noqa: BLE001 - the other figures still count
            print(f"encoder -> player latency: not measured ({e})")
        try:
            print_segment_rows(bench_segments(work))
        except Exception as e:  # noqa: BLE001 - the other figures still count
            print(f"segment requests per second: not measured ({e})")
        rows = bench_ladder(work)
        print(f"live encoding, Default720p ladder (6 libx264 rungs + AAC) from {LADDER_SECONDS} s of 720p30, offline, "
              f"{os.cpu_count()} cores:")
        for preset, fps, cpu, ff_fps, ff_cpu in rows:
            print(f"  x264 {preset:<9} edgelive {fps:6.1f} fps ({cpu:5.1f} s CPU)   ffmpeg CLI {ff_fps:6.1f} fps "
                  f"({ff_cpu:5.1f} s CPU)   ratio edgelive / ffmpeg: {fps / ff_fps:.2f}")
        realtime = [p for p, fps, _, _, _ in rows if fps >= 30 * 1.15]
        if realtime:
            print(f"  real time: this machine holds Default720p with libx264 '{realtime[-1]}' "
                  f"(the slowest preset measured with >= 15 % headroom over 30 fps)")
        else:
            print("  real time: no measured libx264 preset holds Default720p at 30 fps here; use a GPU profile or a smaller ladder")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
