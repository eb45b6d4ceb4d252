//! MSP child accounts through the CLI: children created and configured in one apply with
//! `account_id`, drift inside one child, an import into a child, deletion protection, and the
//! errors for the wrong key type and a child on another deployment.

use serde_json::Value;

use crate::harness::{BUILD, Harness, text};

/// Three customers, each a child with its edition and a baseline, and one output across all.
fn customers(protect: bool) -> String {
    format!(
        r#"
locals {{
  customers = {{
    acme    = {{ name = "Acme Corp", edition = "PLATFORM" }}
    globex  = {{ name = "Globex", edition = "ENTERPRISE" }}
    initech = {{ name = "Initech", edition = "BEYOND" }}
  }}
}}

resource "duo_child_account" "customer" {{
  for_each            = local.customers
  name                = each.value.name
  edition             = each.value.edition
  deletion_protection = {protect}
}}

resource "duo_group" "helpdesk" {{
  for_each   = local.customers
  account_id = duo_child_account.customer[each.key].account_id
  name       = "Help desk"
  desc       = "Baseline for ${{each.value.name}}"
}}

resource "duo_policy" "baseline" {{
  for_each    = local.customers
  account_id  = duo_child_account.customer[each.key].account_id
  policy_name = "Baseline"
  new_user {{
    new_user_behavior = "deny"
  }}
}}

resource "duo_admin" "helpdesk" {{
  for_each              = local.customers
  account_id            = duo_child_account.customer[each.key].account_id
  email                 = "helpdesk@${{each.key}}.example.com"
  name                  = "Help Desk"
  role                  = "Help Desk"
  send_activation_email = false
}}

data "duo_users" "bypassed" {{
  for_each   = duo_child_account.customer
  account_id = each.value.account_id
  status     = "bypass"
  depends_on = [duo_group.helpdesk]
}}

output "bypass_users" {{
  value = flatten([for k, d in data.duo_users.bypassed : [for u in d.users : "${{k}}/${{u.username}}"]])
}}
"#
    )
}

