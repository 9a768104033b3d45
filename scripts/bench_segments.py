#!/usr/bin/env python3
"""Segment requests per second (`make bench`, also runs alone): what dynamic encryption costs, and the origin against
nginx serving the same bytes as a static file.

edgelive records 10 s of 720p30 3 Mbps H.264 + AAC into an asset published by three locators on the same fragments:
clear (Predefined_ClearStreamingOnly), AES-128 envelope (Predefined_ClearKey) and CENC (Predefined_MultiDrmCencStreaming).
wrk then asks for one and the same segment over and over (keep-alive connections, on this machine, side by side):

- the clear CMAF video segment (DASH), and the same segment under CENC;
- the clear MPEG-TS video segment (HLS v4), and the same segment under the AES-128 envelope;
- nginx serving the clear CMAF segment's bytes from a file (what a static origin costs).

Requests per second and the ratios are printed; encryption should cost little next to packaging itself.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

BIN = os.environ.get("EDGELIVE_BIN", ".build/release/edgelive")
DURATION = os.environ.get("BENCH_WRK_SECONDS", "8")
ARM = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/edgelive/providers/Microsoft.Media/mediaServices/edgelive"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api(base, token, method, path, body=None, version="2023-01-01"):
    request = urllib.request.Request(f"{base}{ARM}{path}?api-version={version}", method=method,
                                     data=json.dumps(body).encode() if body is not None else None)
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as r:
        text = r.read()
        return json.loads(text) if text else None


def get(url):
    with urllib.request.urlopen(url, timeout=15) as r:
        return r.read()


def wrk(url, connections=16):
    """Requests per second wrk sustains for `url` (two threads, keep-alive)."""
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{DURATION}s", url], capture_output=True, text=True,
                         timeout=int(DURATION) + 60).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if not m or errors:
        raise RuntimeError(f"wrk on {url}: {out[-500:]}")
    return float(m.group(1))


def first_segment(listing_url, pattern):
    text = get(listing_url).decode()
    return re.findall(pattern, text)


def start_edgelive(work):
    http_port = free_port()
    data = os.path.join(work, "segments-data")
    log = open(os.path.join(work, "segments.log"), "w")
    proc = subprocess.Popen([BIN, "serve", "--data-dir", data, "--http-port", str(http_port), "--rtmp-port", str(free_port()),
                             "--api-port", str(free_port()), "--public-host", "127.0.0.1"],
                            stdout=subprocess.PIPE, stderr=log, text=True)
    urls = {}
    while not {"api", "ingest"} <= urls.keys():
        line = proc.stdout.readline()
        if not line:
            sys.exit("edgelive did not start")
        m = re.match(r"^(\w+)\s+(\S+)$", line.strip())
        if m:
            urls[m.group(1)] = m.group(2)
    with open(os.path.join(data, "api-token")) as f:
        token = f.read().strip()
    return proc, f"http://127.0.0.1:{http_port}", urls, token


def bench_segments(work):
    proc, origin, urls, token = start_edgelive(work)
    nginx = None
    try:
        base = urls["api"]
        api(base, token, "PUT", "/contentKeyPolicies/open", {"properties": {"options": [{
            "name": "open", "configuration": {"@odata.type": "#Microsoft.Media.ContentKeyPolicyClearKeyConfiguration"},
            "restriction": {"@odata.type": "#Microsoft.Media.ContentKeyPolicyOpenRestriction"}}]}})
        api(base, token, "PUT", "/assets/bench", {})
        api(base, token, "PUT", "/liveEvents/default/liveOutputs/bench", {"properties": {
            "assetName": "bench", "archiveWindowLength": "PT5M", "manifestName": "bench"}}, version="2022-11-01")
        bases = {}
        for name, policy in [("clear", "Predefined_ClearStreamingOnly"), ("envelope", "Predefined_ClearKey"),
                             ("cenc", "Predefined_MultiDrmCencStreaming")]:
            locator = api(base, token, "PUT", f"/streamingLocators/{name}", {"properties": {
                "assetName": "bench", "streamingPolicyName": policy, "defaultContentKeyPolicyName": "open"}})
            bases[name] = f"{origin}/{locator['properties']['streamingLocatorId']}/bench.ism/"
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re",
                        "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30", "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000",
                        "-t", "10", "-c:v", "libx264", "-preset", "veryfast", "-g", "60", "-keyint_min", "60", "-sc_threshold", "0",
                        "-b:v", "3M", "-maxrate", "3M", "-bufsize", "3M", "-c:a", "aac", "-b:a", "128k", "-f", "flv", urls["ingest"]],
                       check=True, timeout=90)
        time.sleep(2)
        mpd = get(bases["clear"] + "manifest(format=mpd-time-cmaf)").decode()
        video_time = re.search(r'contentType="video".*?<S t="(\d+)"', mpd, re.S).group(1)
        rep = re.search(r'contentType="video".*?media="([^"]+)"', mpd, re.S).group(1)
        bandwidth = re.search(r'contentType="video".*?bandwidth="(\d+)"', mpd, re.S).group(1)
        cmaf_path = rep.replace("$Bandwidth$", bandwidth).replace("$Time$", video_time)
        playlist = bases["clear"] + f"QualityLevels({bandwidth})/Manifest(video,format=m3u8-aapl)"
        ts_path = [line for line in get(playlist).decode().splitlines() if line and not line.startswith("#")][0]
        cases = {
            "CMAF segment, clear": bases["clear"] + cmaf_path,
            "CMAF segment, CENC": bases["cenc"] + cmaf_path.replace("format=mpd-time-cmaf", "format=mpd-time-cmaf,encryption=cenc"),
            "TS segment, clear": bases["clear"] + f"QualityLevels({bandwidth})/" + ts_path,
            "TS segment, AES-128": bases["envelope"] + f"QualityLevels({bandwidth})/" + ts_path.replace("format=m3u8-aapl", "format=m3u8-aapl,encryption=cbc"),
        }
        sizes = {name: len(get(u)) for name, u in cases.items()}
        # nginx serves the clear CMAF segment's bytes from a file.
        static = os.path.join(work, "static")
        os.makedirs(static, exist_ok=True)
        os.chmod(work, 0o755)   # nginx's workers run unprivileged and must reach the file
        with open(os.path.join(static, "segment.mp4"), "wb") as f:
            f.write(get(cases["CMAF segment, clear"]))
        nginx_port = free_port()
        conf = os.path.join(work, "nginx-static.conf")
        with open(conf, "w") as f:
            f.write(f"""worker_processes 1;
