"""Hold one booking conversation with `switchboard sim agent` through the official
ElevenLabs Python SDK, and print what happened as one JSON object on stdout.

The caller is an AudioInterface that behaves like a phone: it streams 20 ms frames in
real time (silence between its lines), speaks the recorded caller lines one per turn once
the agent's audio would have finished playing, and counts what it hears. The Rust test
`tests/sim_agent_sdk.rs` runs this script and checks the summary.
"""

import argparse
import json
import logging
import struct
import sys
import threading
import time
from pathlib import Path

from elevenlabs.client import ElevenLabs
from elevenlabs.conversational_ai.conversation import (
    AudioInterface,
    ClientTools,
    Conversation,
    ConversationInitiationData,
)
from elevenlabs.version import __version__ as ELEVENLABS_VERSION

FRAME_SECONDS = 0.02
LINES = ["book", "when", "yes", "name", "bye"]
# Silence after the agent's audio has played before the caller speaks.
GAP_SECONDS = 0.7
WAVE_FORMAT_MULAW = 7


def read_ulaw_wav(path):
    """The samples of a mono 8 kHz mu-law WAV file (the fixtures' format) as bytes.

    Python's `wave` module reads PCM only, so the RIFF chunks are walked here.
    """
    data = Path(path).read_bytes()
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError(f"{path}: not a WAV file")
    offset, fmt, samples = 12, None, None
    while offset + 8 <= len(data):
        chunk_id = data[offset : offset + 4]
        (size,) = struct.unpack("<I", data[offset + 4 : offset + 8])
        body = data[offset + 8 : offset + 8 + size]
        if chunk_id == b"fmt ":
            fmt = struct.unpack("<HHI", body[:8])
        elif chunk_id == b"data":
            samples = body
        offset += 8 + size + (size & 1)
    if fmt != (WAVE_FORMAT_MULAW, 1, 8000) or samples is None:
        raise ValueError(f"{path}: expected mono 8 kHz mu-law, found {fmt}")
    return samples


def ulaw_to_sample(code):
    """G.711 mu-law decoding (ITU-T G.711, as in the classic g711.c)."""
    code = ~code & 0xFF
    exponent = (code >> 4) & 0x07
    magnitude = (((code & 0x0F) << 3) + 0x84) << exponent
    return 0x84 - magnitude if code & 0x80 else magnitude - 0x84


def audio_format(name):
    """(sample rate, bytes per sample) of an ElevenLabs audio format name."""
    kind, rate = name.split("_")
    return int(rate), (1 if kind == "ulaw" else 2)


def to_format(ulaw, name):
    """Mu-law 8 kHz audio in the agent's input format (linear interpolation between rates)."""
    if name == "ulaw_8000":
        return ulaw
    rate, _ = audio_format(name)
    samples = [ulaw_to_sample(code) for code in ulaw]
    if rate != 8000:
        count = len(samples) * rate // 8000
        resampled = []
        for n in range(count):
            position = n * 8000 / rate
            i = int(position)
            following = samples[min(i + 1, len(samples) - 1)]
            resampled.append(int(samples[i] + (following - samples[i]) * (position - i)))
        samples = resampled
    return struct.pack(f"<{len(samples)}h", *samples)


class ScriptedCaller(AudioInterface):
    """Plays the caller's lines into the conversation and listens to the agent."""

    def __init__(self, lines, input_format, output_format):
        rate, width = audio_format(input_format)
        self.frame_bytes = rate // 50 * width
        self.silence = (b"\xff" if input_format == "ulaw_8000" else b"\x00") * self.frame_bytes
        self.lines = lines
        out_rate, out_width = audio_format(output_format)
        self.output_bytes_per_second = out_rate * out_width
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.thread = None
        self.responses = 0
        self.responses_at_last_line = 0
        self.audio_since_response = False
        self.playback_end = 0.0
        self.audio_bytes = 0
        self.interruptions = 0
        self.lines_spoken = 0

    def on_agent_response(self):
        with self.lock:
            self.responses += 1
            self.audio_since_response = False

    def playback_ends_at(self):
        with self.lock:
            return self.playback_end

    def start(self, input_callback):
        self.thread = threading.Thread(target=self._feed, args=(input_callback,), daemon=True)
        self.thread.start()

    def stop(self):
        self.stopped.set()
        if self.thread is not None and self.thread is not threading.current_thread():
            self.thread.join()

    def output(self, audio):
        with self.lock:
            now = time.monotonic()
            self.audio_bytes += len(audio)
            self.audio_since_response = True
            self.playback_end = max(self.playback_end, now) + len(audio) / self.output_bytes_per_second

    def interrupt(self):
        with self.lock:
            self.interruptions += 1
            self.playback_end = time.monotonic()

    def _ready_for_next_line(self):
        with self.lock:
            answered = self.responses > self.responses_at_last_line and self.audio_since_response
            if answered and time.monotonic() >= self.playback_end + GAP_SECONDS:
                self.responses_at_last_line = self.responses
                return True
            return False

    def _feed(self, input_callback):
        started = time.monotonic()
        frames = 0
        line, offset = None, 0
        while not self.stopped.is_set():
            if line is None and self.lines_spoken < len(self.lines) and self._ready_for_next_line():
                line, offset = self.lines[self.lines_spoken], 0
                self.lines_spoken += 1
            if line is None:
                frame = self.silence
            else:
                frame = line[offset : offset + self.frame_bytes]
                offset += self.frame_bytes
                if offset >= len(line):
                    line = None
            input_callback(frame)
            frames += 1
            # An absolute schedule, so frames keep real-time pace without drifting.
            delay = started + frames * FRAME_SECONDS - time.monotonic()
            if delay > 0:
                self.stopped.wait(delay)


