//! `duo_integration` and its data sources, end to end on the v5-only v3 API.

use serde_json::{Value, json};

use crate::harness::{BUILD, Harness, supports_import_blocks};

fn apps(h: &Harness) -> Vec<Value> {
    h.tenant()["integrations"].as_array().unwrap().clone()
}

fn admin_api(name: &str, rotation: &str) -> String {
    format!(
        r#"
resource "duo_integration" "ci" {{
  name                    = "{name}"
  type                    = "adminapi"
  notes                   = "used by CI"
  adminapi_read_resource  = true
  adminapi_write_resource = true
  networks_for_api_access = ["192.0.2.0/24"]
  secret_key_rotation     = "{rotation}"
}}
"#
    )
}

#[test]
fn an_integration_is_created_updated_rotated_imported_and_destroyed() {
    let h = Harness::start(&BUILD, "integration_lifecycle");
    h.apply(&admin_api("CI", "1"));
    let state = h.state("duo_integration.ci");
    let ikey = state["integration_key"].as_str().unwrap().to_owned();
    let skey = state["secret_key"].as_str().unwrap().to_owned();
    assert!(
        ikey.starts_with("DI") && skey.len() == 40,
        "{ikey} {}",
        skey.len()
    );
    assert_eq!(
        state["user_access"], "ALL_USERS",
        "Duo's default is read back"
    );
    let app = &apps(&h)[0];
    assert_eq!(
        (
            app["adminapi_write_resource"].clone(),
            app["adminapi_settings"].clone()
        ),
        (json!(1), json!(0))
    );
    let show = crate::harness::text(&h.run(&["show", "-no-color"]));
    assert!(!show.contains(&skey), "the secret key is redacted");

    h.apply(&admin_api("CI pipeline", "1"));
    assert_eq!(
        h.attr("duo_integration.ci", "secret_key"),
        json!(skey),
        "renamed without touching the key"
    );
    h.apply(&admin_api("CI pipeline", "2"));
    let rotated = h.attr("duo_integration.ci", "secret_key");
    assert_ne!(rotated, json!(skey), "rotated");
    assert_eq!(
        h.attr("duo_integration.ci", "integration_key"),
        json!(ikey),
        "in place"
    );

    h.emu.state.mutate(|t| {
        t.integrations
            .values_mut()
            .for_each(|i| i.notes = "edited".into())
    });
    assert_eq!(
        h.planned_actions(&admin_api("CI pipeline", "2"), "duo_integration.ci"),
        vec!["update"]
    );
    h.apply(&admin_api("CI pipeline", "2"));

    let replaced = admin_api("CI pipeline", "2").replace("\"adminapi\"", "\"authapi\"").replace("adminapi_read_resource  = true\n  adminapi_write_resource = true\n  networks_for_api_access = [\"192.0.2.0/24\"]\n", "");
    assert_eq!(
        h.planned_actions(&replaced, "duo_integration.ci"),
        vec!["delete", "create"],
        "type forces replacement"
    );

    if supports_import_blocks("integration_lifecycle") {
        let generated = h.import_generate("duo_integration", &ikey);
        let has = |line: &str| {
            generated
                .lines()
                .any(|l| l.split_whitespace().collect::<Vec<_>>().join(" ") == line)
        };
        assert!(
            has("adminapi_write_resource = true") && !generated.contains(rotated.as_str().unwrap()),
            "{generated}"
        );
    }
    h.destroy();
    assert!(apps(&h).is_empty());
}

/// The application's secret key as the emulator holds it.
fn key_in_duo(h: &Harness) -> String {
    h.emu
        .state
        .mutate(|t| t.integrations.values().next().map(|i| i.secret_key.clone()))
        .flatten()
        .expect("an application")
}

