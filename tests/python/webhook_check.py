"""Check ElevenLabs post-call webhook signatures with the official Python SDK.

`verify`: reads {"body", "header", "secret"} (a delivery captured from `switchboard sim agent`)
on stdin and runs `ElevenLabs(...).webhooks.construct_event` on it as delivered, with the body
tampered, with the wrong secret, and 31 minutes later (the SDK's tolerance is 30). Prints what
was accepted and each refusal's message as one JSON object.

`sign`: reads {"payload", "secret", "age_secs"} on stdin and signs the payload following the
SDK's own recipe (its tests/test_webhooks.py): body = json.dumps(payload), t = now - age_secs,
header "t={t},v0=" + HMAC-SHA256(secret, "{t}.{body}"). Prints {"body", "header"}.
"""

import hashlib
import hmac
import json
import sys
import time
from unittest import mock

from elevenlabs.client import ElevenLabs
from elevenlabs.errors import BadRequestError


def refusal(client, body, header, secret, now=None):
    """The SDK's error message for this delivery, or None when it was accepted."""
    try:
        if now is None:
            client.webhooks.construct_event(body, header, secret)
        else:
            with mock.patch("time.time", return_value=now):
                client.webhooks.construct_event(body, header, secret)
    except BadRequestError as error:
        return error.body.error
    return None


def verify(request):
    client = ElevenLabs(api_key="unused", base_url="http://127.0.0.1:9")
    body, header, secret = request["body"], request["header"], request["secret"]
    event = client.webhooks.construct_event(body, header, secret)
    tampered = body.replace('"done"', '"failed"', 1)
    assert tampered != body, "the body has no status to tamper with"
    return {
        "accepted": {
            "type": event["type"],
            "conversation_id": event["data"]["conversation_id"],
            "status": event["data"]["status"],
        },
        "tampered": refusal(client, tampered, header, secret),
        "wrong_secret": refusal(client, body, header, secret + "x"),
        "stale": refusal(client, body, header, secret, now=time.time() + 31 * 60),
    }


def sign(request):
    body = json.dumps(request["payload"])
    timestamp = str(int(time.time()) - int(request.get("age_secs", 0)))
    digest = hmac.new(
        request["secret"].encode("utf-8"),
        f"{timestamp}.{body}".encode("utf-8"),
        hashlib.sha256,
    ).hexdigest()
    return {"body": body, "header": f"t={timestamp},v0={digest}"}


def main():
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    request = json.load(sys.stdin)
    if command == "verify":
        result = verify(request)
    elif command == "sign":
        result = sign(request)
    else:
        sys.exit("usage: webhook_check.py verify|sign < request.json")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
