//! Phones, hardware tokens and bypass codes, with their links to users.

use serde_json::{Value, json};

use crate::harness::{BUILD, Harness, supports_import_blocks};

fn tenant_list(h: &Harness, kind: &str) -> Vec<Value> {
    h.tenant()[kind].as_array().unwrap().clone()
}

#[test]
fn a_phone_keeps_its_spelling_links_to_a_user_imports_and_is_destroyed() {
    let h = Harness::start(&BUILD, "phone");
    let hcl = |name: &str| {
        format!(
            r#"
resource "duo_user" "ann" {{ username = "ann" }}
resource "duo_phone" "ann" {{
  number   = "555-555-0100"
  name     = "{name}"
  type     = "mobile"
  platform = "apple ios"
}}
resource "duo_user_phone" "ann" {{
  user_id  = duo_user.ann.id
  phone_id = duo_phone.ann.id
}}
"#
        )
    };
    h.apply(&hcl("work phone"));
    let phone = &tenant_list(&h, "phones")[0];
    assert_eq!(
        (
            phone["number"].clone(),
            phone["type"].clone(),
            phone["platform"].clone()
        ),
        (json!("+15555550100"), json!("Mobile"), json!("Apple iOS"))
    );
    assert_eq!(phone["users"][0]["username"], "ann", "linked");
    let state = h.state("duo_phone.ann");
    assert_eq!(
        (state["number"].clone(), state["type"].clone()),
        (json!("555-555-0100"), json!("mobile")),
        "the user's spelling is kept"
    );

    let id = state["id"].as_str().unwrap().to_owned();
    h.apply(&hcl("personal"));
    assert_eq!(h.attr("duo_phone.ann", "id"), json!(id));
    assert_eq!(tenant_list(&h, "phones")[0]["name"], "personal");

    let link = h
        .attr("duo_user_phone.ann", "id")
        .as_str()
        .unwrap()
        .to_owned();
    h.import_verify("duo_user_phone.ann", &link);
    h.emu
        .state
        .mutate(|t| t.users.values_mut().for_each(|u| u.phones.clear()));
    assert_eq!(
        h.planned_actions(&hcl("personal"), "duo_user_phone.ann"),
        vec!["create"],
        "an unlinked phone is linked again"
    );
    h.apply(&hcl("personal"));
    if supports_import_blocks("phone") {
        h.import_generate("duo_user_phone", &link);
    }
    if supports_import_blocks("phone") {
        // Imported, the phone shows Duo's normalised spelling, which then plans clean.
        let generated = h.import_generate("duo_phone", &id);
        let words = generated.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(words.contains("number = \"+15555550100\""), "{generated}");
    }

    h.emu.state.mutate(|t| {
        t.phones
            .values_mut()
            .for_each(|p| p.number = "+15555550199".into())
    });
    assert_eq!(
        h.planned_actions(&hcl("personal"), "duo_phone.ann"),
        vec!["update"],
        "a real change of number is drift"
    );

    h.destroy();
    assert!(tenant_list(&h, "phones").is_empty());
}

#[test]
fn bad_phone_values_are_rejected_at_plan_time() {
    let h = Harness::start(&BUILD, "phone_validation");
    let err = h.plan_error(
        r#"resource "duo_phone" "p" {
  number = "call me"
  type   = "Mobile"
}"#,
    );
    assert!(err.contains("\"call me\" is not a phone number"), "{err}");
    assert!(err.contains("did you mean \"mobile\"?"), "{err}");
}

#[test]
fn hardware_tokens_keep_secrets_change_totp_step_in_place_and_replace_on_new_secrets() {
    let h = Harness::start(&BUILD, "hardware_token");
    let hcl = |secret: &str, step: u32| {
        format!(
            r#"
resource "duo_user" "ann" {{ username = "ann" }}
resource "duo_hardware_token" "t" {{
  type      = "t6"
  serial    = "0001"
  secret    = "{secret}"
  totp_step = {step}
}}
resource "duo_user_hardware_token" "ann" {{
  user_id  = duo_user.ann.id
  token_id = duo_hardware_token.t.id
}}
"#
        )
    };
    h.apply(&hcl("aabbccdd", 30));
    let id = h.attr("duo_hardware_token.t", "id");
    assert_eq!(
        h.attr("duo_hardware_token.t", "secret"),
        json!("aabbccdd"),
        "kept from the configuration"
    );
    let show = crate::harness::text(&h.run(&["show", "-no-color"]));
    assert!(!show.contains("aabbccdd"), "the secret is redacted: {show}");
    assert_eq!(tenant_list(&h, "tokens")[0]["users"][0]["username"], "ann");
    let link = h
        .attr("duo_user_hardware_token.ann", "id")
        .as_str()
        .unwrap()
        .to_owned();
    h.import_verify("duo_user_hardware_token.ann", &link);
    if supports_import_blocks("hardware_token") {
        h.import_generate("duo_user_hardware_token", &link);
    }

    h.apply(&hcl("aabbccdd", 60));
    assert_eq!(
        h.attr("duo_hardware_token.t", "id"),
        id,
        "time step changed in place"
    );
    assert_eq!(tenant_list(&h, "tokens")[0]["totp_step"], 60);

    assert_eq!(
        h.planned_actions(&hcl("00112233", 60), "duo_hardware_token.t"),
        vec!["delete", "create"]
    );
    h.apply(&hcl("00112233", 60));
    assert_ne!(h.attr("duo_hardware_token.t", "id"), id);

    h.emu.state.mutate(|t| t.tokens.clear());
    assert_eq!(
        h.planned_actions(&hcl("00112233", 60), "duo_hardware_token.t"),
        vec!["create"],
        "a token deleted by hand is planned again"
    );
    h.apply(&hcl("00112233", 60));
    if supports_import_blocks("hardware_token") {
        let tid = h
            .attr("duo_hardware_token.t", "id")
            .as_str()
            .unwrap()
            .to_owned();
        let generated = h.import_generate("duo_hardware_token", &tid);
        assert!(
            generated.contains("serial") && !generated.contains("00112233"),
            "{generated}"
        );
    }
    h.destroy();
    assert!(tenant_list(&h, "tokens").is_empty());
}

