#!/usr/bin/env python3
"""Makes the fuzz seed corpora in Tests/Fuzz/corpus/<target>/ from real tools (issue 17).

    scripts/make-fuzz-corpus.py [OUTPUT_DIR]      (default Tests/Fuzz/corpus)

- rtmp_session: the first bytes an ffmpeg and a GStreamer (rtmp2sink) RTMP push send, recorded by a minimal RTMP
  server here that answers the handshake, connect, createStream and publish so the encoder goes on to media.
- flv_tags: audio and video tag bodies of an `ffmpeg -f flv` file (H.264, AAC), plus an enhanced RTMP HEVC sequence
  start and coded frame made from an `ffmpeg -c:v libx265` MP4's hvcC and first sample; first byte 0 video, 1 audio.
- amf0: the onMetaData script tag of that FLV file and the AMF0 commands of the recorded pushes.
- fmp4_ingest: `ffmpeg -f ismv` (Smooth, with the live server manifest box) and CMAF (`-movflags cmaf`) streams.
- dash_mpd: the MPD of an `ffmpeg -f dash` run (dynamic, while live; static, at the end).
- origin_url, odata_filter: URLs and filters used by the unit tests.
- arm_json: the swagger examples' request and response bodies beside the checkout (../shared/spec), and small bodies
  of the other resource types; first byte the type (see Tests/Fuzz/arm_json.swift).
- archive_index: an archive track's recovery input as the target reads it: the track JSON line, then file names as
  the archive writes them (10 s fragments from 2024-01-01, a discontinuity, a temporary file, a stranger).
- http_head: what curl (a GET with a range, a PUT with a JSON body) and an ffmpeg Smooth push (a chunked POST)
  send to an HTTP server, recorded.
- config_file: the README's example configuration file, and a small one that sets every port.
- worker_protocol: frames of each message type, the codec record taken from the FLV file's sequence header.
- cpix_xml: a CPIX document as `edgelive locator keys --cpix` writes it (test keys, not secrets), and one in another
  writer's style (default namespace, CRLF, a comment, CDATA, character references).

Seeds are cut to at most 64 KiB. Needs ffmpeg (libx264, libx265, aac) and gst-launch-1.0 (rtmp2sink).
"""
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading

MAX_SEED = 64 * 1024
OUT = sys.argv[1] if len(sys.argv) > 1 else "Tests/Fuzz/corpus"


def write(target, name, data):
    os.makedirs(os.path.join(OUT, target), exist_ok=True)
    with open(os.path.join(OUT, target, name), "wb") as f:
        f.write(data[:MAX_SEED])


def ffmpeg(*args):
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


