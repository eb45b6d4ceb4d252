//! The provider block: credentials, environment fallbacks, and what users read when they are
//! wrong.

use serde_json::Value;

use crate::harness::{BUILD, Harness};

const GROUP: &str = r#"resource "duo_group" "g" { name = "g" }"#;

#[test]
fn credentials_can_come_from_the_environment_names_duo_tools_use() {
    let mut h = Harness::start(&BUILD, "provider_env");
    h.env = vec![
        ("DUO_API_HOSTNAME".into(), h.emu.url()),
        ("DUO_INTEGRATION_KEY".into(), duo_emulator::DEMO_IKEY.into()),
        ("DUO_SECRET_KEY".into(), duo_emulator::DEMO_SKEY.into()),
    ];
    h.provider_block = "provider \"duo\" {}\n".into();
    h.apply(GROUP);
    assert_eq!(h.tenant()["groups"].as_array().unwrap().len(), 1);
}

#[test]
fn wrong_credentials_are_explained_at_configure_time() {
    let mut h = Harness::start(&BUILD, "provider_credentials");
    let url = h.emu.url();
    let block = |host: &str, ikey: &str, skey: &str| {
        format!(
            "provider \"duo\" {{\n  api_host = \"{host}\"\n  ikey = \"{ikey}\"\n  skey = \"{skey}\"\n}}\n"
        )
    };
    h.provider_block = block(
        &url,
        duo_emulator::DEMO_IKEY,
        "wrongwrongwrongwrongwrongwrongwrongwrong",
    );
    let out = h.plan_error(GROUP);
    assert!(out.contains("Duo rejected the request signature"), "{out}");
    assert!(out.contains("does not belong to `ikey`"), "{out}");
    assert!(
        !out.contains("wrongwrong"),
        "the secret key is never printed:\n{out}"
    );

    h.provider_block = block(&url, "DIWRONGWRONGWRONG000", duo_emulator::DEMO_SKEY);
    let out = h.plan_error(GROUP);
    assert!(
        out.contains("Duo does not accept this integration key"),
        "{out}"
    );

    h.provider_block = block(
        "http://duo.example.com",
        duo_emulator::DEMO_IKEY,
        duo_emulator::DEMO_SKEY,
    );
    let out = h.plan_error(GROUP);
    assert!(
        out.contains("plain http:// is only allowed for loopback addresses"),
        "{out}"
    );

    // Nothing listens on port 9 (discard) on loopback here.
    h.provider_block = block(
        "http://127.0.0.1:9",
        duo_emulator::DEMO_IKEY,
        duo_emulator::DEMO_SKEY,
    );
    let out = h.plan_error(GROUP);
    assert!(out.contains("Cannot reach Duo"), "{out}");

    h.provider_block = "provider \"duo\" {}\n".into();
    let out = h.plan_error(GROUP);
    assert!(
        out.contains("Missing api_host") && out.contains("DUO_API_HOST"),
        "{out}"
    );
}

#[test]
fn planning_fifty_groups_gathers_their_reads_unless_told_not_to() {
    let mut h = Harness::start(&BUILD, "provider_fifty_groups");
    let hcl = r#"
resource "duo_group" "g" {
  count = 50
  name  = "group-${count.index}"
}
"#;
    h.apply(hcl);
    let plan = |h: &Harness| {
        h.emu.state.reset_stats();
        let out = h.run(&["plan", "-detailed-exitcode", "-input=false", "-no-color"]);
        assert_eq!(out.status.code(), Some(0), "{}", crate::harness::text(&out));
        h.emu.state.stats()
    };
    let gathered = plan(&h);
    eprintln!("API calls for a plan of 50 groups: {gathered}");
    assert_eq!(
        gathered["by_route"]["GET /admin/v2/groups/{group_id}"],
        Value::Null
    );
    let total = gathered["total"].as_u64().unwrap_or(u64::MAX);
    assert!(
        total <= 6,
        "a credential check, a few filtered lists, a count and one listing: {gathered}"
    );

    h.provider_block = h.provider_block.replace(
        "provider \"duo\" {",
        "provider \"duo\" {\n  batch_requests = false",
    );
    h.write_config(hcl);
    let naive = plan(&h);
    assert_eq!(naive["by_route"]["GET /admin/v2/groups/{group_id}"], 50);
    assert_eq!(
        naive["total"], 51,
        "50 reads plus one credential check: {naive}"
    );
}

