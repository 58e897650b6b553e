//! Ids in ElevenLabs' style: a prefix and 28 lowercase base-32 characters, the first four of
//! them digits and the fifth a `k`, as in the API's own example `agent_3701k3ttaq12ewp8b7qv5rfyszkz`.

use rand::Rng;

/// Crockford's base 32 in lowercase: no `i`, `l`, `o` or `u`.
const ALPHABET: &[u8] = b"0123456789abcdefghjkmnpqrstvwxyz";

pub fn agent_id() -> String {
    make("agent_")
}

pub fn tool_id() -> String {
    make("tool_")
}

/// A workspace webhook's id: 32 lowercase hex digits.
pub fn webhook_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// A webhook's HMAC secret: `wsec_` and 64 hex digits (256 random bits).
pub fn webhook_secret() -> String {
    let mut rng = rand::rng();
    let mut secret = String::from("wsec_");
    for _ in 0..32 {
        secret.push_str(&format!("{:02x}", rng.random::<u8>()));
    }
    secret
}

fn make(prefix: &str) -> String {
    let mut rng = rand::rng();
    let mut id = String::with_capacity(prefix.len() + 28);
    id.push_str(prefix);
    for _ in 0..4 {
        id.push(char::from(b'0' + rng.random_range(0..10)));
    }
    id.push('k');
    for _ in 0..23 {
        id.push(char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]));
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_the_shape_of_the_api_example() {
        let id = agent_id();
        let tail = id.strip_prefix("agent_").expect(&id);
        assert_eq!(tail.len(), 28, "{id}");
        assert!(tail[..4].bytes().all(|b| b.is_ascii_digit()), "{id}");
        assert_eq!(&tail[4..5], "k", "{id}");
        assert!(tail.bytes().all(|b| ALPHABET.contains(&b)), "{id}");
        assert!(tool_id().starts_with("tool_"));
        assert_ne!(agent_id(), agent_id());
    }
}
