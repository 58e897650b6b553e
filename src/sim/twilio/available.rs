//! The numbers for sale: generated, the same on every run, never one the account owns.
//!
//! Each area code has 8,000,000 numbers (exchanges 200-999, lines 0000-9999), visited in a
//! fixed scrambled order so a list looks like Twilio's (not `…0000, …0001`). Without an
//! `AreaCode`, a few well-known area codes take turns. Area codes not given to places (the
//! N11 service codes, and N9X, kept for expanding the plan) have none, so buying in one is
//! refused as Twilio refuses an area code with nothing left. Every seventh number is voice
//! only, the rest take calls, SMS and MMS, so the capability filters have something to filter.

use serde::Serialize;

use super::phone::{NanpNumber, matches_pattern};

/// Where an area code is.
struct Place {
    area_code: u16,
    locality: &'static str,
    region: &'static str,
    postal_code: &'static str,
    latitude: &'static str,
    longitude: &'static str,
}

const fn place(
    area_code: u16,
    locality: &'static str,
    region: &'static str,
    postal_code: &'static str,
    latitude: &'static str,
    longitude: &'static str,
) -> Place {
    Place {
        area_code,
        locality,
        region,
        postal_code,
        latitude,
        longitude,
    }
}

/// Area codes offered when none is asked for, with where they are.
const PLACES: [Place; 8] = [
    place(415, "San Francisco", "CA", "94103", "37.7749", "-122.4194"),
    place(628, "San Francisco", "CA", "94110", "37.7599", "-122.4148"),
    place(510, "Oakland", "CA", "94612", "37.8044", "-122.2712"),
    place(650, "San Mateo", "CA", "94401", "37.5630", "-122.3255"),
    place(212, "New York", "NY", "10001", "40.7506", "-73.9972"),
    place(646, "New York", "NY", "10011", "40.7410", "-74.0000"),
    place(312, "Chicago", "IL", "60601", "41.8858", "-87.6181"),
    place(617, "Boston", "MA", "02108", "42.3575", "-71.0636"),
];
/// Numbers per area code: 800 exchanges of 10,000 lines.
const PER_AREA_CODE: u64 = 8_000_000;
/// Coprime with `PER_AREA_CODE` (odd, not a multiple of 5), so `i * STRIDE` visits them all.
const STRIDE: u64 = 4_999_993;
/// How many numbers one search looks at before giving up (a long `Contains` finds few).
const SEARCH_LIMIT: u64 = 400_000;

/// What a number can do (the spec's `phone-number-capabilities`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Capabilities {
    pub voice: bool,
    pub sms: bool,
    pub mms: bool,
    pub fax: bool,
}

/// One number for sale, with Twilio's fields (`AvailablePhoneNumberLocal`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AvailableNumber {
    pub friendly_name: String,
    pub phone_number: String,
    pub lata: Option<String>,
    pub locality: Option<String>,
    pub rate_center: Option<String>,
    pub latitude: Option<String>,
    pub longitude: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub iso_country: &'static str,
    pub address_requirements: &'static str,
    pub beta: bool,
    pub capabilities: Capabilities,
}

/// A search's filters, read from the query.
#[derive(Debug, Clone, Default)]
pub struct Search {
    pub area_code: Option<u16>,
    /// From `Contains`, see [`super::phone::contains_pattern`].
    pub contains: Option<Vec<Option<u8>>>,
    pub sms_enabled: Option<bool>,
    pub mms_enabled: Option<bool>,
    pub voice_enabled: Option<bool>,
    pub fax_enabled: Option<bool>,
    pub limit: usize,
}

/// Whether an area code is given to places: not N11 (211, 311, … 911) nor N9X.
pub fn in_service(area_code: u16) -> bool {
    area_code % 100 != 11 && area_code / 10 % 10 != 9
}

/// The `i`-th number of an area code, in the fixed scrambled order.
fn nth_in_area_code(area_code: u16, i: u64) -> NanpNumber {
    let index = (i % PER_AREA_CODE * STRIDE + u64::from(area_code) * 7919) % PER_AREA_CODE;
    NanpNumber::new(area_code, 200 + (index / 10_000) as u16, (index % 10_000) as u16)
        .expect("the exchange is 200-999 and the line under 10,000")
}

/// What a number can do: every seventh is voice only.
pub fn capabilities_of(number: &NanpNumber) -> Capabilities {
    let messaging = !number
        .national_digits()
        .parse::<u64>()
        .unwrap_or(0)
        .is_multiple_of(7);
    Capabilities {
        voice: true,
        sms: messaging,
        mms: messaging,
        fax: false,
    }
}

