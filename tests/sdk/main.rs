//! The official Python packages of Twilio and ElevenLabs as independent checks of our
//! protocol work and of the ElevenLabs and Twilio stand-ins.

mod elevenlabs;
mod python;
mod twilio;
mod twilio_rest;
