//! switchboard's outgoing webhook signature on hostile text: no panic, and what we sign
//! verifies while the same header over another body is refused.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use switchboard::wire::webhook_signature::{VerifyError, parse_header, sign, verify};

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    header: &'a str,
    body: &'a [u8],
    secret: &'a [u8],
    now: i64,
    tolerance: i64,
}

fuzz_target!(|input: Input<'_>| {
    let _ = parse_header(input.header);
    let _ = verify(
        b"whsec_fuzz",
        input.header,
        input.body,
        input.now,
        input.tolerance,
    );
    let now = input.now.clamp(0, 1 << 40);
    let signed = sign(input.secret, now, input.body);
    assert_eq!(verify(input.secret, &signed, input.body, now, 300), Ok(now));
    let mut other = input.body.to_vec();
    other.push(b' ');
    assert_eq!(
        verify(input.secret, &signed, &other, now, 300),
        Err(VerifyError::Mismatch)
    );
});
