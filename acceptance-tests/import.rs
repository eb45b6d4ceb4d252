//! Import for every resource type, by every ID form each accepts, of objects made outside
//! Terraform (the emulator's generator creates them through the Admin API): an `import`
//! block with `-generate-config-out` whose configuration applies and then plans empty, and an
//! error that names the problem for an object that does not exist.

use std::collections::BTreeSet;

use duo_emulator::{Options, Spec, Tenant};

use crate::harness::{BUILD, Harness, assert_ok, supports, supports_import_blocks, text};

/// Import IDs per resource type (every form), and an ID that names nothing with the words the
/// error must contain.
struct Case {
    type_name: &'static str,
    ids: Vec<String>,
    missing: (&'static str, &'static str),
}

const BATCHES: [&[&str]; 3] = [
    &[
        "duo_user",
        "duo_group",
        "duo_group_member",
        "duo_group_members",
        "duo_user_groups",
        "duo_bypass_codes",
    ],
    &[
        "duo_phone",
        "duo_user_phone",
        "duo_hardware_token",
        "duo_user_hardware_token",
        "duo_admin",
        "duo_admin_unit",
    ],
    &[
        "duo_integration",
        "duo_policy",
        "duo_policy_assignment",
        "duo_global_policy",
        "duo_settings",
        "duo_admin_allowed_auth_methods",
    ],
];

fn tenant() -> Tenant {
    let mut t = Tenant::default();
    let spec: Spec = "users=3,groups=2,memberships=3,phones=1,tokens=1,bypass_codes=1,\
                      integrations=4,policies=2,admins=1,admin_units=1"
        .parse()
        .unwrap();
    duo_emulator::generate(&mut t, &spec).unwrap();
    t
}

fn cases(h: &Harness) -> Vec<Case> {
    h.emu
        .state
        .mutate(|t| {
            let user = t.users.values().find(|u| !u.phones.is_empty()).unwrap();
            let in_group = t.users.values().find(|u| !u.groups.is_empty()).unwrap();
            let with_token = t.users.values().find(|u| !u.tokens.is_empty()).unwrap();
            let with_codes = &t.bypass_codes.values().next().unwrap().user_id;
            let group = t.groups.values().next().unwrap();
            let token = t.tokens.values().next().unwrap();
            let admin = t.admins.values().next().unwrap();
            let app = t.integrations.values().next().unwrap();
            let policy = t
                .policies
                .values()
                .find(|p| !p.is_global && !p.apps.is_empty())
                .unwrap();
            let case = |type_name, ids: Vec<String>, missing| Case {
                type_name,
                ids,
                missing,
            };
            vec![
                case(
                    "duo_user",
                    vec![user.user_id.clone(), format!("username:{}", user.username)],
                    ("DUNOSUCHUSER00000000", "No duo_user with ID"),
                ),
                case(
                    "duo_group",
                    vec![group.group_id.clone(), format!("name:{}", group.name)],
                    ("name:Nobody", "No duo_group matches \"name:Nobody\""),
                ),
                case(
                    "duo_group_member",
                    vec![format!("{}/{}", in_group.user_id, in_group.groups[0])],
                    ("DUNOSUCHUSER00000000/DGNOSUCHGROUP0000000", "Cannot import"),
                ),
                case(
                    "duo_group_members",
                    vec![in_group.groups[0].clone()],
                    ("DGNOSUCHGROUP0000000", "No duo_group_members with ID"),
                ),
                case(
                    "duo_user_groups",
                    vec![in_group.user_id.clone()],
                    ("DUNOSUCHUSER00000000", "No duo_user_groups with ID"),
                ),
                case(
                    "duo_bypass_codes",
                    vec![with_codes.clone()],
                    (
                        "DUNOSUCHUSER00000000",
                        "No user with ID \"DUNOSUCHUSER00000000\"",
                    ),
                ),
                case(
                    "duo_phone",
                    vec![user.phones[0].clone()],
                    ("DPNOSUCHPHONE0000000", "No duo_phone with ID"),
                ),
                case(
                    "duo_user_phone",
                    vec![format!("{}/{}", user.user_id, user.phones[0])],
                    ("just-one-part", "Expected `<user_id>/<phone_id>`"),
                ),
                case(
                    "duo_hardware_token",
                    vec![
                        token.token_id.clone(),
                        format!("{}:{}", token.kind, token.serial),
                    ],
                    ("h6:NOSUCHSERIAL", "No duo_hardware_token matches"),
                ),
                case(
                    "duo_user_hardware_token",
                    vec![format!("{}/{}", with_token.user_id, with_token.tokens[0])],
                    ("DUNOSUCHUSER00000000/DHX", "Cannot import"),
                ),
                case(
                    "duo_admin",
                    vec![admin.admin_id.clone(), format!("email:{}", admin.email)],
                    ("email:nobody@example.com", "No duo_admin matches"),
                ),
                case(
                    "duo_admin_unit",
                    vec![t.admin_units.keys().next().unwrap().clone()],
                    ("AUNOSUCHUNIT00000000", "No duo_admin_unit with ID"),
                ),
                case(
                    "duo_integration",
                    vec![app.integration_key.clone(), format!("name:{}", app.name)],
                    ("DINOSUCHAPP000000000", "No duo_integration with ID"),
                ),
                case(
                    "duo_policy",
                    vec![
                        policy.policy_key.clone(),
                        format!("name:{}", policy.policy_name),
                    ],
                    ("name:No such policy", "No duo_policy matches"),
                ),
                case(
                    "duo_policy_assignment",
                    vec![format!("{}/{}", policy.policy_key, policy.apps[0])],
                    ("PONOSUCHPOLICY000000/DIX", "Cannot import"),
                ),
                case(
                    "duo_global_policy",
                    vec!["global".into()],
                    ("POX", "with the ID \"global\""),
                ),
                case(
                    "duo_settings",
                    vec!["settings".into()],
                    ("config", "with the ID \"settings\""),
                ),
                case(
                    "duo_admin_allowed_auth_methods",
                    vec!["admin_allowed_auth_methods".into()],
                    ("x", "with the ID \"admin_allowed_auth_methods\""),
                ),
            ]
        })
        .unwrap()
}

