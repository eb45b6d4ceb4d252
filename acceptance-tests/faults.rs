//! Applying under injected faults (429s, 5xx, dropped connections after Duo acted, latency):
//! whether an apply succeeds or fails, running it again converges, and then state, Duo and
//! the configuration agree exactly — no duplicate, no orphan.

use std::collections::BTreeMap;
use std::os::unix::process::CommandExt;

use serde_json::Value;

use crate::harness::{BUILD, Harness, text};

/// 205 resources of seven types, linked to each other.
pub(crate) const MIXED: &str = r#"
resource "duo_group" "team" {
  count = 20
  name  = "team-${count.index}"
  desc  = "Team ${count.index}"
}

resource "duo_user" "u" {
  count    = 60
  username = "user${count.index}"
  email    = "user${count.index}@example.com"
}

resource "duo_group_member" "m" {
  count    = 60
  user_id  = duo_user.u[count.index].id
  group_id = duo_group.team[count.index % 20].id
}

resource "duo_phone" "p" {
  count    = 20
  number   = format("+1555010%04d", count.index)
  type     = "mobile"
  platform = "generic smartphone"
}

resource "duo_user_phone" "up" {
  count    = 20
  user_id  = duo_user.u[count.index].id
  phone_id = duo_phone.p[count.index].id
}

resource "duo_hardware_token" "t" {
  count  = 10
  type   = "h6"
  serial = "fault-${count.index}"
  secret = "3132333435363738393031323334353637383930"
}

resource "duo_user_hardware_token" "ut" {
  count    = 10
  user_id  = duo_user.u[count.index].id
  token_id = duo_hardware_token.t[count.index].id
}

resource "duo_integration" "app" {
  count          = 5
  name           = "app-${count.index}"
  type           = "authapi"
  user_access    = "PERMITTED_GROUPS"
  groups_allowed = [duo_group.team[count.index].id]
}
"#;

/// Faults at rates no real service has for long: most applies fail somewhere.
const HEAVY: &str = "429=0.05,500=0.05,502=0.05,503=0.05,drop=0.1,latency=5";
/// A bad day at Duo.
pub(crate) const LIGHT: &str = "429=0.04,500=0.02,502=0.02,503=0.02,drop=0.03,latency=2";

/// How many objects of each kind the tenant holds, by name (a duplicate counts twice).
pub(crate) fn census(tenant: &Value) -> BTreeMap<String, usize> {
    let mut seen = BTreeMap::new();
    for (kind, key) in [
        ("groups", "name"),
        ("users", "username"),
        ("phones", "number"),
        ("tokens", "serial"),
        ("integrations", "name"),
    ] {
        for o in tenant[kind].as_array().into_iter().flatten() {
            let name = o[key].as_str().unwrap_or_default();
            *seen.entry(format!("{kind}/{name}")).or_default() += 1;
        }
    }
    seen
}

