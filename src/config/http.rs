//! `[http]`: what clients may hold of the HTTP listener.

use std::time::Duration;

use serde::Deserialize;

use super::ConfigError;

/// The HTTP listener's limits: what one client, or many, may hold of the server. A media
/// stream, once upgraded to a WebSocket, is a call and none of the timeouts apply to it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// Open connections (media streams included) beyond which new ones are closed at once;
    /// 0 for half the process's file-descriptor limit (each call also holds an agent socket).
    pub max_connections: usize,
    /// Open connections one client address may hold; 0 (the default) for no limit. Behind
    /// the reverse proxy that terminates TLS every connection comes from the proxy's address,
    /// so a limit there would cap the calls; set it when clients connect directly.
    pub max_connections_per_address: usize,
    /// How long a client may take to send a request's headers once it started.
    pub header_read_timeout_secs: u64,
    /// How long a connection may wait with no request before it is closed.
    pub idle_timeout_secs: u64,
    /// Longest a request may take, its body included, before it is answered 408.
    pub request_timeout_secs: u64,
    /// Reverse proxies (addresses or CIDR networks, e.g. `172.16.0.0/12`) whose
    /// `X-Forwarded-For` names the client, for the REST API's limit on failed keys per client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            max_connections: 0,
            max_connections_per_address: 0,
            header_read_timeout_secs: 10,
            idle_timeout_secs: 60,
            request_timeout_secs: 30,
            trusted_proxies: Vec::new(),
        }
    }
}

impl HttpConfig {
    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_secs(self.header_read_timeout_secs.max(1))
    }

    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.idle_timeout_secs.max(1))
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs.max(1))
    }

    /// The settings' environment variables over `self` (the file's values).
    pub(super) fn with_env(
        mut self,
        env: &impl Fn(&str) -> Option<String>,
    ) -> Result<HttpConfig, ConfigError> {
        fn number<T: std::str::FromStr>(
            name: &'static str,
            env: &impl Fn(&str) -> Option<String>,
            into: &mut T,
        ) -> Result<(), ConfigError>
        where
            T::Err: std::fmt::Display,
        {
            if let Some(value) = env(name).filter(|v| !v.is_empty()) {
                *into = value.trim().parse().map_err(|e: T::Err| ConfigError::Invalid {
                    name,
                    value,
                    why: e.to_string(),
                })?;
            }
            Ok(())
        }
        number("SWITCHBOARD_HTTP_MAX_CONNECTIONS", env, &mut self.max_connections)?;
        number(
            "SWITCHBOARD_HTTP_MAX_CONNECTIONS_PER_ADDRESS",
            env,
            &mut self.max_connections_per_address,
        )?;
        number(
            "SWITCHBOARD_HTTP_HEADER_READ_TIMEOUT_SECS",
            env,
            &mut self.header_read_timeout_secs,
        )?;
        number(
            "SWITCHBOARD_HTTP_IDLE_TIMEOUT_SECS",
            env,
            &mut self.idle_timeout_secs,
        )?;
        number(
            "SWITCHBOARD_HTTP_REQUEST_TIMEOUT_SECS",
            env,
            &mut self.request_timeout_secs,
        )?;
        if let Some(value) = env("SWITCHBOARD_HTTP_TRUSTED_PROXIES").filter(|v| !v.trim().is_empty()) {
            self.trusted_proxies = value
                .split(',')
                .map(|net| parse_net(net.trim()))
                .collect::<Result<_, _>>()
                .map_err(|why| ConfigError::Invalid {
                    name: "SWITCHBOARD_HTTP_TRUSTED_PROXIES",
                    value: value.clone(),
                    why,
                })?;
        }
        Ok(self)
    }
}

/// A network, or one address as the network of just itself.
fn parse_net(text: &str) -> Result<ipnet::IpNet, String> {
    text.parse::<ipnet::IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("{text:?} is not an address or a network like 172.16.0.0/12"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trusted_proxies_are_read_as_addresses_or_networks_and_a_bad_one_is_named() {
        let env = |value: &'static str| {
            move |name: &str| (name == "SWITCHBOARD_HTTP_TRUSTED_PROXIES").then(|| value.to_owned())
        };
        let read = HttpConfig::default()
            .with_env(&env("172.16.0.0/12, 10.0.0.7"))
            .unwrap();
        let expected: Vec<ipnet::IpNet> =
            vec!["172.16.0.0/12".parse().unwrap(), "10.0.0.7/32".parse().unwrap()];
        assert_eq!(read.trusted_proxies, expected);
        let refused = HttpConfig::default()
            .with_env(&env("10.0.0.0/8, proxy"))
            .unwrap_err();
        assert!(
            refused.to_string().contains("SWITCHBOARD_HTTP_TRUSTED_PROXIES"),
            "{refused}"
        );
        assert!(refused.to_string().contains("proxy"), "{refused}");
    }
}
