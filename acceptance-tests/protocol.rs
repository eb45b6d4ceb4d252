//! What Terraform 1.12 and later do with the provider, which the Terraform installed here
//! (1.11 at most) cannot: resource identity. The protocol harness (`tfplugin::client`) starts
//! the built provider as Terraform does (AutoMTLS included), issues the RPCs Terraform's own
//! code issues for import, refresh, plan and apply, and refuses what Terraform refuses; it
//! also refuses an identity that changes across a refresh.

use std::collections::{BTreeMap, BTreeSet};

use duo_emulator::{Options, Spec, Tenant};
use tfplugin::client::{Object, Plugin};
use tfplugin::{Number, Value};

use crate::harness::{BUILD, Harness, assert_ok, import_ids};

/// The identity attribute that names the child account an object lives in (the provider's
/// scope), null for the key pair's own account.
const ACCOUNT_ID: &str = terraform_provider_duo::provider::ProviderConfig::account_id;

const CHILD_ACCOUNT: &str = terraform_provider_duo::resources::child_account::KIND.type_name;

/// A tenant of a few hundred objects of every type.
fn tenant() -> Tenant {
    let mut t = Tenant::default();
    let spec: Spec = "users=120,groups=8,memberships=160,phones=40,tokens=20,bypass_codes=5,\
                      integrations=10,policies=4,admins=5,admin_units=3"
        .parse()
        .unwrap();
    duo_emulator::generate(&mut t, &spec).unwrap();
    t
}

/// The provider, started and configured as Terraform 1.15 would.
fn plugin(runtime: &tokio::runtime::Runtime, h: &Harness) -> Plugin {
    let mut command = std::process::Command::new(BUILD.provider);
    command
        .envs(h.duo_env.clone())
        .stderr(std::process::Stdio::null());
    let plugin = runtime.block_on(Plugin::start(command)).unwrap();
    let mut config = Value::null_object(plugin.provider_type());
    if let Value::Object(attrs) = &mut config {
        attrs.insert("rate_limit_scale".into(), Value::Number(Number::Int(50)));
    }
    runtime
        .block_on(plugin.configure("1.15.0", &config))
        .unwrap();
    plugin
}

fn attr<'v>(v: &'v Value, name: &str) -> &'v Value {
    match v {
        Value::Object(attrs) => attrs.get(name).unwrap_or(&Value::Null),
        _ => &Value::Null,
    }
}

/// An object of `type_name`'s type with `attrs` set and everything else null.
fn config(plugin: &Plugin, type_name: &str, attrs: &[(&str, Value)]) -> Value {
    let mut v = Value::null_object(plugin.resource_type(type_name).unwrap());
    if let Value::Object(m) = &mut v {
        for (k, val) in attrs {
            m.insert((*k).to_owned(), val.clone());
        }
    }
    v
}

