//! Duo request signing: the v2 canonical form (HMAC-SHA1 or HMAC-SHA512) for form and query
//! requests, and v5 (body hash and `x-duo-*` header hash, HMAC-SHA512) for JSON requests.
//!
//! Pure functions over strings and bytes, checked against the published vectors in
//! `duo-admin-api.md` §2.8; the HTTP layer only supplies the date and puts the results in
//! headers.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha512};

/// Percent-encodes per RFC 3986 (unreserved kept, uppercase hex), as Duo canonicalizes.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `key=value` pairs, encoded, sorted by key then value, joined with `&`.
pub fn canon_params(params: &[(String, String)]) -> String {
    let mut pairs: Vec<(String, String)> =
        params.iter().map(|(k, v)| (encode(k), encode(v))).collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// Which HMAC a v2 signature uses. Duo accepts both; SHA-512 is what current clients send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Digest2 {
    Sha1,
    Sha512,
}

/// What is being signed.
pub struct Request<'a> {
    pub date: &'a str,
    pub method: &'a str,
    pub host: &'a str,
    pub path: &'a str,
}

/// v2: five lines (date, method, host, path, canonical params).
pub fn sign_v2(
    skey: &str,
    req: &Request<'_>,
    params: &[(String, String)],
    digest: Digest2,
) -> String {
    let canon = [
        req.date.to_owned(),
        req.method.to_ascii_uppercase(),
        req.host.to_ascii_lowercase(),
        req.path.to_owned(),
        canon_params(params),
    ]
    .join("\n");
    match digest {
        Digest2::Sha1 => hmac_hex::<Hmac<Sha1>>(skey, &canon),
        Digest2::Sha512 => hmac_hex::<Hmac<Sha512>>(skey, &canon),
    }
}

/// v5: seven lines (v2's first four, canonical query, SHA-512 of the raw body, SHA-512 of the
/// `x-duo-*` headers).
pub fn sign_v5(
    skey: &str,
    req: &Request<'_>,
    query: &[(String, String)],
    body: &[u8],
    x_duo_headers: &[(String, String)],
) -> String {
    let canon = [
        req.date.to_owned(),
        req.method.to_ascii_uppercase(),
        req.host.to_ascii_lowercase(),
        req.path.to_owned(),
        canon_params(query),
        hex::encode(Sha512::digest(body)),
        headers_hash(x_duo_headers),
    ]
    .join("\n");
    hmac_hex::<Hmac<Sha512>>(skey, &canon)
}

/// SHA-512 of the `x-duo-*` headers: lowercased names, sorted, name and value alternating,
/// joined by NUL.
pub fn headers_hash(headers: &[(String, String)]) -> String {
    let mut h: Vec<(String, &str)> = headers
        .iter()
        .filter(|(k, _)| k.to_ascii_lowercase().starts_with("x-duo"))
        .map(|(k, v)| (k.to_ascii_lowercase(), v.as_str()))
        .collect();
    h.sort();
    let joined = h
        .iter()
        .flat_map(|(k, v)| [k.as_str(), *v])
        .collect::<Vec<_>>()
        .join("\0");
    hex::encode(Sha512::digest(joined.as_bytes()))
}

/// The `Authorization` header value: `Basic base64(ikey:signature)`.
pub fn authorization(ikey: &str, signature: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{ikey}:{signature}"))
    )
}

