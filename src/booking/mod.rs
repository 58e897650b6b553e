//! Scheduling rules: event types, weekly hours, overrides and the availability engine (pure, no IO).
