//! The three membership resources: one link, a group's members, a user's groups.

use serde_json::{Value, json};

use crate::harness::{BUILD, Harness, supports_import_blocks};

/// `user -> [group ids]` as the emulator holds it.
fn memberships(h: &Harness) -> Vec<(String, usize)> {
    let mut m: Vec<(String, usize)> = h.tenant()["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["username"].as_str().unwrap().to_owned(),
                u["groups"].as_array().unwrap().len(),
            )
        })
        .collect();
    m.sort();
    m
}

/// Replaces the tenant with one group and `n` users (`members`: all in the group): the
/// group's ID and the users' IDs, quoted for HCL.
fn one_group_and_users(h: &Harness, n: usize, members: bool) -> (String, Vec<String>) {
    let groups: &[&str] = if members { &["big"] } else { &[] };
    let users: Vec<Value> = (0..n)
        .map(|i| json!({"username": format!("u{i:03}"), "groups": groups}))
        .collect();
    h.emu.state.mutate(|t| {
        let seed: duo_emulator::Seed =
            serde_json::from_value(json!({"groups": [{"name": "big"}], "users": users})).unwrap();
        *t = duo_emulator::Tenant::from_seed(seed).unwrap();
    });
    let tenant = h.tenant();
    let gid = tenant["groups"][0]["group_id"].as_str().unwrap().to_owned();
    let ids = tenant["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| format!("\"{}\"", u["user_id"].as_str().unwrap()))
        .collect();
    (gid, ids)
}

const PEOPLE: &str = r#"
resource "duo_group" "eng" { name = "eng" }
resource "duo_group" "ops" { name = "ops" }
resource "duo_user" "ann" { username = "ann" }
resource "duo_user" "bob" { username = "bob" }
resource "duo_user" "cat" { username = "cat" }
"#;

#[test]
fn a_single_membership_is_created_imported_drift_checked_and_removed() {
    let h = Harness::start(&BUILD, "group_member");
    let hcl = format!(
        "{PEOPLE}\nresource \"duo_group_member\" \"ann_eng\" {{\n  user_id  = duo_user.ann.id\n  group_id = duo_group.eng.id\n}}\n"
    );
    h.apply(&hcl);
    assert_eq!(
        memberships(&h),
        [("ann".into(), 1), ("bob".into(), 0), ("cat".into(), 0)]
    );
    let id = h
        .attr("duo_group_member.ann_eng", "id")
        .as_str()
        .unwrap()
        .to_owned();
    h.import_verify("duo_group_member.ann_eng", &id);
    if supports_import_blocks("group_member") {
        let generated = h.import_generate("duo_group_member", &id);
        assert!(
            generated.contains("group_id") && generated.contains("user_id"),
            "{generated}"
        );
    }

    h.emu
        .state
        .mutate(|t| t.users.values_mut().for_each(|u| u.groups.clear()));
    assert_eq!(
        h.planned_actions(&hcl, "duo_group_member.ann_eng"),
        vec!["create"],
        "a removed link is planned again"
    );
    h.apply(&hcl);

    h.apply(PEOPLE);
    assert_eq!(
        memberships(&h)[0],
        ("ann".into(), 0),
        "destroying the link removes the membership only"
    );

    h.write_config(&hcl);
    let out = h.run(&[
        "import",
        "-no-color",
        "duo_group_member.ann_eng",
        "not-an-id",
    ]);
    let text = crate::harness::text(&out);
    assert!(!out.status.success());
    assert!(
        text.contains("Expected `<user_id>/<group_id>`, got \"not-an-id\""),
        "{text}"
    );
}

#[test]
fn a_groups_members_are_authoritative_and_drift_is_seen() {
    let h = Harness::start(&BUILD, "group_members");
    let members = |list: &str| {
        format!(
            "{PEOPLE}\nresource \"duo_group_members\" \"eng\" {{\n  group_id = duo_group.eng.id\n  user_ids = [{list}]\n}}\n"
        )
    };
    h.apply(&members("duo_user.ann.id, duo_user.bob.id"));
    assert_eq!(
        memberships(&h),
        [("ann".into(), 1), ("bob".into(), 1), ("cat".into(), 0)]
    );

    h.apply(&members("duo_user.bob.id, duo_user.cat.id"));
    assert_eq!(
        memberships(&h),
        [("ann".into(), 0), ("bob".into(), 1), ("cat".into(), 1)]
    );

    // Someone adds ann in the Admin Panel: the plan removes her again.
    let gid = h.attr("duo_group.eng", "id").as_str().unwrap().to_owned();
    h.emu.state.mutate(|t| {
        t.users
            .values_mut()
            .find(|u| u.username == "ann")
            .unwrap()
            .groups
            .push(gid.clone())
    });
    let hcl = members("duo_user.bob.id, duo_user.cat.id");
    assert_eq!(
        h.planned_actions(&hcl, "duo_group_members.eng"),
        vec!["update"]
    );
    h.apply(&hcl);
    assert_eq!(memberships(&h)[0], ("ann".into(), 0));

    h.import_verify("duo_group_members.eng", &gid);
    if supports_import_blocks("group_members") {
        let generated = h.import_generate("duo_group_members", &gid);
        assert!(generated.contains("user_ids"), "{generated}");
    }
    h.apply(PEOPLE);
    assert!(
        memberships(&h).iter().all(|(_, n)| *n == 0),
        "destroy removes the members it managed"
    );
}

