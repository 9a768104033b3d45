"""Dynamic encryption end to end (issue 13), with real players.

One daemon for the module. The official SDK creates a token-restricted ClearKey content key policy (JWT, HS256, a
required claim binding the token to one key) and, on one asset recorded by a live output, four locators: clear
(Predefined_ClearStreamingOnly, the reference), Predefined_ClearKey (AES-128 envelope), Predefined_MultiDrmCencStreaming
(CENC for DASH and Smooth) and a custom CBCS policy with W3C Clear Key for HLS and DASH. ffmpeg pushes 12 s.

- Live, while the push runs: the envelope playlist keys its segments, and a live segment decrypts with the key.
- AES-128 envelope: ffprobe plays the HLS TS and HLS CMAF playlists as an HLS client with the JWT sent on the key
  request and decodes every frame; without a token, with a wrong signature, expired, for another audience or another
  key, the key answers 401 and the player fails.
- CENC DASH: init and media segments concatenated, decrypted by ffmpeg with the key listContentKeys gives: the
  decrypted samples equal the clear locator's bit for bit (packet hashes); without the key they do not decode to the
  same frames; the pssh boxes name Widevine and PlayReady with the key id.
- CBCS DASH in headless Chromium through EME (Clear Key CDM, the box's ClearKey licence endpoint, the JWT).
- Refusals: a scheme the policy does not enable, an HLS request to a DASH/Smooth-only policy without `encryption=`.
- A restart keeps the keys and the URLs.
"""
import base64
import hashlib
import hmac
import json
import os
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest
from azure.mgmt.media.models import (ClearKeyEncryptionConfiguration, CommonEncryptionCbcs, ContentKeyPolicy,
                                     ContentKeyPolicyClearKeyConfiguration, ContentKeyPolicyOption,
                                     ContentKeyPolicySymmetricTokenKey, ContentKeyPolicyTokenClaim,
                                     ContentKeyPolicyTokenRestriction, DefaultKey, EnabledProtocols, StreamingLocator,
                                     StreamingPolicy, StreamingPolicyContentKeys)

from conftest import Daemon, arm, ffmpeg_push_cmd, http_get, resolve
from test_api_sdk import ACCOUNT, RG, sdk_client
from test_formats import dash_tracks, boxes, probe_counts, write

PUSH_SECONDS = 12
FPS = 30
GOP = 60
ISSUER = "https://sts.example.net/edgelive-tests"
AUDIENCE = "urn:edgelive-tests:viewers"
SIGNING_KEY = os.urandom(32)
KID_CLAIM = "urn:microsoft:azure:mediaservices:contentkeyidentifier"
WIDEVINE = "edef8ba979d64acea3c827dcd51d21ed"
PLAYREADY = "9a04f07998404286ab92e65be0885f95"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(claims, key=SIGNING_KEY):
    """An HS256 JWT, as an STS would issue one."""
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64url(json.dumps(claims).encode())
    signature = hmac.new(key, f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{b64url(signature)}"


def token_for(kid, **override):
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "nbf": now - 300, "exp": now + 3600, KID_CLAIM: str(kid)}
    claims.update(override)
    return jwt({k: v for k, v in claims.items() if v is not None})


