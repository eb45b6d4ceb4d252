//! Verifying a request's signature the way Duo does (`duo-admin-api.md` §2.9): v2 canonical
//! form with HMAC-SHA1 or HMAC-SHA512 (told apart by length), v5 with body and `x-duo-*`
//! header hashes, either date header, a clock window, and the host with or without its port.
//!
//! Written independently of the provider's signer: both answer to the published vectors, so a
//! misreading of Duo cannot hide by sitting on both sides of the wire.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha512};

/// Why a request is not authenticated; each maps to Duo's 401 code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthError {
    /// 40101
    MissingCredentials,
    /// 40102
    UnknownIkey,
    /// 40103
    BadSignature,
    /// 40105: no date header, an unparseable one, or one outside the clock window.
    BadDate,
}

impl AuthError {
    pub fn code(self) -> u32 {
        match self {
            AuthError::MissingCredentials => 40101,
            AuthError::UnknownIkey => 40102,
            AuthError::BadSignature => 40103,
            AuthError::BadDate => 40105,
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            AuthError::MissingCredentials => "Missing request credentials",
            AuthError::UnknownIkey => "Invalid integration key in request credentials",
            AuthError::BadSignature => "Invalid signature in request credentials",
            AuthError::BadDate => "Invalid or expired date header in request",
        }
    }
}

/// What is needed to check one request.
pub struct Signed<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub host_header: &'a str,
    pub authorization: Option<&'a str>,
    pub date: Option<&'a str>,
    /// Decoded query parameters.
    pub query: &'a [(String, String)],
    /// Decoded form-body parameters (empty for JSON bodies).
    pub form: &'a [(String, String)],
    pub body: &'a [u8],
    /// Every `x-duo-*` header (name, value).
    pub x_duo: &'a [(String, String)],
    /// The endpoint accepts only v5 signatures (integrations v2/v3, policies v2).
    pub v5_only: bool,
}

/// Checks a request against the one key pair; `now` is Unix seconds.
pub fn verify(
    req: &Signed<'_>,
    ikey: &str,
    skey: &str,
    now: i64,
    window_secs: i64,
) -> Result<(), AuthError> {
    let (got_ikey, sig) =
        parse_authorization(req.authorization).ok_or(AuthError::MissingCredentials)?;
    if got_ikey != ikey {
        return Err(AuthError::UnknownIkey);
    }
    let date = req.date.ok_or(AuthError::BadDate)?;
    let when = parse_rfc2822(date).ok_or(AuthError::BadDate)?;
    if (now - when).abs() > window_secs {
        return Err(AuthError::BadDate);
    }
    let sig = sig.to_ascii_lowercase();
    let host = req.host_header.to_ascii_lowercase();
    let without_port = host
        .rsplit_once(':')
        .filter(|(h, _)| !h.ends_with(']') || h.starts_with('['))
        .map(|(h, _)| h.to_owned());
    let hosts = std::iter::once(host.clone()).chain(without_port);
    let all_params: Vec<(String, String)> = req.query.iter().chain(req.form).cloned().collect();
    for host in hosts {
        let head = [date, &req.method.to_ascii_uppercase(), &host, req.path].join("\n");
        let v2 = format!("{head}\n{}", canon_params(&all_params));
        let ok = match sig.len() {
            40 => !req.v5_only && hmac_hex::<Hmac<Sha1>>(skey, &v2) == sig,
            128 => {
                let v5 = format!(
                    "{head}\n{}\n{}\n{}",
                    canon_params(req.query),
                    hex::encode(Sha512::digest(req.body)),
                    x_duo_hash(req.x_duo)
                );
                (!req.v5_only && hmac_hex::<Hmac<Sha512>>(skey, &v2) == sig)
                    || hmac_hex::<Hmac<Sha512>>(skey, &v5) == sig
            }
            _ => false,
        };
        if ok {
            return Ok(());
        }
    }
    Err(AuthError::BadSignature)
}

/// The integration key a request says it is signed with, before anything is checked.
pub fn ikey_of(authorization: Option<&str>) -> Option<String> {
    parse_authorization(authorization).map(|(ikey, _)| ikey)
}

fn parse_authorization(header: Option<&str>) -> Option<(String, String)> {
    let b64 = header?.strip_prefix("Basic ")?;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (ikey, sig) = text.split_once(':')?;
    Some((ikey.to_owned(), sig.to_owned()))
}

