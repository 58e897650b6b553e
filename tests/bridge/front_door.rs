//! The HTTP front door over real sockets: the connection caps (in all and per address; a
//! media stream keeps its place for the call), the header and idle timeouts, a media stream that outlives every timeout, and a drain that
//! ends by its deadline whatever the connected clients do.

use std::net::SocketAddr;
use std::time::Duration;

use futures::SinkExt;
use jiff::Timestamp;
use switchboard::audio::AudioFormat;
use switchboard::call::EndReason;
use switchboard::config::HttpConfig;
use switchboard::sim::caller::stream::{self, CallerMessages};
use switchboard::sim::caller::{CallerConfig, place_call};
use switchboard::telephony::{Answer, ConnectionRefusal, InboundCall};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::support::{DEAD_UPSTREAM, PATIENCE, TestBridge, echo_agent, until_an_agent_speaks};

/// A bridge whose listener has the limits `adjust` sets.
async fn bridge_with(upstream: &str, adjust: impl FnOnce(&mut HttpConfig)) -> TestBridge {
    TestBridge::start_with(upstream, |config| adjust(&mut config.http)).await
}

fn addr(bridge: &TestBridge) -> SocketAddr {
    bridge.server.local_addr
}

/// `GET /healthz` on an open connection, kept alive: true if it answered `ok`, false if the
/// server closed the connection instead.
async fn healthz_on(client: &mut TcpStream) -> bool {
    if client
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: bridge\r\n\r\n")
        .await
        .is_err()
    {
        return false;
    }
    let mut response = Vec::new();
    let mut buf = [0u8; 1024];
    let answered = async {
        loop {
            match client.read(&mut buf).await {
                Ok(0) | Err(_) => return false,
                Ok(n) => response.extend_from_slice(&buf[..n]),
            }
            if response.ends_with(b"\r\n\r\nok") {
                return true;
            }
        }
    };
    tokio::time::timeout(PATIENCE, answered)
        .await
        .expect("the server answered or closed the connection")
}

