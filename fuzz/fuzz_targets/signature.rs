//! The Twilio signature checks on hostile URLs, parameters, bodies and signatures: no panic,
//! and what we sign we accept.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use switchboard::wire::signature::RequestValidator;

#[derive(Debug, Arbitrary)]
struct Request<'a> {
    url: &'a str,
    params: Vec<(&'a str, &'a str)>,
    body: &'a [u8],
    signature: &'a str,
}

fuzz_target!(|request: Request<'_>| {
    let validator = RequestValidator::new("fuzz-token");
    let _ = validator.validate(request.url, &request.params, request.signature);
    let _ = validator.validate_body(request.url, request.body, request.signature);
    let _ = validator.validate_websocket(request.url, request.signature);
    let signed = validator.sign(request.url, &request.params);
    assert!(validator.validate(request.url, &request.params, &signed));
});