fn pct(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn canon_params(params: &[(String, String)]) -> String {
    let mut pairs: Vec<(String, String)> = params.iter().map(|(k, v)| (pct(k), pct(v))).collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn x_duo_hash(headers: &[(String, String)]) -> String {
    let mut h: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
        .collect();
    h.sort();
    let flat: Vec<&str> = h
        .iter()
        .flat_map(|(k, v)| [k.as_str(), v.as_str()])
        .collect();
    hex::encode(Sha512::digest(flat.join("\0").as_bytes()))
}

fn hmac_hex<M: Mac + hmac::digest::KeyInit>(key: &str, msg: &str) -> String {
    match <M as hmac::digest::KeyInit>::new_from_slice(key.as_bytes()) {
        Ok(mut mac) => {
            mac.update(msg.as_bytes());
            hex::encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

/// Parses an RFC 2822 date (`Tue, 21 Aug 2012 17:29:18 -0000`, `+0000`, `GMT`, any offset)
/// into Unix seconds; dates that do not exist are refused.
pub fn parse_rfc2822(s: &str) -> Option<i64> {
    time::OffsetDateTime::parse(s.trim(), &time::format_description::well_known::Rfc2822)
        .ok()
        .map(time::OffsetDateTime::unix_timestamp)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATE: &str = "Tue, 21 Aug 2012 17:29:18 -0000";
    const IKEY: &str = "DIWJ8X6AEYOR5OMC6TQ1";
    const SKEY: &str = "Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep";

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn now() -> i64 {
        parse_rfc2822(DATE).unwrap_or_default()
    }

    fn auth(sig: &str) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{IKEY}:{sig}"))
        )
    }

    #[test]
    fn dates_in_every_clients_format_parse_to_the_same_instant() {
        let want = Some(1_345_570_158);
        assert_eq!(parse_rfc2822("Tue, 21 Aug 2012 17:29:18 -0000"), want);
        assert_eq!(parse_rfc2822("Tue, 21 Aug 2012 17:29:18 +0000"), want);
        assert_eq!(parse_rfc2822("Tue, 21 Aug 2012 17:29:18 GMT"), want);
        assert_eq!(parse_rfc2822("Tue, 21 Aug 2012 13:29:18 -0400"), want);
        assert_eq!(parse_rfc2822("21 Aug 2012 17:29:18 +0000"), want);
        assert_eq!(parse_rfc2822("yesterday"), None);
        assert_eq!(parse_rfc2822("Fri, 31 Feb 2012 17:29:18 +0000"), None);
        assert_eq!(parse_rfc2822("Tue, 21 Aug 2012 25:29:18 +0000"), None);
    }

    #[test]
    fn the_documented_v2_sha1_request_verifies() {
        let a = auth("2d97d6166319781b5a3a07af39d366f491234edc");
        let form = p(&[("realname", "First Last"), ("username", "root")]);
        let req = Signed {
            method: "POST",
            path: "/accounts/v1/account/list",
            host_header: "api-xxxxxxxx.duosecurity.com",
            authorization: Some(&a),
            date: Some(DATE),
            query: &[],
            form: &form,
            body: b"realname=First+Last&username=root",
            x_duo: &[],
            v5_only: false,
        };
        assert_eq!(verify(&req, IKEY, SKEY, now(), 300), Ok(()));
        assert_eq!(
            verify(&req, IKEY, "wrong", now(), 300),
            Err(AuthError::BadSignature)
        );
        assert_eq!(
            verify(&req, "DIOTHER", SKEY, now(), 300),
            Err(AuthError::UnknownIkey)
        );
        assert_eq!(
            verify(&req, IKEY, SKEY, now() + 301, 300),
            Err(AuthError::BadDate)
        );
    }

    #[test]
    fn a_v5_json_request_with_a_signed_x_duo_date_verifies() {
        let a = auth(
            "5368ce5ea1e0482ee4e5bbe13ba644b88dbece584ae66077abefb3c6776510cb2845f6925169442a6c99c350adc8ee462d4d2daaec05dd0e4ab14dd94c8f5301",
        );
        let headers = p(&[("X-Duo-Date", DATE)]);
        let req = Signed {
            method: "POST",
            path: "/admin/v1/users",
            host_header: "api-XXXXXXXX.duosecurity.com:443",
            authorization: Some(&a),
            date: Some(DATE),
            query: &[],
            form: &[],
            body: br#"{"email":"jsmith@example.com","realname":"Joe Smith","username":"jsmith"}"#,
            x_duo: &headers,
            v5_only: false,
        };
        assert_eq!(verify(&req, IKEY, SKEY, now(), 300), Ok(()));
    }

    #[test]
    fn requests_without_basic_credentials_are_rejected_first() {
        let req = Signed {
            method: "GET",
            path: "/admin/v1/users",
            host_header: "h",
            authorization: Some("Bearer x"),
            date: None,
            query: &[],
            form: &[],
            body: b"",
            x_duo: &[],
            v5_only: false,
        };
        assert_eq!(
            verify(&req, IKEY, SKEY, now(), 300),
            Err(AuthError::MissingCredentials)
        );
    }
}
