//! `duo_settings`: the account's settings, as a singleton that manages only the fields set.

use super::singleton::{Singleton, zero_or_between};
use crate::duo;
use crate::kinds::{self, Grant};
use crate::plugin::Validator;

/// What `duo_settings` is, for the registry ([`crate::kinds`]).
pub const KIND: kinds::Kind =
    kinds::Kind::account_wide("duo_settings", "settings", Grant::Settings);

crate::plugin::state! {
    /// The account settings `duo_settings` manages, each optional (see [`Singleton`]).
    pub struct SettingsState {
        name: Option<String> { .describe("The account's name, shown in the Admin Panel.") },
        caller_id: Option<String> { .describe("The number phone calls come from.") },
        language: Option<String> {
            .describe("The language of phone calls and SMS.")
            .validate(Validator::one_of(&["EN", "DE", "FR"]))
        },
        timezone: Option<String> {
            .describe("The account's time zone (IANA name, e.g. `Europe/Berlin`).")
        },
        helpdesk_bypass: Option<String> {
            .describe("Whether help desk admins may create bypass codes.")
            .validate(Validator::one_of(&["allow", "limit", "deny"]))
        },
        helpdesk_bypass_expiration: Option<i64> {
            .describe("Minutes until help desk bypass codes expire (with `limit`).")
        },
        helpdesk_can_send_enroll_email: Option<bool> {
            .describe("Whether help desk admins may send enrollment emails.")
        },
        helpdesk_message: Option<String> { .describe("A message shown to help desk admins.") },
        inactive_user_expiration: Option<i64> {
            .describe("Days of inactivity after which users are moved to the trash.")
            .validate(zero_or_between(30, 365))
        },
        keypress_confirm: Option<String> {
            .describe("The key users press to confirm a phone call login.")
        },
        keypress_fraud: Option<String> {
            .describe("The key users press to report a fraudulent login.")
        },
        lockout_expire_duration: Option<i64> {
            .describe("Minutes until locked-out users are unlocked; 0 means an admin must unlock them.")
            .validate(zero_or_between(5, 30000))
        },
        lockout_threshold: Option<i64> {
            .describe("Failed attempts before a user is locked out.")
        },
        log_retention_days: Option<i64> { .describe("Days logs are kept; 0 means Duo's maximum.") },
        minimum_password_length: Option<i64> {
            .describe("Minimum administrator password length.")
        },
        password_requires_upper_alpha: Option<bool> {
            .describe("Administrator passwords need an upper-case letter.")
        },
        password_requires_lower_alpha: Option<bool> {
            .describe("Administrator passwords need a lower-case letter.")
        },
        password_requires_numeric: Option<bool> {
            .describe("Administrator passwords need a digit.")
        },
        password_requires_special: Option<bool> {
            .describe("Administrator passwords need a special character.")
        },
        email_activity_notification_enabled: Option<bool> {
            .describe("Email users about activity on their account.")
        },
        push_activity_notification_enabled: Option<bool> {
            .describe("Push users notifications about activity on their account.")
        },
        fraud_email: Option<String> { .describe("Where fraud reports are emailed.") },
        fraud_email_enabled: Option<bool> { .describe("Whether fraud reports are emailed.") },
        security_checkup_enabled: Option<bool> {
            .describe("Whether Duo's security checkup is shown.")
        },
        sms_batch: Option<i64> { .describe("How many passcodes an SMS carries.") },
        sms_expiration: Option<i64> {
            .describe("Minutes until SMS passcodes expire; 0 for never.")
        },
        sms_message: Option<String> { .describe("The text sent with SMS passcodes.") },
        sms_refresh: Option<bool> {
            .describe("Whether a new batch of passcodes is sent when the last one is used.")
        },
        telephony_warning_min: Option<i64> {
            .describe("Telephony credits below which admins are warned.")
        },
        unenrolled_user_lockout_threshold: Option<i64> {
            .describe("Days after which unenrolled users are locked out; 0 for never.")
        },
        user_managers_can_put_users_in_bypass: Option<bool> {
            .describe("Whether User Managers may set users to bypass.")
        },
        user_telephony_cost_max: Option<i64> {
            .describe("The most telephony credits one authentication may cost.")
        },
    }
}

pub const RESOURCE: Singleton<SettingsState> = Singleton::new(
    &KIND,
    "settings",
    duo::Singleton::Settings,
    "The Duo account's settings. Manages only the fields set: omitted ones keep Duo's value. \
     Destroying it changes nothing in Duo. \
     Import with the ID `settings`.",
);
