//! `duo_settings`: the account's settings, as a singleton that manages only the fields set.

use super::singleton::{Field, Kind, Singleton, checked, field, zero_or_between};
use crate::duo;
use crate::kinds::{self, Grant};
use crate::plugin::Validator;

/// What `duo_settings` is, for the registry ([`crate::kinds`]).
pub const KIND: kinds::Kind =
    kinds::Kind::account_wide("duo_settings", "settings", Grant::Settings);

const FIELDS: &[Field] = &[
    field(
        "name",
        Kind::Text,
        "The account's name, shown in the Admin Panel.",
    ),
    field("caller_id", Kind::Text, "The number phone calls come from."),
    checked(
        "language",
        Kind::Text,
        "The language of phone calls and SMS.",
        || Validator::one_of(&["EN", "DE", "FR"]),
    ),
    field(
        "timezone",
        Kind::Text,
        "The account's time zone (IANA name, e.g. `Europe/Berlin`).",
    ),
    checked(
        "helpdesk_bypass",
        Kind::Text,
        "Whether help desk admins may create bypass codes.",
        || Validator::one_of(&["allow", "limit", "deny"]),
    ),
    field(
        "helpdesk_bypass_expiration",
        Kind::Count,
        "Minutes until help desk bypass codes expire (with `limit`).",
    ),
    field(
        "helpdesk_can_send_enroll_email",
        Kind::Flag,
        "Whether help desk admins may send enrollment emails.",
    ),
    field(
        "helpdesk_message",
        Kind::Text,
        "A message shown to help desk admins.",
    ),
    checked(
        "inactive_user_expiration",
        Kind::Count,
        "Days of inactivity after which users are moved to the trash.",
        || zero_or_between(30, 365),
    ),
    field(
        "keypress_confirm",
        Kind::Text,
        "The key users press to confirm a phone call login.",
    ),
    field(
        "keypress_fraud",
        Kind::Text,
        "The key users press to report a fraudulent login.",
    ),
    checked(
        "lockout_expire_duration",
        Kind::Count,
        "Minutes until locked-out users are unlocked; 0 means an admin must unlock them.",
        || zero_or_between(5, 30000),
    ),
    field(
        "lockout_threshold",
        Kind::Count,
        "Failed attempts before a user is locked out.",
    ),
    field(
        "log_retention_days",
        Kind::Count,
        "Days logs are kept; 0 means Duo's maximum.",
    ),
    field(
        "minimum_password_length",
        Kind::Count,
        "Minimum administrator password length.",
    ),
    field(
        "password_requires_upper_alpha",
        Kind::Flag,
        "Administrator passwords need an upper-case letter.",
    ),
    field(
        "password_requires_lower_alpha",
        Kind::Flag,
        "Administrator passwords need a lower-case letter.",
    ),
    field(
        "password_requires_numeric",
        Kind::Flag,
        "Administrator passwords need a digit.",
    ),
    field(
        "password_requires_special",
        Kind::Flag,
        "Administrator passwords need a special character.",
    ),
    field(
        "email_activity_notification_enabled",
        Kind::Flag,
        "Email users about activity on their account.",
    ),
    field(
        "push_activity_notification_enabled",
        Kind::Flag,
        "Push users notifications about activity on their account.",
    ),
    field(
        "fraud_email",
        Kind::Text,
        "Where fraud reports are emailed.",
    ),
    field(
        "fraud_email_enabled",
        Kind::Flag,
        "Whether fraud reports are emailed.",
    ),
    field(
        "security_checkup_enabled",
        Kind::Flag,
        "Whether Duo's security checkup is shown.",
    ),
    field(
        "sms_batch",
        Kind::Count,
        "How many passcodes an SMS carries.",
    ),
    field(
        "sms_expiration",
        Kind::Count,
        "Minutes until SMS passcodes expire; 0 for never.",
    ),
    field(
        "sms_message",
        Kind::Text,
        "The text sent with SMS passcodes.",
    ),
    field(
        "sms_refresh",
        Kind::Flag,
        "Whether a new batch of passcodes is sent when the last one is used.",
    ),
    field(
        "telephony_warning_min",
        Kind::Count,
        "Telephony credits below which admins are warned.",
    ),
    field(
        "unenrolled_user_lockout_threshold",
        Kind::Count,
        "Days after which unenrolled users are locked out; 0 for never.",
    ),
    field(
        "user_managers_can_put_users_in_bypass",
        Kind::Flag,
        "Whether User Managers may set users to bypass.",
    ),
    field(
        "user_telephony_cost_max",
        Kind::Count,
        "The most telephony credits one authentication may cost.",
    ),
];

pub const RESOURCE: Singleton = Singleton {
    kind: &KIND,
    description: "The Duo account's settings. Manages only the fields set: omitted ones keep Duo's value. \
                  Destroying it changes nothing in Duo. \
                  Import with the ID `settings`.",
    id: "settings",
    which: duo::Singleton::Settings,
    fields: FIELDS,
};