#[test]
fn every_object_of_every_type_imports_by_identity_as_by_id_and_keeps_its_identity() {
    let h = Harness::start_with(&BUILD, "protocol_identity", Options::default(), tenant());
    let (dir, out) = h.export("exported", &[]);
    assert_ok(&out, "export");
    let ids = import_ids(&dir);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let plugin = plugin(&runtime, &h);

    let mut by_type: BTreeMap<String, usize> = BTreeMap::new();
    for (type_name, id) in &ids {
        let by_id = runtime
            .block_on(plugin.import_block(type_name, Some(id), None))
            .unwrap_or_else(|e| panic!("import {type_name} {id}: {e}"));
        let identity = by_id
            .identity
            .clone()
            .unwrap_or_else(|| panic!("{type_name} {id} imported without an identity"));
        let Value::Object(parts) = &identity else {
            panic!("{type_name} identity {identity:?} is not an object");
        };
        // The parts that say which object are all there; the account is null for the key
        // pair's own account (identity version 1 added it as optional).
        assert!(
            parts
                .iter()
                .filter(|(name, _)| *name != ACCOUNT_ID)
                .all(|(_, v)| v.as_str().is_some_and(|s| !s.is_empty())),
            "{type_name} {id}: identity {identity:?} has an empty part"
        );
        assert_eq!(
            parts.get(ACCOUNT_ID),
            Some(&Value::Null),
            "{type_name} {id}"
        );
        // Every identity part is the state's own attribute of that name.
        for (name, value) in parts {
            assert_eq!(attr(&by_id.state, name), value, "{type_name} {id}: {name}");
        }

        let by_identity = runtime
            .block_on(plugin.import_block(type_name, None, Some(&identity)))
            .unwrap_or_else(|e| panic!("import {type_name} by identity {identity:?}: {e}"));
        assert_eq!(by_identity.state, by_id.state, "{type_name} {id}");
        assert_eq!(by_identity.identity.as_ref(), Some(&identity));

        // Refreshed again and again (the harness refuses a changed identity)…
        let refreshed = runtime.block_on(plugin.read(&by_id)).unwrap().unwrap();
        assert_eq!(refreshed.identity.as_ref(), Some(&identity));
        // …and after the state and identity are stored and upgraded, as Terraform does
        // before every use of stored state: an identity stored by version 0, before the
        // account was part of it, upgrades to this one.
        let stored_state = tfplugin::to_json(&refreshed.state).to_string();
        let mut version_0 = tfplugin::to_json(&identity);
        version_0.as_object_mut().map(|o| o.remove(ACCOUNT_ID));
        let stored_identity = version_0.to_string();
        let state = runtime
            .block_on(plugin.upgrade_state(
                type_name,
                plugin.schema_version(type_name).unwrap(),
                &stored_state,
            ))
            .unwrap();
        let upgraded = runtime
            .block_on(plugin.upgrade_identity(type_name, 0, &stored_identity))
            .unwrap();
        assert_eq!(upgraded, identity, "{type_name} {id}");
        let stored = Object {
            type_name: type_name.clone(),
            state,
            private: refreshed.private.clone(),
            identity: Some(upgraded),
        };
        let again = runtime.block_on(plugin.read(&stored)).unwrap().unwrap();
        assert_eq!(again.state, refreshed.state, "{type_name} {id}");
        *by_type.entry(type_name.clone()).or_default() += 1;
    }
    eprintln!("imported by ID and by identity: {by_type:?}");
    let exported: BTreeSet<&String> = ids.iter().map(|(t, _)| t).collect();
    assert!(exported.len() >= 15, "the export covered only {exported:?}");
    runtime.block_on(plugin.shutdown()).unwrap();
}

#[test]
fn every_resource_type_declares_an_identity_that_fits_its_state() {
    let h = Harness::start(&BUILD, "protocol_identity_schemas");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let plugin = plugin(&runtime, &h);
    let types = plugin.resource_types();
    assert_eq!(types.len(), 19, "{types:?}");
    for type_name in types {
        let Some(Value::Object(parts)) = plugin
            .identity_type(&type_name)
            .unwrap()
            .map(Value::null_object)
        else {
            panic!("{type_name} has no identity schema");
        };
        let state = Value::null_object(plugin.resource_type(&type_name).unwrap());
        for name in parts.keys() {
            assert!(
                matches!(&state, Value::Object(a) if a.contains_key(name)),
                "{type_name}'s identity attribute {name} is not a state attribute"
            );
        }
    }
    runtime.block_on(plugin.shutdown()).unwrap();
}

