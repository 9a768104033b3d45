"""The `edgelive` command-line client against the real daemon: verbs, tables, --json, exit codes."""
import json
import subprocess

from conftest import BIN, ffmpeg_push, http_status


def cli(daemon, *args, token=True):
    cmd = [BIN, *args, "--api", daemon.api]
    if token:
        cmd += ["--data-dir", daemon.data_dir]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def test_cli_live_workflow(daemon):
    r = cli(daemon, "event", "create", "clinews", "--description", "from the CLI")
    assert r.returncode == 0, r.stderr
    r = cli(daemon, "event", "show", "clinews", "--json")
    assert r.returncode == 0, r.stderr
    event = json.loads(r.stdout)
    assert event["properties"]["resourceState"] == "Running"
    ingest = event["properties"]["input"]["endpoints"][0]["url"]

    r = cli(daemon, "event", "list")
    assert r.returncode == 0 and "clinews" in r.stdout and "Running" in r.stdout, r.stdout

    r = cli(daemon, "output", "create", "clinews", "cliout", "--asset", "cliasset", "--archive-window", "PT10M",
            "--manifest-name", "show")
    assert r.returncode == 0, r.stderr
    r = cli(daemon, "locator", "create", "cliloc", "--asset", "cliasset")
    assert r.returncode == 0, r.stderr
    push = ffmpeg_push(ingest + "/cam", 6)
    assert push.returncode == 0, push.stderr
    r = cli(daemon, "locator", "paths", "cliloc")
    assert r.returncode == 0, r.stderr
    urls = [w for w in r.stdout.split() if w.startswith("http://") and "m3u8-cmaf" in w]
    assert urls, r.stdout
    assert http_status(urls[0])[0] == 200

    # Filters: a video-only asset filter, pinned on a second locator, and an account filter named in the URL.
    r = cli(daemon, "filter", "create", "novideo", "--asset", "cliasset", "--track", "Type!=video")
    assert r.returncode == 0 and "Type!=video" in r.stdout, (r.stdout, r.stderr)
    r = cli(daemon, "filter", "create", "late", "--backoff", "2")
    assert r.returncode == 0 and "backoff=2s" in r.stdout, (r.stdout, r.stderr)
    r = cli(daemon, "filter", "list")
    assert r.returncode == 0 and "late" in r.stdout and "novideo" not in r.stdout, r.stdout
    r = cli(daemon, "filter", "list", "--asset", "cliasset")
    assert r.returncode == 0 and "novideo" in r.stdout, r.stdout
    r = cli(daemon, "locator", "create", "cliaudio", "--asset", "cliasset", "--filter", "novideo")
    assert r.returncode == 0 and "novideo" in r.stdout, (r.stdout, r.stderr)
    r = cli(daemon, "locator", "paths", "cliaudio")
    audio_url = [w for w in r.stdout.split() if w.startswith("http://") and "m3u8-cmaf" in w][0]
    code, text = http_status(audio_url)
    assert code == 200 and "RESOLUTION=" not in text and "mp4a" in text, text
    code, text = http_status(urls[0].replace("format=m3u8-cmaf", "format=m3u8-cmaf,filter=late"))
    assert code == 200 and "RESOLUTION=" in text, text
    r = cli(daemon, "filter", "delete", "novideo", "--asset", "cliasset")
    assert r.returncode != 0 and "cliaudio" in r.stderr, (r.returncode, r.stderr)
    assert cli(daemon, "locator", "delete", "cliaudio").returncode == 0
    assert cli(daemon, "filter", "delete", "novideo", "--asset", "cliasset").returncode == 0
    assert cli(daemon, "filter", "delete", "late").returncode == 0
    assert cli(daemon, "filter", "show", "late").returncode == 2

    # Exit codes scripts rely on.
    assert cli(daemon, "event", "show", "nosuchevent").returncode == 2
    r = cli(daemon, "event", "stop", "clinews")
    assert r.returncode == 3 and "remove" in r.stderr.lower(), r.stderr
    assert cli(daemon, "event", "list", "--token", "wrong-token-wrong-token", token=False).returncode == 4
    r = subprocess.run([BIN, "event", "list", "--api", "http://127.0.0.1:1", "--token", "x"], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 5 and "edgelive serve" in r.stderr, r.stderr

    assert cli(daemon, "output", "delete", "clinews", "cliout").returncode == 0
    assert cli(daemon, "event", "stop", "clinews").returncode == 0
    assert cli(daemon, "event", "delete", "clinews").returncode == 0
    r = cli(daemon, "asset", "list")
    assert r.returncode == 0 and "cliasset" in r.stdout
    assert cli(daemon, "locator", "delete", "cliloc").returncode == 0
    assert http_status(urls[0])[0] == 404
    assert cli(daemon, "endpoint", "show").returncode == 0


def test_cli_start_create_from_configuration(daemon, tmp_path):
    # The file tells the CLI where the API and the token are, and what a new channel looks like.
    conf = tmp_path / "edgelive.conf"
    conf.write_text(f"[server]\ndata-dir = {daemon.data_dir}\napi-port = {daemon.api_port}\n\n"
                    "[channel]\nencoding = PassthroughStandard\nallow = 127.0.0.0/8\n")
    run = lambda *a: subprocess.run([BIN, *a, "--config", str(conf)], capture_output=True, text=True, timeout=60)
    r = run("event", "start", "news", "--create")
    assert r.returncode == 0, r.stderr
    assert f"rtmp://127.0.0.1:{daemon.rtmp_port}/live/" in r.stdout, r.stdout
    r = run("event", "show", "news", "--json")
    event = json.loads(r.stdout)
    assert event["properties"]["input"]["accessControl"]["ip"]["allow"][0]["address"] == "127.0.0.0"
    assert event["properties"]["resourceState"] == "Running"
    # Starting again (a unit restarted) is fine and keeps the same URL; stop leaves it Stopped.
    again = run("event", "start", "news", "--create")
    assert again.returncode == 0 and event["properties"]["input"]["endpoints"][0]["url"] in again.stdout, again.stdout
    assert run("event", "stop", "news", "--remove-outputs").returncode == 0
    assert json.loads(run("event", "show", "news", "--json").stdout)["properties"]["resourceState"] == "Stopped"
