//! `terraform-provider-duo export` end to end: a seeded tenant with every object type is
//! exported, the directory plans as imports only, applies, plans empty, and Duo is untouched.

use std::path::Path;

use duo_emulator::{Options, Spec, Tenant};
use serde_json::Value;

use crate::harness::{BUILD, Harness, assert_ok, supports_import_blocks, text};

/// Lets the exported directory's plans run fast against the emulator (which has no limits
/// here); the provider's own pacing would otherwise hold ~300 imports to Duo's read rate.
fn speed_up(dir: &Path) {
    std::fs::write(
        dir.join("override.tf"),
        "provider \"duo\" {\n  rate_limit_scale = 50\n}\n",
    )
    .unwrap();
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap_or_default()
}

fn seeded() -> Tenant {
    let mut t = Tenant::default();
    // 610 users: three pages of the users list (300 a page), the list memberships come from.
    let spec: Spec = "users=610,groups=3,memberships=700,phones=4,tokens=3,bypass_codes=2,\
                      integrations=6,policies=3,admins=3,admin_units=1"
        .parse()
        .unwrap();
    duo_emulator::generate(&mut t, &spec).unwrap();
    t
}

/// The write requests the emulator saw (anything but GET).
fn writes(h: &Harness) -> Vec<String> {
    h.emu.state.stats()["by_route"]
        .as_object()
        .map(|m| {
            m.keys()
                .filter(|k| !k.starts_with("GET "))
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn an_exported_tenant_plans_only_imports_applies_and_then_plans_empty() {
    if !supports_import_blocks("an_exported_tenant_plans_only_imports_applies_and_then_plans_empty")
    {
        return;
    }
    let mut h = Harness::start_with(&BUILD, "export_round_trip", Options::default(), seeded());
    // The exported provider block is empty: credentials come from the environment.
    h.env.extend(h.duo_env.clone());
    // Duo allows two groups with one name; the export must still name them apart.
    let dup = h
        .emu
        .state
        .mutate(|t| {
            let mut g = t
                .groups
                .values()
                .find(|g| g.name == "Engineering")
                .unwrap()
                .clone();
            g.group_id = "DGDUPLICATENAME00001".into();
            g.desc = "the other engineering".into();
            t.groups.insert(g.group_id.clone(), g);
        })
        .is_some();
    assert!(dup);
    let before = h.tenant();
    h.emu.state.reset_stats();

    let (dir, out) = h.export("exported", &[]);
    assert_ok(&out, "export");
    let summary = text(&out);
    assert!(summary.contains("610 duo_user"), "{summary}");
    assert!(summary.contains("Exported"), "{summary}");

    // Readable, formatted HCL: names from natural keys, made unique, and references.
    let users = read(&dir, "duo_user.tf");
    assert!(
        users.contains("resource \"duo_user\" \"ines_smith\""),
        "{users}"
    );
    assert!(users.contains("resource \"duo_user\" \"ines_smith_2\""));
    assert!(
        users.contains("resource \"duo_user\" \"chloe_lee\""),
        "accents fold to ASCII"
    );
    let groups = read(&dir, "duo_group.tf");
    assert!(groups.contains("\"engineering\"") && groups.contains("\"engineering_2\""));
    assert!(groups.contains("\"it_ops\""), "{groups}");
    let members = read(&dir, "duo_group_members.tf");
    assert!(
        members.contains("group_id = duo_group.engineering"),
        "{members}"
    );
    assert!(members.contains("duo_user.ann_lee.id,"), "{members}");
    let apps = read(&dir, "duo_integration.tf");
    assert!(apps.contains("groups_allowed = [duo_group."), "{apps}");
    assert!(
        !apps.contains("secret_key ="),
        "secrets are never written: {apps}"
    );
    let assignments = read(&dir, "duo_policy_assignment.tf");
    assert!(
        assignments.contains("policy_key      = duo_policy."),
        "{assignments}"
    );
    let fmt = h.run_in(&dir, &["fmt", "-check", "-diff", "-no-color"]);
    assert_ok(&fmt, "fmt -check of the exported files");

    speed_up(&dir);
    let imports = read(&dir, "imports.tf").matches("import {").count();
    assert!(imports > 650, "{imports} import blocks");
    let plan = h.run_in(&dir, &["plan", "-input=false", "-no-color"]);
    assert_ok(&plan, "plan of the export");
    let plan = text(&plan);
    assert!(
        plan.contains(&format!(
            "Plan: {imports} to import, 0 to add, 0 to change, 0 to destroy."
        )),
        "{plan}"
    );
    let apply = h.run_in(
        &dir,
        &["apply", "-auto-approve", "-input=false", "-no-color"],
    );
    assert_ok(&apply, "apply of the export");
    h.assert_empty_plan_in(&dir);

    // Refreshing every object costs a small fraction of one read per object: users and
    // groups come from filtered lists and then one listing, memberships from that listing.
    h.emu.state.reset_stats();
    let refresh = h.run_in(
        &dir,
        &["plan", "-detailed-exitcode", "-input=false", "-no-color"],
    );
    assert_eq!(refresh.status.code(), Some(0), "{}", text(&refresh));
    let stats = h.emu.state.stats();
    let calls = stats["total"].as_u64().unwrap();
    assert!(
        calls * 10 < imports as u64,
        "{calls} calls to refresh {imports} objects: {stats}"
    );
    assert_eq!(
        stats["by_route"]["GET /admin/v1/users/{user_id}"],
        Value::Null,
        "{stats}"
    );

    // Secrets arrived in state, where only Terraform sees them.
    let state: Value = serde_json::from_slice(&h.run_in(&dir, &["show", "-json"]).stdout).unwrap();
    let resources = state["values"]["root_module"]["resources"]
        .as_array()
        .unwrap();
    let skeys: Vec<&Value> = resources
        .iter()
        .filter(|r| r["type"] == "duo_integration")
        .map(|r| &r["values"]["secret_key"])
        .collect();
    assert_eq!(skeys.len(), 6);
    let real: Vec<String> = h
        .emu
        .state
        .mutate(|t| {
            t.integrations
                .values()
                .map(|i| i.secret_key.clone())
                .collect()
        })
        .unwrap();
    assert!(
        skeys
            .iter()
            .all(|k| real.iter().any(|r| k.as_str() == Some(r)))
    );

    assert_eq!(
        writes(&h),
        Vec::<String>::new(),
        "the round trip changed nothing in Duo"
    );
    assert_eq!(h.tenant(), before);
}

#[test]
fn an_export_can_be_limited_to_groups_and_types_and_bad_options_are_explained() {
    if !supports_import_blocks(
        "an_export_can_be_limited_to_groups_and_types_and_bad_options_are_explained",
    ) {
        return;
    }
    let mut h = Harness::start_with(&BUILD, "export_filtered", Options::default(), seeded());
    h.env.extend(h.duo_env.clone());
    let (dir, out) = h.export("ops", &["--group", "IT / Ops"]);
    assert_ok(&out, "export --group");
    let groups = read(&dir, "duo_group.tf");
    assert_eq!(groups.matches("resource ").count(), 1, "{groups}");
    assert!(read(&dir, "duo_integration.tf").is_empty());
    let members = h.emu.state.mutate(|t| {
        let ops = t
            .groups
            .values()
            .find(|g| g.name == "IT / Ops")
            .unwrap()
            .group_id
            .clone();
        t.users.values().filter(|u| u.groups.contains(&ops)).count()
    });
    assert_eq!(
        read(&dir, "duo_user.tf").matches("resource ").count(),
        members.unwrap()
    );
    speed_up(&dir);
    let plan = h.run_in(&dir, &["plan", "-input=false", "-no-color"]);
    assert_ok(&plan, "plan of the group export");
    assert!(text(&plan).contains("0 to add, 0 to change, 0 to destroy."));

    let (dir, out) = h.export("apps", &["--types", "integration,duo_policy"]);
    assert_ok(&out, "export --types");
    assert!(read(&dir, "duo_user.tf").is_empty());
    assert_eq!(
        read(&dir, "duo_integration.tf")
            .matches("resource \"duo_integration\"")
            .count(),
        6
    );

    let (_, out) = h.export("bad", &["--types", "duo_users"]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("\"duo_users\" is not an exportable type"),
        "{}",
        text(&out)
    );
    // Never writes over someone's files.
    let (_, out) = h.export("apps", &[]);
    assert!(!out.status.success());
    assert!(text(&out).contains("is not empty"), "{}", text(&out));
    let (_, out) = h.export("nogroup", &["--group", "Nobody"]);
    assert!(
        text(&out).contains("found 0 of the 1 groups given"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_five_thousand_user_tenant_exports_within_duos_rate_limits() {
    let mut t = Tenant::default();
    let spec: Spec = "users=5000,groups=200,memberships=5000,phones=500,tokens=50,bypass_codes=20,\
                      integrations=20,policies=5,admins=5,admin_units=2"
        .parse()
        .unwrap();
    duo_emulator::generate(&mut t, &spec).unwrap();
    let options = Options {
        rate_limits: true,
        ..Options::default()
    };
    let h = Harness::start_with(&BUILD, "export_5000", options, t);
    let started = std::time::Instant::now();
    let (dir, out) = h.export("exported", &[]);
    assert_ok(&out, "export of 5,000 users");
    let stats = h.emu.state.stats();
    assert_eq!(stats["throttled"], 0, "{stats}");
    // One paged scan per list, not one call per object.
    assert!(stats["total"].as_u64().unwrap() < 100, "{stats}");
    assert_eq!(
        read(&dir, "duo_user.tf")
            .matches("resource \"duo_user\"")
            .count(),
        5000
    );
    assert_eq!(read(&dir, "imports.tf").matches("import {").count(), 6560);
    eprintln!(
        "exported 6,560 objects in {:.1} s with {} API calls",
        started.elapsed().as_secs_f64(),
        stats["total"]
    );
}
