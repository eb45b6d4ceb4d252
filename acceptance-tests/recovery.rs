//! Recovery from killed applies: a CI runner at its time limit SIGKILLs `terraform` mid-apply,
//! several times in a row. Each time the provider processes exit within seconds, and the next
//! apply says exactly what to import (the creation guards, or Duo's refusal of a taken key);
//! pasted in as a user would, the applies converge on exactly the configured objects.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::faults::{LIGHT, MIXED, census, kill_terraform, spawn_apply};
use crate::guards::{import_blocks, import_hints, output_of};
use crate::harness::{BUILD, Harness, terraform_version, text};

/// Killed applies in a row before the applies that are let finish.
const KILLS: usize = 3;

/// A small seeded generator (xorshift64*): the same kill moments for the same seed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1)
    }
}

fn objects(tenant: &Value) -> usize {
    census(tenant).values().sum()
}

/// Duo's IDs of the objects the census counts, by type.
fn duo_ids(tenant: &Value) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for (kind, key) in [
        ("groups", "group_id"),
        ("users", "user_id"),
        ("phones", "phone_id"),
        ("tokens", "token_id"),
        ("integrations", "integration_key"),
    ] {
        for o in tenant[kind].as_array().into_iter().flatten() {
            ids.insert(o[key].as_str().unwrap_or_default().to_owned());
        }
    }
    ids
}

