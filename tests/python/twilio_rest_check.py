"""The official twilio client against `switchboard sim twilio`, as an independent check that
the stand-in speaks Twilio's REST API the way the client expects.

Reads {"base_url", "account_sid", "auth_token", "unsubscribed"} as JSON on stdin, walks the
numbers, messages and calls resources, asserts what it reads back, and prints what it did as
JSON for the Rust side to compare with what the stand-in recorded.

Pointing the client at the stand-in: twilio-python 9.x joins every path to its domain's
`base_url` (`Domain.absolute_url` in `twilio/base/domain.py`), and `ClientBase.get_hostname`
leaves a URL alone when neither an edge nor a region is set (`twilio/base/client_base.py`).
So setting `client.api.base_url` sends every request of the Api domain to the stand-in,
through the client's own HTTP client, auth and paging.
"""

import datetime
import json
import sys

from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client


def client_for(setup, auth_token):
    client = Client(setup["account_sid"], auth_token)
    client.api.base_url = setup["base_url"]
    return client


def refusal(call):
    try:
        call()
    except TwilioRestException as error:
        return {"status": error.status, "code": error.code}
    raise AssertionError("the request was not refused")


def main():
    setup = json.load(sys.stdin)
    client = client_for(setup, setup["auth_token"])
    done = {}

    account = client.api.v2010.accounts(setup["account_sid"]).fetch()
    assert account.sid == setup["account_sid"] and account.status == "active", account

    offered = client.available_phone_numbers("US").local.list(area_code=415, sms_enabled=True, limit=3)
    assert len(offered) == 3, offered
    assert all(n.phone_number.startswith("+1415") for n in offered), [n.phone_number for n in offered]
    assert all(n.capabilities["sms"] for n in offered)
    done["offered"] = [n.phone_number for n in offered]

    bought = client.incoming_phone_numbers.create(
        phone_number=offered[0].phone_number,
        friendly_name="Harbor Dental",
        voice_url="https://bridge.example/twilio/voice",
        voice_method="POST",
        status_callback="https://bridge.example/twilio/call-status",
    )
    assert bought.sid.startswith("PN"), bought.sid
    assert bought.phone_number == offered[0].phone_number
    assert bought.friendly_name == "Harbor Dental"
    assert isinstance(bought.date_created, datetime.datetime), bought.date_created
    assert bought.date_created.tzinfo is not None
    done["bought"] = bought.sid

    updated = client.incoming_phone_numbers(bought.sid).update(voice_url="https://other.example/twilio/voice")
    assert updated.voice_url == "https://other.example/twilio/voice", updated.voice_url
    assert updated.friendly_name == "Harbor Dental"
    assert client.incoming_phone_numbers(bought.sid).fetch().voice_url == updated.voice_url

    for _ in range(2):
        client.incoming_phone_numbers.create(area_code="212")
    first_page = client.incoming_phone_numbers.page(page_size=2)
    assert len(list(first_page)) == 2
    second_page = first_page.next_page()
    assert second_page is not None and len(list(second_page)) == 1
    assert second_page.next_page() is None
    listed = client.incoming_phone_numbers.list(page_size=2)
    assert len(listed) == 3, listed
    assert [n.phone_number for n in client.incoming_phone_numbers.list(phone_number=bought.phone_number)] == [bought.phone_number]
    done["listed"] = [n.phone_number for n in listed]

    message = client.messages.create(to="+14155550177", from_=bought.phone_number, body="Your cleaning is booked.")
    assert message.sid.startswith("SM"), message.sid
    assert message.status == "queued", message.status
    fetched = client.messages(message.sid).fetch()
    assert fetched.body == "Your cleaning is booked."
    assert fetched.status in ("queued", "sent", "delivered"), fetched.status
    assert [m.sid for m in client.messages.list(to="+14155550177")] == [message.sid]
    done["message"] = message.sid

    call = client.calls.create(
        to="+14155550199",
        from_=bought.phone_number,
        twiml="<Response><Say>Your table is ready.</Say></Response>",
        status_callback="https://bridge.example/twilio/call-status",
        status_callback_event=["initiated", "completed"],
    )
    assert call.sid.startswith("CA"), call.sid
    assert call.status == "queued", call.status
    assert call.direction == "outbound-api"
    assert client.calls(call.sid).fetch().to == "+14155550199"
    assert call.sid in [c.sid for c in client.calls.list()]
    done["call"] = call.sid

    done["unsubscribed"] = refusal(
        lambda: client.messages.create(to=setup["unsubscribed"], from_=bought.phone_number, body="hi")
    )
    done["bad_number"] = refusal(lambda: client.incoming_phone_numbers.create(phone_number="555"))
    # A list page answered with an error raises the client's generic "Unable to fetch page"
    # (`base/page.py`), so the refused credentials are read through a fetch.
    done["wrong_token"] = refusal(lambda: client_for(setup, "not-the-token").incoming_phone_numbers(bought.sid).fetch())

    assert client.incoming_phone_numbers(bought.sid).delete() is True
    done["released"] = refusal(lambda: client.incoming_phone_numbers(bought.sid).fetch())

    json.dump(done, sys.stdout)


if __name__ == "__main__":
    main()