#[test]
fn members_past_the_first_page_are_read() {
    let h = Harness::start(&BUILD, "group_members_paged");
    let (gid, ids) = one_group_and_users(&h, 620, true);
    h.write_config(&format!("resource \"duo_group_members\" \"big\" {{\n  group_id = \"{gid}\"\n  user_ids = [{}]\n}}\n", ids.join(", ")));
    let out = h.run(&[
        "import",
        "-no-color",
        "-input=false",
        "duo_group_members.big",
        &gid,
    ]);
    crate::harness::assert_ok(&out, "import");
    assert_eq!(
        h.attr("duo_group_members.big", "user_ids")
            .as_array()
            .unwrap()
            .len(),
        620
    );
    h.assert_empty_plan_in(&h.dir_path());
    assert!(
        h.emu.state.stats()["by_route"]["GET /admin/v2/groups/{group_id}/users"]
            .as_u64()
            .unwrap()
            >= 2,
        "paged"
    );
}

#[test]
fn a_users_groups_are_authoritative_and_the_cap_is_explained() {
    let h = Harness::start(&BUILD, "user_groups");
    let hcl = format!(
        "{PEOPLE}\nresource \"duo_user_groups\" \"ann\" {{\n  user_id   = duo_user.ann.id\n  group_ids = [duo_group.eng.id, duo_group.ops.id]\n}}\n"
    );
    h.apply(&hcl);
    assert_eq!(memberships(&h)[0], ("ann".into(), 2));
    let uid = h.attr("duo_user.ann", "id").as_str().unwrap().to_owned();
    h.import_verify("duo_user_groups.ann", &uid);
    if supports_import_blocks("user_groups") {
        let generated = h.import_generate("duo_user_groups", &uid);
        assert!(generated.contains("group_ids"), "{generated}");
    }

    // Someone adds ann to ops by hand: the plan takes her out again.
    let only_eng = format!(
        "{PEOPLE}\nresource \"duo_user_groups\" \"ann\" {{\n  user_id   = duo_user.ann.id\n  group_ids = [duo_group.eng.id]\n}}\n"
    );
    h.apply(&only_eng);
    assert_eq!(memberships(&h)[0], ("ann".into(), 1));
    let ops = h.attr("duo_group.ops", "id").as_str().unwrap().to_owned();
    h.emu
        .state
        .mutate(|t| t.users.get_mut(&uid).unwrap().groups.push(ops.clone()));
    assert_eq!(
        h.planned_actions(&only_eng, "duo_user_groups.ann"),
        vec!["update"]
    );
    h.apply(&only_eng);
    assert_eq!(memberships(&h)[0], ("ann".into(), 1));
    h.apply(PEOPLE);
    assert_eq!(
        memberships(&h)[0],
        ("ann".into(), 0),
        "destroy removes the groups it managed"
    );

    let too_many: Vec<String> = (0..101).map(|i| format!("\"DG{i:018}\"")).collect();
    let err = h.plan_error(&format!(
        "resource \"duo_user_groups\" \"x\" {{\n  user_id   = \"DU1\"\n  group_ids = [{}]\n}}\n",
        too_many.join(", ")
    ));
    assert!(
        err.contains("has 101 items; Duo allows at most 100 for group_ids"),
        "{err}"
    );

    // Duo's own cap: a user already in 100 groups cannot join another.
    h.emu.state.mutate(|t| {
        let ids: Vec<String> = (0..100).map(|i| format!("DGFULL{i:014}")).collect();
        for id in &ids {
            t.groups.insert(
                id.clone(),
                serde_json::from_value(json!({"group_id": id, "name": id})).unwrap(),
            );
        }
        t.users
            .values_mut()
            .find(|u| u.username == "bob")
            .unwrap()
            .groups = ids;
    });
    let err = h.apply_error(&format!("{hcl}\nresource \"duo_group_member\" \"bob_eng\" {{\n  user_id  = duo_user.bob.id\n  group_id = duo_group.eng.id\n}}\n"));
    assert!(err.contains("allows a user in at most 100 groups"), "{err}");
    assert!(
        err.contains("group_id = duo_group.eng.id"),
        "points at the attribute:\n{err}"
    );
}

#[test]
fn a_large_set_of_members_goes_to_duo_in_bulk_and_a_refused_member_fails_alone() {
    let h = Harness::start(&BUILD, "group_members_bulk");
    let (gid, mut ids) = one_group_and_users(&h, 120, false);
    let set = |ids: &[String]| {
        format!(
            "resource \"duo_group_members\" \"big\" {{\n  group_id = \"{gid}\"\n  user_ids = [{}]\n}}\n",
            ids.join(", ")
        )
    };
    // One member Duo does not have: the other 120 are added, in three bulk calls.
    ids.push("\"DUNOSUCHUSER00000000\"".to_owned());
    h.emu.state.reset_stats();
    let err = h.apply_error(&set(&ids));
    assert!(
        err.contains("DUNOSUCHUSER00000000") && err.contains("Duo has no such"),
        "{err}"
    );
    let stats = h.stats();
    assert_eq!(stats["by_route"]["POST /admin/v1/bulk"], 3, "{stats}");
    assert_eq!(
        stats["by_route"]["POST /admin/v1/users/{user_id}/groups"],
        Value::Null,
        "none sent alone: {stats}"
    );
    assert_eq!(memberships(&h).iter().filter(|(_, n)| *n == 1).count(), 120);
    assert_eq!(
        h.attr("duo_group_members.big", "user_ids")
            .as_array()
            .unwrap()
            .len(),
        120,
        "the state keeps what was done"
    );
    ids.pop();
    h.apply(&set(&ids));
    h.assert_empty_plan_in(&h.dir_path());
    // Removing them all is three bulk calls again.
    h.emu.state.reset_stats();
    h.apply("");
    assert_eq!(h.stats()["by_route"]["POST /admin/v1/bulk"], 3);
    assert!(memberships(&h).iter().all(|(_, n)| *n == 0));
}
