//! A request's parameters as Twilio reads them: the form body of a POST (or the query of a
//! GET), names in PascalCase, a name allowed more than once (`StatusCallbackEvent=initiated&
//! StatusCallbackEvent=completed`).

use serde::Serialize;

use super::errors::TwilioError;

/// The name-value pairs in the order sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// Reads `a=1&b=2` (form or query encoding).
    pub fn parse(encoded: &[u8]) -> Self {
        Params(form_urlencoded::parse(encoded).into_owned().collect())
    }

    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        Params(pairs.into_iter().collect())
    }

    pub fn extend(&mut self, other: Params) {
        self.0.extend(other.0);
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The first value of `name`, `None` when missing or empty.
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|value| !value.trim().is_empty())
    }

    /// Every value of `name`, in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    /// `true`/`false` in any case, as Twilio's boolean parameters take them.
    pub fn bool(&self, name: &str) -> Result<Option<bool>, TwilioError> {
        match self.non_empty(name) {
            None => Ok(None),
            Some(value) if value.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(value) if value.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(value) => Err(TwilioError::invalid_parameter(name, value)),
        }
    }

    /// A whole number within `range`.
    pub fn number(
        &self,
        name: &str,
        range: std::ops::RangeInclusive<u64>,
    ) -> Result<Option<u64>, TwilioError> {
        match self.non_empty(name) {
            None => Ok(None),
            Some(value) => value
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|n| range.contains(n))
                .map(Some)
                .ok_or_else(|| TwilioError::invalid_parameter(name, value)),
        }
    }

    /// `GET` or `POST` (any case), as a `…Method` parameter takes.
    pub fn method(&self, name: &str) -> Result<Option<&'static str>, TwilioError> {
        match self.non_empty(name) {
            None => Ok(None),
            Some(value) if value.eq_ignore_ascii_case("POST") => Ok(Some("POST")),
            Some(value) if value.eq_ignore_ascii_case("GET") => Ok(Some("GET")),
            Some(value) => Err(TwilioError::invalid_parameter(name, value)),
        }
    }

    /// An http(s) URL, or the empty string (which clears a number's URL).
    pub fn url(&self, name: &str) -> Result<Option<String>, TwilioError> {
        match self.get(name) {
            None => Ok(None),
            Some("") => Ok(Some(String::new())),
            Some(value) => match url::Url::parse(value) {
                Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some() => {
                    Ok(Some(value.to_owned()))
                }
                _ => Err(TwilioError::invalid_url(name, value)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_names_keep_every_value_in_order() {
        let params =
            Params::parse(b"To=%2B14155550123&StatusCallbackEvent=initiated&StatusCallbackEvent=completed");
        assert_eq!(params.get("To"), Some("+14155550123"));
        assert_eq!(
            params.all("StatusCallbackEvent").collect::<Vec<_>>(),
            ["initiated", "completed"]
        );
    }

    #[test]
    fn typed_values_are_checked_and_name_the_parameter() {
        let params = Params::parse(b"SmsEnabled=True&VoiceMethod=get&Timeout=700&VoiceUrl=ftp://x&SmsUrl=");
        assert_eq!(params.bool("SmsEnabled").unwrap(), Some(true));
        assert_eq!(params.method("VoiceMethod").unwrap(), Some("GET"));
        assert_eq!(params.number("Timeout", 1..=600).unwrap_err().code, 21218);
        assert!(params.url("VoiceUrl").unwrap_err().message.contains("VoiceUrl"));
        assert_eq!(params.url("SmsUrl").unwrap(), Some(String::new()));
        assert_eq!(params.url("StatusCallback").unwrap(), None);
    }
}
