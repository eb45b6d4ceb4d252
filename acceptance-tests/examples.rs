//! Every example under `examples/` applies cleanly to the emulator and re-plans empty, so the
//! docs, which embed them, never show a configuration that does not work.

use std::path::Path;

use crate::harness::{BUILD, Harness};

fn examples(kind: &str, file: &str) -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(kind);
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join(file).is_file())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(p.join(file)).unwrap(),
            )
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no examples in {}", dir.display());
    out
}

fn apply_each(kind: &str, file: &str) {
    for (name, hcl) in examples(kind, file) {
        let mut h = Harness::start(&BUILD, &format!("example_{kind}_{name}"));
        // Child accounts are the MSP parent's, managed with its Accounts API key pair.
        let msp = terraform_provider_duo::kinds::of(&name)
            .is_some_and(|k| k.read == terraform_provider_duo::kinds::Grant::AccountsApi);
        if msp {
            h.use_accounts_key();
        }
        h.apply(&hcl);
        if msp && hcl.contains("resource \"duo_child_account\"") {
            // Protected from deletion by default: destroy deletes what is inside, then stops.
            let refused = h.run(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
            let text = crate::harness::text(&refused);
            assert!(
                !refused.status.success() && text.contains("protected from deletion"),
                "{text}"
            );
            continue;
        }
        h.destroy();
        let tenant = h.tenant();
        for kind in [
            "groups",
            "users",
            "phones",
            "tokens",
            "bypass_codes",
            "integrations",
            "admins",
            "admin_units",
        ] {
            assert!(
                tenant[kind].as_array().unwrap().is_empty(),
                "{name}: destroy left {kind} behind: {tenant}"
            );
        }
    }
}

#[test]
fn every_resource_example_applies_and_replans_empty() {
    apply_each("resources", "resource.tf");
}

#[test]
fn every_data_source_example_applies_and_replans_empty() {
    apply_each("data-sources", "data-source.tf");
}

#[test]
fn every_ephemeral_resource_example_applies_and_replans_empty() {
    let test = "example_ephemeral_resources";
    if crate::harness::supports(test, (1, 10), "ephemeral resources") {
        apply_each("ephemeral-resources", "ephemeral-resource.tf");
    }
}

#[test]
fn the_quickstart_configuration_applies_and_replans_empty() {
    let mut h = Harness::start(&BUILD, "example_quickstart");
    let hcl = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/quickstart/main.tf"),
    )
    .unwrap();
    // The quickstart has its own terraform and provider blocks; credentials come from the
    // environment, as in examples/quickstart/run.sh.
    let body = hcl.split("provider \"duo\" {}").nth(1).unwrap().to_owned();
    h.env = vec![
        ("DUO_API_HOST".into(), h.emu.url()),
        ("DUO_IKEY".into(), duo_emulator::DEMO_IKEY.into()),
        ("DUO_SKEY".into(), duo_emulator::DEMO_SKEY.into()),
    ];
    h.provider_block = "provider \"duo\" {}\n".into();
    h.apply(&body);
    assert_eq!(h.tenant()["groups"].as_array().unwrap().len(), 3);
}

#[test]
fn the_emulator_ci_recipe_runs_as_documented() {
    let h = Harness::start(&BUILD, "example_emulator_ci");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/emulator-ci");
    for file in ["main.tf", "seed.json", "ci.sh"] {
        std::fs::copy(src.join(file), h.dir_path().join(file)).unwrap();
    }
    // The emulator binary sits beside the provider's; Cargo builds it for the emulator's own
    // tests (`.ci/run` builds it before running this file alone).
    let bin = Path::new(env!("CARGO_BIN_EXE_terraform-provider-duo"))
        .parent()
        .unwrap()
        .to_owned();
    assert!(
        bin.join("duo-emulator").is_file(),
        "build the emulator first: cargo build -p duo-emulator"
    );
    let terraform = crate::harness::terraform_path();
    let path = format!(
        "{}:{}:{}",
        bin.display(),
        terraform.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = std::process::Command::new("bash")
        .arg(h.dir_path().join("ci.sh"))
        .env("PATH", path)
        .env("TF_CLI_CONFIG_FILE", h.mirror_config())
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_IN_AUTOMATION", "1")
        .output()
        .unwrap();
    crate::harness::assert_ok(&out, "examples/emulator-ci/ci.sh");
    let said = crate::harness::text(&out);
    assert!(
        said.contains("emulator holds what the configuration says"),
        "{said}"
    );
}
