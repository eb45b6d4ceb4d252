//! The complete scenarios under `examples/scenarios/` apply to the emulator as a team would
//! run them (installed from a release archive, `terraform init`, apply, then empty plans), and
//! every example in the repository is formatted.

use std::path::{Path, PathBuf};

use crate::harness::{BUILD, Harness, assert_ok, text};

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// Copies the scenario into the test's directory, installs the provider from a filesystem
/// mirror, validates, applies and checks that both kinds of plan are empty; its directory.
fn apply_scenario(h: &mut Harness, name: &str) -> PathBuf {
    let dir = h.dir_path().join(name);
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples/scenarios")
            .join(name),
        &dir,
    );
    let cli = h.mirror_config();
    h.env
        .push(("TF_CLI_CONFIG_FILE".into(), cli.display().to_string()));
    for args in [
        &["init", "-input=false", "-no-color"][..],
        &["validate", "-no-color"],
        &["apply", "-auto-approve", "-input=false", "-no-color"],
    ] {
        let out = h.run_in(&dir, args);
        assert_ok(&out, &format!("{name}: {}", args[0]));
    }
    h.assert_empty_plan_in(&dir);
    dir
}

/// `terraform apply` in `dir` with one `-var` assignment.
fn apply_with_var(h: &Harness, dir: &Path, var: &str) -> std::process::Output {
    h.run_in(
        dir,
        &[
            "apply",
            "-auto-approve",
            "-input=false",
            "-no-color",
            "-var",
            var,
        ],
    )
}

#[test]
fn every_example_is_formatted() {
    let h = Harness::start(&BUILD, "examples_fmt");
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let out = h.run_in(
        &examples,
        &["fmt", "-check", "-recursive", "-diff", "-no-color"],
    );
    assert_ok(&out, "fmt -check -recursive examples");
}

#[test]
fn onboarding_a_department_applies_and_plans_empty() {
    let mut h = Harness::start(&BUILD, "scenario_onboard");
    h.env.extend(h.duo_env.clone());
    let dir = apply_scenario(&mut h, "onboard-department");
    let t = h.tenant();
    let mut finance: Vec<&str> = t["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| {
            u["groups"]
                .as_array()
                .unwrap()
                .iter()
                .any(|g| g["name"] == "Finance")
        })
        .filter_map(|u| u["username"].as_str())
        .collect();
    finance.sort_unstable();
    assert_eq!(finance, ["avery.chen", "blake.osei", "casey.ruiz"]);
    let app = &t["integrations"][0];
    assert_eq!(app["user_access"], "PERMITTED_GROUPS");
    assert_eq!(app["groups_allowed"].as_array().unwrap().len(), 1);
    // Someone leaves: they leave the group and Duo.
    let out = apply_with_var(
        &h,
        &dir,
        r#"people={"avery.chen"={name="Avery Chen",email="avery.chen@example.com"}}"#,
    );
    assert_ok(&out, "apply without two people");
    assert!(text(&out).contains("2 destroyed"), "{}", text(&out));
    assert_eq!(h.tenant()["users"].as_array().unwrap().len(), 1);
}

