"""Dynamic encryption's control plane driven by the official Azure Media Services Python SDK (azure-mgmt-media 10.2.1):
a token-restricted ClearKey content key policy (masked on reads, complete from getPolicyPropertiesWithSecrets), locators
with Predefined_ClearKey, Predefined_MultiDrmCencStreaming and a custom encrypting policy, their content keys and
encrypted paths, the same keys after a restart, and the service's refusals."""
import base64
import datetime
import os
import stat
import uuid

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.media.models import (Asset, ClearKeyEncryptionConfiguration, CommonEncryptionCenc, ContentKeyPolicy,
                                     ContentKeyPolicyClearKeyConfiguration, ContentKeyPolicyOpenRestriction,
                                     ContentKeyPolicyOption, ContentKeyPolicySymmetricTokenKey, ContentKeyPolicyTokenClaim,
                                     ContentKeyPolicyTokenRestriction, EnabledProtocols, EnvelopeEncryption, LiveOutput,
                                     StreamingLocator, StreamingLocatorContentKey, StreamingPolicy)

from conftest import Daemon, arm, http_status
from test_api_sdk import ACCOUNT, RG, new_event, sdk_client

ISSUER = "https://sts.edgelive.test"
AUDIENCE = "urn:edgelive:viewers"
KEY_ID_CLAIM = "urn:microsoft:azure:mediaservices:contentkeyidentifier"
METADATA = "2022-08-01"   # what the SDK sends for the Metadata operations


def protocols(hls=False, dash=False, smooth=False):
    return EnabledProtocols(download=False, dash=dash, hls=hls, smooth_streaming=smooth)


def token_policy(hmac_key, description="token-restricted ClearKey"):
    restriction = ContentKeyPolicyTokenRestriction(
        issuer=ISSUER, audience=AUDIENCE, restriction_token_type="Jwt",
        primary_verification_key=ContentKeyPolicySymmetricTokenKey(key_value=hmac_key),
        required_claims=[ContentKeyPolicyTokenClaim(claim_type=KEY_ID_CLAIM),
                         ContentKeyPolicyTokenClaim(claim_type="tier", claim_value="gold")])
    return ContentKeyPolicy(description=description, options=[ContentKeyPolicyOption(
        name="clearkey-token", configuration=ContentKeyPolicyClearKeyConfiguration(), restriction=restriction)])


def keys_of(client, locator):
    return sorted(((k.id, k.type, k.label_reference_in_streaming_policy, k.policy_name, k.value)
                   for k in client.streaming_locators.list_content_keys(RG, ACCOUNT, locator).content_keys))


def paths_of(client, locator):
    return {(p.streaming_protocol, p.encryption_scheme): p.paths
            for p in client.streaming_locators.list_paths(RG, ACCOUNT, locator).streaming_paths}


