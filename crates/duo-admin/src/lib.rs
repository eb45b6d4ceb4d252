//! A Duo Admin API client: signing, Duo's envelope and errors, paging, retry with Duo's
//! backoff, client-side pacing per rate class, and typed models.
//!
//! **Invariant:** nothing here knows about Terraform, and the crate has no dependency that
//! could; it could be published as it stands. Models ignore unknown fields and keep unknown enum values as strings.

mod accounts;
mod admin_units;
mod admins;
mod bulk;
mod bypass;
mod client;
mod error;
mod gather;
mod groups;
mod integrations;
mod lenient;
mod phones;
mod policies;
mod reads;
mod redact;
mod retry;
pub mod sign;
mod tokens;
mod users;

pub use accounts::ChildAccount;
pub use admin_units::{AdminUnit, UnitMember};
pub use admins::{Admin, AdminParams, HardToken, Singleton};
pub use bulk::Membership;
pub use bypass::{BypassCode, BypassParams};
pub use client::{Client, Config, ConfigError, Write, parse_response};
pub use error::{Error, gone_is_none};
pub use groups::{Group, GroupParams};
pub use integrations::Integration;
pub use phones::{Phone, PhoneParams};
pub use policies::Policy;
pub use reads::Listed;
pub use retry::DEFAULT_CAPACITY;
pub use tokens::{Token, TokenParams};
pub use users::{Member, User, UserParams, UserRef};
