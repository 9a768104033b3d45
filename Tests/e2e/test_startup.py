"""`edgelive serve` refuses to start, with a message naming the problem, when it cannot work."""
import os
import socket
import subprocess

from conftest import BIN, free_port


def serve(*args, timeout=20):
    if "--api-port" not in args:
        args = (*args, "--api-port", str(free_port()))
    return subprocess.run([BIN, "serve", "--public-host", "127.0.0.1", *args], capture_output=True, text=True,
                          timeout=timeout)


def test_api_port_taken(tmp_path):
    with socket.socket() as s:
        s.bind(("0.0.0.0", 0))
        s.listen()
        taken = s.getsockname()[1]
        r = serve("--data-dir", str(tmp_path / "d"), "--http-port", str(free_port()), "--rtmp-port", str(free_port()),
                  "--api-port", str(taken))
    assert r.returncode != 0
    assert "control API" in r.stderr and "--api-port" in r.stderr, r.stderr


def test_http_port_taken(tmp_path):
    with socket.socket() as s:
        s.bind(("0.0.0.0", 0))
        s.listen()
        taken = s.getsockname()[1]
        r = serve("--data-dir", str(tmp_path / "d"), "--http-port", str(taken), "--rtmp-port", str(free_port()))
    assert r.returncode != 0
    assert f"{taken}" in r.stderr and "address already in use" in r.stderr and "--http-port" in r.stderr, r.stderr


def test_rtmp_port_taken(tmp_path):
    with socket.socket() as s:
        s.bind(("0.0.0.0", 0))
        s.listen()
        taken = s.getsockname()[1]
        r = serve("--data-dir", str(tmp_path / "d"), "--http-port", str(free_port()), "--rtmp-port", str(taken))
    assert r.returncode != 0
    assert "RTMP" in r.stderr and "--rtmp-port" in r.stderr, r.stderr


def test_data_dir_is_a_file(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    r = serve("--data-dir", str(f), "--http-port", str(free_port()), "--rtmp-port", str(free_port()))
    assert r.returncode != 0
    assert "data directory" in r.stderr and "--data-dir" in r.stderr, r.stderr


def test_data_dir_not_writable(tmp_path):
    d = tmp_path / "ro"
    d.mkdir()
    os.chmod(d, 0o500)
    try:
        if os.access(d, os.W_OK):   # root ignores permissions: use a read-only bind instead
            import pytest
            r = subprocess.run(["unshare", "--mount", "--map-root-user", "sh", "-c",
                                f"mount --bind -o ro {d} {d} 2>/dev/null || mount -o remount,bind,ro {d}; "
                                f"{os.path.abspath(BIN)} serve --data-dir {d} --http-port {free_port()} "
                                f"--rtmp-port {free_port()} --public-host 127.0.0.1"],
                               capture_output=True, text=True, timeout=20)
        else:
            r = serve("--data-dir", str(d), "--http-port", str(free_port()), "--rtmp-port", str(free_port()))
    finally:
        os.chmod(d, 0o700)
    assert r.returncode != 0
    assert "is not writable" in r.stderr and "--data-dir" in r.stderr, r.stderr
