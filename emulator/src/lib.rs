//! `duo-emulator`: a local, faithful Duo Admin API server for the quickstart, the acceptance
//! tests and users' own CI.
//!
//! It verifies every signature as Duo does, answers with Duo's envelope and error codes, pages
//! like Duo, applies Duo's caps and documented quirks, and can throttle (`--rate-limits duo`)
//! and fail on purpose (`--faults`). It shares no code with the provider's Duo client: both
//! answer to the published signing vectors instead.
//!
//! # Layout
//! - `auth`: signature verification (v2 and v5, the clock window).
//! - `api`: routing, parameters, paging, and groups and users with their memberships; it hands
//!   each other type to its own file: `devices` (phones, hardware tokens, bypass codes),
//!   `integrations`, `policies`, `admins`, `admin_units`, and `account` (settings,
//!   administrators' authentication methods, account information, edition).
//! - `store`: the tenant, the JSON shapes Duo answers with, the seed format and the dump.
//! - `limits`: rate limits, injected faults, stats.
//! - `bulk`: `users/bulk_create` and `/bulk`, whose undocumented answer form is a switch.
//! - `generate`: large realistic tenants made through the API handlers.
//! - `tls`: HTTPS with a CA made at start (`--tls`), for clients that must verify certificates.

mod account;
mod admin_units;
mod admins;
mod api;
mod auth;
mod bulk;
mod devices;
mod generate;
mod integrations;
mod limits;
mod policies;
mod store;
mod tls;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Value, json};

pub use bulk::BulkAnswers;
pub use generate::{Spec, generate};
pub use limits::Faults;
pub use store::{Seed, Tenant};
pub use tls::Tls;

/// The demo key pair used when none is given.
pub const DEMO_IKEY: &str = "DIEMULATORDEMOKEY001";
pub const DEMO_SKEY: &str = "emulatoremulatoremulatoremulatoremulator";

/// How the emulator behaves.
#[derive(Debug, Clone)]
pub struct Options {
    pub ikey: String,
    pub skey: String,
    /// Enforce Duo's per-class limits.
    pub rate_limits: bool,
    /// Multiplies every limit.
    pub rate_scale: f64,
    pub faults: Faults,
    pub fault_seed: Option<u64>,
    /// Accepted difference between a request's date and the emulator's clock, in seconds.
    pub clock_window: i64,
    /// The Admin API permissions the key pair has (`read_resource`, `write_resource`); a
    /// request needing another is refused with Duo's 403 40301.
    pub grants: Vec<String>,
    /// How `/admin/v1/bulk` reports its operations (Duo's form is undocumented).
    pub bulk_answers: BulkAnswers,
}

/// Every permission the emulated key pair can be granted.
pub const GRANTS: &[&str] = &[
    "read_resource",
    "write_resource",
    "applications",
    "administrators",
    "settings",
    "read_information",
];

impl Default for Options {
    fn default() -> Options {
        Options {
            ikey: DEMO_IKEY.to_owned(),
            skey: DEMO_SKEY.to_owned(),
            rate_limits: false,
            rate_scale: 1.0,
            faults: Faults::default(),
            fault_seed: None,
            clock_window: 300,
            grants: GRANTS.iter().map(|g| (*g).to_owned()).collect(),
            bulk_answers: BulkAnswers::default(),
        }
    }
}

/// Everything one running emulator holds.
pub struct AppState {
    options: Options,
    tenant: Mutex<Tenant>,
    stats: Mutex<limits::Stats>,
    limits: Mutex<limits::RateLimits>,
    rng: Mutex<StdRng>,
    /// Starts as `options.faults`; tests and CI scripts change it while running
    /// (`POST /_emulator/faults`), e.g. to verify without faults what was applied under them.
    faults: Mutex<Faults>,
}

