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

/// The types the import test of child accounts covers (the other tests cover the rest).
pub const IMPORTED: &[&str] = &["duo_child_account"];

#[test]
fn a_child_account_and_objects_in_it_import_with_generated_config_that_plans_clean() {
    if !crate::harness::supports_import_blocks("msp_import_generate") {
        return;
    }
    let h = msp_harness(
        "msp_import_generate",
        "users=2,groups=2,memberships=2,children=1",
    );
    let id = children(&h)[0]["account_id"].as_str().unwrap().to_owned();
    let generated = h.import_generate_in("child", IMPORTED[0], &id);
    assert!(generated.contains("deletion_protection"), "{generated}");
    let child = h.emu.state.snapshot_of(Some(&id));
    for (ty, list, key) in [
        ("duo_group", "groups", "group_id"),
        ("duo_user", "users", "user_id"),
    ] {
        let object = child[list][0][key].as_str().unwrap();
        let generated = h.import_generate_in(list, ty, &format!("{object}@{id}"));
        // The child is part of the generated configuration, so it plans clean without a
        // provider default.
        assert!(
            generated.contains(terraform_provider_duo::provider::ProviderConfig::account_id)
                && generated.contains(&id),
            "{generated}"
        );
    }
}

/// A harness with the Accounts API key pair on a parent whose tenant `spec` generates.
fn msp_harness(test: &str, spec: &str) -> Harness {
    let mut parent = duo_emulator::Tenant::default();
    let spec: duo_emulator::Spec = spec.parse().unwrap();
    duo_emulator::generate(&mut parent, &spec).unwrap();
    let mut h = Harness::start_with(&BUILD, test, duo_emulator::Options::default(), parent);
    h.use_accounts_key();
    h
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
    // Something that is no account ID at all, checked before anything is sent.
    let err = h.plan_error("data \"duo_groups\" \"g\" {\n  account_id = \"acme\"\n}\n");
    assert!(err.contains("must be a child account's ID"), "{err}");
    // A child this parent does not have.
    let err =
        h.plan_error("data \"duo_groups\" \"g\" {\n  account_id = \"DAXXXXXXXXXXXXXXXXXX\"\n}\n");
    assert!(err.contains("No such child account"), "{err}");
    // A section the child's edition lacks names the edition that has it.
    let child = "resource \"duo_child_account\" \"c\" {\n  name = \"Faraway\"\n  deletion_protection = false\n}\n";
    let err = h.apply_error(&format!(
        "{child}resource \"duo_policy\" \"geo\" {{\n  account_id  = duo_child_account.c.account_id\n  policy_name = \"Geo\"\n  sections    = jsonencode({{ user_location = {{ default_action = \"deny\" }} }})\n}}\n"
    ));
    assert!(
        err.contains("user_location") && err.contains("PLATFORM (Duo Advantage)"),
        "{err}"
    );
    // Its edition and credits change in place; the parent pays for the credits.
    h.apply("resource \"duo_child_account\" \"c\" {\n  name = \"Faraway\"\n  deletion_protection = false\n  edition = \"BEYOND\"\n  telephony_credits = 1200\n}\n");
    let id = child_id(&h, "Faraway");
    let child = children(&h)
        .into_iter()
        .find(|c| c["account_id"] == id.as_str())
        .unwrap();
    assert_eq!(
        (child["edition"].clone(), child["telephony_credits"].clone()),
        ("BEYOND".into(), 1200.into())
    );
    assert_eq!(h.tenant()["telephony_credits"], 800);
    // A child on another deployment than its parent.
    h.apply("resource \"duo_child_account\" \"c\" {\n  name = \"Faraway\"\n  deletion_protection = false\n}\n");
    assert!(h.emu.state.set_other_deployment(&id, true));
    // The account itself still plans (as listed, its billing as last known)…
    let plan = h.run(&["plan", "-detailed-exitcode", "-input=false", "-no-color"]);
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
    // …while what is inside it says why it cannot be reached.
    let err = h.plan_error(&format!(
        "resource \"duo_child_account\" \"c\" {{\n  name = \"Faraway\"\n  deletion_protection = false\n}}\ndata \"duo_groups\" \"g\" {{\n  account_id = \"{id}\"\n}}\n"
    ));
    assert!(
        err.contains("different Duo deployment") && err.contains("Duo Support"),
        "{err}"
    );
}

