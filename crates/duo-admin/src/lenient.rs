//! Deserializers for Duo's loose typing: booleans as `true`, `1` or `"1"`, strings that may be
//! null, enums whose case varies between responses.

use serde::{Deserialize, Deserializer};

pub fn bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Bool(b) => Some(b),
        serde_json::Value::Number(n) => Some(n.as_i64() != Some(0)),
        serde_json::Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "1" | "true" => Some(true),
            "0" | "false" => Some(false),
            _ => None,
        },
        _ => None,
    })
}

pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => Some(s),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

pub fn lowercase<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(string(d)?.map(|s| s.to_ascii_lowercase()))
}

/// A string where `""` means unset, as Duo answers for fields never set.
pub fn non_empty<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(string(d)?.filter(|s| !s.is_empty()))
}

/// An integer that may arrive as a number or a decimal string.
pub fn int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize)]
    struct T {
        #[serde(default, deserialize_with = "super::bool")]
        b: Option<bool>,
        #[serde(default, deserialize_with = "super::lowercase")]
        s: Option<String>,
    }

    #[test]
    fn booleans_come_in_three_spellings() {
        for (json, want) in [
            (r#"{"b":true}"#, Some(true)),
            (r#"{"b":0}"#, Some(false)),
            (r#"{"b":"1"}"#, Some(true)),
            (r#"{"b":null}"#, None),
            ("{}", None),
        ] {
            let t: Option<T> = serde_json::from_str(json).ok();
            assert_eq!(t.and_then(|t| t.b), want, "{json}");
        }
    }

    #[test]
    fn enum_case_is_normalised() {
        let t: Option<T> = serde_json::from_str(r#"{"s":"Active"}"#).ok();
        assert_eq!(t.and_then(|t| t.s).as_deref(), Some("active"));
    }
}
