"""Plays a URI with GStreamer's playbin or playbin3 and counts decoded video frames (fakesink handoffs).

Run with the system Python (`/usr/bin/python3`, which has Debian's `python3-gi`), not the test virtualenv:

    python3 interop_gst_count.py playbin|playbin3 URI MIN_FRAMES TIMEOUT_SECONDS

Frames are counted as a player renders them (sinks synchronised to the clock). Prints one JSON line: {"frames": n, "error": "..." or null, "seconds": s}. Stops as soon as MIN_FRAMES were decoded,
on end of stream, on an error, or after TIMEOUT_SECONDS; exits 0 in every case (the test judges the count).
"""
import json
import sys
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402


def main():
    element, uri, minimum, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    Gst.init(None)
    player = Gst.ElementFactory.make(element, "player")
    video_sink = Gst.ElementFactory.make("fakesink", "video")
    audio_sink = Gst.ElementFactory.make("fakesink", "audio")
    # Synchronised to the pipeline clock, as a player's sinks are: a frame counts when it is rendered at its time, so
    # timestamps a player cannot schedule (e.g. far from the segment's start) show as frames never rendered.
    for sink in (video_sink, audio_sink):
        sink.set_property("sync", True)
    video_sink.set_property("signal-handoffs", True)
    player.set_property("uri", uri)
    player.set_property("video-sink", video_sink)
    player.set_property("audio-sink", audio_sink)
    state = {"frames": 0, "error": None}
    loop = GLib.MainLoop()
    started = time.time()

    def handoff(_sink, _buffer, _pad):
        state["frames"] += 1
        if state["frames"] >= minimum:
            GLib.idle_add(loop.quit)

    def message(_bus, msg):
        if msg.type == Gst.MessageType.ERROR:
            err, debug = msg.parse_error()
            state["error"] = f"{err.message} ({(debug or '').splitlines()[0][:300] if debug else ''})"
            loop.quit()
        elif msg.type == Gst.MessageType.EOS:
            loop.quit()

    video_sink.connect("handoff", handoff)
    bus = player.get_bus()
    bus.add_signal_watch()
    bus.connect("message", message)
    GLib.timeout_add(int(timeout * 1000), loop.quit)
    player.set_state(Gst.State.PLAYING)
    loop.run()
    frames = state["frames"]
    print(json.dumps({"frames": frames, "error": state["error"], "seconds": round(time.time() - started, 1)}), flush=True)
    # Tearing a live adaptive pipeline down can block on a pending HTTP request: the test kills the process
    # group after its own deadline, so leave without waiting for the state change.
    sys.stdout.flush()
    import os
    os._exit(0)


if __name__ == "__main__":
    main()
