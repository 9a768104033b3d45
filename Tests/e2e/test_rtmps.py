"""RTMPS ingest end to end: ffmpeg pushes over TLS to the same sessions as RTMP and plays back from the origin; plain
RTMP and TLS 1.0/1.1 clients are refused on the TLS port without harming a running session; SIGHUP loads a new
certificate for new connections while a push goes on, and refuses an expired one, keeping the certificate in use."""
import os
import re
import signal
import socket
import subprocess
import time

import pytest

from conftest import Daemon, arm, ffmpeg_push, ffmpeg_push_cmd, free_port, probe_url_frames
from test_passthrough import FPS, check_hls


def make_certificate(directory, name, common_name):
    """A self-signed certificate and key made with `openssl req -x509`; returns (certificate, key) paths."""
    cert, key = os.path.join(directory, f"{name}.crt"), os.path.join(directory, f"{name}.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "2", "-subj", f"/CN={common_name}"],
                   check=True, capture_output=True)
    return cert, key


def make_expired_certificate(directory, name, common_name):
    """A self-signed certificate valid only in January 2020 (`openssl ca` sets both dates); returns (certificate, key)."""
    ca = os.path.join(directory, f"{name}-ca")
    os.makedirs(ca)
    open(os.path.join(ca, "index.txt"), "w").close()
    with open(os.path.join(ca, "serial"), "w") as f:
        f.write("01\n")
    with open(os.path.join(ca, "ca.cnf"), "w") as f:
        f.write(f"[ca]\ndefault_ca = test\n[test]\ndir = {ca}\ndatabase = {ca}/index.txt\nnew_certs_dir = {ca}\n"
                f"serial = {ca}/serial\ndefault_md = sha256\npolicy = any\nunique_subject = no\n[any]\ncommonName = supplied\n")
    cert, key, request = (os.path.join(directory, f"{name}.{ext}") for ext in ("crt", "key", "csr"))
    subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", key, "-out", request, "-subj", f"/CN={common_name}"], check=True, capture_output=True)
    subprocess.run(["openssl", "ca", "-config", os.path.join(ca, "ca.cnf"), "-selfsign", "-keyfile", key, "-in", request,
                    "-out", cert, "-startdate", "20200101000000Z", "-enddate", "20200201000000Z", "-batch"],
                   check=True, capture_output=True)
    return cert, key


def install(source, target):
    """Replaces `target` with a copy of `source` in one rename, as a certificate renewal would."""
    with open(source, "rb") as f:
        data = f.read()
    with open(target + ".new", "wb") as f:
        f.write(data)
    os.replace(target + ".new", target)


def s_client(port, *flags):
    """`openssl s_client` against the RTMPS port; returns (exit status, everything it printed)."""
    r = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", *flags], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=20)
    return r.returncode, r.stdout + r.stderr


def served_subject(port):
    """The subject of the certificate a new connection to `port` is shown (`openssl s_client -showcerts`)."""
    code, out = s_client(port, "-showcerts")
    assert code == 0, out
    m = re.search(r"^subject=(.*)$", out, re.M)
    assert m, out
    return m.group(1).strip()


