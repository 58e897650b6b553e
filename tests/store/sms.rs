//! The SMS outbox, templates and opt-outs on SQLite and PostgreSQL: one job per idempotency
//! key, a due job claimed by one worker of several instances, the lease, and opt-outs per
//! account where the latest change wins.

use jiff::{SignedDuration, Timestamp};
use switchboard::messaging::{Keyword, OptOuts};
use switchboard::store::testing::{on_each_backend, seed_business, sqlite};
use switchboard::store::{AccountId, NewAccount, NewSms, SmsStatus, Store};

const T0: &str = "2026-03-10T14:00:00Z";

fn at(secs: i64) -> Timestamp {
    T0.parse::<Timestamp>().unwrap() + SignedDuration::from_secs(secs)
}

fn follow_up(account_id: &AccountId, call: &str) -> NewSms {
    NewSms {
        account_id: account_id.clone(),
        idempotency_key: format!("follow_up:{call}"),
        to_number: "+4915112345678".into(),
        from_number: "+4930123456".into(),
        body: format!("Thanks for calling ({call})"),
    }
}

async fn other_account(store: &Store) -> AccountId {
    store
        .create_account(NewAccount {
            name: "Other".into(),
            plan: "pro".into(),
        })
        .await
        .unwrap()
        .id
}

#[tokio::test]
async fn a_second_enqueue_with_the_same_key_is_a_no_op() {
    on_each_backend(|store| async move {
        let account = seed_business(&store).await.account.id;
        let (first, created) = store.enqueue_sms(follow_up(&account, "c1"), at(0)).await.unwrap();
        assert!(created);
        let mut again = follow_up(&account, "c1");
        again.body = "another body".into();
        let (second, created) = store.enqueue_sms(again, at(5)).await.unwrap();
        assert!(!created);
        assert_eq!(second, first);
        assert_eq!(store.sms_jobs(&account).await.unwrap().len(), 1);
        assert_eq!(first.status, SmsStatus::Pending);
        assert_eq!(first.attempts, 0);
    })
    .await;
}

