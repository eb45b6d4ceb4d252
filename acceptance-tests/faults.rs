//! Applying under injected faults (429s, 5xx, dropped connections after Duo acted, latency):
//! whether an apply succeeds or fails, running it again converges, and then state, Duo and
//! the configuration agree exactly — no duplicate, no orphan.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::harness::{Harness, text};

/// 205 resources of seven types, linked to each other.
const MIXED: &str = r#"
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
const LIGHT: &str = "429=0.04,500=0.02,502=0.02,503=0.02,drop=0.03,latency=2";

/// How many objects of each kind the tenant holds, by name (a duplicate counts twice).
fn census(tenant: &Value) -> BTreeMap<String, usize> {
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
    let mut h = Harness::start("faults_mixed");
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
            eprintln!("  Error: {}", e.chars().take(300).collect::<String>());
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