#[test]
fn applies_under_faults_converge_without_duplicates_or_orphans() {
    let mut h = Harness::start(&BUILD, "faults_mixed");
    // Each injected 429 halves the provider's pace, as a real one should; at Duo's limits the
    // dozen 429s of this run would slow it to minutes, so the limits are scaled up tenfold.
    h.provider_block = h.provider_block.replace('}', "  rate_limit_scale = 10\n}");
    let before = census(&h.tenant());
    h.write_config(MIXED);
    // One apply under heavy faults (it may well fail), then re-runs under lighter ones.
    let rounds = [HEAVY, LIGHT, LIGHT, LIGHT, LIGHT];
    let started = std::time::Instant::now();
    let mut outcomes = Vec::new();
    for spec in rounds {
        h.set_faults(spec);
        let out = h.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
        let said = text(&out);
        assert!(
            !said.contains("panic") && !said.contains("plugin crashed"),
            "{said}"
        );
        if out.status.success() {
            outcomes.push(format!("{spec}: ok"));
            if spec == LIGHT {
                break;
            }
            continue;
        }
        // A failed apply says what failed and why, in the provider's words.
        assert!(said.contains("Error: Cannot"), "{said}");
        outcomes.push(format!(
            "{spec}: {} errors",
            said.matches("Error: ").count()
        ));
        for e in said.split("Error: ").skip(1).take(3) {
            eprintln!("  Error: {}", e.chars().take(1500).collect::<String>());
        }
    }
    eprintln!(
        "applies under faults, {:?}: {outcomes:#?}",
        started.elapsed()
    );
    assert!(
        outcomes.last().is_some_and(|o| o.ends_with("ok")),
        "no apply succeeded under faults: {outcomes:#?}"
    );
    let stats = h.stats();
    eprintln!("emulator under faults: {stats}");

    // Without faults: nothing left to do, and Duo holds exactly what the configuration says.
    h.set_faults("");
    h.assert_empty_plan_in(&h.dir_path());
    let mut want = before.clone();
    for i in 0..20 {
        *want.entry(format!("groups/team-{i}")).or_default() += 1;
        *want.entry(format!("phones/+1555010{i:04}")).or_default() += 1;
    }
    for i in 0..60 {
        *want.entry(format!("users/user{i}")).or_default() += 1;
    }
    for i in 0..10 {
        *want.entry(format!("tokens/fault-{i}")).or_default() += 1;
    }
    for i in 0..5 {
        *want.entry(format!("integrations/app-{i}")).or_default() += 1;
    }
    assert_eq!(census(&h.tenant()), want);
    let users = h.tenant()["users"].as_array().cloned().unwrap_or_default();
    for u in &users {
        let name = u["username"].as_str().unwrap_or_default();
        let i: usize = name.trim_start_matches("user").parse().unwrap();
        let groups: Vec<&str> = u["groups"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|g| g["name"].as_str())
            .collect();
        assert_eq!(groups, [format!("team-{}", i % 20)], "{name}");
        let phones = u["phones"].as_array().map_or(0, Vec::len);
        let tokens = u["tokens"].as_array().map_or(0, Vec::len);
        assert_eq!(
            (phones, tokens),
            (usize::from(i < 20), usize::from(i < 10)),
            "{name}"
        );
    }
}

