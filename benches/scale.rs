//! Scale benchmark: the real `terraform` CLI and provider against the emulator with Duo's rate
//! limits on, batched and naive (`batch_requests = false`) side by side in one run.
//!
//! For each tenant size (users; groups = users / 25; one membership per user):
//! - export: `terraform-provider-duo export` of the users and groups;
//! - import: `terraform apply` of that export plus a `duo_group_member` per membership;
//! - refresh: `terraform plan` with every user, group and membership in state, batched, naive,
//!   and as a baseline the same number of Terraform's built-in `terraform_data` resources
//!   (Terraform's own time for that much state, with no provider and no API);
//!
//! and on the largest tenant, an apply creating 1,000 users (without refresh).
//!
//! Then whole tenants of every type (`BENCH_WHOLE`, users; a phone each, a token per ten users,
//! groups = users / 25, a membership per user, an application per 50 users, 20 policies, 50
//! administrators, 10 administrative units): export of every type, then import and refresh of
//! all of it, batched and (up to `BENCH_WHOLE_NAIVE` users) naive, each from its own directory;
//! then every group emptied and a fifth of the users edited in the emulator, and the apply that
//! puts them back (a membership per user added, a fifth of the users modified).
//!
//! Every whole tenant is also imported and refreshed over the plugin protocol directly
//! (`tfplugin::client`, as Terraform drives the provider, without Terraform's graph work); the
//! Terraform runs of whole tenants stop at `BENCH_WHOLE_TERRAFORM` users (5,000), as Terraform
//! takes hours for the 66,000 resources of 20,000 users.
//!
//! Each step reports API calls by Duo rate class and by type, 429s, wall time, the provider's
//! peak resident memory and CPU, and the floor Duo's limits put under the calls made.
//!
//! `cargo bench --bench scale` runs it. `BENCH_SIZES=500,1000` (`none` to skip),
//! `BENCH_WHOLE=5000,20000` (`none` to skip), `BENCH_WHOLE_NAIVE=5000`, `BENCH_WHOLE_MODES=naive`
//! (only those Terraform modes of whole tenants), `BENCH_WHOLE_WRITE=0` (no write step: the
//! naive one is Terraform's pace, not Duo's) and `BENCH_TIME_SCALE=5`
//! (the default: the emulator's `--rate-scale` and the provider's `rate_limit_scale`, limits 5×
//! Duo's, so that the naive runs take minutes, not an hour) change it.
//! Results go to `target/bench/scale.{json,md}`; `benches/chart.py` draws the chart.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark fails loudly by design"
)]

use duo_test_support::acceptance as harness;

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::future::Future;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use duo_emulator::{Options, Spec, Tenant};
use harness::Harness;
use tfplugin::client::{Object, Plugin};

static BUILD: duo_test_support::Build = duo_test_support::build!();
use serde_json::{Value, json};

/// Duo's published per-account limits, per minute (`duo-admin-api.md` §5).
const LIMITS: &[(&str, f64)] = &[
    ("modify", 300.0),
    ("get_object", 300.0),
    ("list", 200.0),
    ("bulk", 50.0),
];

/// Comma-separated user counts from `var`, `default` when unset; `none` for none.
fn counts(var: &str, default: &str) -> Vec<usize> {
    let text = std::env::var(var).unwrap_or_else(|_| default.into());
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty() && *s != "none")
        .map(|s| {
            s.parse()
                .unwrap_or_else(|_| panic!("{var}: comma-separated user counts, not {s:?}"))
        })
        .collect()
}

fn main() {
    // `cargo bench` passes `--bench`; a plain `cargo test` of benches passes nothing useful.
    let sizes = counts("BENCH_SIZES", "500,1000,2000,5000");
    let whole = counts("BENCH_WHOLE", "5000,20000");
    let naive_max = counts("BENCH_WHOLE_NAIVE", "5000")
        .first()
        .copied()
        .unwrap_or(0);
    let terraform_max = counts("BENCH_WHOLE_TERRAFORM", "5000")
        .first()
        .copied()
        .unwrap_or(0);
    let scale: f64 = std::env::var("BENCH_TIME_SCALE")
        .unwrap_or_else(|_| "5".into())
        .parse()
        .expect("BENCH_TIME_SCALE: a number");
    let largest = sizes.iter().copied().max().unwrap_or(0);
    let mut rows = Vec::new();
    for &users in &sizes {
        rows.extend(tenant_of(users, scale, users == largest));
    }
    for &users in &whole {
        rows.extend(whole_tenant_of(
            users,
            scale,
            users <= terraform_max,
            users <= naive_max,
        ));
    }
    let out = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("bench");
    std::fs::create_dir_all(&out).unwrap();
    let report = json!({
        "time_scale": scale,
        "terraform": harness::terraform_version(),
        "rows": rows,
    });
    std::fs::write(
        out.join("scale.json"),
        serde_json::to_string_pretty(&report).unwrap(),
    )
    .unwrap();
    let table = markdown(&rows, scale);
    std::fs::write(out.join("scale.md"), &table).unwrap();
    println!("{table}");
    println!("written: {}", out.join("scale.json").display());
}

