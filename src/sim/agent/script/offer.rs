//! Saying an opening out loud: the words of "The next opening is Tuesday at 9:30 AM. Shall I
//! book that for you?" as recorded clips, and as text.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use super::lines::sentence;
use crate::audio::fixtures::{HOUR_CLIPS, MINUTE_CLIPS, WEEKDAY_CLIPS};

/// An utterance: clips to play and the text they say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Utterance {
    pub clips: Vec<&'static str>,
    pub text: String,
}

/// The offer of a slot starting at `start`, spoken in the business's `tz`, with `today`
/// and the next day said as "today" and "tomorrow".
///
/// Minutes other than :00, :15, :30 and :45 have no clip: the audio then says the hour
/// alone while the text keeps the exact time.
pub fn offer(start: Timestamp, tz: &TimeZone, today: Date) -> Utterance {
    let local = start.to_zoned(tz.clone());
    let date = local.date();
    let (day_clip, day_text) = if date == today {
        ("today", "today".to_owned())
    } else if today.tomorrow().is_ok_and(|tomorrow| tomorrow == date) {
        ("tomorrow", "tomorrow".to_owned())
    } else {
        let clip = WEEKDAY_CLIPS[local.weekday().to_monday_zero_offset() as usize];
        (clip, capitalised(clip))
    };
    let hour = local.hour();
    let minute = local.minute();
    let hour_12 = match hour % 12 {
        0 => 12,
        h => h,
    };
    let (meridiem_clip, meridiem_text) = if hour < 12 { ("am", "AM") } else { ("pm", "PM") };

    let mut clips = vec!["offer_prefix", day_clip, "at", HOUR_CLIPS[hour_12 as usize - 1]];
    if let Some((_, clip)) = MINUTE_CLIPS.iter().find(|(m, _)| i8::try_from(*m) == Ok(minute)) {
        clips.push(*clip);
    }
    clips.extend([meridiem_clip, "offer_suffix"]);
    let text = format!(
        "{} {day_text} at {hour_12}:{minute:02} {meridiem_text}. {}",
        sentence("offer_prefix"),
        sentence("offer_suffix")
    );
    Utterance { clips, text }
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn at(instant: &str) -> Timestamp {
        instant.parse().unwrap()
    }

    #[test]
    fn a_weekday_morning_half_hour() {
        let tz = TimeZone::get("America/New_York").unwrap();
        // 2026-02-10 is a Tuesday; 14:30 UTC is 9:30 EST.
        let offer = offer(at("2026-02-10T14:30:00Z"), &tz, date(2026, 2, 6));
        assert_eq!(
            offer.clips,
            ["offer_prefix", "tuesday", "at", "h9", "m30", "am", "offer_suffix"]
        );
        assert_eq!(
            offer.text,
            "The next opening is Tuesday at 9:30 AM. Shall I book that for you?"
        );
    }

    #[test]
    fn today_tomorrow_noon_midnight_and_the_hour() {
        let tz = TimeZone::get("Europe/Berlin").unwrap();
        let today = date(2026, 7, 1);
        // 10:00 UTC is noon in Berlin in summer.
        let noon = offer(at("2026-07-01T10:00:00Z"), &tz, today);
        assert_eq!(
            noon.clips,
            ["offer_prefix", "today", "at", "h12", "pm", "offer_suffix"]
        );
        assert!(noon.text.contains(" today at 12:00 PM."), "{}", noon.text);
        let late = offer(at("2026-07-01T22:45:00Z"), &tz, today);
        assert_eq!(
            late.clips,
            [
                "offer_prefix",
                "tomorrow",
                "at",
                "h12",
                "m45",
                "am",
                "offer_suffix"
            ]
        );
        assert!(late.text.contains(" tomorrow at 12:45 AM."), "{}", late.text);
    }

    #[test]
    fn minutes_without_a_clip_are_left_out_of_the_audio_only() {
        let offer = offer(at("2026-02-12T15:10:00Z"), &TimeZone::UTC, date(2026, 2, 1));
        assert_eq!(
            offer.clips,
            ["offer_prefix", "thursday", "at", "h3", "pm", "offer_suffix"]
        );
        assert!(offer.text.contains("Thursday at 3:10 PM."), "{}", offer.text);
    }
}
