"""The README's code runs as it is written: its Python SDK snippet against a real daemon."""
import os
import re
import subprocess
import sys

README = os.path.join(os.path.dirname(__file__), "..", "..", "README.md")


def readme_block(after, language):
    text = open(README).read()
    start = text.index(after)
    m = re.compile(r"```" + language + r"\n(.*?)```", re.S).search(text, start)
    assert m, f"no ```{language} block after {after!r}"
    return m.group(1)


def test_the_python_sdk_snippet_lists_the_boxs_events(daemon, tmp_path):
    code = readme_block("With the Python SDK", "python")
    # Only the box's address and where its data directory is differ from what the README says.
    code = code.replace("http://HOST:8090", daemon.api).replace('"data/api-token"',
                                                                 repr(os.path.join(daemon.data_dir, "api-token")))
    script = tmp_path / "snippet.py"
    script.write_text(code)
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "default Running" in r.stdout, r.stdout
