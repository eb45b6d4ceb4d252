//! Creation guards: an object whose natural key Duo does not keep unique (group, unit and
//! policy names, application name and type, phone number) is not created a second time when
//! Duo already has one, as it would be after an apply killed before Terraform recorded what it
//! made. The plan fails on each such resource with the import block that adopts the object;
//! pasted in as a user would, the apply converges. Where Duo keeps the key unique (usernames,
//! administrator emails, token types and serials), Duo's refusal gives the same import block.

use std::collections::BTreeMap;

use crate::harness::{BUILD, Harness, supports_import_blocks, text};

const OBJECTS: &str = r#"
resource "duo_group" "eng" {
  name = "eng"
}

resource "duo_admin_unit" "ops" {
  name        = "ops"
  description = "Operations"
}

resource "duo_policy" "strict" {
  policy_name = "strict"
}

resource "duo_integration" "app" {
  name = "app"
  type = "authapi"
}

resource "duo_phone" "desk" {
  number = "+15555550100"
  type   = "landline"
}
"#;

/// The address and ID of each guard's error, read from Terraform's output as a user reads
/// them: the resource named under "with", the ID in the import block.
pub(crate) fn import_hints(output: &str) -> BTreeMap<String, String> {
    let mut hints = BTreeMap::new();
    for error in output.split("Error: ").skip(1) {
        if !error.contains("already exists") {
            continue;
        }
        let address = error
            .lines()
            .find_map(|l| l.trim().strip_prefix("with "))
            .map(|a| a.trim_end_matches(',').to_owned());
        let id = error
            .lines()
            .find_map(|l| l.trim().strip_prefix("id = \""))
            .map(|i| i.trim_end_matches('"').to_owned());
        if let (Some(address), Some(id)) = (address, id) {
            hints.insert(address, id);
        }
    }
    hints
}

fn counts(h: &Harness) -> BTreeMap<&'static str, usize> {
    let t = h.tenant();
    [
        "groups",
        "admin_units",
        "policies",
        "integrations",
        "phones",
        "users",
        "admins",
        "tokens",
    ]
    .into_iter()
    .map(|k| (k, t[k].as_array().map_or(0, Vec::len)))
    .collect()
}

#[test]
fn creating_what_duo_already_has_fails_with_the_import_block_that_adopts_it() {
    if !supports_import_blocks("creation_guards") {
        return;
    }
    let h = Harness::start(&BUILD, "creation_guards");
    h.apply(OBJECTS);
    let made = counts(&h);
    // Terraform loses what it made, as when it is killed before recording it.
    for address in [
        "duo_group.eng",
        "duo_admin_unit.ops",
        "duo_policy.strict",
        "duo_integration.app",
        "duo_phone.desk",
    ] {
        let out = h.run(&["state", "rm", address]);
        assert!(out.status.success(), "{}", text(&out));
    }

    h.emu.state.reset_stats();
    let (out, said) = output_of(h.run(&["plan", "-input=false", "-no-color"]));
    assert!(!out.status.success(), "{said}");
    let hints = import_hints(&said);
    assert_eq!(
        hints.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            "duo_admin_unit.ops",
            "duo_group.eng",
            "duo_integration.app",
            "duo_phone.desk",
            "duo_policy.strict",
        ],
        "{said}"
    );
    for (address, id) in &hints {
        assert!(
            said.contains(&format!(
                "terraform import '{}.NAME' {id}",
                address.split('.').next().unwrap_or_default()
            )),
            "the command for Terraform before 1.5 is given: {said}"
        );
    }
    assert!(said.contains("allow_duplicate_name = true"), "{said}");
    assert!(said.contains("allow_duplicate_number = true"), "{said}");
    // One listing of each type answers its guard; the provider's credential check at
    // configure is the one other call.
    let stats = h.stats();
    assert_eq!(stats["total"], 6, "{stats}");
    for route in [
        "GET /admin/v1/administrative_units",
        "GET /admin/v1/phones",
        "GET /admin/v2/policies",
        "GET /admin/v3/integrations",
    ] {
        assert_eq!(stats["by_route"][route], 1, "{route}: {stats}");
    }
    assert_eq!(counts(&h), made, "a failed plan creates nothing");

    // Pasted in as a user would: the apply adopts every object and makes none.
    let imports = import_blocks(&hints);
    h.apply(&format!("{OBJECTS}\n{imports}"));
    assert_eq!(counts(&h), made);
    h.assert_empty_plan_in(&h.dir_path());

    // Opting out makes a second object of each with the same key, and keeps planning clean.
    let again = OBJECTS
        .replace("\" {\n", "_again\" {\n")
        .replace("\n}\n", "\n  OPT_OUT = true\n}\n")
        .replace(
            "\"duo_phone\" \"desk_again\" {\n  number = \"+15555550100\"\n  type   = \"landline\"\n  OPT_OUT",
            "\"duo_phone\" \"desk_again\" {\n  number = \"+15555550100\"\n  type   = \"landline\"\n  allow_duplicate_number",
        )
        .replace("OPT_OUT", "allow_duplicate_name");
    assert_eq!(
        again.matches("allow_duplicate_name = true").count(),
        4,
        "{again}"
    );
    assert_eq!(
        again.matches("allow_duplicate_number = true").count(),
        1,
        "{again}"
    );
    h.apply(&format!("{OBJECTS}\n{imports}\n{again}"));
    assert_eq!(
        counts(&h),
        made.iter()
            .map(|(k, n)| (*k, n + usize::from(GUARDED.contains(k))))
            .collect(),
    );
    assert_eq!(h.attr("duo_group.eng_again", "allow_duplicate_name"), true);
    assert_eq!(
        h.attr("duo_phone.desk_again", "allow_duplicate_number"),
        true
    );
}