fn tenant_of(users: usize, scale: f64, create: bool) -> Vec<Value> {
    let groups = (users / 25).max(1);
    let mut tenant = Tenant::default();
    let spec = Spec {
        users,
        groups,
        memberships: users,
        ..Spec::default()
    };
    duo_emulator::generate(&mut tenant, &spec).unwrap();
    let options = Options {
        rate_limits: true,
        rate_scale: scale,
        ..Options::default()
    };
    let mut h = Harness::start_with(&BUILD, &format!("bench_{users}"), options, tenant);
    h.env = h.duo_env.clone();
    let mut rows = Vec::new();
    let step = |h: &Harness, name: &str, mode: &str, run: &dyn Fn() -> std::process::Output| {
        step(h, users, scale, name, mode, &|| ok(&run()))
    };

    let dir = h.dir_path().join("export");
    rows.push(step(&h, "export", "list", &|| {
        h.export("export", &["--types", "duo_user,duo_group"]).1
    }));

    // Every membership as its own resource, imported by ID.
    let members = h.tenant();
    let mut pairs = BTreeMap::new();
    for u in members["users"].as_array().into_iter().flatten() {
        for g in u["groups"].as_array().into_iter().flatten() {
            let gid = g["group_id"].as_str().unwrap_or_default();
            let uid = u["user_id"].as_str().unwrap_or_default();
            pairs.insert(
                format!("{uid}/{gid}"),
                json!({"group_id": gid, "user_id": uid}),
            );
        }
    }
    std::fs::write(
        dir.join("memberships.auto.tfvars.json"),
        json!({"memberships": pairs}).to_string(),
    )
    .unwrap();
    std::fs::write(
        dir.join("memberships.tf"),
        r#"variable "memberships" {
  type = map(object({ group_id = string, user_id = string }))
}

resource "duo_group_member" "m" {
  for_each = var.memberships
  group_id = each.value.group_id
  user_id  = each.value.user_id
}

import {
  for_each = var.memberships
  to       = duo_group_member.m[each.key]
  id       = each.key
}
"#,
    )
    .unwrap();
    batch_variable(&dir, scale);

    let tf = |args: &[&str]| h.run_in(&dir, args);
    rows.push(step(&h, "import", "batched", &|| {
        tf(&["apply", "-auto-approve", "-input=false", "-no-color"])
    }));
    for (mode, batch) in [("batched", "true"), ("naive", "false")] {
        rows.push(step(&h, "refresh", mode, &|| {
            let out = tf(&[
                "plan",
                "-detailed-exitcode",
                "-input=false",
                "-no-color",
                "-var",
                &format!("batch={batch}"),
            ]);
            assert_eq!(out.status.code(), Some(0), "{}", harness::text(&out));
            out
        }));
    }
    // The same number of resources with no provider at all (Terraform's built-in
    // `terraform_data`): how long Terraform itself takes to plan that much state.
    let baseline = h.dir_path().join("baseline");
    std::fs::create_dir_all(&baseline).unwrap();
    let resources = users + groups + pairs.len();
    std::fs::write(
        baseline.join("main.tf"),
        format!("resource \"terraform_data\" \"r\" {{\n  count = {resources}\n  input = \"r${{count.index}}\"\n}}\n"),
    )
    .unwrap();
    let out = h.run_in(
        &baseline,
        &["apply", "-auto-approve", "-input=false", "-no-color"],
    );
    harness::assert_ok(&out, "baseline apply");
    rows.push(step(&h, "refresh", "terraform alone", &|| {
        h.run_in(
            &baseline,
            &["plan", "-detailed-exitcode", "-input=false", "-no-color"],
        )
    }));
    if create {
        for (mode, batch) in [("batched", "true"), ("naive", "false")] {
            std::fs::write(
                dir.join(format!("new_{mode}.tf")),
                format!(
                    "resource \"duo_user\" \"new_{mode}\" {{\n  count    = 1000\n  username = \"new-{mode}-${{count.index}}\"\n  email    = \"new-{mode}-${{count.index}}@example.com\"\n}}\n"
                ),
            )
            .unwrap();
            rows.push(step(&h, "create 1,000 users", mode, &|| {
                tf(&[
                    "apply",
                    "-auto-approve",
                    "-refresh=false",
                    "-input=false",
                    "-no-color",
                    "-var",
                    &format!("batch={batch}"),
                    "-target",
                    &format!("duo_user.new_{mode}"),
                ])
            }));
        }
    }
    rows
}

