"""The .deb installed as a user would, on a clean Debian 12 booted with its own systemd.

A debootstrapped bookworm (cached as .build/debootstrap-bookworm.tar) runs systemd as PID 1 of its own PID,
mount, cgroup, UTS and IPC namespaces, sharing the host's network, so encoders and players on the host
reach the box on 127.0.0.1. The package is installed with apt inside it (Depends: resolve for real), then
the tests drive it with systemctl and journalctl through nsenter, in order (each builds on the last).
Killing the box's cgroup (cgroup.kill) ends every process in it; its mounts go with its mount namespace.
"""
import glob
import json
import os
import re
import shutil
import subprocess
import threading
import time

import pytest

from conftest import ffmpeg_push, free_port, http_status, probe_url_frames

ROOT_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT_DIR, ".build")
ROOTFS_TAR = os.path.join(BUILD, "debootstrap-bookworm.tar")
MIRROR = os.environ.get("EDGELIVE_DEBIAN_MIRROR", "http://deb.debian.org/debian")
BOX_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
SHIPPED_UNITS = ["edgelive.service", "edgelive-channel@.service", "edgelive.socket"]


def run(cmd, timeout=120, check=True, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {r.returncode}\nstdout: {r.stdout[-3000:]}\n"
                             f"stderr: {r.stderr[-3000:]}")
    return r


