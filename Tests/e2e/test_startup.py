"""`edgelive serve` refuses to start, with a message naming the problem, when it cannot work."""
import json
import os
import socket
import subprocess

import pytest

from conftest import BIN, Daemon, arm, free_port


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


def _bin():
    return os.path.abspath(BIN)


def test_starts_from_another_directory_and_finds_its_hardware_profiles(tmp_path):
    """A checkout's binary started from elsewhere uses the checkout's hwprofiles/ (no ./hwprofiles there)."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    d = Daemon(str(tmp_path / "data"))
    d.cwd = str(elsewhere)
    d.start()
    try:
        assert {"api", "ingest", "hls", "dash"} <= d.urls.keys()
        r = subprocess.run([_bin(), "hw", "probe", "--json"], cwd=elsewhere, capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["profilesDirectory"].endswith("hwprofiles")
    finally:
        d.stop()
    assert d.proc.returncode == 0, d.read_log()[-3000:]


def test_a_bad_profile_directory_names_the_real_flag(tmp_path):
    r = serve("--data-dir", str(tmp_path / "d"), "--http-port", str(free_port()), "--rtmp-port", str(free_port()),
              "--hwprofiles", str(tmp_path / "missing"))
    assert r.returncode != 0
    assert "--hwprofiles" in r.stderr and "--profiles" not in r.stderr, r.stderr
    assert str(tmp_path / "missing") in r.stderr, r.stderr
    r = subprocess.run([_bin(), "hw", "probe", "--profiles", str(tmp_path / "missing")], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 1 and "--profiles" in r.stderr, r.stderr


def _default_event_after_a_good_start(data_dir):
    """Starts the box on `data_dir`, returns (printed ingest URL, the API's default event) and stops it."""
    d = Daemon(str(data_dir)).start()
    try:
        status, _, event = arm(d, "GET", "/liveEvents/default")
        assert status == 200, event
        return d.ingest, event
    finally:
        d.stop()


@pytest.mark.parametrize("failure", ["profiles", "http-port"])
def test_a_failed_first_start_leaves_the_next_start_a_first_start(tmp_path, failure):
    data = tmp_path / "data"
    if failure == "profiles":
        r = serve("--data-dir", str(data), "--http-port", str(free_port()), "--rtmp-port", str(free_port()),
                  "--hwprofiles", str(tmp_path / "missing"))
    else:
        with socket.socket() as s:
            s.bind(("0.0.0.0", 0))
            s.listen()
            r = serve("--data-dir", str(data), "--http-port", str(s.getsockname()[1]), "--rtmp-port", str(free_port()))
    assert r.returncode != 0, r.stderr
    assert (data / "edgelive.sqlite").exists()   # the failed start got as far as the database
    written = json.loads((data / "default-event.json").read_text())

    ingest, event = _default_event_after_a_good_start(data)
    props = event["properties"]
    assert props["resourceState"] == "Running"
    # The same URLs as the first try wrote down.
    assert props["input"]["accessToken"] == written["accessToken"]
    assert props["preview"]["previewLocator"] == written["previewLocator"]
    assert f"/live/{written['accessToken']}/" in ingest
    # And a later start is no first start: a deleted default event stays deleted.
    d = Daemon(str(data)).start()
    try:
        assert arm(d, "POST", "/liveEvents/default/stop")[0] in (200, 202)
        status, _, body = arm(d, "DELETE", "/liveEvents/default")
        assert status in (200, 202, 204), body
    finally:
        d.stop()
    d = Daemon(str(data), expect=("api",)).start()
    try:
        assert "ingest" not in d.urls
    finally:
        d.stop()


def test_sigterm_with_sessions_open_stops_every_service_and_closes_the_loop(tmp_path):
    """Services stop in reverse order: with an RTMP push and a Smooth POST in flight, SIGTERM ends both sessions,
    the daemon exits 0 and its event loop closes with no handle left (uv_loop_close returned 0)."""
    from conftest import ffmpeg_push_cmd
    from test_smooth_ingest import ismv_push_cmd, smooth_event
    import time
    d = Daemon(str(tmp_path / "data")).start()
    pushes = []
    try:
        code, _, ev = smooth_event(d, "smooth")
        assert code in (200, 201), ev
        ingest = ev["properties"]["input"]["endpoints"][0]["url"]
        pushes.append(subprocess.Popen(ffmpeg_push_cmd(d.ingest, 60, size="640x360", bitrate="1M"),
                                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
        pushes.append(subprocess.Popen(ismv_push_cmd(f"{ingest}/Streams(video)", 60),
                                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
        deadline = time.time() + 30
        log = ""
        while time.time() < deadline:
            log = d.read_log()
            if log.count("track published") >= 4:
                break
            time.sleep(0.5)
        assert log.count("track published") >= 4, log[-3000:]
    finally:
        d.stop()
        for p in pushes:
            p.kill()
            p.wait()
    log = d.read_log()
    assert d.proc.returncode == 0, log[-3000:]
    assert "did not close cleanly" not in log, log[-3000:]
    assert "MPI_SYSTEM_MAINTENANCE" in log, log[-3000:]   # both sessions ended by the shutdown, and said so