def test_content_protection_through_the_sdk(tmp_path):
    data = str(tmp_path / "data")
    d = Daemon(data).start()
    hmac_key = os.urandom(40)
    try:
        client = sdk_client(d)

        # A token-restricted ClearKey policy: created, its secret masked on every read but getPolicyPropertiesWithSecrets.
        created = client.content_key_policies.create_or_update(RG, ACCOUNT, "tokenPolicy", token_policy(hmac_key))
        assert uuid.UUID(created.policy_id)
        assert created.id.endswith("/contentKeyPolicies/tokenPolicy")
        option = created.options[0]
        assert uuid.UUID(option.policy_option_id)
        assert not option.restriction.primary_verification_key.key_value, "PUT answered the HMAC key"
        fetched = client.content_key_policies.get(RG, ACCOUNT, "tokenPolicy")
        restriction = fetched.options[0].restriction
        assert isinstance(restriction, ContentKeyPolicyTokenRestriction)
        assert (restriction.issuer, restriction.audience, restriction.restriction_token_type) == (ISSUER, AUDIENCE, "Jwt")
        assert [(c.claim_type, c.claim_value) for c in restriction.required_claims] == [(KEY_ID_CLAIM, None), ("tier", "gold")]
        assert not restriction.primary_verification_key.key_value, "GET answered the HMAC key"
        assert all(not p.options[0].restriction.primary_verification_key.key_value
                   for p in client.content_key_policies.list(RG, ACCOUNT))
        secrets = client.content_key_policies.get_policy_properties_with_secrets(RG, ACCOUNT, "tokenPolicy")
        assert bytes(secrets.options[0].restriction.primary_verification_key.key_value) == hmac_key
        assert secrets.policy_id == created.policy_id

        # Update (PATCH) the description; the id, the option and its secret stay.
        updated = client.content_key_policies.update(RG, ACCOUNT, "tokenPolicy", ContentKeyPolicy(description="v2"))
        assert updated.description == "v2" and updated.policy_id == created.policy_id
        assert updated.options[0].policy_option_id == option.policy_option_id
        again = client.content_key_policies.get_policy_properties_with_secrets(RG, ACCOUNT, "tokenPolicy")
        assert bytes(again.options[0].restriction.primary_verification_key.key_value) == hmac_key
        client.content_key_policies.create_or_update(RG, ACCOUNT, "openPolicy", ContentKeyPolicy(options=[ContentKeyPolicyOption(
            name="open", configuration=ContentKeyPolicyClearKeyConfiguration(), restriction=ContentKeyPolicyOpenRestriction())]))
        assert [p.name for p in client.content_key_policies.list(RG, ACCOUNT, filter="name eq 'openPolicy'")] == ["openPolicy"]

        # An asset recorded by a live output, so the locators have a manifest to list.
        client.live_events.begin_create(RG, ACCOUNT, "drmevent", new_event(), auto_start=True).result(timeout=30)
        client.assets.create_or_update(RG, ACCOUNT, "drmarchive", Asset())
        client.live_outputs.begin_create(RG, ACCOUNT, "drmevent", "drmoutput", LiveOutput(
            asset_name="drmarchive", archive_window_length=datetime.timedelta(minutes=10), manifest_name="show")).result(timeout=30)

        # Predefined_ClearKey with a key of our own: kept, typed, labelled, guarded by the locator's default policy.
        given_id, given_value = str(uuid.uuid4()), base64.b64encode(os.urandom(16)).decode()
        client.streaming_locators.create(RG, ACCOUNT, "aesLocator", StreamingLocator(
            asset_name="drmarchive", streaming_policy_name="Predefined_ClearKey", default_content_key_policy_name="tokenPolicy",
            content_keys=[StreamingLocatorContentKey(id=given_id, value=given_value)]))
        assert keys_of(client, "aesLocator") == [(given_id, "EnvelopeEncryption", "aesDefaultKey", "tokenPolicy", given_value)]
        shown = client.streaming_locators.get(RG, ACCOUNT, "aesLocator")
        assert all(k.value is None for k in shown.content_keys or []), "GET answered a key value"
        aes_paths = paths_of(client, "aesLocator")
        assert set(aes_paths) == {("Hls", "EnvelopeEncryption"), ("Dash", "EnvelopeEncryption"), ("SmoothStreaming", "EnvelopeEncryption")}
        hls_path = aes_paths[("Hls", "EnvelopeEncryption")][0]
        assert hls_path.endswith("/show.ism/manifest(format=m3u8-aapl,encryption=cbc)"), hls_path
        assert aes_paths[("SmoothStreaming", "EnvelopeEncryption")][0].endswith("/show.ism/manifest(encryption=cbc)")
        # The origin never answers a protected locator with clear media.
        status, body = http_status(f"{d.origin}{hls_path}")
        assert status != 200 or "#EXT-X-KEY" in body, f"clear playlist for a protected locator: {status} {body[:200]}"

        # Predefined_MultiDrmCencStreaming: a generated CENC key for DASH and Smooth.
        client.streaming_locators.create(RG, ACCOUNT, "cencLocator", StreamingLocator(
            asset_name="drmarchive", streaming_policy_name="Predefined_MultiDrmCencStreaming", default_content_key_policy_name="tokenPolicy"))
        cenc_keys = keys_of(client, "cencLocator")
        assert [(k[1], k[2], k[3]) for k in cenc_keys] == [("CommonEncryptionCenc", "cencDefaultKey", "tokenPolicy")]
        assert uuid.UUID(cenc_keys[0][0]) and len(base64.b64decode(cenc_keys[0][4])) == 16
        cenc_paths = paths_of(client, "cencLocator")
        assert set(cenc_paths) == {("Dash", "CommonEncryptionCenc"), ("SmoothStreaming", "CommonEncryptionCenc")}
        assert cenc_paths[("Dash", "CommonEncryptionCenc")][0].endswith("(format=mpd-time-csf,encryption=cenc)")

        # A custom policy: AES-128 for HLS, clear-key CENC for DASH; one key per scheme, distinct.
        client.streaming_policies.create(RG, ACCOUNT, "aesAndCenc", StreamingPolicy(
            default_content_key_policy_name="openPolicy",
            envelope_encryption=EnvelopeEncryption(enabled_protocols=protocols(hls=True)),
            common_encryption_cenc=CommonEncryptionCenc(enabled_protocols=protocols(dash=True),
                                                        clear_key_encryption_configuration=ClearKeyEncryptionConfiguration())))
        client.streaming_locators.create(RG, ACCOUNT, "customLocator", StreamingLocator(
            asset_name="drmarchive", streaming_policy_name="aesAndCenc"))
        custom_keys = keys_of(client, "customLocator")
        assert sorted((k[1], k[2], k[3]) for k in custom_keys) == [
            ("CommonEncryptionCenc", "cencDefaultKey", "openPolicy"), ("EnvelopeEncryption", "aesDefaultKey", "openPolicy")]
        assert len({k[0] for k in custom_keys}) == 2 and len({k[4] for k in custom_keys}) == 2
        custom_paths = paths_of(client, "customLocator")
        assert set(custom_paths) == {("Hls", "EnvelopeEncryption"), ("Dash", "CommonEncryptionCenc")}

        # Refusals, each a 400 that says what is wrong.
        def refused(call, *words):
            with pytest.raises(HttpResponseError) as raised:
                call()
            assert raised.value.status_code == 400, raised.value
            message = raised.value.error.message if raised.value.error else str(raised.value)
            for word in words:
                assert word in message, message
            return message

        status, _, body = arm(d, "PUT", "/contentKeyPolicies/badKey", version=METADATA, body={"properties": {"options": [{
            "configuration": {"@odata.type": "#Microsoft.Media.ContentKeyPolicyClearKeyConfiguration"},
            "restriction": {"@odata.type": "#Microsoft.Media.ContentKeyPolicyTokenRestriction", "issuer": ISSUER, "audience": AUDIENCE,
                            "restrictionTokenType": "Jwt",
                            "primaryVerificationKey": {"@odata.type": "#Microsoft.Media.ContentKeyPolicySymmetricTokenKey", "keyValue": "not base64!"}}}]}})
        assert status == 400 and "keyValue" in body["error"]["message"], body
        swt = token_policy(hmac_key)
        swt.options[0].restriction.restriction_token_type = "Swt"
        refused(lambda: client.content_key_policies.create_or_update(RG, ACCOUNT, "swtPolicy", swt), "Swt", "Jwt")
        refused(lambda: client.streaming_policies.create(RG, ACCOUNT, "twoOnHls", StreamingPolicy(
            envelope_encryption=EnvelopeEncryption(enabled_protocols=protocols(hls=True)),
            common_encryption_cenc=CommonEncryptionCenc(enabled_protocols=protocols(hls=True, dash=True)))),
            "Hls", "envelopeEncryption", "commonEncryptionCenc")
        refused(lambda: client.streaming_locators.create(RG, ACCOUNT, "badValue", StreamingLocator(
            asset_name="drmarchive", streaming_policy_name="Predefined_ClearKey",
            content_keys=[StreamingLocatorContentKey(id=str(uuid.uuid4()), value="c2hvcnQ=")])), "16-byte")
        refused(lambda: client.streaming_locators.create(RG, ACCOUNT, "noPolicy", StreamingLocator(
            asset_name="drmarchive", streaming_policy_name="Predefined_ClearKey", default_content_key_policy_name="missing")), "missing")
        refused(lambda: client.content_key_policies.delete(RG, ACCOUNT, "tokenPolicy"), "tokenPolicy", "streaming locator")
        refused(lambda: client.content_key_policies.delete(RG, ACCOUNT, "openPolicy"), "customLocator")

        before = {name: keys_of(client, name) for name in ("aesLocator", "cencLocator", "customLocator")}
        paths_before = {name: paths_of(client, name) for name in ("aesLocator", "cencLocator", "customLocator")}
    finally:
        d.stop()
    assert d.proc.returncode == 0, d.read_log()[-3000:]

    # The same keys and secrets after a restart, from a database only the daemon's user can read; no key in the log.
    assert stat.S_IMODE(os.stat(os.path.join(data, "edgelive.sqlite")).st_mode) == 0o600
    again = Daemon(data, ports=(d.http_port, d.rtmp_port, d.api_port)).start()
    try:
        client = sdk_client(again)
        assert {name: keys_of(client, name) for name in before} == before
        assert {name: paths_of(client, name) for name in before} == paths_before
        secrets = client.content_key_policies.get_policy_properties_with_secrets(RG, ACCOUNT, "tokenPolicy")
        assert bytes(secrets.options[0].restriction.primary_verification_key.key_value) == hmac_key

        # Deleting the locators frees the policy; one a streaming policy names stays until that policy goes.
        for name in before:
            client.streaming_locators.delete(RG, ACCOUNT, name)
        client.content_key_policies.delete(RG, ACCOUNT, "tokenPolicy")
        with pytest.raises(HttpResponseError) as raised:
            client.content_key_policies.delete(RG, ACCOUNT, "openPolicy")
        assert raised.value.status_code == 400 and "aesAndCenc" in raised.value.error.message, raised.value
        client.streaming_policies.delete(RG, ACCOUNT, "aesAndCenc")
        client.content_key_policies.delete(RG, ACCOUNT, "openPolicy")
        assert list(client.content_key_policies.list(RG, ACCOUNT)) == []
    finally:
        again.stop()
    assert again.proc.returncode == 0, again.read_log()[-3000:]
    log = again.read_log()
    secrets_seen = [base64.b64encode(hmac_key).decode(), given_value] + [k[4] for keys in before.values() for k in keys]
    assert not [s for s in secrets_seen if s in log], "a key or secret reached the log"