LAVFI = ["-f", "lavfi", "-i", "testsrc=size=96x64:rate=10", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"]
X264 = ["-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-b:v", "40k", "-pix_fmt", "yuv420p"]
AAC = ["-c:a", "aac", "-b:a", "32k"]

# MARK: - AMF0 (only what the fake server sends)


def amf0(value):
    if isinstance(value, bool):
        return b"\x01" + bytes([value])
    if isinstance(value, (int, float)):
        return b"\x00" + struct.pack(">d", value)
    if isinstance(value, str):
        raw = value.encode()
        return b"\x02" + struct.pack(">H", len(raw)) + raw
    if value is None:
        return b"\x05"
    if isinstance(value, dict):
        body = b"".join(struct.pack(">H", len(k)) + k.encode() + amf0(v) for k, v in value.items())
        return b"\x03" + body + b"\x00\x00\x09"
    raise TypeError(value)


def message(csid, type_id, stream_id, payload):
    """One RTMP message in type-0 chunks of 128 bytes."""
    head = bytes([csid]) + struct.pack(">I", 0)[1:] + struct.pack(">I", len(payload))[1:] + bytes([type_id]) \
        + struct.pack("<I", stream_id)
    chunks = [payload[i:i + 128] for i in range(0, len(payload), 128)] or [b""]
    return head + chunks[0] + b"".join(bytes([0xC0 | csid]) + c for c in chunks[1:])


def command(stream_id, *values):
    return message(3, 20, stream_id, b"".join(amf0(v) for v in values))


# MARK: - A recording RTMP server


def record_push(name, start_push, limit=24 * 1024):
    """Accepts one RTMP push, answers it far enough for media to flow, returns the first `limit` bytes received."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    received = bytearray()

    def serve():
        conn, _ = server.accept()
        conn.settimeout(10)
        try:
            while len(received) < 1537:
                received.extend(conn.recv(65536))
            conn.sendall(b"\x03" + bytes(1536) + bytes(received[1:1537]))
            answered = set()
            while len(received) < limit:
                data = conn.recv(65536)
                if not data:
                    break
                received.extend(data)
                # Answer each command once, with its own transaction id, as soon as it is seen.
                for name in ("connect", "createStream", "publish"):
                    marker = b"\x02" + struct.pack(">H", len(name)) + name.encode() + b"\x00"
                    at = received.find(marker, 3073)
                    if name in answered or at < 0 or at + len(marker) + 8 > len(received):
                        continue
                    answered.add(name)
                    txn = struct.unpack(">d", received[at + len(marker):at + len(marker) + 8])[0]
                    if name == "connect":
                        conn.sendall(
                            message(2, 5, 0, struct.pack(">I", 2_500_000))
                            + message(2, 6, 0, struct.pack(">IB", 2_500_000, 2))
                            + command(0, "_result", txn, {"fmsVer": "FMS/3,0,1,123", "capabilities": 31},
                                      {"level": "status", "code": "NetConnection.Connect.Success",
                                       "description": "Connection succeeded.", "objectEncoding": 0}))
                    elif name == "createStream":
                        conn.sendall(command(0, "_result", txn, None, 1))
                    else:
                        conn.sendall(command(1, "onStatus", 0, None, {"level": "status",
                                                                      "code": "NetStream.Publish.Start",
                                                                      "description": "publishing"}))
        except OSError:
            pass
        finally:
            conn.close()

    thread = threading.Thread(target=serve)
    thread.start()
    process = start_push(f"rtmp://127.0.0.1:{port}/live/token123")
    thread.join(30)
    process.kill()
    process.wait()
    server.close()
    write("rtmp_session", name, bytes(received))
    return bytes(received)


def record_http(name, client, limit=8 * 1024):
    """Records the first `limit` bytes an HTTP client sends; answers nothing until it has them (or 5 s passed)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    process = subprocess.Popen(client(f"http://127.0.0.1:{port}"), stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    conn, _ = server.accept()
    conn.settimeout(5)
    received = bytearray()
    try:
        while len(received) < limit:
            data = conn.recv(65536)
            if not data:
                break
            received.extend(data)
    except OSError:
        pass
    conn.close()
    server.close()
    process.kill()
    process.wait()
    write("http_head", name, bytes(received[:limit]))


def ffmpeg_push(url):
    return subprocess.Popen(["ffmpeg", "-hide_banner", "-loglevel", "quiet", "-re", *LAVFI, "-t", "5", *X264, *AAC,
                             "-f", "flv", url + "/stream"], stdin=subprocess.DEVNULL)


def gstreamer_push(url):
    pipeline = (f"videotestsrc is-live=true ! video/x-raw,width=96,height=64,framerate=10/1 ! "
                f"x264enc tune=zerolatency key-int-max=10 bitrate=40 ! h264parse ! flvmux name=mux streamable=true "
                f"! rtmp2sink location={url}/gst "
                f"audiotestsrc is-live=true ! audioconvert ! avenc_aac ! aacparse ! mux.")
    return subprocess.Popen(["gst-launch-1.0", "-q", *pipeline.split()], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# MARK: - FLV and MP4 boxes


def flv_tags(data):
    """(type, body) of each tag of an FLV file."""
    offset = struct.unpack(">I", data[5:9])[0] + 4
    while offset + 11 <= len(data):
        kind = data[offset] & 0x1F
        size = int.from_bytes(data[offset + 1:offset + 4], "big")
        yield kind, data[offset + 11:offset + 11 + size]
        offset += 11 + size + 4


def find_box(data, name):
    """Payload of the first box named `name` (found by its type; good enough for ffmpeg's small files)."""
    at = data.find(name.encode())
    if at < 4:
        return None
    size = struct.unpack(">I", data[at - 4:at])[0]
    return data[at + 4:at - 4 + size]


def main():
    data = b""
    with tempfile.TemporaryDirectory() as tmp:
        # RTMP pushes.
        pushes = [record_push("ffmpeg-push.bin", ffmpeg_push), record_push("gstreamer-push.bin", gstreamer_push)]
        # A push whose first 3 KiB only: the handshake and commands, so mutations concentrate there.
        write("rtmp_session", "ffmpeg-handshake-connect.bin", pushes[0][:4096])

        # FLV tags.
        flv = os.path.join(tmp, "a.flv")
        ffmpeg(*LAVFI, "-t", "2", *X264, *AAC, "-f", "flv", flv)
        data = open(flv, "rb").read()
        seen = {}
        for kind, body in flv_tags(data):
            if kind == 18:
                write("amf0", "onmetadata.bin", body)
                continue
            key = (kind, body[1] if len(body) > 1 else None, body[0] >> 4)
            if key in seen:
                continue
            seen[key] = True
            prefix = b"\x00" if kind == 9 else b"\x01"
            write("flv_tags", f"{'video' if kind == 9 else 'audio'}-{len(seen)}.bin", prefix + body)
        # Enhanced RTMP HEVC: SequenceStart (hvcC) and CodedFrames (composition time + first sample).
        hevc = os.path.join(tmp, "hevc.mp4")
        ffmpeg("-f", "lavfi", "-i", "testsrc=size=96x64:rate=10", "-t", "1", "-c:v", "libx265", "-preset",
               "ultrafast", "-x265-params", "log-level=none", "-tag:v", "hvc1", hevc)
        mp4 = open(hevc, "rb").read()
        hvcc = find_box(mp4, "hvcC")
        if hvcc:
            write("flv_tags", "enhanced-hevc-start.bin", b"\x00" + b"\x90hvc1" + hvcc)
            mdat = find_box(mp4, "mdat") or b""
            write("flv_tags", "enhanced-hevc-frame.bin", b"\x00" + b"\x91hvc1" + b"\x00\x00\x00" + mdat[:4000])
            write("flv_tags", "enhanced-hevc-framesx.bin", b"\x00" + b"\x93hvc1" + mdat[:4000])

        # AMF0 commands from the pushes: the connect command, right after the handshake.
        for i, push in enumerate(pushes):
            body = push[3073:]
            if len(body) > 12:
                length = int.from_bytes(body[4:7], "big")
                payload = body[12:12 + min(length, 128)]
                write("amf0", f"connect-{i}.bin", payload)

        # fMP4 ingest: Smooth (ismv, live server manifest box) and CMAF.
        ismv = os.path.join(tmp, "a.ismv")
        ffmpeg(*LAVFI, "-t", "2", *X264, *AAC, "-f", "ismv", "-movflags", "isml+frag_keyframe", ismv)
        write("fmp4_ingest", "ffmpeg-ismv.bin", open(ismv, "rb").read())
        cmaf = os.path.join(tmp, "a.mp4")
        ffmpeg(*LAVFI, "-t", "2", *X264, *AAC, "-f", "mp4", "-movflags", "cmaf+frag_keyframe+empty_moov+default_base_moof",
               cmaf)
        write("fmp4_ingest", "ffmpeg-cmaf.bin", open(cmaf, "rb").read())
        video_only = os.path.join(tmp, "v.mp4")
        ffmpeg("-f", "lavfi", "-i", "testsrc=size=96x64:rate=10", "-t", "1", "-c:v", "libx265", "-preset", "ultrafast",
               "-x265-params", "log-level=none", "-tag:v", "hvc1", "-g", "5", "-f", "mp4", "-movflags",
               "cmaf+frag_keyframe+empty_moov+default_base_moof", video_only)
        write("fmp4_ingest", "ffmpeg-cmaf-hevc.bin", open(video_only, "rb").read())

        # DASH MPD: live (dynamic) while ffmpeg writes it, and the static one it leaves.
        dash = os.path.join(tmp, "dash")
        os.makedirs(dash)
        ffmpeg(*LAVFI, "-t", "3", *X264, *AAC, "-f", "dash", "-seg_duration", "1", "-streaming", "1", "-ldash", "1",
               "-use_template", "1", "-use_timeline", "1", os.path.join(dash, "live.mpd"))
        write("dash_mpd", "ffmpeg-static.mpd", open(os.path.join(dash, "live.mpd"), "rb").read())
        ffmpeg(*LAVFI, "-t", "3", *X264, *AAC, "-f", "dash", "-seg_duration", "1", "-window_size", "2",
               "-remove_at_exit", "0", "-use_template", "1", "-use_timeline", "0", os.path.join(dash, "win.mpd"))
        write("dash_mpd", "ffmpeg-window.mpd", open(os.path.join(dash, "win.mpd"), "rb").read())

    # Origin URLs and OData filters: what the unit tests ask.
    urls = [
        "/6f32/show.ism/manifest", "/6f32/show.ism/manifest(format=m3u8-aapl)",
        "/6f32/show.ism/manifest(format=mpd-time-csf)", "/L/a%20b.ism/manifest(format=m3u8-aapl,encryption=cbc)",
        "/id/m.ism/manifest(format=m3u8-cmaf,encryption=cbcs-aapl)", "/id/m.ism/manifest(format=mpd-time-cmaf)",
        "/loc/live.ism/QualityLevels(128000)/Fragments(video=17000000000,format=m3u8-cmaf)",
        "/loc/live.ism/QualityLevels(128000)/Manifest(video,format=m3u8-aapl)",
        "/loc/live.ism/QualityLevels(96000)/Fragments(audio_und=i,format=mpd-time-cmaf)",
        "/loc/live.ism/QualityLevels(800000)/KeyFrames(video=170000000)",
        "/loc/news.ism/QualityLevels(1)/Fragments(video=5,format=m3u8-cmaf,part=0).m4s",
        "/loc/name.ism/manifest(format=m3u8-cmaf,filter=f1)?a=1&b=x%20y+z&flag",
        "/loc/live.ism/QualityLevels(800000)/Fragments(video=1,format=m3u8-aapl).ts",
    ]
    for i, url in enumerate(urls):
        write("origin_url", f"url-{i}.txt", url.encode())
    filters = [
        "name eq 'event1'", "properties/created gt 2024-01-01T00:00:00Z",
        "properties/resourceState eq 'Running' and name ne 'x'",
        "name eq 'a' or (properties/lastModified lt 2025-05-01T10:00:00.5Z and not name eq 'b')",
        "properties/alternateId eq null",
    ]
    for i, text in enumerate(filters):
        write("odata_filter", f"filter-{i}.txt", text.encode())

    # ARM JSON bodies: first byte picks the type in Tests/Fuzz/arm_json.swift.
    import glob
    import json
    examples = glob.glob(os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../shared/spec/ams-swagger/**/"
                                      "examples/*.json"), recursive=True)
    for path in examples:
        name = os.path.basename(path)
        example = json.load(open(path))
        body = example.get("parameters", {}).get("parameters")
        responses = [r.get("body") for r in example.get("responses", {}).values() if isinstance(r, dict)]
        selector = {"liveevent-create.json": 0, "liveoutput-create.json": 1, "liveevent-stop.json": 7,
                    "streaming-locators-list-paths-streaming-and-download.json": 9,
                    "async-operation-result.json": 10, "liveevent-list-by-name.json": 8}.get(name)
        if selector is None:
            continue
        for i, value in enumerate([body] + responses):
            if value:
                write("arm_json", f"{name[:-5]}-{i}.json", bytes([selector]) + json.dumps(value).encode())
    small = {
        2: {"properties": {"description": "archive", "alternateId": "a1", "container": "asset-1"}},
        3: {"properties": {"assetName": "archive", "streamingPolicyName": "Predefined_ClearStreamingOnly",
                           "startTime": "2024-01-01T00:00:00Z", "endTime": "2024-01-02T00:00:00.1234567Z",
                           "filters": ["f1"]}},
        4: {"properties": {"noEncryption": {"enabledProtocols": {"download": False, "dash": True, "hls": True,
                                                                  "smoothStreaming": True}}}},
        5: {"location": "local", "properties": {"description": "default", "scaleUnits": 0,
                                                 "accessControl": {"ip": {"allow": [{"name": "all",
                                                                                     "address": "0.0.0.0",
                                                                                     "subnetPrefixLength": 0}]}}}},
        6: {"properties": {"presentationTimeRange": {"startTimestamp": 0, "endTimestamp": 170000000,
                                                     "presentationWindowDuration": 1200000000, "timescale": 10000000},
                           "firstQuality": {"bitrate": 128000},
                           "tracks": [{"trackSelections": [{"property": "Type", "operation": "Equal",
                                                            "value": "Video"}]}]}},
        11: {"error": {"code": "BadRequest", "message": "The property 'x' is not valid.", "target": "x"}},
    }
    for selector, body in small.items():
        write("arm_json", f"type-{selector}.json", bytes([selector]) + json.dumps(body).encode())

    # HTTP requests as real clients send them.
    record_http("curl-get-range.txt", lambda url: ["curl", "-s", "-m", "3", "-r", "0-99", "-H", "Accept: */*",
                                                   url + "/loc/live.ism/manifest(format=m3u8-cmaf)?a=1"])
    record_http("curl-put-json.txt", lambda url: ["curl", "-s", "-m", "3", "-X", "PUT", "-H",
                                                  "Content-Type: application/json", "-H", "Authorization: Bearer t",
                                                  "--data", '{"location":"local","properties":{}}',
                                                  url + "/subscriptions/s/resourceGroups/r/providers/Microsoft.Media/"
                                                  "mediaservices/a/liveEvents/e1?api-version=2022-11-01"])
    record_http("ffmpeg-smooth-post.txt", lambda url: [
        "ffmpeg", "-hide_banner", "-loglevel", "quiet", "-re", *LAVFI, "-t", "3", *X264, *AAC, "-f", "ismv",
        "-movflags", "isml+frag_keyframe", url + "/ingest/token.isml/Streams(stream0)"])

    # Configuration files: the README's example, as documented.
    readme = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "../README.md")).read()
    example = readme.split("## Configuration file", 1)[1].split("```ini\n", 1)[1].split("```", 1)[0]
    write("config_file", "readme-example.conf", example.encode())
    write("config_file", "ports.conf", b"[server]\nhttp-port = 80\nrtmp-port=1935 ; rtmp\napi-port = '8090'\n"
                                       b"window = 10\n[encoding]\nencode-policy = never\n")

    # Archive recovery: track JSON line (empty object: the target's default track), then a directory listing.
    start = 1_704_067_200 * 10_000_000
    names = [f"{n}_{start + n * 20_000_000}_20000000_{4000 + n}_{1 if n >= 3 else 0}_{1 if n == 3 else 0}.m4s"
             for n in range(6)]
    write("archive_index", "listing.txt", ("{}\n" + "\n".join(names + ["6_0_1_1_0_0.m4s.tmp", "track.json",
                                                                     "init.mp4"])).encode())
    write("archive_index", "evicted.txt", ("{}\n" + "\n".join(names[4:])).encode())

    # Worker protocol frames.
    def frame(kind, payload):
        return struct.pack(">IB", len(payload) + 1, kind) + payload
    record = b""
    for kind, body in flv_tags(data):
        if kind == 9 and len(body) > 5 and body[1] == 0:
            record = body[5:]
            break
    sample = struct.pack(">HBIqi", 0, 1, 90000, 900000, 3000) + b"\x00\x00\x00\x05\x65\x88\x84\x00\x10"
    heartbeat = json.dumps({"framesIn": 100, "framesOut": 99, "framesDropped": 1, "backend": "libx264",
                            "framesPerSecond": 29.97}).encode()
    ladder = json.dumps([{"width": 1280, "height": 720, "bitrate": 3000000}]).encode()
    write("worker_protocol", "daemon-to-worker.bin", frame(2, b"\x00" + record) + frame(3, sample) + frame(4, b""))
    write("worker_protocol", "worker-to-daemon.bin",
          frame(12, heartbeat) + frame(11, sample) + frame(16, ladder)
          + frame(13, json.dumps({"level": "warning", "message": "slow"}).encode()) + frame(14, b"")
          + frame(15, b"VAAPI device lost: check /dev/dri"))

    # CPIX documents for the XML reader `locator create --cpix` uses.
    write("cpix_xml", "cenc-cbcs.xml", CPIX_WRITTEN.encode())
    write("cpix_xml", "default-namespace.xml", CPIX_OTHER_WRITER.encode())


