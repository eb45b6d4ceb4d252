//! The `duo` provider block: where the Duo account is, its Admin API key pair, and the knobs
//! for timeouts, retries and pacing. Credentials fall back to the environment variables Duo's
//! own tools use, and are checked once, at configure time, with one cheap signed call.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::duo;
use crate::plugin::{
    AttrPath, DataSource, Diagnostic, Diagnostics, EphemeralResource, ListResource, Obj, Provider,
    Resource, Schema, Scope, State, Validator,
};
use crate::resources::{self, Action, Op};

pub struct DuoProvider;

/// The provider's registry address.
pub const ADDRESS: &str = "registry.terraform.io/duo-rs/duo";

const API_HOST_ENV: &[&str] = &["DUO_API_HOST", "DUO_API_HOSTNAME"];
const IKEY_ENV: &[&str] = &["DUO_IKEY", "DUO_INTEGRATION_KEY"];
const SKEY_ENV: &[&str] = &["DUO_SKEY", "DUO_SECRET_KEY"];
const CA_BUNDLE_ENV: &[&str] = &["DUO_CA_BUNDLE_FILE"];
const ACCOUNT_ID_ENV: &[&str] = &["DUO_ACCOUNT_ID"];

const DEFAULT_TIMEOUT_SECONDS: i64 = 60;

crate::plugin::state! {
    /// The provider block.
    pub struct ProviderConfig {
        api_host: Option<String> {
            .optional()
            .describe(
                "The Admin API hostname, e.g. `api-xxxxxxxx.duosecurity.com` (HTTPS). `http://127.0.0.1:PORT` \
                 is accepted for loopback addresses only, to reach `duo-emulator`. Falls back to \
                 `DUO_API_HOST`, then `DUO_API_HOSTNAME`.",
            )
        },
        ikey: Option<String> {
            .optional()
            .describe(
                "The integration key of an Admin API application. Falls back to `DUO_IKEY`, then \
                 `DUO_INTEGRATION_KEY`.",
            )
        },
        skey: Option<String> {
            .optional()
            .sensitive()
            .describe(
                "The secret key of that application. Never logged. Falls back to `DUO_SKEY`, then \
                 `DUO_SECRET_KEY`.",
            )
        },
        account_id: Option<String> {
            .optional()
            .validate(account_id_validator())
            .describe(
                "A child account of an MSP parent (`DA…`), which every resource and data source acts \
                 on unless it names another in its own `account_id`. Needs the parent's Accounts \
                 API application as `ikey` and `skey`: requests go to the child's API hostname with \
                 `account_id`, as Duo's own clients send them. Falls back to `DUO_ACCOUNT_ID`. \
                 See the guide \"Managing child accounts\".",
            )
        },
        timeout_seconds: Option<i64> {
            .optional()
            .describe("How long one HTTP request to Duo may take, in seconds. Defaults to 60.")
        },
        max_retries: Option<i64> {
            .optional()
            .describe(
                "How often a request Duo rate-limits (HTTP 429) is retried, waiting 1, 2, 4 … 32 s \
                 (plus jitter) as Duo's own clients do. Reads, deletes and writes that only set \
                 values are also retried (at most 4 times) after server errors and lost answers; a \
                 creation is looked up by its natural key instead of being sent again. Defaults \
                 to 6; 0 disables retries.",
            )
        },
        rate_limit_scale: Option<f64> {
            .optional()
            .describe(
                "The provider paces itself under Duo's published per-account limits (300 writes, \
                 300 single reads and 200 page reads per minute), so that large plans do not run \
                 into 429s. This multiplies those limits: raise it if Duo granted your account \
                 more. 0 disables pacing. Defaults to 1.",
            )
        },
        max_api_capacity: Option<f64> {
            .optional()
            .describe(
                "The percentage (1–100) of Duo's per-account limits the provider allows itself, \
                 leaving the rest to the other integrations that share the account's budget (SSO, \
                 directory sync, SIEM exports). When Duo still answers 429, the provider halves its \
                 pace for that kind of request and recovers over two minutes. Defaults to 90.",
            )
        },
        ca_bundle_file: Option<String> {
            .optional()
            .describe(
                "A PEM file of CA certificates to trust beside the system's, for a corporate proxy \
                 that inspects TLS. Certificates are always verified; plain `http://` is accepted \
                 for loopback addresses only. Also `DUO_CA_BUNDLE_FILE`.",
            )
        },
        batch_requests: Option<bool> {
            .optional()
            .describe(
                "Gather requests Terraform makes at the same time: reads of users and groups become \
                 list calls filtered by up to 100 IDs, reads of every other type single reads only \
                 until one paged listing of the type is cheaper, memberships and users' phones and \
                 tokens come from those listings, user creations become `bulk_create` calls \
                 of up to 100 users, and user modifications and deletions and membership changes \
                 become `/admin/v1/bulk` calls of up to 50 operations. Set `false` for one \
                 request per object. Defaults to true.",
            )
        },
    }
}
const DEFAULT_MAX_RETRIES: i64 = 6;