/// Runs one step with the emulator's stats zeroed and the provider watched: its row.
fn step(
    h: &Harness,
    users: usize,
    scale: f64,
    name: &str,
    mode: &str,
    run: &dyn Fn() -> Result<(), String>,
) -> Value {
    h.emu.state.reset_stats();
    let peak = Sampler::start();
    let start = Instant::now();
    let harness_before = own_cpu_s();
    let result = run();
    let wall = start.elapsed().as_secs_f64();
    let (peak_mb, provider_cpu, sampling_cpu) = peak.stop();
    let harness_cpu = own_cpu_s() - harness_before - sampling_cpu;
    if let Err(err) = result {
        panic!("{name} ({mode}) on {users} users failed:\n{err}");
    }
    let stats = h.emu.state.stats();
    let row = json!({
        "users": users, "step": name, "mode": mode,
        "calls": stats["total"], "by_class": stats["by_class"], "throttled": stats["throttled"],
        "by_type": by_type(&stats["by_route"]),
        "wall_s": round(wall), "floor_s": round(floor(&stats["by_class"], scale)),
        "floor_at_duo_limits_s": round(floor(&stats["by_class"], 1.0)),
        "peak_provider_mb": round(peak_mb),
        "provider_cpu_s": round(provider_cpu),
        "emulator_cpu_s": round(harness_cpu),
    });
    eprintln!("{row}");
    row
}

/// A command's outcome as a step's: its output when it failed.
fn ok(out: &std::process::Output) -> Result<(), String> {
    if out.status.success() {
        Ok(())
    } else {
        Err(harness::text(out))
    }
}

/// Calls by what they touch: a route's path without its version and ID placeholders
/// (`GET /admin/v1/users/{user_id}/phones` is `users/phones`).
fn by_type(by_route: &Value) -> Value {
    let mut types: BTreeMap<String, u64> = BTreeMap::new();
    for (route, n) in by_route.as_object().into_iter().flatten() {
        let path = route.split_once(' ').map_or(route.as_str(), |(_, p)| p);
        let name: Vec<&str> = path
            .split('/')
            .filter(|s| !s.is_empty() && *s != "admin" && !s.starts_with('{'))
            .filter(|s| !(s.starts_with('v') && s[1..].chars().all(|c| c.is_ascii_digit())))
            .collect();
        *types.entry(name.join("/")).or_default() += n.as_u64().unwrap_or(0);
    }
    json!(types)
}

/// Makes the export's provider block pace at `scale` and batch as `var.batch` says.
fn batch_variable(dir: &Path, scale: f64) {
    let main = std::fs::read_to_string(dir.join("main.tf")).unwrap();
    let main = main.replace(
        "provider \"duo\" {}",
        &format!(
            "variable \"batch\" {{\n  default = true\n}}\n\nprovider \"duo\" {{\n  rate_limit_scale = {scale}\n  batch_requests   = var.batch\n}}"
        ),
    );
    std::fs::write(dir.join("main.tf"), main).unwrap();
}

