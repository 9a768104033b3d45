"""The control API at the HTTP level: authentication, ARM conventions, LRO headers, paging and OData, and the
effects of resources on ingest and the origin (IP allow lists, streaming endpoint state, locator validity)."""
import json
import os
import stat
import urllib.request

from conftest import ARM, arm, ffmpeg_push, http_status

ALLOW_ALL = {"ip": {"allow": [{"name": "all", "address": "0.0.0.0", "subnetPrefixLength": 0}]}}
DENY_ALL = {"ip": {"allow": []}}


def event_body(input_acl=ALLOW_ALL, preview_acl=ALLOW_ALL):
    return {"location": "local", "properties": {"input": {"streamingProtocol": "RTMP", "accessControl": input_acl},
                                                "preview": {"accessControl": preview_acl}}}


def test_token_file_and_authentication(daemon):
    mode = stat.S_IMODE(os.stat(os.path.join(daemon.data_dir, "api-token")).st_mode)
    assert mode == 0o600, oct(mode)
    for token in ("", "wrong-token-wrong-token"):
        code, headers, body = arm(daemon, "GET", "/liveEvents", token=token)
        assert code == 401, body
        assert body["error"]["code"] == "AuthenticationFailed" and "api-token" in body["error"]["message"]
    req = urllib.request.Request(f"{daemon.api}{ARM}/liveEvents?api-version=2022-11-01")
    try:
        urllib.request.urlopen(req, timeout=10)
        raise AssertionError("no token must be refused")
    except urllib.error.HTTPError as e:
        assert e.code == 401


def test_arm_conventions(daemon):
    code, _, body = arm(daemon, "GET", "/liveEvents", version=None)
    assert code == 400 and body["error"]["code"] == "MissingApiVersionParameter", body
    code, _, body = arm(daemon, "GET", "/liveEvents", version="1999-01-01")
    assert code == 400 and body["error"]["code"] == "InvalidApiVersionParameter", body
    for version in ("2018-07-01", "2022-08-01", "2022-11-01", "2023-01-01"):
        assert arm(daemon, "GET", "/liveEvents", version=version)[0] == 200
    # Paths ignore case, as ARM does; ids come back in the service's casing.
    url = f"{daemon.api}{ARM.upper().replace('MICROSOFT.MEDIA', 'microsoft.media')}/LIVEEVENTS/Default?api-version=2022-11-01"
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {daemon.token}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        event = json.loads(r.read())
    assert event["name"] == "default" and "/liveevents/default" in event["id"]
    assert event["type"] == "Microsoft.Media/mediaservices/liveevents"
    assert event["systemData"]["createdByType"] == "Key"
    code, _, body = arm(daemon, "GET", "/noSuchThings")
    assert code == 404 and "error" in body
    code, headers, body = arm(daemon, "POST", "/liveEvents/default")
    assert code == 405 and "GET" in headers.get("Allow", ""), (code, headers)


