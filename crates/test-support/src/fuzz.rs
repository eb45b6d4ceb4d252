//! What each fuzz target does with its bytes, shared by the cargo-fuzz targets in
//! `fuzz/fuzz_targets/` (coverage-guided, nightly) and the bounded run in `tests/fuzz.rs` (stable,
//! part of every test run). A target may refuse input with an error; it must never panic,
//! and what it accepts must survive its own round trip.

use std::sync::Arc;

use terraform_provider_duo::duo;
use terraform_provider_duo::plugin::{self, Type};

/// The types a Terraform value can take here: scalars, collections, nested objects, dynamic,
/// and the schema of a real resource.
fn types() -> Vec<Type> {
    let object = Type::Object(
        [
            ("a".to_owned(), Type::String),
            ("b".to_owned(), Type::List(Box::new(Type::Number))),
            ("c".to_owned(), Type::Dynamic),
            (
                "d".to_owned(),
                Type::Set(Box::new(Type::Map(Box::new(Type::Bool)))),
            ),
        ]
        .into(),
    );
    let resource = terraform_provider_duo::resources::all()
        .first()
        .map_or(Type::Dynamic, |r| r.schema().object_type());
    vec![
        Type::String,
        Type::Number,
        Type::Bool,
        Type::Dynamic,
        Type::List(Box::new(Type::String)),
        Type::Set(Box::new(Type::Number)),
        Type::Map(Box::new(Type::Dynamic)),
        object,
        resource,
    ]
}

/// Terraform's msgpack and JSON value encodings: decoding never panics, and a decoded value
/// encodes and decodes back to itself.
pub fn value_codec(data: &[u8]) {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let types = types();
    let ty = &types[usize::from(pick) % types.len()];
    if let Ok(v) = plugin::from_msgpack(bytes, ty) {
        let again = plugin::from_msgpack(&plugin::to_msgpack(&v, ty), ty);
        assert_eq!(
            again.as_ref().ok(),
            Some(&v),
            "msgpack round trip of {v:?} as {ty:?}"
        );
    }
    if let Ok(json) = serde_json::from_slice::<serde_json::Value>(bytes) {
        let _ = plugin::from_json(&json, ty);
    }
}

/// What the Duo client makes of an HTTP answer: any status and body gives a value or an
/// error, for every object type the provider reads.
pub fn duo_response(data: &[u8]) {
    let Some((status, body)) = data.split_first_chunk::<2>() else {
        return;
    };
    let status = 100 + u16::from_be_bytes(*status) % 500;
    let path = "/admin/v1/fuzz";
    let _ = duo::parse_response::<Vec<duo::User>>("GET", path, status, body);
    let _ = duo::parse_response::<duo::Group>("GET", path, status, body);
    let _ = duo::parse_response::<Vec<duo::Phone>>("GET", path, status, body);
    let _ = duo::parse_response::<duo::Token>("GET", path, status, body);
    let _ = duo::parse_response::<Vec<duo::Admin>>("GET", path, status, body);
    let _ = duo::parse_response::<duo::Integration>("GET", path, status, body);
    let _ = duo::parse_response::<Vec<duo::Policy>>("GET", path, status, body);
    let _ = duo::parse_response::<duo::AdminUnit>("GET", path, status, body);
    let _ = duo::parse_response::<Vec<duo::BypassCode>>("GET", path, status, body);
    let _ = duo::parse_response::<Vec<duo::Member>>("GET", path, status, body);
    if let Err(e) = duo::parse_response::<serde_json::Value>("GET", path, status, body) {
        let _ = e.to_string();
    }
}