/// A tenant of every type: exported whole, imported and refreshed over the plugin protocol
/// directly, then (up to `BENCH_WHOLE_TERRAFORM` users) imported and refreshed by Terraform
/// from a copy of the export per mode, so that each import starts from no state.
fn whole_tenant_of(users: usize, scale: f64, terraform: bool, naive: bool) -> Vec<Value> {
    let spec = Spec {
        users,
        phones: users,
        tokens: users / 10,
        groups: (users / 25).max(1),
        memberships: users,
        integrations: (users / 50).max(1),
        policies: 20,
        admins: 50,
        admin_units: 10,
        ..Spec::default()
    };
    let mut tenant = Tenant::default();
    duo_emulator::generate(&mut tenant, &spec).unwrap();
    let options = Options {
        rate_limits: true,
        rate_scale: scale,
        ..Options::default()
    };
    let mut h = Harness::start_with(&BUILD, &format!("whole_{users}"), options, tenant);
    h.env = h.duo_env.clone();
    let mut rows = Vec::new();
    let export = h.dir_path().join("export");
    rows.push(step(
        &h,
        users,
        scale,
        "whole tenant: export",
        "list",
        &|| ok(&h.export("export", &[]).1),
    ));
    rows.extend(protocol_steps(&h, users, scale, &export));
    if !terraform {
        return rows;
    }
    batch_variable(&export, scale);
    let modes: &[(&str, &str)] = if naive {
        &[("batched", "true"), ("naive", "false")]
    } else {
        &[("batched", "true")]
    };
    let chosen = std::env::var("BENCH_WHOLE_MODES").unwrap_or_else(|_| "batched,naive".into());
    let write = std::env::var("BENCH_WHOLE_WRITE").map_or(true, |v| v != "0");
    for (mode, batch) in modes
        .iter()
        .filter(|(m, _)| chosen.split(',').any(|c| c.trim() == *m))
    {
        let dir = h.dir_path().join(format!("whole_{mode}"));
        std::fs::create_dir_all(&dir).unwrap();
        for f in std::fs::read_dir(&export).unwrap().flatten() {
            if f.path().is_file() {
                std::fs::copy(f.path(), dir.join(f.file_name())).unwrap();
            }
        }
        let var = format!("batch={batch}");
        let tf = |args: &[&str]| {
            let mut all = args.to_vec();
            all.extend(["-input=false", "-no-color", "-var", &var]);
            h.run_in(&dir, &all)
        };
        rows.push(step(
            &h,
            users,
            scale,
            "whole tenant: import",
            mode,
            &|| ok(&tf(&["apply", "-auto-approve"])),
        ));
        rows.push(step(
            &h,
            users,
            scale,
            "whole tenant: refresh",
            mode,
            &|| {
                let out = tf(&["plan", "-detailed-exitcode"]);
                assert_eq!(out.status.code(), Some(0), "{}", harness::text(&out));
                ok(&out)
            },
        ));
        if !write {
            continue;
        }
        // Someone empties every group and edits a fifth of the users by hand: the apply
        // adds every membership back and modifies those users.
        h.emu.state.mutate(|t| {
            for (i, u) in t.users.values_mut().enumerate() {
                u.groups.clear();
                if i % 5 == 0 {
                    u.email = format!("edited{i}@example.com");
                }
            }
        });
        rows.push(step(
            &h,
            users,
            scale,
            &format!(
                "whole tenant: add {users} memberships, modify {} users",
                users / 5
            ),
            mode,
            &|| ok(&tf(&["apply", "-auto-approve"])),
        ));
        let out = tf(&["plan", "-detailed-exitcode"]);
        assert_eq!(out.status.code(), Some(0), "{}", harness::text(&out));
    }
    rows
}

/// Terraform's default `-parallelism`: how many resource operations it runs at once.
const PARALLELISM: usize = 10;