/// Every resource ID the state holds.
fn state_ids(h: &Harness) -> BTreeSet<String> {
    let out = h.run(&["show", "-json"]);
    assert!(out.status.success(), "{}", text(&out));
    let shown: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    shown["values"]["root_module"]["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["values"]["id"].as_str().map(str::to_owned))
        .collect()
}

/// A state file cut short by the kill (Terraform rewrites it after every change) is put back
/// from its backup, as a user would; what that loses, the next apply's hints recover.
fn mend_state(dir: &Path) {
    let state = dir.join("terraform.tfstate");
    let Ok(text) = std::fs::read_to_string(&state) else {
        return;
    };
    if serde_json::from_str::<Value>(&text).is_ok() {
        return;
    }
    eprintln!(
        "the kill cut terraform.tfstate short ({} bytes); restoring terraform.tfstate.backup",
        text.len()
    );
    let backup = dir.join("terraform.tfstate.backup");
    if backup.exists() {
        std::fs::copy(&backup, &state).unwrap();
    } else {
        std::fs::remove_file(&state).unwrap();
    }
}

/// Starts an apply and SIGKILLs Terraform once `more` objects have appeared in Duo (or
/// the apply has ended by itself); every provider it started must be gone within 5 s.
/// False when the apply ended before the kill.
fn killed_apply(h: &Harness, more: usize) -> bool {
    let mut apply = spawn_apply(h);
    let start = objects(&h.tenant());
    let started = Instant::now();
    while objects(&h.tenant()) < start + more {
        if apply.try_wait().unwrap().is_some() {
            return false;
        }
        assert!(
            started.elapsed().as_secs() < 120,
            "the apply made no progress"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let took = kill_terraform(&mut apply);
    eprintln!("killed after {more} more objects; providers gone in {took:?}");
    mend_state(&h.dir_path());
    true
}

/// What the user pastes: import blocks (Terraform 1.5 and later) or, before, the
/// `terraform import` commands the hints give, for the addresses not yet in state (or whose
/// object in state is gone, which Terraform asks to remove from state first).
fn paste(
    h: &Harness,
    blocks: bool,
    hints: &mut BTreeMap<String, String>,
    new: BTreeMap<String, String>,
) {
    if blocks {
        hints.extend(new);
        h.write_config(&format!("{MIXED}\n{}", import_blocks(hints)));
        return;
    }
    for (address, id) in new {
        let mut said = String::new();
        let imported = (0..4).any(|_| {
            let out = h.run(&["import", "-input=false", "-no-color", &address, &id]);
            said = text(&out);
            if said.contains("Resource already managed by Terraform") {
                // A state put back from its backup still holds the object this address had
                // before the killed apply replaced it (a token given its configured secret).
                // The plan that gave the hint found that object gone, so the user does what
                // Terraform says: removes it from state, then imports.
                let rm = h.run(&["state", "rm", &address]);
                assert!(rm.status.success(), "{}", text(&rm));
                eprintln!("{address} held an object gone since: removed it from state");
            }
            out.status.success()
        });
        assert!(
            imported,
            "terraform import {address} {id} failed four times; the last said:\n{said}"
        );
        hints.insert(address, id);
    }
}

/// The IDs of objects an `import` block named that no longer exist (a token the provider
/// replaced on import, to give it its configured secret, in an apply killed before Terraform
/// recorded the new one): the user removes those blocks, as the error says.
fn deleted_since(said: &str) -> Vec<String> {
    said.split(" with ID \"")
        .skip(1)
        .filter_map(|rest| {
            let (id, after) = rest.split_once('"')?;
            after
                .trim_start()
                .starts_with("exists.")
                .then(|| id.to_owned())
        })
        .collect()
}

/// Runs `args` (a plan or an apply, let finish): whether it succeeded, and the import hints
/// its errors give; blocks naming objects deleted since are removed. Errors of another kind
/// are the injected faults'.
fn run_for_hints(
    h: &Harness,
    blocks: bool,
    hints: &mut BTreeMap<String, String>,
    args: &[&str],
) -> (bool, BTreeMap<String, String>) {
    let (out, said) = output_of(h.run(args));
    assert!(
        !said.contains("panic") && !said.contains("plugin crashed"),
        "{said}"
    );
    if out.status.success() {
        return (true, BTreeMap::new());
    }
    let gone = deleted_since(&said);
    if !gone.is_empty() {
        assert!(
            blocks,
            "only an import block names an object for later: {said}"
        );
        eprintln!("removing the import blocks of {gone:?}, deleted since");
        hints.retain(|_, id| !gone.contains(id));
        h.write_config(&format!("{MIXED}\n{}", import_blocks(hints)));
    }
    let new = import_hints(&said);
    eprintln!(
        "terraform {} failed, giving {} import hints",
        args[0],
        new.len()
    );
    for e in said.split("Error: ").skip(1).take(2) {
        eprintln!("  Error: {}", e.chars().take(200).collect::<String>());
    }
    (false, new)
}

#[test]
fn applies_killed_again_and_again_converge_once_the_import_hints_are_pasted() {
    let seed: u64 = std::env::var("RECOVERY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2026);
    eprintln!("RECOVERY_SEED={seed}");
    let mut rng = Rng(seed | 1);
    let mut h = Harness::start(&BUILD, "killed_recovery");
    h.provider_block = h.provider_block.replace('}', "  rate_limit_scale = 10\n}");
    // With Terraform before 1.5, the hints' `terraform import` commands are run instead.
    let blocks = terraform_version() >= (1, 5);
    let before_ids = duo_ids(&h.tenant());
    let mut want = census(&h.tenant());
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
    let total: usize = want.values().sum();
    h.write_config(MIXED);
    h.set_faults(LIGHT);
    let mut hints = BTreeMap::new();
    let mut killed = 0;
    for _ in 0..KILLS {
        // Somewhere in the first two thirds of what is left to make.
        let left = total.saturating_sub(objects(&h.tenant()));
        if left < 3 {
            break;
        }
        let more = 1 + usize::try_from(rng.below(left as u64 * 2 / 3)).unwrap_or(0);
        if !killed_apply(&h, more) {
            break;
        }
        killed += 1;
        // The next plan names everything to import at once (a plan may also fail on an
        // injected fault: then it is run again).
        for _ in 0..4 {
            let (ok, new) = run_for_hints(
                &h,
                blocks,
                &mut hints,
                &["plan", "-input=false", "-no-color"],
            );
            let found = !new.is_empty();
            paste(&h, blocks, &mut hints, new);
            if ok || found {
                break;
            }
        }
    }
    assert!(killed > 1, "applies were killed mid-way {killed} times");
    // Once those are pasted, applies converge without asking for more (one may fail on an
    // injected fault, and the next finish the work).
    let converged = (0..8).any(|_| {
        let (ok, new) = run_for_hints(
            &h,
            blocks,
            &mut hints,
            &["apply", "-auto-approve", "-input=false", "-no-color"],
        );
        assert!(
            new.is_empty(),
            "hints the plans after the kills did not give: {new:?}"
        );
        ok
    });
    assert!(converged, "no apply succeeded after the kills");
    eprintln!(
        "{killed} applies killed; {} import hints pasted",
        hints.len()
    );

    // Without faults: nothing left to do, no duplicate, and nothing in Duo outside the state.
    h.set_faults("");
    h.assert_empty_plan_in(&h.dir_path());
    let tenant = h.tenant();
    assert_eq!(census(&tenant), want, "no duplicate");
    let in_state = state_ids(&h);
    let outside: Vec<String> = duo_ids(&tenant)
        .difference(&before_ids)
        .filter(|id| !in_state.contains(*id))
        .cloned()
        .collect();
    assert!(
        outside.is_empty(),
        "objects in Duo outside the state: {outside:?}"
    );
}
