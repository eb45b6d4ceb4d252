//! The HTTP side of the Admin API: one signed request with Duo's envelope, retries on 429
//! (re-signed, after Duo's backoff), client-side pacing per rate class, and paging that follows
//! `next_offset` to the end.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::de::DeserializeOwned;
use tokio::sync::Notify;

use super::error::Error;
use super::gather::{Batched, Gather};
use super::reads::Reads;
use super::redact;
use super::retry::{self, Attempt, Limiter, Next, RateClass};
use super::sign;

/// What a write does to Duo, which decides whether it may be sent again when its answer is
/// lost (a dropped connection or a 5xx after Duo may have acted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    /// Makes something new (an object, codes, a secret): sent twice, it could make two. Never
    /// resent after a lost answer ([`Error::outcome_unknown`]); the caller finds out what
    /// happened.
    Create,
    /// Sets values or links: sent twice, it leaves Duo as sent once. Retried like a read.
    Set,
}

/// How to reach and authenticate to one Duo account.
#[derive(Clone)]
pub struct Config {
    /// `api-xxxxxxxx.duosecurity.com`, optionally with `https://`; or `http://127.0.0.1:PORT`
    /// (plain HTTP is accepted for loopback addresses only, e.g. the emulator).
    pub api_host: String,
    pub ikey: String,
    pub skey: String,
    /// Per-request timeout.
    pub timeout: Duration,
    /// How often a rate-limited request is retried (Duo's schedule allows 6).
    pub max_retries: u32,
    /// The first retry's wait; each further one doubles it (Duo's clients use 1 s).
    pub retry_base: Duration,
    /// Multiplies Duo's published per-minute limits for client-side pacing; 0 disables it.
    pub rate_scale: f64,
    /// The share (0–1] of those limits this client allows itself, leaving the rest of the
    /// account's budget to other integrations.
    pub capacity: f64,
    /// Gather reads of many objects into list calls and user creations into bulk calls (see
    /// [`super::reads`]); false sends one request per object, the naive baseline.
    pub coalesce: bool,
    pub user_agent: String,
    /// PEM certificates to trust beside the system's, e.g. the CA of a corporate proxy that
    /// inspects TLS. Certificates are always verified; this only adds trust anchors.
    pub extra_roots_pem: Option<Vec<u8>>,
    /// The child account its callers act on unless they name another
    /// ([`Client::default_account`]); the key pair must then be the parent's Accounts API one.
    pub account_id: Option<String>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("api_host", &self.api_host)
            .field("ikey", &self.ikey)
            .field("skey", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// Why a [`Config`] cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{0:?} is not a host name; expected something like api-xxxxxxxx.duosecurity.com")]
    BadHost(String),
    #[error(
        "plain http:// is only allowed for loopback addresses (127.0.0.1, [::1], localhost), not {0:?}; \
         Duo itself is reached over HTTPS"
    )]
    InsecureHost(String),
    #[error("the CA bundle holds no usable PEM certificate ({0})")]
    BadCaBundle(String),
}

/// Where requests go and what host they are signed for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `https://api-xxxx.duosecurity.com` or `http://127.0.0.1:8443`.
    pub base_url: String,
    /// The host (with port, if given) as signed in the canonical string.
    pub sign_host: String,
}

impl Endpoint {
    /// `https`, or `http` for a loopback address.
    pub fn scheme(&self) -> &str {
        self.base_url.split("://").next().unwrap_or("https")
    }

    pub fn parse(api_host: &str) -> Result<Endpoint, ConfigError> {
        let trimmed = api_host.trim().trim_end_matches('/');
        let (scheme, host) = match trimmed.split_once("://") {
            Some(("https", h)) => ("https", h),
            Some(("http", h)) => ("http", h),
            Some(_) => return Err(ConfigError::BadHost(api_host.to_owned())),
            None => ("https", trimmed),
        };
        let valid = !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
        if !valid {
            return Err(ConfigError::BadHost(api_host.to_owned()));
        }
        if scheme == "http" && !is_loopback(host) {
            return Err(ConfigError::InsecureHost(api_host.to_owned()));
        }
        Ok(Endpoint {
            base_url: format!("{scheme}://{host}"),
            sign_host: host.to_ascii_lowercase(),
        })
    }
}