#[async_trait]
impl Provider for DuoProvider {
    type Client = duo::Client;
    const DISPLAY_NAME: &'static str = "Duo";

    fn schema(&self) -> Schema {
        Schema::new("The Duo provider manages a Duo Security account through the Duo Admin API.")
            .attrs(ProviderConfig::attributes())
    }

    fn validate(&self, config: &Obj) -> Diagnostics {
        let config = match ProviderConfig::from_obj(config) {
            Ok(c) => c,
            Err(d) => return d.into(),
        };
        let mut diags = Diagnostics::default();
        for (name, value, min) in [
            (ProviderConfig::timeout_seconds, config.timeout_seconds, 1),
            (ProviderConfig::max_retries, config.max_retries, 0),
        ] {
            if let Some(n) = value
                && n < min
            {
                diags.push(
                    Diagnostic::error(
                        format!("Invalid {name}"),
                        format!("`{name}` must be at least {min}, not {n}."),
                    )
                    .at(AttrPath::root(name)),
                );
            }
        }
        if let Some(p) = config.max_api_capacity
            && !(1.0..=100.0).contains(&p)
        {
            diags.push(
                Diagnostic::error(
                    "Invalid max_api_capacity",
                    format!("`max_api_capacity` is a percentage from 1 to 100, not {p}."),
                )
                .at(AttrPath::root(ProviderConfig::max_api_capacity)),
            );
        }
        if config.rate_limit_scale.is_some_and(|f| f < 0.0) {
            diags.push(
                Diagnostic::error(
                    "Invalid rate_limit_scale",
                    "`rate_limit_scale` must not be negative.",
                )
                .at(AttrPath::root(ProviderConfig::rate_limit_scale)),
            );
        }
        if let Some(host) = &config.api_host
            && let Err(e) = duo::Client::new(&client_config(host, "", "", &config))
        {
            diags.push(
                Diagnostic::error("Invalid api_host", e.to_string())
                    .at(AttrPath::root(ProviderConfig::api_host)),
            );
        }
        diags
    }