#[test]
fn a_created_object_has_its_identity_from_apply_through_update_refresh_and_destroy() {
    let h = Harness::start(&BUILD, "protocol_identity_lifecycle");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let plugin = plugin(&runtime, &h);

    // A group: Duo gives its ID at creation, so the plan cannot know its identity.
    let create = config(&plugin, "duo_group", &[("name", "identity-eng".into())]);
    runtime
        .block_on(plugin.validate("duo_group", &create))
        .unwrap();
    let planned = runtime
        .block_on(plugin.plan("duo_group", None, &create))
        .unwrap();
    assert_eq!(
        planned.identity.as_ref().map(|i| attr(i, "id").clone()),
        Some(Value::Unknown)
    );
    let group = runtime
        .block_on(plugin.apply("duo_group", None, &planned, &create))
        .unwrap()
        .unwrap();
    let identity = group.identity.clone().unwrap();
    let id = attr(&group.state, "id").clone();
    assert!(id.as_str().is_some_and(|s| s.starts_with("DG")), "{id:?}");
    assert_eq!(attr(&identity, "id"), &id);

    // An update keeps it, known at plan time.
    let update = config(
        &plugin,
        "duo_group",
        &[("name", "identity-eng".into()), ("desc", "renamed".into())],
    );
    let planned = runtime
        .block_on(plugin.plan("duo_group", Some(&group), &update))
        .unwrap();
    assert_eq!(planned.identity.as_ref(), Some(&identity));
    let updated = runtime
        .block_on(plugin.apply("duo_group", Some(&group), &planned, &update))
        .unwrap()
        .unwrap();
    assert_eq!(updated.identity.as_ref(), Some(&identity));
    let refreshed = runtime.block_on(plugin.read(&updated)).unwrap().unwrap();
    assert_eq!(attr(&refreshed.state, "desc"), &Value::from("renamed"));

    // A link's identity is its two ends, known from the configuration before it exists.
    let user_config = config(&plugin, "duo_user", &[("username", "identity-ann".into())]);
    let planned = runtime
        .block_on(plugin.plan("duo_user", None, &user_config))
        .unwrap();
    let user = runtime
        .block_on(plugin.apply("duo_user", None, &planned, &user_config))
        .unwrap()
        .unwrap();
    let user_id = attr(&user.state, "id").clone();
    let member = config(
        &plugin,
        "duo_group_member",
        &[("user_id", user_id.clone()), ("group_id", id.clone())],
    );
    let planned = runtime
        .block_on(plugin.plan("duo_group_member", None, &member))
        .unwrap();
    let expected = Value::Object(BTreeMap::from([
        ("group_id".to_owned(), id.clone()),
        ("user_id".to_owned(), user_id.clone()),
        (ACCOUNT_ID.to_owned(), Value::Null),
    ]));
    assert_eq!(planned.identity.as_ref(), Some(&expected));
    let link = runtime
        .block_on(plugin.apply("duo_group_member", None, &planned, &member))
        .unwrap()
        .unwrap();
    assert_eq!(link.identity.as_ref(), Some(&expected));
    let by_identity = runtime
        .block_on(plugin.import_block("duo_group_member", None, Some(&expected)))
        .unwrap();
    assert_eq!(by_identity.state, link.state);

    // Destroyed: no object, no identity.
    for (type_name, object) in [
        ("duo_group_member", &link),
        ("duo_user", &user),
        ("duo_group", &refreshed),
    ] {
        let destroy = runtime
            .block_on(plugin.plan(type_name, Some(object), &Value::Null))
            .unwrap();
        assert!(destroy.identity.is_none(), "{type_name}");
        let gone = runtime
            .block_on(plugin.apply(type_name, Some(object), &destroy, &Value::Null))
            .unwrap();
        assert!(gone.is_none(), "{type_name}");
    }
    assert!(runtime.block_on(plugin.read(&refreshed)).unwrap().is_none());
    runtime.block_on(plugin.shutdown()).unwrap();
}