#[test]
fn a_secret_key_kept_out_of_state_is_never_read_and_still_rotates() {
    let h = Harness::start(&BUILD, "integration_store_secret_key");
    let kept_out = |rotation: &str| {
        admin_api("CI", rotation).replace(
            "  secret_key_rotation",
            "  store_secret_key        = false\n  secret_key_rotation",
        )
    };
    h.apply(&kept_out("1"));
    assert_eq!(h.attr("duo_integration.ci", "secret_key"), Value::Null);
    assert_eq!(
        h.stats()["by_route"]["GET /admin/v1/integrations/{integration_key}/skey"]
            .as_u64()
            .unwrap_or(0),
        0,
        "Duo was never asked for it: {}",
        h.stats()
    );
    let first = key_in_duo(&h);
    h.apply(&kept_out("2"));
    assert_ne!(key_in_duo(&h), first, "rotated all the same");
    assert_eq!(h.attr("duo_integration.ci", "secret_key"), Value::Null);
    // Kept in state again: read at the next apply; and out again.
    h.apply(&admin_api("CI", "2"));
    assert_eq!(
        h.attr("duo_integration.ci", "secret_key"),
        json!(key_in_duo(&h))
    );
    h.apply(&kept_out("2"));
    assert_eq!(h.attr("duo_integration.ci", "secret_key"), Value::Null);
    h.destroy();
}

#[test]
fn integration_errors_are_explained() {
    let h = Harness::start(&BUILD, "integration_errors");
    let out = h.apply_error(
        r#"resource "duo_integration" "x" {
  name = "azure"
  type = "azure-ca"
}"#,
    );
    assert!(
        out.contains("cannot create integrations of this type through the API"),
        "{out}"
    );
    let out = h.plan_error(
        r#"resource "duo_integration" "x" {
  name                   = "web"
  type                   = "websdk"
  adminapi_settings      = true
  groups_allowed         = ["DG1"]
  user_access            = "ALL_USERS"
}"#,
    );
    assert!(
        out.contains("Admin API permissions do not apply to a `websdk` integration"),
        "{out}"
    );
    assert!(
        out.contains("Set `user_access = \"PERMITTED_GROUPS\"`"),
        "{out}"
    );
    let groups: Vec<String> = (0..101).map(|i| format!("\"DG{i:018}\"")).collect();
    let out = h.plan_error(&format!(
        "resource \"duo_integration\" \"x\" {{\n  name           = \"x\"\n  type           = \"authapi\"\n  user_access    = \"PERMITTED_GROUPS\"\n  groups_allowed = [{}]\n}}\n",
        groups.join(", ")
    ));
    assert!(
        out.contains("Duo allows at most 100 groups per integration"),
        "{out}"
    );
}

#[test]
fn an_application_limited_to_groups_and_the_lookup_data_sources() {
    let h = Harness::start(&BUILD, "integration_groups");
    h.apply(
        r#"
resource "duo_group" "vpn" { name = "vpn" }
resource "duo_integration" "vpn" {
  name           = "VPN"
  type           = "authapi"
  user_access    = "PERMITTED_GROUPS"
  groups_allowed = [duo_group.vpn.id]
}
data "duo_integration" "by_name" { name = duo_integration.vpn.name }
data "duo_integrations" "all" { depends_on = [duo_integration.vpn] }
output "found" {
  value = [data.duo_integration.by_name.integration_key, data.duo_integrations.all.integrations[0].name]
}
"#,
    );
    let out = h.outputs();
    assert_eq!(
        out["found"]["value"],
        json!([h.attr("duo_integration.vpn", "integration_key"), "VPN"])
    );
    assert_eq!(apps(&h)[0]["groups_allowed"].as_array().unwrap().len(), 1);
}

#[test]
fn a_key_without_the_applications_permission_is_told_which_to_enable() {
    let options = duo_emulator::Options {
        grants: vec!["read_resource".into(), "write_resource".into()],
        ..duo_emulator::Options::default()
    };
    let h = Harness::start_with(
        &BUILD,
        "integration_grant",
        options,
        duo_emulator::Tenant::default(),
    );
    let out = h.apply_error(
        r#"resource "duo_integration" "x" {
  name = "x"
  type = "authapi"
}"#,
    );
    assert!(out.contains("\"Grant applications\""), "{out}");
}

