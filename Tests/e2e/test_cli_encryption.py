"""The content protection verbs of the `edgelive` client against a real daemon: a token policy with a generated key,
a Predefined_ClearKey locator guarded by it, the token `token issue` signs fetching the key from key delivery, and the
locator's keys written as a CPIX document and read back into a second locator."""
import base64
import json
import os
import re
import stat
import urllib.error
import urllib.request
import uuid
import xml.etree.ElementTree as ET

from conftest import arm
from test_cli import cli

CPIX = "{urn:dashif:org:cpix}"
PSKC = "{urn:ietf:params:xml:ns:keyprov:pskc}"


def key_request(daemon, kid, token=None):
    req = urllib.request.Request(f"{daemon.origin}/keydelivery/?kid={kid}")
    if token is not None:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def content_keys(daemon, locator):
    r = cli(daemon, "locator", "keys", locator, "--json")
    assert r.returncode == 0, r.stderr
    return sorted((k["id"], k["type"], k["labelReferenceInStreamingPolicy"], k["value"]) for k in json.loads(r.stdout)["contentKeys"])


def test_cli_token_policy_key_delivery_and_cpix(daemon, tmp_path):
    r = cli(daemon, "key-policy", "create", "clitokens", "--token-restricted", "--issuer", "https://sts.example", "--audience", "edgelive",
            "--generate-key", "--bind-key-id", "--description", "from the CLI")
    assert r.returncode == 0, r.stderr
    generated = re.search(r"Generated key \(base64, HMAC-SHA256\): (\S+)", r.stdout)
    assert generated, r.stdout
    hmac_key = generated.group(1)
    assert len(base64.b64decode(hmac_key)) == 32
    assert r.stdout.count(hmac_key) == 1
    # Reads mask the key; --secrets shows it.
    r = cli(daemon, "key-policy", "show", "clitokens")
    assert r.returncode == 0 and hmac_key not in r.stdout and "hidden" in r.stdout, r.stdout
    r = cli(daemon, "key-policy", "show", "clitokens", "--secrets")
    assert r.returncode == 0 and hmac_key in r.stdout, r.stdout
    r = cli(daemon, "key-policy", "list")
    assert r.returncode == 0 and re.search(r"clitokens\s+token \(Jwt\)\s+https://sts.example\s+edgelive\s+symmetric", r.stdout), r.stdout
    assert cli(daemon, "key-policy", "create", "cliopen", "--open").returncode == 0

    status, _, _ = arm(daemon, "PUT", "/assets/cliprotected", {"properties": {}}, version="2023-01-01")
    assert status in (200, 201)
    r = cli(daemon, "locator", "create", "cliaes", "--asset", "cliprotected", "--policy", "Predefined_ClearKey",
            "--key-policy", "clitokens")
    assert r.returncode == 0, r.stderr
    keys = content_keys(daemon, "cliaes")
    assert [(k[1], k[2]) for k in keys] == [("EnvelopeEncryption", "aesDefaultKey")], keys
    kid, key = keys[0][0], base64.b64decode(keys[0][3])
    r = cli(daemon, "locator", "keys", "cliaes")
    assert r.returncode == 0, r.stderr
    assert re.search(rf"{kid}\s+EnvelopeEncryption\s+aesDefaultKey\s+clitokens\s+{re.escape(keys[0][3])}", r.stdout), r.stdout

    # The token the CLI signs gets the key; a tampered one, none, or an open policy's does not.
    r = cli(daemon, "token", "issue", "--policy", "clitokens", "--key-id", kid, "--valid-for", "10m")
    assert r.returncode == 0, r.stderr
    token = r.stdout.strip()
    assert token.count(".") == 2 and "\n" not in token
    assert key_request(daemon, kid, token) == (200, key)
    assert len(key) == 16
    header, payload, signature = token.split(".")
    tampered_payload = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    tampered_payload["aud"] = "someone-else"
    forged = base64.urlsafe_b64encode(json.dumps(tampered_payload).encode()).rstrip(b"=").decode()
    for bad in (f"{header}.{forged}.{signature}", f"{header}.{payload}.{signature[:-4]}{'AAAA' if signature[-4:] != 'AAAA' else 'BBBB'}", None):
        status, body = key_request(daemon, kid, bad)
        assert status == 401 and key not in body, (bad, status)
    r = cli(daemon, "token", "issue", "--policy", "clitokens")
    assert r.returncode == 64 and "--key-id" in r.stderr, (r.returncode, r.stderr)
    r = cli(daemon, "token", "issue", "--policy", "cliopen")
    assert r.returncode == 1 and "open" in r.stderr, (r.returncode, r.stderr)
    assert cli(daemon, "token", "issue", "--policy", "nosuchpolicy").returncode == 2

    # The keys as CPIX: the same ids and values as listContentKeys, private to the owner.
    path = tmp_path / "cliaes-keys.xml"
    r = cli(daemon, "locator", "keys", "cliaes", "--cpix", str(path))
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    root = ET.parse(path).getroot()
    assert root.tag == f"{CPIX}CPIX" and root.get("version") == "2.3"
    written = sorted((ck.get("kid"), ck.find(f"{CPIX}Data/{PSKC}Secret/{PSKC}PlainValue").text)
                     for ck in root.iter(f"{CPIX}ContentKey"))
    assert written == [(k[0], k[3]) for k in keys], written
    r = cli(daemon, "locator", "keys", "cliaes", "--cpix", "-")
    assert r.returncode == 0 and r.stdout == path.read_text()

    # A second locator from that document has the same keys, typed and labelled by its policy.
    r = cli(daemon, "locator", "create", "clicopy", "--asset", "cliprotected", "--policy", "Predefined_ClearKey",
            "--key-policy", "clitokens", "--cpix", str(path))
    assert r.returncode == 0, r.stderr
    assert content_keys(daemon, "clicopy") == keys
    assert key_request(daemon, kid, token) == (200, key)

    # A multi-DRM locator's document carries a pssh per key and system.
    r = cli(daemon, "locator", "create", "clidrm", "--asset", "cliprotected", "--policy", "Predefined_MultiDrmStreaming",
            "--key-policy", "cliopen")
    assert r.returncode == 0, r.stderr
    r = cli(daemon, "locator", "keys", "clidrm", "--cpix", "-")
    assert r.returncode == 0, r.stderr
    drm = ET.fromstring(r.stdout)
    schemes = sorted(ck.get("commonEncryptionScheme") for ck in drm.iter(f"{CPIX}ContentKey"))
    assert schemes == ["cbcs", "cenc"], schemes
    systems = sorted(s.get("systemId") for s in drm.iter(f"{CPIX}DRMSystem"))
    assert systems == sorted(["edef8ba9-79d6-4ace-a3c8-27dcd51d21ed", "9a04f079-9840-4286-ab92-e65be0885f95",
                              "1077efec-c0b2-4d02-ace3-3c1e52e2fb4b"] * 2), systems
    for system in drm.iter(f"{CPIX}DRMSystem"):
        box = base64.b64decode(system.find(f"{CPIX}PSSH").text)
        assert box[4:8] == b"pssh" and str(uuid.UUID(bytes=box[12:28])) == system.get("systemId")

    # Refusals: an encrypted document, a document for another policy, a policy in use.
    encrypted = tmp_path / "encrypted.xml"
    encrypted.write_text(path.read_text().replace("<cpix:ContentKeyList>",
                                                  "<cpix:DeliveryDataList><cpix:DeliveryData/></cpix:DeliveryDataList><cpix:ContentKeyList>"))
    r = cli(daemon, "locator", "create", "clibad", "--asset", "cliprotected", "--policy", "Predefined_ClearKey",
            "--key-policy", "clitokens", "--cpix", str(encrypted))
    assert r.returncode == 64 and "encrypted" in r.stderr, (r.returncode, r.stderr)
    drm_doc = tmp_path / "drm.xml"
    drm_doc.write_text(ET.tostring(drm, encoding="unicode"))
    r = cli(daemon, "locator", "create", "clibad", "--asset", "cliprotected", "--policy", "Predefined_ClearKey",
            "--key-policy", "clitokens", "--cpix", str(drm_doc))
    assert r.returncode == 64 and "no place" in r.stderr, (r.returncode, r.stderr)
    r = cli(daemon, "key-policy", "delete", "clitokens")
    assert r.returncode in (3, 6) and ("cliaes" in r.stderr or "clicopy" in r.stderr), (r.returncode, r.stderr)

    for locator in ("cliaes", "clicopy", "clidrm"):
        assert cli(daemon, "locator", "delete", locator).returncode == 0
    assert key_request(daemon, kid, token)[0] in (401, 404)
    r = cli(daemon, "key-policy", "delete", "clitokens")
    assert r.returncode == 0 and "deleted content key policy 'clitokens'" in r.stdout, r.stderr
    assert cli(daemon, "key-policy", "show", "clitokens").returncode == 2
