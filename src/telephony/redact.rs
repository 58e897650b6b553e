//! Redaction of a call's transcript before it is stored, for accounts that ask for it: card
//! numbers, email addresses and phone numbers are replaced by `[card]`, `[email]` and
//! `[phone]`. A pure text rule, no IO.
//!
//! - A card number is 13 to 19 digits, in groups split by single spaces or dashes, that pass
//!   the Luhn check (so a long reference that happens to be digits stays).
//! - An email is `local@domain.tld` with the usual characters on each side.
//! - A phone number is E.164 (`+` and 8 to 15 digits, groups split by spaces, dashes, dots or
//!   parentheses) or a national form of 10 or 11 digits (`(555) 123-4567`, `020 7946 0958`).
//!
//! Dates and times ("2026-03-03", "14:00") have too few digits to be taken for either.

/// `text` with card numbers, emails and phone numbers replaced.
pub fn redact(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if let Some(end) = email_at(&chars, i) {
            out.push_str("[email]");
            i = end;
            continue;
        }
        if let Some((end, label)) = number_at(&chars, i) {
            out.push_str(label);
            i = end;
            continue;
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

fn is_local_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
}

fn is_domain_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-')
}

/// The end of an email starting at `start`, if one starts there.
fn email_at(chars: &[char], start: usize) -> Option<usize> {
    if !chars[start].is_ascii_alphanumeric() || (start > 0 && is_local_char(chars[start - 1])) {
        return None;
    }
    let mut at = start;
    while at < chars.len() && is_local_char(chars[at]) {
        at += 1;
    }
    if chars.get(at) != Some(&'@') {
        return None;
    }
    let domain_start = at + 1;
    let mut end = domain_start;
    while end < chars.len() && is_domain_char(chars[end]) {
        end += 1;
    }
    // A sentence's full stop after the address is not part of it.
    while end > domain_start && matches!(chars[end - 1], '.' | '-') {
        end -= 1;
    }
    let domain: String = chars[domain_start..end].iter().collect();
    let labels: Vec<&str> = domain.split('.').collect();
    let valid = labels.len() >= 2
        && labels.iter().all(|label| !label.is_empty())
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
    valid.then_some(end)
}

/// The end of a card or phone number starting at `start`, with its replacement.
fn number_at(chars: &[char], start: usize) -> Option<(usize, &'static str)> {
    let first = chars[start];
    let starts_number = first.is_ascii_digit()
        || (matches!(first, '+' | '(') && chars.get(start + 1).is_some_and(char::is_ascii_digit));
    if !starts_number || (start > 0 && (chars[start - 1].is_alphanumeric() || chars[start - 1] == '+')) {
        return None;
    }
    let plus = first == '+';
    let mut digits = Vec::new();
    let mut card_shaped = first.is_ascii_digit();
    let mut i = if first.is_ascii_digit() { start } else { start + 1 };
    let mut end = i;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() {
            digits.push(c as u8 - b'0');
            i += 1;
            end = i;
            continue;
        }
        // Up to two separators between digits: "-", " ", ") ", ".".
        let mut j = i;
        while j < chars.len() && j - i < 2 && matches!(chars[j], ' ' | '-' | '.' | '(' | ')') {
            j += 1;
        }
        if j == i || !chars.get(j).is_some_and(char::is_ascii_digit) {
            break;
        }
        if !(j - i == 1 && matches!(c, ' ' | '-')) {
            card_shaped = false;
        }
        i = j;
    }
    if chars.get(end).is_some_and(|c| c.is_alphanumeric()) {
        return None;
    }
    let count = digits.len();
    if card_shaped && !plus && (13..=19).contains(&count) && luhn_valid(&digits) {
        return Some((end, "[card]"));
    }
    if (plus && (8..=15).contains(&count)) || (!plus && (10..=11).contains(&count)) {
        return Some((end, "[phone]"));
    }
    None
}