CPIX_WRITTEN = """<?xml version="1.0" encoding="UTF-8"?>
<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix" xmlns:pskc="urn:ietf:params:xml:ns:keyprov:pskc" version="2.3" contentId="6f3264f5-8b37-4a2c-9f3e-1c2d3e4f5a6b">
  <cpix:ContentKeyList>
    <cpix:ContentKey kid="0a1b2c3d-4e5f-4061-8273-94a5b6c7d8e9" commonEncryptionScheme="cenc">
      <cpix:Data>
        <pskc:Secret>
          <pskc:PlainValue>AAECAwQFBgcICQoLDA0ODw==</pskc:PlainValue>
        </pskc:Secret>
      </cpix:Data>
    </cpix:ContentKey>
    <cpix:ContentKey kid="f0e1d2c3-b4a5-4697-8879-6a5b4c3d2e1f" commonEncryptionScheme="cbcs">
      <cpix:Data><pskc:Secret><pskc:PlainValue>EBESExQVFhcYGRobHB0eHw==</pskc:PlainValue></pskc:Secret></cpix:Data>
    </cpix:ContentKey>
  </cpix:ContentKeyList>
  <cpix:DRMSystemList>
    <cpix:DRMSystem kid="0a1b2c3d-4e5f-4061-8273-94a5b6c7d8e9" systemId="1077efec-c0b2-4d02-ace3-3c1e52e2fb4b">
      <cpix:PSSH>AAAANHBzc2gBAAAAEHfv7MCyTQKs4zweUuL7SwAAAAEKGyw9Tl9AYYJzlKW2x9jpAAAAAA==</cpix:PSSH>
    </cpix:DRMSystem>
  </cpix:DRMSystemList>
  <cpix:ContentKeyUsageRuleList>
    <cpix:ContentKeyUsageRule kid="0a1b2c3d-4e5f-4061-8273-94a5b6c7d8e9" intendedTrackType="cencDefaultKey"/>
    <cpix:ContentKeyUsageRule kid="f0e1d2c3-b4a5-4697-8879-6a5b4c3d2e1f" intendedTrackType="cbcsDefaultKey"/>
  </cpix:ContentKeyUsageRuleList>
</cpix:CPIX>
"""
CPIX_OTHER_WRITER = ('<?xml version="1.0" encoding="utf-8"?>\r\n<!-- default namespace, CDATA, references -->\r\n<CPIX xmlns="urn:dashif:org:cpix" xmlns:pskc="urn:ietf:params:xml:ns:keyprov:pskc" id="a&amp;b&#x41;&#66;"><ContentKeyList><ContentKey kid="5E4D3C2B-1A09-4F8E-9D7C-6B5A49382716"><Data><pskc:Secret><pskc:PlainValue><![CDATA[q6urq6urq6urq6urq6urqw==]]></pskc:PlainValue></pskc:Secret></Data></ContentKey></ContentKeyList></CPIX>')


if __name__ == "__main__":
    main()
