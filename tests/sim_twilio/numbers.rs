//! Numbers: for sale (generated the same each time, never one owned), bought, read,
//! updated, listed and released, with Twilio's fields and codes.

use serde_json::Value;

use crate::support::{Twilio, assert_error, config};

const OWNED: &str = "+14155550100";

fn numbers_of(page: &Value, key: &str) -> Vec<String> {
    page[key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key}: {page}"))
        .iter()
        .map(|item| item["phone_number"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn numbers_for_sale_are_the_same_each_time_and_match_the_filters() {
    let twilio = Twilio::start(config()).await;
    let local = "AvailablePhoneNumbers/US/Local.json";
    let (status, page) = twilio.get(local, &[("AreaCode", "415"), ("PageSize", "5")]).await;
    assert_eq!(status, 200, "{page}");
    let offered = numbers_of(&page, "available_phone_numbers");
    assert_eq!(offered.len(), 5);
    assert!(offered.iter().all(|n| n.starts_with("+1415")), "{offered:?}");
    let first = &page["available_phone_numbers"][0];
    for field in [
        "friendly_name",
        "lata",
        "locality",
        "rate_center",
        "latitude",
        "longitude",
        "region",
        "postal_code",
        "iso_country",
        "address_requirements",
        "beta",
        "capabilities",
    ] {
        assert!(first.get(field).is_some(), "{field} missing: {first}");
    }
    assert_eq!(first["iso_country"], "US");
    assert_eq!(first["region"], "CA");
    assert!(page["uri"].as_str().unwrap().contains("AreaCode=415"), "{page}");

    let (_, again) = twilio.get(local, &[("AreaCode", "415"), ("PageSize", "5")]).await;
    assert_eq!(numbers_of(&again, "available_phone_numbers"), offered);

    let (_, with) = twilio
        .get(local, &[("Contains", "77*7"), ("PageSize", "4")])
        .await;
    let with = numbers_of(&with, "available_phone_numbers");
    assert_eq!(with.len(), 4);
    for number in &with {
        let digits = number.as_bytes();
        assert!(
            digits
                .windows(4)
                .any(|w| w[0] == b'7' && w[1] == b'7' && w[3] == b'7'),
            "{number}"
        );
    }
    let (_, voice_only) = twilio
        .get(
            local,
            &[
                ("SmsEnabled", "false"),
                ("VoiceEnabled", "true"),
                ("PageSize", "3"),
            ],
        )
        .await;
    let voice_only = voice_only["available_phone_numbers"].as_array().unwrap().clone();
    assert_eq!(voice_only.len(), 3);
    assert!(
        voice_only
            .iter()
            .all(|n| n["capabilities"]["sms"] == false && n["capabilities"]["voice"] == true)
    );

    let (_, none) = twilio.get(local, &[("AreaCode", "911")]).await;
    assert_eq!(none["available_phone_numbers"], serde_json::json!([]));
    assert_error(
        &twilio.get("AvailablePhoneNumbers/ZZ/Local.json", &[]).await,
        404,
        20404,
    );
    assert_error(&twilio.get(local, &[("Contains", "7")]).await, 400, 21218);
}

#[tokio::test]
async fn a_number_owned_from_the_start_is_listed_and_never_offered() {
    // The stand-in's generator offers this number first in 415 (checked below), so owning it
    // must take it off the list.
    let first_offer = {
        let twilio = Twilio::start(config()).await;
        let (_, page) = twilio
            .get(
                "AvailablePhoneNumbers/US/Local.json",
                &[("AreaCode", "415"), ("PageSize", "1")],
            )
            .await;
        numbers_of(&page, "available_phone_numbers").remove(0)
    };
    let mut setup = config();
    // Tests make numbers up (`+1555` and seven random digits), so any exchange is taken.
    setup.numbers = vec![first_offer.clone(), OWNED.into(), "+15550123456".into()];
    let twilio = Twilio::start(setup).await;
    let (_, page) = twilio
        .get(
            "AvailablePhoneNumbers/US/Local.json",
            &[("AreaCode", "415"), ("PageSize", "20")],
        )
        .await;
    assert!(!numbers_of(&page, "available_phone_numbers").contains(&first_offer));

    let (status, owned) = twilio
        .get("IncomingPhoneNumbers.json", &[("PhoneNumber", OWNED)])
        .await;
    assert_eq!(status, 200);
    assert_eq!(numbers_of(&owned, "incoming_phone_numbers"), [OWNED]);
    let number = &owned["incoming_phone_numbers"][0];
    assert_eq!(number["voice_url"], "");
    assert_eq!(number["status"], "in-use");
    let (_, made_up) = twilio
        .get("IncomingPhoneNumbers.json", &[("PhoneNumber", "+15550123456")])
        .await;
    assert_eq!(
        made_up["incoming_phone_numbers"][0]["phone_number"],
        "+15550123456"
    );
    assert_error(
        &twilio
            .post("IncomingPhoneNumbers.json", &[("PhoneNumber", OWNED)])
            .await,
        400,
        21422,
    );
}

#[tokio::test]
async fn a_number_is_bought_read_updated_and_released() {
    let twilio = Twilio::start(config()).await;
    let (status, bought) = twilio
        .post(
            "IncomingPhoneNumbers.json",
            &[
                ("PhoneNumber", "+12125550142"),
                ("FriendlyName", "Harbor Dental"),
                ("VoiceUrl", "https://bridge.example/twilio/voice"),
                ("VoiceMethod", "POST"),
                ("StatusCallback", "https://bridge.example/twilio/call-status"),
                ("SmsUrl", "https://bridge.example/twilio/sms"),
                ("VoiceFallbackUrl", "https://bridge.example/twilio/fallback"),
            ],
        )
        .await;
    assert_eq!(status, 201, "{bought}");
    let sid = bought["sid"].as_str().unwrap().to_owned();
    assert!(sid.starts_with("PN") && sid.len() == 34, "{sid}");
    assert_eq!(bought["account_sid"], crate::support::ACCOUNT_SID);
    assert_eq!(bought["phone_number"], "+12125550142");
    assert_eq!(bought["friendly_name"], "Harbor Dental");
    assert_eq!(bought["voice_url"], "https://bridge.example/twilio/voice");
    assert_eq!(
        bought["status_callback"],
        "https://bridge.example/twilio/call-status"
    );
    assert_eq!(bought["sms_url"], "https://bridge.example/twilio/sms");
    assert_eq!(
        bought["voice_fallback_url"],
        "https://bridge.example/twilio/fallback"
    );
    assert_eq!(bought["api_version"], "2010-04-01");
    assert_eq!(
        bought["uri"],
        format!(
            "/2010-04-01/Accounts/{}/IncomingPhoneNumbers/{sid}.json",
            crate::support::ACCOUNT_SID
        )
    );
    assert!(bought["subresource_uris"]["assigned_add_ons"].is_string());
    let created = bought["date_created"].as_str().unwrap();
    assert!(
        jiff::fmt::rfc2822::parse(created).is_ok() && created.ends_with("+0000"),
        "{created}"
    );

    let file = format!("IncomingPhoneNumbers/{sid}.json");
    let (status, read) = twilio.get(&file, &[]).await;
    assert_eq!(status, 200);
    assert_eq!(read, bought);

    let (status, updated) = twilio
        .post(
            &file,
            &[("VoiceUrl", "https://other.example/twilio/voice"), ("SmsUrl", "")],
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["voice_url"], "https://other.example/twilio/voice");
    assert_eq!(updated["sms_url"], "");
    assert_eq!(updated["friendly_name"], "Harbor Dental");
    assert_error(
        &twilio.post(&file, &[("VoiceUrl", "bridge/voice")]).await,
        400,
        21205,
    );
    assert_eq!(
        twilio.get(&file, &[]).await.1["voice_url"],
        "https://other.example/twilio/voice"
    );

    let (status, body) = twilio.delete(&file).await;
    assert_eq!(status, 204);
    assert_eq!(body, Value::Null);
    assert_error(&twilio.get(&file, &[]).await, 404, 20404);
    assert_error(&twilio.delete(&file).await, 404, 20404);
    assert_error(&twilio.post(&file, &[("FriendlyName", "x")]).await, 404, 20404);
    assert!(twilio.sim.state().numbers.is_empty());
}

#[tokio::test]
async fn buying_by_area_code_takes_the_next_for_sale_and_bad_choices_get_twilios_codes() {
    let twilio = Twilio::start(config()).await;
    let (_, page) = twilio
        .get(
            "AvailablePhoneNumbers/US/Local.json",
            &[("AreaCode", "646"), ("PageSize", "2")],
        )
        .await;
    let offered = numbers_of(&page, "available_phone_numbers");
    let (status, first) = twilio
        .post("IncomingPhoneNumbers.json", &[("AreaCode", "646")])
        .await;
    assert_eq!(status, 201);
    assert_eq!(first["phone_number"], offered[0].as_str());
    let (_, second) = twilio
        .post("IncomingPhoneNumbers.json", &[("AreaCode", "646")])
        .await;
    assert_eq!(second["phone_number"], offered[1].as_str());

    assert_error(
        &twilio
            .post("IncomingPhoneNumbers.json", &[("AreaCode", "911")])
            .await,
        400,
        21452,
    );
    assert_error(
        &twilio
            .post("IncomingPhoneNumbers.json", &[("PhoneNumber", "555-0100")])
            .await,
        400,
        21421,
    );
    assert_error(
        &twilio
            .post("IncomingPhoneNumbers.json", &[("AreaCode", "41")])
            .await,
        400,
        21451,
    );
    let taken = offered[0].as_str();
    assert_error(
        &twilio
            .post("IncomingPhoneNumbers.json", &[("PhoneNumber", taken)])
            .await,
        400,
        21422,
    );
    // A refused buy with a bad setting changes nothing.
    assert_error(
        &twilio
            .post(
                "IncomingPhoneNumbers.json",
                &[("PhoneNumber", "+13125550199"), ("VoiceMethod", "PUT")],
            )
            .await,
        400,
        21218,
    );
    assert_eq!(twilio.sim.state().numbers.len(), 2);
}

#[tokio::test]
async fn the_list_pages_through_every_number_and_keeps_its_filters() {
    let twilio = Twilio::start(config()).await;
    for n in 0..5 {
        let number = format!("+1312555010{n}");
        let (status, _) = twilio
            .post(
                "IncomingPhoneNumbers.json",
                &[("PhoneNumber", &number), ("FriendlyName", "desk")],
            )
            .await;
        assert_eq!(status, 201);
    }
    twilio
        .post(
            "IncomingPhoneNumbers.json",
            &[("PhoneNumber", "+13125550199"), ("FriendlyName", "other")],
        )
        .await;

    let (status, mut page) = twilio
        .get(
            "IncomingPhoneNumbers.json",
            &[("FriendlyName", "desk"), ("PageSize", "2")],
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(page["page"], 0);
    assert_eq!(page["page_size"], 2);
    assert_eq!(page["start"], 0);
    assert_eq!(page["end"], 1);
    assert_eq!(page["previous_page_uri"], Value::Null);
    assert_eq!(page["first_page_uri"], page["uri"]);
    let mut seen = numbers_of(&page, "incoming_phone_numbers");
    let mut pages = 1;
    while let Some(next) = page["next_page_uri"].as_str().map(str::to_owned) {
        assert!(
            next.contains("FriendlyName=desk") && next.contains("PageSize=2"),
            "{next}"
        );
        let (status, next_page) = twilio.follow(&next).await;
        assert_eq!(status, 200);
        assert_eq!(next_page["page"], pages);
        assert_eq!(next_page["uri"], next.as_str());
        assert!(next_page["previous_page_uri"].is_string());
        seen.extend(numbers_of(&next_page, "incoming_phone_numbers"));
        page = next_page;
        pages += 1;
    }
    assert_eq!(pages, 3);
    assert_eq!(page["start"], 4);
    assert_eq!(page["end"], 4);
    let expected: Vec<String> = (0..5).map(|n| format!("+1312555010{n}")).collect();
    assert_eq!(seen, expected);
    let (_, back) = twilio.follow(page["previous_page_uri"].as_str().unwrap()).await;
    assert_eq!(numbers_of(&back, "incoming_phone_numbers"), expected[2..4]);
    assert_error(
        &twilio
            .get("IncomingPhoneNumbers.json", &[("PageSize", "0")])
            .await,
        400,
        21218,
    );
}