#[test]
fn a_d1_token_and_missing_secrets_are_explained() {
    let h = Harness::start(&BUILD, "hardware_token_validation");
    let err = h.plan_error(
        r#"resource "duo_hardware_token" "t" {
  type   = "d1"
  serial = "1"
}"#,
    );
    assert!(err.contains("cannot be created through the API"), "{err}");
    let err = h.plan_error(
        r#"resource "duo_hardware_token" "t" {
  type   = "yk"
  serial = "1"
}"#,
    );
    assert!(
        err.contains("A `yk` token needs `private_id` (or `private_id_wo`) to be created"),
        "{err}"
    );
}

#[test]
fn bypass_codes_are_generated_once_kept_sensitive_and_never_regenerated() {
    let h = Harness::start(&BUILD, "bypass_codes");
    let hcl = |count: u32| {
        format!(
            r#"
resource "duo_user" "ann" {{ username = "ann" }}
resource "duo_bypass_codes" "ann" {{
  user_id     = duo_user.ann.id
  code_count  = {count}
  reuse_count = 2
}}
"#
        )
    };
    h.apply(&hcl(15));
    let codes = h.attr("duo_bypass_codes.ann", "codes");
    assert_eq!(
        codes.as_array().unwrap().len(),
        15,
        "generated in batches of 10"
    );
    assert_eq!(h.tenant()["bypass_codes"].as_array().unwrap().len(), 15);
    let show = crate::harness::text(&h.run(&["show", "-no-color"]));
    assert!(
        !show.contains(codes[0].as_str().unwrap()),
        "codes are redacted"
    );

    // Codes used up in Duo are not regenerated behind the user's back.
    h.emu.state.mutate(|t| {
        let first = t.bypass_codes.keys().next().unwrap().clone();
        t.bypass_codes.remove(&first);
    });
    let out = h.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(out.status.code(), Some(0), "{}", crate::harness::text(&out));

    assert_eq!(
        h.planned_actions(&hcl(3), "duo_bypass_codes.ann"),
        vec!["delete", "create"]
    );
    h.apply(&hcl(3));
    assert_eq!(
        h.tenant()["bypass_codes"].as_array().unwrap().len(),
        3,
        "Duo cleared the old codes"
    );

    h.destroy();
    assert!(h.tenant()["bypass_codes"].as_array().unwrap().is_empty());
    let err = h.plan_error(
        r#"resource "duo_bypass_codes" "x" {
  user_id    = "DU1"
  code_count = 2
  codes      = ["123456789"]
}"#,
    );
    assert!(
        err.contains(
            "Give one of `code_count`, `codes` and `codes_wo`, not `code_count` and `codes`."
        ),
        "{err}"
    );
}

#[test]
fn list_data_sources_show_groups_phones_and_tokens() {
    let h = Harness::start(&BUILD, "list_data_sources");
    h.apply(
        r#"
resource "duo_group" "g" { name = "g" }
resource "duo_phone" "p" { number = "+15555550100" }
resource "duo_phone" "other" { number = "+15555550101" }
resource "duo_hardware_token" "t" {
  type   = "h6"
  serial = "42"
  secret = "abcdef"
}
resource "duo_hardware_token" "other" {
  type   = "h8"
  serial = "43"
  secret = "abcdef"
}
data "duo_groups" "all" { depends_on = [duo_group.g] }
data "duo_phones" "one" {
  number     = "555-555-0100"
  depends_on = [duo_phone.p, duo_phone.other]
}
data "duo_phones" "all" { depends_on = [duo_phone.p, duo_phone.other] }
data "duo_phones" "none" {
  number     = "not a number"
  depends_on = [duo_phone.p, duo_phone.other]
}
data "duo_hardware_tokens" "hotp" {
  type       = "h6"
  depends_on = [duo_hardware_token.t, duo_hardware_token.other]
}
output "found" {
  value = [data.duo_groups.all.groups[0].name, data.duo_phones.one.phones[0].id, data.duo_hardware_tokens.hotp.tokens[0].serial]
}
output "counts" {
  value = [length(data.duo_phones.one.phones), length(data.duo_phones.all.phones), length(data.duo_phones.none.phones), length(data.duo_hardware_tokens.hotp.tokens)]
}
"#,
    );
    let out = h.outputs();
    assert_eq!(
        out["found"]["value"],
        json!(["g", h.attr("duo_phone.p", "id"), "42"])
    );
    // The filters narrow: one phone of two, none for a number that is not one, one token type.
    assert_eq!(out["counts"]["value"], json!([1, 2, 0, 1]));
}
