//! `duo_admin_allowed_auth_methods`: which methods administrators may log in with, as a
//! singleton that manages only the fields set.

use super::singleton::{Field, Kind, Singleton, checked, field};
use crate::duo;
use crate::kinds::{self, Grant};
use crate::plugin::Validator;

/// What `duo_admin_allowed_auth_methods` is, for the registry ([`crate::kinds`]).
pub const KIND: kinds::Kind = kinds::Kind::account_wide(
    "duo_admin_allowed_auth_methods",
    "administrator authentication methods",
    Grant::Administrators,
);

const FIELDS: &[Field] = &[
    field("push_enabled", Kind::Flag, "Duo Push."),
    field("sms_enabled", Kind::Flag, "SMS passcodes."),
    field("voice_enabled", Kind::Flag, "Phone calls."),
    field("mobile_otp_enabled", Kind::Flag, "Duo Mobile passcodes."),
    field("yubikey_enabled", Kind::Flag, "YubiKey AES passcodes."),
    field(
        "hardware_token_enabled",
        Kind::Flag,
        "Hardware token passcodes.",
    ),
    field(
        "webauthn_enabled",
        Kind::Flag,
        "Security keys and platform authenticators (WebAuthn).",
    ),
    field(
        "verified_push_enabled",
        Kind::Flag,
        "Verified Duo Push (the admin types a code shown at login).",
    ),
    checked(
        "verified_push_length",
        Kind::Count,
        "Digits of the Verified Push code (3 to 6).",
        || {
            Validator::new("3 to 6.", |v| match v.as_i64() {
                Some(3..=6) => Ok(()),
                _ => Err("must be a whole number from 3 to 6.".to_owned()),
            })
        },
    ),
];

pub const RESOURCE: Singleton = Singleton {
    kind: &KIND,
    description: "The authentication methods Duo administrators may use to log in to the Admin Panel. Manages \
                  only the fields set; destroying it changes nothing in Duo. Import with the ID `admin_allowed_auth_methods`.",
    id: "admin_allowed_auth_methods",
    which: duo::Singleton::AdminAuthMethods,
    fields: FIELDS,
};
