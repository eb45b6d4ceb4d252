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
//! - `accounts`: an MSP parent's child accounts (the Accounts API) and their billing. Each
//!   child is a tenant of its own with its own rate limits and stats, reached by the parent's
//!   Accounts API key pair and `account_id`, on the same listener.
//! - `store`: the tenant, the JSON shapes Duo answers with, the seed format and the dump.
//! - `limits`: rate limits, injected faults, stats.
//! - `bulk`: `users/bulk_create` and `/bulk`, whose undocumented answer form is a switch.
//! - `generate`: large realistic tenants made through the API handlers.
//! - `tls`: HTTPS with a CA made at start (`--tls`), for clients that must verify certificates.

mod account;
mod accounts;
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

use std::collections::{BTreeMap, HashMap};
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
pub use store::{EDITIONS, Seed, Tenant, User};
pub use tls::Tls;

/// The demo key pair used when none is given.
pub const DEMO_IKEY: &str = "DIEMULATORDEMOKEY001";
pub const DEMO_SKEY: &str = "emulatoremulatoremulatoremulatoremulator";
/// The demo Accounts API key pair (the MSP parent's) used when none is given.
pub const DEMO_ACCOUNTS_IKEY: &str = "DIEMULATORACCOUNTS01";
pub const DEMO_ACCOUNTS_SKEY: &str = "accountsaccountsaccountsaccountsaccounts";

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
    /// The parent account's Accounts API key pair: child accounts, and the Admin API on a
    /// child with `account_id`.
    pub accounts_ikey: String,
    pub accounts_skey: String,
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
            accounts_ikey: DEMO_ACCOUNTS_IKEY.to_owned(),
            accounts_skey: DEMO_ACCOUNTS_SKEY.to_owned(),
        }
    }
}