def wait_for(what, predicate, timeout, interval=0.5):
    """Polls `predicate` until it returns a true value; fails naming `what` and the last value."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what} (last: {last!r})")


# MARK: - The root filesystem


def cached_rootfs():
    """The debootstrapped bookworm as a tar file, made once (about a minute) and reused."""
    if os.path.exists(ROOTFS_TAR):
        return ROOTFS_TAR
    os.makedirs(BUILD, exist_ok=True)
    work = ROOTFS_TAR + f".{os.getpid()}.d"
    shutil.rmtree(work, ignore_errors=True)
    try:
        run(["debootstrap", "--variant=minbase", "--include=systemd,systemd-sysv,dbus", "bookworm", work, MIRROR],
            timeout=1800)
        run(["tar", "-C", work, "-cf", ROOTFS_TAR + ".part", "."], timeout=600)
        os.replace(ROOTFS_TAR + ".part", ROOTFS_TAR)
    finally:
        # debootstrap mounts proc and sys inside while it works; make sure none is left before deleting.
        for m in reversed(mounts_under(work)):
            subprocess.run(["umount", "-l", m], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
    return ROOTFS_TAR


def mounts_under(path):
    path = os.path.realpath(path)
    with open("/proc/self/mountinfo") as f:
        points = [line.split()[4] for line in f]
    return [p for p in points if p == path or p.startswith(path + "/")]


def package_path():
    deb = os.environ.get("EDGELIVE_DEB")
    if deb:
        return os.path.abspath(deb)
    r = run([os.path.join(ROOT_DIR, "scripts", "build-deb.sh")], timeout=3000, cwd=ROOT_DIR)
    return os.path.join(ROOT_DIR, r.stdout.strip().splitlines()[-1])


# MARK: - The box


def cgroup2_dir():
    """Where this process sits in the cgroup v2 hierarchy (hybrid hosts mount it at .../unified)."""
    mount = None
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            if fields[fields.index("-") + 1] == "cgroup2":
                mount = fields[4]
                break
    with open("/proc/self/cgroup") as f:
        own = next(line.strip()[3:] for line in f if line.startswith("0::"))
    return os.path.join(mount, own.lstrip("/")) if mount else None


class Box:
    """A Debian 12 root filesystem with systemd as PID 1 of its own namespaces."""

    def __init__(self, root, cgroup, log_path):
        self.root, self.cgroup, self.log_path = root, cgroup, log_path
        self.proc = None
        self.pid = None

    def boot(self):
        os.makedirs(self.cgroup)
        # The shell moves itself into the box's cgroup first, so the cgroup namespace (and cgroup.kill at the
        # end) covers everything. "/" must be a mount point for the units' sandboxing (ProtectSystem= etc.),
        # hence the bind mount of the root onto itself. container= puts systemd in its container mode.
        script = (
            'echo $$ > "$1/cgroup.procs" && exec unshare --pid --fork --mount --cgroup --uts --ipc '
            "--propagation private --kill-child sh -c '"
            'mount --bind "$0" "$0" && mount --rbind /dev "$0/dev" && mount --make-rslave "$0/dev" || exit 1; '
            'exec chroot "$0" /usr/bin/env -i container=edgelive-test /lib/systemd/systemd '
            "systemd.unified_cgroup_hierarchy=1' \"$0\"")
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(["sh", "-c", script, self.root, self.cgroup], stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=self.log, start_new_session=True)
        init_procs = os.path.join(self.cgroup, "init.scope", "cgroup.procs")

        def init_pid():
            if self.proc.poll() is not None:
                raise AssertionError(f"the box's systemd exited ({self.proc.returncode}): {self.read_log()}")
            try:
                with open(init_procs) as f:
                    return int(f.read().split()[0])
            except (OSError, IndexError, ValueError):
                return None

        self.pid = wait_for("systemd to start in the box", init_pid, 60)
        state = wait_for("the box's systemd to finish booting",
                         lambda: self.sh("systemctl is-system-running", check=False).stdout.strip()
                         in ("running", "degraded") and self.sh("systemctl is-system-running").stdout.strip(),
                         120)
        return state

    def read_log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")[-3000:]

    def cmd(self, argv, timeout=120, check=True):
        """Runs a command inside the box (its namespaces, root and PID 1's view of the system)."""
        env = {"PATH": BOX_PATH, "LANG": "C.UTF-8", "SYSTEMD_PAGER": "", "SYSTEMD_COLORS": "0"}
        return run(["nsenter", "-t", str(self.pid), "-m", "-p", "-C", "-u", "-i", "-r", "-w", *argv],
                   timeout=timeout, check=check, env=env)

    def sh(self, script, timeout=120, check=True):
        return self.cmd(["sh", "-c", script], timeout=timeout, check=check)

    def show(self, unit, prop):
        return self.cmd(["systemctl", "show", "-P", prop, unit]).stdout.strip()

    def journal(self, unit, since_cursor=None):
        args = ["journalctl", "--no-pager", "-u", unit, "-o", "cat"]
        if since_cursor:
            args += ["--after-cursor", since_cursor]
        return self.cmd(args).stdout

    def cursor(self):
        out = self.cmd(["journalctl", "--no-pager", "-n", "0", "--show-cursor"]).stdout
        m = re.search(r"-- cursor: (\S+)", out)
        return m.group(1) if m else None

    def shutdown(self):
        # cgroup.kill SIGKILLs every process in the box, PID 1 included; the PID namespace, and with it
        # the mount namespace and all the box's mounts, go away with them.
        kill = os.path.join(self.cgroup, "cgroup.kill")
        if os.path.exists(kill):
            with open(kill, "w") as f:
                f.write("1")
        elif self.pid:
            subprocess.run(["kill", "-KILL", str(self.pid)], capture_output=True)
        if self.proc:
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "log", None):
            self.log.close()
        deadline = time.time() + 30
        while os.path.isdir(self.cgroup) and time.time() < deadline:
            for dirpath, _, _ in sorted(os.walk(self.cgroup), key=lambda w: -len(w[0])):
                try:
                    os.rmdir(dirpath)
                except OSError:
                    pass
            time.sleep(0.2)


