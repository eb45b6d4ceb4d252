//! Administrators, account settings, administrators' authentication methods and the account
//! data source.

use serde_json::{Value, json};

use crate::harness::{BUILD, Harness, supports_import_blocks};

fn admins(h: &Harness) -> Vec<Value> {
    h.tenant()["admins"].as_array().unwrap().clone()
}

fn admin(role: &str, status: &str) -> String {
    let status = if status.is_empty() {
        String::new()
    } else {
        format!("\n  status = \"{status}\"")
    };
    format!(
        r#"
resource "duo_admin" "ops" {{
  email = "ops@example.com"
  name  = "Ops Admin"
  phone = "555-555-0100"
  role  = "{role}"{status}
}}
"#
    )
}

#[test]
fn an_administrator_is_created_pending_updated_disabled_imported_and_deleted() {
    let h = Harness::start(&BUILD, "admin_lifecycle");
    h.apply(&admin("Help Desk", ""));
    let state = h.state("duo_admin.ops");
    assert_eq!(
        (state["status"].clone(), state["phone"].clone()),
        (json!("Pending Activation"), json!("555-555-0100"))
    );
    assert_eq!(admins(&h)[0]["phone"], "+15555550100");
    let id = state["id"].as_str().unwrap().to_owned();

    h.apply(&admin("User Manager", "Disabled"));
    assert_eq!(h.attr("duo_admin.ops", "id"), json!(id));
    assert_eq!(
        (
            admins(&h)[0]["role"].clone(),
            admins(&h)[0]["status"].clone()
        ),
        (json!("User Manager"), json!("Disabled"))
    );

    h.emu.state.mutate(|t| {
        t.admins
            .values_mut()
            .for_each(|a| a.name = "Renamed".into())
    });
    assert_eq!(
        h.planned_actions(&admin("User Manager", "Disabled"), "duo_admin.ops"),
        vec!["update"]
    );
    h.apply(&admin("User Manager", "Disabled"));

    h.import_verify_ignoring("duo_admin.ops", &id, &["phone"]);
    if supports_import_blocks("admin_lifecycle") {
        let generated = h.import_generate("duo_admin", &id);
        assert!(generated.contains("User Manager"), "{generated}");
    }
    let out = h.apply_error(&admin("Owner", "Disabled"));
    assert!(
        out.contains("An Owner cannot be disabled: change the role first"),
        "{out}"
    );
    h.destroy();
    assert!(admins(&h).is_empty());
}

#[test]
fn a_bad_role_is_refused_with_the_exact_spellings() {
    let h = Harness::start(&BUILD, "admin_role");
    let out = h.plan_error(&admin("help desk", ""));
    assert!(out.contains("did you mean \"Help Desk\"?"), "{out}");
}

#[test]
fn a_status_only_duo_sets_can_be_kept_but_not_set() {
    let h = Harness::start(&BUILD, "admin_status_kept");
    // A new administrator is pending: saying so (as generated configuration does) is fine.
    h.apply(&admin("Help Desk", "Pending Activation"));
    let out = h.plan_error(&admin("Help Desk", "Expired"));
    assert!(out.contains("Status only Duo sets"), "{out}");
    assert!(
        out.contains("can only be set to \"Active\" or \"Disabled\""),
        "{out}"
    );
    h.apply(&admin("Help Desk", "Active"));
    let out = h.plan_error(&admin("Help Desk", "Pending Activation"));
    assert!(out.contains("Status only Duo sets"), "{out}");
    h.write_config(&admin("Help Desk", "Active"));
    h.destroy();
}

const SETTINGS: &str = r#"
resource "duo_settings" "this" {
  language                 = "DE"
  lockout_threshold        = 5
  inactive_user_expiration = 90
}
"#;