/// The export imported and then refreshed over the plugin protocol as Terraform drives it (each
/// object imported, then read; then, by a new provider process as for a new command, every
/// object read again; `PARALLELISM` at a time) without Terraform's own graph work, which grows
/// faster than the state (about 2.4 times as long for 2.5 times the resources, see the
/// `terraform_data` baseline) and takes hours at 20,000 users. Against the Terraform runs of the
/// same tenant this shows how much of their wall time is Terraform's.
fn protocol_steps(h: &Harness, users: usize, scale: f64, export: &Path) -> Vec<Value> {
    let ids = harness::import_ids(export);
    eprintln!(
        "whole tenant of {users} users: {} objects exported",
        ids.len()
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let imported = Mutex::new(Vec::new());
    let mut rows = vec![step(
        h,
        users,
        scale,
        "whole tenant: import",
        "protocol",
        &|| {
            let objects =
                runtime.block_on(each(h, scale, ids.clone(), |p, (ty, id)| async move {
                    let mut read = Vec::new();
                    for o in p
                        .import(&ty, &id)
                        .await
                        .map_err(|e| format!("import {ty} {id}: {e}"))?
                    {
                        read.extend(
                            p.read(&o)
                                .await
                                .map_err(|e| format!("read {ty} {id}: {e}"))?,
                        );
                    }
                    Ok(read)
                }))?;
            *imported.lock().unwrap() = objects;
            Ok(())
        },
    )];
    let objects = imported.into_inner().unwrap();
    assert!(
        objects.len() >= ids.len(),
        "{} imports, {} objects",
        ids.len(),
        objects.len()
    );
    rows.push(step(
        h,
        users,
        scale,
        "whole tenant: refresh",
        "protocol",
        &|| {
            let read = runtime.block_on(each(h, scale, objects.clone(), |p, o| async move {
                let read = p
                    .read(&o)
                    .await
                    .map_err(|e| format!("read {}: {e}", o.type_name))?;
                Ok(read.into_iter().collect())
            }))?;
            match read.len() == objects.len() {
                true => Ok(()),
                false => Err(format!(
                    "{} of {} objects read back",
                    read.len(),
                    objects.len()
                )),
            }
        },
    ));
    rows
}

/// Starts and configures a provider process (batched, paced at `scale`), runs `f` on every item,
/// `PARALLELISM` at a time, and shuts the provider down: the objects `f` returned.
async fn each<T, F, Fut>(
    h: &Harness,
    scale: f64,
    items: Vec<T>,
    f: F,
) -> Result<Vec<Object>, String>
where
    T: Send + 'static,
    F: Fn(Arc<Plugin>, T) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<Vec<Object>, String>> + Send,
{
    let mut command = std::process::Command::new(BUILD.provider);
    command
        .envs(h.duo_env.clone())
        .stderr(std::process::Stdio::null());
    let plugin = Plugin::start(command).await.map_err(|e| e.to_string())?;
    let mut config = tfplugin::Value::null_object(plugin.provider_type());
    if let tfplugin::Value::Object(attrs) = &mut config {
        attrs.insert(
            "rate_limit_scale".into(),
            tfplugin::Value::Number(tfplugin::Number::Float(scale)),
        );
    }
    plugin
        .configure("1.11.4", &config)
        .await
        .map_err(|e| e.to_string())?;
    let plugin = Arc::new(plugin);
    let permits = Arc::new(tokio::sync::Semaphore::new(PARALLELISM));
    let mut tasks = tokio::task::JoinSet::new();
    for item in items {
        let (plugin, permits, f) = (plugin.clone(), permits.clone(), f.clone());
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await.map_err(|e| e.to_string())?;
            f(plugin, item).await
        });
    }
    let mut objects = Vec::new();
    while let Some(done) = tasks.join_next().await {
        objects.extend(done.map_err(|e| e.to_string())??);
    }
    match Arc::try_unwrap(plugin) {
        Ok(plugin) => plugin.shutdown().await.map_err(|e| e.to_string())?,
        Err(_) => return Err("the provider is still in use after every task ended".into()),
    }
    Ok(objects)
}

/// The least time Duo's limits (times `scale`) allow for these calls: each class spends its
/// bucket's burst at once, then its per-minute rate; classes run side by side.
fn floor(by_class: &Value, scale: f64) -> f64 {
    LIMITS
        .iter()
        .map(|(class, per_minute)| {
            let calls = by_class[class].as_f64().unwrap_or(0.0);
            let limit = per_minute * scale;
            (calls - limit).max(0.0) / limit * 60.0
        })
        .fold(0.0, f64::max)
}

fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Watches every `terraform-provider-duo` process: the largest peak resident set (`VmHWM`)
/// seen, and the CPU time they used (last seen per process), which shows how much of a run's
/// wall time is the provider's and how much Terraform's own.
struct Sampler {
    stop: Arc<AtomicBool>,
    peak_kb: Arc<AtomicU64>,
    cpu_ticks: Arc<Mutex<HashMap<u32, u64>>>,
    /// Ends with the sampling thread's own CPU seconds, which the step's harness CPU excludes.
    thread: std::thread::JoinHandle<f64>,
}

impl Sampler {
    fn start() -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let peak_kb = Arc::new(AtomicU64::new(0));
        let cpu_ticks = Arc::new(Mutex::new(HashMap::new()));
        let thread = {
            let (stop, peak_kb, cpu) = (stop.clone(), peak_kb.clone(), cpu_ticks.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    for (pid, kb, ticks) in providers() {
                        peak_kb.fetch_max(kb, Ordering::SeqCst);
                        cpu.lock().unwrap().insert(pid, ticks);
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
                cpu_s("/proc/thread-self/stat")
            })
        };
        Sampler {
            stop,
            peak_kb,
            cpu_ticks,
            thread,
        }
    }

    /// Peak MB and CPU seconds (at Linux's usual 100 ticks a second) of the providers, and the
    /// sampling's own CPU seconds.
    fn stop(self) -> (f64, f64, f64) {
        self.stop.store(true, Ordering::SeqCst);
        let sampling = self.thread.join().unwrap_or(0.0);
        let ticks: u64 = self.cpu_ticks.lock().unwrap().values().sum();
        (
            self.peak_kb.load(Ordering::SeqCst) as f64 / 1024.0,
            ticks as f64 / 100.0,
            sampling,
        )
    }
}