#[test]
fn an_interrupted_apply_keeps_everything_duo_made_and_the_next_apply_finishes() {
    let mut h = Harness::start(&BUILD, "interrupted_apply");
    // A pace of 13 writes a minute (a burst of 13, then one every 4.4 s), so the apply is
    // still running when it is interrupted.
    h.provider_block = h
        .provider_block
        .replace('}', "  rate_limit_scale = 0.05\n}");
    h.write_config(
        r#"
resource "duo_group" "g" {
  count = 30
  name  = "g${count.index}"
}
"#,
    );
    let apply = h
        .command_in(
            &h.dir_path(),
            &["apply", "-auto-approve", "-input=false", "-no-color"],
        )
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        // Its own process group, signalled as a whole as Ctrl-C on a terminal does (older
        // Terraform runs under a wrapper process that leaves the signal to the group).
        .process_group(0)
        .spawn()
        .unwrap();
    // Wait until the burst is spent and requests are queueing: once the 13th group exists,
    // Terraform needs a moment to send the next creates, which then wait 4.4 s for the pace.
    // Interrupting before they are sent would leave nothing to stop.
    let started = std::time::Instant::now();
    while h.tenant()["groups"].as_array().map_or(0, Vec::len) < 13 {
        assert!(
            started.elapsed().as_secs() < 60,
            "the apply made no progress"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_secs(1));
    let interrupted = std::time::Instant::now();
    let kill = std::process::Command::new("kill")
        .args(["-INT", "--", &format!("-{}", apply.id())])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = apply.wait_with_output().unwrap();
    let said = text(&out);
    let took = interrupted.elapsed();
    assert!(!out.status.success(), "{said}");
    assert!(took.as_secs() < 10, "stopping took {took:?}: {said}");
    assert!(!said.contains("panic"), "{said}");
    assert!(
        said.contains("stopped by Terraform before POST /admin/v1/groups could be sent"),
        "{said}"
    );

    // Every group Duo made is in state, and nothing else is.
    let made: BTreeMap<String, String> = h.tenant()["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|g| {
            (
                g["group_id"].as_str().unwrap().to_owned(),
                g["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let listed = h.run(&["state", "list", "-no-color"]);
    let in_state = String::from_utf8_lossy(&listed.stdout).lines().count();
    assert_eq!(in_state, made.len(), "{made:?}");
    for i in 0..30 {
        let addr = format!("duo_group.g[{i}]");
        let o = h.run(&["state", "show", "-no-color", &addr]);
        if o.status.success() {
            let shown = String::from_utf8_lossy(&o.stdout).into_owned();
            let id = shown
                .lines()
                .find_map(|l| {
                    l.trim().strip_prefix("id").map(|v| {
                        v.trim()
                            .trim_start_matches('=')
                            .trim()
                            .trim_matches('"')
                            .to_owned()
                    })
                })
                .unwrap();
            assert_eq!(made.get(&id), Some(&format!("g{i}")), "{shown}");
        }
    }
    eprintln!(
        "interrupted after {} of 30 groups, stopped in {took:?}",
        made.len()
    );

    // The next apply creates only the rest.
    h.provider_block = h.provider_block.replace("  rate_limit_scale = 0.05\n", "");
    h.write_config(
        r#"
resource "duo_group" "g" {
  count = 30
  name  = "g${count.index}"
}
"#,
    );
    let plan = h.run(&["plan", "-no-color", "-input=false"]);
    let plan_text = text(&plan);
    assert!(
        plan_text.contains(&format!(
            "Plan: {} to add, 0 to change, 0 to destroy",
            30 - made.len()
        )),
        "{plan_text}"
    );
    h.apply(
        r#"
resource "duo_group" "g" {
  count = 30
  name  = "g${count.index}"
}
"#,
    );
    let mut names: Vec<String> = h.tenant()["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|g| g["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    let mut want: Vec<String> = (0..30).map(|i| format!("g{i}")).collect();
    want.sort();
    assert_eq!(names, want);
}

#[test]
fn a_creation_whose_second_step_fails_is_kept_in_state_with_the_error() {
    let h = Harness::start(&BUILD, "partial_create");
    h.write_config(
        r#"
resource "duo_admin_unit" "emea" {
  name               = "EMEA"
  description        = "Offices in Europe"
  restrict_by_groups = true
  groups             = ["DGDOESNOTEXIST000000"]
}
"#,
    );
    let out = h.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    let said = text(&out);
    assert!(!out.status.success(), "{said}");
    assert!(said.contains("Cannot create administrative unit"), "{said}");
    // The unit Duo made is in state although its members failed, so nothing is made twice.
    let state = h.state("duo_admin_unit.emea");
    let units = h.tenant()["admin_units"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(units.len(), 1);
    assert_eq!(state["id"], units[0]["admin_unit_id"]);
    h.apply(
        r#"
resource "duo_group" "emea" {
  name = "EMEA staff"
}

resource "duo_admin_unit" "emea" {
  name               = "EMEA"
  description        = "Offices in Europe"
  restrict_by_groups = true
  groups             = [duo_group.emea.id]
}
"#,
    );
    // Terraform marks an object whose creation failed half-way as tainted and replaces it:
    // the half-made unit is deleted, not left behind.
    let units = h.tenant()["admin_units"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(units.len(), 1, "{units:?}");
    assert_eq!(
        units[0]["admin_unit_id"],
        h.attr("duo_admin_unit.emea", "id")
    );
    assert_ne!(units[0]["admin_unit_id"], state["id"]);
}

/// Every process's parent and name, by PID.
fn processes() -> BTreeMap<u32, (u32, String)> {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return BTreeMap::new();
    };
    procs
        .flatten()
        .filter_map(|p| {
            let pid: u32 = p.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(p.path().join("stat")).ok()?;
            let (name, rest) = stat.split_once(" (")?.1.rsplit_once(") ")?;
            // After the name: state, then the parent's PID.
            let parent: u32 = rest.split_whitespace().nth(1)?.parse().ok()?;
            Some((pid, (parent, name.to_owned())))
        })
        .collect()
}

/// The `terraform-provider-duo` processes below `pid` (Terraform itself, or the wrapper that
/// PyPI's Terraform 1.0.3 runs it under), and the processes that started them: Terraform.
fn providers_below(pid: u32) -> (Vec<u32>, Vec<u32>) {
    let all = processes();
    let below = |mut p: u32| {
        while let Some((parent, _)) = all.get(&p) {
            if *parent == pid {
                return true;
            }
            p = *parent;
        }
        false
    };
    let providers: Vec<u32> = all
        .iter()
        .filter(|(p, (_, name))| "terraform-provider-duo".starts_with(name.as_str()) && below(**p))
        .map(|(p, _)| *p)
        .collect();
    let mut parents: Vec<u32> = providers
        .iter()
        .filter_map(|p| all.get(p).map(|(pp, _)| *pp))
        .collect();
    parents.sort_unstable();
    parents.dedup();
    (providers, parents)
}

fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        s.rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z'))
    })
}

/// Waits up to `limit` for every process in `pids` to end; how long it took.
fn gone_within(pids: &[u32], limit: std::time::Duration) -> Option<std::time::Duration> {
    let started = std::time::Instant::now();
    while started.elapsed() < limit {
        if !pids.iter().any(|&p| running(p)) {
            return Some(started.elapsed());
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    None
}

/// `terraform apply` of the harness's configuration, started in the background, quietly.
pub(crate) fn spawn_apply(h: &Harness) -> std::process::Child {
    h.command_in(
        &h.dir_path(),
        &["apply", "-auto-approve", "-input=false", "-no-color"],
    )
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null())
    .spawn()
    .unwrap()
}

/// As a CI runner at its time limit does: SIGKILL to terraform alone (and to the wrapper it
/// may run under), never to the providers it started. Then every one of them must be gone
/// within 5 s: how long they took.
pub(crate) fn kill_terraform(apply: &mut std::process::Child) -> std::time::Duration {
    let (providers, terraform) = providers_below(apply.id());
    assert!(!providers.is_empty(), "no provider process under terraform");
    for pid in &terraform {
        // One that has just ended by itself needs no kill.
        let _ = std::process::Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    }
    let _ = apply.kill();
    apply.wait().unwrap();
    let took = gone_within(&providers, std::time::Duration::from_secs(5));
    took.unwrap_or_else(|| {
        panic!("provider processes {providers:?} still running 5 s after terraform was killed")
    })
}

#[test]
fn a_provider_whose_terraform_is_killed_exits_within_seconds() {
    let mut h = Harness::start(&BUILD, "killed_terraform");
    // Slow enough that the apply is mid-way when Terraform is killed (13 writes a minute).
    h.provider_block = h
        .provider_block
        .replace('}', "  rate_limit_scale = 0.05\n}");
    h.write_config(
        r#"
resource "duo_group" "g" {
  count = 30
  name  = "g${count.index}"
}
"#,
    );
    let mut apply = spawn_apply(&h);
    let started = std::time::Instant::now();
    while h.tenant()["groups"].as_array().map_or(0, Vec::len) < 13 {
        assert!(
            started.elapsed().as_secs() < 60,
            "the apply made no progress"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let took = kill_terraform(&mut apply);
    eprintln!("the provider exited {took:?} after terraform was killed");
}

#[test]
fn a_provider_whose_connection_closes_without_shutdown_exits() {
    let h = Harness::start(&BUILD, "abandoned_connection");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut command = std::process::Command::new(BUILD.provider);
    command.envs(h.duo_env.clone());
    let plugin = runtime
        .block_on(tfplugin::client::Plugin::start(command))
        .unwrap();
    let mut child = runtime.block_on(plugin.disconnect()).unwrap();
    let started = std::time::Instant::now();
    let exited = loop {
        if child.try_wait().unwrap().is_some() || started.elapsed().as_secs() >= 5 {
            break child.try_wait().unwrap().is_some();
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let took = started.elapsed();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        exited,
        "the provider still ran 5 s after its only connection closed without Shutdown"
    );
    eprintln!("the provider exited {took:?} after its connection closed");
}