fn is_loopback(host_port: &str) -> bool {
    let host = match host_port.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or_default(),
        None => host_port.rsplit_once(':').map_or(host_port, |(h, _)| h),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// What the first page of a list says.
pub(super) struct FirstPage<T> {
    /// How many objects the list holds.
    pub total: u64,
    /// Every object, when they all fit on the first page.
    pub whole: Option<Vec<T>>,
}

/// The parameter that makes a request act on a child account.
const ACCOUNT_ID: &str = "account_id";

/// Request parameters: the query for GET/DELETE, the form body for POST.
pub type Params = Vec<(String, String)>;

/// Duo refuses v2 signatures on integrations v2/v3 and policies v2.
fn requires_v5(path: &str) -> bool {
    path.starts_with("/admin/v3/")
        || path.starts_with("/admin/v2/integrations")
        || path.starts_with("/admin/v2/policies")
}

/// The parameters that are set, in order.
pub fn some_params<const N: usize>(fields: [(&str, Option<String>); N]) -> Params {
    fields
        .into_iter()
        .filter_map(|(k, v)| Some((k.to_owned(), v?)))
        .collect()
}

/// What a request carries.
enum Body {
    Params(Params),
    /// Serialized once, so every retry hashes and sends the same bytes.
    Json(String),
}

/// A Duo Admin API client for one account.
pub struct Client {
    /// What it was made from, for the clients of child accounts.
    pub(super) config: Config,
    /// The child account every request acts on (sent as `account_id`); none for the key
    /// pair's own account.
    account_id: Option<String>,
    pub(super) children: super::accounts::Children,
    /// Set when the credential check found an Accounts API key pair, which reaches child
    /// accounts only.
    pub(super) accounts_key: AtomicBool,
    http: reqwest::Client,
    endpoint: Endpoint,
    ikey: String,
    skey: String,
    max_retries: u32,
    retry_base: Duration,
    limiter: Limiter,
    pub(super) coalesce: bool,
    pub(super) reads: Reads,
    /// User creations made at the same time, sent together (see `Client::create_user`).
    pub(super) user_creates: Gather<super::users::UserParams, Batched<Result<super::User, Error>>>,
    /// Modifications, deletions and membership changes made at the same time (see `bulk`).
    pub(super) bulk_writes: Gather<super::bulk::Op, Batched<Result<serde_json::Value, Error>>>,
    stopping: AtomicBool,
    stop: Notify,
}

/// Duo's answer, success or failure.
#[derive(serde::Deserialize)]
struct Envelope {
    stat: String,
    #[serde(default)]
    response: serde_json::Value,
    #[serde(default)]
    metadata: Option<Metadata>,
    #[serde(default)]
    code: serde_json::Value,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    message_detail: Option<String>,
}

#[derive(serde::Deserialize, Default)]
struct Metadata {
    #[serde(default)]
    next_offset: serde_json::Value,
    #[serde(default)]
    total_objects: serde_json::Value,
}

impl Client {
    pub fn new(config: &Config) -> Result<Client, ConfigError> {
        Client::make(config, None)
    }

    /// A client whose every Admin API request acts on child account `id`.
    pub(super) fn for_child(config: &Config, id: &str) -> Result<Client, ConfigError> {
        Client::make(config, Some(id.to_owned()))
    }

    fn make(config: &Config, account_id: Option<String>) -> Result<Client, ConfigError> {
        let endpoint = Endpoint::parse(&config.api_host)?;
        let mut http = reqwest::Client::builder()
            .user_agent(config.user_agent.clone())
            .timeout(config.timeout)
            .connect_timeout(Duration::from_secs(10));
        if let Some(pem) = &config.extra_roots_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| ConfigError::BadCaBundle(e.to_string()))?;
            if certs.is_empty() {
                return Err(ConfigError::BadCaBundle(
                    "expected -----BEGIN CERTIFICATE----- blocks".to_owned(),
                ));
            }
            http = http.tls_certs_merge(certs);
        }
        // Building fails only on the TLS setup, which the bundle is the one input to.
        let http = http.build().map_err(|e| match config.extra_roots_pem {
            Some(_) => ConfigError::BadCaBundle(e.to_string()),
            None => ConfigError::BadHost(e.to_string()),
        })?;
        Ok(Client {
            config: config.clone(),
            account_id,
            children: super::accounts::Children::default(),
            accounts_key: AtomicBool::new(false),
            http,
            endpoint,
            ikey: config.ikey.clone(),
            skey: config.skey.clone(),
            max_retries: config.max_retries,
            retry_base: config.retry_base,
            limiter: Limiter::new(config.rate_scale, config.capacity),
            coalesce: config.coalesce,
            reads: Reads::default(),
            user_creates: Gather::default(),
            bulk_writes: Gather::default(),
            stopping: AtomicBool::new(false),
            stop: Notify::new(),
        })
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The child account this client acts on; none for its key pair's own account.
    pub fn account_id(&self) -> Option<&str> {
        self.account_id.as_deref()
    }

    /// The child account its callers act on unless they name one ([`Config::account_id`]).
    pub fn default_account(&self) -> Option<&str> {
        self.config.account_id.as_deref()
    }

    /// The credential check found the key pair of an Accounts API application, which reaches
    /// child accounts only (through [`Client::for_account`]).
    pub fn is_accounts_key(&self) -> bool {
        self.accounts_key.load(Ordering::Relaxed)
    }

    /// Terraform was interrupted: requests waiting for their turn or for a retry end with
    /// [`Error::Stopped`] unsent; requests in flight still finish, so their answers are kept.
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.stop.notify_waiters();
        self.children.each(Client::stop);
    }

    /// GET, decoding `response` as `T`.
    pub async fn get<T: DeserializeOwned>(
        &self,
        class: RateClass,
        path: &str,
        params: Params,
    ) -> Result<T, Error> {
        let env = self
            .call("GET", class, path, &Body::Params(params), true)
            .await?;
        decode(path, env.response)
    }

    /// POST with a form body (signed with the v2 canonical form) that creates something,
    /// decoding `response` as `T`.
    pub async fn post<T: DeserializeOwned>(&self, path: &str, params: Params) -> Result<T, Error> {
        self.post_as(RateClass::Modify, path, params).await
    }

    /// POST that sets values or links ([`Write::Set`]), so it is retried after a lost answer.
    pub async fn set<T: DeserializeOwned>(&self, path: &str, params: Params) -> Result<T, Error> {
        self.set_as(RateClass::Modify, path, params).await
    }

    /// [`Client::set`] counted against `class`; also a POST that only reads (the Accounts
    /// API's listing).
    pub(super) async fn set_as<T: DeserializeOwned>(
        &self,
        class: RateClass,
        path: &str,
        params: Params,
    ) -> Result<T, Error> {
        let env = self
            .call("POST", class, path, &Body::Params(params), true)
            .await?;
        decode(path, env.response)
    }

    /// A creating POST counted against `class` (the bulk endpoints have their own limit).
    pub(super) async fn post_as<T: DeserializeOwned>(
        &self,
        class: RateClass,
        path: &str,
        params: Params,
    ) -> Result<T, Error> {
        let env = self
            .call("POST", class, path, &Body::Params(params), false)
            .await?;
        decode(path, env.response)
    }

    /// A request with a JSON body (signed with v5), as the newer endpoints (policies v2,
    /// integrations v3) require; `method` is POST or PUT.
    pub async fn send_json<T: DeserializeOwned>(
        &self,
        method: &'static str,
        write: Write,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<T, Error> {
        self.send_json_as(RateClass::Modify, method, write, path, body)
            .await
    }

    /// [`Client::send_json`] counted against `class`.
    pub(super) async fn send_json_as<T: DeserializeOwned>(
        &self,
        class: RateClass,
        method: &'static str,
        write: Write,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<T, Error> {
        let mut body = body.clone();
        if let (Some(id), Some(fields)) = (self.scope(path), body.as_object_mut()) {
            fields.insert(ACCOUNT_ID.to_owned(), id.into());
        }
        let env = self
            .call(
                method,
                class,
                path,
                &Body::Json(body.to_string()),
                write == Write::Set,
            )
            .await?;
        decode(path, env.response)
    }

    pub async fn delete(&self, path: &str) -> Result<(), Error> {
        self.call(
            "DELETE",
            RateClass::Modify,
            path,
            &Body::Params(Params::new()),
            true,
        )
        .await
        .map(drop)
    }

    /// Every object of a paged list, following `next_offset` until Duo says there is no more.
    pub async fn list_all<T: DeserializeOwned>(
        &self,
        path: &str,
        params: Params,
        page_size: u32,
    ) -> Result<Vec<T>, Error> {
        self.list_counted(path, params, page_size)
            .await
            .map(|(all, _)| all)
    }

    /// The first page of a list (`page_size` objects) and how many objects the list holds
    /// (Duo's `total_objects`), for one page read; the page is the whole list when Duo says
    /// there is no next page.
    pub(super) async fn first_page<T: DeserializeOwned>(
        &self,
        path: &str,
        page_size: u32,
    ) -> Result<FirstPage<T>, Error> {
        let params = vec![
            ("limit".into(), page_size.to_string()),
            ("offset".into(), "0".into()),
        ];
        let env = self
            .call(
                "GET",
                RateClass::ListPage,
                path,
                &Body::Params(params),
                true,
            )
            .await?;
        let page: Vec<T> = decode(path, env.response)?;
        let metadata = env.metadata.unwrap_or_default();
        let more = next_offset(&metadata.next_offset).is_some();
        let total = next_offset(&metadata.total_objects).unwrap_or(page.len() as u64);
        Ok(FirstPage {
            total,
            whole: (!more).then_some(page),
        })
    }

    /// Like [`Client::list_all`], also saying how many page reads it took.
    pub(super) async fn list_counted<T: DeserializeOwned>(
        &self,
        path: &str,
        params: Params,
        page_size: u32,
    ) -> Result<(Vec<T>, u64), Error> {
        let mut out = Vec::new();
        let pages = self
            .page_through(
                path,
                params,
                |_| page_size,
                |page: Vec<T>| {
                    out.extend(page);
                    true
                },
            )
            .await?;
        Ok((out, pages))
    }

    /// Reads a paged list one page at a time, each of the size `size` says (given how many
    /// pages were read), handing each to `each`, until Duo says there is no more or `each`
    /// says it has enough. How many pages it read.
    pub(super) async fn page_through<T: DeserializeOwned>(
        &self,
        path: &str,
        params: Params,
        size: impl Fn(u64) -> u32,
        mut each: impl FnMut(Vec<T>) -> bool,
    ) -> Result<u64, Error> {
        let mut pages = 0;
        let mut offset: u64 = 0;
        loop {
            let mut p = params.clone();
            p.push(("limit".into(), size(pages).to_string()));
            p.push(("offset".into(), offset.to_string()));
            let env = self
                .call("GET", RateClass::ListPage, path, &Body::Params(p), true)
                .await?;
            let page: Vec<T> = decode(path, env.response)?;
            pages += 1;
            let more = each(page);
            match env.metadata.and_then(|m| next_offset(&m.next_offset)) {
                Some(next) if more && next > offset => offset = next,
                _ => return Ok(pages),
            }
        }
    }

    /// The child account a request to `path` names: every Admin API request of a child's
    /// client; never the Accounts API's own.
    fn scope(&self, path: &str) -> Option<&str> {
        self.account_id
            .as_deref()
            .filter(|_| !path.starts_with("/accounts/"))
    }

    /// One request, retried as [`retry::after`] decides; `idempotent` when sending it twice
    /// leaves Duo as sending it once (reads, deletes, [`Write::Set`]).
    async fn call(
        &self,
        method: &str,
        class: RateClass,
        path: &str,
        body: &Body,
        idempotent: bool,
    ) -> Result<Envelope, Error> {
        let scoped;
        let body = match (body, self.scope(path)) {
            (Body::Params(params), Some(id)) => {
                let mut params = params.clone();
                params.push((ACCOUNT_ID.to_owned(), id.to_owned()));
                scoped = Body::Params(params);
                &scoped
            }
            _ => body,
        };
        let mut attempt = 0;
        let started = tokio::time::Instant::now();
        let stopped = || Error::Stopped {
            route: format!("{method} {path}"),
        };
        loop {
            // A request still waiting for its turn when Terraform stops is not sent at all.
            self.unless_stopped(self.limiter.acquire(class))
                .await
                .ok_or_else(stopped)?;
            let outcome = self.send_once(method, path, body).await;
            let status = match &outcome {
                Ok((status, _)) => Attempt::Status(*status),
                Err(Error::Transport {
                    connected: false, ..
                }) => Attempt::ConnectError,
                Err(_) => Attempt::TransportError,
            };
            if status == Attempt::Status(429) {
                self.limiter.throttled(class).await;
            }
            match retry::after(status, attempt, idempotent, self.max_retries) {
                Next::Done => {
                    tracing::debug!(
                        method,
                        path,
                        class = class.name(),
                        status = match status {
                            Attempt::Status(s) => s.to_string(),
                            Attempt::TransportError => "no answer".to_owned(),
                            Attempt::ConnectError => "not connected".to_owned(),
                        },
                        retries = attempt,
                        duration_ms = started.elapsed().as_millis() as u64,
                        "Duo request"
                    );
                    return outcome
                        .and_then(|(status, body)| envelope(method, path, status, &body));
                }
                Next::RetryAfter(steps) => {
                    let wait = self.retry_base * steps;
                    let jitter = self.retry_base.mul_f64(rand::random::<f64>());
                    tracing::info!(
                        method,
                        path,
                        attempt,
                        "Duo request failed ({status:?}); retrying in {:.1} s",
                        (wait + jitter).as_secs_f64()
                    );
                    self.unless_stopped(tokio::time::sleep(wait + jitter))
                        .await
                        .ok_or_else(stopped)?;
                    attempt += 1;
                }
            }
        }
    }

    /// Runs `wait` (pacing, backoff) unless Terraform asks the provider to stop first; `None`
    /// when stopped.
    async fn unless_stopped<T>(&self, wait: impl std::future::Future<Output = T>) -> Option<T> {
        // Registered before the flag is read, so a stop between the two is not missed.
        let notified = self.stop.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if self.stopping.load(Ordering::SeqCst) {
            return None;
        }
        tokio::select! {
            out = wait => Some(out),
            () = notified => None,
        }
    }

    /// One signed attempt, with a fresh date and signature every time: parameters in the
    /// query (GET, DELETE) or a form body (POST) signed with the v2 canonical form and
    /// HMAC-SHA512; a JSON body signed with v5.
    async fn send_once(
        &self,
        method: &str,
        path: &str,
        body: &Body,
    ) -> Result<(u16, Vec<u8>), Error> {
        // RFC 2822, as Duo's own clients write it (`Tue, 21 Aug 2012 17:29:18 +0000`).
        let date = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc2822)
            .unwrap_or_default();
        let req = sign::Request {
            date: &date,
            method,
            host: &self.endpoint.sign_host,
            path,
        };
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::GET);
        let url = format!("{}{path}", self.endpoint.base_url);
        let (signature, builder) = match body {
            Body::Params(params) => {
                let encoded = params
                    .iter()
                    .map(|(k, v)| format!("{}={}", sign::encode(k), sign::encode(v)))
                    .collect::<Vec<_>>()
                    .join("&");
                let signature = if requires_v5(path) {
                    sign::sign_v5(&self.skey, &req, params, b"", &[])
                } else {
                    sign::sign_v2(&self.skey, &req, params, sign::Digest2::Sha512)
                };
                tracing::trace!(
                    method,
                    path,
                    params = redact::params(params),
                    "Duo request sent"
                );
                let builder = if method == "POST" {
                    self.http
                        .post(&url)
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .body(encoded)
                } else if encoded.is_empty() {
                    self.http.request(m, &url)
                } else {
                    self.http.request(m, format!("{url}?{encoded}"))
                };
                (signature, builder)
            }
            Body::Json(json) => {
                tracing::trace!(
                    method,
                    path,
                    body = redact::body(path, json.as_bytes()),
                    "Duo request sent"
                );
                let signature = sign::sign_v5(&self.skey, &req, &[], json.as_bytes(), &[]);
                (
                    signature,
                    self.http
                        .request(m, &url)
                        .header("Content-Type", "application/json")
                        .body(json.clone()),
                )
            }
        };
        let transport = |e: reqwest::Error| Error::Transport {
            host: self.endpoint.sign_host.clone(),
            reason: describe_transport(&e),
            connected: !e.is_connect(),
        };
        let response = builder
            .header("Date", &date)
            .header("Authorization", sign::authorization(&self.ikey, &signature))
            .send()
            .await
            .map_err(transport)?;
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(transport)?;
        tracing::trace!(
            method,
            path,
            status,
            body = redact::body(path, &body),
            "Duo answer"
        );
        Ok((status, body.to_vec()))
    }
}