#[test]
fn running_the_provider_by_hand_explains_what_it_is() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_terraform-provider-duo"))
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("is a plugin for Terraform and is not meant to be run directly"),
        "{err}"
    );
    assert!(
        out.stdout.is_empty(),
        "nothing on stdout, which belongs to the handshake"
    );
}

#[test]
fn a_terraform_without_protocol_6_is_told_what_is_needed() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_terraform-provider-duo"))
        .env(
            "TF_PLUGIN_MAGIC_COOKIE",
            "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
        )
        .env("PLUGIN_PROTOCOL_VERSIONS", "4,5")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("needs protocol 6 (Terraform 0.15.4 or later)")
    );
}

#[test]
fn a_missing_permission_is_named_on_the_first_operation_that_needs_it() {
    let options = duo_emulator::Options {
        grants: vec!["read_resource".into()],
        ..duo_emulator::Options::default()
    };
    let h = Harness::start_with(
        &BUILD,
        "provider_missing_grant",
        options,
        duo_emulator::Tenant::default(),
    );
    let out = h.apply_error(GROUP);
    assert!(out.contains("Cannot create group"), "{out}");
    assert!(
        out.contains("lacks the \"Grant write resource\" permission"),
        "{out}"
    );
    assert!(
        out.contains("enable that permission, save, and run again"),
        "{out}"
    );
}

#[test]
fn a_ca_bundle_that_cannot_be_used_is_explained() {
    let mut h = Harness::start(&BUILD, "provider_ca_bundle");
    let base = h.provider_block.clone();
    let with = |path: &str| base.replace('}', &format!("  ca_bundle_file = \"{path}\"\n}}"));
    h.provider_block = with("/nonexistent/proxy-ca.pem");
    let out = h.plan_error(GROUP);
    assert!(out.contains("Cannot read ca_bundle_file"), "{out}");
    assert!(out.contains("/nonexistent/proxy-ca.pem"), "{out}");

    let junk = h.dir_path().join("junk.pem");
    std::fs::write(&junk, "not a certificate").unwrap();
    h.provider_block = with(&junk.display().to_string());
    let out = h.plan_error(GROUP);
    assert!(
        out.contains("Invalid ca_bundle_file") && out.contains("no usable PEM certificate"),
        "{out}"
    );
}

#[test]
fn the_emulator_over_https_is_trusted_through_ca_bundle_file_and_only_then() {
    let mut h = Harness::start_tls(&BUILD, "provider_tls");
    h.apply(GROUP);
    assert_eq!(h.attr("duo_group.g", "name"), "g");
    assert!(h.emu.state.snapshot().to_string().contains(r#""name":"g""#));

    // The same host without the CA: the certificate is refused and the message says how to
    // trust it.
    let trusting = h.provider_block.clone();
    h.provider_block = trusting
        .lines()
        .filter(|l| !l.contains("ca_bundle_file"))
        .collect::<Vec<_>>()
        .join("\n");
    let out = h.plan_error(GROUP);
    assert!(out.contains("certificate"), "{out}");
    assert!(out.contains("ca_bundle_file"), "{out}");

    // Configured from the environment as other Duo tools are, the CA included.
    h.provider_block = "provider \"duo\" {}\n".into();
    h.env = h.duo_env.clone();
    h.apply(&format!(
        "{GROUP}\nresource \"duo_group\" \"h\" {{ name = \"h\" }}"
    ));
}