def install_test_unavailable():
    """Why this machine cannot run the install test, or None."""
    if os.geteuid() != 0:
        return "the install test needs root (debootstrap, unshare, chroot)"
    for tool in ("unshare", "nsenter", "chroot", "debootstrap", "dpkg-deb", "tar"):
        if not shutil.which(tool):
            return f"{tool} is missing (scripts/setup.sh test installs it)"
    r = subprocess.run(["unshare", "--pid", "--fork", "--mount", "--cgroup", "--uts", "--ipc", "true"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return f"unshare of PID/mount/cgroup namespaces is not permitted here: {r.stderr.strip()}"
    if not cgroup2_dir() or not os.access(cgroup2_dir(), os.W_OK):
        return "no writable cgroup v2 hierarchy for the box's systemd"
    return None


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    reason = install_test_unavailable()
    if reason:
        if reason.endswith("installs it)"):
            pytest.fail(reason)
        pytest.skip(reason)
    deb = package_path()
    tar = cached_rootfs()
    work = tmp_path_factory.mktemp("box")
    root = str(work / "root")
    os.makedirs(root)
    run(["tar", "-C", root, "-xf", tar], timeout=600)
    shutil.copy("/etc/resolv.conf", os.path.join(root, "etc", "resolv.conf"))
    with open(os.path.join(root, "etc", "hostname"), "w") as f:
        f.write("edgelive-box\n")
    b = Box(root, os.path.join(cgroup2_dir(), f"edgelive-box-{os.getpid()}"), str(work / "systemd.log"))
    b.deb_name = os.path.basename(deb)
    shutil.copy(deb, os.path.join(root, "root", b.deb_name))
    # The administrator's configuration, in place before the package (kept as the conffile's local
    # version): free ports, since the box shares the host's network, and loopback URLs.
    b.http_port, b.rtmp_port, b.api_port = free_port(), free_port(), free_port()
    with open(os.path.join(ROOT_DIR, "packaging", "edgelive.conf")) as f:
        conf = f.read()
    for key, value in (("http-port", b.http_port), ("rtmp-port", b.rtmp_port), ("api-port", b.api_port),
                       ("public-host", "127.0.0.1")):
        conf, n = re.subn(rf"^{key} =.*$", f"{key} = {value}", conf, flags=re.M)
        assert n == 1, f"packaging/edgelive.conf has no single '{key} =' line"
    b.conf = conf
    os.makedirs(os.path.join(root, "etc", "edgelive"))
    with open(os.path.join(root, "etc", "edgelive", "edgelive.conf"), "w") as f:
        f.write(conf)
    try:
        b.boot_state = b.boot()
        yield b
    finally:
        b.shutdown()
        left = mounts_under(root)
        assert not left, f"mounts left behind by the box: {left}"
        shutil.rmtree(work, ignore_errors=True)


def apt(box, *args, timeout=900):
    return box.cmd(["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "-y", "-q",
                    "-o", "Dpkg::Options::=--force-confold", "-o", "Dpkg::Options::=--force-confdef", *args],
                   timeout=timeout)


def channel_urls(text):
    """The ingest (rtmp://) and HLS URLs a CLI call or the journal printed."""
    ingest = re.findall(r"rtmp://\S+", text)
    hls = re.findall(r"http://\S+format=m3u8-cmaf\)", text)
    return (ingest[-1] if ingest else None), (hls[-1] if hls else None)


def push_url(ingest):
    # The URL may stop at the access token (OBS's "server"); the stream name is then the encoder's choice.
    return ingest if re.search(r"/live/[^/]+/[^/]+$", ingest) else ingest.rstrip("/") + "/stream"


def push_and_play(box, ingest, hls, seconds):
    """Pushes `seconds` of H.264/AAC from the host and plays the HLS preview with ffprobe while it runs."""
    result = {}
    pusher = threading.Thread(target=lambda: result.setdefault("push", ffmpeg_push(push_url(ingest), seconds)))
    pusher.start()
    try:
        time.sleep(8)
        counts = probe_url_frames(hls, settle=6, limit=seconds + 40)
    finally:
        pusher.join(timeout=seconds + 90)
    push = result.get("push")
    assert push is not None and push.returncode == 0, \
        f"ffmpeg could not push to {ingest}: {push.stderr[-2000:] if push else 'still running'}\n" \
        f"{box.journal('edgelive')[-3000:]}"
    assert counts.get("video", 0) >= 60 and counts.get("audio", 0) >= 60, \
        f"ffprobe played too little of {hls}: {counts}\n{box.journal('edgelive')[-3000:]}"
    return counts


# MARK: - The tests, in order


def test_box_boots_systemd(box):
    assert box.boot_state in ("running", "degraded")
    assert box.sh("readlink /proc/1/exe").stdout.strip() == "/usr/lib/systemd/systemd"


def test_apt_installs_the_package_and_starts_the_service(box):
    apt(box, "update")
    apt(box, "install", f"/root/{box.deb_name}")
    assert box.cmd(["dpkg-query", "-W", "-f=${Status}", "edgelive"]).stdout == "install ok installed"
    assert box.sh("id -nG edgelive").stdout.split()[:1] == ["edgelive"], "the edgelive user was not created"
    assert box.sh("stat -c %U /var/lib/edgelive").stdout.strip() == "edgelive"
    assert box.show("edgelive.service", "UnitFileState") == "enabled"
    with open(os.path.join(box.root, "etc", "edgelive", "edgelive.conf")) as f:
        assert f.read() == box.conf, "the administrator's edgelive.conf was replaced on installation"
    wait_for("edgelive.service to be active", lambda: box.show("edgelive.service", "ActiveState") == "active"
             or (box.show("edgelive.service", "ActiveState") == "failed" and "failed"), 90)
    assert box.show("edgelive.service", "ActiveState") == "active", box.journal("edgelive")[-3000:]


def test_shipped_units_verify(box):
    units = [f"/lib/systemd/system/{u}" for u in SHIPPED_UNITS] + ["/lib/systemd/system/edgelive-channel@news.service"]
    r = box.cmd(["systemd-analyze", "verify", *units], check=False)
    assert r.returncode == 0 and not r.stderr.strip(), f"systemd-analyze verify: {r.stdout}{r.stderr}"


def test_channel_unit_starts_a_live_event_and_it_plays(box):
    box.cmd(["systemctl", "start", "edgelive-channel@news"], timeout=120)
    status = box.cmd(["systemctl", "status", "--no-pager", "-n", "30", "edgelive-channel@news"]).stdout
    assert "active (exited)" in status, status
    ingest, _ = channel_urls(status)
    assert ingest and f":{box.rtmp_port}/live/" in ingest, f"no ingest URL in systemctl status:\n{status}"
    shown = box.cmd(["edgelive", "event", "show", "news"]).stdout
    assert ingest in shown, f"`edgelive event show news` disagrees with the channel unit:\n{shown}"
    _, hls = channel_urls(shown)
    assert hls, f"no HLS preview URL in `edgelive event show news`:\n{shown}"
    box.ingest, box.hls = ingest, hls
    push_and_play(box, ingest, hls, 20)


def test_killed_daemon_is_restarted_and_the_channel_comes_back(box):
    before = int(box.show("edgelive.service", "NRestarts"))
    old_pid = box.show("edgelive.service", "MainPID")
    box.cmd(["systemctl", "kill", "-s", "KILL", "edgelive"])
    wait_for("systemd to restart edgelive after SIGKILL",
             lambda: int(box.show("edgelive.service", "NRestarts")) > before
             and box.show("edgelive.service", "ActiveState") == "active"
             and box.show("edgelive.service", "MainPID") not in ("0", old_pid), 90)
    assert box.show("edgelive-channel@news.service", "ActiveState") == "active"
    shown = wait_for("the API to answer after the restart",
                     lambda: box.cmd(["edgelive", "event", "show", "news"], check=False).stdout, 60)
    assert box.ingest in shown, f"the channel's ingest URL changed over a restart:\n{shown}\nwas {box.ingest}"
    push_and_play(box, box.ingest, box.hls, 12)


def test_watchdog_restarts_a_hung_daemon(box):
    box.sh("mkdir -p /etc/systemd/system/edgelive.service.d && printf '[Service]\\nEnvironment=EDGELIVE_DEBUG_HOOKS=1\\n'"
           " > /etc/systemd/system/edgelive.service.d/debug-hooks.conf && systemctl daemon-reload")
    try:
        box.cmd(["systemctl", "restart", "edgelive"], timeout=120)
        before = int(box.show("edgelive.service", "NRestarts"))
        cursor = box.cursor()
        box.cmd(["systemctl", "kill", "-s", "USR2", "edgelive"])
        watchdog = box.show("edgelive.service", "WatchdogUSec")
        wait_for(f"the watchdog ({watchdog}) to restart the blocked daemon",
                 lambda: int(box.show("edgelive.service", "NRestarts")) > before
                 and box.show("edgelive.service", "ActiveState") == "active", 120, interval=1)
        log = box.cmd(["journalctl", "--no-pager", "-o", "cat", "--after-cursor", cursor]).stdout
        assert "Watchdog timeout" in log, f"no watchdog timeout in the journal:\n{log[-3000:]}"
    finally:
        box.sh("rm -rf /etc/systemd/system/edgelive.service.d && systemctl daemon-reload")
        box.cmd(["systemctl", "restart", "edgelive"], timeout=120, check=False)


def test_stop_is_graceful_and_fast(box):
    cursor = box.cursor()
    started = time.time()
    box.cmd(["systemctl", "stop", "edgelive"], timeout=60)
    took = time.time() - started
    log = box.cmd(["journalctl", "--no-pager", "-o", "cat", "--after-cursor", cursor]).stdout
    assert took < 5, f"systemctl stop took {took:.1f} s\n{log[-3000:]}"
    assert box.show("edgelive.service", "Result") == "success", log[-3000:]
    assert box.show("edgelive.service", "ExecMainStatus") == "0", log[-3000:]
    assert "SIGKILL" not in log and "timed out" not in log, log[-3000:]
    box.cmd(["systemctl", "start", "edgelive"], timeout=120)


def test_journal_entries_carry_the_component(box):
    out = box.cmd(["journalctl", "--no-pager", "-u", "edgelive", "-o", "json"]).stdout
    entries = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    components = {e["EDGELIVE_COMPONENT"] for e in entries if "EDGELIVE_COMPONENT" in e}
    assert components, f"no journal entry of edgelive has EDGELIVE_COMPONENT among {len(entries)} entries"


def test_rtmps_with_a_certificate_and_reload_keeps_the_daemon(box):
    """The administrator configures RTMPS in edgelive.conf: libssl from the package's Depends serves it, an encoder pushes
    over rtmps://, and `systemctl reload` (SIGHUP) installs a renewed certificate without restarting the daemon."""
    tls_dir = os.path.join(box.root, "etc", "edgelive", "tls")
    os.makedirs(tls_dir, exist_ok=True)

    def certificate(common_name):
        run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", os.path.join(tls_dir, "ingest.key.new"), "-out", os.path.join(tls_dir, "ingest.crt.new"),
             "-days", "2", "-subj", f"/CN={common_name}"])
        box.sh("cd /etc/edgelive/tls && chgrp edgelive ingest.key.new && chmod 640 ingest.key.new"
               " && mv ingest.key.new ingest.key && mv ingest.crt.new ingest.crt")

    def served_subject():
        r = run(["openssl", "s_client", "-connect", f"127.0.0.1:{rtmps_port}", "-showcerts"], stdin=subprocess.DEVNULL,
                timeout=30)
        return re.search(r"^subject=(.*)$", r.stdout, re.M).group(1).strip()

    certificate("first.box.test")
    rtmps_port = free_port()
    conf = box.conf
    for key, value in (("rtmps-port", rtmps_port), ("tls-certificate", "/etc/edgelive/tls/ingest.crt"),
                       ("tls-key", "/etc/edgelive/tls/ingest.key")):
        conf, n = re.subn(rf"^{key} =.*$", f"{key} = {value}", conf, flags=re.M)
        assert n == 1, f"packaging/edgelive.conf has no single '{key} =' line"
    conf_path = os.path.join(box.root, "etc", "edgelive", "edgelive.conf")
    with open(conf_path, "w") as f:
        f.write(conf)
    try:
        box.cmd(["systemctl", "restart", "edgelive"], timeout=120)
        wait_for("edgelive.service to be active", lambda: box.show("edgelive.service", "ActiveState") == "active", 60)
        shown = wait_for("the API to list the rtmps ingest URL", lambda: re.findall(
            rf"rtmps://127\.0\.0\.1:{rtmps_port}/live/\S+", box.cmd(["edgelive", "event", "show", "news"], check=False).stdout), 60)
        assert served_subject() == "CN = first.box.test"
        push_and_play(box, shown[-1], box.hls, 12)
        pid = box.show("edgelive.service", "MainPID")
        certificate("second.box.test")
        cursor = box.cursor()
        box.cmd(["systemctl", "reload", "edgelive"], timeout=60)
        wait_for("the reload in the journal", lambda: "RTMPS certificate reloaded" in box.cmd(
            ["journalctl", "--no-pager", "-o", "cat", "--after-cursor", cursor]).stdout, 30)
        assert served_subject() == "CN = second.box.test"
        assert box.show("edgelive.service", "MainPID") == pid and box.show("edgelive.service", "ActiveState") == "active"
    finally:
        with open(conf_path, "w") as f:
            f.write(box.conf)
        shutil.rmtree(tls_dir, ignore_errors=True)
        box.cmd(["systemctl", "restart", "edgelive"], timeout=120, check=False)