/// Waits for the server to close `client`'s connection (end of stream or a reset); false if
/// it has not within the test's patience.
async fn closed_by_server(client: &mut TcpStream) -> bool {
    let mut buf = [0u8; 1024];
    let closed = async {
        loop {
            match client.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(PATIENCE, closed).await.is_ok()
}

/// A connection from the loopback address `ip`.
async fn connect_from(ip: [u8; 4], to: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::from((ip, 0))).unwrap();
    socket.connect(to).await.unwrap()
}

#[tokio::test]
async fn idle_clients_fill_the_cap_the_next_ones_are_closed_and_counted_and_healthz_answers_once_one_leaves()
{
    let bridge = bridge_with(DEAD_UPSTREAM, |http| {
        http.max_connections = 4;
        http.max_connections_per_address = 0;
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..4 {
        let mut client = TcpStream::connect(addr(&bridge)).await.unwrap();
        assert!(healthz_on(&mut client).await, "a client under the cap is served");
        held.push(client);
    }
    for _ in 0..20 {
        let mut extra = TcpStream::connect(addr(&bridge)).await.unwrap();
        assert!(
            closed_by_server(&mut extra).await,
            "a client over the cap is closed at once"
        );
    }
    let metrics = &bridge.server.app.metrics;
    assert_eq!(metrics.http_refused_count(ConnectionRefusal::MaxConnections), 20);
    assert!(
        metrics
            .render(0)
            .contains("switchboard_http_connections_refused_total{limit=\"max_connections\"} 20\n")
    );
    assert!(
        healthz_on(&mut held[0]).await,
        "the clients held are still served"
    );

    drop(held.pop());
    // Once the server has seen that client go, a new one is served.
    let served = async {
        loop {
            let mut client = TcpStream::connect(addr(&bridge)).await.unwrap();
            if healthz_on(&mut client).await {
                return;
            }
        }
    };
    tokio::time::timeout(PATIENCE, served)
        .await
        .expect("healthz answered a new client once the cap freed");
}

#[tokio::test]
async fn a_media_stream_keeps_its_place_under_the_cap_and_goes_on_while_extra_clients_are_refused() {
    let agent = echo_agent(AudioFormat::Ulaw8000).await;
    let bridge = bridge_with(&agent, |http| {
        http.max_connections = 3;
        http.max_connections_per_address = 0;
    })
    .await;
    let mut live = bridge.server.app.live.subscribe();
    // Answered without HTTP, so that the stream is the only connection the call holds.
    let call = InboundCall::from_fields(Some("CAcapped"), Some("+15005550006"), Some(bridge.number()));
    let Answer::Connect(connect) = bridge.server.app.reception.answer(call, Timestamp::now()).await else {
        panic!("the call is connected");
    };
    let stream_url = format!("ws://{}/twilio/stream", addr(&bridge));
    let mut twilio = stream::open(&bridge.hooks, &stream_url, None).await.unwrap();
    let mut messages = CallerMessages::new("MZcapped");
    twilio.send(CallerMessages::connected().into()).await.unwrap();
    let parameters = [
        ("token".to_owned(), connect.token),
        ("from".to_owned(), connect.from),
        ("to".to_owned(), connect.to),
    ];
    let start = messages.start("AC1", "CAcapped", &parameters);
    twilio.send(start.into()).await.unwrap();
    until_an_agent_speaks(&mut live).await;

    // The stream holds one of the three places: two more clients are served, the next is not.
    let mut first = TcpStream::connect(addr(&bridge)).await.unwrap();
    let mut second = TcpStream::connect(addr(&bridge)).await.unwrap();
    assert!(healthz_on(&mut first).await);
    assert!(healthz_on(&mut second).await);
    let mut extra = TcpStream::connect(addr(&bridge)).await.unwrap();
    assert!(closed_by_server(&mut extra).await, "over the cap");

    // The call goes on, and ends as the caller ends it.
    twilio.send(messages.media(0, &[0xff; 160]).into()).await.unwrap();
    twilio
        .send(messages.stop("AC1", "CAcapped").into())
        .await
        .unwrap();
    tokio::time::timeout(PATIENCE, bridge.server.app.calls.finished())
        .await
        .expect("the call's driver finished");
    assert_eq!(
        bridge.server.app.recorder.outcome("CAcapped"),
        Some(EndReason::CallerHungUp)
    );
}

#[tokio::test]
async fn one_address_cannot_hold_more_than_its_share() {
    let bridge = bridge_with(DEAD_UPSTREAM, |http| {
        http.max_connections = 100;
        http.max_connections_per_address = 2;
    })
    .await;
    let mut first = connect_from([127, 0, 0, 1], addr(&bridge)).await;
    let mut second = connect_from([127, 0, 0, 1], addr(&bridge)).await;
    assert!(healthz_on(&mut first).await);
    assert!(healthz_on(&mut second).await);
    let mut third = connect_from([127, 0, 0, 1], addr(&bridge)).await;
    assert!(
        closed_by_server(&mut third).await,
        "a third from the same address is closed"
    );
    let mut elsewhere = connect_from([127, 0, 0, 2], addr(&bridge)).await;
    assert!(healthz_on(&mut elsewhere).await, "another address is served");
    assert_eq!(
        bridge
            .server
            .app
            .metrics
            .http_refused_count(ConnectionRefusal::MaxConnectionsPerAddress),
        1
    );
}

#[tokio::test]
async fn a_client_that_stops_halfway_through_its_headers_is_dropped_after_the_header_timeout() {
    let bridge = bridge_with(DEAD_UPSTREAM, |http| {
        http.header_read_timeout_secs = 1;
        http.idle_timeout_secs = 600;
        http.request_timeout_secs = 600;
    })
    .await;
    // A keep-alive client, idle from before the slow one starts until after it is dropped.
    let mut idle = TcpStream::connect(addr(&bridge)).await.unwrap();
    assert!(healthz_on(&mut idle).await);

    let mut slow = TcpStream::connect(addr(&bridge)).await.unwrap();
    slow.write_all(b"POST /twilio/voice HTTP/1.1\r\nhost: bridge\r\ncontent-ty")
        .await
        .unwrap();
    assert!(
        closed_by_server(&mut slow).await,
        "the half-sent headers were given up on"
    );
    // Idle for longer than the header timeout, but the header timeout is not an idle one.
    assert!(healthz_on(&mut idle).await, "the idle client is still served");
}

#[tokio::test]
async fn a_connection_with_nothing_to_do_is_closed_after_the_idle_timeout() {
    let bridge = bridge_with(DEAD_UPSTREAM, |http| {
        http.header_read_timeout_secs = 600;
        http.idle_timeout_secs = 1;
    })
    .await;
    let mut kept_alive = TcpStream::connect(addr(&bridge)).await.unwrap();
    assert!(healthz_on(&mut kept_alive).await);
    let mut silent = TcpStream::connect(addr(&bridge)).await.unwrap();
    assert!(
        closed_by_server(&mut kept_alive).await,
        "an idle keep-alive connection is closed"
    );
    assert!(
        closed_by_server(&mut silent).await,
        "a connection that never sent a request is closed"
    );
}

#[tokio::test]
async fn a_media_stream_outlives_the_header_idle_and_request_timeouts() {
    let agent = echo_agent(AudioFormat::Ulaw8000).await;
    let bridge = bridge_with(&agent, |http| {
        http.header_read_timeout_secs = 1;
        http.idle_timeout_secs = 2;
        http.request_timeout_secs = 2;
    })
    .await;
    let mut config = CallerConfig::new(bridge.url("/twilio/voice"), &bridge.auth_token, bridge.number());
    config.agent_speaks_first = false;
    // Several times every timeout: a stream they applied to would be cut.
    config.max_duration = Duration::from_secs(6);
    let report = tokio::time::timeout(PATIENCE * 2, place_call(&config, None))
        .await
        .expect("the call ended")
        .unwrap();
    assert!(
        !report.ended_by_bridge,
        "the caller hung up, the stream was not cut"
    );
    assert!(report.heard > Duration::ZERO, "the agent was heard: {report:?}");
    // The call's driver has finished: how it ended is known (the record is written later, by
    // a worker).
    tokio::time::timeout(PATIENCE, bridge.server.app.calls.finished())
        .await
        .expect("the call's driver finished");
    assert_eq!(
        bridge.server.app.recorder.outcome(&report.call_sid),
        Some(EndReason::CallerHungUp)
    );
}

#[tokio::test]
async fn a_drain_ends_by_its_deadline_whatever_the_connected_clients_do() {
    let bridge = bridge_with(DEAD_UPSTREAM, |http| {
        // No timeout of the listener's own comes to the rescue within the test.
        http.header_read_timeout_secs = 3600;
        http.idle_timeout_secs = 3600;
        http.request_timeout_secs = 3600;
    })
    .await;
    let mut idle = TcpStream::connect(addr(&bridge)).await.unwrap();
    assert!(healthz_on(&mut idle).await);
    let mut half_headers = TcpStream::connect(addr(&bridge)).await.unwrap();
    half_headers
        .write_all(b"POST /twilio/voice HTTP/1.1\r\nhost: bridge\r\n")
        .await
        .unwrap();
    // Headers in full, then a tenth of the body it announced.
    let mut half_body = TcpStream::connect(addr(&bridge)).await.unwrap();
    half_body
        .write_all(
            b"POST /twilio/voice HTTP/1.1\r\nhost: bridge\r\ncontent-type: application/x-www-form-urlencoded\r\n\
              content-length: 100\r\n\r\nCallSid=CA",
        )
        .await
        .unwrap();

    let TestBridge { server, .. } = bridge;
    tokio::time::timeout(PATIENCE, server.shutdown(Duration::from_millis(50)))
        .await
        .expect("the drain ended")
        .unwrap();
    for (name, client) in [
        ("idle", &mut idle),
        ("half headers", &mut half_headers),
        ("half body", &mut half_body),
    ] {
        assert!(closed_by_server(client).await, "{name} was closed");
    }
}