def get(url, token=None):
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=15) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    data = str(tmp_path_factory.mktemp("encryption") / "data")
    d = Daemon(data).start()
    try:
        client = sdk_client(d)
        restriction = ContentKeyPolicyTokenRestriction(
            issuer=ISSUER, audience=AUDIENCE, restriction_token_type="Jwt",
            primary_verification_key=ContentKeyPolicySymmetricTokenKey(key_value=SIGNING_KEY),
            required_claims=[ContentKeyPolicyTokenClaim(claim_type=KID_CLAIM)])
        client.content_key_policies.create_or_update(RG, ACCOUNT, "viewers", ContentKeyPolicy(
            description="token-restricted clear key", options=[ContentKeyPolicyOption(
                name="clearkey", configuration=ContentKeyPolicyClearKeyConfiguration(), restriction=restriction)]))
        client.streaming_policies.create(RG, ACCOUNT, "cbcs-clearkey", StreamingPolicy(
            default_content_key_policy_name="viewers",
            common_encryption_cbcs=CommonEncryptionCbcs(
                enabled_protocols=EnabledProtocols(download=False, dash=True, hls=True, smooth_streaming=False),
                content_keys=StreamingPolicyContentKeys(default_key=DefaultKey(label="cbcs")),
                clear_key_encryption_configuration=ClearKeyEncryptionConfiguration())))

        assert arm(d, "PUT", "/assets/protected", {}, version="2023-01-01")[0] == 201
        assert arm(d, "PUT", "/liveEvents/default/liveOutputs/protected", {
            "properties": {"assetName": "protected", "archiveWindowLength": "PT5M", "manifestName": "show"}})[0] == 201
        locators = {}
        for name, policy in [("clear", "Predefined_ClearStreamingOnly"), ("envelope", "Predefined_ClearKey"),
                             ("cenc", "Predefined_MultiDrmCencStreaming"), ("cbcs", "cbcs-clearkey")]:
            locator = client.streaming_locators.create(RG, ACCOUNT, name, StreamingLocator(
                asset_name="protected", streaming_policy_name=policy, default_content_key_policy_name="viewers"))
            keys = [] if name == "clear" else client.streaming_locators.list_content_keys(RG, ACCOUNT, name).content_keys
            locators[name] = {"id": locator.streaming_locator_id, "keys": keys,
                              "base": f"{d.origin}/{locator.streaming_locator_id}/show.ism/"}

        push = subprocess.Popen(ffmpeg_push_cmd(d.ingest, PUSH_SECONDS), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        state = {"daemon": d, "data": data, "client": client, "locators": locators, "push": push}
        yield state
        push.wait(timeout=PUSH_SECONDS + 60)
        d = state["daemon"]
    finally:
        d.stop()
    assert d.proc.returncode == 0, f"edgelive did not exit cleanly: {d.proc.returncode}\n{d.read_log()[-3000:]}"


def key_of(box, locator, kind):
    """The content key of `kind` (EnvelopeEncryption, CommonEncryptionCenc, CommonEncryptionCbcs) of a locator."""
    for key in box["locators"][locator]["keys"]:
        if key.type == kind:
            return uuid.UUID(key.id), base64.b64decode(key.value)
    raise AssertionError(f"{locator} has no {kind} key: {box['locators'][locator]['keys']}")


def url(box, locator, options):
    return box["locators"][locator]["base"] + f"manifest({options})"


def media_playlist(master, kind="video", wait=20):
    deadline = time.time() + wait
    status, body = get(master)
    while status == 404 and b"no content yet" in body and time.time() < deadline:   # the push's first fragments
        time.sleep(0.5)
        status, body = get(master)
    assert status == 200, (master, body[:300])
    lines = body.decode().splitlines()
    for i, line in enumerate(lines):
        if kind == "video" and line.startswith("#EXT-X-STREAM-INF:") and "RESOLUTION=" in line:
            return resolve(master, lines[i + 1].strip())
    raise AssertionError(f"no {kind} playlist in {master}")


def finished(box):
    """Waits for the push to end and turns the recording into on-demand content (the live output deleted)."""
    if box.get("vod"):
        return
    assert box["push"].wait(timeout=PUSH_SECONDS + 60) == 0, box["push"].stderr.read()
    time.sleep(1.5)
    assert arm(box["daemon"], "DELETE", "/liveEvents/default/liveOutputs/protected")[0] in (200, 202, 204)
    box["vod"] = True


def ffprobe_frames(media_url, headers=None, timeout=120):
    cmd = ["ffprobe", "-v", "error"]
    if headers:
        cmd += ["-headers", headers]
    cmd += ["-select_streams", "v:0", "-count_frames", "-show_entries", "stream=nb_read_frames", "-of", "json", media_url]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        return 0, r.stderr
    streams = json.loads(r.stdout).get("streams", [])
    return (int(streams[0].get("nb_read_frames", 0)) if streams else 0), r.stderr


# MARK: - Live

def test_live_envelope_playlist_keys_every_segment_and_a_live_segment_decrypts(box, tmp_path):
    kid, key = key_of(box, "envelope", "EnvelopeEncryption")
    playlist = media_playlist(url(box, "envelope", "format=m3u8-aapl,encryption=cbc"))
    deadline = time.time() + 20
    while True:
        status, body = get(playlist)
        text = body.decode()
        segments = [line for line in text.splitlines() if line and not line.startswith("#")]
        if len(segments) >= 2 or time.time() > deadline:
            break
        time.sleep(1)
    assert "#EXT-X-ENDLIST" not in text, "still live"
    keys = [line for line in text.splitlines() if line.startswith("#EXT-X-KEY:")]
    assert len(keys) == len(segments) >= 2, text
    assert all(f"kid={kid}" in k and "METHOD=AES-128" in k for k in keys), keys
    # The segment bytes are not TS until decrypted with the playlist's IV.
    iv = keys[0].split("IV=0x")[1]
    status, encrypted = get(resolve(playlist, segments[0]))
    assert status == 200 and encrypted[0] != 0x47
    path = write(tmp_path, "live.ts.enc", encrypted)
    clear = subprocess.run(["openssl", "enc", "-d", "-aes-128-cbc", "-K", key.hex(), "-iv", iv, "-in", path],
                           capture_output=True, timeout=30)
    assert clear.returncode == 0 and clear.stdout[0] == 0x47 and len(clear.stdout) % 188 == 0
    assert probe_counts(write(tmp_path, "live.ts", clear.stdout)).get("video", 0) >= GOP


# MARK: - AES-128 envelope with token-restricted key delivery

@pytest.mark.parametrize("fmt", ["m3u8-aapl", "m3u8-cmaf"])
def test_envelope_hls_plays_with_a_token_and_not_without(box, fmt):
    finished(box)
    kid, _ = key_of(box, "envelope", "EnvelopeEncryption")
    playlist = media_playlist(url(box, "envelope", f"format={fmt},encryption=cbc"))
    clear_frames, _ = ffprobe_frames(media_playlist(url(box, "clear", f"format={fmt}")))
    assert clear_frames >= (PUSH_SECONDS - 2) * FPS
    frames, log = ffprobe_frames(playlist, headers=f"Authorization: Bearer {token_for(kid)}\r\n")
    assert frames == clear_frames, log[-2000:]
    # The key request is what fails without a valid token.
    frames, _ = ffprobe_frames(playlist)
    assert frames == 0


def test_key_delivery_refuses_bad_tokens(box):
    kid, key = key_of(box, "envelope", "EnvelopeEncryption")
    other, _ = key_of(box, "cbcs", "CommonEncryptionCbcs")
    key_url = f"{box['daemon'].origin}/keydelivery/?kid={kid}"
    assert get(key_url, token_for(kid)) == (200, key)
    # Players that cannot add a header send it as `token=`.
    assert get(key_url + "&token=" + urllib.parse.quote("Bearer " + token_for(kid))) == (200, key)
    now = int(time.time())
    bad = {
        "none": None,
        "wrong signature": token_for(kid)[:-4] + ("AAAA" if not token_for(kid).endswith("AAAA") else "BBBB"),
        "other signing key": jwt({"iss": ISSUER, "aud": AUDIENCE, "exp": now + 600, KID_CLAIM: str(kid)}, key=os.urandom(32)),
        "expired": token_for(kid, exp=now - 3600, nbf=now - 7200),
        "not yet valid": token_for(kid, nbf=now + 3600, exp=now + 7200),
        "wrong audience": token_for(kid, aud="urn:someone-else"),
        "wrong issuer": token_for(kid, iss="https://evil.example"),
        "another key's token": token_for(other),
        "no key claim": token_for(kid, **{KID_CLAIM: None}),
    }
    for what, token in bad.items():
        status, body = get(key_url, token)
        assert status == 401, what
        assert key not in body, what


# MARK: - CENC DASH

def packet_hashes(path, kind="video", key=None):
    """MD5 of every packet of the file's one track (`-c copy`: the samples as stored, or decrypted with `key`)."""
    cmd = ["ffmpeg", "-v", "error"] + (["-decryption_key", key.hex()] if key else []) + [
        "-i", path, "-map", "0:v" if kind == "video" else "0:a", "-c", "copy", "-f", "framemd5", "-"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    # Fields: stream, dts, pts, duration, size, hash[, side data count, size, hash]: the sample's own hash is the sixth.
    return r.returncode, [line.split(",")[5].strip() for line in r.stdout.splitlines() if line and not line.startswith("#")]


def pssh_boxes(init):
    """(system id hex, [key id hex]) of every pssh in the moov."""
    out = []
    for kind, start, end in boxes(init):
        if kind != "moov":
            continue
        for inner, s, e in boxes(init, start + 8, end):
            if inner != "pssh":
                continue
            version = init[s + 8]
            system = init[s + 12:s + 28].hex()
            kids = []
            if version >= 1:
                count = int.from_bytes(init[s + 28:s + 32], "big")
                kids = [init[s + 32 + 16 * i:s + 48 + 16 * i].hex() for i in range(count)]
            out.append((system, kids))
    return out


def test_cenc_dash_decrypts_bit_exact_with_the_listed_key(box, tmp_path):
    finished(box)
    kid, key = key_of(box, "cenc", "CommonEncryptionCenc")
    root, tracks = dash_tracks(url(box, "cenc", "format=mpd-time-cmaf,encryption=cenc"))
    _, clear_tracks = dash_tracks(url(box, "clear", "format=mpd-time-cmaf"))
    text = http_get(url(box, "cenc", "format=mpd-time-cmaf,encryption=cenc"))[2].decode()
    assert f'cenc:default_KID="{kid}"' in text and 'value="cenc"' in text
    assert f"urn:uuid:{uuid.UUID(WIDEVINE)}" in text and f"urn:uuid:{uuid.UUID(PLAYREADY)}" in text
    for kind in ("video", "audio"):
        protected = next(t for t in tracks if t["kind"] == kind)
        clear = next(t for t in clear_tracks if t["kind"] == kind)
        init, clear_init = http_get(protected["init"])[2], http_get(clear["init"])[2]
        systems = dict(pssh_boxes(init))
        assert WIDEVINE in systems and PLAYREADY in systems, systems
        # Debian 12's ffmpeg (5.1) decrypts one encrypted fragment per file (it keeps the sample encryption of the last
        # fragment it parsed), so each segment is checked with its init segment; each starts with a key frame.
        decrypted_all, expected_all, undecrypted_all = [], [], []
        for i, (segment, reference) in enumerate(zip(protected["segments"], clear["segments"])):
            encrypted = write(tmp_path, f"cenc-{kind}-{i}.mp4", init + http_get(segment)[2])
            code, decrypted = packet_hashes(encrypted, kind, key)
            assert code == 0, f"{kind} segment {i} does not decrypt"
            decrypted_all += decrypted
            undecrypted_all += packet_hashes(encrypted, kind)[1]
            expected_all += packet_hashes(write(tmp_path, f"clear-{kind}-{i}.mp4", clear_init + http_get(reference)[2]), kind)[1]
        minimum = (PUSH_SECONDS - 2) * (FPS if kind == "video" else 46)
        assert len(expected_all) >= minimum, (kind, len(expected_all))
        differing = [i for i, (a, b) in enumerate(zip(decrypted_all, expected_all)) if a != b]
        assert decrypted_all == expected_all, f"decrypted {kind} samples differ from the clear ones at {differing[:20]} of {len(expected_all)}; key {key.hex()}"
        # Without the key the samples stay encrypted.
        assert undecrypted_all != expected_all


def test_smooth_cenc_carries_the_playready_header(box):
    finished(box)
    status, body = get(box["locators"]["cenc"]["base"] + "manifest(encryption=cenc)")
    assert status == 200, body[:300]
    assert b"<ProtectionHeader SystemID=\"9a04f079-9840-4286-ab92-e65be0885f95\">" in body


# MARK: - CBCS in a browser

def test_cbcs_dash_plays_in_chromium_through_eme_clear_key(box, tmp_path):
    from test_interop_matrix import Chromium, serve_page
    finished(box)
    kid, _ = key_of(box, "cbcs", "CommonEncryptionCbcs")
    mpd = url(box, "cbcs", "format=mpd-time-cmaf,encryption=cbcs-aapl")
    text = http_get(mpd)[2].decode()
    assert 'value="cbcs"' in text and "e2719d58" in text
    server = serve_page()
    chromium = Chromium(str(tmp_path), f"http://127.0.0.1:{server.server_address[1]}")
    try:
        page_result = chromium_play(chromium, mpd, f"{box['daemon'].origin}/keydelivery/ClearKey/", token_for(kid))
    finally:
        chromium.stop()
        server.shutdown()
    assert not page_result.get("error"), page_result
    assert page_result.get("licences", 0) >= 1, page_result
    assert page_result["frames"] >= 5 * FPS, page_result


def chromium_play(chromium, mpd, licence, token, minimum=5 * FPS, timeout=60):
    import json as _json
    from websockets.sync.client import connect
    page = f"{chromium.page_origin}/interop_player.html?" + urllib.parse.urlencode(
        {"mode": "dash", "url": mpd, "licence": licence, "token": token, "scheme": "cbcs"})
    with connect(chromium.browser_ws, max_size=None, open_timeout=10) as browser:
        browser.send(_json.dumps({"id": 1, "method": "Target.createTarget", "params": {"url": page, "newWindow": True}}))
        while True:
            message = _json.loads(browser.recv(timeout=10))
            if message.get("id") == 1:
                break
    target = message["result"]["targetId"]
    result = {"frames": 0, "error": "no result"}
    with connect(f"ws://127.0.0.1:{chromium.port}/devtools/page/{target}", max_size=None, open_timeout=10) as ws:
        deadline, ident = time.time() + timeout, 0
        while time.time() < deadline:
            ident += 1
            ws.send(_json.dumps({"id": ident, "method": "Runtime.evaluate", "params": {
                "expression": "JSON.stringify(window.matrixResult || null)", "returnByValue": True}}))
            while True:
                reply = _json.loads(ws.recv(timeout=10))
                if reply.get("id") == ident:
                    break
            value = reply.get("result", {}).get("result", {}).get("value")
            if value and value != "null":
                result = _json.loads(value)
                if result.get("error") or result.get("frames", 0) >= minimum:
                    break
            time.sleep(0.5)
    return result


# MARK: - Refusals and restart

def test_refusals_name_the_service_codes(box):
    finished(box)
    # A scheme the policy does not enable.
    status, body = get(url(box, "envelope", "format=m3u8-cmaf,encryption=cenc"))
    assert status == 400 and b"MPE_ENC_ENCRYPTION_NOT_SET_IN_DELIVERY_POLICY" in body
    # HLS of a policy that encrypts only DASH and Smooth, without encryption=.
    status, body = get(url(box, "cenc", "format=m3u8-cmaf"))
    assert status == 400 and b"MPE_ENC_ENCRYPTION_NOT_SPECIFIED_IN_URL" in body
    # A clear locator asked for a scheme.
    status, body = get(url(box, "clear", "format=m3u8-cmaf,encryption=cbc"))
    assert status == 400 and b"MPE_ENC_ENCRYPTION_NOT_SET_IN_DELIVERY_POLICY" in body


def test_restart_keeps_keys_and_urls(box):
    finished(box)
    d = box["daemon"]
    kid, key = key_of(box, "envelope", "EnvelopeEncryption")
    before = get(media_playlist(url(box, "envelope", "format=m3u8-aapl,encryption=cbc")))[1]
    d.stop()
    assert d.proc.returncode == 0
    again = Daemon(box["data"], ports=(d.http_port, d.rtmp_port, d.api_port)).start()
    box["daemon"] = again
    keys = sdk_client(again).streaming_locators.list_content_keys(RG, ACCOUNT, "envelope").content_keys
    assert {(k.id, k.value) for k in keys} == {(k.id, k.value) for k in box["locators"]["envelope"]["keys"]}
    assert get(media_playlist(url(box, "envelope", "format=m3u8-aapl,encryption=cbc")))[1] == before
    assert get(f"{again.origin}/keydelivery/?kid={kid}", token_for(kid)) == (200, key)
    log = again.read_log() + d.read_log()
    assert base64.b64encode(key).decode() not in log and key.hex() not in log, "a content key reached the log"
