//! The client's address, as the failed-key limiter counts it. Behind the reverse proxy that
//! terminates TLS every connection comes from the proxy, so one client with a bad key would
//! hold every client back; for a peer in `[http] trusted_proxies`, the address is read from
//! `X-Forwarded-For` instead: the right-most entry that is not itself a trusted proxy (the
//! entries to its left are the client's own word, and could be forged).

use std::net::IpAddr;

use ipnet::IpNet;

/// The address a request came from: `peer` unless it is a trusted proxy.
pub fn client_address(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |address: &IpAddr| trusted.iter().any(|net| net.contains(address));
    if !is_trusted(&peer) {
        return peer;
    }
    let Some(forwarded_for) = forwarded_for else {
        return peer;
    };
    forwarded_for
        .rsplit(',')
        .map(|entry| entry.trim().parse::<IpAddr>())
        .map_while(Result::ok)
        .find(|address| !is_trusted(address))
        .unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|net| net.parse().unwrap()).collect()
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let trusted = nets(&["172.16.0.0/12"]);
        assert_eq!(
            client_address(ip("203.0.113.9"), Some("198.51.100.1"), &trusted),
            ip("203.0.113.9")
        );
        assert_eq!(client_address(ip("203.0.113.9"), None, &[]), ip("203.0.113.9"));
    }

    #[test]
    fn behind_a_trusted_proxy_the_right_most_untrusted_entry_is_the_client() {
        let trusted = nets(&["172.16.0.0/12", "10.0.0.1/32"]);
        let proxy = ip("172.18.0.2");
        assert_eq!(
            client_address(proxy, Some("198.51.100.7"), &trusted),
            ip("198.51.100.7")
        );
        // The client wrote a forged entry first; the proxy appended what it saw.
        assert_eq!(
            client_address(proxy, Some("1.2.3.4, 198.51.100.7, 10.0.0.1"), &trusted),
            ip("198.51.100.7")
        );
        assert_eq!(
            client_address(proxy, Some("2001:db8::5"), &trusted),
            ip("2001:db8::5")
        );
    }

    #[test]
    fn a_missing_or_unreadable_header_leaves_the_proxy() {
        let trusted = nets(&["172.16.0.0/12"]);
        let proxy = ip("172.18.0.2");
        assert_eq!(client_address(proxy, None, &trusted), proxy);
        assert_eq!(client_address(proxy, Some("garbage"), &trusted), proxy);
        assert_eq!(client_address(proxy, Some("172.18.0.9"), &trusted), proxy);
    }
}
