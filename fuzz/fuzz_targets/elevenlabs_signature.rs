//! The ElevenLabs webhook signature header on hostile text: no panic, and what we sign we
//! accept while the same header over another body is refused.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use switchboard::wire::elevenlabs::webhook_signature::{SignatureError, parse_header, sign, verify};

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    header: &'a str,
    body: &'a [u8],
    secret: &'a [u8],
    now: i64,
}

fuzz_target!(|input: Input<'_>| {
    let _ = parse_header(input.header);
    let _ = verify(&[b"fuzz-secret"], Some(input.header), input.body, input.now);
    if input.secret.is_empty() {
        return;
    }
    let now = input.now.clamp(0, 1 << 40);
    let signed = sign(input.secret, now, input.body);
    assert_eq!(verify(&[input.secret], Some(&signed), input.body, now), Ok(now));
    let mut other = input.body.to_vec();
    other.push(b' ');
    assert_eq!(
        verify(&[input.secret], Some(&signed), &other, now),
        Err(SignatureError::Mismatch)
    );
});
