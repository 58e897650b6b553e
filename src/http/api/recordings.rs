//! `/calls/{id}/recording`: a call's recording, as the Ogg/Opus file it was kept as (8 kHz
//! stereo: left the caller, right the agent). Only calls whose caller consented on an account
//! that records calls have one.
//!
//! `/calls/{id}/recording/elevenlabs`: the audio ElevenLabs sent of the call's conversation
//! (its `post_call_audio`, MP3), kept under the same rule; a call may have either, both or
//! neither.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::auth::AccountKey;
use super::{ApiResult, ApiState};
use crate::telephony::{post_call_audio, recordings};

/// The media type of a kept recording.
pub const OGG_AUDIO: &str = "audio/ogg";

/// The media type of ElevenLabs' audio of a call.
pub const MP3_AUDIO: &str = "audio/mpeg";

/// An MP3 file, as bytes (documentation only: the body is the file itself).
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct Mp3File(pub Vec<u8>);

/// An Ogg/Opus file, as bytes (documentation only: the body is the file itself).
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct OggOpusFile(pub Vec<u8>);

pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(get_call_recording))
        .routes(routes!(get_call_elevenlabs_audio))
}

/// The call's recording, an Ogg/Opus file; not found when the call has none.
#[utoipa::path(get, path = "/calls/{id}/recording", tag = "calls",
    operation_id = "get_call_recording",
    params(("id" = String, Path, description = "The call's id")),
    responses((status = 200, description = "The recording (Ogg/Opus, 8 kHz stereo: left the caller, right the agent)",
        content_type = "audio/ogg", body = OggOpusFile)))]
async fn get_call_recording(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    let recording = recordings::recording(&state.store, &scope, &id).await?;
    Ok(([(header::CONTENT_TYPE, OGG_AUDIO)], recording.audio))
}

/// ElevenLabs' audio of the call's conversation, an MP3 file as ElevenLabs sent it; not found
/// when none is kept (the caller did not consent, the account does not record calls, or
/// ElevenLabs sent none).
#[utoipa::path(get, path = "/calls/{id}/recording/elevenlabs", tag = "calls",
    operation_id = "get_call_elevenlabs_audio",
    params(("id" = String, Path, description = "The call's id")),
    responses((status = 200, description = "ElevenLabs' audio of the conversation (MP3)",
        content_type = "audio/mpeg", body = Mp3File)))]
async fn get_call_elevenlabs_audio(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    let audio = post_call_audio::audio(&state.store, &scope, &id).await?;
    Ok(([(header::CONTENT_TYPE, MP3_AUDIO)], audio.audio))
}
