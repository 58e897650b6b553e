//! A call's recording over HTTP: `GET /calls/{id}/recording` serves the kept Ogg/Opus file
//! byte for byte, `GET /calls/{id}` says that there is one, and another account's key, or a
//! call without one, gets the 404 error shape. The retention is an account setting.

use jiff::Timestamp;
use reqwest::Method;
use serde_json::json;
use switchboard::audio::ogg_opus::{FRAME_SAMPLES, OggOpusWriter};
use switchboard::store::{CallDirection, NewCallRecord};
use switchboard::telephony::recordings::{FinishedRecording, KeepDecision, keep_or_drop};

use crate::business::{CALLER, business};
use crate::support::on_each_backend;

/// A second of a tone on the left, as a recording.
fn a_second_of_audio() -> Vec<u8> {
    let mut writer = OggOpusWriter::new().unwrap();
    let frame: Vec<i16> = (0..FRAME_SAMPLES)
        .flat_map(|n| [((n as f64 * 0.35).sin() * 6_000.0) as i16, 0])
        .collect();
    for _ in 0..50 {
        writer.push_frame(&frame).unwrap();
    }
    writer.finish().unwrap()
}

#[tokio::test]
async fn a_kept_recording_is_served_to_its_account_only() {
    on_each_backend(|api| async move {
        let business = business(&api).await;
        let key = &business.key;
        let account = api
            .patch(
                "/account",
                key,
                json!({"record_calls": true, "recording_retention_days": 30}),
            )
            .await
            .expect(200);
        assert_eq!(account["recording_retention_days"], 30);
        let refused = api
            .patch("/account", key, json!({"recording_retention_days": 0}))
            .await;
        assert_eq!(refused.status.as_u16(), 422, "{}", refused.body);
        let call = api
            .store
            .insert_call(
                &business.demo.account_id,
                NewCallRecord {
                    agent_id: business.demo.agent_id.clone(),
                    call_sid: business.ctx.call_sid.clone(),
                    direction: CallDirection::Inbound,
                    from_number: CALLER.into(),
                    to_number: business.ctx.called_number.clone().unwrap(),
                    started_at: Timestamp::now(),
                },
            )
            .await
            .unwrap()
            .unwrap();
        let path = format!("/calls/{}/recording", call.id);
        let none = api.get(&path, key).await.error(404);
        assert_eq!(none["code"], "not_found", "{none}");
        let detail = api.get(&format!("/calls/{}", call.id), key).await.expect(200);
        assert_eq!(detail["has_recording"], false);

        let said_yes = business.tool("record_consent", json!({"consented": true})).await;
        assert!(!said_yes.is_error, "{}", said_yes.result);
        let audio = a_second_of_audio();
        let finished = FinishedRecording {
            call_sid: business.ctx.call_sid.clone(),
            duration_ms: 1_000,
            audio: audio.clone(),
        };
        assert_eq!(
            keep_or_drop(&api.store, finished, Timestamp::now()).await,
            KeepDecision::Keep
        );

        let response = api.request(Method::GET, &path, key).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(response.headers()["content-type"], "audio/ogg");
        assert_eq!(response.bytes().await.unwrap().as_ref(), audio.as_slice());
        let detail = api.get(&format!("/calls/{}", call.id), key).await.expect(200);
        assert_eq!(detail["has_recording"], true);

        let stranger = api.account("Elsewhere", "free").await;
        let theirs = api.get(&path, &stranger.key).await.error(404);
        assert_eq!(theirs["code"], "not_found");
    })
    .await;
}
