"""A real SMTP server for the email tests, and a reader of what it received.

`smtp_sink.py serve DIR [--refuse N] [--reply REPLY]` runs aiosmtpd on a free loopback port, prints
`READY <port>`, then for each message accepted writes it to DIR/<n>.eml and prints
`RECEIVED <path>` (the file is complete before the server answers 250). The first N messages
are answered REPLY (`451 4.3.0 Try again later` by default) at the end of DATA and not kept. It stops when its
standard input closes.

`smtp_sink.py read FILE` prints the message as JSON: its headers, its text, and each
attachment with, for a calendar, what the `icalendar` package reads in it.
"""

import argparse
import asyncio
import email
import email.policy
import json
import os
import sys
import datetime

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, folder, refuse, reply):
        self.folder = folder
        self.refuse = refuse
        self.reply = reply
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        if self.refuse > 0:
            self.refuse -= 1
            return self.reply
        self.count += 1
        path = os.path.join(self.folder, f"{self.count}.eml")
        with open(path, "wb") as out:
            out.write(envelope.original_content or envelope.content)
        print(f"RECEIVED {path}", flush=True)
        return "250 OK"


async def serve(folder, refuse, reply):
    os.makedirs(folder, exist_ok=True)
    sink = Sink(folder, refuse, reply)
    loop = asyncio.get_running_loop()
    # Bound to port 0 by the server itself, so no other process can take the port between
    # choosing it and listening on it (aiosmtpd's Controller needs the port up front).
    server = await loop.create_server(lambda: SMTP(sink), host="127.0.0.1", port=0)
    port = server.sockets[0].getsockname()[1]
    print(f"READY {port}", flush=True)
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


def ics_summary(data):
    from icalendar import Calendar

    calendar = Calendar.from_ical(data)
    events = []
    for event in calendar.walk("VEVENT"):
        start = event.decoded("DTSTART")
        end = event.decoded("DTEND")
        events.append(
            {
                "uid": str(event.get("UID")),
                "sequence": int(event.get("SEQUENCE", 0)),
                "summary": str(event.get("SUMMARY")),
                "status": str(event.get("STATUS")),
                "start_utc": start.astimezone(datetime.timezone.utc).isoformat(),
                "end_utc": end.astimezone(datetime.timezone.utc).isoformat(),
                "start_local": start.replace(tzinfo=None).isoformat(),
                "start_tzid": event["DTSTART"].params.get("TZID"),
                "organizer": str(event.get("ORGANIZER")),
                "attendee": str(event.get("ATTENDEE")),
            }
        )
    return {
        "method": str(calendar.get("METHOD")),
        "timezones": [str(tz.get("TZID")) for tz in calendar.walk("VTIMEZONE")],
        "events": events,
    }


def read(path):
    with open(path, "rb") as source:
        message = email.message_from_binary_file(source, policy=email.policy.default)
    text = message.get_body(preferencelist=("plain",))
    attachments = []
    for part in message.iter_attachments():
        content = part.get_content()
        if isinstance(content, str):
            content = content.encode("utf-8")
        attachment = {
            "filename": part.get_filename(),
            "content_type": part.get_content_type(),
            "method": part.get_param("method"),
        }
        if part.get_content_type() == "text/calendar":
            attachment["calendar"] = ics_summary(content)
        attachments.append(attachment)
    print(
        json.dumps(
            {
                "from": str(message["From"]),
                "to": str(message["To"]),
                "reply_to": str(message["Reply-To"]) if message["Reply-To"] else None,
                "subject": str(message["Subject"]),
                "message_id": str(message["Message-ID"]),
                "text": text.get_content() if text is not None else None,
                "attachments": attachments,
            }
        )
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    serving = commands.add_parser("serve")
    serving.add_argument("folder")
    serving.add_argument("--refuse", type=int, default=0)
    serving.add_argument("--reply", default="451 4.3.0 Try again later")
    reading = commands.add_parser("read")
    reading.add_argument("file")
    args = parser.parse_args()
    if args.command == "serve":
        asyncio.run(serve(args.folder, args.refuse, args.reply))
    else:
        read(args.file)


if __name__ == "__main__":
    main()
