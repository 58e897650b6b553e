//! How many SMS segments a text takes, as carriers (and Twilio's `NumSegments`) count them.
//!
//! A text written only in the GSM 03.38 alphabet goes as 7-bit septets: up to 160 in one
//! segment, else 153 per segment (the rest of each is the concatenation header). A character
//! of the alphabet's extension table (`^{}\[~]|€` and form feed) takes two septets. Any other
//! character makes the whole text UCS-2: up to 70 UTF-16 units in one segment, else 67 per
//! segment. Each segment is billed as a message.

/// The GSM 03.38 basic alphabet (one septet each).
const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// The extension table (an escape septet plus one).
const GSM7_EXTENSION: &str = "^{}\\[~]|€\u{000C}";

/// Septets in one unsplit GSM-7 segment, and per segment of a split text.
const GSM7_SINGLE: usize = 160;
const GSM7_PART: usize = 153;
/// UTF-16 units in one unsplit UCS-2 segment, and per segment of a split text.
const UCS2_SINGLE: usize = 70;
const UCS2_PART: usize = 67;

/// How a text is encoded on the air.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Gsm7,
    Ucs2,
}

/// A text's encoding and its segment count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segments {
    pub encoding: Encoding,
    /// At least 1 (an empty text is still one message).
    pub count: usize,
}

/// The septets `text` takes in GSM-7, or `None` when a character is outside the alphabet.
fn gsm7_septets(text: &str) -> Option<usize> {
    text.chars().try_fold(0usize, |septets, c| {
        if GSM7_BASIC.contains(c) {
            Some(septets + 1)
        } else if GSM7_EXTENSION.contains(c) {
            Some(septets + 2)
        } else {
            None
        }
    })
}

fn parts(units: usize, single: usize, part: usize) -> usize {
    if units <= single { 1 } else { units.div_ceil(part) }
}

/// The segments `text` is sent as.
pub fn segments(text: &str) -> Segments {
    match gsm7_septets(text) {
        Some(septets) => Segments {
            encoding: Encoding::Gsm7,
            count: parts(septets, GSM7_SINGLE, GSM7_PART),
        },
        None => Segments {
            encoding: Encoding::Ucs2,
            count: parts(text.encode_utf16().count(), UCS2_SINGLE, UCS2_PART),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gsm7_texts_split_at_160_then_153() {
        assert_eq!(segments("").count, 1);
        assert_eq!(
            segments(&"a".repeat(160)),
            Segments {
                encoding: Encoding::Gsm7,
                count: 1
            }
        );
        assert_eq!(segments(&"a".repeat(161)).count, 2);
        assert_eq!(segments(&"a".repeat(306)).count, 2);
        assert_eq!(segments(&"a".repeat(307)).count, 3);
    }

    #[test]
    fn extension_characters_take_two_septets() {
        assert_eq!(segments(&"€".repeat(80)).count, 1);
        assert_eq!(segments(&"€".repeat(81)).count, 2);
        assert_eq!(segments("{}").encoding, Encoding::Gsm7);
    }

    #[test]
    fn one_character_outside_the_alphabet_makes_the_text_ucs2() {
        let text = format!("{}ł", "a".repeat(69));
        assert_eq!(
            segments(&text),
            Segments {
                encoding: Encoding::Ucs2,
                count: 1
            }
        );
        let text = format!("{}ł", "a".repeat(70));
        assert_eq!(segments(&text).count, 2);
        assert_eq!(segments(&"ł".repeat(134)).count, 2);
        assert_eq!(segments(&"ł".repeat(135)).count, 3);
        // An emoji is two UTF-16 units.
        assert_eq!(segments(&"🙂".repeat(35)).count, 1);
        assert_eq!(segments(&"🙂".repeat(36)).count, 2);
    }
}
