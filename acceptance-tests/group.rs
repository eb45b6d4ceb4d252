//! `duo_group` resource and data source, end to end.

use serde_json::json;

use crate::harness::{BUILD, Harness, supports_import_blocks};

const ENG: &str = r#"
resource "duo_group" "eng" {
  name = "engineering"
  desc = "Engineers"
}
"#;

fn group_ids(h: &Harness) -> Vec<String> {
    h.tenant()["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["group_id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_group_is_created_updated_in_place_imported_and_destroyed() {
    let h = Harness::start(&BUILD, "group_lifecycle");
    h.apply(ENG);
    let state = h.state("duo_group.eng");
    let id = state["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("DG") && id.len() == 20, "{id}");
    assert_eq!(
        state["status"], "active",
        "the documented default is planned and stored"
    );
    assert_eq!(state["push_enabled"], false, "Duo's value is read back");
    assert_eq!(group_ids(&h), vec![id.clone()]);

    h.apply(
        r#"
resource "duo_group" "eng" {
  name          = "engineering-team"
  desc          = ""
  status        = "bypass"
  push_enabled  = true
}
"#,
    );
    assert_eq!(
        h.attr("duo_group.eng", "id"),
        json!(id),
        "updated in place, same ID"
    );
    let g = &h.tenant()["groups"][0];
    assert_eq!(
        (
            g["name"].clone(),
            g["status"].clone(),
            g["push_enabled"].clone()
        ),
        (json!("engineering-team"), json!("bypass"), json!(true))
    );

    // Removing optional attributes returns them to their defaults, or keeps Duo's value.
    h.apply(r#"resource "duo_group" "eng" { name = "engineering-team" }"#);
    let g = &h.tenant()["groups"][0];
    assert_eq!(
        (g["status"].clone(), g["push_enabled"].clone()),
        (json!("active"), json!(true))
    );

    h.import_verify("duo_group.eng", &id);
    if supports_import_blocks("a_group_is_created_updated_in_place_imported_and_destroyed") {
        let generated = h.import_generate("duo_group", &id);
        let words = generated.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(words.contains("name = \"engineering-team\""), "{generated}");
    }

    h.destroy();
    assert!(group_ids(&h).is_empty(), "destroy leaves nothing in Duo");
}

#[test]
fn drift_made_outside_terraform_shows_in_the_plan_and_is_repaired() {
    let h = Harness::start(&BUILD, "group_drift");
    h.apply(ENG);
    let id = h.attr("duo_group.eng", "id").as_str().unwrap().to_owned();

    h.emu
        .state
        .mutate(|t| t.groups.get_mut(&id).unwrap().desc = "changed in the Admin Panel".into());
    assert_eq!(h.planned_actions(ENG, "duo_group.eng"), vec!["update"]);
    h.apply(ENG);
    assert_eq!(h.tenant()["groups"][0]["desc"], "Engineers");

    h.emu.state.mutate(|t| t.groups.clear());
    assert_eq!(
        h.planned_actions(ENG, "duo_group.eng"),
        vec!["create"],
        "a deleted group is planned again"
    );
    h.apply(ENG);
    assert_eq!(group_ids(&h).len(), 1);
    assert_ne!(group_ids(&h)[0], id, "recreated under a new ID");
}

#[test]
fn bad_group_values_are_rejected_before_calling_duo() {
    let h = Harness::start(&BUILD, "group_validation");
    let out = h
        .plan_error("resource \"duo_group\" \"g\" {\n  name   = \"x\"\n  status = \"Active\"\n}\n");
    assert!(
        out.contains("\"Active\" is not one of active, bypass, disabled (did you mean \"active\"?"),
        "{out}"
    );
    let out = h.plan_error(r#"resource "duo_group" "g" { name = "" }"#);
    assert!(
        out.contains("must be 1 to 255 characters long, not 0"),
        "{out}"
    );
    assert_eq!(
        h.emu.state.stats()["by_class"]["modify"],
        json!(null),
        "Duo was never asked to change anything"
    );
}

#[test]
fn importing_a_missing_group_names_the_id() {
    let h = Harness::start(&BUILD, "group_import_missing");
    h.write_config(r#"resource "duo_group" "g" { name = "x" }"#);
    let out = h.run(&[
        "import",
        "-no-color",
        "-input=false",
        "duo_group.g",
        "DGNOSUCHGROUP0000000",
    ]);
    assert!(!out.status.success());
    let text = crate::harness::text(&out);
    assert!(
        text.contains("No duo_group with ID \"DGNOSUCHGROUP0000000\" exists"),
        "{text}"
    );
}

#[test]
fn the_data_source_finds_groups_by_name_or_id_and_reports_ambiguity() {
    let h = Harness::start(&BUILD, "group_data_source");
    h.apply(
        r#"
resource "duo_group" "a" {
  name = "ops"
  desc = "first"
}
data "duo_group" "by_name" {
  name = duo_group.a.name
}
data "duo_group" "by_id" {
  group_id = duo_group.a.id
}
output "by_name_desc" { value = data.duo_group.by_name.desc }
output "by_id_name" { value = data.duo_group.by_id.name }
"#,
    );
    let outputs = h.outputs();
    assert_eq!(outputs["by_name_desc"]["value"], "first");
    assert_eq!(outputs["by_id_name"]["value"], "ops");

    let out = h.apply_error(
        r#"
resource "duo_group" "a" {
  name = "ops"
  desc = "first"
}
resource "duo_group" "b" {
  name                 = "ops"
  allow_duplicate_name = true
}
data "duo_group" "ambiguous" {
  name       = "ops"
  depends_on = [duo_group.a, duo_group.b]
}
"#,
    );
    let ids = group_ids(&h);
    assert!(out.contains("2 matches for group named \"ops\""), "{out}");
    for id in ids {
        assert!(out.contains(&id), "the error lists {id}:\n{out}");
    }
}