#[test]
fn a_bad_import_identity_is_explained_and_imports_nothing() {
    let h = Harness::start(&BUILD, "protocol_identity_errors");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let plugin = plugin(&runtime, &h);
    let only_owner = Value::Object(BTreeMap::from([(
        "user_id".to_owned(),
        Value::from("DUXXXXXXXXXXXXXXXXXX"),
    )]));
    for (type_name, identity, said) in [
        (
            "duo_user",
            Value::Object(BTreeMap::from([("id".to_owned(), Value::from(""))])),
            "identity = { id = \"…\" }",
        ),
        (
            "duo_group_member",
            only_owner,
            "needs its user_id and group_id",
        ),
        (
            "duo_user",
            Value::Object(BTreeMap::from([(
                "id".to_owned(),
                Value::from("DUNOSUCHUSERXXXXXXXX"),
            )])),
            "DUNOSUCHUSERXXXXXXXX",
        ),
    ] {
        let err = runtime
            .block_on(plugin.import_block(type_name, None, Some(&identity)))
            .unwrap_err()
            .to_string();
        assert!(err.contains(said), "{type_name} {identity:?}: {err}");
    }
    // A stored identity this provider cannot have written is refused, not guessed at.
    let err = runtime
        .block_on(plugin.upgrade_identity("duo_user", 2, r#"{"id":"DU1"}"#))
        .unwrap_err()
        .to_string();
    assert!(err.contains("newer provider"), "{err}");
    runtime.block_on(plugin.shutdown()).unwrap();
}

/// The identities of `events`, each once (a repeat fails).
fn identities(type_name: &str, events: &[tfplugin::client::Listed]) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    for e in events {
        let key = tfplugin::to_json(&e.identity).to_string();
        assert!(seen.insert(key.clone()), "{type_name} listed {key} twice");
    }
    seen
}

#[test]
fn every_list_resource_streams_every_object_once_as_importing_it_gives() {
    let h = Harness::start_with(&BUILD, "protocol_list", Options::default(), tenant());
    let (dir, out) = h.export("exported", &[]);
    assert_ok(&out, "export");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let plugin = plugin(&runtime, &h);
    let mut lists = plugin.list_types();
    assert_eq!(lists.len(), 16, "{lists:?}");
    // Child accounts are the MSP parent's, found with its Accounts API key pair (below).
    lists.retain(|t| t != CHILD_ACCOUNT);

    let mut exported: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (type_name, id) in import_ids(&dir) {
        let object = runtime
            .block_on(plugin.import_block(&type_name, Some(&id), None))
            .unwrap();
        let identity = tfplugin::to_json(&object.identity.unwrap()).to_string();
        exported.entry(type_name).or_default().insert(identity);
    }
    for type_name in &lists {
        let everything = Value::null_object(plugin.list_config_type(type_name).unwrap());
        let events = runtime
            .block_on(plugin.list(type_name, &everything, true, 10_000))
            .unwrap_or_else(|e| panic!("list {type_name}: {e}"));
        assert!(!events.is_empty(), "{type_name} listed nothing");
        let listed = identities(type_name, &events);
        if let Some(want) = exported.get(type_name) {
            assert_eq!(&listed, want, "{type_name}: listed against exported");
        }
        for e in &events {
            assert!(!e.display_name.is_empty(), "{type_name} {:?}", e.identity);
            let imported = runtime
                .block_on(plugin.import_block(type_name, None, Some(&e.identity)))
                .unwrap_or_else(|err| panic!("import {type_name} {:?}: {err}", e.identity));
            assert_eq!(e.state.as_ref(), Some(&imported.state), "{type_name}");
        }
        // Without the objects: the same identities, no states.
        let bare = runtime
            .block_on(plugin.list(type_name, &everything, false, 10_000))
            .unwrap();
        assert_eq!(identities(type_name, &bare), listed);
        assert!(bare.iter().all(|e| e.state.is_none()));
        eprintln!("{type_name}: {} listed", events.len());
    }
    let unlisted: Vec<&String> = exported.keys().filter(|t| !lists.contains(t)).collect();
    // Only the account-wide objects, one each, have no list resource.
    assert_eq!(
        unlisted,
        [
            "duo_admin_allowed_auth_methods",
            "duo_global_policy",
            "duo_settings"
        ]
    );
    runtime.block_on(plugin.shutdown()).unwrap();
}

#[test]
fn list_filters_select_and_the_limit_stops_the_paging() {
    // Three pages of users (300 a page), which the memberships are listed from too.
    let mut t = Tenant::default();
    let spec: Spec = "users=650,groups=4,memberships=700,integrations=10"
        .parse()
        .unwrap();
    duo_emulator::generate(&mut t, &spec).unwrap();
    let bypass: BTreeSet<String> = t
        .users
        .values()
        .take(4)
        .map(|u| u.user_id.clone())
        .collect();
    for id in &bypass {
        if let Some(u) = t.users.get_mut(id) {
            u.status = "bypass".into();
        }
    }
    let h = Harness::start_with(&BUILD, "protocol_list_filters", Options::default(), t);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let plugin = plugin(&runtime, &h);
    let filter = |type_name: &str, attrs: &[(&str, Value)]| {
        let mut v = Value::null_object(plugin.list_config_type(type_name).unwrap());
        if let Value::Object(m) = &mut v {
            for (k, val) in attrs {
                m.insert((*k).to_owned(), val.clone());
            }
        }
        v
    };
    let ids = |events: &[tfplugin::client::Listed]| -> BTreeSet<String> {
        events
            .iter()
            .filter_map(|e| attr(&e.identity, "id").as_str().map(str::to_owned))
            .collect()
    };

    let in_bypass = runtime
        .block_on(plugin.list(
            "duo_user",
            &filter("duo_user", &[("status", "bypass".into())]),
            false,
            100,
        ))
        .unwrap();
    assert_eq!(ids(&in_bypass), bypass);

    // A type's own filter (a group's members) and a matched attribute (a group's name).
    let tenant = h.tenant();
    let group = &tenant["groups"][0];
    let group_id = group["group_id"].as_str().unwrap();
    let members: BTreeSet<String> = tenant["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| {
            u["groups"]
                .as_array()
                .is_some_and(|g| g.iter().any(|g| g["group_id"] == group["group_id"]))
        })
        .filter_map(|u| u["user_id"].as_str().map(str::to_owned))
        .collect();
    assert!(!members.is_empty());
    let in_group = runtime
        .block_on(plugin.list(
            "duo_user",
            &filter("duo_user", &[("group_id", group_id.into())]),
            false,
            10_000,
        ))
        .unwrap();
    assert_eq!(ids(&in_group), members);
    let named = runtime
        .block_on(plugin.list(
            "duo_group",
            &filter(
                "duo_group",
                &[("name", group["name"].as_str().unwrap().into())],
            ),
            false,
            100,
        ))
        .unwrap();
    assert_eq!(named.len(), 1);
    assert_eq!(attr(&named[0].identity, "id").as_str(), Some(group_id));

    // A bad filter is refused at validation, as Terraform validates a list block first.
    let err = runtime
        .block_on(plugin.list(
            "duo_user",
            &filter("duo_user", &[("status", "asleep".into())]),
            false,
            100,
        ))
        .unwrap_err()
        .to_string();
    assert!(err.contains("status"), "{err}");

    // How many objects a list of everything `attrs` selects finds within `limit`, and how
    // many requests of `route` that cost.
    let counted = |type_name: &str, attrs: &[(&str, Value)], limit: i64, route: &str| {
        h.emu.state.reset_stats();
        let found = runtime
            .block_on(plugin.list(type_name, &filter(type_name, attrs), true, limit))
            .unwrap();
        let calls = h.stats()["by_route"][route].as_u64().unwrap_or(0);
        (found.len(), calls)
    };
    const USERS: &str = "GET /admin/v1/users";
    // The limit: 5 users, from one page of 5, though the tenant has 650.
    assert_eq!(counted("duo_user", &[], 5, USERS), (5, 1));
    // With a filter, pages are read only until the limit is met: the first bypass user is
    // among the first page's users.
    assert_eq!(
        counted("duo_user", &[("status", "bypass".into())], 1, USERS),
        (1, 1)
    );
    // Links too: three memberships come from the first page of users, not all three.
    assert_eq!(counted("duo_group_member", &[], 3, USERS), (3, 1));
    // An authoritative set is whole only once every page is read.
    assert_eq!(counted("duo_group_members", &[], 1, USERS), (1, 3));

    // Applications by type, and a limit that stops before every application's secret key
    // is read.
    let authapi: BTreeSet<String> = tenant["integrations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["type"] == "authapi")
        .filter_map(|i| i["integration_key"].as_str().map(str::to_owned))
        .collect();
    assert!(!authapi.is_empty());
    let by_type = runtime
        .block_on(plugin.list(
            "duo_integration",
            &filter("duo_integration", &[("type", "authapi".into())]),
            false,
            100,
        ))
        .unwrap();
    assert_eq!(ids(&by_type), authapi);
    assert_eq!(
        counted("duo_integration", &[], 2, "GET /admin/v3/integrations"),
        (2, 1)
    );
    let stats = h.stats();
    let skeys = stats["by_route"]["GET /admin/v1/integrations/{integration_key}/skey"]
        .as_u64()
        .unwrap_or(0);
    assert!(skeys <= 2, "{stats}");
    runtime.block_on(plugin.shutdown()).unwrap();
}

/// Runs `f` on every item through `plugin`, ten at a time as Terraform does.
fn ten_at_a_time<T: Send + 'static, F, Fut>(
    runtime: &tokio::runtime::Runtime,
    plugin: &std::sync::Arc<Plugin>,
    items: Vec<T>,
    f: F,
) -> Vec<Object>
where
    F: Fn(std::sync::Arc<Plugin>, T) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = Vec<Object>> + Send,
{
    runtime.block_on(async {
        let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(10));
        let mut tasks = tokio::task::JoinSet::new();
        for item in items {
            let (plugin, permits, f) = (plugin.clone(), permits.clone(), f.clone());
            tasks.spawn(async move {
                let _permit = permits.acquire_owned().await.unwrap();
                f(plugin, item).await
            });
        }
        let mut out = Vec::new();
        while let Some(done) = tasks.join_next().await {
            out.extend(done.unwrap());
        }
        out
    })
}

