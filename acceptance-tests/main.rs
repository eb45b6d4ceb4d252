//! Acceptance tests: the real `terraform` CLI, the provider binary and the emulator, end to
//! end. See `duo_test_support::acceptance` for how each step is checked.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly by design"
)]

mod account;
mod devices;
mod examples;
mod export;
mod faults;
mod group;
mod guards;
mod harness;
mod import;
mod integration;
mod membership;
mod msp;
mod policy;
mod protocol;
mod provider;
mod recovery;
mod release;
mod released_states;
mod scenarios;
mod secrets;
mod user;
mod validation;