#[tokio::test]
async fn a_due_job_is_claimed_once_and_again_only_after_its_lease() {
    on_each_backend(|store| async move {
        let account = seed_business(&store).await.account.id;
        let (job, _) = store
            .enqueue_sms(follow_up(&account, "c1"), at(10))
            .await
            .unwrap();
        // Not due yet.
        assert!(store.claim_due_sms(at(9), at(69), 10).await.unwrap().is_empty());
        let claimed = store.claim_due_sms(at(10), at(70), 10).await.unwrap();
        assert_eq!(claimed.len(), 1);
        assert_eq!(claimed[0].status, SmsStatus::Sending);
        assert_eq!(claimed[0].attempts, 1);
        // Under its lease, nobody else gets it; after it (the worker died), another does.
        assert!(store.claim_due_sms(at(69), at(129), 10).await.unwrap().is_empty());
        let reclaimed = store.claim_due_sms(at(70), at(130), 10).await.unwrap();
        assert_eq!(reclaimed.len(), 1);
        assert_eq!(reclaimed[0].attempts, 2);

        store
            .retry_sms_at(&job.id, at(200), true, "Twilio answered 503", at(71))
            .await
            .unwrap();
        let pending = store.sms_job(&job.id).await.unwrap();
        assert_eq!((pending.status, pending.look_first), (SmsStatus::Pending, true));
        assert_eq!(pending.last_error.as_deref(), Some("Twilio answered 503"));
        assert!(
            store
                .claim_due_sms(at(199), at(259), 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(store.claim_due_sms(at(200), at(260), 10).await.unwrap().len(), 1);
        store
            .mark_sms_sent(&job.id, "SM1", "queued", at(201))
            .await
            .unwrap();
        let sent = store.sms_job(&job.id).await.unwrap();
        assert_eq!(sent.status, SmsStatus::Sent);
        assert_eq!(sent.message_sid.as_deref(), Some("SM1"));
        assert!(!sent.look_first);
        // A sent job is never claimed again.
        assert!(
            store
                .claim_due_sms(at(10_000), at(10_060), 10)
                .await
                .unwrap()
                .is_empty()
        );

        let (skipped, _) = store.enqueue_sms(follow_up(&account, "c2"), at(0)).await.unwrap();
        store
            .finish_sms_unsent(
                &skipped.id,
                SmsStatus::Skipped,
                "the recipient opted out",
                None,
                at(1),
            )
            .await
            .unwrap();
        assert!(
            store
                .claim_due_sms(at(10_000), at(10_060), 10)
                .await
                .unwrap()
                .is_empty()
        );
    })
    .await;
}

#[tokio::test]
async fn instances_claiming_at_once_claim_each_job_once() {
    let first = sqlite().await;
    let account = seed_business(&first).await.account.id;
    for n in 0..20 {
        first
            .enqueue_sms(follow_up(&account, &format!("c{n}")), at(0))
            .await
            .unwrap();
    }
    let second = first.another_instance().await;
    let (a, b) = tokio::join!(
        first.claim_due_sms(at(1), at(61), 20),
        second.claim_due_sms(at(1), at(61), 20)
    );
    let mut ids: Vec<String> = a
        .unwrap()
        .into_iter()
        .chain(b.unwrap())
        .map(|job| job.id)
        .collect();
    let claimed = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!((claimed, ids.len()), (20, 20));
}

#[tokio::test]
async fn templates_and_the_switch_are_per_account() {
    on_each_backend(|store| async move {
        let account = seed_business(&store).await.account.id;
        let other = other_account(&store).await;
        assert!(!store.sms_follow_ups(&account).await.unwrap());
        store.set_sms_follow_ups(&account, true).await.unwrap();
        assert!(store.sms_follow_ups(&account).await.unwrap());
        assert!(!store.sms_follow_ups(&other).await.unwrap());

        store
            .put_sms_template(&account, "info_recap", "one", at(0))
            .await
            .unwrap();
        store
            .put_sms_template(&account, "info_recap", "two", at(1))
            .await
            .unwrap();
        let saved = store.sms_templates(&account).await.unwrap();
        assert_eq!(saved.len(), 1);
        assert_eq!(
            (saved[0].kind.as_str(), saved[0].body.as_str()),
            ("info_recap", "two")
        );
        assert!(store.sms_templates(&other).await.unwrap().is_empty());
        assert!(
            store
                .put_sms_template(&account, "nonsense", "x", at(2))
                .await
                .is_err()
        );
    })
    .await;
}

#[tokio::test]
async fn an_opt_out_is_per_account_and_the_latest_change_wins() {
    on_each_backend(|store| async move {
        let account = seed_business(&store).await.account.id;
        let other = other_account(&store).await;
        let opt_outs = OptOuts::new(store.clone());
        let caller = "+4915112345678";
        assert!(opt_outs.may_contact(&account, caller).await.unwrap());
        opt_outs
            .heard(&account, caller, Keyword::OptOut, at(10))
            .await
            .unwrap();
        assert!(!opt_outs.may_contact(&account, caller).await.unwrap());
        assert!(opt_outs.may_contact(&other, caller).await.unwrap());
        // HELP changes nothing; a START delivered late (older than the STOP) is ignored.
        opt_outs
            .heard(&account, caller, Keyword::Help, at(20))
            .await
            .unwrap();
        opt_outs
            .heard(&account, caller, Keyword::OptIn, at(5))
            .await
            .unwrap();
        assert!(!opt_outs.may_contact(&account, caller).await.unwrap());
        opt_outs
            .heard(&account, caller, Keyword::OptIn, at(30))
            .await
            .unwrap();
        assert!(opt_outs.may_contact(&account, caller).await.unwrap());
        opt_outs
            .refused_by_twilio(&account, caller, at(40))
            .await
            .unwrap();
        assert!(!opt_outs.may_contact(&account, caller).await.unwrap());
    })
    .await;
}

#[tokio::test]
async fn a_call_earns_one_follow_up_however_often_its_end_is_told() {
    use switchboard::messaging::FollowUps;
    use switchboard::store::{CallDirection, CallOutcome, NewCallRecord};
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let account = business.account.id.clone();
        let ours = business.agent.phone_number.clone().unwrap();
        let mut calls = Vec::new();
        for (sid, outcome) in [("CA1", CallOutcome::InfoProvided), ("CA2", CallOutcome::Failed)] {
            let new = NewCallRecord {
                agent_id: business.agent.id.clone(),
                call_sid: sid.into(),
                direction: CallDirection::Inbound,
                from_number: "+4915112345678".into(),
                to_number: ours.clone(),
                started_at: at(0),
            };
            let call = store.insert_call(&account, new).await.unwrap().unwrap();
            store
                .set_call_outcome(&account, &call.id, outcome, None)
                .await
                .unwrap();
            calls.push(store.call_by_sid(sid).await.unwrap().unwrap());
        }
        let follow_ups = FollowUps::new(store.clone());
        // Off by default.
        assert!(follow_ups.call_ended(&calls[0]).await.unwrap().is_none());
        store.set_sms_follow_ups(&account, true).await.unwrap();
        for _ in 0..3 {
            follow_ups.call_ended(&calls[0]).await.unwrap().expect("a text");
        }
        // A failed call gets none.
        assert!(follow_ups.call_ended(&calls[1]).await.unwrap().is_none());
        let jobs = store.sms_jobs(&account).await.unwrap();
        assert_eq!(jobs.len(), 1);
        assert_eq!(
            (jobs[0].from_number.as_str(), jobs[0].to_number.as_str()),
            (ours.as_str(), "+4915112345678")
        );
        assert!(
            jobs[0].body.starts_with("Thanks for calling Praxis Adler."),
            "{}",
            jobs[0].body
        );
        assert_eq!(
            jobs[0].idempotency_key,
            format!("follow_up:{}", calls[0].id.as_str())
        );
    })
    .await;
}
