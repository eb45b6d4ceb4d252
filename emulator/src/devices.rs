//! Phones, hardware tokens and bypass codes, and their links to users (`duo-admin-api.md`
//! §6.3–6.5): Duo's normalisation of numbers, Title Case answers, token types that cannot be
//! created, codes that are shown once, and the caps.

use rand::Rng;
use serde_json::{Value, json};

use crate::api::{ApiError, Params, Reply, Result, Route, now, page, page_of, param};
use crate::store::{self, BypassCode, Phone, Tenant, Token};

/// Duo keeps at most this many bypass codes per user, and generates at most 10 per call.
const MAX_BYPASS_CODES: usize = 100;
const MAX_GENERATED: i64 = 10;

pub const PHONE_TYPES: &[&str] = &["unknown", "mobile", "landline"];
pub const PLATFORMS: &[&str] = &[
    "unknown",
    "google android",
    "apple ios",
    "windows phone 7",
    "windows phone",
    "rim blackberry",
    "java j2me",
    "palm webos",
    "symbian os",
    "windows mobile",
    "generic smartphone",
];

/// Answers the routes of this module (`api::handle` sends only these here).
pub fn handle(t: &mut Tenant, route: &Route, p: &Params) -> Result<Reply> {
    match route {
        Route::ListPhones => list_phones(t, p),
        Route::CreatePhone => {
            let mut phone = Phone {
                phone_id: store::new_id("DP"),
                kind: "unknown".into(),
                platform: "unknown".into(),
                ..Phone::default()
            };
            apply_phone_params(&mut phone, p).map(|()| {
                let json = t.phone_json(&phone, true);
                t.phones.insert(phone.phone_id.clone(), phone);
                Reply::of(json)
            })
        }
        Route::GetPhone(id) => t
            .phones
            .get(id)
            .map(|ph| Reply::of(t.phone_json(ph, true)))
            .ok_or_else(ApiError::not_found),
        Route::ModifyPhone(id) => match t.phones.get(id).cloned() {
            Some(mut phone) => apply_phone_params(&mut phone, p).map(|()| {
                let json = t.phone_json(&phone, true);
                t.phones.insert(phone.phone_id.clone(), phone);
                Reply::of(json)
            }),
            None => Err(ApiError::not_found()),
        },
        Route::DeletePhone(id) => {
            t.phones.remove(id);
            t.users
                .values_mut()
                .for_each(|u| u.phones.retain(|x| x != id));
            Ok(Reply::of(json!("")))
        }
        Route::UserPhones(uid) => match t.users.get(uid) {
            Some(u) => {
                let rows = u
                    .phones
                    .iter()
                    .filter_map(|id| t.phones.get(id))
                    .map(|ph| t.phone_json(ph, false))
                    .collect();
                page(rows, p, 100, 500)
            }
            None => Err(ApiError::not_found()),
        },
        Route::AddUserPhone(uid) => link(
            t,
            uid,
            p,
            "phone_id",
            |t, id| t.phones.contains_key(id),
            |u| &mut u.phones,
        ),
        Route::RemoveUserPhone(uid, id) => unlink(t, uid, id, |u| &mut u.phones),
        Route::ListTokens => {
            let mut tokens: Vec<&Token> = t.tokens.values().collect();
            match (param(p, "type"), param(p, "serial")) {
                (Some(kind), Some(serial)) => {
                    tokens.retain(|k| k.kind == kind && k.serial == serial)
                }
                (None, None) => {}
                (None, _) => return Err(ApiError::missing("type")),
                (_, None) => return Err(ApiError::missing("serial")),
            }
            page_of(tokens, p, 100, 500, |k| t.token_json(k, true))
        }
        Route::CreateToken => create_token(t, p),
        Route::GetToken(id) => t
            .tokens
            .get(id)
            .map(|k| Reply::of(t.token_json(k, true)))
            .ok_or_else(ApiError::not_found),
        Route::ModifyToken(id) => {
            let step = match param(p, "totp_step").map(str::parse::<i64>) {
                Some(Ok(s)) if s > 0 => Some(s),
                Some(_) => return Err(ApiError::invalid("totp_step")),
                None => None,
            };
            match t.tokens.get_mut(id) {
                Some(k) if k.kind.starts_with('t') => {
                    if let Some(s) = step {
                        k.totp_step = Some(s);
                    }
                    let k = k.clone();
                    Ok(Reply::of(t.token_json(&k, true)))
                }
                Some(_) => Err(ApiError::invalid("totp_step")),
                None => Err(ApiError::not_found()),
            }
        }
        Route::DeleteToken(id) => {
            t.tokens.remove(id);
            t.users
                .values_mut()
                .for_each(|u| u.tokens.retain(|x| x != id));
            Ok(Reply::of(json!("")))
        }
        Route::UserTokens(uid) => match t.users.get(uid) {
            Some(u) => {
                let rows = u
                    .tokens
                    .iter()
                    .filter_map(|id| t.tokens.get(id))
                    .map(|k| t.token_json(k, false))
                    .collect();
                page(rows, p, 100, 500)
            }
            None => Err(ApiError::not_found()),
        },
        Route::AddUserToken(uid) => link(
            t,
            uid,
            p,
            "token_id",
            |t, id| t.tokens.contains_key(id),
            |u| &mut u.tokens,
        ),
        Route::RemoveUserToken(uid, id) => unlink(t, uid, id, |u| &mut u.tokens),
        Route::CreateBypassCodes(uid) => create_bypass_codes(t, uid, p),
        Route::UserBypassCodes(uid) => {
            if !t.users.contains_key(uid) {
                return Err(ApiError::not_found());
            }
            let rows = t
                .bypass_codes
                .values()
                .filter(|b| &b.user_id == uid)
                .map(|b| bypass_json(t, b))
                .collect();
            page(rows, p, 100, 500)
        }
        Route::ListBypassCodes => {
            let rows = t.bypass_codes.values().map(|b| bypass_json(t, b)).collect();
            page(rows, p, 100, 500)
        }
        Route::GetBypassCode(id) => t
            .bypass_codes
            .get(id)
            .map(|b| Reply::of(bypass_json(t, b)))
            .ok_or_else(ApiError::not_found),
        Route::DeleteBypassCode(id) => {
            t.bypass_codes.remove(id);
            Ok(Reply::of(json!("")))
        }
        _ => Err(ApiError::not_found()),
    }
}