#[test]
fn settings_manage_only_the_fields_set_and_destroying_changes_nothing() {
    let h = Harness::start(&BUILD, "settings");
    h.apply(SETTINGS);
    let s = &h.tenant()["settings"];
    assert_eq!(
        (s["language"].clone(), s["lockout_threshold"].clone()),
        (json!("DE"), json!(5))
    );
    assert_eq!(
        h.attr("duo_settings.this", "timezone"),
        json!("UTC"),
        "unset fields are read, not changed"
    );

    // Drift in a managed field is repaired; an unmanaged one is only read.
    h.emu.state.mutate(|t| {
        t.settings.insert("lockout_threshold".into(), json!(50));
        t.settings.insert("timezone".into(), json!("Europe/Berlin"));
    });
    assert_eq!(
        h.planned_actions(SETTINGS, "duo_settings.this"),
        vec!["update"]
    );
    h.apply(SETTINGS);
    let s = &h.tenant()["settings"];
    assert_eq!(
        (s["lockout_threshold"].clone(), s["timezone"].clone()),
        (json!(5), json!("Europe/Berlin"))
    );

    h.import_verify("duo_settings.this", "settings");
    if supports_import_blocks("settings") {
        h.import_generate("duo_settings", "settings");
    }
    h.destroy();
    assert_eq!(
        h.tenant()["settings"]["language"],
        "DE",
        "destroy leaves the account as it is"
    );

    let out = h.plan_error(
        r#"resource "duo_settings" "this" {
  language                 = "ES"
  inactive_user_expiration = 10
}"#,
    );
    assert!(out.contains("\"ES\" is not one of EN, DE, FR"), "{out}");
    assert!(
        out.contains("must be 0 or a whole number from 30 to 365"),
        "{out}"
    );
}

#[test]
fn admin_authentication_methods_and_the_account_summary() {
    let h = Harness::start(&BUILD, "admin_auth_methods");
    h.apply(
        r#"
resource "duo_admin_allowed_auth_methods" "this" {
  sms_enabled          = false
  voice_enabled        = false
  verified_push_enabled = true
  verified_push_length = 6
}
resource "duo_admin" "a" {
  email = "a@example.com"
  name  = "A"
}
data "duo_account" "this" { depends_on = [duo_admin.a] }
data "duo_admins" "all" { depends_on = [duo_admin.a] }
data "duo_admin" "a" { email = duo_admin.a.email }
output "facts" {
  value = [data.duo_account.this.edition, data.duo_account.this.admin_count, data.duo_admins.all.admins[0].email, data.duo_admin.a.role]
}
"#,
    );
    let out = h.outputs();
    assert_eq!(
        out["facts"]["value"],
        json!(["ENTERPRISE", 1, "a@example.com", "Owner"])
    );
    h.import_verify(
        "duo_admin_allowed_auth_methods.this",
        "admin_allowed_auth_methods",
    );
}

#[test]
fn an_administrative_unit_holds_exactly_its_admins_groups_and_applications() {
    let h = Harness::start(&BUILD, "admin_unit");
    let hcl = |groups: &str| {
        format!(
            r#"
resource "duo_admin" "a" {{
  email = "unit@example.com"
  name  = "Unit Admin"
  role  = "User Manager"
  restricted_by_admin_units = true
}}
resource "duo_group" "eu" {{ name = "eu" }}
resource "duo_group" "us" {{ name = "us" }}
resource "duo_integration" "vpn" {{
  name = "vpn"
  type = "authapi"
}}
resource "duo_admin_unit" "eu" {{
  name               = "Europe"
  description        = "European offices"
  restrict_by_groups = true
  admins             = [duo_admin.a.id]
  groups             = [{groups}]
  integrations       = [duo_integration.vpn.integration_key]
}}
"#
        )
    };
    h.apply(&hcl("duo_group.eu.id"));
    let unit = &h.tenant()["admin_units"][0];
    assert_eq!(
        (
            unit["groups"].as_array().unwrap().len(),
            unit["admins"].as_array().unwrap().len()
        ),
        (1, 1)
    );
    h.apply(&hcl("duo_group.us.id, duo_group.eu.id"));
    assert_eq!(
        h.tenant()["admin_units"][0]["groups"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    h.emu
        .state
        .mutate(|t| t.admin_units.values_mut().for_each(|u| u.groups.clear()));
    assert_eq!(
        h.planned_actions(
            &hcl("duo_group.us.id, duo_group.eu.id"),
            "duo_admin_unit.eu"
        ),
        vec!["update"]
    );
    h.apply(&hcl("duo_group.us.id, duo_group.eu.id"));

    let id = h
        .attr("duo_admin_unit.eu", "id")
        .as_str()
        .unwrap()
        .to_owned();
    h.import_verify("duo_admin_unit.eu", &id);
    if supports_import_blocks("admin_unit") {
        h.import_generate("duo_admin_unit", &id);
    }
    h.destroy();
    assert!(h.tenant()["admin_units"].as_array().unwrap().is_empty());
}
