//! A state written by a released version keeps planning clean in every later version.
//!
//! `acceptance-tests/fixtures/states/<version>/<type>/` holds, for an object of every resource
//! type, what that release left behind: `main.tf` (the type's example), `terraform.tfstate`
//! (written by that release's provider through Terraform 1.0.3, which every later Terraform
//! reads) and `tenant.json` (the emulator's dump of the tenant the state describes). Each is
//! restored into a fresh emulator and must plan with no changes, refreshed and not. Run on
//! every Terraform the suite runs on (1.0.3 and the newest).
//!
//! When cutting a release, write its fixtures with that release's binary:
//! `DUO_WRITE_STATE_FIXTURES=1 TF_ACC_TERRAFORM_PATH=$(scripts/tool terraform-oldest) cargo test
//! --test acceptance released_states` writes them for the version in Cargo.toml (and refuses to
//! overwrite a version that has them), then checks them like every other version's.

use std::path::{Path, PathBuf};

use duo_emulator::{Options, Tenant};

use crate::harness::{BUILD, Harness, assert_ok};

/// The resource types of 0.1.0.
const RELEASED_0_1_0: [&str; 18] = [
    "duo_admin",
    "duo_admin_allowed_auth_methods",
    "duo_admin_unit",
    "duo_bypass_codes",
    "duo_global_policy",
    "duo_group",
    "duo_group_member",
    "duo_group_members",
    "duo_hardware_token",
    "duo_integration",
    "duo_phone",
    "duo_policy",
    "duo_policy_assignment",
    "duo_settings",
    "duo_user",
    "duo_user_groups",
    "duo_user_hardware_token",
    "duo_user_phone",
];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("acceptance-tests/fixtures/states")
}

/// Every resource type's example, by type name.
fn resource_examples() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/resources");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter_map(|p| {
            let hcl = std::fs::read_to_string(p.join("resource.tf")).ok()?;
            Some((p.file_name()?.to_string_lossy().into_owned(), hcl))
        })
        .collect();
    out.sort();
    out
}

/// Applies each type's example with this build and keeps what it left behind.
fn write_fixtures(version: &str) {
    let dir = fixtures().join(version);
    assert!(
        !dir.exists(),
        "{} exists: a released version's fixtures are never rewritten",
        dir.display()
    );
    for (name, hcl) in resource_examples() {
        let h = Harness::start(&BUILD, &format!("released_state_write_{name}"));
        h.apply(&hcl);
        let out = dir.join(&name);
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("main.tf"), &hcl).unwrap();
        std::fs::copy(
            h.dir_path().join("terraform.tfstate"),
            out.join("terraform.tfstate"),
        )
        .unwrap();
        let tenant = h
            .emu
            .state
            .mutate(|t| serde_json::to_string_pretty(&*t).unwrap())
            .unwrap();
        std::fs::write(out.join("tenant.json"), tenant + "\n").unwrap();
    }
}

/// The running Terraform's version, e.g. `1.11.4`.
fn terraform_release() -> String {
    let out = std::process::Command::new(crate::harness::terraform_path())
        .args(["version", "-json"])
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    v["terraform_version"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Under a Terraform other than the one that wrote the state, both plans change no value: every
/// resource is a no-op, or an update whose before and after are equal. That second kind is
/// Terraform's own, not the provider's: a newer Terraform records which attributes the schema
/// marks sensitive where 1.0.3 did not, plans that as an update, and applies it without calling
/// the provider (`internal/terraform/node_resource_abstract_instance.go`: "only differ on their
/// sensitivity ... we should not communicate with the provider").
fn assert_no_value_changes(h: &Harness, what: &str) {
    for refresh in ["-refresh=false", "-refresh=true"] {
        let out = h.run(&[
            "plan",
            refresh,
            "-input=false",
            "-no-color",
            "-out=released.tfplan",
        ]);
        assert_ok(&out, &format!("plan {refresh} of {what}"));
        let shown = h.run(&["show", "-json", "released.tfplan"]);
        assert_ok(&shown, "show -json");
        let plan: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
        for change in plan["resource_changes"].as_array().into_iter().flatten() {
            let actions = &change["change"]["actions"];
            let same = change["change"]["before"] == change["change"]["after"];
            assert!(
                *actions == serde_json::json!(["no-op"])
                    || (*actions == serde_json::json!(["update"]) && same),
                "{what} ({refresh}): {} would change: {actions} {}",
                change["address"],
                serde_json::to_string_pretty(&change["change"]).unwrap()
            );
        }
    }
}

#[test]
fn states_written_by_released_versions_plan_with_no_changes() {
    if std::env::var_os("DUO_WRITE_STATE_FIXTURES").is_some() {
        write_fixtures(env!("CARGO_PKG_VERSION"));
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    versions.sort();
    assert!(
        !versions.is_empty(),
        "no released states in {}",
        fixtures().display()
    );
    for version in versions {
        let v = version.file_name().unwrap().to_string_lossy().into_owned();
        // Every resource type of that release has its fixture.
        let mut kept: Vec<String> = std::fs::read_dir(&version)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        kept.sort();
        // A type whose states exist can never go away.
        let types: Vec<String> = resource_examples().into_iter().map(|(n, _)| n).collect();
        for k in &kept {
            assert!(
                types.contains(k),
                "{v} has states of {k}, which is no longer a resource type"
            );
        }
        if v == "0.1.0" {
            assert_eq!(
                kept, RELEASED_0_1_0,
                "0.1.0 had an object of every one of these types"
            );
        }
        for name in kept {
            let fixture = version.join(&name);
            let tenant: Tenant = serde_json::from_str(
                &std::fs::read_to_string(fixture.join("tenant.json")).unwrap(),
            )
            .unwrap_or_else(|e| panic!("{v}/{name}/tenant.json: {e}"));
            let h = Harness::start_with(
                &BUILD,
                &format!("released_state_{}_{name}", v.replace('.', "_")),
                Options::default(),
                tenant,
            );
            h.write_config(&std::fs::read_to_string(fixture.join("main.tf")).unwrap());
            std::fs::copy(
                fixture.join("terraform.tfstate"),
                h.dir_path().join("terraform.tfstate"),
            )
            .unwrap();
            let list = h.run(&["state", "list"]);
            assert_ok(&list, &format!("state list of {v}/{name}"));
            assert!(
                !String::from_utf8_lossy(&list.stdout).trim().is_empty(),
                "{v}/{name}: the state holds nothing"
            );
            let state: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(fixture.join("terraform.tfstate")).unwrap(),
            )
            .unwrap();
            let written_by = state["terraform_version"].as_str().unwrap_or_default();
            if terraform_release() == written_by {
                h.assert_empty_plan_in(&h.dir_path());
            } else {
                assert_no_value_changes(&h, &format!("{v}/{name}"));
            }
        }
    }
}