/// This process's user + system CPU seconds: the emulator's (and, in the protocol steps, the
/// driver's, which is small beside it), so a step's wall time can be split between Terraform,
/// the provider and the emulator standing in for Duo.
fn own_cpu_s() -> f64 {
    cpu_s("/proc/self/stat")
}

/// User + system CPU seconds from a `stat` file of `/proc`.
fn cpu_s(stat: &str) -> f64 {
    cpu_ticks(&stat_fields(stat)).unwrap_or(0) as f64 / 100.0
}

/// The fields of a `/proc` `stat` file after the command name (which may hold spaces): the
/// parent is field 1, user and system CPU ticks 11 and 12. Empty once the process is gone.
fn stat_fields(stat: &str) -> Vec<String> {
    let text = std::fs::read_to_string(stat).unwrap_or_default();
    text.rsplit_once(')').map_or(Vec::new(), |(_, rest)| {
        rest.split_whitespace().map(str::to_owned).collect()
    })
}

/// User + system CPU ticks (at Linux's usual 100 a second) from [`stat_fields`].
fn cpu_ticks(fields: &[String]) -> Option<u64> {
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// The parent of process `pid`.
fn parent_of(pid: u32) -> Option<u32> {
    stat_fields(&format!("/proc/{pid}/stat"))
        .get(1)?
        .parse()
        .ok()
}

/// Whether process `pid` was started by this benchmark (directly, or by a `terraform` it ran).
/// Provider processes of anything else on the machine, such as a test run beside it, are not
/// this benchmark's (counting them once charged a whole test run's providers to one apply).
fn ours(pid: u32) -> bool {
    let me = std::process::id();
    let mut at = pid;
    for _ in 0..8 {
        match parent_of(at) {
            Some(p) if p == me => return true,
            Some(p) if p > 1 => at = p,
            _ => return false,
        }
    }
    false
}

/// `(pid, peak kB, user + system CPU ticks)` of each provider process this benchmark started.
fn providers() -> Vec<(u32, u64, u64)> {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    procs
        .flatten()
        .filter_map(|p| {
            let status = std::fs::read_to_string(p.path().join("status")).ok()?;
            let name = status
                .lines()
                .next()?
                .strip_prefix("Name:")?
                .trim()
                .to_owned();
            // The kernel keeps the first 15 bytes of a process name.
            if !"terraform-provider-duo".starts_with(&name) || name.len() < 15 {
                return None;
            }
            let hwm = status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?;
            let kb = hwm.trim().trim_end_matches("kB").trim().parse().ok()?;
            let pid: u32 = p.file_name().to_str()?.parse().ok()?;
            if !ours(pid) {
                return None;
            }
            let ticks = cpu_ticks(&stat_fields(&format!("/proc/{pid}/stat")))?;
            Some((pid, kb, ticks))
        })
        .collect()
}

fn markdown(rows: &[Value], scale: f64) -> String {
    let mut s = format!(
        "Limits ×{scale} (emulator `--rate-scale {scale}`, provider `rate_limit_scale = {scale}`).\n\n\
         | users | step | mode | API calls | by class | by type | 429s | wall s | floor s | floor at Duo's limits s | provider peak MB | provider CPU s | emulator CPU s |\n\
         |---:|---|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|\n"
    );
    for r in rows {
        let counts = |v: &Value| -> String {
            let m: Vec<String> = v
                .as_object()
                .map(|m| m.iter().map(|(k, v)| format!("{k} {v}")).collect())
                .unwrap_or_default();
            m.join(", ")
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r["users"],
            r["step"].as_str().unwrap_or_default(),
            r["mode"].as_str().unwrap_or_default(),
            r["calls"],
            counts(&r["by_class"]),
            counts(&r["by_type"]),
            r["throttled"],
            r["wall_s"],
            r["floor_s"],
            r["floor_at_duo_limits_s"],
            r["peak_provider_mb"],
            r["provider_cpu_s"],
            r["emulator_cpu_s"]
        );
    }
    s
}