    async fn configure(
        &self,
        config: &Obj,
        terraform_version: &str,
    ) -> Result<duo::Client, Diagnostics> {
        let config = ProviderConfig::from_obj(config)?;
        let mut diags = Diagnostics::default();
        let mut require = |name: &str,
                           value: &Option<String>,
                           env: &[&str],
                           what: &str|
         -> Option<String> {
            let found = setting(value, env);
            if found.is_none() {
                diags.push(
                    Diagnostic::error(
                        format!("Missing {name}"),
                        format!(
                            "Set `{name}` in the provider block or the environment variable {}. It is {what}.",
                            env.join(" or ")
                        ),
                    )
                    .at(AttrPath::root(name)),
                );
            }
            found
        };
        let host = require(
            ProviderConfig::api_host,
            &config.api_host,
            API_HOST_ENV,
            "the API hostname shown on the Admin API application's page in the Duo Admin Panel",
        );
        let ikey = require(
            ProviderConfig::ikey,
            &config.ikey,
            IKEY_ENV,
            "the integration key of that Admin API application",
        );
        let skey = require(
            ProviderConfig::skey,
            &config.skey,
            SKEY_ENV,
            "the secret key of that Admin API application",
        );
        let (Some(host), Some(ikey), Some(skey)) = (host, ikey, skey) else {
            return Err(diags);
        };
        let mut cfg = client_config(&host, &ikey, &skey, &config);
        if let Some(path) = setting(&config.ca_bundle_file, CA_BUNDLE_ENV) {
            let pem = std::fs::read(&path).map_err(|e| {
                Diagnostics::from(
                    Diagnostic::error(
                        "Cannot read ca_bundle_file",
                        format!("Reading {path:?} failed: {e}. Give the path of a PEM file of CA certificates."),
                    )
                    .at(AttrPath::root(ProviderConfig::ca_bundle_file)),
                )
            })?;
            cfg.extra_roots_pem = Some(pem);
        }
        cfg.account_id = setting(&config.account_id, ACCOUNT_ID_ENV);
        cfg.user_agent = format!(
            "terraform-provider-duo/{} (Terraform {terraform_version})",
            env!("CARGO_PKG_VERSION")
        );
        let client = duo::Client::new(&cfg).map_err(|e| {
            let attr = match e {
                duo::ConfigError::BadCaBundle(_) => ProviderConfig::ca_bundle_file,
                _ => ProviderConfig::api_host,
            };
            Diagnostics::from(
                Diagnostic::error(format!("Invalid {attr}"), e.to_string())
                    .at(AttrPath::root(attr)),
            )
        })?;
        match cfg.account_id.as_deref() {
            // The child named must be one of this parent's: the Accounts API's listing proves
            // the key pair and the child at once, and gives the child's host.
            Some(id) => {
                client.for_account(id).await.map_err(|e| match e.status() {
                    // The key pair itself is wrong: as for any other key pair.
                    Some(401) => credential_diagnostic(&host, &e),
                    _ => account_diagnostic(id, &e, true),
                })?;
            }
            None => client
                .check_credentials()
                .await
                .map_err(|e| credential_diagnostic(&host, &e))?,
        }
        Ok(client)
    }

    fn stop(&self, client: &duo::Client) {
        client.stop();
    }

    fn scope(&self) -> Option<Scope> {
        Some(Scope {
            name: ProviderConfig::account_id,
            description: format!(
                "The child account (`DA…`) to act in, when the provider's key pair is an MSP \
                 parent's Accounts API application; defaults to the provider block's \
                 `account_id`, and to the key pair's own account without one. An object's is kept \
                 in state; in an import ID it follows the ID as `ID{ACCOUNT_SEPARATOR}ACCOUNT_ID`."
            ),
            identity_version: 1,
            split_import_id: split_account,
            validators: vec![account_id_validator()],
        })
    }

    fn default_scope(&self, client: &duo::Client) -> Option<String> {
        client.default_account().map(str::to_owned)
    }

    async fn scoped(
        &self,
        client: &Arc<duo::Client>,
        account: Option<&str>,
    ) -> Result<Arc<duo::Client>, Diagnostics> {
        match account {
            Some(id) => client
                .for_account(id)
                .await
                .map_err(|e| account_diagnostic(id, &e, false)),
            None if client.is_accounts_key() => Err(Diagnostics::from(Diagnostic::error(
                "An Accounts API key pair reaches child accounts only",
                format!(
                    "`ikey` is the key of an Accounts API application (an MSP parent's), which \
                     manages child accounts but none of the parent's own objects. Set \
                     `{a}` on this resource or data source (or in the provider block) to the \
                     child account it belongs to, or use an Admin API application's key pair \
                     for the parent's own account.",
                    a = ProviderConfig::account_id
                ),
            ))),
            None => Ok(client.clone()),
        }
    }

    fn resources(&self) -> Vec<Box<dyn Resource<duo::Client>>> {
        resources::all()
    }

    fn data_sources(&self) -> Vec<Box<dyn DataSource<duo::Client>>> {
        crate::data_sources::all()
    }

    fn ephemeral_resources(&self) -> Vec<Box<dyn EphemeralResource<duo::Client>>> {
        crate::ephemeral_resources::all()
    }

    fn list_resources(&self) -> Vec<Box<dyn ListResource<duo::Client>>> {
        crate::list_resources::all()
    }
}

