//! `duo_policy` and `duo_policy_assignment` on the v5-only Policies v2 API.

use serde_json::{Value, json};

use crate::harness::{BUILD, Harness, supports_import_blocks};

fn custom_policies(h: &Harness) -> Vec<Value> {
    h.tenant()["policies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["is_global_policy"] == false)
        .cloned()
        .collect()
}

fn policy(blocked: &str, extra: &str) -> String {
    format!(
        r#"
resource "duo_policy" "strict" {{
  policy_name = "Strict"
  sections = jsonencode({{
    authentication_methods = {{ blocked_auth_list = [{blocked}] }}
    {extra}
  }})
}}
"#
    )
}

#[test]
fn a_policy_manages_only_the_keys_it_sets_and_plans_stay_empty() {
    let h = Harness::start(&BUILD, "policy_lifecycle");
    h.apply(&policy(
        r#""sms", "phonecall""#,
        r#"new_user = { new_user_behavior = "deny" }"#,
    ));
    let p = &custom_policies(&h)[0];
    assert_eq!(
        p["sections"]["authentication_methods"]["verified_push_digits"], 6,
        "Duo completed the section with its defaults"
    );
    assert_eq!(p["sections"]["new_user"]["new_user_behavior"], "deny");

    // The same lists in another order are no change; a removed section is deleted.
    h.apply(&policy(r#""phonecall", "sms""#, ""));
    assert!(custom_policies(&h)[0]["sections"].get("new_user").is_none());

    // A key the configuration sets, changed by hand, is drift; a default it does not set is not.
    let hcl = policy(r#""phonecall", "sms""#, "");
    h.emu.state.mutate(|t| {
        let p = t.policies.values_mut().find(|p| !p.is_global).unwrap();
        p.sections["authentication_methods"]["verified_push_digits"] = json!(3);
    });
    let out = h.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(out.status.code(), Some(0), "{}", crate::harness::text(&out));
    h.emu.state.mutate(|t| {
        let p = t.policies.values_mut().find(|p| !p.is_global).unwrap();
        p.sections["authentication_methods"]["blocked_auth_list"] = json!([]);
    });
    assert_eq!(h.planned_actions(&hcl, "duo_policy.strict"), vec!["update"]);
    h.apply(&hcl);

    let key = h
        .attr("duo_policy.strict", "id")
        .as_str()
        .unwrap()
        .to_owned();
    h.import_verify_ignoring("duo_policy.strict", &key, &["sections"]);
    if supports_import_blocks("policy_lifecycle") {
        let generated = h.import_generate("duo_policy", &key);
        assert!(generated.contains("jsonencode"), "{generated}");
    }
    h.destroy();
    assert!(custom_policies(&h).is_empty());
    assert_eq!(
        h.tenant()["policies"].as_array().unwrap().len(),
        1,
        "the global policy stays"
    );
}

#[test]
fn policy_errors_are_explained() {
    let h = Harness::start(&BUILD, "policy_errors");
    let out = h.plan_error(
        r#"resource "duo_policy" "x" {
  policy_name = "x"
  sections    = jsonencode({ new_usr = { new_user_behavior = "deny" } })
}"#,
    );
    assert!(out.contains("has an unknown section \"new_usr\""), "{out}");
    let out = h.apply_error(
        r#"resource "duo_policy" "x" {
  policy_name = "x"
  sections    = jsonencode({ trusted_endpoints = { trusted_endpoint_checking = "require-trusted" } })
}"#,
    );
    assert!(
        out.contains("not available on this account's edition"),
        "{out}"
    );
    assert!(out.contains("need a higher Duo edition"), "{out}");
}

#[test]
fn a_policy_is_assigned_to_an_application_and_to_groups_in_it() {
    let h = Harness::start(&BUILD, "policy_assignment");
    let hcl = |groups: &str| {
        format!(
            r#"
resource "duo_group" "contractors" {{ name = "contractors" }}
resource "duo_user" "c" {{ username = "c" }}
resource "duo_group_member" "c" {{
  user_id  = duo_user.c.id
  group_id = duo_group.contractors.id
}}
resource "duo_integration" "vpn" {{
  name = "vpn"
  type = "authapi"
}}
resource "duo_policy" "deny_new" {{
  policy_name = "Deny new users"
  sections    = jsonencode({{ new_user = {{ new_user_behavior = "deny" }} }})
}}
resource "duo_policy_assignment" "vpn" {{
  policy_key      = duo_policy.deny_new.id
  integration_key = duo_integration.vpn.integration_key
  group_ids       = [{groups}]
}}
data "duo_policy_calculation" "c_on_vpn" {{
  integration_key = duo_integration.vpn.integration_key
  user_id         = duo_user.c.id
  depends_on      = [duo_policy_assignment.vpn, duo_group_member.c]
}}
output "c_new_user" {{
  value = jsondecode(data.duo_policy_calculation.c_on_vpn.sections).new_user.new_user_behavior
}}
"#
        )
    };
    h.apply(&hcl(""));
    let applies = &custom_policies(&h)[0]["policy_applies_to"];
    assert_eq!(
        applies[0]["apply_type"],
        "app",
        "{}",
        h.tenant()["policies"]
    );
    let out = h.outputs();
    assert_eq!(
        out["c_new_user"]["value"], "deny",
        "the effective policy for c on the VPN"
    );

    h.apply(&hcl("duo_group.contractors.id"));
    let applies = &custom_policies(&h)[0]["policy_applies_to"];
    assert_eq!(
        (
            applies.as_array().unwrap().len(),
            applies[0]["apply_type"].clone()
        ),
        (1, json!("group"))
    );
    let id = h
        .attr("duo_policy_assignment.vpn", "id")
        .as_str()
        .unwrap()
        .to_owned();
    h.import_verify("duo_policy_assignment.vpn", &id);

    // Assigned outside Terraform to another application, the policy cannot be deleted.
    h.emu.state.mutate(|t| {
        let ikey = "DIOTHERAPPLICATION01".to_owned();
        t.integrations.insert(
            ikey.clone(),
            serde_json::from_value(json!({"integration_key": ikey, "secret_key": "x".repeat(40), "name": "other", "type": "authapi"})).unwrap(),
        );
        t.policies
            .values_mut()
            .find(|p| !p.is_global)
            .unwrap()
            .apps
            .push(ikey);
    });
    let out = h.run(&["destroy", "-auto-approve", "-no-color"]);
    let text = crate::harness::text(&out);
    assert!(
        !out.status.success() && text.contains("still applied to applications"),
        "{text}"
    );
    assert!(
        text.contains("remove its `duo_policy_assignment`"),
        "{text}"
    );
    let applies = &custom_policies(&h)[0]["policy_applies_to"];
    assert_eq!(
        applies.as_array().unwrap().len(),
        1,
        "the managed assignment was removed, the hand-made one stays: {applies}"
    );
    assert_eq!(
        applies[0]["apply_type"],
        "app",
        "{}",
        h.tenant()["policies"]
    );
}

fn global(h: &Harness) -> Value {
    h.tenant()["policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["is_global_policy"] == true)
        .cloned()
        .unwrap()
}

fn global_policy(sections: &str) -> String {
    format!(
        "data \"duo_policies\" \"all\" {{}}\nresource \"duo_global_policy\" \"this\" {{\n  sections = jsonencode({{ {sections} }})\n  depends_on = [data.duo_policies.all]\n}}\n"
    )
}

#[test]
fn the_global_policy_manages_its_keys_and_destroy_restores_them() {
    let h = Harness::start(&BUILD, "global_policy");
    let deny = global_policy(r#"new_user = { new_user_behavior = "deny" }"#);
    h.apply(&deny);
    assert_eq!(
        global(&h)["sections"]["new_user"]["new_user_behavior"],
        "deny"
    );
    assert_eq!(
        global(&h)["sections"]["authentication_policy"]["user_auth_behavior"],
        "enforce",
        "other keys untouched"
    );

    h.emu.state.mutate(|t| {
        t.policies
            .values_mut()
            .find(|p| p.is_global)
            .unwrap()
            .sections["new_user"]["new_user_behavior"] = json!("no-mfa")
    });
    assert_eq!(
        h.planned_actions(&deny, "duo_global_policy.this"),
        vec!["update"]
    );
    h.apply(&deny);

    // Managing another key instead puts the first back.
    h.apply(&global_policy(
        r#"browsers = { blocked_browsers_list = ["ie"] }"#,
    ));
    let g = global(&h);
    assert_eq!(
        (
            g["sections"]["new_user"]["new_user_behavior"].clone(),
            g["sections"]["browsers"]["blocked_browsers_list"].clone()
        ),
        (json!("enroll"), json!(["ie"]))
    );

    h.import_verify_ignoring(
        "duo_global_policy.this",
        "global",
        &["sections", "original_sections"],
    );
    h.destroy();
    assert_eq!(
        global(&h)["sections"]["browsers"]["blocked_browsers_list"],
        json!([]),
        "destroy restored the tenant"
    );
}

#[test]
fn well_known_sections_can_be_typed_blocks() {
    let h = Harness::start(&BUILD, "policy_blocks");
    let hcl = |blocked: &str, new_user: bool| {
        let new_user = if new_user {
            "new_user {\n    new_user_behavior = \"deny\"\n  }"
        } else {
            ""
        };
        format!(
            r#"
resource "duo_policy" "typed" {{
  policy_name = "Typed"
  sections    = jsonencode({{ browsers = {{ blocked_browsers_list = ["ie"] }} }})
  authentication_methods {{
    blocked_auth_list = [{blocked}]
  }}
  {new_user}
}}
"#
        )
    };
    h.apply(&hcl(r#""sms", "phonecall""#, true));
    let p = &custom_policies(&h)[0]["sections"];
    assert_eq!(
        (
            p["new_user"]["new_user_behavior"].clone(),
            p["browsers"]["blocked_browsers_list"].clone()
        ),
        (json!("deny"), json!(["ie"]))
    );
    assert_eq!(
        h.attr("duo_policy.typed", "authentication_methods")["verified_push_digits"],
        json!(null),
        "keys not set stay unmanaged"
    );

    h.emu.state.mutate(|t| {
        let p = t.policies.values_mut().find(|p| !p.is_global).unwrap();
        p.sections["authentication_methods"]["verified_push_digits"] = json!(4);
    });
    let out = h.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "an unmanaged key is not drift: {}",
        crate::harness::text(&out)
    );
    h.emu.state.mutate(|t| {
        let p = t.policies.values_mut().find(|p| !p.is_global).unwrap();
        p.sections["new_user"]["new_user_behavior"] = json!("enroll");
    });
    assert_eq!(
        h.planned_actions(&hcl(r#""sms", "phonecall""#, true), "duo_policy.typed"),
        vec!["update"]
    );

    h.apply(&hcl(r#""sms""#, false));
    let p = &custom_policies(&h)[0]["sections"];
    assert!(
        p.get("new_user").is_none(),
        "a removed block removes its section: {p}"
    );
    assert_eq!(
        p["authentication_methods"]["blocked_auth_list"],
        json!(["sms"])
    );

    let out = h.plan_error(
        r#"resource "duo_policy" "x" {
  policy_name = "x"
  sections    = jsonencode({ new_user = { new_user_behavior = "deny" } })
  new_user {
    new_user_behavior = "enroll"
  }
}"#,
    );
    assert!(
        out.contains("`new_user` is both a block and a key of `sections`"),
        "{out}"
    );
}

#[test]
fn the_policy_data_source_finds_one_by_key_by_name_or_the_global_one() {
    let h = Harness::start(&BUILD, "policy_lookup");
    let hcl = |extra: &str| {
        format!(
            r#"
resource "duo_policy" "p" {{
  policy_name = "Look me up"
}}
resource "duo_policy" "twin" {{
  count       = 2
  policy_name = "Twin"
}}
data "duo_policy" "by_key" {{ policy_key = duo_policy.p.id }}
data "duo_policy" "by_name" {{ policy_name = duo_policy.p.policy_name }}
data "duo_policy" "global" {{ global = true }}
output "by_key" {{ value = data.duo_policy.by_key.policy_name }}
output "by_name" {{ value = data.duo_policy.by_name.policy_key }}
output "global" {{ value = [data.duo_policy.global.is_global_policy, data.duo_policy.by_key.is_global_policy] }}
{extra}
"#
        )
    };
    h.apply(&hcl(""));
    let out = h.outputs();
    let key = h.attr("duo_policy.p", "id");
    assert_eq!(out["by_key"]["value"], "Look me up");
    assert_eq!(out["by_name"]["value"], key);
    assert_eq!(out["global"]["value"], json!([true, false]));

    let err = h.plan_error(&hcl(
        r#"data "duo_policy" "none" { policy_name = "No such" }"#,
    ));
    assert!(
        err.contains("Duo has no policy named \"No such\"."),
        "{err}"
    );
    let err = h.plan_error(&hcl(r#"data "duo_policy" "twin" { policy_name = "Twin" }"#));
    assert!(
        err.contains("2 matches for policy named \"Twin\"") && err.contains("by ID instead"),
        "{err}"
    );
    let err = h.plan_error(&hcl(r#"data "duo_policy" "flag" { global = false }"#));
    assert!(
        err.contains("Give one of `policy_key`, `policy_name`, `global = true`"),
        "{err}"
    );
    let err = h.plan_error(&hcl(r#"data "duo_policy" "both" {
  global      = true
  policy_name = "Twin"
}"#));
    assert!(err.contains("Conflicting lookup keys"), "{err}");
}