/// Imports `ids` (type, import ID) through one provider process, then refreshes them through
/// a new one, as `terraform plan` does: the emulator's request counts for the refresh alone.
fn refresh_cost(h: &Harness, ids: Vec<(&'static str, String)>) -> serde_json::Value {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let importer = std::sync::Arc::new(plugin(&runtime, h));
    let imported = ten_at_a_time(&runtime, &importer, ids, |p, (ty, id)| async move {
        p.import(ty, &id).await.unwrap()
    });
    let refresher = std::sync::Arc::new(plugin(&runtime, h));
    h.emu.state.reset_stats();
    let refreshed = ten_at_a_time(&runtime, &refresher, imported.clone(), |p, o| async move {
        p.read(&o).await.unwrap().into_iter().collect()
    });
    assert_eq!(refreshed.len(), imported.len());
    h.stats()
}

/// Every user and group of a tenant snapshot, as import IDs with `suffix`.
fn users_and_groups(tenant: &serde_json::Value, suffix: &str) -> Vec<(&'static str, String)> {
    let mut ids = Vec::new();
    for (ty, list, key) in [
        ("duo_user", "users", "user_id"),
        ("duo_group", "groups", "group_id"),
    ] {
        for o in tenant[list].as_array().unwrap() {
            ids.push((ty, format!("{}{suffix}", o[key].as_str().unwrap())));
        }
    }
    ids
}

#[test]
fn refreshing_two_child_accounts_costs_what_two_single_accounts_would() {
    let spec: Spec = "users=1000,groups=40,memberships=1000".parse().unwrap();
    // One account of its own, through an Admin API key pair.
    let mut single = Tenant::default();
    duo_emulator::generate(&mut single, &spec).unwrap();
    let h = Harness::start_with(&BUILD, "protocol_msp_single", Options::default(), single);
    let one = refresh_cost(&h, users_and_groups(&h.tenant(), ""));
    let one = one["total"].as_u64().unwrap();

    // Two children of the same size, through the parent's Accounts API key pair.
    let mut parent = Tenant::default();
    let two_children = Spec {
        children: 2,
        ..spec
    };
    duo_emulator::generate(&mut parent, &two_children).unwrap();
    let mut h = Harness::start_with(&BUILD, "protocol_msp_children", Options::default(), parent);
    h.use_accounts_key();
    let children: Vec<String> = h.tenant()["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["account_id"].as_str().unwrap().to_owned())
        .collect();
    let mut ids = Vec::new();
    for id in &children {
        ids.extend(users_and_groups(
            &h.emu.state.snapshot_of(Some(id)),
            &format!("@{id}"),
        ));
    }
    let both = refresh_cost(&h, ids);
    let per_child: Vec<u64> = children
        .iter()
        .map(|id| both["by_account"][id].as_u64().unwrap())
        .collect();
    let parent_calls = h.emu.state.stats_of(None)["total"].as_u64().unwrap();
    eprintln!(
        "refresh of 1,040 objects: {one} requests; two children of that size: {per_child:?} (+{parent_calls} to the parent)"
    );
    // The same batching in each child, and only the Accounts API listing besides.
    assert!(parent_calls <= 1, "{both}");
    let total: u64 = per_child.iter().sum();
    assert!(
        total <= 2 * one + 2 * one / 10 + 2,
        "two children cost {total} requests, two single accounts {}: {both}",
        2 * one
    );
    assert!(
        (5..=200).contains(&one),
        "a single refresh took {one} requests"
    );
}

#[test]
fn a_query_in_a_child_account_lists_its_objects_with_the_account_in_each_identity() {
    let mut parent = Tenant::default();
    let spec: Spec = "users=5,groups=2,children=2".parse().unwrap();
    duo_emulator::generate(&mut parent, &spec).unwrap();
    let mut h = Harness::start_with(&BUILD, "protocol_msp_list", Options::default(), parent);
    h.use_accounts_key();
    let child = h.tenant()["children"][0]["account_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let users: BTreeSet<String> = h.emu.state.snapshot_of(Some(&child))["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["user_id"].as_str().unwrap().to_owned())
        .collect();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let plugin = plugin(&runtime, &h);
    let mut config = Value::null_object(plugin.list_config_type("duo_user").unwrap());
    if let Value::Object(attrs) = &mut config {
        attrs.insert(ACCOUNT_ID.to_owned(), Value::from(child.clone()));
    }
    let events = runtime
        .block_on(plugin.list("duo_user", &config, true, 100))
        .unwrap();
    let listed: BTreeSet<String> = events
        .iter()
        .map(|e| attr(&e.identity, "id").as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        listed, users,
        "the child's users, not the parent's or the other child's"
    );
    for e in &events {
        assert_eq!(attr(&e.identity, ACCOUNT_ID), &Value::from(child.clone()));
        let state = e.state.as_ref().unwrap();
        assert_eq!(attr(state, ACCOUNT_ID), &Value::from(child.clone()));
        // What a query finds imports by its identity into the same state.
        let imported = runtime
            .block_on(plugin.import_block("duo_user", None, Some(&e.identity)))
            .unwrap();
        assert_eq!(&imported.state, state);
    }
    // The children themselves are found at the parent, by name.
    let mut by_name = Value::null_object(plugin.list_config_type(CHILD_ACCOUNT).unwrap());
    if let Value::Object(attrs) = &mut by_name {
        attrs.insert("name".to_owned(), Value::from("Customer 2"));
    }
    let found = runtime
        .block_on(plugin.list(CHILD_ACCOUNT, &by_name, true, 10))
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].display_name, "Customer 2");
    let imported = runtime
        .block_on(plugin.import_block(CHILD_ACCOUNT, None, Some(&found[0].identity)))
        .unwrap();
    assert_eq!(found[0].state.as_ref(), Some(&imported.state));
    // Without a child, an Accounts API key pair is explained.
    let parent_query = Value::null_object(plugin.list_config_type("duo_user").unwrap());
    let err = runtime
        .block_on(plugin.list("duo_user", &parent_query, false, 100))
        .unwrap_err()
        .to_string();
    assert!(err.contains("reaches child accounts only"), "{err}");
    runtime.block_on(plugin.shutdown()).unwrap();
}