def test_long_running_operation_protocol(daemon):
    code, headers, body = arm(daemon, "PUT", "/liveEvents/lro1", event_body())
    assert code == 201 and body["properties"]["resourceState"] == "Stopped", body
    assert headers["Retry-After"] == "1"
    async_url, location = headers["Azure-AsyncOperation"], headers["Location"]
    assert "/liveEventOperations/" in async_url and "api-version=2022-11-01" in async_url
    assert "/liveEvents/lro1/operationLocations/" in location
    req = urllib.request.Request(async_url, headers={"Authorization": f"Bearer {daemon.token}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        result = json.loads(r.read())
    assert result["status"] == "Succeeded" and result["name"] in async_url
    req = urllib.request.Request(location, headers={"Authorization": f"Bearer {daemon.token}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status == 200 and json.loads(r.read())["name"] == "lro1"
    code, headers, _ = arm(daemon, "POST", "/liveEvents/lro1/start")
    assert code == 202 and "Azure-AsyncOperation" in headers
    assert arm(daemon, "GET", "/liveEvents/lro1")[2]["properties"]["resourceState"] == "Running"
    # Updates are refused while Running except what the service allows; stop needs its body.
    code, _, _ = arm(daemon, "POST", "/liveEvents/lro1/stop", {"removeOutputsOnStop": False})
    assert code == 202
    code, _, body = arm(daemon, "DELETE", "/liveEvents/lro1")
    assert code == 202
    assert arm(daemon, "DELETE", "/liveEvents/lro1")[0] == 204
    assert arm(daemon, "GET", "/liveEvents/lro1")[0] == 404


def test_paging_and_odata(daemon):
    for i in range(5):
        assert arm(daemon, "PUT", f"/assets/page{i}", {"properties": {"alternateId": f"alt{i}"}}, version="2023-01-01")[0] == 201
    code, _, body = arm(daemon, "GET", "/assets", version="2023-01-01", raw_query="&$top=2")
    assert code == 200 and len(body["value"]) == 2
    code, _, body = arm(daemon, "GET", "/assets", version="2023-01-01",
                        raw_query="&$filter=" + urllib.parse.quote("properties/alternateId eq 'alt3'"))
    assert [a["name"] for a in body["value"]] == ["page3"], body
    code, _, body = arm(daemon, "GET", "/assets", version="2023-01-01",
                        raw_query="&$orderby=" + urllib.parse.quote("name desc"))
    assert [a["name"] for a in body["value"]][:2] == ["page4", "page3"]
    code, _, body = arm(daemon, "GET", "/assets", version="2023-01-01", raw_query="&$filter=" + urllib.parse.quote("name eq"))
    assert code == 400 and body["error"]["code"] == "BadRequest"
    code, _, body = arm(daemon, "GET", "/streamingPolicies", version="2023-01-01")
    names = {p["name"] for p in body["value"]}
    assert {"Predefined_ClearStreamingOnly", "Predefined_DownloadOnly"} <= names


def test_ip_allow_lists_at_connect(daemon):
    code, _, body = arm(daemon, "PUT", "/liveEvents/acl?autoStart=true", event_body(input_acl=DENY_ALL, preview_acl=DENY_ALL))
    assert code == 201, body
    ingest = body["properties"]["input"]["endpoints"][0]["url"] + "/cam"
    preview = body["properties"]["preview"]["endpoints"][0]["url"] + "(format=m3u8-cmaf)"
    r = ffmpeg_push(ingest, 3)
    assert r.returncode != 0, "an encoder outside the allow list must be refused"
    assert "MPE_INGEST_ENCODER_CONNECTION_DENIED" in daemon.read_log()
    code, text = http_status(preview)
    assert code == 403 and "preview IP allow list" in text, text
    # Opening the list (allowed while Running? no: stop, update, start, as the service requires).
    assert arm(daemon, "POST", "/liveEvents/acl/stop", {"removeOutputsOnStop": True})[0] == 202
    code, _, body = arm(daemon, "PATCH", "/liveEvents/acl", {"properties": {"input": {"accessControl": {
        "ip": {"allow": [{"name": "lo", "address": "127.0.0.0", "subnetPrefixLength": 8}]}}},
        "preview": {"accessControl": ALLOW_ALL}}})
    assert code in (200, 202), body
    assert arm(daemon, "POST", "/liveEvents/acl/start")[0] == 202
    r = ffmpeg_push(ingest, 4)
    assert r.returncode == 0, r.stderr
    assert http_status(preview)[0] == 200


def test_streaming_endpoint_stop_and_locator_window(daemon):
    code, _, body = arm(daemon, "GET", "/liveEvents/default")
    ingest = body["properties"]["input"]["endpoints"][0]["url"] + "/cam"
    assert arm(daemon, "PUT", "/assets/se1", {}, version="2023-01-01")[0] == 201
    assert arm(daemon, "PUT", "/liveEvents/default/liveOutputs/se1", {
        "properties": {"assetName": "se1", "archiveWindowLength": "PT5M", "manifestName": "m"}})[0] == 201
    code, _, loc = arm(daemon, "PUT", "/streamingLocators/se1", {
        "properties": {"assetName": "se1", "streamingPolicyName": "Predefined_ClearStreamingOnly"}}, version="2023-01-01")
    code, _, future = arm(daemon, "PUT", "/streamingLocators/later", {
        "properties": {"assetName": "se1", "streamingPolicyName": "Predefined_ClearStreamingOnly",
                       "startTime": "2099-01-01T00:00:00Z"}}, version="2023-01-01")
    assert code == 201
    r = ffmpeg_push(ingest, 5)
    assert r.returncode == 0, r.stderr
    url = f"{daemon.origin}/{loc['properties']['streamingLocatorId']}/m.ism/manifest(format=m3u8-cmaf)"
    assert http_status(url)[0] == 200
    later = f"{daemon.origin}/{future['properties']['streamingLocatorId']}/m.ism/manifest(format=m3u8-cmaf)"
    code, text = http_status(later)
    assert code == 404 and "valid from" in text
    assert arm(daemon, "POST", "/streamingEndpoints/default/stop")[0] == 202
    code, text = http_status(url)
    assert code == 503 and "streaming endpoint" in text, text
    assert arm(daemon, "GET", "/streamingEndpoints/default")[2]["properties"]["resourceState"] == "Stopped"
    assert arm(daemon, "POST", "/streamingEndpoints/default/start")[0] == 202
    assert http_status(url)[0] == 200
    code, text = http_status(url.replace("format=m3u8-cmaf", "format=nonsense"))
    assert code == 400


def test_heartbeats_never_claim_a_transcription_that_does_not_run(daemon):
    """`transcriptions` is stored, but no recogniser runs yet: audio heartbeats must not say `On`."""
    body = event_body()
    body["properties"]["transcriptions"] = [{"language": "en-US"}]
    code, _, ev = arm(daemon, "PUT", "/liveEvents/spoken?autoStart=true", body)
    assert code == 201, ev
    assert ev["properties"]["transcriptions"][0]["language"] == "en-US"
    r = ffmpeg_push(ev["properties"]["input"]["endpoints"][0]["url"] + "/s", 4)
    assert r.returncode == 0, r.stderr
    code, _, beats = arm(daemon, "POST", "/liveEvents/spoken/getTrackIngestHeartbeats")
    assert code == 200 and beats["value"], beats
    assert {b["data"]["trackType"] for b in beats["value"]} >= {"audio", "video"}, beats
    for beat in beats["value"]:
        assert beat["data"].get("transcriptionState") != "On", beat


def test_health_and_readiness_probes_need_no_token(daemon):
    port = daemon.api.rsplit(":", 1)[1]
    for path, text in (("/healthz", "ok"), ("/readyz", "ready")):
        code, body = http_status(f"http://127.0.0.1:{port}{path}")
        assert code == 200 and body.strip() == text, (path, code, body)
    assert http_status(f"http://127.0.0.1:{port}/metrics")[0] == 401