def test_socket_activation_keeps_the_ports_across_restarts(box):
    api = f"http://127.0.0.1:{box.api_port}/"
    box.cmd(["systemctl", "stop", "edgelive.service"], timeout=60)
    # edgelive.socket on the box's ports (a drop-in, as its comment says), then nothing but the sockets listens.
    box.sh("mkdir -p /etc/systemd/system/edgelive.socket.d && "
           f"printf '[Socket]\\nListenStream=\\nListenStream={box.http_port}\\nListenStream={box.rtmp_port}\\n"
           f"ListenStream={box.api_port}\\n' > /etc/systemd/system/edgelive.socket.d/ports.conf && "
           "systemctl daemon-reload && systemctl enable --now edgelive.socket")
    try:
        assert box.show("edgelive.service", "ActiveState") in ("inactive", "failed")
        # A request while the service is stopped waits in the socket and starts the service.
        code = wait_for("the API to answer through the socket",
                        lambda: http_status(api, timeout=30)[0], 60)
        assert code == 401, code
        # The daemon answers once its state is loaded and sends READY=1 right after; systemd reads that datagram on its
        # own time, so the unit turns active a moment later.
        wait_for("the service to be active", lambda: box.show("edgelive.service", "ActiveState") == "active", 15)
        log = box.journal("edgelive.service")
        assert "cannot listen" not in log, log[-2000:]
        # A restart keeps the listening sockets: requests during it queue instead of being refused.
        errors = []
        def hammer():
            deadline = time.time() + 8
            while time.time() < deadline:
                try:
                    http_status(api, timeout=30)
                except OSError as error:
                    errors.append(repr(error))
                time.sleep(0.05)
        poller = threading.Thread(target=hammer)
        poller.start()
        box.cmd(["systemctl", "restart", "edgelive.service"], timeout=60)
        poller.join()
        assert not errors, f"connections were refused during the restart: {errors[:3]}"
        assert http_status(api)[0] == 401
    finally:
        box.sh("systemctl disable --now edgelive.socket; rm -rf /etc/systemd/system/edgelive.socket.d; "
               "systemctl daemon-reload; systemctl restart edgelive.service", timeout=120)
        wait_for("the API to answer after binding its own ports again",
                 lambda: box.cmd(["edgelive", "event", "show", "news"], check=False).returncode == 0, 60)


