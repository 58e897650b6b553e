//! The reception's part of the rules a line's account and agent set on a call: the account's
//! minute pool read for the routing decision, a call the line's own rules turn away (after
//! hours, agent switched off, out of minutes), and the account's limit on calls at once,
//! kept by the database as the call's row is written. Each refusal is counted, logged, and
//! written as the call's record, so the call log says what happened and a voicemail left
//! has a row to be kept on.

use jiff::{SignedDuration, Timestamp};

use crate::store::{CallAdmission, NewCallRecord, StoreError};

use super::directory::Line;
use super::fallback::Fallback;
use super::metrics::{CallRefusal, ErrorKind};
use super::reception::Reception;
use super::recovery::silent_limit;
use super::route::{InboundCall, MinutesLeft, TurnAway};

impl Reception {
    /// What is left of the line's account's minute pool at `now` (kept a few seconds per
    /// account: see [`MinutePools`](super::minute_pool::MinutePools)).
    pub(super) async fn minutes_left(&self, line: &Line, now: Timestamp) -> Result<MinutesLeft, StoreError> {
        let left = self.minute_pools.left(&line.account, now).await;
        if let Err(e) = &left {
            tracing::error!(error = %e, "could not read the account's minute pool; the caller hears an apology");
        }
        left
    }

    /// The line's agent does not take this call: the call's row is written ended, and the
    /// caller hears what the agent does after hours, or that the assistant is unavailable and
    /// where to book. A repeated webhook hangs up; a failed write still answers the caller.
    pub(super) async fn turn_away(
        &self,
        line: &Line,
        why: TurnAway,
        call: &InboundCall,
        now: Timestamp,
    ) -> Fallback {
        let refusal = match why {
            TurnAway::AfterHours(_) => CallRefusal::AfterHours,
            TurnAway::Inactive(_) => CallRefusal::AgentInactive,
            TurnAway::OutOfMinutes => CallRefusal::OutOfMinutes,
        };
        let new_call = new_call_record(line, call, now);
        match self
            .store
            .insert_turned_away_call(&line.agent.account_id, new_call, refusal.label())
            .await
        {
            Ok(Some(_)) => {}
            Ok(None) => {
                self.metrics.error(ErrorKind::Replayed);
                tracing::warn!(call_sid = %call.call_sid, "voice webhook for a call already answered refused");
                return Fallback::hang_up();
            }
            Err(e) => {
                // The caller still hears the line's answer; a voicemail left has no row to be
                // kept on.
                self.metrics.error(ErrorKind::Store);
                tracing::error!(error = %e, call_sid = %call.call_sid, "could not record a call turned away");
            }
        }
        self.metrics.call_refused(refusal);
        tracing::info!(
            call_sid = %call.call_sid,
            agent = %line.agent.name,
            reason = refusal.label(),
            "the line's agent does not take this call"
        );
        let booking_url = line.account.booking_url.as_deref();
        match why {
            TurnAway::AfterHours(behavior) | TurnAway::Inactive(behavior) => {
                Fallback::after_hours(behavior, line.hours.message.as_deref(), &line.agent, booking_url)
            }
            TurnAway::OutOfMinutes => Fallback::out_of_minutes(booking_url),
        }
    }

    /// Writes the call's row if its account has a place under its plan's
    /// `max_concurrent_calls`, counted over every instance sharing the database (a call no
    /// instance wrote for longer than recovery allows is not counted); the row of a call over
    /// the limit is written ended.
    pub(super) async fn admit_on_account(
        &self,
        line: &Line,
        call: &InboundCall,
        now: Timestamp,
    ) -> Result<CallAdmission, StoreError> {
        let plan = self.store.account_plan(&line.agent.account_id).await;
        let admitted = match plan {
            Ok(plan) => {
                let silent = silent_limit(
                    self.call_config.progress_every(),
                    self.call_config.upstream_timeout(),
                );
                let live_since = now
                    .checked_sub(SignedDuration::try_from(silent).unwrap_or(SignedDuration::MAX))
                    .unwrap_or(Timestamp::MIN);
                self.store
                    .admit_call(
                        &line.agent.account_id,
                        new_call_record(line, call, now),
                        Some(plan.max_concurrent_calls),
                        live_since,
                        CallRefusal::AccountBusy.label(),
                    )
                    .await
            }
            Err(e) => Err(e),
        };
        match &admitted {
            Ok(CallAdmission::Full { live, .. }) => {
                self.metrics.call_refused(CallRefusal::AccountBusy);
                tracing::warn!(
                    call_sid = %call.call_sid,
                    live,
                    "the account has all the calls its plan allows; the line's fallback takes this one"
                );
            }
            Err(_) => self.metrics.error(ErrorKind::Store),
            Ok(_) => {}
        }
        admitted
    }

    /// What a caller over the account's limit hears: `busy`, then the line's fallback.
    pub(super) fn account_busy(&self, line: &Line) -> Fallback {
        Fallback::at_capacity(&line.agent, &self.call_config)
    }
}

/// The row of an inbound call to `line`.
fn new_call_record(line: &Line, call: &InboundCall, now: Timestamp) -> NewCallRecord {
    NewCallRecord {
        agent_id: line.agent.id.clone(),
        call_sid: call.call_sid.clone(),
        direction: crate::store::CallDirection::Inbound,
        from_number: call.from.clone(),
        to_number: call.to.clone(),
        started_at: now,
    }
}