/// Everything one running emulator holds.
pub struct AppState {
    options: Options,
    /// The parent account's tenant, which holds its children's.
    tenant: Mutex<Tenant>,
    /// Per account, as Duo keeps them: the parent's under `""`, each child's under its ID.
    stats: Mutex<BTreeMap<String, limits::Stats>>,
    limits: Mutex<HashMap<String, limits::RateLimits>>,
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
            limits: Mutex::new(HashMap::new()),
            faults: Mutex::new(options.faults.clone()),
            options,
            tenant: Mutex::new(tenant),
            stats: Mutex::new(BTreeMap::new()),
            rng: Mutex::new(rng),
        })
    }

    pub fn options(&self) -> &Options {
        &self.options
    }

    /// The whole tenant as JSON (groups and users, as Duo's get endpoints show them).
    pub fn snapshot(&self) -> Value {
        self.snapshot_of(None)
    }

    /// A child account's tenant as JSON (`None`: the parent's); null for an unknown child.
    pub fn snapshot_of(&self, account: Option<&str>) -> Value {
        self.mutate_account(account, |t| t.snapshot())
            .unwrap_or(Value::Null)
    }

    /// Changes the tenant directly, as someone in the Admin Panel would (drift tests).
    pub fn mutate<R>(&self, f: impl FnOnce(&mut Tenant) -> R) -> Option<R> {
        self.tenant.lock().ok().map(|mut t| f(&mut t))
    }

    /// Changes a child account's tenant directly (`None`: the parent's).
    pub fn mutate_account<R>(
        &self,
        account: Option<&str>,
        f: impl FnOnce(&mut Tenant) -> R,
    ) -> Option<R> {
        let mut t = self.tenant.lock().ok()?;
        match account {
            None => Some(f(&mut t)),
            Some(id) => t.children.get_mut(id).map(|c| f(&mut c.tenant)),
        }
    }

    /// Every signed request received, whichever account it was for, with each child's total
    /// under `by_account`.
    pub fn stats(&self) -> Value {
        let Ok(stats) = self.stats.lock() else {
            return Value::Null;
        };
        let mut all = limits::Stats::default();
        for s in stats.values() {
            all.add(s);
        }
        let mut out = all.json();
        out["by_account"] = stats
            .iter()
            .filter(|(id, _)| !id.is_empty())
            .map(|(id, s)| (id.clone(), json!(s.total())))
            .collect::<serde_json::Map<_, _>>()
            .into();
        out
    }

    /// The requests one account received (`None`: the parent's own).
    pub fn stats_of(&self, account: Option<&str>) -> Value {
        self.stats
            .lock()
            .map(|s| {
                s.get(account.unwrap_or_default())
                    .map_or_else(|| limits::Stats::default().json(), limits::Stats::json)
            })
            .unwrap_or(Value::Null)
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
            s.clear();
        }
    }

    /// Makes child `id` answer as one on another Duo deployment than its parent (Duo's 400),
    /// or stop; false when there is no such child.
    pub fn set_other_deployment(&self, id: &str, on: bool) -> bool {
        self.tenant
            .lock()
            .ok()
            .and_then(|mut t| t.children.get_mut(id).map(|c| c.other_deployment = on))
            .is_some()
    }

    fn count(&self, account: &str, class: &str, route: &str) {
        if let Ok(mut s) = self.stats.lock() {
            s.entry(account.to_owned()).or_default().count(class, route);
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

/// The parameter that makes a request act on a child account.
const ACCOUNT_ID: &str = "account_id";

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
        return control(&st, peer, &method, &path, uri.query(), &body);
    }
    let found = api::route(method.as_str(), &path);
    let endpoint = found.as_ref().map(|(_, e)| *e);

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
    let is_json = content_type.starts_with("application/json") && !body.is_empty();
    let json = if is_json { json_pairs(&body) } else { None };
    // Which child the request says it is for: covered by the signature wherever it is sent.
    // (To the Accounts API itself, `account_id` is the child a call is about.)
    let accounts_api = endpoint.is_some_and(|e| e.grant == api::ACCOUNTS);
    let asked_account = query
        .iter()
        .chain(&form)
        .chain(json.iter().flatten())
        .find(|(k, _)| k == ACCOUNT_ID && !accounts_api)
        .map(|(_, v)| v.clone());

    // The configured key pairs, or any Admin API application made in the parent or a child
    // (which acts on its own account), with that application's permissions and networks.
    let ikey = auth::ikey_of(text(header::AUTHORIZATION)).unwrap_or_default();
    let is_accounts_key = ikey == st.options.accounts_ikey;
    let made = if ikey == st.options.ikey || is_accounts_key {
        None
    } else {
        st.tenant
            .lock()
            .ok()
            .and_then(|t| integrations::caller(&t, &ikey))
    };
    // The parent's Accounts API application reaches the Accounts API, and the Admin API on a
    // child it names; nothing of the parent's own Admin API.
    let child_grants: Vec<String>;
    let parent_grants = [api::ACCOUNTS.to_owned()];
    let (ikey, skey, grants, networks, account): (&str, &str, &[String], &str, Option<String>) =
        match &made {
            Some(c) => (
                &ikey,
                &c.secret_key,
                &c.grants,
                &c.networks,
                c.account.clone(),
            ),
            None if is_accounts_key => {
                child_grants = GRANTS
                    .iter()
                    .chain(&[api::BILLING])
                    .map(|g| (*g).to_owned())
                    .collect();
                let grants: &[String] = if asked_account.is_some() {
                    &child_grants
                } else {
                    &parent_grants
                };
                let skey: &str = &st.options.accounts_skey;
                (&ikey, skey, grants, "", asked_account.clone())
            }
            None => (
                &st.options.ikey,
                &st.options.skey,
                &st.options.grants,
                "",
                None,
            ),
        };
    // Counted (and limited) per account; a request naming no child of this parent counts as
    // the parent's, so what an unsigned request says cannot grow the tables.
    let account_key = account
        .clone()
        .filter(|id| st.tenant.lock().is_ok_and(|t| t.children.contains_key(id)))
        .unwrap_or_default();
    match endpoint {
        Some(e) => st.count(&account_key, e.rate_class, e.name),
        None => st.count(&account_key, "other", "unknown"),
    }
    let faults = st.faults();
    if faults.latency_ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(faults.latency_ms)).await;
    }

    let x_duo: Vec<(String, String)> = headers
        .iter()
        .filter(|(k, _)| k.as_str().starts_with("x-duo"))
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    let date = headers
        .get("x-duo-date")
        .or_else(|| headers.get(header::DATE))
        .and_then(|v| v.to_str().ok());
    let host = text(header::HOST).unwrap_or_default();
    let signed = auth::Signed {
        method: method.as_str(),
        path: &path,
        host_header: host,
        authorization: text(header::AUTHORIZATION),
        date,
        query: &query,
        form: &form,
        body: &body,
        x_duo: &x_duo,
        v5_only: endpoint.is_some_and(|e| e.v5_only),
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
    // Only the parent's Accounts API application may name a child.
    if asked_account.is_some() && !is_accounts_key {
        return fail(403, 40301, "Access forbidden", Some(ACCOUNT_ID));
    }
    if let Some(needed) = endpoint.map(|e| e.grant)
        && !integrations::permits(grants, needed, method.as_str())
    {
        return fail(403, 40301, "Access forbidden", None);
    }
    if let Some(id) = &account {
        let reachable = st
            .tenant
            .lock()
            .ok()
            .and_then(|t| t.children.get(id).map(|c| !c.other_deployment));
        if reachable != Some(true) {
            let e = accounts::unknown_account();
            return fail(e.status(), e.code, &e.message, e.detail.as_deref());
        }
    }
    let class = endpoint.map_or("other", |e| e.rate_class);
    let limited = st.options.rate_limits
        && st
            .limits
            .lock()
            .map(|mut l| {
                !l.entry(account_key.clone())
                    .or_insert_with(|| limits::RateLimits::new(st.options.rate_scale))
                    .allow(class)
            })
            .unwrap_or(false);
    let fault = st
        .rng
        .lock()
        .ok()
        .and_then(|mut rng| faults.roll(&mut *rng));
    if limited || fault == Some(limits::Fault::Status(429)) {
        if let Ok(mut s) = st.stats.lock() {
            s.entry(account_key).or_default().throttled();
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
    if is_json {
        match json {
            Some(pairs) => params.extend(pairs),
            None => return fail(400, 40002, "Invalid request parameters", Some("body")),
        }
    }
    if !accounts_api {
        params.retain(|(k, _)| k != ACCOUNT_ID);
    }
    let dispatch = |t: &mut Tenant| match route {
        api::Route::Bulk => bulk::operations(t, &params, st.options.bulk_answers),
        _ => api::handle(t, &route, &params),
    };
    let result = match st.tenant.lock() {
        Ok(mut parent) => match (&route, &account) {
            (
                api::Route::ListAccounts | api::Route::CreateAccount | api::Route::DeleteAccount,
                _,
            ) => accounts::handle(&mut parent, &route, &params, &host.to_ascii_lowercase()),
            (api::Route::SetBillingEdition | api::Route::SetTelephonyCredits, Some(id)) => {
                accounts::billing(&mut parent, id, &route, &params)
            }
            (_, None) => dispatch(&mut parent),
            (_, Some(id)) => match parent.children.get_mut(id) {
                Some(child) => dispatch(&mut child.tenant),
                None => Err(accounts::unknown_account()),
            },
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
fn control(
    st: &AppState,
    peer: SocketAddr,
    method: &Method,
    path: &str,
    query: Option<&str>,
    body: &[u8],
) -> Response {
    if !peer.ip().is_loopback() {
        return fail(403, 40301, "Access forbidden", None);
    }
    let json =
        |v: Value| ([(header::CONTENT_TYPE, "application/json")], v.to_string()).into_response();
    // `?account_id=ID` asks about one child (empty: the parent's own account).
    let account = query.and_then(|q| {
        form_pairs(q.as_bytes())
            .into_iter()
            .find(|(k, _)| k == ACCOUNT_ID)
            .map(|(_, v)| v)
    });
    let account = account.as_deref().map(|a| (!a.is_empty()).then_some(a));
    match (method.as_str(), path) {
        ("GET", "/_emulator/stats") => match account {
            Some(a) => json(st.stats_of(a)),
            None => json(st.stats()),
        },
        ("POST", "/_emulator/stats/reset") => {
            st.reset_stats();
            json(st.stats())
        }
        ("GET", "/_emulator/tenant") => match st.snapshot_of(account.flatten()) {
            Value::Null => fail(404, 40401, "No such child account", Some(ACCOUNT_ID)),
            tenant => json(tenant),
        },
        ("POST", "/_emulator/other-deployment") => {
            // Body: `true` or `false`; the child named by `?account_id=` answers as one on
            // another Duo deployment than its parent (Duo's 400) while true.
            let on = String::from_utf8_lossy(body).trim() == "true";
            match account.flatten() {
                Some(id) if st.set_other_deployment(id, on) => {
                    json(json!({"other_deployment": on}))
                }
                _ => fail(404, 40401, "No such child account", Some(ACCOUNT_ID)),
            }
        }
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
