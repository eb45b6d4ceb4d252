//! The `duo-emulator` command: flags, seed loading, and the one stdout line
//! (`listening on http://ADDR`, or `https://` with `--tls`) that scripts wait for.

use std::process::ExitCode;

use clap::Parser;
use duo_emulator::{
    AppState, BulkAnswers, DEMO_ACCOUNTS_IKEY, DEMO_ACCOUNTS_SKEY, DEMO_IKEY, DEMO_SKEY, EDITIONS,
    Faults, Options, Seed, Spec, Tenant, Tls,
};

/// A local Duo Admin API for tests and CI. Requests must be signed with the key pair given
/// (or the printed demo pair), exactly as Duo requires.
#[derive(Parser)]
#[command(
    version,
    after_help = "Test endpoints (unsigned, loopback clients only):\n  \
        GET  /_emulator/tenant        every object the tenant holds\n  \
        GET  /_emulator/stats         signed requests received, by class, route and account\n  \
             (either with ?account_id=ID: one child account's; empty: the parent's own)\n  \
        POST /_emulator/other-deployment?account_id=ID   body true|false: the child answers\n  \
             as one on another Duo deployment (HTTP 400)\n  \
        POST /_emulator/stats/reset   zero the stats\n  \
        GET  /_emulator/faults        the injected faults\n  \
        POST /_emulator/faults        new faults, a --faults spec as the body (empty: none)\n\n\
        Point the provider at it with DUO_API_HOST=http://ADDRESS and the key pair above;\n\
        with --tls, DUO_API_HOST=localhost:PORT and DUO_CA_BUNDLE_FILE=the --tls-ca file.\n\
        Testing your own configuration in CI: docs/guides/testing-with-the-emulator.md"
)]
struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8443")]
    listen: String,
    /// The Admin API integration key accepted.
    #[arg(long, default_value = DEMO_IKEY)]
    ikey: String,
    /// The secret key accepted.
    #[arg(long, default_value = DEMO_SKEY)]
    skey: String,
    /// The parent account's Accounts API integration key (an MSP's): it lists, creates and
    /// deletes child accounts, and calls the Admin API on a child with `account_id`.
    #[arg(long, default_value = DEMO_ACCOUNTS_IKEY)]
    accounts_ikey: String,
    /// The Accounts API secret key accepted.
    #[arg(long, default_value = DEMO_ACCOUNTS_SKEY)]
    accounts_skey: String,
    /// The account's edition, which decides the policy sections it accepts (a child's is set
    /// through the billing endpoint, or in the seed file).
    #[arg(long, default_value = "ENTERPRISE", value_parser = EDITIONS.to_vec())]
    edition: String,
    /// Start from the tenant in this JSON file ({"groups": [...], "users": [...], "children":
    /// [{"name": ..., "edition": ..., "tenant": {...}}]}, see the README).
    #[arg(long)]
    seed: Option<std::path::PathBuf>,
    /// Add a generated tenant (after --seed), e.g.
    /// `users=5000,groups=200,memberships=5000,phones=500,tokens=50,bypass_codes=20,integrations=20,policies=5,admins=5,admin_units=2`.
    /// Names are deterministic and include punctuation, accents and near-duplicates;
    /// `children=N` adds N child accounts, each with the same objects.
    #[arg(long)]
    generate: Option<Spec>,
    /// `duo` enforces Duo's per-account limits per rate class; `off` never throttles.
    #[arg(long, value_parser = ["off", "duo"], default_value = "off")]
    rate_limits: String,
    /// Multiplies every rate limit.
    #[arg(long, default_value_t = 1.0)]
    rate_scale: f64,
    /// Failures to inject, e.g. `429=0.1,503=0.05,drop=0.02,latency=20` (change them while
    /// running with `POST /_emulator/faults`, the spec as the body).
    #[arg(long, default_value = "")]
    faults: String,
    /// Seed for the injected faults, to make them reproducible.
    #[arg(long)]
    fault_seed: Option<u64>,
    /// Seconds a request's date may differ from this machine's clock.
    #[arg(long, default_value_t = 300)]
    clock_window: i64,
    /// The Admin API permissions the key pair has, comma-separated: `read_resource`,
    /// `write_resource`, `applications`, `administrators`, `settings`, `read_information`.
    /// Requests needing another are refused with 403 40301. Default: all.
    #[arg(
        long,
        default_value = "read_resource,write_resource,applications,administrators,settings,read_information",
        value_delimiter = ','
    )]
    grants: Vec<String>,
    /// How `POST /admin/v1/bulk` answers, which Duo does not document: `each` (one envelope per
    /// operation), `until-failure` (operations stop at the first refused), `all-or-nothing`
    /// (a refusal fails the request and applies nothing) or `bare` (`""`, or the first
    /// refusal's error with the other operations applied).
    #[arg(long, default_value = "each", value_parser = BulkAnswers::NAMES)]
    bulk_answers: String,
    /// Serve HTTPS with a certificate for 127.0.0.1, ::1 and localhost, issued by a CA made at
    /// start and written to --tls-ca; the start line becomes `listening on https://ADDR`.
    #[arg(long, requires = "tls_ca")]
    tls: bool,
    /// Where --tls writes its CA certificate (PEM), for clients to trust; replaced on each start.
    #[arg(long, value_name = "FILE", requires = "tls")]
    tls_ca: Option<std::path::PathBuf>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("duo-emulator: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    let faults = Faults::parse(&args.faults).map_err(|e| format!("--faults: {e}"))?;
    if let Some(bad) = args
        .grants
        .iter()
        .find(|g| !g.is_empty() && !duo_emulator::GRANTS.contains(&g.as_str()))
    {
        return Err(format!(
            "--grants: unknown permission {bad:?}; use {}",
            duo_emulator::GRANTS.join(", ")
        ));
    }
    if args.rate_scale.is_nan() || args.rate_scale <= 0.0 {
        return Err("--rate-scale must be greater than 0".to_owned());
    }
    let mut tenant = match &args.seed {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("--seed {}: {e}", path.display()))?;
            let seed: Seed = serde_json::from_str(&text)
                .map_err(|e| format!("--seed {}: {e}", path.display()))?;
            Tenant::from_seed(seed).map_err(|e| format!("--seed {}: {e}", path.display()))?
        }
        None => Tenant::default(),
    };
    tenant.edition = Some(args.edition);
    if let Some(spec) = &args.generate {
        duo_emulator::generate(&mut tenant, spec).map_err(|e| format!("--generate: {e}"))?;
    }
    let options = Options {
        ikey: args.ikey,
        skey: args.skey,
        rate_limits: args.rate_limits == "duo",
        rate_scale: args.rate_scale,
        faults,
        fault_seed: args.fault_seed,
        clock_window: args.clock_window,
        grants: args.grants,
        bulk_answers: args.bulk_answers.parse()?,
        accounts_ikey: args.accounts_ikey,
        accounts_skey: args.accounts_skey,
    };
    if options.ikey == DEMO_IKEY {
        eprintln!("duo-emulator: demo key pair: ikey {DEMO_IKEY} skey {DEMO_SKEY}");
    }
    if options.accounts_ikey == DEMO_ACCOUNTS_IKEY {
        eprintln!(
            "duo-emulator: demo Accounts API key pair: ikey {DEMO_ACCOUNTS_IKEY} skey {DEMO_ACCOUNTS_SKEY}"
        );
    }
    let tls = match &args.tls_ca {
        Some(path) if args.tls => {
            let tls = Tls::generate()?;
            write_new_file(path, tls.ca_pem())
                .map_err(|e| format!("--tls-ca {}: {e}", path.display()))?;
            Some(tls)
        }
        _ => None,
    };
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .map_err(|e| format!("--listen {}: {e}", args.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    println!("listening on {scheme}://{addr}");
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    duo_emulator::serve(
        listener,
        tls.as_ref(),
        AppState::new(options, tenant),
        shutdown,
    )
    .await
    .map_err(|e| e.to_string())
}

/// Writes `text` to `path` through a file beside it, so a client never reads half a CA.
fn write_new_file(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    std::fs::write(&partial, text)?;
    std::fs::rename(&partial, path)
}
