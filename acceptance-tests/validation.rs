//! Every class of bad input, through the real CLI: `terraform validate` must reject each
//! with the attribute it concerns and what is allowed, before anything reaches Duo.

use crate::harness::{BUILD, Harness, text};

/// (resource type, arguments, attribute named in the error, words the error must say).
const CASES: &[(&str, &str, &str, &str)] = &[
    (
        "duo_user",
        r#"username = """#,
        "username",
        "must be 1 to 255 characters long, not 0",
    ),
    (
        "duo_user",
        r#"username = "ann"
  status = "Active""#,
        "status",
        r#"did you mean "active"? values are case-sensitive"#,
    ),
    (
        "duo_user",
        r#"username = "ann"
  email = "ann.example.com""#,
        "email",
        r#""ann.example.com" is not an email address"#,
    ),
    (
        "duo_group",
        r#"name = "${join("", [for i in range(256) : "x"])}""#,
        "name",
        "must be 1 to 255 characters long, not 256",
    ),
    (
        "duo_group",
        r#"name = "eng"
  status = "enabled""#,
        "status",
        r#""enabled" is not one of active, bypass, disabled"#,
    ),
    (
        "duo_phone",
        r#"number = "call me""#,
        "number",
        r#""call me" is not a phone number; write it like "+15555550100""#,
    ),
    (
        "duo_phone",
        r#"number = "+15555550100"
  type = "pager""#,
        "type",
        r#""pager" is not one of"#,
    ),
    (
        "duo_phone",
        r#"number = "+15555550100"
  platform = "ios""#,
        "platform",
        r#""ios" is not one of"#,
    ),
    (
        "duo_phone",
        r#"number = "+15555550100"
  extension = "12a""#,
        "extension",
        "must be digits only",
    ),
    (
        "duo_phone",
        r#"number = "+15555550100"
  predelay = -1"#,
        "predelay",
        "must be at least 0, not -1",
    ),
    (
        "duo_hardware_token",
        r#"type = "d1"
  serial = "1""#,
        "type",
        "cannot be created through the API",
    ),
    (
        "duo_hardware_token",
        r#"type = "x9"
  serial = "1""#,
        "type",
        r#""x9" is not one of"#,
    ),
    (
        "duo_hardware_token",
        r#"type = "h6"
  serial = ""
  secret = "3132""#,
        "serial",
        "must be 1 to 128 characters long, not 0",
    ),
    (
        "duo_hardware_token",
        r#"type = "h6"
  serial = "1"
  secret = "not hex""#,
        "secret",
        "`secret` must be hexadecimal",
    ),
    (
        "duo_hardware_token",
        r#"type = "yk"
  serial = "1"
  private_id = "abc"
  aes_key = "0123456789abcdef0123456789abcdef""#,
        "private_id",
        "`private_id` must be 12 characters long",
    ),
    (
        "duo_hardware_token",
        r#"type = "h6"
  serial = "1"
  secret = "3132"
  aes_key = "0123456789abcdef0123456789abcdef""#,
        "aes_key",
        "`aes_key` does not apply to a `h6` token",
    ),
    (
        "duo_hardware_token",
        r#"type = "h6"
  serial = "1"
  secret = "3132"
  counter = -5"#,
        "counter",
        "must be at least 0, not -5",
    ),
    (
        "duo_admin",
        r#"email = "root"
  name = "Root""#,
        "email",
        r#""root" is not an email address"#,
    ),
    (
        "duo_admin",
        r#"email = "a@example.com"
  name = "A"
  role = "Superuser""#,
        "role",
        r#""Superuser" is not one of Owner, Administrator"#,
    ),
    (
        "duo_admin",
        r#"email = "a@example.com"
  name = "A"
  phone = "ring ring""#,
        "phone",
        r#""ring ring" is not a phone number"#,
    ),
    (
        "duo_admin_unit",
        r#"name = "EMEA"
  description = """#,
        "description",
        "must be 1 to 1000 characters long, not 0",
    ),
    (
        "duo_integration",
        r#"name = "VPN"
  type = "AuthAPI""#,
        "type",
        r#""AuthAPI" is not an integration type; types are lowercase"#,
    ),
    (
        "duo_integration",
        r#"name = "VPN"
  type = "authapi"
  user_access = "everyone""#,
        "user_access",
        r#""everyone" is not one of NO_USERS, ALL_USERS, PERMITTED_GROUPS"#,
    ),
    (
        "duo_integration",
        r#"name = "Reports"
  type = "adminapi"
  networks_for_api_access = ["192.0.2.0/24", "10.0.0.0/40"]"#,
        "networks_for_api_access",
        r#"has an invalid element: "10.0.0.0/40" has prefix length "40"; it must be 0 to 32"#,
    ),
    (
        "duo_integration",
        r#"name = "VPN"
  type = "authapi"
  sso = jsonencode({ entity_id = "x" })"#,
        "sso",
        "SSO settings do not apply to a `authapi` integration",
    ),
    (
        "duo_integration",
        r#"name = "Wiki"
  type = "sso-generic"
  sso = "not json""#,
        "sso",
        "is not a JSON object; write it with jsonencode",
    ),
    (
        "duo_integration",
        r#"name = "VPN"
  type = "authapi"
  user_access = "ALL_USERS"
  groups_allowed = ["DGXXXXXXXXXXXXXXXXXX"]"#,
        "groups_allowed",
        "Set `user_access = \"PERMITTED_GROUPS\"`",
    ),
    (
        "duo_bypass_codes",
        r#"user_id = "DUXXXXXXXXXXXXXXXXXX"
  code_count = 0"#,
        "code_count",
        "must be a whole number from 1 to 100",
    ),
    (
        "duo_bypass_codes",
        r#"user_id = "DUXXXXXXXXXXXXXXXXXX"
  code_count = 2
  codes = ["123456789"]"#,
        "codes",
        "Conflicting attributes",
    ),
    (
        "duo_bypass_codes",
        r#"user_id = "DUXXXXXXXXXXXXXXXXXX"
  codes = ["123456789", "12ab56789"]"#,
        "codes",
        "has an invalid element: must be digits only",
    ),
    (
        "duo_bypass_codes",
        r#"user_id = "DUXXXXXXXXXXXXXXXXXX"
  code_count = 1
  reuse_count = -1"#,
        "reuse_count",
        "must be at least 0, not -1",
    ),
    (
        "duo_policy",
        r#"policy_name = """#,
        "policy_name",
        "must be 1 to 255 characters long, not 0",
    ),
];

