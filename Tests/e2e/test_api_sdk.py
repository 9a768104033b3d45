"""The official Azure Media Services Python SDK (azure-mgmt-media 10.2.1) drives a whole live workflow against the
real daemon: only the base URL and the credential differ from a script written for the cloud service."""
import datetime
import os
import re
import subprocess
import time

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.mgmt.media import AzureMediaServices
from azure.mgmt.media.models import (Asset, IPAccessControl, IPRange, LiveEvent, LiveEventActionInput,
                                     LiveEventEncoding, LiveEventInput, LiveEventInputAccessControl,
                                     LiveEventPreview, LiveEventPreviewAccessControl, LiveOutput, StreamingLocator)

from conftest import (ARM, arm, count_frames_file, download_track, ffmpeg_push_cmd, hls_media_playlists, http_get,
                      http_status, parse_media_playlist, probe_url_frames)

SUB = "00000000-0000-0000-0000-000000000000"
RG = "edgelive"
ACCOUNT = "edgelive"


class StaticBearer(SansIOHTTPPolicy):
    """The box's API token as the bearer token (the cloud used an AAD token; the header is the same)."""

    def __init__(self, token):
        super().__init__()
        self.token = token

    def on_request(self, request):
        request.http_request.headers["Authorization"] = f"Bearer {self.token}"


class UnusedCredential:
    def get_token(self, *scopes, **kwargs):
        raise AssertionError("the static bearer policy replaces the credential")


def sdk_client(daemon, token=None):
    return AzureMediaServices(UnusedCredential(), SUB, base_url=daemon.api,
                              authentication_policy=StaticBearer(token or daemon.token))


def allow_all():
    return IPAccessControl(allow=[IPRange(name="AllowAll", address="0.0.0.0", subnet_prefix_length=0)])


def new_event(description="sdk test"):
    return LiveEvent(
        location="local", description=description,
        input=LiveEventInput(streaming_protocol="RTMP", access_control=LiveEventInputAccessControl(ip=allow_all())),
        preview=LiveEventPreview(access_control=LiveEventPreviewAccessControl(ip=allow_all())),
        encoding=LiveEventEncoding(encoding_type="PassthroughStandard"), stream_options=["Default"])