impl AppState {
    pub fn new(options: Options, tenant: Tenant) -> Arc<AppState> {
        let rng = options
            .fault_seed
            .map_or_else(|| StdRng::from_rng(&mut rand::rng()), StdRng::seed_from_u64);
        Arc::new(AppState {
            limits: Mutex::new(limits::RateLimits::new(options.rate_scale)),
            faults: Mutex::new(options.faults.clone()),
            options,
            tenant: Mutex::new(tenant),
            stats: Mutex::new(limits::Stats::default()),
            rng: Mutex::new(rng),
        })
    }

    /// The whole tenant as JSON (groups and users, as Duo's get endpoints show them).
    pub fn snapshot(&self) -> Value {
        self.tenant
            .lock()
            .map(|t| t.snapshot())
            .unwrap_or(Value::Null)
    }

    /// Changes the tenant directly, as someone in the Admin Panel would (drift tests).
    pub fn mutate<R>(&self, f: impl FnOnce(&mut Tenant) -> R) -> Option<R> {
        self.tenant.lock().ok().map(|mut t| f(&mut t))
    }

    pub fn stats(&self) -> Value {
        self.stats.lock().map(|s| s.json()).unwrap_or(Value::Null)
    }

    /// Injects `faults` from now on, in place of what the emulator started with.
    pub fn set_faults(&self, faults: Faults) {
        if let Ok(mut f) = self.faults.lock() {
            *f = faults;
        }
    }

    fn faults(&self) -> Faults {
        self.faults.lock().map(|f| f.clone()).unwrap_or_default()
    }

    pub fn reset_stats(&self) {
        if let Ok(mut s) = self.stats.lock() {
            *s = limits::Stats::default();
        }
    }
}

/// The HTTP service, without binding: for tests that bring their own listener.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new().fallback(handle).with_state(state)
}

/// Serves on `listener` until the future completes: plain HTTP, or HTTPS with `tls`.
pub async fn serve(
    listener: tokio::net::TcpListener,
    tls: Option<&Tls>,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    match tls {
        None => {
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
        }
        Some(tls) => {
            // `tap_io` is what gives a custom listener axum's `ConnectInfo<SocketAddr>`.
            use axum::serve::ListenerExt as _;
            let listener = tls.listen(listener).tap_io(|_| {});
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
        }
    }
}