class ErrorLog(logging.Handler):
    """Collects what the SDK logs as errors (it logs and ends the session on bad messages)."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def booking_tools(args, caller, calls, conversation_box):
    """Client tools answering like the bridge's, and an end_call that hangs up after the
    goodbye has played."""
    tools = ClientTools()

    def recorder(name, answer):
        def handler(parameters):
            params = {k: v for k, v in parameters.items() if k != "tool_call_id"}
            calls.append({"name": name, "params": params})
            return answer(params)

        return handler

    tools.register(
        "list_event_types",
        recorder(
            "list_event_types",
            lambda _: {"event_types": [{"slug": "cleaning", "name": "Cleaning", "duration_minutes": 30,
                                        "description": "Teeth cleaning"}]},
        ),
    )
    tools.register(
        "get_available_slots",
        recorder(
            "get_available_slots",
            lambda _: {"slots": [{"time": "9:30 AM", "start_time": args.slot_start}], "date": args.slot_start[:10]},
        ),
    )
    tools.register(
        "create_booking",
        recorder("create_booking", lambda _: {"confirmation_message": "You're booked."}),
    )

    def end_call(_params):
        def hang_up():
            while time.monotonic() < caller.playback_ends_at() + 0.3:
                time.sleep(0.05)
            conversation_box[0].end_session()

        threading.Thread(target=hang_up, daemon=True).start()
        return "The call will end after the goodbye."

    tools.register("end_call", recorder("end_call", end_call))
    return tools


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--api-key", default="unused")
    parser.add_argument("--agent-id", default="agent_harbor_dental")
    parser.add_argument("--requires-auth", action="store_true")
    parser.add_argument("--tools", action="store_true", help="answer the booking tools")
    parser.add_argument("--input-format", default="ulaw_8000")
    parser.add_argument("--output-format", default="ulaw_8000")
    parser.add_argument("--fixtures", required=True)
    parser.add_argument("--today", required=True)
    parser.add_argument("--slot-start", required=True)
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()

    errors = ErrorLog()
    logging.getLogger("elevenlabs").addHandler(errors)
    lines = [to_format(read_ulaw_wav(Path(args.fixtures) / "caller" / f"{name}.wav"), args.input_format)
             for name in LINES]
    caller = ScriptedCaller(lines, args.input_format, args.output_format)

    responses, transcripts, latencies, calls = [], [], [], []
    disconnect = {}
    finished = threading.Event()
    conversation_box = [None]

    def on_agent_response(text):
        responses.append(text)
        caller.on_agent_response()

    def on_disconnect(details):
        disconnect.update(reason=details.reason, close_code=details.close_code,
                          close_reason=details.close_reason, message=details.message)
        finished.set()

    client = ElevenLabs(base_url=args.base_url, api_key=args.api_key)
    variables = {
        "caller_number": "+15551230000", "called_number": "+15557654321",
        "call_sid": "CA00000000000000000000000000000001", "agent_name": "Ava",
        "business_name": "Harbor Dental", "timezone": "America/New_York", "today": args.today,
    }
    conversation = Conversation(
        client,
        args.agent_id,
        requires_auth=args.requires_auth,
        audio_interface=caller,
        config=ConversationInitiationData(dynamic_variables=variables),
        client_tools=booking_tools(args, caller, calls, conversation_box) if args.tools else None,
        callback_agent_response=on_agent_response,
        callback_user_transcript=transcripts.append,
        callback_latency_measurement=latencies.append,
        callback_disconnect=on_disconnect,
    )
    conversation_box[0] = conversation
    began = time.monotonic()
    conversation.start_session()
    timed_out = not finished.wait(args.timeout)
    if timed_out:
        conversation.end_session()
    conversation_id = conversation.wait_for_session_end()

    json.dump({
        "elevenlabs_version": ELEVENLABS_VERSION,
        "conversation_id": conversation_id,
        "agent_responses": responses,
        "user_transcripts": transcripts,
        "tool_calls": calls,
        "audio_bytes": caller.audio_bytes,
        "interruptions": caller.interruptions,
        "lines_spoken": caller.lines_spoken,
        "latencies_ms": latencies,
        "disconnect": disconnect,
        "errors": errors.messages,
        "timed_out": timed_out,
        "seconds": round(time.monotonic() - began, 2),
    }, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
