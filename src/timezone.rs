//! Time zone names as people write them: only IANA `Area/Location` names (and `UTC`) are
//! accepted, since an abbreviation or a fixed offset (`EST`, `CET`, `Etc/GMT+5`, `US/Eastern`
//! in some databases) resolves to a zone that is wrong for half the year or is a legacy alias.
//! A refused name comes with the zone it most likely meant.

use jiff::tz::TimeZone;

/// The IANA database's continent and ocean areas (not `Etc`, `US`, `SystemV`, …).
const AREAS: [&str; 10] = [
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
];

/// Abbreviations, POSIX-style and legacy names, and the zone people usually mean by them.
const LIKELY: [(&str, &str); 38] = [
    ("EST", "America/New_York"),
    ("EDT", "America/New_York"),
    ("EST5EDT", "America/New_York"),
    ("US/Eastern", "America/New_York"),
    ("CST", "America/Chicago"),
    ("CDT", "America/Chicago"),
    ("CST6CDT", "America/Chicago"),
    ("US/Central", "America/Chicago"),
    ("MST", "America/Denver"),
    ("MDT", "America/Denver"),
    ("MST7MDT", "America/Denver"),
    ("US/Mountain", "America/Denver"),
    ("US/Arizona", "America/Phoenix"),
    ("PST", "America/Los_Angeles"),
    ("PDT", "America/Los_Angeles"),
    ("PST8PDT", "America/Los_Angeles"),
    ("US/Pacific", "America/Los_Angeles"),
    ("AKST", "America/Anchorage"),
    ("US/Alaska", "America/Anchorage"),
    ("HST", "Pacific/Honolulu"),
    ("US/Hawaii", "Pacific/Honolulu"),
    ("GMT", "Europe/London"),
    ("BST", "Europe/London"),
    ("WET", "Europe/Lisbon"),
    ("CET", "Europe/Paris"),
    ("CEST", "Europe/Paris"),
    ("MET", "Europe/Paris"),
    ("EET", "Europe/Athens"),
    ("EEST", "Europe/Athens"),
    ("MSK", "Europe/Moscow"),
    ("IST", "Asia/Kolkata"),
    ("JST", "Asia/Tokyo"),
    ("KST", "Asia/Seoul"),
    ("AEST", "Australia/Sydney"),
    ("AEDT", "Australia/Sydney"),
    ("NZST", "Pacific/Auckland"),
    ("Etc/UTC", "UTC"),
    ("Z", "UTC"),
];

/// A name that is not an IANA `Area/Location` zone (or `UTC`) the database knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{name:?} is not an IANA time zone name like America/New_York (abbreviations and fixed offsets are wrong half the year){}",
    suggestion.as_ref().map(|s| format!("; did you mean {s:?}?")).unwrap_or_default()
)]
pub struct ZoneNameError {
    pub name: String,
    /// The zone `name` most likely means, if there is one.
    pub suggestion: Option<String>,
}

/// The zone named `name`, if it is `UTC` or an IANA `Area/Location` name the database knows,
/// spelled as the database spells it.
pub fn zone(name: &str) -> Result<TimeZone, ZoneNameError> {
    if name == "UTC" {
        return Ok(TimeZone::UTC);
    }
    let known = TimeZone::get(name).ok();
    let canonical = known.as_ref().and_then(TimeZone::iana_name);
    match known {
        Some(zone) if has_area_form(name) && canonical == Some(name) => Ok(zone),
        _ => Err(ZoneNameError {
            name: name.to_owned(),
            suggestion: suggestion(name),
        }),
    }
}

/// The zone a refused `name` most likely means: the table above, or the database's own
/// spelling of a name written in another case.
pub fn suggestion(name: &str) -> Option<String> {
    let trimmed = name.trim();
    if let Some((_, zone)) = LIKELY
        .iter()
        .find(|(alias, _)| alias.eq_ignore_ascii_case(trimmed))
    {
        return Some((*zone).to_owned());
    }
    if trimmed.eq_ignore_ascii_case("utc") {
        return Some("UTC".to_owned());
    }
    let zone = TimeZone::get(trimmed).ok()?;
    let canonical = zone.iana_name()?;
    (has_area_form(canonical) && canonical != name).then(|| canonical.to_owned())
}

fn has_area_form(name: &str) -> bool {
    name.split_once('/')
        .is_some_and(|(area, location)| AREAS.contains(&area) && !location.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iana_names_and_utc_are_accepted() {
        for name in [
            "UTC",
            "America/New_York",
            "Europe/Paris",
            "Asia/Kathmandu",
            "America/Argentina/Buenos_Aires",
        ] {
            assert!(zone(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn abbreviations_are_refused_with_the_likely_zone() {
        for (name, meant) in [
            ("EST", "America/New_York"),
            ("PST", "America/Los_Angeles"),
            ("CET", "Europe/Paris"),
            ("est", "America/New_York"),
            ("US/Eastern", "America/New_York"),
            ("EST5EDT", "America/New_York"),
            ("Etc/UTC", "UTC"),
            ("utc", "UTC"),
            ("america/new_york", "America/New_York"),
        ] {
            let refused = zone(name).unwrap_err();
            assert_eq!(refused.suggestion.as_deref(), Some(meant), "{name}");
            assert!(refused.to_string().contains(meant), "{refused}");
        }
    }

    #[test]
    fn fixed_offsets_and_unknown_names_are_refused() {
        for name in [
            "Etc/GMT+5",
            "GMT+2",
            "+05:00",
            "Mars/Olympus_Mons",
            "America/",
            "",
        ] {
            assert!(zone(name).is_err(), "{name}");
        }
        assert_eq!(zone("Mars/Olympus_Mons").unwrap_err().suggestion, None);
    }
}
