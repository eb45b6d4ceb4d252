//! The account as a whole: settings and administrators' authentication methods (Duo's defaults,
//! typed and range-checked updates that keep only what differs), account information and the
//! billing edition.

use serde_json::{Value, json};

use crate::api::{ApiError, Params, Reply, Result, Route, flag};
use crate::store::Tenant;

/// Duo's account settings defaults (`duo-admin-api.md` §6.9), as the settings endpoint answers.
pub fn default_settings() -> serde_json::Map<String, Value> {
    let v = json!({
        "caller_id": "", "email_activity_notification_enabled": false, "enrollment_universal_prompt_enabled": true,
        "fraud_email": "", "fraud_email_enabled": false, "helpdesk_bypass": "allow", "helpdesk_bypass_expiration": 0,
        "helpdesk_can_send_enroll_email": false, "helpdesk_message": "", "inactive_user_expiration": 0,
        "keypress_confirm": "#", "keypress_fraud": "0", "language": "EN", "lockout_expire_duration": 0,
        "lockout_threshold": 10, "log_retention_days": 0, "minimum_password_length": 12, "name": "Emulated account",
        "password_requires_lower_alpha": false, "password_requires_numeric": false, "password_requires_special": false,
        "password_requires_upper_alpha": false, "push_activity_notification_enabled": false, "security_checkup_enabled": true,
        "sms_batch": 1, "sms_expiration": 0, "sms_message": "", "sms_refresh": false, "telephony_warning_min": 0,
        "timezone": "UTC", "unenrolled_user_lockout_threshold": 0, "user_managers_can_put_users_in_bypass": true,
        "user_telephony_cost_max": 20
    });
    v.as_object().cloned().unwrap_or_default()
}

pub fn default_allowed_auth_methods() -> serde_json::Map<String, Value> {
    let v = json!({
        "push_enabled": true, "sms_enabled": true, "voice_enabled": true, "mobile_otp_enabled": true,
        "yubikey_enabled": true, "hardware_token_enabled": true, "verified_push_enabled": false,
        "verified_push_length": 3, "webauthn_enabled": true
    });
    v.as_object().cloned().unwrap_or_default()
}

/// Merges `p` into a settings object shaped like `defaults`, typing each value like its default
/// and applying Duo's documented ranges.
fn set_fields(
    stored: &mut serde_json::Map<String, Value>,
    defaults: &serde_json::Map<String, Value>,
    p: &Params,
) -> Result<Value> {
    if p.is_empty() {
        return Err(ApiError::missing("settings"));
    }
    let mut merged = defaults.clone();
    merged.extend(stored.clone());
    for (k, raw) in p {
        let Some(default) = defaults.get(k) else {
            continue;
        };
        let value = match default {
            Value::Bool(_) => Value::Bool(flag(p, k)?.ok_or_else(|| ApiError::invalid(k))?),
            Value::Number(_) => Value::from(raw.parse::<i64>().map_err(|_| ApiError::invalid(k))?),
            _ => Value::from(raw.clone()),
        };
        let ok = match (k.as_str(), &value) {
            ("language", Value::String(s)) => ["EN", "DE", "FR"].contains(&s.as_str()),
            ("helpdesk_bypass", Value::String(s)) => {
                ["allow", "limit", "deny"].contains(&s.as_str())
            }
            ("inactive_user_expiration", Value::Number(n)) => n
                .as_i64()
                .is_some_and(|d| d == 0 || (30..=365).contains(&d)),
            ("lockout_expire_duration", Value::Number(n)) => n
                .as_i64()
                .is_some_and(|d| d == 0 || (5..=30000).contains(&d)),
            ("verified_push_length", Value::Number(n)) => {
                n.as_i64().is_some_and(|d| (3..=6).contains(&d))
            }
            _ => true,
        };
        if !ok {
            return Err(ApiError::invalid(k));
        }
        merged.insert(k.clone(), value);
    }
    *stored = merged.clone();
    Ok(Value::Object(merged))
}

fn current(
    stored: &serde_json::Map<String, Value>,
    defaults: serde_json::Map<String, Value>,
) -> Value {
    let mut merged = defaults;
    merged.extend(stored.clone());
    Value::Object(merged)
}

/// Settings, admin authentication methods and account information.
pub fn handle(t: &mut Tenant, route: &Route, p: &Params) -> Result<Reply> {
    match route {
        Route::GetSettings => Ok(Reply::of(current(&t.settings, default_settings()))),
        Route::SetSettings => set_fields(&mut t.settings, &default_settings(), p).map(Reply::of),
        Route::GetAllowedAuthMethods => Ok(Reply::of(current(
            &t.allowed_auth_methods,
            default_allowed_auth_methods(),
        ))),
        Route::SetAllowedAuthMethods => set_fields(
            &mut t.allowed_auth_methods,
            &default_allowed_auth_methods(),
            p,
        )
        .map(Reply::of),
        Route::InfoSummary => Ok(Reply::of(json!({
            "admin_count": t.admins.len(),
            "integration_count": t.integrations.len(),
            "user_count": t.users.len(),
            "user_pending_deletion_count": t.users.values().filter(|u| u.status == "pending deletion").count(),
            "telephony_credits_remaining": t.credits(),
        }))),
        Route::BillingEdition => Ok(Reply::of(json!({"edition": t.edition()}))),
        Route::TelephonyCredits => Ok(Reply::of(json!({"credits": t.credits()}))),
        _ => Err(ApiError::not_found()),
    }
}