/// Whether `digits` pass the Luhn check.
fn luhn_valid(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(position, &digit)| {
            let digit = u32::from(digit);
            if position % 2 == 1 {
                let doubled = digit * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                digit
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn card_numbers_are_replaced_when_they_pass_the_luhn_check() {
        assert_eq!(
            redact("my card is 4111 1111 1111 1111 thanks"),
            "my card is [card] thanks"
        );
        assert_eq!(redact("4111-1111-1111-1111."), "[card].");
        assert_eq!(redact("378282246310005"), "[card]");
        // Sixteen digits failing Luhn are not a card (nor a phone number).
        assert_eq!(redact("4111 1111 1111 1112"), "4111 1111 1111 1112");
    }

    #[test]
    fn emails_are_replaced_without_the_sentences_full_stop() {
        assert_eq!(redact("write to jane.doe+x@example.co.uk."), "write to [email].");
        assert_eq!(
            redact("{\"invitee_email\":\"a@b.io\"}"),
            "{\"invitee_email\":\"[email]\"}"
        );
        assert_eq!(redact("at @home or a@b"), "at @home or a@b");
    }

    #[test]
    fn phone_numbers_are_replaced_in_e164_and_national_forms() {
        assert_eq!(redact("call +14155550123 now"), "call [phone] now");
        assert_eq!(redact("+44 20 7946 0958"), "[phone]");
        assert_eq!(redact("(415) 555-0123"), "[phone]");
        assert_eq!(redact("415.555.0123"), "[phone]");
        assert_eq!(redact("020 7946 0958"), "[phone]");
    }

    #[test]
    fn dates_times_and_references_are_kept() {
        let text = "Booked Consultation on 2026-03-03 at 14:00, reference K7M4PX, room 12.";
        assert_eq!(redact(text), text);
        assert_eq!(redact("2026-03-03T14:00:00Z"), "2026-03-03T14:00:00Z");
    }

    /// A Luhn-valid number of `len` digits starting with `prefix`'s digits.
    fn luhn_number(mut digits: Vec<u8>) -> Vec<u8> {
        digits.push(0);
        for check in 0..10 {
            *digits.last_mut().expect("a digit") = check;
            if luhn_valid(&digits) {
                break;
            }
        }
        digits
    }

    fn card() -> impl Strategy<Value = String> {
        (
            proptest::collection::vec(0u8..10, 12..=18),
            proptest::sample::select(vec!["", " ", "-"]),
            1usize..=4,
        )
            .prop_map(|(body, separator, group)| {
                let mut body = body;
                body[0] = body[0].max(1);
                let digits = luhn_number(body);
                let mut text = String::new();
                for (i, digit) in digits.iter().enumerate() {
                    if i > 0 && i % (group + 3) == 0 {
                        text.push_str(separator);
                    }
                    text.push(char::from(b'0' + digit));
                }
                text
            })
    }

    fn email() -> impl Strategy<Value = String> {
        ("[a-z][a-z0-9._+-]{0,12}", "[a-z][a-z0-9-]{0,10}", "[a-z]{2,6}")
            .prop_map(|(local, domain, tld)| format!("{local}@{domain}.{tld}"))
    }

    fn e164() -> impl Strategy<Value = String> {
        ("[1-9][0-9]{7,14}", proptest::sample::select(vec!["", " "])).prop_map(|(digits, separator)| {
            let (country, rest) = digits.split_at(2);
            format!("+{country}{separator}{rest}")
        })
    }

    /// Words around the secret: letters and punctuation, no digits, no `@`.
    fn words() -> impl Strategy<Value = String> {
        "[A-Za-z ,.!?']{0,30}".prop_map(|text| text)
    }

    proptest! {
        #[test]
        fn no_card_survives(before in words(), number in card(), after in words()) {
            let text = format!("{before} {number} {after}");
            let redacted = redact(&text);
            prop_assert_eq!(redacted, format!("{before} [card] {after}"));
        }

        #[test]
        fn no_email_survives(before in words(), address in email(), after in words()) {
            let text = format!("{before} {address} {after}");
            let redacted = redact(&text);
            prop_assert!(!redacted.contains('@'), "{redacted}");
            prop_assert!(redacted.contains("[email]"));
        }

        #[test]
        fn no_e164_number_survives(before in words(), number in e164(), after in words()) {
            let text = format!("{before} {number} {after}");
            prop_assert_eq!(redact(&text), format!("{before} [phone] {after}"));
        }

        #[test]
        fn text_without_digits_or_at_signs_is_unchanged(text in "[^0-9@]{0,80}") {
            prop_assert_eq!(redact(&text), text);
        }

        #[test]
        fn redacting_twice_changes_nothing_more(text in ".{0,120}") {
            let once = redact(&text);
            prop_assert_eq!(redact(&once), once.clone());
        }
    }
}
