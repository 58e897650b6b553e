//! The official Python packages of Twilio and ElevenLabs as independent checks of our
//! protocol work and of the ElevenLabs and Twilio stand-ins.

mod elevenlabs;
mod elevenlabs_rest;
mod elevenlabs_webhooks;
mod python;
mod twilio;
mod twilio_rest;