/// Every route the emulator serves; `{a}` and `{b}` take IDs or hostile text from the input.
const ROUTES: &[&str] = &[
    "/admin/v1/groups",
    "/admin/v1/groups/{a}",
    "/admin/v2/groups/{a}",
    "/admin/v2/groups/{a}/users",
    "/admin/v1/users",
    "/admin/v1/users/{a}",
    "/admin/v1/users/{a}/groups",
    "/admin/v1/users/{a}/groups/{b}",
    "/admin/v1/users/{a}/phones",
    "/admin/v1/users/{a}/phones/{b}",
    "/admin/v1/users/{a}/tokens",
    "/admin/v1/users/{a}/tokens/{b}",
    "/admin/v1/users/{a}/bypass_codes",
    "/admin/v1/users/bulk_create",
    "/admin/v1/bulk",
    "/admin/v1/phones",
    "/admin/v1/phones/{a}",
    "/admin/v1/tokens",
    "/admin/v1/tokens/{a}",
    "/admin/v1/bypass_codes",
    "/admin/v1/bypass_codes/{a}",
    "/admin/v3/integrations",
    "/admin/v3/integrations/{a}",
    "/admin/v1/integrations/{a}/skey",
    "/admin/v1/admins",
    "/admin/v1/admins/{a}",
    "/admin/v1/admins/allowed_auth_methods",
    "/admin/v1/administrative_units",
    "/admin/v1/administrative_units/{a}",
    "/admin/v1/administrative_units/{a}/groups/{b}",
    "/admin/v1/settings",
    "/admin/v1/info/summary",
    "/admin/v2/policies",
    "/admin/v2/policies/{a}",
    "/admin/v2/policies/summary",
    "/admin/v2/policies/calculate",
    "/_emulator/faults",
    "/{a}",
];

const METHODS: &[&[u8]] = &[
    b"GET", b"POST", b"PUT", b"DELETE", b"PATCH", b"HEAD", b"BREW",
];

/// One emulator, kept between inputs so that what one request does to the tenant the next can
/// trip over; seeded with one object of each kind whose IDs inputs can name.
pub struct Emulator {
    state: Arc<duo_emulator::AppState>,
    ids: Vec<String>,
    runtime: tokio::runtime::Runtime,
}