fn list_phones(t: &Tenant, p: &Params) -> Result<Reply> {
    let mut phones: Vec<&Phone> = t.phones.values().collect();
    if let Some(number) = param(p, "number") {
        let wanted = normalize_number(number).ok_or_else(|| ApiError::invalid("number"))?;
        phones.retain(|ph| ph.number == wanted);
    }
    if let Some(ext) = param(p, "extension") {
        phones.retain(|ph| ph.extension == ext);
    }
    page_of(phones, p, 100, 500, |ph| t.phone_json(ph, true))
}

/// Duo's reading of a phone number: dashes, spaces, dots and parentheses ignored, `+1`
/// assumed without a leading `+`. `None` for anything else.
pub fn normalize_number(raw: &str) -> Option<String> {
    let kept: String = raw
        .chars()
        .filter(|c| !matches!(c, '-' | ' ' | '.' | '(' | ')'))
        .collect();
    let (plus, digits) = match kept.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, kept.as_str()),
    };
    if digits.is_empty() || digits.len() > 15 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(if plus {
        format!("+{digits}")
    } else {
        format!("+1{digits}")
    })
}

fn apply_phone_params(ph: &mut Phone, p: &Params) -> Result<()> {
    if let Some(number) = param(p, "number") {
        ph.number = if number.is_empty() {
            String::new()
        } else {
            normalize_number(number).ok_or_else(|| ApiError::invalid("number"))?
        };
    }
    if let Some(v) = param(p, "extension") {
        ph.extension = v.to_owned();
    }
    if let Some(v) = param(p, "name") {
        ph.name = v.to_owned();
    }
    if let Some(v) = param(p, "type") {
        let v = v.to_ascii_lowercase();
        if !PHONE_TYPES.contains(&v.as_str()) {
            return Err(ApiError::invalid("type"));
        }
        ph.kind = v;
    }
    if let Some(v) = param(p, "platform") {
        let v = v.to_ascii_lowercase();
        if !PLATFORMS.contains(&v.as_str()) {
            return Err(ApiError::invalid("platform"));
        }
        ph.platform = if v == "windows phone" {
            "windows phone 7".into()
        } else {
            v
        };
    }
    for (key, field) in [
        ("predelay", &mut ph.predelay),
        ("postdelay", &mut ph.postdelay),
    ] {
        if let Some(v) = param(p, key) {
            *field = match v.parse::<i64>() {
                Ok(n) if n >= 0 => Some(n),
                _ if v.is_empty() => None,
                _ => return Err(ApiError::invalid(key)),
            };
        }
    }
    Ok(())
}

fn create_token(t: &mut Tenant, p: &Params) -> Result<Reply> {
    let kind = param(p, "type")
        .ok_or_else(|| ApiError::missing("type"))?
        .to_owned();
    let serial = param(p, "serial")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::missing("serial"))?
        .to_owned();
    if !["h6", "h8", "t6", "t8", "yk"].contains(&kind.as_str()) {
        // d1 (Duo-D100) tokens are imported by Duo on purchase; nothing else exists.
        return Err(ApiError::invalid("type"));
    }
    if serial.len() > 128 {
        return Err(ApiError::invalid("serial"));
    }
    if t.tokens
        .values()
        .any(|k| k.kind == kind && k.serial == serial)
    {
        return Err(ApiError::new(
            40002,
            "Invalid request parameters: a token with this type and serial exists",
            Some("serial"),
        ));
    }
    let secret = if kind == "yk" {
        let private_id = param(p, "private_id").ok_or_else(|| ApiError::missing("private_id"))?;
        let aes_key = param(p, "aes_key").ok_or_else(|| ApiError::missing("aes_key"))?;
        if private_id.len() != 12 {
            return Err(ApiError::invalid("private_id"));
        }
        if aes_key.len() != 32 {
            return Err(ApiError::invalid("aes_key"));
        }
        format!("{private_id}:{aes_key}")
    } else {
        let secret = param(p, "secret").ok_or_else(|| ApiError::missing("secret"))?;
        if secret.is_empty() || !secret.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(ApiError::invalid("secret"));
        }
        secret.to_owned()
    };
    let totp_step = if kind.starts_with('t') {
        match param(p, "totp_step").map(str::parse::<i64>) {
            None => Some(30),
            Some(Ok(s)) if s > 0 => Some(s),
            Some(_) => return Err(ApiError::invalid("totp_step")),
        }
    } else {
        None
    };
    let token = Token {
        token_id: store::new_id("DH"),
        kind,
        serial,
        totp_step,
        secret,
    };
    let json = t.token_json(&token, true);
    t.tokens.insert(token.token_id.clone(), token);
    Ok(Reply::of(json))
}

