"""The official twilio package as an independent check of switchboard's Twilio protocol work.

Reads a JSON request on stdin and answers JSON on stdout:
- "sign": signatures twilio-python's RequestValidator computes for URLs and form params
  (repeated names allowed) or for a raw body (the bodySHA256 variant);
- "validate": whether RequestValidator accepts signatures switchboard computed;
- "twiml": TwiML documents built with twilio-python's VoiceResponse from a description.
"""

import json
import sys

from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import Connect, Dial, Gather, Record, Say, Stream, VoiceResponse


class MultiDict:
    """The shape RequestValidator reads repeated parameters from (it calls getall)."""

    def __init__(self, pairs):
        self.pairs = pairs

    def keys(self):
        return list(dict.fromkeys(k for k, _ in self.pairs))

    def __iter__(self):
        return iter(self.keys())

    def getall(self, key):
        return [v for k, v in self.pairs if k == key]


def params_of(case):
    if case.get("body") is not None:
        return case["body"]
    return MultiDict([tuple(p) for p in case["params"]])


def sign(case):
    validator = RequestValidator(case["token"])
    if case.get("body") is not None:
        return validator.compute_signature(case["url"], {})
    return validator.compute_signature(case["url"], params_of(case))


def validate(case):
    validator = RequestValidator(case["token"])
    return validator.validate(case["url"], params_of(case), case["signature"])


def twiml(doc):
    response = VoiceResponse()
    for verb in doc:
        kind = verb["verb"]
        if kind == "say":
            response.append(Say(verb["text"]))
        elif kind == "connect_stream":
            connect = Connect(action=verb.get("action"))
            stream = Stream(url=verb["url"])
            for name, value in verb["parameters"]:
                stream.parameter(name=name, value=value)
            connect.append(stream)
            response.append(connect)
        elif kind == "record":
            response.append(
                Record(
                    action=verb.get("action"),
                    finish_on_key=verb.get("finish_on_key"),
                    max_length=verb["max_length"],
                    play_beep=verb["play_beep"],
                )
            )
        elif kind == "dial":
            dial = Dial(action=verb.get("action"), caller_id=verb.get("caller_id"), timeout=verb.get("timeout"))
            dial.number(verb["number"])
            response.append(dial)
        elif kind == "pause":
            response.pause(length=verb["length"])
        elif kind == "hangup":
            response.hangup()
        elif kind == "gather":
            gather = Gather(
                action=verb["action"],
                input=verb["input"],
                num_digits=verb.get("num_digits"),
                timeout=verb.get("timeout"),
                hints=verb.get("hints"),
            )
            for text in verb["say"]:
                gather.say(text)
            response.append(gather)
        elif kind == "redirect":
            response.redirect(verb["url"], method="POST")
        else:
            raise ValueError(f"unknown verb {kind}")
    return str(response)


def main():
    request = json.load(sys.stdin)
    json.dump(
        {
            "sign": [sign(c) for c in request.get("sign", [])],
            "validate": [validate(c) for c in request.get("validate", [])],
            "twiml": [twiml(d) for d in request.get("twiml", [])],
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
