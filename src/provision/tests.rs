//! Runs against a vendor kept in memory: rollbacks in reverse, a failed request's possible
//! effect undone, undos that fail and are retried, and a run a crash cut short.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use futures::FutureExt;
use futures::future::BoxFuture;
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use super::*;
use crate::store::{NewAccount, RunState, StepState, testing};

/// A vendor holding named things; its undo deletes one (or every one carrying a marker).
#[derive(Clone, Default)]
struct FakeVendor {
    things: Arc<Mutex<BTreeSet<String>>>,
    undone: Arc<Mutex<Vec<String>>>,
    undo_fails: Arc<Mutex<bool>>,
}

impl FakeVendor {
    fn create(&self, name: &str) -> Result<String, String> {
        self.things.lock().unwrap().insert(name.to_owned());
        Ok(name.to_owned())
    }

    fn held(&self) -> Vec<String> {
        self.things.lock().unwrap().iter().cloned().collect()
    }

    fn undone(&self) -> Vec<String> {
        self.undone.lock().unwrap().clone()
    }
}

impl UndoAction for FakeVendor {
    fn undo<'a>(&'a self, data: &'a Value) -> BoxFuture<'a, Result<(), String>> {
        async move {
            if *self.undo_fails.lock().unwrap() {
                return Err("the vendor is down".to_owned());
            }
            let mut things = self.things.lock().unwrap();
            if let Some(id) = data["id"].as_str() {
                things.remove(id);
                self.undone.lock().unwrap().push(id.to_owned());
            }
            if let Some(marker) = data["marker"].as_str() {
                let marked: Vec<_> = things.iter().filter(|t| t.starts_with(marker)).cloned().collect();
                for thing in marked {
                    things.remove(&thing);
                    self.undone.lock().unwrap().push(thing);
                }
            }
            Ok(())
        }
        .boxed()
    }
}

fn delete(id: &str) -> Option<Undo> {
    Some(Undo::new("fake.delete", json!({ "id": id })))
}

async fn provisioner(store: &Store, vendor: &FakeVendor) -> (Provisioner, AccountId) {
    let account = store
        .create_account(NewAccount {
            name: "Harbor Dental".into(),
            plan: "business".into(),
        })
        .await
        .unwrap();
    let undoers = Undoers::default().with("fake.delete", Arc::new(vendor.clone()));
    (Provisioner::new(store.clone(), undoers), account.id)
}

#[tokio::test]
async fn a_failed_step_undoes_the_steps_before_it_last_first_and_says_what_failed() {
    testing::on_each_backend(|store| async move {
        let vendor = FakeVendor::default();
        let (provisioner, account) = provisioner(&store, &vendor).await;
        let mut run = provisioner.begin(&account, "create the agent Ava").await.unwrap();
        let id = run.id().clone();
        for name in ["tool", "agent"] {
            run.step(Step::new(format!("create the {name}")), async { vendor.create(name) }, |id| delete(id))
                .await
                .unwrap();
        }
        let failed = run
            .step(Step::new("buy a number"), async { Err::<String, _>("no number in area code 415") }, |_| None)
            .await
            .unwrap_err();
        assert_eq!(
            failed.to_string(),
            "could not buy a number: no number in area code 415; everything done before it was undone, nothing was left behind"
        );
        assert!(vendor.held().is_empty());
        assert_eq!(vendor.undone(), ["agent", "tool"], "undone in reverse");
        let stored = store.provisioning_run(&id).await.unwrap();
        assert_eq!(stored.state, RunState::RolledBack);
        assert!(stored.failure.unwrap().contains("buy a number"));
        let steps = store.provisioning_steps(&id).await.unwrap();
        assert_eq!(steps.len(), 3);
        assert!(steps.iter().all(|step| step.state == StepState::Undone));
    })
    .await;
}

#[tokio::test]
async fn a_request_that_failed_after_acting_is_undone_by_its_if_interrupted_undo() {
    testing::on_each_backend(|store| async move {
        let vendor = FakeVendor::default();
        let (provisioner, account) = provisioner(&store, &vendor).await;
        let mut run = provisioner.begin(&account, "buy a number").await.unwrap();
        let marker = run.marker();
        let bought = format!("{marker}-+14155550100");
        let step =
            Step::new("buy the number").if_interrupted(Undo::new("fake.delete", json!({ "marker": marker })));
        let failed = run
            .step(
                step,
                async {
                    // The vendor bought it, then the answer was lost.
                    vendor.create(&bought).unwrap();
                    Err::<String, _>("timed out")
                },
                |id| delete(id),
            )
            .await;
        assert!(failed.is_err());
        assert!(vendor.held().is_empty(), "found by the marker and removed");
    })
    .await;
}