#[test]
fn every_class_of_bad_input_is_refused_at_validate_with_its_attribute_and_the_allowed_values() {
    let h = Harness::start(&BUILD, "validation_table");
    let hcl: String = CASES
        .iter()
        .enumerate()
        .map(|(i, (ty, args, _, _))| format!("resource \"{ty}\" \"case{i}\" {{\n  {args}\n}}\n\n"))
        .collect();
    h.write_config(&hcl);
    let out = h.run(&["validate", "-no-color"]);
    assert!(!out.status.success(), "{}", text(&out));
    let said = text(&out);
    // One error block per diagnostic; each names its resource and shows the offending line.
    let blocks: Vec<&str> = said.split("Error: ").skip(1).collect();
    let mut missing = Vec::new();
    for (i, (ty, _, attr, words)) in CASES.iter().enumerate() {
        let addr = format!("with {ty}.case{i},");
        let found = blocks.iter().any(|b| {
            b.contains(&addr)
                && b.contains(&format!("{attr} ="))
                && b.contains(&words.split_whitespace().collect::<Vec<_>>().join(" "))
        });
        if !found {
            missing.push(format!("case{i} ({ty}.{attr}: {words})"));
        }
    }
    assert!(
        missing.is_empty(),
        "not reported as expected: {missing:#?}\n\n{said}"
    );
    assert_eq!(
        blocks.len(),
        CASES.len(),
        "one error per case, no more: {said}"
    );
    // Nothing reached Duo. Terraform quotes the configuration line; the provider's own message
    // never repeats a code or a secret.
    assert_eq!(h.stats()["total"], 0);
    assert_eq!(said.matches("12ab56789").count(), 1, "{said}");
    assert_eq!(said.matches("not hex").count(), 1, "{said}");
}
