//! What may be logged of a request or an answer: bodies appear in TRACE logs with every
//! secret replaced, so that `TF_LOG=TRACE` output can be shared in a bug report.

use serde_json::Value;

/// Parameters and fields whose values are secrets, in requests and in Duo's answers.
const SECRET_KEYS: &[&str] = &[
    "skey",
    "secret",
    "secret_key",
    "aes_key",
    "private_id",
    "codes",
    "password",
    "activation_url",
    "activation_barcode",
];

const REDACTED: &str = "<redacted>";

fn is_secret(key: &str) -> bool {
    SECRET_KEYS.iter().any(|k| key.eq_ignore_ascii_case(k))
}

/// Form or query parameters, `key=value&…`, secrets redacted.
pub fn params(params: &[(String, String)]) -> String {
    params
        .iter()
        .map(|(k, v)| {
            let shown = if is_secret(k) { REDACTED } else { v.as_str() };
            format!("{k}={shown}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// A JSON body, request or answer, with every secret field redacted at any depth. Generating
/// bypass codes answers a bare list of codes, so that route's answer is redacted whole. A
/// body that is not JSON is shown by its length only: it may be anything.
pub fn body(path: &str, bytes: &[u8]) -> String {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(mut v) => {
            if path.ends_with("/bypass_codes")
                && let Some(r) = v.get_mut("response")
            {
                *r = Value::from(REDACTED);
            }
            scrub(&mut v);
            v.to_string()
        }
        Err(_) if bytes.is_empty() => String::new(),
        Err(_) => format!("<{} bytes, not JSON>", bytes.len()),
    }
}

fn scrub(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, field) in map.iter_mut() {
                if is_secret(k) {
                    *field = Value::from(REDACTED);
                } else {
                    scrub(field);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(scrub),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_at_any_depth_and_nothing_else_is() {
        let p = vec![
            ("type".to_owned(), "h6".to_owned()),
            ("secret".to_owned(), "3132".to_owned()),
            ("AES_KEY".to_owned(), "00ff".to_owned()),
        ];
        assert_eq!(params(&p), "type=h6&secret=<redacted>&AES_KEY=<redacted>");
        let answer = br#"{"stat":"OK","response":{"name":"VPN","secret_key":"s3cr3t",
            "users":[{"username":"ann","codes":["123"]}]}}"#;
        let shown = body("/admin/v3/integrations/DI1", answer);
        assert!(
            !shown.contains("s3cr3t") && !shown.contains("123"),
            "{shown}"
        );
        assert!(
            shown.contains(r#""name":"VPN""#) && shown.contains("ann"),
            "{shown}"
        );
        let codes = br#"{"stat":"OK","response":["918273645","123456789"]}"#;
        let shown = body("/admin/v1/users/DU1/bypass_codes", codes);
        assert!(shown.contains(r#""response":"<redacted>""#), "{shown}");
        assert!(!shown.chars().any(|c| c.is_ascii_digit()), "{shown}");
        assert_eq!(body("/x", b"<html>"), "<6 bytes, not JSON>");
    }
}