def wait_for_log(daemon, text, timeout=10, after=0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if text in daemon.read_log()[after:]:
            return
        time.sleep(0.2)
    raise AssertionError(f"the log never said {text!r}: {daemon.read_log()[-3000:]}")


class TLSDaemon:
    """A daemon with RTMPS on a free port and the certificate `certificate` (CN=first.edgelive.test) in `tls_dir`."""

    def __init__(self, tmp_path):
        self.tls_dir = str(tmp_path / "tls")
        os.makedirs(self.tls_dir)
        first_cert, first_key = make_certificate(self.tls_dir, "first", "first.edgelive.test")
        self.certificate, self.key = os.path.join(self.tls_dir, "live.crt"), os.path.join(self.tls_dir, "live.key")
        install(first_cert, self.certificate)
        install(first_key, self.key)
        self.rtmps_port = free_port()
        self.daemon = Daemon(str(tmp_path / "data"), expect=("api", "ingest", "hls", "dash", "rtmps"), extra_args=[
            "--rtmps-port", str(self.rtmps_port), "--tls-certificate", self.certificate, "--tls-key", self.key])


@pytest.fixture
def tls(tmp_path):
    t = TLSDaemon(tmp_path)
    t.daemon.start()
    yield t
    t.daemon.stop()
    assert t.daemon.proc.returncode == 0, f"edgelive did not exit cleanly: {t.daemon.proc.returncode}\n{t.daemon.read_log()[-3000:]}"


def rtmps_ingest(t):
    """The default event's rtmps:// ingest URL as the API lists it, beside the rtmp:// one."""
    code, _, event = arm(t.daemon, "GET", "/liveEvents/default")
    assert code == 200, event
    endpoints = event["properties"]["input"]["endpoints"]
    assert [e["protocol"] for e in endpoints] == ["RTMP", "RTMP"], endpoints
    assert endpoints[0]["url"].startswith(f"rtmp://127.0.0.1:{t.daemon.rtmp_port}/live/"), endpoints
    assert endpoints[1]["url"] == endpoints[0]["url"].replace(f"rtmp://127.0.0.1:{t.daemon.rtmp_port}/",
                                                              f"rtmps://127.0.0.1:{t.rtmps_port}/"), endpoints
    assert t.daemon.urls["rtmps"] == endpoints[1]["url"] + "/stream"
    return endpoints[1]["url"]


def test_rtmps_push_plays_back_with_every_frame(tls, tmp_path):
    url = rtmps_ingest(tls) + "/cam"
    seconds = 12
    r = ffmpeg_push(url, seconds)
    assert r.returncode == 0, r.stderr
    check_hls(tmp_path, tls.daemon, seconds * FPS, seconds * 48000 // 1024)
    hls = probe_url_frames(tls.daemon.urls["hls"], extra=["-live_start_index", "0", "-m3u8_hold_counters", "2"])
    assert hls.get("video", 0) >= (seconds - 2) * FPS and hls.get("audio", 0) > 0, hls
    log = tls.daemon.read_log()
    assert "RTMPS ingest listening" in log and "publishing" in log, log[-3000:]


def test_without_a_certificate_no_rtmps_is_listed(daemon):
    code, _, event = arm(daemon, "GET", "/liveEvents/default")
    assert code == 200, event
    assert [e["url"].split(":")[0] for e in event["properties"]["input"]["endpoints"]] == ["rtmp"]
    assert "RTMPS ingest is off: no certificate configured" in daemon.read_log()


def test_plain_rtmp_and_old_tls_are_refused_without_harming_a_session(tls, tmp_path):
    url = rtmps_ingest(tls) + "/cam"
    seconds = 16
    push = subprocess.Popen(ffmpeg_push_cmd(url, seconds), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(3)
        # A plain-RTMP publisher on the TLS port: its C0/C1 are not TLS, so it is refused and closed.
        plain = ffmpeg_push(url.replace("rtmps://", "rtmp://") + "-plain", 3)
        assert plain.returncode != 0, plain.stderr
        # Raw RTMP handshake bytes on a socket: the server answers nothing usable and closes the connection.
        with socket.create_connection(("127.0.0.1", tls.rtmps_port), timeout=10) as raw:
            raw.sendall(b"\x03" + bytes(1536))
            answer = b""
            while chunk := raw.recv(4096):
                answer += chunk
            assert not answer.startswith(b"\x03"), "an RTMP S0 came back on the TLS port"
        # TLS 1.0 and 1.1 clients (allowed to offer them by a lowered security level) get a protocol version alert.
        for flag in ("-tls1", "-tls1_1"):
            code, out = s_client(tls.rtmps_port, flag, "-cipher", "DEFAULT@SECLEVEL=0")
            assert code != 0, out
            assert "alert protocol version" in out or "unsupported protocol" in out, out
        # TLS 1.2 and 1.3 work.
        for flag, version in (("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")):
            code, out = s_client(tls.rtmps_port, flag)
            assert code == 0 and f"New, {version}" in out, out
        _, errors = push.communicate(timeout=seconds + 60)
    finally:
        if push.poll() is None:
            push.kill()
            push.wait()
    assert push.returncode == 0, errors
    log = tls.daemon.read_log()
    assert log.count("RTMPS handshake refused") >= 4, log[-4000:]
    assert "MPE_INGEST_PROTOCOL_ERROR" in log
    # The good session was never disturbed: every frame it sent is served.
    check_hls(tmp_path, tls.daemon, seconds * FPS, seconds * 48000 // 1024)


def test_sighup_reloads_the_certificate_and_keeps_sessions(tls, tmp_path):
    url = rtmps_ingest(tls) + "/cam"
    assert served_subject(tls.rtmps_port) == "CN = first.edgelive.test"
    second_cert, second_key = make_certificate(tls.tls_dir, "second", "second.edgelive.test")
    expired_cert, expired_key = make_expired_certificate(tls.tls_dir, "expired", "expired.edgelive.test")
    seconds = 20
    push = subprocess.Popen(ffmpeg_push_cmd(url, seconds), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(4)
        # A renewal: new files in place, then SIGHUP. New connections see the new certificate.
        install(second_cert, tls.certificate)
        install(second_key, tls.key)
        mark = len(tls.daemon.read_log())
        tls.daemon.proc.send_signal(signal.SIGHUP)
        wait_for_log(tls.daemon, "RTMPS certificate reloaded", after=mark)
        assert served_subject(tls.rtmps_port) == "CN = second.edgelive.test"
        # An expired certificate is refused with a log line; the one in use stays.
        install(expired_cert, tls.certificate)
        install(expired_key, tls.key)
        mark = len(tls.daemon.read_log())
        tls.daemon.proc.send_signal(signal.SIGHUP)
        wait_for_log(tls.daemon, "RTMPS certificate reload refused", after=mark)
        refusal = tls.daemon.read_log()[mark:]
        assert "expired on" in refusal and "expired.edgelive.test" in refusal, refusal
        assert served_subject(tls.rtmps_port) == "CN = second.edgelive.test"
        # A key that does not match the certificate is refused too.
        install(second_cert, tls.certificate)
        mark = len(tls.daemon.read_log())
        tls.daemon.proc.send_signal(signal.SIGHUP)
        wait_for_log(tls.daemon, "RTMPS certificate reload refused", after=mark)
        assert "does not belong to the certificate" in tls.daemon.read_log()[mark:]
        assert served_subject(tls.rtmps_port) == "CN = second.edgelive.test"
        _, errors = push.communicate(timeout=seconds + 60)
    finally:
        if push.poll() is None:
            push.kill()
            push.wait()
    assert push.returncode == 0, errors
    assert tls.daemon.alive()
    # The push that began under the first certificate ran to its end across both reloads: every frame is served.
    check_hls(tmp_path, tls.daemon, seconds * FPS, seconds * 48000 // 1024)
    assert "RTMP session ended by the encoder" in tls.daemon.read_log()