impl Default for Emulator {
    fn default() -> Emulator {
        let mut tenant = duo_emulator::Tenant::default();
        let spec = "users=3,groups=2,memberships=3,phones=2,tokens=2,bypass_codes=1,integrations=1,policies=1,admins=1,admin_units=1";
        if let Ok(spec) = spec.parse::<duo_emulator::Spec>() {
            let _ = duo_emulator::generate(&mut tenant, &spec);
        }
        let state = duo_emulator::AppState::new(duo_emulator::Options::default(), tenant);
        let snapshot = state.snapshot();
        let mut ids = Vec::new();
        for (kind, key) in [
            ("users", "user_id"),
            ("groups", "group_id"),
            ("phones", "phone_id"),
            ("tokens", "token_id"),
            ("integrations", "integration_key"),
            ("admins", "admin_id"),
            ("policies", "policy_key"),
            ("admin_units", "admin_unit_id"),
            ("bypass_codes", "bypass_code_id"),
        ] {
            for o in snapshot[kind].as_array().into_iter().flatten() {
                if let Some(id) = o[key].as_str() {
                    ids.push(id.to_owned());
                }
            }
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap_or_else(|e| panic!("a runtime for the emulator: {e}"));
        Emulator {
            state,
            ids,
            runtime,
        }
    }
}

impl Emulator {
    /// A request built from the input: a method, a route with IDs or hostile text, parameters
    /// as a form, a query or a JSON body, correctly signed so that it reaches the handlers (or,
    /// for some inputs, deliberately not). The emulator must answer Duo-style, never panic, and
    /// keep a tenant it can still show.
    pub fn request(&self, data: &[u8]) {
        let mut parts = data.split(|b| *b == 0xff);
        let head = parts.next().unwrap_or_default();
        let pick = |i: usize| head.get(i).copied().unwrap_or(0) as usize;
        let method = METHODS[pick(0) % METHODS.len()];
        let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
        let slot = |n: usize, bytes: Option<&[u8]>| match bytes {
            Some(b) if !b.is_empty() && pick(n) % 4 == 0 => text(b),
            _ => self
                .ids
                .get(pick(n) % self.ids.len().max(1))
                .cloned()
                .unwrap_or_default(),
        };
        let route = ROUTES[pick(1) % ROUTES.len()];
        let (a, b) = (slot(2, parts.next()), slot(3, parts.next()));
        let path = route
            .replace("{a}", &duo::sign::encode(&a))
            .replace("{b}", &duo::sign::encode(&b));
        let params: Vec<(String, String)> = parts
            .collect::<Vec<_>>()
            .chunks(2)
            .map(|kv| (text(kv[0]), kv.get(1).map(|v| text(v)).unwrap_or_default()))
            .collect();
        let mode = pick(4) % 5;
        let encoded = params
            .iter()
            .map(|(k, v)| format!("{}={}", duo::sign::encode(k), duo::sign::encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let json: serde_json::Map<String, serde_json::Value> = params
            .iter()
            .map(|(k, v)| {
                let value = serde_json::from_str(v).unwrap_or_else(|_| v.clone().into());
                (k.clone(), value)
            })
            .collect();
        let (target, content_type, body, signed_query) = match mode {
            // Parameters in the query, as GET and DELETE send them.
            0 => (
                format!("{path}?{encoded}"),
                None,
                Vec::new(),
                params.clone(),
            ),
            // A form body, as POST sends it.
            1 => (
                path.clone(),
                Some("application/x-www-form-urlencoded"),
                encoded.into_bytes(),
                params.clone(),
            ),
            // A JSON body, as the v5 endpoints take.
            2 => (
                path.clone(),
                Some("application/json"),
                serde_json::Value::Object(json).to_string().into_bytes(),
                Vec::new(),
            ),
            // The raw input as a body of either kind, signed as if empty.
            3 => (
                path.clone(),
                Some("application/json"),
                data.to_vec(),
                Vec::new(),
            ),
            _ => (
                path.clone(),
                Some("application/x-www-form-urlencoded"),
                data.to_vec(),
                Vec::new(),
            ),
        };
        let date = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc2822)
            .unwrap_or_default();
        let method_text = String::from_utf8_lossy(method).into_owned();
        let req = duo::sign::Request {
            date: &date,
            method: &method_text,
            host: "127.0.0.1",
            path: &path,
        };
        let body_hashed: &[u8] = if content_type == Some("application/json") {
            &body
        } else {
            b""
        };
        let signature = duo::sign::sign_v5(
            duo_emulator::DEMO_SKEY,
            &req,
            &signed_query,
            body_hashed,
            &[],
        );
        let mut headers = vec![
            ("host".to_owned(), "127.0.0.1".to_owned()),
            ("date".to_owned(), date.clone()),
            (
                "authorization".to_owned(),
                duo::sign::authorization(duo_emulator::DEMO_IKEY, &signature),
            ),
        ];
        if let Some(ct) = content_type {
            headers.push(("content-type".to_owned(), ct.to_owned()));
        }
        let answer = self.runtime.block_on(duo_emulator::answer(
            self.state.clone(),
            method,
            &target,
            &headers,
            body,
        ));
        if let Some((status, body)) = answer {
            assert!(
                matches!(status, 200 | 400 | 401 | 403 | 404 | 405 | 429),
                "{method_text} {target}: HTTP {status}: {}",
                String::from_utf8_lossy(&body)
            );
            if !target.starts_with("/_emulator/") {
                let reply: serde_json::Value = serde_json::from_slice(&body)
                    .unwrap_or_else(|e| panic!("{method_text} {target}: not JSON ({e})"));
                assert!(
                    reply["stat"] == "OK" || reply["stat"] == "FAIL",
                    "{method_text} {target}: {reply}"
                );
            }
        }
        assert!(
            self.state.mutate(|_| ()).is_some(),
            "the tenant is poisoned after {method_text} {target}"
        );
    }

    /// Whether the tenant, after everything sent, can still be shown whole.
    pub fn tenant_intact(&self) -> bool {
        self.state.snapshot().is_object()
    }
}
