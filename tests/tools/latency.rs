//! The two tools on the hot path of a booking conversation through the Toolbox, on a SQLite
//! file holding 1,000 existing bookings: `get_available_slots` (one date, and a week) and
//! `create_booking` answer correctly on a busy calendar. Prints how long they took (run with
//! `--nocapture`); no bound is asserted, since a timed assertion fails on a busy machine.

use std::time::{Duration, Instant};

use crate::support::{at, demo};
use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use switchboard::store::NewBooking;
use switchboard::store::testing;

const EXISTING: usize = 1_000;

/// 20 bookings a day of the secret 20-minute type, mornings from 8:00 (New York), for 50 days
/// from Tuesday, February 10: the host's calendar is busy where the tools look.
async fn fill_calendar(demo: &crate::support::Demo) {
    let mut tx = demo
        .store
        .begin_host(&demo.business.account_id, &demo.business.host_id)
        .await
        .unwrap();
    let first_morning = at("2026-02-10T13:00:00Z");
    for i in 0..EXISTING {
        let day = (i / 20) as i64;
        let slot = (i % 20) as i64;
        let start =
            first_morning + SignedDuration::from_hours(24 * day) + SignedDuration::from_mins(20 * slot);
        tx.insert_booking(NewBooking {
            event_type_id: demo.business.emergency_id.clone(),
            contact_id: None,
            start_at: start,
            end_at: start + SignedDuration::from_mins(20),
            buffer_before_min: 0,
            buffer_after_min: 0,
            invitee_name: format!("Patient {i}"),
            invitee_email: None,
            invitee_phone: None,
            timezone: crate::support::HOST_ZONE.into(),
            notes: None,
            idempotency_key: None,
            rescheduled_from: None,
        })
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

struct Figures(Vec<Duration>);

impl Figures {
    fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.0.clone();
        sorted.sort_unstable();
        sorted[((sorted.len() - 1) as f64 * p).round() as usize]
    }

    fn report(&self, what: &str) {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        eprintln!(
            "{what:<34} n={:<4} p50={:>7.2} ms  p95={:>7.2} ms  max={:>7.2} ms",
            self.0.len(),
            ms(self.percentile(0.5)),
            ms(self.percentile(0.95)),
            ms(self.percentile(1.0)),
        );
    }
}

#[tokio::test]
async fn slots_and_bookings_answer_on_a_calendar_of_a_thousand_bookings() {
    let store = testing::sqlite().await;
    let demo = demo(&store).await;
    fill_calendar(&demo).await;
    assert_eq!(
        demo.confirmed("2026-02-01T00:00:00Z", "2026-05-01T00:00:00Z")
            .await
            .len(),
        EXISTING
    );

    let day = json!({"event_type_slug": "cleaning", "date": "2026-02-12"});
    let reply = demo.ok("get_available_slots", day.clone()).await;
    // Twenty 20-minute bookings run from 8:00 AM to 2:40 PM, so the first cleaning is at 2:45 PM.
    assert_eq!(reply["slots"][0]["time"], "2:45 PM", "{reply}");

    let mut one_day = Figures(Vec::new());
    for _ in 0..100 {
        let started = Instant::now();
        demo.ok("get_available_slots", day.clone()).await;
        one_day.0.push(started.elapsed());
    }
    let week = json!({"event_type_slug": "cleaning", "date_from": "2026-02-12", "date_to": "2026-02-18"});
    let mut one_week = Figures(Vec::new());
    for _ in 0..100 {
        let started = Instant::now();
        demo.ok("get_available_slots", week.clone()).await;
        one_week.0.push(started.elapsed());
    }
    // Afternoons after the busy mornings: 2:45, 3:30 and 4:15 PM each weekday, for three weeks.
    let mut creates = Figures(Vec::new());
    let mut day_start: Timestamp = at("2026-02-12T19:45:00Z");
    for _ in 0..21 {
        for offset in [0, 45, 90] {
            let start = day_start + SignedDuration::from_mins(offset);
            let parameters = json!({
                "event_type_slug": "cleaning",
                "start_time": switchboard::availability::utc_label(start),
                "invitee_name": "Timing caller",
                "invitee_phone": "+14155550100",
            });
            let started = Instant::now();
            let outcome = demo
                .outcome(crate::support::call("create_booking", parameters))
                .await;
            let elapsed = started.elapsed();
            if !outcome.is_error {
                creates.0.push(elapsed);
            }
        }
        day_start += SignedDuration::from_hours(24);
    }

    eprintln!("SQLite file, {EXISTING} existing bookings, debug or release as built:");
    one_day.report("get_available_slots (one date)");
    one_week.report("get_available_slots (7 dates)");
    creates.report("create_booking");
    assert_eq!(
        creates.0.len(),
        45,
        "every weekday afternoon of three weeks was free to book"
    );
}
