//! The release archives install as users install them: `scripts/release.sh` packages the
//! provider in the Registry's layout, and Terraform installs it from a local filesystem mirror
//! with no network, checks it against the lock file, and uses it.

use std::process::Command;

use crate::harness::{Harness, assert_ok, text};

#[test]
fn a_release_archive_installs_from_a_filesystem_mirror_offline() {
    let mut h = Harness::start("release_mirror");
    let dir = h.dir_path();
    let dist = dir.join("dist");
    let binary = env!("CARGO_BIN_EXE_terraform-provider-duo");
    let version = env!("CARGO_PKG_VERSION");
    let cli = h.mirror_config();
    let sums = Command::new("sha256sum")
        .args([
            "-c",
            &format!("terraform-provider-duo_{version}_SHA256SUMS"),
        ])
        .current_dir(&dist)
        .output()
        .unwrap();
    assert_ok(&sums, "sha256sum -c");
    let manifest = std::fs::read_to_string(
        dist.join(format!("terraform-provider-duo_{version}_manifest.json")),
    )
    .unwrap();
    assert!(
        manifest.contains(r#""protocol_versions": ["6.0"]"#),
        "{manifest}"
    );

    h.env
        .push(("TF_CLI_CONFIG_FILE".into(), cli.display().to_string()));
    std::fs::write(
        dir.join("main.tf"),
        format!(
            "terraform {{\n  required_providers {{\n    duo = {{\n      source  = \"duo-rs/duo\"\n      version = \"{version}\"\n    }}\n  }}\n}}\n\n{}\nresource \"duo_group\" \"g\" {{\n  name = \"from a release\"\n}}\n",
            h.provider_block
        ),
    )
    .unwrap();
    let init = h.run(&["init", "-input=false", "-no-color"]);
    assert_ok(&init, "init");
    assert!(
        text(&init).contains(&format!("Installing duo-rs/duo v{version}")),
        "{}",
        text(&init)
    );
    let lock = std::fs::read_to_string(dir.join(".terraform.lock.hcl")).unwrap();
    assert!(
        lock.contains(&format!("version     = \"{version}\"")) && lock.contains("h1:"),
        "{lock}"
    );
    let apply = h.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    assert_ok(&apply, "apply");
    assert_eq!(h.tenant()["groups"][0]["name"], "from a release");
    let shown = h.run(&["version", "-no-color"]);
    assert!(
        text(&shown).contains(&format!(
            "provider registry.terraform.io/duo-rs/duo v{version}"
        )),
        "{}",
        text(&shown)
    );
    let reported = Command::new(binary).arg("--version").output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&reported.stdout).trim(),
        format!("terraform-provider-duo {version}")
    );
}