def test_sdk_full_live_workflow(daemon):
    client = sdk_client(daemon)

    # A pass-through event, created running; its ingest and preview URLs point at this box.
    started = time.time()
    event = client.live_events.begin_create(RG, ACCOUNT, "sdkevent", new_event(), auto_start=True).result(timeout=30)
    assert time.time() - started < 10, "LRO polling must be fast (Retry-After), not the SDK's 30 s default"
    assert event.resource_state == "Running"
    assert event.provisioning_state == "Succeeded"
    assert event.id.endswith("/liveevents/sdkevent")
    ingest = event.input.endpoints[0].url
    assert re.match(rf"^rtmp://127\.0\.0\.1:{daemon.rtmp_port}/live/[0-9a-f]{{32}}$", ingest), ingest
    preview = event.preview.endpoints[0].url
    assert preview.startswith(f"http://127.0.0.1:{daemon.http_port}/") and preview.endswith("/preview.ism/manifest")

    # Archive, output and locator before the encoder starts, so the archive holds the whole program.
    client.assets.create_or_update(RG, ACCOUNT, "sdkarchive", Asset(description="program 1"))
    output = client.live_outputs.begin_create(RG, ACCOUNT, "sdkevent", "sdkoutput", LiveOutput(
        asset_name="sdkarchive", archive_window_length=datetime.timedelta(minutes=10), manifest_name="show")).result(timeout=30)
    assert output.resource_state == "Running"
    locator = client.streaming_locators.create(RG, ACCOUNT, "sdklocator", StreamingLocator(
        asset_name="sdkarchive", streaming_policy_name="Predefined_ClearStreamingOnly"))
    assert re.match(r"^[0-9a-f-]{36}$", locator.streaming_locator_id)

    endpoint = client.streaming_endpoints.get(RG, ACCOUNT, "default")
    if endpoint.resource_state != "Running":
        client.streaming_endpoints.begin_start(RG, ACCOUNT, "default").result(timeout=30)
    assert endpoint.host_name == f"127.0.0.1:{daemon.http_port}"

    paths = client.streaming_locators.list_paths(RG, ACCOUNT, "sdklocator")
    by_protocol = {p.streaming_protocol: p.paths for p in paths.streaming_paths}
    assert by_protocol["Hls"] == [f"/{locator.streaming_locator_id}/show.ism/manifest(format=m3u8-aapl)"]
    assert by_protocol["Dash"] == [f"/{locator.streaming_locator_id}/show.ism/manifest(format=mpd-time-csf)"]
    base = f"http://{endpoint.host_name}/{locator.streaming_locator_id}/show.ism"
    hls = f"{base}/manifest(format=m3u8-cmaf)"
    dash = f"{base}/manifest(format=mpd-time-cmaf)"

    seconds = 16
    push = subprocess.Popen(ffmpeg_push_cmd(ingest + "/camera1", seconds), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        # While live: the locator's HLS and DASH play and decode, and the preview too.
        deadline = time.time() + 20
        while time.time() < deadline and http_status(hls)[0] != 200:
            time.sleep(0.5)
        assert http_status(hls)[0] == 200, http_status(hls)
        live_hls = probe_url_frames(hls, settle=4, limit=30)
        live_dash = probe_url_frames(dash, settle=4, limit=30)
        assert live_hls.get("video", 0) > 0 and live_hls.get("audio", 0) > 0, live_hls
        assert live_dash.get("video", 0) > 0 and live_dash.get("audio", 0) > 0, live_dash
        assert http_status(preview + "(format=m3u8-cmaf)")[0] == 200
    finally:
        _, err = push.communicate(timeout=seconds + 60)
    assert push.returncode == 0, err

    # Telemetry: the 2022-11-01 operations (newer than this SDK) over raw REST report what was ingested.
    code, _, status = arm(daemon, "POST", "/liveEvents/sdkevent/getStatus", version="2022-11-01")
    assert code == 200, status
    assert status["value"][0]["state"] == "Running"
    tracks = status["value"][0]["trackStatus"]
    assert any(t["trackId"].startswith("video") for t in tracks), tracks
    code, _, heartbeats = arm(daemon, "POST", "/liveEvents/sdkevent/getTrackIngestHeartbeats", version="2022-11-01")
    assert code == 200 and heartbeats["value"], heartbeats
    code, _, events = arm(daemon, "POST", "/liveEvents/sdkevent/getStreamEvents", version="2022-11-01")
    assert code == 200 and any(e["eventType"] == "StreamEvent/BeginIngest" for e in events["value"]), events

    # Deleting the output turns the asset into on-demand content at the same URLs.
    client.live_outputs.begin_delete(RG, ACCOUNT, "sdkevent", "sdkoutput").result(timeout=30)
    playlists = hls_media_playlists(hls)
    assert {kind for _, kind in playlists} == {"video", "audio"}
    for url, kind in playlists:
        init, segments, text = parse_media_playlist(url)
        assert "#EXT-X-ENDLIST" in text and "#EXT-X-PLAYLIST-TYPE:VOD" in text, text[:400]
        path = download_track(init, [u for u, _, _ in segments], f"{daemon.data_dir}-vod-{kind}.mp4")
        frames, pts = count_frames_file(path)
        if kind == "video":
            assert frames == seconds * 30, f"the VOD must hold every pushed frame: {frames}"
        else:
            assert abs(frames - seconds * 48000 / 1024) <= 2, frames
        pts = sorted(pts)  # packets come in decode order (B-frames)
        steps = [b - a for a, b in zip(pts, pts[1:])]
        assert max(steps) < 0.1, "timestamps must be contiguous"
    status_code, _, mpd = http_get(dash)
    assert b'type="static"' in mpd

    # A second output, then stop with removeOutputsOnStop: outputs go, assets stay.
    client.assets.create_or_update(RG, ACCOUNT, "sdkarchive2", Asset())
    client.live_outputs.begin_create(RG, ACCOUNT, "sdkevent", "sdkoutput2", LiveOutput(
        asset_name="sdkarchive2", archive_window_length=datetime.timedelta(minutes=5))).result(timeout=30)
    with pytest.raises(HttpResponseError) as refused:
        client.live_events.begin_stop(RG, ACCOUNT, "sdkevent", LiveEventActionInput(remove_outputs_on_stop=False)).result(timeout=30)
    assert "removeOutputsOnStop" in str(refused.value)
    client.live_events.begin_stop(RG, ACCOUNT, "sdkevent", LiveEventActionInput(remove_outputs_on_stop=True)).result(timeout=30)
    assert client.live_events.get(RG, ACCOUNT, "sdkevent").resource_state == "Stopped"
    assert list(client.live_outputs.list(RG, ACCOUNT, "sdkevent")) == []
    assert {a.name for a in client.assets.list(RG, ACCOUNT)} >= {"sdkarchive", "sdkarchive2"}

    # The VOD still plays after the event stopped; deleting the locator makes its URLs 404.
    assert http_status(hls)[0] == 200
    client.streaming_locators.delete(RG, ACCOUNT, "sdklocator")
    assert http_status(hls)[0] == 404
    with pytest.raises(ResourceNotFoundError):
        client.streaming_locators.get(RG, ACCOUNT, "sdklocator")

    client.live_events.begin_delete(RG, ACCOUNT, "sdkevent").result(timeout=30)
    with pytest.raises(ResourceNotFoundError):
        client.live_events.get(RG, ACCOUNT, "sdkevent")
    assert "sdkevent" not in {e.name for e in client.live_events.list(RG, ACCOUNT)}

    # Deleting an asset reclaims its storage.
    asset_dir = os.path.join(daemon.data_dir, "assets", client.assets.get(RG, ACCOUNT, "sdkarchive").asset_id)
    assert os.path.isdir(asset_dir) and os.listdir(asset_dir)
    client.assets.delete(RG, ACCOUNT, "sdkarchive")
    assert not os.path.exists(asset_dir)
    with pytest.raises(ResourceNotFoundError):
        client.assets.get(RG, ACCOUNT, "sdkarchive")


def test_sdk_errors(daemon):
    client = sdk_client(daemon)
    # Names the service refuses (asset names have no client-side pattern in the SDK: the server decides).
    with pytest.raises(HttpResponseError) as bad_name:
        client.assets.create_or_update(RG, ACCOUNT, "bad:name", Asset())
    assert bad_name.value.status_code == 400 and bad_name.value.error.code == "InvalidResourceName"

    # Wrong states: reset needs a Running event; starting twice is fine; a missing event is a 404.
    client.live_events.begin_create(RG, ACCOUNT, "errevent", new_event(), auto_start=False).result(timeout=30)
    with pytest.raises(HttpResponseError) as wrong_state:
        client.live_events.begin_reset(RG, ACCOUNT, "errevent").result(timeout=30)
    assert wrong_state.value.status_code == 400 and "Running" in wrong_state.value.message
    with pytest.raises(ResourceNotFoundError):
        client.live_events.begin_start(RG, ACCOUNT, "noevent").result(timeout=30)

    # Missing or unknown fields the server checks.
    with pytest.raises(HttpResponseError) as no_policy:
        client.assets.create_or_update(RG, ACCOUNT, "erra", Asset())
        client.streaming_locators.create(RG, ACCOUNT, "errloc", StreamingLocator(asset_name="erra",
                                                                                 streaming_policy_name="NoSuchPolicy"))
    assert no_policy.value.status_code == 400 and "NoSuchPolicy" in no_policy.value.message
    with pytest.raises(HttpResponseError) as no_asset:
        client.live_outputs.begin_create(RG, ACCOUNT, "errevent", "o1", LiveOutput(
            asset_name="missing", archive_window_length=datetime.timedelta(minutes=5))).result(timeout=30)
    assert "missing" in no_asset.value.message
    with pytest.raises(HttpResponseError) as window:
        client.live_outputs.begin_create(RG, ACCOUNT, "errevent", "o1", LiveOutput(
            asset_name="erra", archive_window_length=datetime.timedelta(hours=30))).result(timeout=30)
    assert window.value.status_code == 400 and "archiveWindowLength" in window.value.message

    # A wrong token is refused with an ARM error body.
    with pytest.raises(HttpResponseError) as unauthorized:
        list(sdk_client(daemon, token="0" * 64).live_events.list(RG, ACCOUNT))
    assert unauthorized.value.status_code == 401 and unauthorized.value.error.code == "AuthenticationFailed"