fn describe_transport(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut reason = if e.is_timeout() {
        "timed out".to_owned()
    } else {
        e.to_string()
    };
    let mut source = e.source();
    while let Some(s) = source {
        reason = format!("{reason}: {s}");
        source = s.source();
    }
    reason
}

fn envelope(method: &str, path: &str, status: u16, body: &[u8]) -> Result<Envelope, Error> {
    let route = format!("{method} {path}");
    let parsed: Result<Envelope, _> = serde_json::from_slice(body);
    match parsed {
        Ok(env) if status == 200 && env.stat == "OK" => Ok(env),
        Ok(env) => Err(Error::Api {
            status,
            code: lenient_code(&env.code).unwrap_or(u32::from(status) * 100),
            message: env.message.unwrap_or_else(|| "no message".to_owned()),
            detail: env.message_detail.filter(|d| !d.is_empty()),
            route,
        }),
        Err(e) => Err(Error::Decode {
            route,
            reason: format!(
                "HTTP {status}, not Duo's JSON envelope ({e}); body starts {:?}",
                String::from_utf8_lossy(&body[..body.len().min(120)])
            ),
        }),
    }
}

/// Duo's `code` is an integer, but has been seen as `""`.
fn lenient_code(code: &serde_json::Value) -> Option<u32> {
    match code {
        serde_json::Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        serde_json::Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn next_offset(v: &serde_json::Value) -> Option<u64> {
    match v {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// What the client makes of one HTTP answer: Duo's envelope checked, then `response` decoded
/// as `T`. Public for the fuzz targets, which feed it hostile bytes.
pub fn parse_response<T: DeserializeOwned>(
    method: &str,
    path: &str,
    status: u16,
    body: &[u8],
) -> Result<T, Error> {
    envelope(method, path, status, body).and_then(|env| decode(path, env.response))
}

fn decode<T: DeserializeOwned>(path: &str, response: serde_json::Value) -> Result<T, Error> {
    serde_json::from_value(response).map_err(|e| Error::Decode {
        route: path.to_owned(),
        reason: e.to_string(),
    })
}

/// An object ID made safe to put in a path.
pub fn segment(id: &str) -> String {
    sign::encode(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_default_to_https_and_http_is_loopback_only() {
        let e = Endpoint::parse("api-1234abcd.duosecurity.com").ok();
        assert_eq!(
            e.map(|e| e.base_url),
            Some("https://api-1234abcd.duosecurity.com".to_owned())
        );
        let local = Endpoint::parse("http://127.0.0.1:8443/").ok();
        assert_eq!(
            local.as_ref().map(|e| e.sign_host.as_str()),
            Some("127.0.0.1:8443")
        );
        assert!(Endpoint::parse("http://[::1]:9").is_ok());
        assert!(Endpoint::parse("http://localhost:9").is_ok());
        assert_eq!(
            Endpoint::parse("http://api-1234abcd.duosecurity.com"),
            Err(ConfigError::InsecureHost(
                "http://api-1234abcd.duosecurity.com".to_owned()
            ))
        );
        assert!(matches!(
            Endpoint::parse("ftp://x"),
            Err(ConfigError::BadHost(_))
        ));
        assert!(matches!(
            Endpoint::parse("api host with spaces"),
            Err(ConfigError::BadHost(_))
        ));
        assert!(matches!(Endpoint::parse(""), Err(ConfigError::BadHost(_))));
    }

    #[test]
    fn fail_envelopes_become_api_errors() {
        let body = br#"{"stat":"FAIL","code":40002,"message":"Invalid request parameters","message_detail":"name"}"#;
        match envelope("POST", "/admin/v1/groups", 400, body) {
            Err(Error::Api {
                status,
                code,
                detail,
                ..
            }) => {
                assert_eq!(
                    (status, code, detail.as_deref()),
                    (400, 40002, Some("name"))
                );
            }
            _ => panic!("expected an API error"),
        }
    }

    #[test]
    fn an_empty_string_code_falls_back_to_the_status() {
        let body = br#"{"stat":"FAIL","code":"","message":"Resource not found"}"#;
        let err = envelope("GET", "/admin/v2/groups/X", 404, body).err();
        assert_eq!(err.and_then(|e| e.code()), Some(40400));
    }

    #[test]
    fn non_json_answers_are_decode_errors() {
        let err = envelope("GET", "/admin/v1/groups", 502, b"<html>Bad gateway</html>").err();
        assert!(matches!(err, Some(Error::Decode { .. })));
    }

    #[test]
    fn next_offset_null_or_absent_ends_paging() {
        assert_eq!(next_offset(&serde_json::Value::Null), None);
        assert_eq!(next_offset(&serde_json::json!(100)), Some(100));
        assert_eq!(next_offset(&serde_json::json!("200")), Some(200));
    }

    #[test]
    fn ids_cannot_escape_their_path_segment() {
        assert_eq!(segment("../users"), "..%2Fusers");
        assert_eq!(segment("DGABC123"), "DGABC123");
    }
}
