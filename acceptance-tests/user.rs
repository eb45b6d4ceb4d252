//! `duo_user` resource, and the `duo_user` and `duo_users` data sources, end to end.

use serde_json::{Value, json};

use crate::harness::{BUILD, Harness, supports_import_blocks};

fn users(h: &Harness) -> Vec<Value> {
    h.tenant()["users"].as_array().unwrap().clone()
}

#[test]
fn a_user_is_created_renamed_in_place_imported_two_ways_and_destroyed() {
    let h = Harness::start(&BUILD, "user_lifecycle");
    h.apply(
        r#"
resource "duo_user" "ann" {
  username = "ann"
  realname = "Ann Example"
  email    = "ann@example.com"
  alias1   = "annie"
}
"#,
    );
    let state = h.state("duo_user.ann");
    let id = state["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("DU"), "{id}");
    assert_eq!(
        (
            state["status"].clone(),
            state["notes"].clone(),
            state["is_enrolled"].clone()
        ),
        (json!("active"), json!(""), json!(false))
    );
    assert!(state["created"].as_i64().unwrap() > 1_700_000_000);

    h.apply(
        r#"
resource "duo_user" "ann" {
  username = "ann.example"
  realname = "Ann Example"
  alias1   = "annie"
  status   = "bypass"
}
"#,
    );
    assert_eq!(h.attr("duo_user.ann", "id"), json!(id), "renamed in place");
    let u = &users(&h)[0];
    assert_eq!(
        (
            u["username"].clone(),
            u["email"].clone(),
            u["status"].clone()
        ),
        (json!("ann.example"), json!(""), json!("bypass"))
    );

    h.import_verify("duo_user.ann", &id);
    h.import_verify("duo_user.ann", "username:ann.example");
    if supports_import_blocks("user_lifecycle") {
        let generated = h.import_generate("duo_user", &id);
        assert!(generated.contains("alias1"), "{generated}");
    }
    h.destroy();
    assert!(users(&h).is_empty());
}

#[test]
fn a_taken_username_is_explained_on_the_attribute() {
    let h = Harness::start(&BUILD, "user_duplicate");
    h.apply(r#"resource "duo_user" "a" { username = "sam" }"#);
    let out = h.apply_error(
        r#"
resource "duo_user" "a" { username = "sam" }
resource "duo_user" "b" {
  username   = "SAM"
  depends_on = [duo_user.a]
}
"#,
    );
    // The holder is managed here (so the plan let it through); Duo's refusal names it.
    let sam = h.attr("duo_user.a", "id");
    for part in [
        "A user with username \"SAM\" already exists".to_owned(),
        format!(
            "already has a user with username \"SAM\" ({})",
            sam.as_str().unwrap_or("?")
        ),
        "If it is another user, give this one another username.".to_owned(),
    ] {
        assert!(out.contains(&part), "{part:?} in {out}");
    }
    assert!(
        out.contains("username = \"SAM\""),
        "the diagnostic points at the attribute:\n{out}"
    );
    assert_eq!(users(&h).len(), 1);
}

#[test]
fn users_created_together_go_in_bulk_and_a_refused_one_fails_alone() {
    let h = Harness::start(&BUILD, "user_bulk");
    h.apply(r#"resource "duo_user" "a" { username = "sam" }"#);
    let many = |n: usize| {
        format!(
            r#"
resource "duo_user" "a" {{ username = "sam" }}
resource "duo_user" "many" {{
  count    = {n}
  username = "many-${{count.index}}"
  email    = "many-${{count.index}}@example.com"
}}
"#
        )
    };
    // A user whose alias is another's username (the plan's guard looks at usernames; Duo
    // refuses the alias), created at the same time as 24 others.
    h.emu.state.reset_stats();
    let clash = format!(
        "{}\nresource \"duo_user\" \"clash\" {{\n  username = \"clash\"\n  alias1   = \"SAM\"\n}}\n",
        many(24)
    );
    let out = h.apply_error(&clash);
    assert!(
        out.contains("Another Duo user already has this username or alias"),
        "{out}"
    );
    assert_eq!(
        out.matches("Error:").count(),
        1,
        "only the clash fails:\n{out}"
    );
    assert_eq!(users(&h).len(), 25, "the 24 others were created");
    eprintln!("creating 25 users, one refused: {}", h.emu.state.stats());

    // Without the clash, 40 more users take far fewer writes than one each.
    h.emu.state.reset_stats();
    h.apply(&many(64));
    assert_eq!(users(&h).len(), 65);
    let stats = h.emu.state.stats();
    eprintln!("creating 40 users: {stats}");
    let bulk = stats["by_route"]["POST /admin/v1/users/bulk_create"]
        .as_u64()
        .unwrap_or(0);
    let single = stats["by_route"]["POST /admin/v1/users"]
        .as_u64()
        .unwrap_or(0);
    assert!(bulk >= 1, "{stats}");
    assert!(
        bulk + single <= 20,
        "{bulk} bulk and {single} single creates for 40 users"
    );
}

#[test]
fn users_modified_or_deleted_together_go_in_bulk_and_a_refused_one_fails_alone() {
    let h = Harness::start(&BUILD, "user_bulk_modify");
    let many = |notes: &str, clash: bool| {
        format!(
            r#"
resource "duo_user" "a" {{ username = "{}" }}
resource "duo_user" "b" {{ username = "bea" }}
resource "duo_user" "many" {{
  count    = 40
  username = "many-${{count.index}}"
  notes    = "{notes}"
}}
"#,
            if clash { "bea" } else { "sam" }
        )
    };
    h.apply(&many("first", false));
    // 40 modifications, and one rename to a taken username, at the same time.
    h.emu.state.reset_stats();
    let out = h.apply_error(&many("second", true));
    assert!(
        out.contains("Another Duo user already has this username or alias"),
        "{out}"
    );
    assert_eq!(
        out.matches("Error:").count(),
        1,
        "only the rename fails:\n{out}"
    );
    let stats = h.stats();
    eprintln!("modifying 41 users, one refused: {stats}");
    let count = |route: &str| stats["by_route"][route].as_u64().unwrap_or(0);
    let (bulk, single) = (
        count("POST /admin/v1/bulk"),
        count("POST /admin/v1/users/{user_id}"),
    );
    assert!(bulk >= 1, "{stats}");
    assert!(
        bulk + single <= 12,
        "{bulk} bulk and {single} single writes for 41 modifications"
    );
    let notes: Vec<Value> = users(&h)
        .iter()
        .filter(|u| u["username"].as_str().unwrap().starts_with("many-"))
        .map(|u| u["notes"].clone())
        .collect();
    assert_eq!(notes, vec![json!("second"); 40]);
    assert_eq!(
        h.attr("duo_user.a", "username"),
        "sam",
        "the state kept Duo's name"
    );
    h.apply(&many("second", false));
    h.assert_empty_plan_in(&h.dir_path());
    // Destroying them is gathered too.
    h.emu.state.reset_stats();
    h.destroy();
    assert!(users(&h).is_empty());
    let stats = h.stats();
    let deletes = stats["by_route"]["DELETE /admin/v1/users/{user_id}"]
        .as_u64()
        .unwrap_or(0);
    let bulk = stats["by_route"]["POST /admin/v1/bulk"]
        .as_u64()
        .unwrap_or(0);
    assert!(bulk >= 1 && bulk + deletes <= 12, "{stats}");
}

#[test]
fn user_drift_is_detected_and_repaired() {
    let h = Harness::start(&BUILD, "user_drift");
    let hcl = r#"resource "duo_user" "a" {
  username = "kim"
  notes    = "managed"
}"#;
    h.apply(hcl);
    h.emu.state.mutate(|t| {
        let u = t.users.values_mut().next().unwrap();
        u.notes = "edited by hand".into();
        u.last_login = Some(1_700_000_000);
    });
    assert_eq!(h.planned_actions(hcl, "duo_user.a"), vec!["update"]);
    h.apply(hcl);
    assert_eq!(users(&h)[0]["notes"], "managed");
    assert_eq!(
        h.attr("duo_user.a", "last_login"),
        json!(1_700_000_000),
        "read-only facts follow Duo without a diff"
    );
    h.emu.state.mutate(|t| t.users.clear());
    assert_eq!(h.planned_actions(hcl, "duo_user.a"), vec!["create"]);
}

#[test]
fn users_are_found_by_id_username_alias_and_email() {
    let h = Harness::start(&BUILD, "user_data_source");
    h.apply(
        r#"
resource "duo_user" "a" {
  username = "lee"
  email    = "lee@example.com"
  alias2   = "lee.alias"
}
data "duo_user" "by_id" { user_id = duo_user.a.id }
data "duo_user" "by_username" { username = duo_user.a.username }
data "duo_user" "by_alias" { alias = duo_user.a.alias2 }
data "duo_user" "by_email" { email = duo_user.a.email }
output "ids" {
  value = [data.duo_user.by_id.id, data.duo_user.by_username.id, data.duo_user.by_alias.id, data.duo_user.by_email.id]
}
"#,
    );
    let out = h.outputs();
    let id = h.attr("duo_user.a", "id");
    assert_eq!(out["ids"]["value"], json!([id, id, id, id]));

    let err = h.plan_error(r#"data "duo_user" "x" { username = "nobody" }"#);
    assert!(
        err.contains("Duo has no user with username \"nobody\""),
        "{err}"
    );
    let err = h.plan_error(
        r#"data "duo_user" "x" {
  username = "lee"
  email    = "lee@example.com"
}"#,
    );
    assert!(
        err.contains("Give only one of `user_id`, `username`, `alias`, `email`"),
        "{err}"
    );
}

#[test]
fn the_users_data_source_answers_compliance_questions() {
    let h = Harness::start(&BUILD, "users_data_source");
    h.emu.state.mutate(|t| {
        let seed: duo_emulator::Seed = serde_json::from_value(json!({
            "groups": [{"name": "eng"}],
            "users": [
                {"username": "active-recent", "is_enrolled": true, "last_login": 1_900_000_000i64, "groups": ["eng"]},
                {"username": "bypassed", "status": "bypass", "is_enrolled": true, "last_login": 1_500_000_000i64},
                {"username": "never-enrolled", "is_enrolled": false}
            ]
        }))
        .unwrap();
        *t = duo_emulator::Tenant::from_seed(seed).unwrap();
    });
    let gid = h.tenant()["groups"][0]["group_id"]
        .as_str()
        .unwrap()
        .to_owned();
    h.apply(&format!(
        r#"
data "duo_users" "all" {{}}
data "duo_users" "bypass" {{ status = "bypass" }}
data "duo_users" "unenrolled" {{ is_enrolled = false }}
data "duo_users" "stale" {{ last_login_before = "2020-01-01T00:00:00Z" }}
data "duo_users" "eng" {{ group_id = "{gid}" }}
output "names" {{
  value = {{
    all        = data.duo_users.all.users[*].username
    bypass     = data.duo_users.bypass.users[*].username
    unenrolled = data.duo_users.unenrolled.users[*].username
    stale      = data.duo_users.stale.users[*].username
    eng        = data.duo_users.eng.users[*].username
  }}
}}
"#
    ));
    let out = h.outputs();
    let names = &out["names"]["value"];
    let sorted = |v: &Value| {
        let mut n: Vec<String> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap().to_owned())
            .collect();
        n.sort();
        n
    };
    assert_eq!(sorted(&names["all"]).len(), 3);
    assert_eq!(sorted(&names["bypass"]), ["bypassed"]);
    assert_eq!(sorted(&names["unenrolled"]), ["never-enrolled"]);
    assert_eq!(
        sorted(&names["stale"]),
        ["bypassed", "never-enrolled"],
        "never logged in counts as stale"
    );
    assert_eq!(sorted(&names["eng"]), ["active-recent"]);

    let err = h.plan_error(r#"data "duo_users" "x" { last_login_before = "last tuesday" }"#);
    assert!(err.contains("is not an RFC 3339 time"), "{err}");
}

#[test]
fn deleting_a_user_a_directory_sync_still_manages_is_explained() {
    let h = Harness::start(&BUILD, "user_directory_synced");
    h.emu.state.mutate(|t| {
        let seed: duo_emulator::Seed = serde_json::from_value(json!({"users": [{"username": "synced", "directory_key": "DDSYNC", "created": 1_700_000_000i64}]})).unwrap();
        *t = duo_emulator::Tenant::from_seed(seed).unwrap();
    });
    let id = users(&h)[0]["user_id"].as_str().unwrap().to_owned();
    h.write_config(r#"resource "duo_user" "s" { username = "synced" }"#);
    crate::harness::assert_ok(
        &h.run(&["import", "-no-color", "duo_user.s", &id]),
        "import",
    );
    let out = h.run(&["destroy", "-auto-approve", "-no-color"]);
    assert!(!out.status.success());
    let text = crate::harness::text(&out);
    assert!(text.contains("Cannot delete user"), "{text}");
    assert!(text.contains("managed by a Duo directory sync"), "{text}");
    assert_eq!(
        users(&h).len(),
        1,
        "the user is still there, and still in state"
    );
    assert_eq!(h.attr("duo_user.s", "id"), json!(id));
}
