//! North American numbers as the stand-in reads them: `+1` and ten digits, the area code
//! starting 2-9. Only numbers whose exchange also starts 2-9 (the North American Numbering
//! Plan's rule for a dialable number) are sold; an account may own any from the start, as
//! tests give it made-up numbers such as `+1555…`. Any E.164 number can be a message's or
//! call's other end.

/// A valid NANP number in E.164, e.g. `+14155550123`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NanpNumber {
    /// The ten national digits as a number, e.g. 4155550123.
    national: u64,
}

impl NanpNumber {
    /// The number from its area code (200-999), exchange (200-999) and line (0-9999).
    pub fn new(area_code: u16, exchange: u16, line: u16) -> Option<Self> {
        let valid = (200..=999).contains(&area_code) && (200..=999).contains(&exchange) && line <= 9999;
        valid.then(|| NanpNumber {
            national: u64::from(area_code) * 10_000_000 + u64::from(exchange) * 10_000 + u64::from(line),
        })
    }

    /// Reads `+1NXXXXXXXXX`; nothing else (no spaces, no missing `+1`).
    pub fn parse(text: &str) -> Option<Self> {
        let digits = text.strip_prefix("+1")?;
        if digits.len() != 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let national: u64 = digits.parse().ok()?;
        (national / 1_000_000_000 >= 2).then_some(NanpNumber { national })
    }

    /// Whether the exchange starts 2-9, as in every number that can be sold.
    pub fn is_dialable(&self) -> bool {
        self.national / 10_000 % 1000 >= 200
    }

    /// The ten national digits as a number.
    pub fn national(&self) -> u64 {
        self.national
    }

    pub fn area_code(&self) -> u16 {
        (self.national / 10_000_000) as u16
    }

    /// The ten national digits.
    pub fn national_digits(&self) -> String {
        format!("{:010}", self.national)
    }

    /// `(415) 555-0123`, as Twilio writes a US number's `friendly_name`.
    pub fn friendly(&self) -> String {
        let d = self.national_digits();
        format!("({}) {}-{}", &d[..3], &d[3..6], &d[6..])
    }
}

impl std::fmt::Display for NanpNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "+1{:010}", self.national)
    }
}

/// Whether `text` is an E.164 number of any country: `+`, then 8 to 15 digits, the first not 0.
pub fn is_e164(text: &str) -> bool {
    text.strip_prefix('+').is_some_and(|digits| {
        (8..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0')
    })
}

/// A `Contains` pattern (2 to 16 of `0-9`, `a-z`, `A-Z`, `*`): letters become their keypad
/// digit, `*` matches any one digit. `None` when the pattern has other characters or length.
pub fn contains_pattern(text: &str) -> Option<Vec<Option<u8>>> {
    if !(2..=16).contains(&text.len()) {
        return None;
    }
    text.bytes()
        .map(|b| match b {
            b'*' => Some(None),
            b'0'..=b'9' => Some(Some(b)),
            b'a'..=b'z' | b'A'..=b'Z' => Some(Some(keypad_digit(b.to_ascii_lowercase()))),
            _ => None,
        })
        .collect()
}

fn keypad_digit(letter: u8) -> u8 {
    match letter {
        b'a'..=b'c' => b'2',
        b'd'..=b'f' => b'3',
        b'g'..=b'i' => b'4',
        b'j'..=b'l' => b'5',
        b'm'..=b'o' => b'6',
        b'p'..=b's' => b'7',
        b't'..=b'v' => b'8',
        _ => b'9',
    }
}

/// Whether the number's digits (with its country code 1) hold the pattern anywhere.
/// Searches try this on many numbers, so it works on a stack buffer.
pub fn matches_pattern(number: &NanpNumber, pattern: &[Option<u8>]) -> bool {
    let mut digits = [b'1'; 11];
    let mut rest = number.national;
    for digit in digits[1..].iter_mut().rev() {
        *digit = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    digits.windows(pattern.len()).any(|window| {
        window
            .iter()
            .zip(pattern)
            .all(|(digit, wanted)| wanted.is_none_or(|w| w == *digit))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_nanp_numbers_in_e164_are_read() {
        let number = NanpNumber::parse("+14155550123").unwrap();
        assert_eq!(number.to_string(), "+14155550123");
        assert_eq!(number.area_code(), 415);
        assert_eq!(number.friendly(), "(415) 555-0123");
        assert!(number.is_dialable());
        let made_up = NanpNumber::parse("+15550123456").unwrap();
        assert!(
            !made_up.is_dialable(),
            "an exchange starting 0 is read, but not dialable"
        );
        for bad in [
            "4155550123",
            "+1415555012",
            "+141555501234",
            "+11155550123",
            "+1415555012x",
            "+44 20 7946 0958",
        ] {
            assert_eq!(NanpNumber::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn any_country_can_be_the_other_end() {
        assert!(is_e164("+442079460958"));
        assert!(is_e164("+14155550123"));
        assert!(!is_e164("+0123456789"));
        assert!(!is_e164("442079460958"));
        assert!(!is_e164("+1415"));
    }

    #[test]
    fn a_pattern_reads_letters_as_keypad_digits_and_star_as_any() {
        let number = NanpNumber::parse("+14155552273").unwrap();
        assert!(matches_pattern(&number, &contains_pattern("CARE").unwrap()));
        assert!(matches_pattern(&number, &contains_pattern("555*2").unwrap()));
        assert!(matches_pattern(&number, &contains_pattern("1415").unwrap()));
        assert!(!matches_pattern(&number, &contains_pattern("999").unwrap()));
        assert_eq!(contains_pattern("5"), None);
        assert_eq!(contains_pattern("55-5"), None);
    }
}
