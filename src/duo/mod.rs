//! A Duo Admin API client: signing, Duo's envelope and errors, paging, retry with Duo's
//! backoff, client-side pacing per rate class, and typed models.
//!
//! **Invariant:** nothing here knows about Terraform; this module could be published as a
//! crate of its own. Models ignore unknown fields and keep unknown enum values as strings.

mod client;
mod error;
mod groups;
mod lenient;
mod retry;
pub mod sign;
mod users;

pub use client::{Client, Config, ConfigError};
pub use error::{Error, gone_is_none};
pub use groups::{Group, GroupParams};
pub use users::{Member, User, UserParams};
