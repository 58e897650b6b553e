//! Media streams: a caller's socket, once accepted, is run here to the call's end. The session
//! is set up for the caller's leg, the agent attached when the stream starts, and the call
//! counted among the calls the server drains, hanging up when their time is up.

use std::time::Instant;

use tracing::Instrument;

use crate::call::driver::{self, DriverDeps};
use crate::call::{Session, Socket};
use crate::shutdown::Shutdown;

use super::attach::{Attacher, StreamAttach};

/// Runs the calls' media streams.
pub struct Streams {
    pub driver: DriverDeps,
    pub attacher: Attacher,
    /// The calls in flight, drained on shutdown.
    pub calls: Shutdown,
}

impl Streams {
    /// Runs the call on Twilio's media stream `socket` until it ends.
    pub async fn run_twilio<S: Socket>(&self, socket: S) {
        let span = tracing::info_span!("call", sid = tracing::field::Empty);
        let attach = StreamAttach::new(self.attacher.clone(), span.clone());
        let session = Session::new(self.driver.config.clone(), Instant::now());
        let call = driver::run(session, socket, attach, &self.driver, self.calls.signal());
        self.calls.track(call).instrument(span).await;
    }
}
