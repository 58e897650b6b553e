//! The rules on an agent's fields as the API spells them, and the plan's rules on agents:
//! pure functions, each failure a `ManageError` naming the JSON field.

use crate::store::{FallbackMode, is_e164};

use super::ManageError;

pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_GREETING_CHARS: usize = 500;
pub const MAX_BUSINESS_CONTEXT_CHARS: usize = 5_000;
pub const MAX_ID_CHARS: usize = 128;

/// A display name: 1 to 100 characters, not only spaces; kept trimmed.
pub fn name(value: &str) -> Result<String, ManageError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(ManageError::invalid("name", "must not be empty"));
    }
    at_most("name", trimmed, MAX_NAME_CHARS)?;
    Ok(trimmed.to_owned())
}

/// Free text of at most `max` characters that says something (an empty text is refused: leave
/// the field out, or send null to remove it).
pub fn text(field: &str, value: &str, max: usize) -> Result<String, ManageError> {
    if value.trim().is_empty() {
        return Err(ManageError::invalid(
            field,
            "must not be empty (send null to remove it)",
        ));
    }
    at_most(field, value, max)?;
    Ok(value.to_owned())
}

fn at_most(field: &str, value: &str, max: usize) -> Result<(), ManageError> {
    let chars = value.chars().count();
    if chars > max {
        return Err(ManageError::invalid(
            field,
            format!("{chars} characters are more than the {max} allowed"),
        ));
    }
    Ok(())
}

/// An identifier of the voice platform (an ElevenLabs agent or voice id): 1 to 128 letters,
/// digits, `_` or `-`.
pub fn platform_id(field: &str, value: &str) -> Result<String, ManageError> {
    let well_formed = !value.is_empty()
        && value.chars().count() <= MAX_ID_CHARS
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !well_formed {
        return Err(ManageError::invalid(
            field,
            format!("{value:?} is not an id of 1 to {MAX_ID_CHARS} letters, digits, '_' or '-'"),
        ));
    }
    Ok(value.to_owned())
}

/// A phone number in E.164 (`+14155550123`).
pub fn phone_number(field: &str, value: &str) -> Result<String, ManageError> {
    if !is_e164(value) {
        return Err(ManageError::invalid(
            field,
            format!("{value:?} is not an E.164 number like +14155550123"),
        ));
    }
    Ok(value.to_owned())
}

/// An IANA time zone name (`Europe/Berlin`, `UTC`).
pub fn timezone(value: &str) -> Result<String, ManageError> {
    crate::timezone::zone(value).map_err(|refused| ManageError::invalid("timezone", refused.to_string()))?;
    Ok(value.to_owned())
}

/// A language tag: a 2- or 3-letter language, optionally a region (`pt-BR`, `es-419`) or a
/// script (`zh-Hans`); returned in its usual case (`pt-br` becomes `pt-BR`).
pub fn language(value: &str) -> Result<String, ManageError> {
    let refuse = || {
        ManageError::invalid(
            "language",
            format!("{value:?} is not a language tag like \"en\", \"de\" or \"pt-BR\""),
        )
    };
    let (primary, subtag) = match value.split_once('-') {
        Some((primary, subtag)) => (primary, Some(subtag)),
        None => (value, None),
    };
    if !(2..=3).contains(&primary.len()) || !primary.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(refuse());
    }
    let mut tag = primary.to_ascii_lowercase();
    if let Some(subtag) = subtag {
        let letters = subtag.bytes().all(|b| b.is_ascii_alphabetic());
        let digits = subtag.bytes().all(|b| b.is_ascii_digit());
        let normalized = match subtag.len() {
            2 if letters => subtag.to_ascii_uppercase(),
            3 if digits => subtag.to_owned(),
            4 if letters => subtag[..1].to_ascii_uppercase() + &subtag[1..].to_ascii_lowercase(),
            _ => return Err(refuse()),
        };
        tag.push('-');
        tag.push_str(&normalized);
    }
    Ok(tag)
}

/// `message`, `voicemail` or `dial`.
pub fn fallback_mode(value: &str) -> Result<FallbackMode, ManageError> {
    match value {
        "message" => Ok(FallbackMode::Message),
        "voicemail" => Ok(FallbackMode::Voicemail),
        "dial" => Ok(FallbackMode::Dial),
        other => Err(ManageError::invalid(
            "fallback.mode",
            format!("{other:?} is not one of \"message\", \"voicemail\", \"dial\""),
        )),
    }
}

/// The word the API uses for a fallback mode.
pub fn fallback_mode_word(mode: FallbackMode) -> &'static str {
    match mode {
        FallbackMode::Message => "message",
        FallbackMode::Voicemail => "voicemail",
        FallbackMode::Dial => "dial",
    }
}

/// A dialled fallback needs the number to dial.
pub fn fallback(mode: FallbackMode, number: Option<&str>) -> Result<(), ManageError> {
    if mode == FallbackMode::Dial && number.is_none() {
        return Err(ManageError::invalid(
            "fallback.number",
            "required when the fallback mode is \"dial\"",
        ));
    }
    Ok(())
}

/// What the account's plan allows of agents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentAllowance {
    /// The plan's name, as the account shows it (`free`, `pro`, `business`).
    pub plan: String,
    pub max_agents: u32,
    /// Whether agents may have phone numbers.
    pub phone_numbers: bool,
}