daemon off;
pid {work}/nginx-static.pid;
error_log {work}/nginx-static-error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    server {{ listen 127.0.0.1:{nginx_port}; root {static}; }}
}}
""")
        nginx = subprocess.Popen(["nginx", "-c", conf, "-p", work], stderr=subprocess.DEVNULL)
        time.sleep(1)
        rows = [(name, sizes[name], wrk(u)) for name, u in cases.items()]
        rows.append(("CMAF segment, nginx static file", sizes["CMAF segment, clear"], wrk(f"http://127.0.0.1:{nginx_port}/segment.mp4")))
        return rows
    finally:
        if nginx:
            nginx.send_signal(signal.SIGQUIT)
            nginx.wait(timeout=10)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)


def print_rows(rows):
    by_name = {name: rps for name, _, rps in rows}
    print(f"segment requests per second (wrk, 2 threads, 16 keep-alive connections, {DURATION} s each, one segment):")
    for name, size, rps in rows:
        print(f"  {name:<34} {size / 1024:7.1f} KiB  {rps:9.1f} req/s")
    print(f"  ratio CENC / clear (CMAF):         {by_name['CMAF segment, CENC'] / by_name['CMAF segment, clear']:.2f}")
    print(f"  ratio AES-128 / clear (TS):        {by_name['TS segment, AES-128'] / by_name['TS segment, clear']:.2f}")
    print(f"  ratio edgelive / nginx static:     {by_name['CMAF segment, clear'] / by_name['CMAF segment, nginx static file']:.2f}")


def main():
    if not os.path.exists(BIN):
        sys.exit(f"{BIN} is missing: run `swift build -c release` first (make bench does)")
    work = tempfile.mkdtemp(prefix="edgelive-bench-segments-")
    try:
        print_rows(bench_segments(work))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