/// The numbers for sale matching `search`, up to its limit, leaving out those `owned` says
/// are the account's.
pub fn search(search: &Search, owned: impl Fn(&NanpNumber) -> bool) -> Vec<AvailableNumber> {
    let area_codes: Vec<u16> = match search.area_code {
        Some(code) => vec![code],
        None => PLACES.iter().map(|place| place.area_code).collect(),
    };
    if !area_codes.iter().all(|code| in_service(*code)) {
        return Vec::new();
    }
    let turns = area_codes.len() as u64;
    (0..SEARCH_LIMIT)
        .map(|i| nth_in_area_code(area_codes[(i % turns) as usize], i / turns))
        .filter(|number| !owned(number))
        .filter(|number| {
            search
                .contains
                .as_ref()
                .is_none_or(|pattern| matches_pattern(number, pattern))
        })
        .map(|number| describe(&number))
        .filter(|found| {
            let can = found.capabilities;
            search.sms_enabled.is_none_or(|wanted| can.sms == wanted)
                && search.mms_enabled.is_none_or(|wanted| can.mms == wanted)
                && search.voice_enabled.is_none_or(|wanted| can.voice == wanted)
                && search.fax_enabled.is_none_or(|wanted| can.fax == wanted)
        })
        .take(search.limit)
        .collect()
}

/// The first number for sale in an area code (buying with `AreaCode`).
pub fn first_in_area_code(area_code: u16, owned: impl Fn(&NanpNumber) -> bool) -> Option<NanpNumber> {
    if !in_service(area_code) {
        return None;
    }
    (0..SEARCH_LIMIT)
        .map(|i| nth_in_area_code(area_code, i))
        .find(|number| !owned(number))
}

/// A number's listing: its place when its area code is a known one.
pub fn describe(number: &NanpNumber) -> AvailableNumber {
    let place = PLACES.iter().find(|place| place.area_code == number.area_code());
    let field = |pick: fn(&Place) -> &'static str| place.map(|p| pick(p).to_owned());
    AvailableNumber {
        friendly_name: number.friendly(),
        phone_number: number.to_string(),
        lata: place.map(|p| format!("{}", 700 + p.area_code % 100)),
        locality: field(|p| p.locality),
        rate_center: field(|p| p.locality).map(|city| city.to_uppercase().replace(' ', "")),
        latitude: field(|p| p.latitude),
        longitude: field(|p| p.longitude),
        region: field(|p| p.region),
        postal_code: field(|p| p.postal_code),
        iso_country: "US",
        address_requirements: "none",
        beta: false,
        capabilities: capabilities_of(number),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(search: &Search) -> Vec<String> {
        super::search(search, |_| false)
            .into_iter()
            .map(|found| found.phone_number)
            .collect()
    }

    #[test]
    fn the_same_search_gives_the_same_numbers_in_the_area_code_asked() {
        let in_415 = Search {
            area_code: Some(415),
            limit: 20,
            ..Search::default()
        };
        let first = find(&in_415);
        assert_eq!(first.len(), 20);
        assert_eq!(first, find(&in_415));
        assert!(first.iter().all(|number| number.starts_with("+1415")));
        let distinct: std::collections::HashSet<_> = first.iter().collect();
        assert_eq!(distinct.len(), 20);
    }

    #[test]
    fn owned_numbers_are_never_offered() {
        let search = Search {
            area_code: Some(212),
            limit: 5,
            ..Search::default()
        };
        let offered = find(&search);
        let owned = NanpNumber::parse(&offered[0]).unwrap();
        let now = super::search(&search, |number| *number == owned);
        assert!(now.iter().all(|found| found.phone_number != offered[0]));
        assert_eq!(now[0].phone_number, offered[1]);
        assert_eq!(
            first_in_area_code(212, |number| *number == owned)
                .unwrap()
                .to_string(),
            offered[1]
        );
    }

    #[test]
    fn service_and_reserved_area_codes_have_no_numbers() {
        for code in [211, 411, 911, 299, 597] {
            assert!(!in_service(code), "{code}");
            assert_eq!(first_in_area_code(code, |_| false), None);
        }
        let in_911 = Search {
            area_code: Some(911),
            limit: 5,
            ..Search::default()
        };
        assert!(find(&in_911).is_empty());
        assert!(in_service(415) && in_service(212));
    }

    #[test]
    fn filters_keep_only_what_matches() {
        let voice_only = Search {
            sms_enabled: Some(false),
            limit: 10,
            ..Search::default()
        };
        let found = super::search(&voice_only, |_| false);
        assert_eq!(found.len(), 10);
        assert!(found.iter().all(|n| n.capabilities.voice && !n.capabilities.sms));
        let with_55 = Search {
            contains: super::super::phone::contains_pattern("4242"),
            limit: 3,
            ..Search::default()
        };
        let found = find(&with_55);
        assert_eq!(found.len(), 3);
        assert!(found.iter().all(|n| n.contains("4242")), "{found:?}");
    }
}
