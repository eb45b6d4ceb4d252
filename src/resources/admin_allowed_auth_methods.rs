//! `duo_admin_allowed_auth_methods`: which methods administrators may log in with, as a
//! singleton that manages only the fields set.

use super::singleton::Singleton;
use crate::duo;
use crate::kinds::{self, Grant};
use crate::plugin::Validator;

/// What `duo_admin_allowed_auth_methods` is, for the registry ([`crate::kinds`]).
pub const KIND: kinds::Kind = kinds::Kind::account_wide(
    "duo_admin_allowed_auth_methods",
    "administrator authentication methods",
    Grant::Administrators,
);

crate::plugin::state! {
    /// The methods `duo_admin_allowed_auth_methods` manages, each optional (see [`Singleton`]).
    pub struct AuthMethodsState {
        push_enabled: Option<bool> { .describe("Duo Push.") },
        sms_enabled: Option<bool> { .describe("SMS passcodes.") },
        voice_enabled: Option<bool> { .describe("Phone calls.") },
        mobile_otp_enabled: Option<bool> { .describe("Duo Mobile passcodes.") },
        yubikey_enabled: Option<bool> { .describe("YubiKey AES passcodes.") },
        hardware_token_enabled: Option<bool> { .describe("Hardware token passcodes.") },
        webauthn_enabled: Option<bool> {
            .describe("Security keys and platform authenticators (WebAuthn).")
        },
        verified_push_enabled: Option<bool> {
            .describe("Verified Duo Push (the admin types a code shown at login).")
        },
        verified_push_length: Option<i64> {
            .describe("Digits of the Verified Push code (3 to 6).")
            .validate(code_length())
        },
    }
}

/// Verified Push codes have 3 to 6 digits.
fn code_length() -> Validator {
    Validator::new("3 to 6.", |v| match v.as_i64() {
        Some(3..=6) => Ok(()),
        _ => Err("must be a whole number from 3 to 6.".to_owned()),
    })
}

pub const RESOURCE: Singleton<AuthMethodsState> = Singleton::new(
    &KIND,
    "admin_allowed_auth_methods",
    duo::Singleton::AdminAuthMethods,
    "The authentication methods Duo administrators may use to log in to the Admin Panel. Manages \
     only the fields set; destroying it changes nothing in Duo. Import with the ID `admin_allowed_auth_methods`.",
);