/// What joins an import ID and the child account it is in: `DU3RP9I2P5Z4VCN9ZZB1@DA9V…`.
pub const ACCOUNT_SEPARATOR: char = '@';

/// An import ID's own part and the child account it names: the part after the last
/// [`ACCOUNT_SEPARATOR`], when that is shaped like a Duo account ID (`DA` and upper-case
/// letters and digits, which no e-mail domain is).
pub fn split_account(id: &str) -> (&str, Option<&str>) {
    match id.rsplit_once(ACCOUNT_SEPARATOR) {
        Some((own, account)) if is_account_id(account) && !own.is_empty() => (own, Some(account)),
        _ => (id, None),
    }
}

/// A child account's ID, as the Accounts API gives it.
fn account_id_validator() -> Validator {
    Validator::new(
        "A Duo account ID: `DA` and upper-case letters and digits.",
        |v| match v.as_str() {
            Some(s) if is_account_id(s) => Ok(()),
            _ => Err(
                "must be a child account's ID, `DA` and upper-case letters and digits, as \
                 `duo_child_account`'s `account_id` and `data \"duo_child_accounts\"` give it."
                    .to_owned(),
            ),
        },
    )
}

fn is_account_id(s: &str) -> bool {
    s.len() >= 10
        && s.starts_with("DA")
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// What went wrong reaching child account `id` (`at_provider`: named in the provider block).
pub fn account_diagnostic(id: &str, err: &duo::Error, at_provider: bool) -> Diagnostics {
    let a = ProviderConfig::account_id;
    let d = match err {
        duo::Error::NoSuchAccount { .. } => Diagnostic::error(
            "No such child account",
            format!(
                "The parent account's Accounts API lists no child account {id}. Check `{a}`: \
                 `data \"duo_child_accounts\"` lists the children this key pair manages."
            ),
        ),
        duo::Error::Api { status: 403, .. } => Diagnostic::error(
            "Child accounts need the parent's Accounts API key pair",
            format!(
                "`{a} = \"{id}\"` acts on a child account through the MSP parent's Accounts \
                     API application, but Duo refused this key pair on the Accounts API ({err}). \
                     `ikey` and `skey` must be the Accounts API application's (Duo Admin Panel: \
                     Applications, Protect an Application, Accounts API), not an Admin API \
                     application's."
            ),
        ),
        other => {
            return Diagnostics::from(resources::diagnose(
                Op::new(Action::Read, &crate::resources::child_account::KIND),
                other,
            ));
        }
    };
    Diagnostics::from(if at_provider {
        d.at(AttrPath::root(a))
    } else {
        d
    })
}

/// The configured value, else the first environment variable that is set and not empty.
fn setting(value: &Option<String>, env: &[&str]) -> Option<String> {
    value
        .clone()
        .or_else(|| env.iter().find_map(|k| std::env::var(k).ok()))
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

fn client_config(host: &str, ikey: &str, skey: &str, config: &ProviderConfig) -> duo::Config {
    let scale = config.rate_limit_scale.unwrap_or(1.0);
    duo::Config {
        api_host: host.to_owned(),
        ikey: ikey.to_owned(),
        skey: skey.to_owned(),
        timeout: Duration::from_secs(
            config
                .timeout_seconds
                .unwrap_or(DEFAULT_TIMEOUT_SECONDS)
                .max(1) as u64,
        ),
        max_retries: config
            .max_retries
            .unwrap_or(DEFAULT_MAX_RETRIES)
            .clamp(0, 10) as u32,
        retry_base: Duration::from_secs(1),
        rate_scale: scale.max(0.0),
        capacity: config
            .max_api_capacity
            .map_or(duo::DEFAULT_CAPACITY, |p| p.clamp(1.0, 100.0) / 100.0),
        coalesce: config.batch_requests.unwrap_or(true),
        user_agent: format!("terraform-provider-duo/{}", env!("CARGO_PKG_VERSION")),
        extra_roots_pem: None,
        account_id: None,
    }
}

/// One actionable message for each way the credential check fails.
fn credential_diagnostic(host: &str, err: &duo::Error) -> Diagnostics {
    let (summary, detail, attr) = match err {
        duo::Error::Api {
            code: 40101 | 40102,
            ..
        } => (
            "Duo does not accept this integration key",
            format!(
                "Duo at {host} answered: {err}. Check `ikey`: it must be the integration key of an \
                 Admin API application in this Duo account (Auth API and other application keys do \
                 not work with the Admin API), and `api_host` must be that account's API hostname."
            ),
            ProviderConfig::ikey,
        ),
        duo::Error::Api { code: 40103, .. } => (
            "Duo rejected the request signature",
            format!(
                "Duo at {host} answered: {err}. The secret key `skey` does not belong to `ikey`, or \
                 this machine's clock is more than a few minutes off. Copy the secret key again \
                 from the Admin API application's page."
            ),
            // Not pointed at `skey`: Terraform would print that config line, secret and all.
            "",
        ),
        duo::Error::Api { status: 401, .. } => (
            "Duo rejected the credentials",
            format!(
                "Duo at {host} answered: {err}. Check `ikey`, `skey` and this machine's clock."
            ),
            ProviderConfig::ikey,
        ),
        duo::Error::Transport { reason, .. } if reason.contains("certificate") => (
            "Cannot verify Duo's TLS certificate",
            format!(
                "{err}. If a proxy on your network inspects TLS, give its CA certificate in \
                 `ca_bundle_file` (or DUO_CA_BUNDLE_FILE); certificate checks cannot be turned off."
            ),
            ProviderConfig::api_host,
        ),
        duo::Error::Transport { .. } => (
            "Cannot reach Duo",
            format!(
                "{err}. Check `api_host` (the API hostname from the Admin API application's page) and the network."
            ),
            ProviderConfig::api_host,
        ),
        duo::Error::Decode { .. } => (
            "This host does not answer like the Duo Admin API",
            format!(
                "{err}. Check that `api_host` is the API hostname (api-xxxxxxxx.duosecurity.com), not the Admin Panel's address."
            ),
            ProviderConfig::api_host,
        ),
        other => {
            return Diagnostics::from(resources::diagnose(
                Op::new(Action::Read, &crate::data_sources::account::KIND).on("the Duo account"),
                other,
            ));
        }
    };
    let d = Diagnostic::error(summary, detail);
    Diagnostics::from(if attr.is_empty() {
        d
    } else {
        d.at(AttrPath::root(attr))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::{Number, Value};

    fn paths(diags: &Diagnostics) -> Vec<Option<AttrPath>> {
        diags.0.iter().map(|d| d.path.clone()).collect()
    }

    #[test]
    fn each_bad_setting_is_refused_at_its_attribute_and_good_ones_pass() {
        let good = Obj::default()
            .with(ProviderConfig::api_host, "api-1234abcd.duosecurity.com")
            .with(ProviderConfig::timeout_seconds, 30_i64)
            .with(ProviderConfig::max_retries, 0_i64)
            .with(
                ProviderConfig::max_api_capacity,
                Value::Number(Number::Float(50.0)),
            )
            .with(
                ProviderConfig::rate_limit_scale,
                Value::Number(Number::Float(0.0)),
            );
        assert!(DuoProvider.validate(&good).0.is_empty());
        // Unknown values (from other resources) are checked later, at configure time.
        let unknown = Obj::default().with(ProviderConfig::api_host, Value::Unknown);
        assert!(DuoProvider.validate(&unknown).0.is_empty());

        let bad = Obj::default()
            .with(ProviderConfig::api_host, "http://duo.example.com")
            .with(ProviderConfig::timeout_seconds, 0_i64)
            .with(ProviderConfig::max_retries, -1_i64)
            .with(
                ProviderConfig::max_api_capacity,
                Value::Number(Number::Float(150.0)),
            )
            .with(
                ProviderConfig::rate_limit_scale,
                Value::Number(Number::Float(-2.0)),
            );
        let diags = DuoProvider.validate(&bad);
        assert_eq!(
            paths(&diags),
            [
                ProviderConfig::timeout_seconds,
                ProviderConfig::max_retries,
                ProviderConfig::max_api_capacity,
                ProviderConfig::rate_limit_scale,
                ProviderConfig::api_host,
            ]
            .map(|a| Some(AttrPath::root(a))),
            "{diags:?}"
        );
    }

    #[test]
    fn the_client_takes_defaults_for_what_is_not_set_and_clamps_the_rest() {
        let none = client_config("h", "i", "s", &ProviderConfig::default());
        assert_eq!(none.timeout, Duration::from_secs(60));
        assert_eq!(none.max_retries, 6);
        assert_eq!(
            (none.rate_scale, none.capacity),
            (1.0, duo::DEFAULT_CAPACITY)
        );
        assert!(none.coalesce);
        let set = ProviderConfig {
            timeout_seconds: Some(5),
            max_retries: Some(99),
            max_api_capacity: Some(40.0),
            rate_limit_scale: Some(2.5),
            batch_requests: Some(false),
            ..ProviderConfig::default()
        };
        let cfg = client_config("h", "i", "s", &set);
        assert_eq!(cfg.timeout, Duration::from_secs(5));
        assert_eq!(cfg.max_retries, 10);
        assert_eq!((cfg.rate_scale, cfg.capacity), (2.5, 0.4));
        assert!(!cfg.coalesce);
    }

    #[test]
    fn an_import_id_names_a_child_account_after_its_last_at_sign_only_when_shaped_like_one() {
        let child = "DA0123456789ABCDEFGH";
        assert_eq!(split_account(&format!("DU1@{child}")), ("DU1", Some(child)));
        // Administrators import by e-mail address; a domain is never shaped like an account.
        assert_eq!(
            split_account(&format!("email:ann@example.com@{child}")),
            ("email:ann@example.com", Some(child))
        );
        for own in [
            "email:ann@example.com",
            "a@DAshort",
            "@DA0123456789ABCDEFGH",
            "DU1@da0123456789abcdefgh",
        ] {
            assert_eq!(split_account(own), (own, None), "{own}");
        }
    }

    #[test]
    fn a_configured_value_wins_is_trimmed_and_blank_means_unset() {
        assert_eq!(setting(&Some("  k  ".into()), &[]), Some("k".to_owned()));
        assert_eq!(setting(&Some("   ".into()), &[]), None);
        assert_eq!(setting(&None, &[]), None);
    }

    #[test]
    fn each_failed_credential_check_says_what_to_fix_and_never_points_at_the_secret() {
        let api = |status, code| duo::Error::Api {
            status,
            code,
            message: "Invalid".into(),
            detail: None,
            route: "GET /admin/v1/info/summary".into(),
        };
        let transport = |reason: &str| duo::Error::Transport {
            host: "h".into(),
            reason: reason.into(),
            connected: false,
        };
        let decode = duo::Error::Decode {
            route: "GET /admin/v1/info/summary".into(),
            reason: "not JSON".into(),
        };
        let ikey = Some(AttrPath::root(ProviderConfig::ikey));
        let host = Some(AttrPath::root(ProviderConfig::api_host));
        for (err, summary, path) in [
            (
                api(401, 40101),
                "Duo does not accept this integration key",
                ikey.clone(),
            ),
            (api(401, 40103), "Duo rejected the request signature", None),
            (api(401, 40199), "Duo rejected the credentials", ikey),
            (
                transport("invalid peer certificate"),
                "Cannot verify Duo's TLS certificate",
                host.clone(),
            ),
            (
                transport("connection refused"),
                "Cannot reach Duo",
                host.clone(),
            ),
            (
                decode,
                "This host does not answer like the Duo Admin API",
                host,
            ),
        ] {
            let diags = credential_diagnostic("api-x.duosecurity.com", &err);
            assert_eq!(diags.0.len(), 1, "{err}");
            assert_eq!(diags.0[0].summary, summary, "{err}");
            assert_eq!(diags.0[0].path, path, "{err}");
        }
        // Anything else is explained as a failed read of the account, with its permission.
        let forbidden = credential_diagnostic("h", &api(403, 40301));
        assert!(
            forbidden.0[0].detail.contains("permission"),
            "{:?}",
            forbidden.0[0]
        );
    }
}