#[test]
fn every_child_account_exports_into_a_directory_of_its_own_that_plans_clean() {
    if !crate::harness::supports_import_blocks("msp_export") {
        return;
    }
    let mut h = msp_harness(
        "msp_export",
        "users=30,groups=3,memberships=40,phones=3,integrations=2,policies=2,admins=2,children=2",
    );
    h.env.extend(h.duo_env.clone());
    let (dir, out) = h.export("customers", &["--all-child-accounts"]);
    crate::harness::assert_ok(&out, "export --all-child-accounts");
    for (name, id) in children(&h).iter().map(|c| {
        (
            c["name"].as_str().unwrap().to_owned(),
            c["account_id"].as_str().unwrap().to_owned(),
        )
    }) {
        let child_dir = dir.join(tfplugin::hcl::name(&name));
        let main = std::fs::read_to_string(child_dir.join("main.tf")).unwrap();
        assert!(main.contains(&format!("account_id = \"{id}\"")), "{main}");
        let users = std::fs::read_to_string(child_dir.join("duo_user.tf")).unwrap();
        assert_eq!(users.matches("resource ").count(), 30, "{name}");
        h.emu.state.reset_stats();
        let apply = h.run_in(
            &child_dir,
            &["apply", "-auto-approve", "-input=false", "-no-color"],
        );
        crate::harness::assert_ok(&apply, &format!("apply of {name}'s export"));
        h.assert_empty_plan_in(&child_dir);
        // Everything it read was the child's: the parent's own account was never asked.
        let parent_reads = h.emu.state.stats_of(None)["by_route"].clone();
        let admin_reads: Vec<&String> = parent_reads
            .as_object()
            .unwrap()
            .keys()
            .filter(|r| r.contains("/admin/"))
            .collect();
        assert!(admin_reads.is_empty(), "{parent_reads}");
    }

    // Without either flag, the Accounts API key pair is explained.
    let (_, out) = h.export("parent", &[]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("--all-child-accounts"),
        "{}",
        text(&out)
    );

    // One child, by its ID.
    let id = children(&h)[0]["account_id"].as_str().unwrap().to_owned();
    let (dir, out) = h.export("one", &["--account-id", &id]);
    crate::harness::assert_ok(&out, "export --account-id");
    assert!(
        std::fs::read_to_string(dir.join("main.tf"))
            .unwrap()
            .contains(&id)
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("duo_user.tf"))
            .unwrap()
            .matches("resource ")
            .count(),
        30
    );
}

#[test]
fn the_provider_blocks_account_id_is_every_objects_default_and_a_change_replaces() {
    let mut h = Harness::start(&BUILD, "msp_provider_account");
    h.use_accounts_key();
    h.apply("resource \"duo_child_account\" \"a\" {\n  name = \"A\"\n  deletion_protection = false\n}\nresource \"duo_child_account\" \"b\" {\n  name = \"B\"\n  deletion_protection = false\n}\n");
    let (a, b) = (child_id(&h, "A"), child_id(&h, "B"));
    // A second configuration whose provider block names child A manages it without any
    // account_id of its own.
    let dir = h.dir_path().join("in-child");
    std::fs::create_dir_all(&dir).unwrap();
    let block = h.provider_block.clone();
    let in_child = |account: &str| {
        format!(
            "terraform {{\n  required_providers {{\n    duo = {{ source = \"duo-rs/duo\" }}\n  }}\n}}\n{}\nresource \"duo_group\" \"g\" {{\n  name = \"ops\"\n}}\n",
            block.replace("}\n", &format!("  account_id = \"{account}\"\n}}\n"))
        )
    };
    std::fs::write(dir.join("main.tf"), in_child(&a)).unwrap();
    crate::harness::assert_ok(
        &h.run_in(
            &dir,
            &["apply", "-auto-approve", "-input=false", "-no-color"],
        ),
        "apply in child A",
    );
    h.assert_empty_plan_in(&dir);
    let groups_in = |id: &str| {
        h.emu.state.snapshot_of(Some(id))["groups"]
            .as_array()
            .map_or(0, Vec::len)
    };
    assert_eq!(groups_in(&a), 1);
    assert_eq!(
        h.state_in(&dir, "duo_group.g")["account_id"],
        Value::from(a.clone())
    );
    // Pointing the provider at child B replaces the group: destroyed in A, made in B.
    std::fs::write(dir.join("main.tf"), in_child(&b)).unwrap();
    let plan = h.run_in(&dir, &["plan", "-input=false", "-no-color"]);
    let said = text(&plan);
    assert!(
        said.contains("must be replaced") && said.contains("1 to add, 0 to change, 1 to destroy"),
        "{said}"
    );
    crate::harness::assert_ok(
        &h.run_in(
            &dir,
            &["apply", "-auto-approve", "-input=false", "-no-color"],
        ),
        "apply",
    );
    assert_eq!((groups_in(&a), groups_in(&b)), (0, 1));
}