fn run_batch(test: &str, batch: &[&str]) {
    if !supports_import_blocks(test) {
        return;
    }
    let h = Harness::start_with(&BUILD, test, Options::default(), tenant());
    let before = h.tenant();
    for case in cases(&h).iter().filter(|c| batch.contains(&c.type_name)) {
        for id in &case.ids {
            let generated = h.import_generate_in("generated", case.type_name, id);
            assert!(
                generated.contains(&format!("resource \"{}\" \"imported\"", case.type_name)),
                "{generated}"
            );
        }
        let (id, words) = case.missing;
        let err = h.import_error(case.type_name, id);
        assert!(err.contains(words), "{}: {err}", case.type_name);
    }
    if batch.contains(&"duo_bypass_codes") {
        let without = h
            .emu
            .state
            .mutate(|t| {
                let with: BTreeSet<&String> = t.bypass_codes.values().map(|b| &b.user_id).collect();
                t.users.keys().find(|u| !with.contains(u)).cloned()
            })
            .flatten()
            .unwrap();
        let err = h.import_error("duo_bypass_codes", &without);
        assert!(err.contains("has no bypass codes"), "{err}");
    }
    assert_eq!(h.tenant(), before, "importing changed the tenant");
}

#[test]
fn the_import_cases_cover_every_resource_type() {
    let all: BTreeSet<&str> = terraform_provider_duo::resources::all()
        .iter()
        .map(|r| r.type_name())
        .collect();
    let covered: BTreeSet<&str> = BATCHES
        .iter()
        .flat_map(|b| b.iter().copied())
        .chain(crate::msp::IMPORTED.iter().copied())
        .collect();
    assert_eq!(covered, all);
}

#[test]
fn users_groups_memberships_and_bypass_codes_import_with_config_that_plans_clean() {
    run_batch("import_users_groups", BATCHES[0]);
}

#[test]
fn devices_and_administrators_import_with_config_that_plans_clean() {
    run_batch("import_devices_admins", BATCHES[1]);
}

#[test]
fn applications_policies_and_settings_import_with_config_that_plans_clean() {
    run_batch("import_apps_policies", BATCHES[2]);
}

#[test]
fn the_for_each_import_example_adopts_every_user_and_group() {
    let test = "the_for_each_import_example_adopts_every_user_and_group";
    if !supports(test, (1, 7), "import blocks with for_each") {
        return;
    }
    let mut t = Tenant::default();
    let spec: Spec = "users=40,groups=5,memberships=40".parse().unwrap();
    duo_emulator::generate(&mut t, &spec).unwrap();
    // Every optional user field set somewhere, so the example must carry each of them.
    if let Some(u) = t.users.values_mut().next() {
        u.firstname = Some("Ann".into());
        u.lastname = Some("Lee".into());
        u.aliases[0] = Some("annie".into());
        u.status = "bypass".into();
    }
    let mut h = Harness::start_with(&BUILD, "import_for_each", Options::default(), t);
    h.env.extend(h.duo_env.clone());
    let dir = h.dir_path();
    let example =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/import-for-each/main.tf");
    std::fs::copy(example, dir.join("main.tf")).unwrap();
    let before = h.tenant();
    let plan = h.run(&["plan", "-input=false", "-no-color"]);
    assert_ok(&plan, "plan of the for_each imports");
    let plan = text(&plan);
    assert!(
        plan.contains("Plan: 45 to import, 0 to add, 0 to change, 0 to destroy."),
        "{plan}"
    );
    let apply = h.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    assert_ok(&apply, "apply of the for_each imports");
    h.assert_empty_plan_in(&dir);
    assert_eq!(h.tenant(), before);
}

#[test]
fn an_import_reads_the_object_once_and_the_refresh_after_it_costs_nothing() {
    let mut h = Harness::start(&BUILD, "import_reads_once");
    // One request per object, so that every read shows in the count.
    h.provider_block = h.provider_block.replace(
        "provider \"duo\" {",
        "provider \"duo\" {\n  batch_requests = false",
    );
    h.apply(r#"resource "duo_group" "g" { name = "imported once" }"#);
    let id = h.attr("duo_group.g", "id").as_str().unwrap().to_owned();
    assert_ok(&h.run(&["state", "rm", "duo_group.g"]), "state rm");
    h.emu.state.reset_stats();
    // Terraform imports, then refreshes what it imported, in the same provider process.
    let out = h.run(&["import", "-input=false", "-no-color", "duo_group.g", &id]);
    assert_ok(&out, "import");
    let stats = h.emu.state.stats();
    assert_eq!(
        stats["by_route"]["GET /admin/v2/groups/{group_id}"], 1,
        "{stats}"
    );
    assert_eq!(h.attr("duo_group.g", "name"), "imported once");
    h.assert_empty_plan_in(&h.dir_path());
}