/// Another agent fits the plan when the account has fewer than its maximum.
pub fn may_add_agent(allowance: &AgentAllowance, agents_now: u32) -> Result<(), ManageError> {
    if agents_now < allowance.max_agents {
        Ok(())
    } else {
        Err(agent_limit_reached(allowance))
    }
}

/// The refusal of an agent beyond the plan's maximum.
pub fn agent_limit_reached(allowance: &AgentAllowance) -> ManageError {
    let agents = if allowance.max_agents == 1 {
        "agent"
    } else {
        "agents"
    };
    ManageError::PlanLimit {
        message: format!(
            "Your plan ({}) allows {} {agents}; delete an agent or upgrade your plan to add another.",
            allowance.plan, allowance.max_agents
        ),
    }
}

/// A phone number fits the plan when the plan includes numbers.
pub fn may_have_phone_number(allowance: &AgentAllowance) -> Result<(), ManageError> {
    if allowance.phone_numbers {
        Ok(())
    } else {
        Err(ManageError::PlanLimit {
            message: format!(
                "Your plan ({}) does not include phone numbers; upgrade your plan to give an agent a \
                 number, or leave phone_number out for an agent reached from the web.",
                allowance.plan
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(name: &str, max_agents: u32, phone_numbers: bool) -> AgentAllowance {
        AgentAllowance {
            plan: name.into(),
            max_agents,
            phone_numbers,
        }
    }

    fn field(result: Result<impl std::fmt::Debug, ManageError>) -> String {
        match result {
            Err(ManageError::Invalid { field, .. }) => field,
            other => panic!("not refused as invalid: {other:?}"),
        }
    }

    #[test]
    fn the_plan_caps_agents_and_numbers_with_a_clear_message() {
        let free = plan("free", 1, false);
        assert!(may_add_agent(&free, 0).is_ok());
        let refused = may_add_agent(&free, 1).unwrap_err();
        assert!(matches!(refused, ManageError::PlanLimit { .. }));
        assert!(
            refused
                .to_string()
                .starts_with("Your plan (free) allows 1 agent;"),
            "{refused}"
        );
        let pro = plan("pro", 2, true);
        assert!(may_add_agent(&pro, 1).is_ok());
        assert!(
            may_add_agent(&pro, 2)
                .unwrap_err()
                .to_string()
                .starts_with("Your plan (pro) allows 2 agents;")
        );
        assert!(
            may_add_agent(&pro, 7).is_err(),
            "a downgraded account over its limit"
        );
        assert!(may_have_phone_number(&pro).is_ok());
        let no_numbers = may_have_phone_number(&free).unwrap_err();
        assert!(matches!(no_numbers, ManageError::PlanLimit { .. }));
        assert!(
            no_numbers
                .to_string()
                .contains("(free) does not include phone numbers")
        );
    }

    #[test]
    fn limits_count_characters_and_name_the_field() {
        assert_eq!(name("  Ava  ").unwrap(), "Ava");
        assert_eq!(field(name("   ")), "name");
        assert_eq!(
            name(&"é".repeat(MAX_NAME_CHARS)).unwrap().chars().count(),
            MAX_NAME_CHARS
        );
        assert_eq!(field(name(&"a".repeat(MAX_NAME_CHARS + 1))), "name");
        assert!(text("greeting", &"ü".repeat(MAX_GREETING_CHARS), MAX_GREETING_CHARS).is_ok());
        assert_eq!(
            field(text(
                "greeting",
                &"a".repeat(MAX_GREETING_CHARS + 1),
                MAX_GREETING_CHARS
            )),
            "greeting"
        );
        assert_eq!(field(text("business_context", " ", 10)), "business_context");
    }

    #[test]
    fn language_tags_are_checked_and_put_in_their_usual_case() {
        for (given, kept) in [
            ("en", "en"),
            ("de", "de"),
            ("pt-BR", "pt-BR"),
            ("pt-br", "pt-BR"),
            ("EN", "en"),
            ("es-419", "es-419"),
            ("zh-hans", "zh-Hans"),
            ("fil", "fil"),
        ] {
            assert_eq!(language(given).unwrap(), kept, "{given}");
        }
        for bad in [
            "", "e", "english", "pt_BR", "pt-", "pt-B", "pt-BRA1", "en-US-x", "1a",
        ] {
            assert_eq!(field(language(bad)), "language", "{bad:?}");
        }
    }

    #[test]
    fn ids_numbers_zones_and_fallbacks() {
        assert!(platform_id("voice_id", "21m00Tcm4TlvDq8ikWAM").is_ok());
        assert_eq!(field(platform_id("voice_id", "a b")), "voice_id");
        assert_eq!(field(platform_id("voice_id", "")), "voice_id");
        assert_eq!(field(phone_number("phone_number", "555-0100")), "phone_number");
        assert_eq!(field(timezone("EST")), "timezone");
        assert_eq!(field(fallback_mode("hangup")), "fallback.mode");
        assert_eq!(field(fallback(FallbackMode::Dial, None)), "fallback.number");
        assert!(fallback(FallbackMode::Dial, Some("+14155550123")).is_ok());
        for mode in [FallbackMode::Message, FallbackMode::Voicemail, FallbackMode::Dial] {
            assert_eq!(fallback_mode(fallback_mode_word(mode)).unwrap(), mode);
        }
    }
}
