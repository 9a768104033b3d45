"""The daemon speaks systemd's protocols without systemd around it: sd_notify (READY, STATUS, WATCHDOG, STOPPING)
on a NOTIFY_SOCKET we bind, and socket activation through systemd's own `systemd-socket-activate`."""
import os
import shutil
import signal
import socket
import subprocess
import time

import pytest

from conftest import BIN, free_port, http_status


def notify_socket(tmp_path):
    path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(0.5)
    return path, sock


def datagrams(sock, until, deadline):
    seen = []
    while time.time() < deadline:
        try:
            seen.append(sock.recv(4096).decode())
        except socket.timeout:
            continue
        if until(seen):
            break
    return seen


def test_notify_ready_status_watchdog_stopping(tmp_path):
    path, sock = notify_socket(tmp_path)
    env = dict(os.environ, NOTIFY_SOCKET=path, WATCHDOG_USEC="2000000")
    api = free_port()
    proc = subprocess.Popen([BIN, "serve", "--data-dir", str(tmp_path / "data"), "--http-port", str(free_port()),
                             "--rtmp-port", str(free_port()), "--api-port", str(api), "--public-host", "127.0.0.1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    try:
        seen = datagrams(sock, lambda s: sum("WATCHDOG=1" in d for d in s) >= 3, time.time() + 20)
        ready = [d for d in seen if "READY=1" in d]
        assert ready, seen
        assert "1 live events running" in ready[0] or "1 live event running" in ready[0], ready[0]
        # READY comes only once the API answers (every listener bound, state loaded).
        code, _ = http_status(f"http://127.0.0.1:{api}/")
        assert code == 401
        assert sum("WATCHDOG=1" in d for d in seen) >= 3, "the loop pings every WatchdogSec/2"
        proc.send_signal(signal.SIGTERM)
        rest = datagrams(sock, lambda s: any("STOPPING=1" in d for d in s), time.time() + 10)
        assert any("STOPPING=1" in d for d in rest), rest
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        sock.close()


@pytest.mark.skipif(shutil.which("systemd-socket-activate") is None, reason="systemd-socket-activate is not installed")
@pytest.mark.parametrize("named", [True, False], ids=["named-sockets", "one-unit-matched-by-port"])
def test_socket_activation_uses_the_inherited_sockets(tmp_path, named):
    http, rtmp, api = free_port(), free_port(), free_port()
    cmd = ["systemd-socket-activate", "-l", f"127.0.0.1:{http}", "-l", f"127.0.0.1:{rtmp}", "-l", f"127.0.0.1:{api}"]
    if named:
        # FileDescriptorName=http/rtmp/api: the names decide; the configured ports (1) are never bound.
        cmd += ["--fdname=http:rtmp:api", BIN, "serve", "--http-port", "1", "--rtmp-port", "1", "--api-port", "1"]
    else:
        # One edgelive.socket with three ListenStream= (no names): each socket takes the role of its port.
        cmd += [BIN, "serve", "--http-port", str(http), "--rtmp-port", str(rtmp), "--api-port", str(api)]
    cmd += ["--data-dir", str(tmp_path / "data"), "--public-host", "127.0.0.1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # systemd-socket-activate starts the service on the first connection to any of its sockets.
        deadline = time.time() + 20
        code = None
        while time.time() < deadline:
            try:
                code, _ = http_status(f"http://127.0.0.1:{api}/", timeout=5)
                break
            except OSError:
                time.sleep(0.3)
        assert code == 401, "the API answered on the inherited socket"
        lines = []
        while len(lines) < 4:
            lines.append(proc.stdout.readline().strip())
        ingest = next(l.split()[1] for l in lines if l.startswith("ingest"))
        assert f":{rtmp}/live/" in ingest, "published URLs carry the inherited sockets' ports"
        assert http_status(f"http://127.0.0.1:{http}/nope/x.ism/manifest")[0] == 404
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
