//! The values Twilio's callbacks carry that the reception keeps: a recording's URL and a
//! length in seconds, checked before anything is written. A signed request can still carry a
//! value we would not want stored (a replayed or crafted one); it gets a clear error.

use std::time::Duration;

/// The longest call Twilio reports (a day); a longer `CallDuration` is not real.
pub const MAX_CALL_SECS: u64 = 24 * 60 * 60;
/// The longest recording `<Record>` makes (its `maxLength` upper bound).
pub const MAX_RECORDING_SECS: u64 = 4 * 60 * 60;

/// A callback field that is missing or not what Twilio sends.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadField {
    #[error("{0} is missing")]
    Missing(&'static str),
    #[error("{name} must be an https URL on {host}, not {value:?}")]
    NotTwilioUrl {
        name: &'static str,
        host: String,
        value: String,
    },
    #[error("{name} must be a whole number of seconds from 0 to {max}, not {value:?}")]
    NotSeconds {
        name: &'static str,
        max: u64,
        value: String,
    },
    #[error("{name} must be one of {expected}, not {value:?}")]
    NotOneOf {
        name: &'static str,
        expected: &'static str,
        value: String,
    },
}

/// `value` as a URL on Twilio's API host `host`, over https, with no credentials in it.
pub fn twilio_url(name: &'static str, value: Option<&str>, host: &str) -> Result<url::Url, BadField> {
    let value = value.filter(|v| !v.is_empty()).ok_or(BadField::Missing(name))?;
    let refused = || BadField::NotTwilioUrl {
        name,
        host: host.to_owned(),
        value: shortened(value),
    };
    let url = url::Url::parse(value).map_err(|_| refused())?;
    let on_host = url.scheme() == "https"
        && url.host_str().is_some_and(|h| h.eq_ignore_ascii_case(host))
        && url.port().is_none()
        && url.username().is_empty()
        && url.password().is_none();
    if !on_host {
        return Err(refused());
    }
    Ok(url)
}

/// `value` as a whole number of seconds from 0 to `max` (digits only: no sign, no fraction).
pub fn seconds(name: &'static str, value: Option<&str>, max: u64) -> Result<Duration, BadField> {
    let value = value.ok_or(BadField::Missing(name))?;
    let refused = || BadField::NotSeconds {
        name,
        max,
        value: shortened(value),
    };
    if value.is_empty() || value.len() > 20 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(refused());
    }
    let secs: u64 = value.parse().map_err(|_| refused())?;
    if secs > max {
        return Err(refused());
    }
    Ok(Duration::from_secs(secs))
}

/// A refused value as the error quotes it: at most 100 characters.
pub(super) fn shortened(value: &str) -> String {
    value.chars().take(100).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: &str = "api.twilio.com";

    #[test]
    fn a_recording_on_twilios_api_host_is_taken() {
        let url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1";
        assert_eq!(twilio_url("RecordingUrl", Some(url), HOST).unwrap().as_str(), url);
    }

    #[test]
    fn any_other_recording_url_is_refused() {
        for bad in [
            "http://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1",
            "https://evil.example/RE1",
            "https://api.twilio.com.evil.example/RE1",
            "https://user:pw@api.twilio.com/RE1",
            "https://api.twilio.com:8443/RE1",
            "javascript:alert(1)",
            "not a url",
        ] {
            let refused = twilio_url("RecordingUrl", Some(bad), HOST).unwrap_err();
            assert!(
                matches!(refused, BadField::NotTwilioUrl { .. }),
                "{bad}: {refused:?}"
            );
            assert!(refused.to_string().contains("https URL on api.twilio.com"));
        }
        assert_eq!(
            twilio_url("RecordingUrl", None, HOST),
            Err(BadField::Missing("RecordingUrl"))
        );
    }

    #[test]
    fn seconds_are_whole_non_negative_and_bounded() {
        assert_eq!(seconds("CallDuration", Some("0"), 10), Ok(Duration::ZERO));
        assert_eq!(
            seconds("CallDuration", Some("10"), 10),
            Ok(Duration::from_secs(10))
        );
        for bad in ["-1", "11", "1.5", "", " 3", "+3", "99999999999999999999999"] {
            let refused = seconds("CallDuration", Some(bad), 10).unwrap_err();
            assert!(
                matches!(refused, BadField::NotSeconds { .. }),
                "{bad}: {refused:?}"
            );
        }
        assert_eq!(
            seconds("CallDuration", None, 10),
            Err(BadField::Missing("CallDuration"))
        );
    }
}