/// The types the plan-time guards with an opt-out cover, as the emulator's tenant names them.
const GUARDED: &[&str] = &[
    "groups",
    "admin_units",
    "policies",
    "integrations",
    "phones",
];

/// The output and its text as Terraform printed it (stderr first), lines kept.
pub(crate) fn output_of(out: std::process::Output) -> (std::process::Output, String) {
    let said =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    (out, said)
}

pub(crate) fn import_blocks(hints: &BTreeMap<String, String>) -> String {
    hints
        .iter()
        .map(|(to, id)| format!("import {{\n  to = {to}\n  id = \"{id}\"\n}}\n"))
        .collect()
}

/// Objects whose key Duo keeps unique: nothing to guard at plan time, as Duo refuses.
const UNIQUE_IN_DUO: &str = r#"
resource "duo_user" "ann" {
  username = "ann"
  email    = "ann@example.com"
}

resource "duo_admin" "help" {
  email                 = "help@example.com"
  name                  = "Help Desk"
  send_activation_email = false
}

resource "duo_hardware_token" "fob" {
  type   = "h6"
  serial = "100200"
  secret = "3132333435363738393031323334353637383930"
}
"#;

#[test]
fn a_key_duo_keeps_unique_found_taken_gives_the_import_block_at_plan_and_at_apply() {
    if !supports_import_blocks("taken_keys") {
        return;
    }
    let h = Harness::start(&BUILD, "taken_keys");
    h.apply(UNIQUE_IN_DUO);
    let made = counts(&h);
    for address in ["duo_user.ann", "duo_admin.help", "duo_hardware_token.fob"] {
        let out = h.run(&["state", "rm", address]);
        assert!(out.status.success(), "{}", text(&out));
    }
    // The plan names every one at once, rather than the apply one refusal at a time.
    h.emu.state.reset_stats();
    let (out, said) = output_of(h.run(&["plan", "-input=false", "-no-color"]));
    assert!(!out.status.success(), "{said}");
    let hints = import_hints(&said);
    assert_eq!(
        hints.keys().map(String::as_str).collect::<Vec<_>>(),
        ["duo_admin.help", "duo_hardware_token.fob", "duo_user.ann"],
        "{said}"
    );
    for line in [
        "A user with username \"ann\" already exists",
        "allows one user per username, so it would refuse to create this one",
        "allows one administrator per email",
        "allows one hardware token per type and serial",
        "terraform import 'duo_user.NAME'",
    ] {
        // Terraform wraps the detail's lines.
        let flat = said.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(flat.contains(line), "{line:?} in {said}");
    }
    assert!(!said.contains("allow_duplicate"), "no opt-out: {said}");
    // A username lookup, the administrators' listing, the tokens' listing, and the
    // credential check at configure.
    let stats = h.stats();
    assert_eq!(stats["total"], 4, "{stats}");
    assert_eq!(stats["by_route"]["GET /admin/v1/users"], 1, "{stats}");
    assert_eq!(counts(&h), made);

    let adopted = format!("{UNIQUE_IN_DUO}\n{}", import_blocks(&hints));
    h.apply(&adopted);
    assert_eq!(counts(&h), made);

    // Replacing tokens (a new secret) deletes each and creates its successor, same type and
    // serial: not a duplicate, however the apply orders them.
    let tokens = |secret: &str| {
        (1..=2)
            .map(|i| {
                format!(
                    "resource \"duo_hardware_token\" \"t{i}\" {{\n  type   = \"h6\"\n  serial = \"r{i}\"\n  secret = \"{secret}\"\n}}\n"
                )
            })
            .collect::<String>()
    };
    h.apply(&format!(
        "{adopted}\n{}",
        tokens("3132333435363738393031323334353637383930")
    ));
    h.apply(&format!(
        "{adopted}\n{}",
        tokens("3132333435363738393031323334353637383931")
    ));
    assert_eq!(counts(&h)["tokens"], made["tokens"] + 2);

    // Made by someone else between plan and apply: the apply plans each change again, and
    // finds it.
    h.write_config(&format!(
        "{adopted}\nresource \"duo_user\" \"bob\" {{\n  username = \"bob\"\n}}\n"
    ));
    let out = h.run(&["plan", "-input=false", "-no-color", "-out=tfplan"]);
    assert!(out.status.success(), "{}", text(&out));
    let elsewhere = h.dir_path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    h.write_config_in(
        &elsewhere,
        "resource \"duo_user\" \"bob\" {\n  username = \"bob\"\n}\n",
    );
    let out = h.run_in(
        &elsewhere,
        &["apply", "-auto-approve", "-input=false", "-no-color"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let (out, refused) = output_of(h.run(&["apply", "-input=false", "-no-color", "tfplan"]));
    assert!(!out.status.success(), "{refused}");
    let flat = refused.split_whitespace().collect::<Vec<_>>().join(" ");
    let bob = h.state_in(&elsewhere, "duo_user.bob")["id"].clone();
    for line in [
        "A user with username \"bob\" already exists".to_owned(),
        format!("id = {bob}"),
    ] {
        assert!(flat.contains(&line), "{line:?} in {refused}");
    }
}
