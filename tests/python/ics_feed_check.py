"""Reads a booking feed (an iCalendar on stdin) with the `icalendar` package, an independent
parser, and prints what it read as JSON for tests/api/python_ics_feed.rs to check: the calendar's
name, zone and method, and per event its text and its times, each read two ways: through the
IANA zone its TZID names, and through the feed's own VTIMEZONE definition alone.
"""

import json
import sys
from datetime import timezone
from zoneinfo import ZoneInfo

import icalendar


def main() -> None:
    calendar = icalendar.Calendar.from_ical(sys.stdin.buffer.read())
    zone_name = str(calendar["X-WR-TIMEZONE"])
    zone = ZoneInfo(zone_name)
    # The zones as the feed defines them, not looked up by name.
    defined = {
        str(vtimezone["TZID"]): vtimezone.to_tz(lookup_tzid=False)
        for vtimezone in calendar.walk("VTIMEZONE")
    }

    def read_time(event, name):
        value = event.decoded(name)
        local = value.astimezone(zone)
        tzid = event[name].params.get("TZID")
        by_definition = None
        if tzid is not None:
            naive = value.replace(tzinfo=None)
            by_definition = naive.replace(tzinfo=defined[tzid]).astimezone(timezone.utc).isoformat()
        return {
            "tzid": tzid,
            "utc": value.astimezone(timezone.utc).isoformat(),
            "local": local.strftime("%Y-%m-%dT%H:%M"),
            "offset": local.strftime("%z"),
            "utc_by_vtimezone": by_definition,
        }

    events = []
    for event in calendar.walk("VEVENT"):
        events.append(
            {
                "uid": str(event["UID"]),
                "summary": str(event["SUMMARY"]),
                "description": str(event["DESCRIPTION"]),
                "status": str(event["STATUS"]),
                "sequence": int(event["SEQUENCE"]),
                "start": read_time(event, "DTSTART"),
                "end": read_time(event, "DTEND"),
            }
        )
    print(
        json.dumps(
            {
                "name": str(calendar["X-WR-CALNAME"]),
                "timezone": zone_name,
                "method": str(calendar["METHOD"]),
                "version": str(calendar["VERSION"]),
                "events": events,
            }
        )
    )


if __name__ == "__main__":
    main()
