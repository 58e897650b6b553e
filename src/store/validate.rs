//! Checks on values before they are written, so bad input fails with a clear `Invalid` instead
//! of a row that breaks the call path later (an unknown timezone, a number Twilio never sends).

use super::error::{StoreError, StoreResult};

/// E.164: a plus sign, a country code that does not start with 0, at most 15 digits in all.
/// This is the form Twilio uses for `From`/`To` (https://www.twilio.com/docs/glossary/what-e164).
pub(crate) fn is_e164(number: &str) -> bool {
    let digits = number.strip_prefix('+').unwrap_or("");
    (2..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0')
}

pub(crate) fn e164(what: &'static str, number: &str) -> StoreResult<()> {
    if is_e164(number) {
        Ok(())
    } else {
        Err(StoreError::invalid(
            what,
            format!("{number:?} is not an E.164 number like +14155550123"),
        ))
    }
}

/// An IANA zone name the time zone database knows (`Europe/Berlin`, `UTC`; not `EST`).
pub(crate) fn timezone(name: &str) -> StoreResult<()> {
    crate::timezone::zone(name)
        .map(|_| ())
        .map_err(|refused| StoreError::invalid("timezone", refused.to_string()))
}

pub(crate) fn not_blank(what: &'static str, value: &str) -> StoreResult<()> {
    if value.trim().is_empty() {
        Err(StoreError::invalid(what, "must not be empty"))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn e164_examples() {
        for good in ["+14155550123", "+4930123456", "+12"] {
            assert!(e164("phone", good).is_ok(), "{good}");
        }
        for bad in [
            "4155550123",
            "+0415555",
            "+1 415 555 0123",
            "+",
            "+1",
            "+1234567890123456",
            "+1415a",
        ] {
            assert!(e164("phone", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn timezones_must_be_known() {
        assert!(timezone("America/New_York").is_ok());
        assert!(timezone("Asia/Kathmandu").is_ok());
        assert!(timezone("Mars/Olympus_Mons").is_err());
    }

    proptest! {
        #[test]
        fn well_formed_numbers_are_accepted(number in "\\+[1-9][0-9]{1,14}") {
            prop_assert!(e164("phone", &number).is_ok());
        }

        #[test]
        fn a_single_foreign_character_is_refused(
            number in "\\+[1-9][0-9]{1,14}",
            at in 1usize..16,
            foreign in "[^0-9]",
        ) {
            let at = at.min(number.len());
            let mut broken = number.clone();
            broken.insert_str(at, &foreign);
            prop_assert!(e164("phone", &broken).is_err(), "{} accepted", broken);
        }

        #[test]
        fn too_long_numbers_are_refused(number in "\\+[1-9][0-9]{15,20}") {
            prop_assert!(e164("phone", &number).is_err());
        }
    }
}
