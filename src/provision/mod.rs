//! Provisioning at the vendors: what switchboard creates in the vendors' accounts for an
//! agent, recorded as it goes so that it can be undone.

pub mod number_holds;