#[test]
fn sso_settings_manage_only_the_keys_given() {
    let h = Harness::start(&BUILD, "integration_sso");
    let hcl = |entity: &str| {
        format!(
            r#"
resource "duo_integration" "app" {{
  name = "Wiki"
  type = "sso-generic"
  sso = jsonencode({{
    entity_id = "{entity}"
    acs_urls  = [{{ url = "https://wiki.example.com/acs", binding = "HTTP-POST" }}]
  }})
}}
"#
        )
    };
    h.apply(&hcl("https://wiki.example.com"));
    let sso = &apps(&h)[0]["sso"];
    assert!(
        sso["idp_metadata_url"].is_string(),
        "Duo added keys of its own: {sso}"
    );
    h.emu.state.mutate(|t| {
        let i = t.integrations.values_mut().next().unwrap();
        i.sso.as_mut().unwrap()["entity_id"] = json!("https://evil.example.com");
    });
    assert_eq!(
        h.planned_actions(&hcl("https://wiki.example.com"), "duo_integration.app"),
        vec!["update"]
    );
    h.apply(&hcl("https://wiki.example.com"));
    assert_eq!(apps(&h)[0]["sso"]["entity_id"], "https://wiki.example.com");
    let ikey = h
        .attr("duo_integration.app", "id")
        .as_str()
        .unwrap()
        .to_owned();
    h.import_verify_ignoring("duo_integration.app", &ikey, &["sso"]);
    if supports_import_blocks("integration_sso") {
        h.import_generate("duo_integration", &ikey);
    }
    let out = h.plan_error(
        r#"resource "duo_integration" "x" {
  name = "x"
  type = "authapi"
  sso  = jsonencode({ entity_id = "x" })
}"#,
    );
    assert!(
        out.contains("SSO settings do not apply to a `authapi` integration"),
        "{out}"
    );
}

#[test]
fn a_secret_key_rotated_outside_terraform_is_read_again_and_only_then() {
    let h = Harness::start(&BUILD, "integration_secret_refresh");
    let hcl = |verify: &str| {
        format!(
            r#"
resource "duo_integration" "a" {{
  name = "a"
  type = "authapi"
  {verify}
}}
resource "duo_integration" "b" {{
  name = "b"
  type = "authapi"
}}
"#
        )
    };
    h.apply(&hcl(""));
    let skey = |addr: &str| h.attr(addr, "secret_key").as_str().unwrap().to_owned();
    let (a, b) = (skey("duo_integration.a"), skey("duo_integration.b"));
    let skey_reads = |h: &Harness| {
        h.stats()["by_route"]["GET /admin/v1/integrations/{integration_key}/skey"]
            .as_u64()
            .unwrap_or(0)
    };

    // An unchanged key is not read at refresh.
    h.emu.state.reset_stats();
    h.run(&["apply", "-refresh-only", "-auto-approve", "-no-color"]);
    assert_eq!(skey_reads(&h), 0);

    // Rotated in the Admin Panel: the masked key Duo shows no longer matches, so it is read.
    h.emu.state.mutate(|t| {
        for i in t.integrations.values_mut().filter(|i| i.name == "a") {
            i.secret_key = "f".repeat(40);
        }
    });
    h.emu.state.reset_stats();
    h.run(&["apply", "-refresh-only", "-auto-approve", "-no-color"]);
    assert_eq!(skey_reads(&h), 1);
    assert_eq!(skey("duo_integration.a"), "f".repeat(40));
    assert_ne!(a, "f".repeat(40));
    assert_eq!(skey("duo_integration.b"), b, "the other key is untouched");

    // Asked to verify every time, it is read at every refresh.
    h.apply(&hcl("verify_secret_key = true"));
    h.emu.state.reset_stats();
    h.run(&["apply", "-refresh-only", "-auto-approve", "-no-color"]);
    assert_eq!(skey_reads(&h), 1, "only the application that asks");
}