fn children(h: &Harness) -> Vec<Value> {
    h.tenant()["children"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn child_id(h: &Harness, name: &str) -> String {
    children(h)
        .iter()
        .find(|c| c["name"] == name)
        .and_then(|c| c["account_id"].as_str())
        .unwrap_or_else(|| panic!("no child {name}: {}", h.tenant()))
        .to_owned()
}

#[test]
fn child_accounts_are_created_configured_repaired_imported_and_protected() {
    let mut h = Harness::start(&BUILD, "msp_lifecycle");
    h.use_accounts_key();
    h.apply(&customers(true));

    // Three children, each with its edition and its own baseline; the parent holds none.
    assert_eq!(children(&h).len(), 3, "{}", h.tenant());
    for (name, edition) in [
        ("Acme Corp", "PLATFORM"),
        ("Globex", "ENTERPRISE"),
        ("Initech", "BEYOND"),
    ] {
        let id = child_id(&h, name);
        let child = h.emu.state.snapshot_of(Some(&id));
        assert_eq!(child["edition"], edition, "{name}");
        assert_eq!(
            child["groups"].as_array().map(Vec::len),
            Some(1),
            "{name}: {child}"
        );
        assert_eq!(child["admins"].as_array().map(Vec::len), Some(1), "{name}");
        assert!(
            child["policies"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["policy_name"] == "Baseline"),
            "{name}: {child}"
        );
    }
    assert!(h.tenant()["groups"].as_array().unwrap().is_empty());
    assert_eq!(
        h.attr("duo_group.helpdesk[\"acme\"]", "account_id"),
        Value::from(child_id(&h, "Acme Corp"))
    );

    // A user put in bypass inside one child shows in the cross-account output.
    let globex = child_id(&h, "Globex");
    h.emu
        .state
        .mutate_account(Some(&globex), |t| {
            let u = duo_emulator::User {
                user_id: "DUBYPASSEDCONTRACTR1".into(),
                username: "temp.contractor".into(),
                status: "bypass".into(),
                ..duo_emulator::User::default()
            };
            t.users.insert(u.user_id.clone(), u);
        })
        .unwrap();
    h.apply(&customers(true));
    assert_eq!(
        h.outputs()["bypass_users"]["value"],
        serde_json::json!(["globex/temp.contractor"])
    );

    // Drift in one child: only that child's group is planned, and apply repairs it.
    h.emu
        .state
        .mutate_account(Some(&globex), |t| {
            for g in t.groups.values_mut() {
                g.desc = "changed by hand".into();
            }
        })
        .unwrap();
    assert_eq!(
        h.planned_actions(&customers(true), "duo_group.helpdesk[\"globex\"]"),
        ["update"]
    );
    assert!(
        h.planned_actions(&customers(true), "duo_group.helpdesk[\"acme\"]")
            .contains(&"no-op".to_owned())
    );
    h.apply(&customers(true));
    let repaired = h.emu.state.snapshot_of(Some(&globex));
    assert_eq!(repaired["groups"][0]["desc"], "Baseline for Globex");

    // An object inside a child imports by its ID and the child's account ID.
    let group_id = repaired["groups"][0]["group_id"]
        .as_str()
        .unwrap()
        .to_owned();
    h.import_verify(
        "duo_group.helpdesk[\"globex\"]",
        &format!("{group_id}@{globex}"),
    );
    h.import_verify("duo_child_account.customer[\"globex\"]", &globex);

    // Destroy stops at the children while they are protected, saying how to opt out…
    let refused = h.run(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
    let said = text(&refused);
    assert!(!refused.status.success(), "{said}");
    assert!(said.contains("deletion_protection = false"), "{said}");
    assert_eq!(children(&h).len(), 3);
    // …and completes once protection is off.
    h.apply(&customers(false));
    h.destroy();
    assert!(children(&h).is_empty(), "{}", h.tenant());
}

#[test]
fn the_wrong_key_and_an_unreachable_child_are_explained() {
    let mut h = Harness::start(&BUILD, "msp_errors");
    // An Admin API key pair cannot make child accounts, nor act in one.
    let err = h.apply_error("resource \"duo_child_account\" \"c\" {\n  name = \"Acme\"\n}\n");
    assert!(err.contains("Accounts API application"), "{err}");
    let err =
        h.plan_error("data \"duo_groups\" \"g\" {\n  account_id = \"DAXXXXXXXXXXXXXXXXXX\"\n}\n");
    assert!(
        err.contains("Child accounts need the parent's Accounts API key pair"),
        "{err}"
    );

    h.use_accounts_key();
    // The Accounts API key pair reaches children only.
    let err = h.plan_error("data \"duo_groups\" \"g\" {}\n");
    assert!(
        err.contains("An Accounts API key pair reaches child accounts only"),
        "{err}"
    );
    // A child this parent does not have.
    let err =
        h.plan_error("data \"duo_groups\" \"g\" {\n  account_id = \"DAXXXXXXXXXXXXXXXXXX\"\n}\n");
    assert!(err.contains("No such child account"), "{err}");
    // A child on another deployment than its parent.
    h.apply("resource \"duo_child_account\" \"c\" {\n  name = \"Faraway\"\n  deletion_protection = false\n}\n");
    let id = child_id(&h, "Faraway");
    assert!(h.emu.state.set_other_deployment(&id, true));
    let err = h.plan_error(&format!(
        "resource \"duo_child_account\" \"c\" {{\n  name = \"Faraway\"\n  deletion_protection = false\n}}\ndata \"duo_groups\" \"g\" {{\n  account_id = \"{id}\"\n}}\n"
    ));
    assert!(
        err.contains("different Duo deployment") && err.contains("Duo Support"),
        "{err}"
    );
}
