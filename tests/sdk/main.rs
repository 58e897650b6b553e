//! The official Python packages of Twilio and ElevenLabs as independent checks of our
//! protocol work and of the ElevenLabs stand-in.

mod elevenlabs;
mod python;
mod twilio;
