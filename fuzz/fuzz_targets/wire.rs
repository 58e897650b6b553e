//! Every parser of peer text: Twilio's stream messages, both directions of the ElevenLabs
//! socket and the TwiML reader. None may panic, and whatever parses must serialize to JSON
//! that parses to the same message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use switchboard::wire::elevenlabs::{AgentMessage, ClientMessage};
use switchboard::wire::twilio::StreamMessage;
use switchboard::wire::twiml;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(message) = StreamMessage::parse(text) {
        let json = message.to_json();
        let again = StreamMessage::parse(&json).expect("our own Twilio JSON parses");
        assert_eq!(again, message);
    }
    if let Ok(message) = AgentMessage::parse(text) {
        let json = message.to_json();
        let again = AgentMessage::parse(&json).expect("our own agent JSON parses");
        assert_eq!(again, message);
    }
    let _ = ClientMessage::parse(text);
    let _ = twiml::parse_connect(text);
});
