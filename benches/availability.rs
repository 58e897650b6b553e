//! Availability over a busy 60-day window: a host with weekday hours, a split day and an
//! evening range crossing midnight, a 30-minute event type on a 15-minute grid with buffers,
//! and 1,000 existing bookings. Measures preparing the engine plus listing every slot.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use jiff::civil::{Date, Weekday, date, time};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use switchboard::availability::{Availability, EventType, ExistingBooking, Schedule, SlotQuery, TimeRange};

const WINDOW_DAYS: i16 = 60;
const BOOKINGS: usize = 1_000;

fn first_day() -> Date {
    date(2026, 3, 2)
}

fn host() -> Schedule {
    let mut schedule = Schedule::for_iana_zone("America/New_York").expect("zone");
    let range =
        |from: (i8, i8), to: (i8, i8)| TimeRange::new(time(from.0, from.1, 0, 0), time(to.0, to.1, 0, 0));
    for weekday in [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Thursday,
        Weekday::Friday,
    ] {
        schedule.add_weekly(weekday, range((9, 0), (17, 0)));
    }
    // The split day.
    schedule.add_weekly(Weekday::Wednesday, range((8, 0), (12, 0)));
    schedule.add_weekly(Weekday::Wednesday, range((13, 30), (18, 0)));
    // The evening range crossing midnight.
    schedule.add_weekly(Weekday::Friday, range((20, 0), (1, 0)));
    schedule
}

fn event_type() -> EventType {
    let mut event = EventType::new("consult", "Consultation", SignedDuration::from_mins(30));
    event.slot_interval = Some(SignedDuration::from_mins(15));
    event.buffer_before = SignedDuration::from_mins(10);
    event.buffer_after = SignedDuration::from_mins(5);
    event.max_days_ahead = 90;
    event.per_day_limit = Some(30);
    event
}

/// Deterministic bookings: each on a 15-minute boundary between 08:00 and 23:45 host time
/// on one of the 60 days, 15 to 90 minutes long, of two event types: a heavily booked host.
fn bookings(timezone: &TimeZone) -> Vec<ExistingBooking> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move |bound: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % bound
    };
    (0..BOOKINGS)
        .map(|_| {
            let day = first_day() + jiff::Span::new().days(next(WINDOW_DAYS as u64) as i64);
            let quarter = 32 + next(64) as i8;
            let local = day.at(quarter / 4, (quarter % 4) * 15, 0, 0);
            let start = local.to_zoned(timezone.clone()).expect("local time").timestamp();
            let length = SignedDuration::from_mins(15 * (1 + next(6) as i64));
            ExistingBooking {
                start,
                end: start + length,
                buffer_before: SignedDuration::from_mins(5 * next(3) as i64),
                buffer_after: SignedDuration::from_mins(5 * next(3) as i64),
                event_type: if next(2) == 0 { "consult" } else { "review" }.to_string(),
            }
        })
        .collect()
}

fn availability(c: &mut Criterion) {
    let schedule = host();
    let event = event_type();
    let bookings = bookings(schedule.timezone());
    let last_day = first_day() + jiff::Span::new().days(i64::from(WINDOW_DAYS) - 1);
    let query = SlotQuery::days(first_day(), last_day, schedule.timezone().clone()).expect("query");
    let now: Timestamp = "2026-03-01T12:00:00Z".parse().expect("now");

    let engine = Availability::new(&schedule, &event, &bookings).expect("valid event type");
    let slots = engine.slots(&query, now);
    assert!(
        slots.len() > 100,
        "the window should still have room, got {}",
        slots.len()
    );
    eprintln!(
        "{} open slots of 30 minutes in {WINDOW_DAYS} days with {BOOKINGS} bookings",
        slots.len()
    );

    c.bench_function("availability/60_days_1000_bookings", |b| {
        b.iter(|| {
            let engine = Availability::new(&schedule, &event, black_box(&bookings)).expect("valid");
            engine.slots(black_box(&query), black_box(now))
        })
    });
    c.bench_function("availability/60_days_slots_only", |b| {
        b.iter(|| engine.slots(black_box(&query), black_box(now)))
    });
    c.bench_function("availability/check_one_start", |b| {
        let start = slots[slots.len() / 2];
        b.iter(|| engine.check(black_box(start), black_box(now)))
    });
}

criterion_group!(benches, availability);
criterion_main!(benches);