#[test]
fn an_msp_configures_every_customer_as_a_child_account_from_one_configuration() {
    let mut h = Harness::start(&BUILD, "scenario_msp");
    h.use_accounts_key();
    h.env.extend(h.duo_env.clone());
    let dir = apply_scenario(&mut h, "msp");
    let children = h.tenant()["children"].as_array().cloned().unwrap();
    assert_eq!(children.len(), 2, "{}", h.tenant());
    let child = |name: &str| {
        let c = children.iter().find(|c| c["name"] == name).unwrap();
        (
            c["edition"].clone(),
            h.emu.state.snapshot_of(c["account_id"].as_str()),
        )
    };
    let usernames = |t: &serde_json::Value| -> Vec<String> {
        let mut names: Vec<String> = t["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["username"].as_str().unwrap().to_owned())
            .collect();
        names.sort();
        names
    };
    let (edition, acme) = child("Acme Corp");
    assert_eq!(edition, "PLATFORM");
    assert_eq!(usernames(&acme), ["msp.dana", "msp.eli"]);
    assert_eq!(acme["settings"]["lockout_threshold"], 5);
    assert_eq!(acme["admins"][0]["role"], "Help Desk");
    let (edition, globex) = child("Globex");
    assert_eq!(edition, "ENTERPRISE");
    assert_eq!(globex["settings"]["lockout_threshold"], 3);
    // The parent's own account holds none of it.
    assert!(h.tenant()["users"].as_array().unwrap().is_empty());

    // A user in bypass in one customer's account shows in the one output across all.
    let globex_id = children.iter().find(|c| c["name"] == "Globex").unwrap()["account_id"]
        .as_str()
        .unwrap()
        .to_owned();
    h.emu
        .state
        .mutate_account(Some(&globex_id), |t| {
            for u in t.users.values_mut().filter(|u| u.username == "msp.eli") {
                u.status = "bypass".into();
            }
        })
        .unwrap();
    let out = h.run_in(
        &dir,
        &[
            "apply",
            "-auto-approve",
            "-input=false",
            "-no-color",
            "-refresh-only",
        ],
    );
    assert_ok(&out, "refresh");
    let out = h.run_in(&dir, &["output", "-json", "bypass_users"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        r#"["globex/msp.eli"]"#
    );

    // A third customer is one more entry: its account is created and configured in one apply.
    let out = apply_with_var(
        &h,
        &dir,
        r#"customers={acme={name="Acme Corp",edition="PLATFORM",lockout_threshold=5},globex={name="Globex",edition="ENTERPRISE",lockout_threshold=3},initech={name="Initech",edition="BEYOND",lockout_threshold=5}}"#,
    );
    assert_ok(&out, "apply with a third customer");
    assert_eq!(h.tenant()["children"].as_array().unwrap().len(), 3);
}

#[test]
fn the_security_baseline_applies_and_plans_empty() {
    let mut h = Harness::start(&BUILD, "scenario_baseline");
    h.env.extend(h.duo_env.clone());
    apply_scenario(&mut h, "security-baseline");
    let t = h.tenant();
    assert_eq!(t["settings"]["lockout_threshold"], 10);
    assert_eq!(t["settings"]["fraud_email"], "security@example.com");
    let owners: Vec<&serde_json::Value> = t["admins"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["email"] == "break-glass@example.com")
        .collect();
    assert_eq!(owners.len(), 1);
    assert_eq!(owners[0]["role"], "Owner");
    let global = t["policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["is_global_policy"] == true)
        .cloned()
        .unwrap();
    assert_eq!(
        global["sections"]["new_user"]["new_user_behavior"],
        "enroll"
    );
}

#[test]
fn a_read_only_connector_gets_exactly_its_permissions_and_no_secret_reaches_state() {
    let test = "scenario_read_only_connector";
    if !crate::harness::supports(test, (1, 10), "ephemeral resources") {
        return;
    }
    let mut tenant = duo_emulator::Tenant::default();
    let spec = duo_emulator::Spec {
        users: 3,
        ..duo_emulator::Spec::default()
    };
    duo_emulator::generate(&mut tenant, &spec).unwrap();
    let mut h = Harness::start_with(&BUILD, test, duo_emulator::Options::default(), tenant);
    h.env.extend(h.duo_env.clone());
    let dir = apply_scenario(&mut h, "read-only-connector");
    let (flags, secret_key) = h
        .emu
        .state
        .mutate(|t| {
            let app = t
                .integrations
                .values()
                .find(|i| i.name == "Access review connector")?;
            let mut flags = app.adminapi.clone();
            flags.sort();
            Some((flags, app.secret_key.clone()))
        })
        .flatten()
        .expect("the connector's application");
    assert_eq!(flags, ["adminapi_read_log", "adminapi_read_resource"]);
    let state = std::fs::read_to_string(dir.join("terraform.tfstate")).unwrap();
    assert!(
        !state.contains(&secret_key),
        "the connector's secret key is in the state"
    );
    let out = h.run_in(&dir, &["output", "-json"]);
    assert_ok(&out, "output");
    let outputs: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        outputs["users_the_connector_sees"]["value"],
        3,
        "signed as the connector: {}",
        text(&out)
    );
}

#[test]
fn the_provider_example_and_the_import_example_validate() {
    let mut h = Harness::start(&BUILD, "examples_validate");
    let cli = h.mirror_config();
    h.env
        .push(("TF_CLI_CONFIG_FILE".into(), cli.display().to_string()));
    let mut examples = vec!["provider", "emulator-ci"];
    if crate::harness::supports("examples_validate", (1, 7), "for_each import blocks") {
        examples.push("import-for-each");
    }
    for example in examples {
        let dir = h.dir_path().join(example);
        copy_tree(
            &Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("examples")
                .join(example),
            &dir,
        );
        for args in [
            &["init", "-input=false", "-no-color"][..],
            &["validate", "-no-color"],
        ] {
            let out = h.run_in(&dir, args);
            assert_ok(&out, &format!("{example}: {}", args[0]));
        }
    }
}