fn hmac_hex<M: Mac + hmac::digest::KeyInit>(key: &str, msg: &str) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    match <M as hmac::digest::KeyInit>::new_from_slice(key.as_bytes()) {
        Ok(mut mac) => {
            mac.update(msg.as_bytes());
            hex::encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    const DOC_IKEY: &str = "DIWJ8X6AEYOR5OMC6TQ1";
    const DOC_SKEY: &str = "Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep";
    const DOC_DATE: &str = "Tue, 21 Aug 2012 17:29:18 -0000";

    fn doc_req<'a>(method: &'a str, path: &'a str) -> Request<'a> {
        Request {
            date: DOC_DATE,
            method,
            host: "api-XXXXXXXX.duosecurity.com",
            path,
        }
    }

    #[test]
    fn punctuation_canonicalizes_like_duo() {
        let got = canon_params(&p(&[("punctuation", "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")]));
        assert_eq!(
            got,
            "punctuation=%21%22%23%24%25%26%27%28%29%2A%2B%2C-.%2F%3A%3B%3C%3D%3E%3F%40%5B%5C%5D%5E_%60%7B%7C%7D~"
        );
        assert_eq!(
            canon_params(&p(&[("w", "\t\n\x0b\x0c\r ")])),
            "w=%09%0A%0B%0C%0D%20"
        );
    }

    #[test]
    fn params_sort_by_key_then_value() {
        assert_eq!(
            canon_params(&p(&[("foo_bar", "2"), ("foo", "1")])),
            "foo=1&foo_bar=2"
        );
        assert_eq!(
            canon_params(&p(&[
                ("realname", "First Last+Jr~"),
                ("notes", "a/b?c=d&e")
            ])),
            "notes=a%2Fb%3Fc%3Dd%26e&realname=First%20Last%2BJr~"
        );
    }

    #[test]
    fn v2_sha1_doc_vector() {
        let req = doc_req("POST", "/accounts/v1/account/list");
        let sig = sign_v2(
            DOC_SKEY,
            &req,
            &p(&[("realname", "First Last"), ("username", "root")]),
            Digest2::Sha1,
        );
        assert_eq!(sig, "2d97d6166319781b5a3a07af39d366f491234edc");
        assert_eq!(
            authorization(DOC_IKEY, &sig),
            "Basic RElXSjhYNkFFWU9SNU9NQzZUUTE6MmQ5N2Q2MTY2MzE5NzgxYjVhM2EwN2FmMzlkMzY2ZjQ5MTIzNGVkYw=="
        );
        assert_eq!(
            sign_v2(DOC_SKEY, &req, &[], Digest2::Sha1),
            "1f3107d3856797e459d29a440c6e79ead6b7163f"
        );
    }

    #[test]
    fn v2_lowercases_the_host() {
        let params = p(&[("realname", "First Last"), ("username", "root")]);
        let sig = sign_v2(
            DOC_SKEY,
            &doc_req("POST", "/admin/v1/users"),
            &params,
            Digest2::Sha1,
        );
        assert_eq!(sig, "c1ef43767c3eb3b3258dbddca6f8d0941e085b92");
    }

    fn unicode_params() -> Vec<(String, String)> {
        p(&[
            (
                "\u{469a}\u{287b}\u{35d0}\u{8ef3}\u{6727}\u{502a}\u{0810}\u{d091}\u{00c8}\u{c170}",
                "\u{0f45}\u{1a76}\u{341a}\u{654c}\u{c23f}\u{9b09}\u{abe2}\u{8343}\u{1b27}\u{60d0}",
            ),
            (
                "\u{7449}\u{7e4b}\u{ccfb}\u{59ff}\u{fe5f}\u{83b7}\u{adcc}\u{900c}\u{cfd1}\u{7813}",
                "\u{8db7}\u{5022}\u{92d3}\u{42ef}\u{207d}\u{8730}\u{acfe}\u{5617}\u{0946}\u{4e30}",
            ),
            (
                "\u{7470}\u{9314}\u{901c}\u{9eae}\u{40d8}\u{4201}\u{82d8}\u{8c70}\u{1d31}\u{a042}",
                "\u{17d9}\u{0ba8}\u{9358}\u{aadf}\u{a42a}\u{48be}\u{fb96}\u{6fe9}\u{b7ff}\u{32f3}",
            ),
            (
                "\u{c2c5}\u{2c1d}\u{2620}\u{3617}\u{96b3}F\u{8605}\u{20e8}\u{ac21}\u{5934}",
                "\u{fba9}\u{41aa}\u{bd83}\u{840b}\u{2615}\u{3e6e}\u{652d}\u{a8b5}\u{d56b}U",
            ),
        ])
    }

    #[test]
    fn v2_unicode_vectors_from_the_official_clients() {
        let req = Request {
            date: "Fri, 07 Dec 2012 17:18:00 -0000",
            method: "PoSt",
            host: "foO.BAr52.cOm",
            path: "/Foo/BaR2/qux",
        };
        assert_eq!(
            sign_v2(
                "gtdfxv9YgVBYcF6dl2Eq17KUQJN2PLM2ODVTkvoT",
                &req,
                &unicode_params(),
                Digest2::Sha1
            ),
            "f01811cbbf9561623ab45b893096267fd46a5178"
        );
        assert_eq!(
            sign_v2(
                "gtdfxv9YgVBYcF6dl2Eq17KUQJN2PLM2ODVTkvoT",
                &req,
                &unicode_params(),
                Digest2::Sha512
            ),
            "0508065035a03b2a1de2f453e629e791d180329e157f65df6b3e0f08299d4321e1c5c7a7c7ee6b9e5fc80d1fb6fbf3ad5eb7c44dd3b3985a02c37aca53ec3698"
        );
    }

    #[test]
    fn v5_header_hash_vectors() {
        assert_eq!(
            headers_hash(&p(&[("X-Duo-Header-1", "header_value_1")])),
            "630b4bfe7e9abd03da2eee8f0a5d4e60a254ec880a839bcc2223bb5b9443e8ef24d58f0254f1f5934bf8c017ebd0fd5b1acf86766bdbe74185e712a4092df3ed"
        );
        assert_eq!(
            headers_hash(&p(&[
                ("x-duo-A", "header_value_1"),
                ("X-Duo-B", "header_value_2")
            ])),
            "60be11a30e0756f2ee2afdce1db849b987dcf86c1133394bd7bbbc9877920330c4d78aceacbb377ab8cbd9a8efe6a410fed4047376635ac71226ab46ca10d2b1"
        );
    }

    /// The `duo_hmac_python` vectors: x-duo-date is sent and signed.
    #[test]
    fn v5_full_request_vectors() {
        let date = "Fri, 24 May 2024 12:00:00 -0000";
        let skey = "testtesttesttesttesttesttesttesttesttest";
        let check = |method: &str,
                     query: &[(&str, &str)],
                     body: &[u8],
                     extra: &[(&str, &str)],
                     want: &str| {
            let req = Request {
                date,
                method,
                host: "api-xxxxxxxx.duosecurity.com",
                path: "/api/path",
            };
            let mut headers = p(&[("x-duo-date", date)]);
            headers.extend(p(extra));
            let sig = sign_v5(skey, &req, &p(query), body, &headers);
            assert_eq!(
                authorization("DIABCDEFGHIJKLMNOPQR", &sig),
                want,
                "{method} {query:?}"
            );
        };
        check(
            "GET",
            &[],
            b"",
            &[],
            "Basic RElBQkNERUZHSElKS0xNTk9QUVI6YzQ1NDYzOWQ3NWI0ZTNkOTliOGIxZDVlNDFjZDdiYjJkMmQ4YmE1NWY2ODExZjc4NmRmYjBlZGQ0ZmFjZDJmM2E1ZTZkNmM4MzdmMzFmNjgyNjcwNjMyNWI0ZWQ3ZGNkYzVmMTExNjQ5NDhlNTdhNzAzMmE1MjQ5OTBlMDE1ODM=",
        );
        check(
            "POST",
            &[],
            b"{}",
            &[],
            "Basic RElBQkNERUZHSElKS0xNTk9QUVI6MTJhMDVkNzgzYjJlNThlMzZmMzdkZjhhNjkwNzgzNTQ5NmZiZTIwZmIzZDA0YjE1MDM2YzgyYjE2OTRmYzU4ZDFjMDQ1MWI5MzdmYjliYTZlN2MyYjQ0ZDg5YjQ3M2FmNzA4MTY2MTgzZDIxNmFlYTEzZTUyNzQyYTU3ZjIzOWY=",
        );
        check(
            "GET",
            &[("foo", "bar")],
            b"",
            &[],
            "Basic RElBQkNERUZHSElKS0xNTk9QUVI6ODhmZTgwZjNiMjQyYjk5MmY0YjMwMTQwOGQ1MjRhODg2Mjc0ZDNlZDBjNGM3YmQxODRlMWI0ZmYzNzhlNjhlYTA1ZDk0MzNjMDk5MzgwNzhjNDk1MTdhNmM0MjY0Yzk1MGJlOWZmNWNjMjhhZDJkNDQ4Y2VhMjRiYzkzODg3Y2E=",
        );
        check(
            "POST",
            &[],
            br#"{"foo":"bar"}"#,
            &[],
            "Basic RElBQkNERUZHSElKS0xNTk9QUVI6NjQzNzcwYWYzMTAwNmM1ODRhNzU4ZDkyNjI1MGU0NmE5MGQ3OTEwMGQyMWY3YTAzMTNjM2U3N2Q2NGZhM2M1ZDJjOTRlMmM5MDgxYTJiNjUzNDNjYzNkNWYyZWQyMWY3MzAwZWE1MGIwMDY0MGNiMTc2MGYzMjMxOTIzMDdkMzc=",
        );
        let extra = [
            ("x-duo-foo", "bar"),
            ("x-duo-bar", "foo"),
            ("non-duo-bar", "ignored"),
        ];
        check(
            "GET",
            &[("foo", "bar"), ("one", "1"), ("bool", "true")],
            b"",
            &extra,
            "Basic RElBQkNERUZHSElKS0xNTk9QUVI6ZDQ2NTU2NzI2ODAwNDE1ZGM3OGNlZmMzZmI0ZTExZGNmM2VlMTM0MjkwNGYyNzZlZDVjOGUzNDI3ODc4YmQ1Mzc2ZWE2YzU1NTFiOTBiZjcwN2ZhYjUzZjZmMWQyMGExMTQ4OTg4OTg3MDVkMjgyNjg4MjRlZGQwYmU1ZjFkNTM=",
        );
        check(
            "POST",
            &[],
            br#"{"bool":"true","foo":"bar","one":"1"}"#,
            &extra,
            "Basic RElBQkNERUZHSElKS0xNTk9QUVI6ZGVmN2I3MzU5YjAzOTk1NDNiNjFkM2QxYTQyNTJjMTkwOGViNDg2MDM5MTY4YWE3ZDFjOTM1NDVmMDUyZTEyMTA2MmU0ZDBkM2NhZTgwZjBmMTI1ZGM0OTdjNDNjNTNiNjJjOWRiNThjYWNkMjEzOTRhM2IxN2FkOTcyZTM3OTM=",
        );
    }

    #[test]
    fn project_vectors_for_admin_users() {
        let q = p(&[
            ("username", "jsmith@example.com"),
            ("limit", "100"),
            ("offset", "0"),
        ]);
        let req = doc_req("GET", "/admin/v1/users");
        assert_eq!(
            sign_v2(DOC_SKEY, &req, &q, Digest2::Sha1),
            "111eb9c47a871d64320a6de8fbb949634d684254"
        );
        assert_eq!(
            sign_v2(DOC_SKEY, &req, &q, Digest2::Sha512),
            "5ecff8df3ec8f56de3acad94349d137f95cc08b0b9770a847da629840c30662acc95177ba07fb23175b78ebe18cb5965c134620b2a21477d588e7270dc454804"
        );
        assert_eq!(
            sign_v5(DOC_SKEY, &req, &q, b"", &[]),
            "5359fc65a5a3d55bb461ec4c8b7110ddd967b880544be1a56f9ddce6fdfe8fd845feb9068bc7e72a41bf74ad1a5d464fc2cf503f0483d7057c5f91aaa68f1c11"
        );
        let body = br#"{"email":"jsmith@example.com","realname":"Joe Smith","username":"jsmith"}"#;
        let post = doc_req("POST", "/admin/v1/users");
        assert_eq!(
            sign_v5(DOC_SKEY, &post, &[], body, &[]),
            "bace185e1b120888278a2004b607b0d990a1b40e4381de9995d8649e900fed0bfa754e7538bb23f6c2716f9099b666aed8b81e18823fa209dd7e5b2d8622205f"
        );
        assert_eq!(
            sign_v5(DOC_SKEY, &post, &[], body, &p(&[("X-Duo-Date", DOC_DATE)])),
            "5368ce5ea1e0482ee4e5bbe13ba644b88dbece584ae66077abefb3c6776510cb2845f6925169442a6c99c350adc8ee462d4d2daaec05dd0e4ab14dd94c8f5301"
        );
    }
}