fn link(
    t: &mut Tenant,
    uid: &str,
    p: &Params,
    key: &str,
    exists: impl Fn(&Tenant, &str) -> bool,
    links: impl Fn(&mut store::User) -> &mut Vec<String>,
) -> Result<Reply> {
    let id = param(p, key)
        .ok_or_else(|| ApiError::missing(key))?
        .to_owned();
    if !exists(t, &id) {
        return Err(ApiError::invalid(key));
    }
    let u = t.users.get_mut(uid).ok_or_else(ApiError::not_found)?;
    let l = links(u);
    if !l.contains(&id) {
        l.push(id);
    }
    Ok(Reply::of(json!("")))
}

fn unlink(
    t: &mut Tenant,
    uid: &str,
    id: &str,
    links: impl Fn(&mut store::User) -> &mut Vec<String>,
) -> Result<Reply> {
    let u = t.users.get_mut(uid).ok_or_else(ApiError::not_found)?;
    links(u).retain(|x| x != id);
    Ok(Reply::of(json!("")))
}

fn create_bypass_codes(t: &mut Tenant, uid: &str, p: &Params) -> Result<Reply> {
    if !t.users.contains_key(uid) {
        return Err(ApiError::not_found());
    }
    let number = |key: &str, default: i64| -> Result<i64> {
        param(p, key).map_or(Ok(default), |v| {
            v.parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| ApiError::invalid(key))
        })
    };
    let codes: Vec<String> = match (param(p, "codes"), param(p, "count")) {
        (Some(_), Some(_)) => return Err(ApiError::invalid("count")),
        (Some(csv), None) => {
            let codes: Vec<String> = csv.split(',').map(|c| c.trim().to_owned()).collect();
            if codes
                .iter()
                .any(|c| c.is_empty() || !c.chars().all(|ch| ch.is_ascii_digit()) || c.len() > 20)
            {
                return Err(ApiError::invalid("codes"));
            }
            codes
        }
        (None, _) => {
            let count = number("count", 10)?;
            if !(1..=MAX_GENERATED).contains(&count) {
                return Err(ApiError::invalid("count"));
            }
            let mut rng = rand::rng();
            (0..count)
                .map(|_| format!("{:09}", rng.random_range(0..1_000_000_000u32)))
                .collect()
        }
    };
    let reuse_count = number("reuse_count", 1)?;
    let valid_secs = number("valid_secs", 0)?;
    let preserve = matches!(
        param(p, "preserve_existing")
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("true" | "1")
    );
    if !preserve {
        t.bypass_codes.retain(|_, b| b.user_id != uid);
    }
    let existing = t.bypass_codes.values().filter(|b| b.user_id == uid).count();
    if existing + codes.len() > MAX_BYPASS_CODES {
        return Err(ApiError::new(
            40002,
            "A user may have at most 100 bypass codes",
            Some("count"),
        ));
    }
    let created = now();
    for code in &codes {
        let b = BypassCode {
            bypass_code_id: store::new_id("DB"),
            user_id: uid.to_owned(),
            code: code.clone(),
            created,
            expiration: (valid_secs > 0).then_some(created + valid_secs),
            reuse_count: (reuse_count > 0).then_some(reuse_count),
        };
        t.bypass_codes.insert(b.bypass_code_id.clone(), b);
    }
    Ok(Reply::of(Value::from(codes)))
}

fn bypass_json(t: &Tenant, b: &BypassCode) -> Value {
    let user = t
        .users
        .get(&b.user_id)
        .map(|u| json!({"user_id": u.user_id, "username": u.username}));
    json!({
        "bypass_code_id": b.bypass_code_id,
        "admin_email": "",
        "created": b.created,
        "expiration": b.expiration,
        "reuse_count": b.reuse_count,
        "user": user,
    })
}

#[cfg(test)]
mod tests {
    use super::normalize_number;

    #[test]
    fn numbers_are_normalised_like_duo() {
        assert_eq!(
            normalize_number("555-555-0100").as_deref(),
            Some("+15555550100")
        );
        assert_eq!(
            normalize_number("+44 20 7946 0958").as_deref(),
            Some("+442079460958")
        );
        assert_eq!(
            normalize_number("(555) 555.0100").as_deref(),
            Some("+15555550100")
        );
        assert_eq!(normalize_number("call me"), None);
    }
}
