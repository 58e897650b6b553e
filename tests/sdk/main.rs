//! The official Python packages of Twilio and ElevenLabs as independent checks of our
//! protocol work and of the ElevenLabs stand-in.

mod elevenlabs;
mod elevenlabs_rest;
mod python;
mod twilio;