#[tokio::test]
async fn an_undo_that_fails_is_said_and_retried_by_the_recovery_worker() {
    testing::on_each_backend(|store| async move {
        let vendor = FakeVendor::default();
        let (provisioner, account) = provisioner(&store, &vendor).await;
        let mut run = provisioner.begin(&account, "create the agent Ava").await.unwrap();
        let id = run.id().clone();
        run.step(Step::new("create the agent"), async { vendor.create("agent") }, |id| delete(id))
            .await
            .unwrap();
        *vendor.undo_fails.lock().unwrap() = true;
        let failed = run.fail("save the agent", "the plan allows 1 agent").await;
        assert_eq!(
            failed.to_string(),
            "could not save the agent: the plan allows 1 agent; undoing create the agent failed too, and is retried in the background"
        );
        assert_eq!(store.provisioning_run(&id).await.unwrap().state, RunState::RollbackFailed);
        assert_eq!(vendor.held(), ["agent"]);

        let soon = Timestamp::now() + SignedDuration::from_secs(10);
        assert_eq!(recovery::recover(&provisioner, soon).await.unwrap(), recovery::Recovered::default(), "not stale yet");
        let later = Timestamp::now() + recovery::STALE_AFTER + SignedDuration::from_secs(1);
        let again = recovery::recover(&provisioner, later).await.unwrap();
        assert_eq!(again.still_failing, 1);
        let steps = store.provisioning_steps(&id).await.unwrap();
        assert_eq!(steps[0].undo_error.as_deref(), Some("the vendor is down"));

        *vendor.undo_fails.lock().unwrap() = false;
        let last = recovery::recover(&provisioner, later + recovery::STALE_AFTER + SignedDuration::from_secs(1))
            .await
            .unwrap();
        assert_eq!(last.rolled_back, 1);
        assert!(vendor.held().is_empty());
        assert_eq!(store.provisioning_run(&id).await.unwrap().state, RunState::RolledBack);
    })
    .await;
}

#[tokio::test]
async fn a_run_cut_short_mid_request_is_undone_at_the_next_start_once() {
    testing::on_each_backend(|store| async move {
        let vendor = FakeVendor::default();
        let (provisioner, account) = provisioner(&store, &vendor).await;
        let mut run = provisioner.begin(&account, "create the agent Ava").await.unwrap();
        let id = run.id().clone();
        let marker = run.marker();
        run.step(
            Step::new("create the tool"),
            async { vendor.create("tool") },
            |id| delete(id),
        )
        .await
        .unwrap();
        // The second request acts at the vendor, then the process dies before its answer.
        let (acted, acted_rx) = tokio::sync::oneshot::channel::<()>();
        let agent = format!("{marker}-agent");
        let step = Step::new("create the agent")
            .if_interrupted(Undo::new("fake.delete", json!({ "marker": marker })));
        let request = async {
            vendor.create(&agent).unwrap();
            let _ = acted.send(());
            std::future::pending::<Result<String, String>>().await
        };
        tokio::select! {
            _ = run.step(step, request, |id| delete(id)) => unreachable!("the request never answers"),
            _ = acted_rx => {}
        }
        drop(run);
        assert_eq!(vendor.held().len(), 2);
        assert_eq!(
            store.provisioning_run(&id).await.unwrap().state,
            RunState::Running
        );

        // Another instance, restarted after the run went stale.
        let restarted = Provisioner::new(
            store.clone(),
            Undoers::default().with("fake.delete", Arc::new(vendor.clone())),
        );
        let later = Timestamp::now() + recovery::STALE_AFTER + SignedDuration::from_secs(1);
        let round = recovery::recover(&restarted, later).await.unwrap();
        assert_eq!(
            round,
            recovery::Recovered {
                rolled_back: 1,
                still_failing: 0
            }
        );
        assert!(vendor.held().is_empty(), "the tool and the marked agent are gone");
        let stored = store.provisioning_run(&id).await.unwrap();
        assert_eq!(stored.state, RunState::RolledBack);
        assert!(stored.failure.unwrap().contains("stopped in the middle"));
        assert_eq!(
            recovery::recover(&restarted, later + recovery::STALE_AFTER * 2)
                .await
                .unwrap(),
            recovery::Recovered::default(),
            "a rolled back run is left alone"
        );
    })
    .await;
}

#[tokio::test]
async fn a_finished_run_is_never_undone_and_only_one_instance_claims_a_stale_one() {
    testing::on_each_backend(|store| async move {
        let vendor = FakeVendor::default();
        let (provisioner, account) = provisioner(&store, &vendor).await;
        let mut done = provisioner.begin(&account, "create the agent Ava").await.unwrap();
        done.step(
            Step::new("create the agent"),
            async { vendor.create("kept") },
            |id| delete(id),
        )
        .await
        .unwrap();
        done.finish().await.unwrap();

        let mut cut = provisioner.begin(&account, "create the agent Bo").await.unwrap();
        cut.step(
            Step::new("create the agent"),
            async { vendor.create("dropped") },
            |id| delete(id),
        )
        .await
        .unwrap();
        drop(cut);
        let later = Timestamp::now() + recovery::STALE_AFTER + SignedDuration::from_secs(1);
        let stale = store.stale_provisioning_runs(later, 10).await.unwrap();
        assert_eq!(stale.len(), 1);
        assert!(store.claim_provisioning_run(&stale[0], later).await.unwrap());
        assert!(
            !store.claim_provisioning_run(&stale[0], later).await.unwrap(),
            "claimed once"
        );
        assert_eq!(vendor.held(), ["dropped", "kept"]);
        let round = recovery::recover(
            &provisioner,
            later + recovery::STALE_AFTER + SignedDuration::from_secs(1),
        )
        .await
        .unwrap();
        assert_eq!(
            round.rolled_back, 1,
            "a claim left by a dead instance goes stale too"
        );
        assert_eq!(vendor.held(), ["kept"]);
    })
    .await;
}

#[tokio::test]
async fn an_unknown_undo_kind_is_a_failure_in_words() {
    let undoers = Undoers::default();
    let refused = undoers
        .run(&Undo::new("twilio.release_number", json!({})))
        .await
        .unwrap_err();
    assert_eq!(
        refused,
        "this server cannot undo a step of kind \"twilio.release_number\""
    );
}
