//! Media streams: a caller's socket, once accepted, is run here to the call's end. The session
//! is set up for the caller's leg, the agent attached when the stream starts, and the call
//! counted among the calls the server drains, hanging up when their time is up.

use std::time::Instant;

use tracing::Instrument;

use crate::call::driver::{self, DriverDeps};
use crate::call::{EndReason, Session, Socket};
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
    /// Runs the call on Twilio's media stream `socket` until it ends; resolves to how it
    /// ended.
    pub fn run_twilio<'s, S: Socket + 's>(&'s self, socket: S) -> impl Future<Output = EndReason> + 's {
        let span = tracing::info_span!("call", sid = tracing::field::Empty);
        let attach = StreamAttach::new(self.attacher.clone(), span.clone());
        let session = Session::new(self.driver.config.clone(), Instant::now());
        // Built in place rather than bound to a name first: a future moved out of a local
        // keeps its old slot too, and this one is a call's whole state.
        self.calls
            .track(driver::run(
                session,
                socket,
                attach,
                &self.driver,
                self.calls.signal(),
            ))
            .instrument(span)
    }
}