def test_upgrade_keeps_data_and_configuration(box):
    token = box.cmd(["cat", "/var/lib/edgelive/api-token"]).stdout
    version = box.cmd(["dpkg-query", "-W", "-f=${Version}", "edgelive"]).stdout
    # The same package with a higher version: what `apt upgrade` brings.
    box.sh(f"rm -rf /tmp/up && dpkg-deb -R /root/{box.deb_name} /tmp/up && "
           f"sed -i 's/^Version: .*/Version: {version}.1/' /tmp/up/DEBIAN/control && "
           "dpkg-deb -Znone -b /tmp/up /tmp/edgelive-upgrade.deb >/dev/null && rm -rf /tmp/up", timeout=300)
    apt(box, "install", "/tmp/edgelive-upgrade.deb")
    assert box.cmd(["dpkg-query", "-W", "-f=${Version}", "edgelive"]).stdout == f"{version}.1"
    with open(os.path.join(box.root, "etc", "edgelive", "edgelive.conf")) as f:
        assert f.read() == box.conf, "the upgrade replaced the administrator's edgelive.conf"
    assert box.cmd(["cat", "/var/lib/edgelive/api-token"]).stdout == token, "the upgrade changed the API token"
    wait_for("edgelive.service to be active after the upgrade",
             lambda: box.show("edgelive.service", "ActiveState") == "active", 90)
    shown = wait_for("the API to answer after the upgrade",
                     lambda: box.cmd(["edgelive", "event", "show", "news"], check=False).stdout, 60)
    assert box.ingest in shown, f"live event news lost over the upgrade:\n{shown}"


def test_channel_unit_stops_the_event(box):
    box.cmd(["systemctl", "stop", "edgelive-channel@news"], timeout=120)
    shown = box.cmd(["edgelive", "event", "show", "news"]).stdout
    assert re.search(r"\bStopped\b", shown), f"live event news not stopped:\n{shown}"


def test_remove_keeps_data_and_purge_removes_it(box):
    apt(box, "remove", "edgelive")
    assert box.show("edgelive.service", "ActiveState") in ("inactive", "failed")
    assert box.cmd(["test", "-f", "/var/lib/edgelive/api-token"], check=False).returncode == 0, \
        "remove deleted the data"
    assert box.cmd(["test", "-f", "/etc/edgelive/edgelive.conf"], check=False).returncode == 0, \
        "remove deleted the configuration"
    apt(box, "purge", "edgelive")
    for path in ("/var/lib/edgelive", "/etc/edgelive"):
        assert box.cmd(["test", "-e", path], check=False).returncode != 0, f"purge left {path}"
    assert box.cmd(["getent", "passwd", "edgelive"], check=False).returncode != 0, "purge left the user"