/// An emulator on its own thread and runtime, on a free loopback port; stops when dropped.
/// Lets blocking tests (which run the `terraform` CLI) use one without an async runtime.
pub struct Background {
    pub addr: SocketAddr,
    pub state: Arc<AppState>,
    /// The CA that issued its certificate (PEM), when it serves HTTPS.
    pub tls_ca: Option<String>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Background {
    /// Serves plain HTTP.
    pub fn start(options: Options, tenant: Tenant) -> std::io::Result<Background> {
        Background::start_with(options, tenant, None)
    }

    /// Serves HTTPS with a certificate from a CA made for it (`tls_ca`).
    pub fn start_tls(options: Options, tenant: Tenant) -> std::io::Result<Background> {
        let tls = Tls::generate().map_err(std::io::Error::other)?;
        Background::start_with(options, tenant, Some(tls))
    }

    fn start_with(
        options: Options,
        tenant: Tenant,
        tls: Option<Tls>,
    ) -> std::io::Result<Background> {
        let state = AppState::new(options, tenant);
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = state.clone();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let tls_ca = tls.as_ref().map(|t| t.ca_pem().to_owned());
        let thread = std::thread::spawn(move || {
            runtime.block_on(async move {
                if let Ok(listener) = tokio::net::TcpListener::from_std(std_listener) {
                    let _ = serve(listener, tls.as_ref(), served, async move {
                        let _ = stopped.await;
                    })
                    .await;
                }
            });
        });
        Ok(Background {
            addr,
            state,
            tls_ca,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// `http://ADDR`, or `https://ADDR` when it serves HTTPS.
    pub fn url(&self) -> String {
        let scheme = if self.tls_ca.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.addr)
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn fail(status: u16, code: u32, message: &str, detail: Option<&str>) -> Response {
    let mut body = json!({"stat": "FAIL", "code": code, "message": message});
    if let Some(d) = detail {
        body["message_detail"] = json!(d);
    }
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn form_pairs(bytes: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(bytes)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// A JSON body's top-level fields as string parameters (v5 clients send JSON).
fn json_pairs(body: &[u8]) -> Option<Vec<(String, String)>> {
    let Value::Object(map) = serde_json::from_slice(body).ok()? else {
        return None;
    };
    Some(
        map.into_iter()
            .map(|(k, v)| {
                let s = match v {
                    Value::String(s) => s,
                    Value::Bool(b) => b.to_string(),
                    other => other.to_string(),
                };
                (k, s)
            })
            .collect(),
    )
}

/// The largest request body read; a `bulk_create` of 100 users is a few tens of kilobytes.
const MAX_BODY: usize = 1 << 20;

/// Answers one request as the server answers a loopback client, without a network: for tests
/// that send what no HTTP client would (fuzzing). `None` when the method, target or a header
/// is not even valid HTTP, which the server's HTTP layer refuses before the emulator sees it.
pub async fn answer(
    state: Arc<AppState>,
    method: &[u8],
    target: &str,
    headers: &[(String, String)],
    body: Vec<u8>,
) -> Option<(u16, Vec<u8>)> {
    let method = Method::from_bytes(method).ok()?;
    let uri: Uri = target.parse().ok()?;
    let mut map = HeaderMap::new();
    for (k, v) in headers {
        map.append(
            header::HeaderName::from_bytes(k.as_bytes()).ok()?,
            header::HeaderValue::from_str(v).ok()?,
        );
    }
    let peer = SocketAddr::from(([127, 0, 0, 1], 1));
    let response = handle(
        State(state),
        ConnectInfo(peer),
        method,
        uri,
        map,
        Body::from(body),
    )
    .await;
    let status = response.status().as_u16();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default();
    Some((status, body))
}

async fn handle(
    State(st): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    // Read here rather than by an extractor, so an oversized body gets Duo's JSON error.
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        return fail(413, 41301, "Request entity too large", None);
    };
    let path = uri.path().to_owned();
    if path.starts_with("/_emulator/") {
        return control(&st, peer, &method, &path, &body);
    }
    let found = api::route(method.as_str(), &path);
    let endpoint = found.as_ref().map(|(_, e)| *e);
    if let (Some(e), Ok(mut stats)) = (endpoint, st.stats.lock()) {
        stats.count(e.rate_class, e.name);
    } else if let Ok(mut stats) = st.stats.lock() {
        stats.count("other", "unknown");
    }
    let faults = st.faults();
    if faults.latency_ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(faults.latency_ms)).await;
    }

    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let query = uri
        .query()
        .map(|q| form_pairs(q.as_bytes()))
        .unwrap_or_default();
    let content_type = text(header::CONTENT_TYPE)
        .unwrap_or_default()
        .to_ascii_lowercase();
    let is_form = content_type.starts_with("application/x-www-form-urlencoded");
    let form = if is_form {
        form_pairs(&body)
    } else {
        Vec::new()
    };
    let x_duo: Vec<(String, String)> = headers
        .iter()
        .filter(|(k, _)| k.as_str().starts_with("x-duo"))
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    let date = headers
        .get("x-duo-date")
        .or_else(|| headers.get(header::DATE))
        .and_then(|v| v.to_str().ok());
    let signed = auth::Signed {
        method: method.as_str(),
        path: &path,
        host_header: text(header::HOST).unwrap_or_default(),
        authorization: text(header::AUTHORIZATION),
        date,
        query: &query,
        form: &form,
        body: &body,
        x_duo: &x_duo,
        v5_only: endpoint.is_some_and(|e| e.v5_only),
    };
    // The configured key pair, or any Admin API application made in the tenant, with that
    // application's permissions and networks.
    let ikey = auth::ikey_of(signed.authorization).unwrap_or_default();
    let made = if ikey == st.options.ikey {
        None
    } else {
        st.tenant
            .lock()
            .ok()
            .and_then(|t| integrations::caller(&t, &ikey))
    };
    let (skey, grants, networks) = match &made {
        Some(c) => (&c.secret_key, &c.grants, c.networks.as_str()),
        None => (&st.options.skey, &st.options.grants, ""),
    };
    let ikey = if made.is_some() {
        &ikey
    } else {
        &st.options.ikey
    };
    if let Err(e) = auth::verify(&signed, ikey, skey, api::now(), st.options.clock_window) {
        return fail(401, e.code(), e.message(), None);
    }
    if !integrations::network_allows(networks, peer.ip()) {
        return fail(
            403,
            40301,
            "Access forbidden",
            Some("networks_for_api_access"),
        );
    }
    if let Some(needed) = endpoint.map(|e| e.grant)
        && !integrations::permits(grants, needed, method.as_str())
    {
        return fail(403, 40301, "Access forbidden", None);
    }
    let class = endpoint.map_or("other", |e| e.rate_class);
    let limited = st.options.rate_limits
        && st
            .limits
            .lock()
            .map(|mut l| !l.allow(class))
            .unwrap_or(false);
    let fault = st
        .rng
        .lock()
        .ok()
        .and_then(|mut rng| faults.roll(&mut *rng));
    if limited || fault == Some(limits::Fault::Status(429)) {
        if let Ok(mut s) = st.stats.lock() {
            s.throttled();
        }
        return fail(429, 42901, "Too Many Requests", None);
    }
    if let Some(limits::Fault::Status(status)) = fault {
        return fail(
            status,
            u32::from(status) * 100 + 1,
            "Service temporarily unavailable",
            None,
        );
    }

    let Some((route, _)) = found else {
        return fail(404, 40401, "Resource not found", None);
    };
    let mut params = query;
    params.extend(form);
    if content_type.starts_with("application/json") && !body.is_empty() {
        match json_pairs(&body) {
            Some(pairs) => params.extend(pairs),
            None => return fail(400, 40002, "Invalid request parameters", Some("body")),
        }
    }
    let result = match st.tenant.lock() {
        Ok(mut tenant) => match route {
            api::Route::Bulk => bulk::operations(&mut tenant, &params, st.options.bulk_answers),
            _ => api::handle(&mut tenant, &route, &params),
        },
        Err(_) => return fail(500, 50001, "Internal server error", None),
    };
    if fault == Some(limits::Fault::Drop) {
        // Acted on, but the client never hears back.
        let broken = tokio_stream::iter([Err::<Bytes, std::io::Error>(std::io::Error::other(
            "connection dropped",
        ))]);
        return Response::new(Body::from_stream(broken));
    }
    match result {
        Ok(reply) => {
            let mut out = json!({"stat": "OK", "response": reply.response});
            if let Some(m) = reply.metadata {
                out["metadata"] = m;
            }
            (
                [(header::CONTENT_TYPE, "application/json")],
                out.to_string(),
            )
                .into_response()
        }
        Err(e) => fail(e.status(), e.code, &e.message, e.detail.as_deref()),
    }
}

/// Unsigned test endpoints, for loopback clients only.
fn control(st: &AppState, peer: SocketAddr, method: &Method, path: &str, body: &[u8]) -> Response {
    if !peer.ip().is_loopback() {
        return fail(403, 40301, "Access forbidden", None);
    }
    let json =
        |v: Value| ([(header::CONTENT_TYPE, "application/json")], v.to_string()).into_response();
    match (method.as_str(), path) {
        ("GET", "/_emulator/stats") => json(st.stats()),
        ("POST", "/_emulator/stats/reset") => {
            st.reset_stats();
            json(st.stats())
        }
        ("GET", "/_emulator/tenant") => json(st.snapshot()),
        ("GET", "/_emulator/faults") => json(json!({"faults": st.faults().to_string()})),
        ("POST", "/_emulator/faults") => {
            match Faults::parse(String::from_utf8_lossy(body).trim()) {
                Ok(faults) => {
                    st.set_faults(faults);
                    json(json!({"faults": st.faults().to_string()}))
                }
                Err(e) => fail(
                    400,
                    40002,
                    &format!("Invalid fault spec: {e}"),
                    Some("faults"),
                ),
            }
        }
        _ => fail(404, 40401, "Resource not found", None),
    }
}
