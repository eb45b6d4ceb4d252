//! The Duo client against the emulator: paging to the end, 429 retries, pacing under Duo's
//! limits, and never resending a write whose answer was lost.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly by design"
)]

use std::sync::Arc;
use std::time::Duration;

use duo_emulator::{Background, Faults, Options, Seed, Spec, Tenant};
use terraform_provider_duo::duo::{self, Client, GroupParams};

fn client(emu: &Background, rate_scale: f64) -> Client {
    client_with(emu, rate_scale, Duration::from_millis(5))
}

fn client_with(emu: &Background, rate_scale: f64, retry_base: Duration) -> Client {
    config_client(emu, rate_scale, retry_base, false)
}

/// A client that gathers reads and creations, as the provider's does by default.
fn batching(emu: &Background) -> Client {
    config_client(emu, 0.0, Duration::from_millis(5), true)
}

fn config_client(
    emu: &Background,
    rate_scale: f64,
    retry_base: Duration,
    coalesce: bool,
) -> Client {
    keyed_client(
        emu,
        duo_emulator::DEMO_IKEY,
        duo_emulator::DEMO_SKEY,
        rate_scale,
        retry_base,
        coalesce,
    )
}

fn keyed_client(
    emu: &Background,
    ikey: &str,
    skey: &str,
    rate_scale: f64,
    retry_base: Duration,
    coalesce: bool,
) -> Client {
    Client::new(&duo::Config {
        api_host: emu.url(),
        ikey: ikey.into(),
        skey: skey.into(),
        timeout: Duration::from_secs(10),
        max_retries: 6,
        retry_base,
        rate_scale,
        capacity: duo::DEFAULT_CAPACITY,
        coalesce,
        user_agent: "test".into(),
        extra_roots_pem: None,
        account_id: None,
    })
    .unwrap()
}

fn emulator(options: Options, groups: usize) -> Background {
    let seed: Seed = serde_json::from_value(serde_json::json!({
        "groups": (0..groups).map(|i| serde_json::json!({"name": format!("g{i:04}")})).collect::<Vec<_>>()
    }))
    .unwrap();
    Background::start(options, Tenant::from_seed(seed).unwrap()).unwrap()
}

fn faults(spec: &str, seed: u64) -> Options {
    Options {
        faults: Faults::parse(spec).unwrap(),
        fault_seed: Some(seed),
        ..Options::default()
    }
}

fn stat(emu: &Background, key: &str) -> u64 {
    let s = emu.state.stats();
    key.split('/').fold(&s, |v, k| &v[k]).as_u64().unwrap_or(0)
}

#[tokio::test]
async fn listing_follows_next_offset_to_the_last_page() {
    let emu = emulator(Options::default(), 1234);
    let groups = client(&emu, 0.0).list_groups().await.unwrap();
    assert_eq!(groups.len(), 1234);
    assert_eq!(
        groups.last().unwrap().status.as_deref(),
        Some("active"),
        "Title Case status is normalised"
    );
    assert_eq!(
        emu.state.stats()["by_route"]["GET /admin/v1/groups"],
        3,
        "pages of 500"
    );
}

#[tokio::test]
async fn rate_limited_writes_are_retried_and_created_once() {
    let emu = emulator(faults("429=0.5", 11), 0);
    let duo = client(&emu, 0.0);
    for i in 0..20 {
        let params = GroupParams {
            name: Some(format!("g{i}")),
            ..GroupParams::default()
        };
        duo.create_group(&params).await.unwrap();
    }
    assert_eq!(
        emu.state.snapshot()["groups"].as_array().unwrap().len(),
        20,
        "no duplicates"
    );
    assert!(stat(&emu, "throttled") > 5, "{}", emu.state.stats());
}

#[tokio::test]
async fn a_write_whose_answer_is_lost_is_not_resent() {
    let emu = emulator(faults("drop=1", 1), 0);
    let err = client(&emu, 0.0)
        .create_group(&GroupParams {
            name: Some("once".into()),
            ..GroupParams::default()
        })
        .await;
    assert!(
        matches!(
            err,
            Err(duo::Error::Transport {
                connected: true,
                ..
            })
        ),
        "{err:?}"
    );
    assert_eq!(
        emu.state.snapshot()["groups"].as_array().unwrap().len(),
        1,
        "created exactly once"
    );
    assert_eq!(stat(&emu, "total"), 1);
}

#[tokio::test]
async fn writes_that_set_values_or_links_are_resent_after_a_lost_answer() {
    let emu = emulator(faults("", 3), 0);
    let duo = client(&emu, 0.0);
    let group = duo
        .create_group(&GroupParams {
            name: Some("eng".into()),
            ..GroupParams::default()
        })
        .await
        .unwrap();
    let user = duo
        .create_user(&duo::UserParams {
            username: Some("ann".into()),
            ..duo::UserParams::default()
        })
        .await
        .unwrap();
    // A third of all answers are lost after Duo acted; sending again changes nothing more.
    emu.state.set_faults(Faults::parse("drop=0.3").unwrap());
    emu.state.reset_stats();
    for i in 0..10 {
        let desc = format!("take {i}");
        duo.modify_group(
            &group.group_id,
            &GroupParams {
                desc: Some(desc.clone()),
                ..GroupParams::default()
            },
        )
        .await
        .unwrap();
        duo.add_user_to_group(&user.user_id, &group.group_id)
            .await
            .unwrap();
    }
    assert!(stat(&emu, "total") > 20, "{}", emu.state.stats());
    let t = emu.state.snapshot();
    assert_eq!(t["groups"][0]["desc"], "take 9");
    assert_eq!(t["users"][0]["groups"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn reads_are_retried_after_server_errors() {
    let emu = emulator(faults("503=0.3,502=0.1", 5), 0);
    let duo = client(&emu, 0.0);
    for _ in 0..10 {
        duo.check_credentials().await.unwrap();
    }
    assert!(
        stat(&emu, "total") > 10,
        "some reads needed a retry: {}",
        emu.state.stats()
    );
}

#[tokio::test]
async fn pacing_keeps_a_burst_under_duos_limits() {
    // 190 page reads: more than the client's burst (90% of 200), so it must pace itself.
    let emu = emulator(
        Options {
            rate_limits: true,
            ..Options::default()
        },
        0,
    );
    let duo = client(&emu, 1.0);
    for _ in 0..190 {
        duo.check_credentials().await.unwrap();
    }
    assert_eq!(stat(&emu, "throttled"), 0, "{}", emu.state.stats());
    assert_eq!(stat(&emu, "total"), 190);
}

#[tokio::test]
async fn without_pacing_the_same_burst_is_throttled_but_still_succeeds() {
    let emu = emulator(
        Options {
            rate_limits: true,
            ..Options::default()
        },
        0,
    );
    // Retries wait up to 50 ms * (1+2+…+32) = 3.15 s: enough for the emulator's bucket to
    // refill one token (0.3 s) every time.
    let duo = client_with(&emu, 0.0, Duration::from_millis(50));
    for _ in 0..205 {
        duo.check_credentials().await.unwrap();
    }
    assert!(stat(&emu, "throttled") > 0, "{}", emu.state.stats());
}

/// `status` and `code` of a refused call.
fn refusal<T: std::fmt::Debug>(r: Result<T, duo::Error>) -> (u16, u32) {
    match r {
        Err(duo::Error::Api { status, code, .. }) => (status, code),
        other => panic!("expected Duo to refuse, got {other:?}"),
    }
}

#[tokio::test]
async fn an_admin_api_application_made_in_the_tenant_signs_with_its_own_permissions() {
    let emu = emulator(Options::default(), 3);
    let admin = client(&emu, 0.0);
    let fields = serde_json::json!({
        "name": "reader", "type": "adminapi", "adminapi_read_resource": "1"
    });
    let made = admin
        .create_integration(fields.as_object().unwrap())
        .await
        .unwrap();
    let ikey = made.integration_key.clone();
    let skey = admin.integration_secret_key(&ikey).await.unwrap();
    let as_app = |skey: &str| keyed_client(&emu, &ikey, skey, 0.0, Duration::from_millis(5), false);
    assert_eq!(as_app(&skey).list_groups().await.unwrap().len(), 3);
    let write = GroupParams {
        name: Some("new".into()),
        ..GroupParams::default()
    };
    assert_eq!(
        refusal(as_app(&skey).create_group(&write).await),
        (403, 40301),
        "reading resources does not grant writing them"
    );
    assert_eq!(
        refusal(as_app(&skey).list_integrations().await),
        (403, 40301)
    );
    assert_eq!(
        refusal(
            as_app("wrongwrongwrongwrongwrongwrongwrongwrong")
                .list_groups()
                .await
        ),
        (401, 40103)
    );
    let limited = serde_json::json!({"networks_for_api_access": "10.0.0.0/8,192.0.2.1"});
    admin
        .modify_integration(&ikey, limited.as_object().unwrap())
        .await
        .unwrap();
    assert_eq!(
        refusal(as_app(&skey).list_groups().await),
        (403, 40301),
        "a call from outside the application's networks is refused"
    );
    let loopback = serde_json::json!({"networks_for_api_access": "127.0.0.0/8"});
    admin
        .modify_integration(&ikey, loopback.as_object().unwrap())
        .await
        .unwrap();
    assert_eq!(as_app(&skey).list_groups().await.unwrap().len(), 3);
    let web = serde_json::json!({"name": "web", "type": "websdk"});
    let web = admin
        .create_integration(web.as_object().unwrap())
        .await
        .unwrap();
    let web_skey = admin
        .integration_secret_key(&web.integration_key)
        .await
        .unwrap();
    assert_eq!(
        refusal(
            keyed_client(
                &emu,
                &web.integration_key,
                &web_skey,
                0.0,
                Duration::from_millis(5),
                false
            )
            .list_groups()
            .await
        ),
        (403, 40301),
        "only Admin API applications call the Admin API"
    );
}

#[tokio::test]
async fn duo_errors_keep_code_message_and_parameter() {
    let emu = emulator(Options::default(), 0);
    let err = client(&emu, 0.0)
        .create_group(&GroupParams {
            status: Some("gone".into()),
            name: Some("g".into()),
            ..GroupParams::default()
        })
        .await;
    match err {
        Err(duo::Error::Api {
            status,
            code,
            detail,
            ..
        }) => assert_eq!(
            (status, code, detail.as_deref()),
            (400, 40002, Some("status"))
        ),
        other => panic!("{other:?}"),
    }
    let err = client(&emu, 0.0)
        .get_group("DGMISSING")
        .await
        .err()
        .unwrap();
    assert!(err.is_not_found(), "{err}");
}

#[tokio::test]
async fn stop_cuts_a_retry_wait_short() {
    let emu = emulator(faults("429=1", 3), 0);
    let duo = std::sync::Arc::new(client_with(&emu, 0.0, Duration::from_secs(1)));
    let stopper = duo.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        stopper.stop();
    });
    let started = std::time::Instant::now();
    let err = duo.check_credentials().await;
    assert!(matches!(err, Err(duo::Error::Stopped { .. })), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn stop_leaves_requests_waiting_for_their_turn_unsent() {
    let emu = emulator(Options::default(), 0);
    // Three writes a minute: a burst of two, then one every 20 s.
    let duo = std::sync::Arc::new(client(&emu, 0.01));
    let creates: Vec<_> = (0..6)
        .map(|i| {
            let duo = duo.clone();
            tokio::spawn(async move {
                duo.create_group(&GroupParams {
                    name: Some(format!("g{i}")),
                    ..GroupParams::default()
                })
                .await
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = std::time::Instant::now();
    duo.stop();
    let mut made = 0;
    for c in creates {
        match c.await.unwrap() {
            Ok(_) => made += 1,
            Err(duo::Error::Stopped { route }) => assert_eq!(route, "POST /admin/v1/groups"),
            Err(other) => panic!("{other}"),
        }
    }
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(made, 2);
    assert_eq!(
        emu.state.snapshot()["groups"].as_array().map(Vec::len),
        Some(2)
    );
}

#[tokio::test]
async fn json_requests_are_signed_with_v5_and_accepted() {
    let emu = emulator(Options::default(), 0);
    let created: duo::Group = client(&emu, 0.0)
        .send_json(
            "POST",
            duo::Write::Create,
            "/admin/v1/groups",
            &serde_json::json!({"name": "über", "desc": "a&b=c", "push_enabled": true}),
        )
        .await
        .unwrap();
    assert_eq!(
        (
            created.name.as_str(),
            created.desc.as_deref(),
            created.push_enabled
        ),
        ("über", Some("a&b=c"), Some(true))
    );
}

/// A generated tenant: users spread over groups, some groups past one page of members.
fn generated(users: usize, groups: usize, memberships: usize) -> Background {
    tenant(Spec {
        users,
        groups,
        memberships,
        ..Spec::default()
    })
}

/// An emulator holding the tenant `spec` generates.
fn tenant(spec: Spec) -> Background {
    let mut tenant = Tenant::default();
    duo_emulator::generate(&mut tenant, &spec).unwrap();
    Background::start(Options::default(), tenant).unwrap()
}

/// The IDs of `all`, and `missing` (an ID Duo does not have) when given.
fn ids_of<T>(all: Vec<T>, id: fn(T) -> String, missing: Option<&str>) -> Vec<String> {
    let mut ids: Vec<String> = all.into_iter().map(id).collect();
    ids.extend(missing.map(str::to_owned));
    ids
}

/// Calls `read` for every ID with ten in flight at a time, as Terraform does; answers in ID
/// order, `None` for what Duo does not have.
async fn ten_at_a_time<T, F, Fut>(client: &Arc<Client>, ids: &[String], read: F) -> Vec<Option<T>>
where
    T: Send + 'static,
    F: Fn(Arc<Client>, String) -> Fut,
    Fut: std::future::Future<Output = Result<T, duo::Error>> + Send + 'static,
{
    let answers = ten_at_a_time_results(client, ids, read).await;
    answers
        .into_iter()
        .map(|a| duo::gone_is_none(a).unwrap())
        .collect()
}

/// Calls `call` for every item with ten in flight at a time, as Terraform does; Duo's answers
/// in item order.
async fn ten_at_a_time_results<I, T, F, Fut>(
    client: &Arc<Client>,
    items: &[I],
    call: F,
) -> Vec<Result<T, duo::Error>>
where
    I: Clone,
    T: Send + 'static,
    F: Fn(Arc<Client>, I) -> Fut,
    Fut: std::future::Future<Output = Result<T, duo::Error>> + Send + 'static,
{
    let mut out = Vec::new();
    for chunk in items.chunks(10) {
        let mut calls = tokio::task::JoinSet::new();
        for (i, item) in chunk.iter().enumerate() {
            let call = call(client.clone(), item.clone());
            calls.spawn(async move { (i, call.await) });
        }
        let mut answers = calls.join_all().await;
        answers.sort_by_key(|(i, _)| *i);
        out.extend(answers.into_iter().map(|(_, a)| a));
    }
    out
}

async fn read_all_users(client: &Arc<Client>, ids: &[String]) -> Vec<Option<duo::User>> {
    ten_at_a_time(client, ids, |c, id| async move { c.get_user(&id).await }).await
}

fn route(emu: &Background, r: &str) -> u64 {
    emu.state.stats()["by_route"][r].as_u64().unwrap_or(0)
}

#[tokio::test]
async fn gathered_reads_answer_like_single_gets_in_a_few_list_calls() {
    let emu = generated(1000, 20, 1000);
    let naive = Arc::new(client(&emu, 0.0));
    let users = naive.list_users().await.unwrap();
    // 200 existing users spread over the tenant, and 10 that do not exist.
    let mut ids: Vec<String> = users.iter().step_by(5).map(|u| u.user_id.clone()).collect();
    ids.extend((0..10).map(|i| format!("DUNOSUCHUSER{i:08}")));
    let want = read_all_users(&naive, &ids).await;
    assert_eq!(route(&emu, "GET /admin/v1/users/{user_id}"), 210);

    emu.state.reset_stats();
    let batching = Arc::new(batching(&emu));
    let got = read_all_users(&batching, &ids).await;
    assert_eq!(
        got, want,
        "gathered reads answer exactly what single GETs do"
    );
    assert_eq!(got.iter().filter(|u| u.is_none()).count(), 10);
    assert_eq!(route(&emu, "GET /admin/v1/users/{user_id}"), 0);
    let lists = route(&emu, "GET /admin/v1/users");
    // 21 rounds of 10 reads: batches, one count, then one scan of 4 pages that answers the rest.
    assert!(lists <= 12, "{lists} list calls for 210 reads");
}

#[tokio::test]
async fn once_reads_cost_a_scan_the_rest_come_from_one_listing() {
    let emu = generated(3000, 10, 0);
    let ids: Vec<String> = client(&emu, 0.0)
        .list_users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.user_id)
        .collect();
    emu.state.reset_stats();
    let batching = Arc::new(batching(&emu));
    let got = read_all_users(&batching, &ids).await;
    assert!(got.iter().all(Option::is_some));
    let lists = route(&emu, "GET /admin/v1/users");
    // A scan is 10 pages of 300: batches until they cost that much, then the scan.
    assert!(
        (11..=22).contains(&lists),
        "{lists} list calls for 3,000 reads"
    );
    assert_eq!(emu.state.stats()["total"].as_u64(), Some(lists));
}

#[tokio::test]
async fn what_this_run_writes_is_read_fresh() {
    let emu = generated(400, 5, 400);
    let batching = Arc::new(batching(&emu));
    let ids: Vec<String> = batching
        .list_users() // a whole listing: later reads come from it
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.user_id)
        .collect();
    let groups = batching.list_groups().await.unwrap();
    emu.state.reset_stats();
    let first = batching.get_user(&ids[0]).await.unwrap();
    assert_eq!(emu.state.stats()["total"].as_u64(), Some(0));

    let changed = duo::UserParams {
        realname: Some("Renamed Here".into()),
        ..Default::default()
    };
    batching.modify_user(&ids[0], &changed).await.unwrap();
    let again = batching.get_user(&ids[0]).await.unwrap();
    assert_ne!(first.realname, again.realname);
    assert_eq!(again.realname.as_deref(), Some("Renamed Here"));

    // Memberships: the new member shows in the group and in the user's groups.
    let target = groups
        .iter()
        .find(|g| !first.groups.iter().any(|h| h.group_id == g.group_id))
        .unwrap();
    let before = batching.group_members(&target.group_id).await.unwrap();
    assert!(!before.iter().any(|m| m.user_id == ids[0]));
    batching
        .add_user_to_group(&ids[0], &target.group_id)
        .await
        .unwrap();
    let after = batching.group_members(&target.group_id).await.unwrap();
    assert!(after.iter().any(|m| m.user_id == ids[0]));
    assert_eq!(after.len(), before.len() + 1);
    let user_groups = batching.user_groups(&ids[0]).await.unwrap();
    assert!(user_groups.iter().any(|g| g.group_id == target.group_id));

    // A deleted user is gone at once.
    batching.delete_user(&ids[1]).await.unwrap();
    assert!(batching.get_user(&ids[1]).await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn memberships_from_a_users_listing_match_each_groups_member_list() {
    let emu = generated(1200, 8, 1500);
    let naive = client(&emu, 0.0);
    let groups = naive.list_groups().await.unwrap();
    let batching = batching(&emu);
    batching.list_users().await.unwrap();
    batching.list_groups().await.unwrap();
    emu.state.reset_stats();
    for g in &groups {
        let mut want: Vec<String> = naive
            .group_members(&g.group_id)
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.user_id)
            .collect();
        let mut got: Vec<String> = batching
            .group_members(&g.group_id)
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.user_id)
            .collect();
        want.sort();
        got.sort();
        assert_eq!(got, want, "members of {}", g.name);
    }
    // Only the naive client's member lists reached Duo.
    assert_eq!(
        route(&emu, "GET /admin/v2/groups/{group_id}/users"),
        emu.state.stats()["total"].as_u64().unwrap()
    );
    assert!(
        batching
            .group_members("DGNOSUCHGROUP0000000")
            .await
            .unwrap_err()
            .is_not_found()
    );
}

/// Creates users with ten creations in flight at a time, as Terraform does; answers in order.
async fn create_users(
    client: &Arc<Client>,
    names: &[String],
) -> Vec<Result<duo::User, duo::Error>> {
    let mut out = Vec::new();
    for chunk in names.chunks(10) {
        let mut creates = tokio::task::JoinSet::new();
        for (i, name) in chunk.iter().enumerate() {
            let client = client.clone();
            let params = duo::UserParams {
                username: Some(name.clone()),
                email: Some(format!("{name}@example.com")),
                status: Some("disabled".into()),
                ..Default::default()
            };
            creates.spawn(async move { (i, client.create_user(&params).await) });
        }
        let mut answers = creates.join_all().await;
        answers.sort_by_key(|(i, _)| *i);
        out.extend(answers.into_iter().map(|(_, u)| u));
    }
    out
}

#[tokio::test]
async fn creations_made_together_go_to_duo_in_bulk() {
    let emu = generated(0, 0, 0);
    let batching = Arc::new(batching(&emu));
    let names: Vec<String> = (0..100).map(|i| format!("bulk.user{i:03}")).collect();
    let created = create_users(&batching, &names).await;
    for (name, user) in names.iter().zip(&created) {
        let user = user.as_ref().unwrap();
        assert_eq!(&user.username, name);
        assert_eq!(
            user.email.as_deref(),
            Some(format!("{name}@example.com").as_str())
        );
        assert_eq!(user.status.as_deref(), Some("disabled"));
    }
    let bulk = route(&emu, "POST /admin/v1/users/bulk_create");
    assert_eq!(route(&emu, "POST /admin/v1/users"), 0);
    assert!((1..=20).contains(&bulk), "{bulk} bulk calls for 100 users");
    assert_eq!(emu.state.stats()["by_class"]["bulk"].as_u64(), Some(bulk));
    // Exactly these users exist, once each.
    let listed = client(&emu, 0.0).list_users().await.unwrap();
    assert_eq!(listed.len(), 100);
}

#[tokio::test]
async fn one_bad_user_in_a_batch_fails_only_itself() {
    let emu = generated(0, 0, 0);
    let batching = Arc::new(batching(&emu));
    create_users(&batching, &["taken".to_owned()]).await[0]
        .as_ref()
        .unwrap();
    emu.state.reset_stats();
    let mut names: Vec<String> = (0..9).map(|i| format!("fine{i}")).collect();
    names.insert(4, "taken".to_owned());
    let created = create_users(&batching, &names).await;
    for (name, result) in names.iter().zip(&created) {
        match result {
            Ok(user) => assert_eq!(&user.username, name),
            Err(e) => {
                assert_eq!(name, "taken");
                assert_eq!(e.code(), Some(40002), "{e}");
            }
        }
    }
    assert_eq!(created.iter().filter(|r| r.is_err()).count(), 1);
    assert_eq!(client(&emu, 0.0).list_users().await.unwrap().len(), 10);
    // The refused batch, then each user on its own.
    assert_eq!(route(&emu, "POST /admin/v1/users/bulk_create"), 1);
    assert_eq!(route(&emu, "POST /admin/v1/users"), 10);
}

#[tokio::test]
async fn without_a_users_listing_each_groups_members_are_fetched_once_per_run() {
    // Listing 3,000 users (10 pages) costs more than three member lists: no listing here.
    let emu = generated(3000, 3, 60);
    let batching = batching(&emu);
    let groups = client(&emu, 0.0).list_groups().await.unwrap();
    emu.state.reset_stats();
    for _ in 0..3 {
        for g in &groups {
            batching.group_members(&g.group_id).await.unwrap();
        }
    }
    assert_eq!(
        route(&emu, "GET /admin/v2/groups/{group_id}/users"),
        3,
        "{}",
        emu.state.stats()
    );
}

#[tokio::test]
async fn certificates_are_always_verified_and_a_ca_bundle_adds_trust() {
    // The emulator over HTTPS, its certificate from a private CA, as a corporate
    // TLS-inspecting proxy presents one.
    let emu = Background::start_tls(Options::default(), Tenant::default()).unwrap();
    let ca = emu.tls_ca.clone().unwrap().into_bytes();
    let url = emu.url();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let config = |extra_roots_pem: Option<Vec<u8>>| duo::Config {
        api_host: url.clone(),
        ikey: duo_emulator::DEMO_IKEY.into(),
        skey: duo_emulator::DEMO_SKEY.into(),
        timeout: Duration::from_secs(10),
        max_retries: 0,
        retry_base: Duration::from_millis(5),
        rate_scale: 0.0,
        capacity: duo::DEFAULT_CAPACITY,
        coalesce: false,
        user_agent: "test".into(),
        extra_roots_pem,
        account_id: None,
    };
    // Unknown issuer: refused, and no request reaches Duo.
    let err = Client::new(&config(None))
        .unwrap()
        .check_credentials()
        .await
        .unwrap_err();
    assert!(
        matches!(err, duo::Error::Transport { .. }) && err.to_string().contains("certificate"),
        "{err}"
    );
    assert_eq!(stat(&emu, "total"), 0);
    // Trusted through the bundle: the same request goes through, signed for that host.
    Client::new(&config(Some(ca)))
        .unwrap()
        .check_credentials()
        .await
        .unwrap();
    assert_eq!(stat(&emu, "total"), 1);
    // A bundle without a certificate is refused when the client is made.
    let bad = Client::new(&config(Some(b"not a certificate".to_vec())));
    assert!(
        matches!(bad, Err(duo::ConfigError::BadCaBundle(_))),
        "{:?}",
        bad.err()
    );
}

#[test]
fn fields_and_values_duo_adds_later_are_tolerated() {
    let body = br#"{"stat": "OK", "response": [{
        "user_id": "DU1", "username": "ann", "status": "Pending Deletion",
        "groups": [{"group_id": "DG1", "name": "eng", "status": "Archived", "shiny_new": [1]}],
        "a_field_from_next_year": {"nested": true}, "is_enrolled": "maybe"
    }], "metadata": {"next_offset": null, "a_new_counter": 7}}"#;
    let users: Vec<duo::User> = duo::parse_response("GET", "/admin/v1/users", 200, body).unwrap();
    assert_eq!(users[0].status.as_deref(), Some("pending deletion"));
    assert_eq!(users[0].groups[0].status.as_deref(), Some("archived"));
    assert_eq!(
        users[0].is_enrolled, None,
        "an unreadable flag is unknown, not an error"
    );
}

#[tokio::test]
async fn phones_tokens_and_each_users_devices_are_read_from_listings_once_they_pay() {
    let emu = tenant(Spec {
        users: 600,
        phones: 600,
        tokens: 60,
        ..Spec::default()
    });
    let naive = Arc::new(client(&emu, 0.0));
    let phones = naive.list_phones().await.unwrap();
    let phone_ids = ids_of(phones, |p| p.phone_id, Some("DPNOSUCHPHONE0000001"));
    let token_ids = ids_of(naive.list_tokens().await.unwrap(), |t| t.token_id, None);
    let users = naive.list_users().await.unwrap();
    let user_ids = ids_of(users, |u| u.user_id, Some("DUNOSUCHUSER00000001"));

    // Terraform refreshes each phone, token and link with its own read.
    async fn refresh(
        c: &Arc<Client>,
        phones: &[String],
        tokens: &[String],
        users: &[String],
    ) -> String {
        let p = ten_at_a_time(c, phones, |c, id| async move { c.get_phone(&id).await }).await;
        let t = ten_at_a_time(c, tokens, |c, id| async move { c.get_token(&id).await }).await;
        let up = ten_at_a_time(c, users, |c, id| async move { c.user_phone_ids(&id).await });
        let ut = ten_at_a_time(c, users, |c, id| async move { c.user_token_ids(&id).await });
        format!("{p:?}\n{t:?}\n{:?}\n{:?}", up.await, ut.await)
    }
    emu.state.reset_stats();
    let want = refresh(&naive, &phone_ids, &token_ids, &user_ids).await;
    let naive_calls = emu.state.stats()["total"].as_u64().unwrap();
    assert!(naive_calls >= 601 + 60 + 2 * 601, "{naive_calls}");

    emu.state.reset_stats();
    let batching = Arc::new(batching(&emu));
    let got = refresh(&batching, &phone_ids, &token_ids, &user_ids).await;
    assert_eq!(
        got, want,
        "gathered reads answer exactly what single reads do"
    );
    assert!(want.contains("DP") && want.contains("DH") && want.contains("None"));
    for r in [
        "GET /admin/v1/users/{user_id}/phones",
        "GET /admin/v1/users/{user_id}/tokens",
    ] {
        assert_eq!(route(&emu, r), 0, "{r}: a user lists its devices");
    }
    // 600 phones are two pages of 500: a count, a few single reads while it is asked, the
    // listing; 60 tokens one page.
    let phones =
        route(&emu, "GET /admin/v1/phones/{phone_id}") + route(&emu, "GET /admin/v1/phones");
    let tokens =
        route(&emu, "GET /admin/v1/tokens/{token_id}") + route(&emu, "GET /admin/v1/tokens");
    assert!(phones <= 12, "{phones} calls for 601 phone reads");
    assert!(tokens <= 8, "{tokens} calls for 60 token reads");
    let total = emu.state.stats()["total"].as_u64().unwrap();
    assert!(
        total * 100 <= naive_calls,
        "{total} calls batched against {naive_calls} naive"
    );
}

#[tokio::test]
async fn devices_this_run_writes_or_unlinks_are_read_fresh() {
    let emu = tenant(Spec {
        users: 5,
        phones: 5,
        tokens: 5,
        ..Spec::default()
    });
    let c = batching(&emu);
    let phones = c.list_phones().await.unwrap();
    let tokens = c.list_tokens().await.unwrap();
    let users = c.list_users().await.unwrap();
    let (user, phone, token) = (&users[0].user_id, &phones[0].phone_id, &tokens[0].token_id);
    let linked = |ids: Vec<String>, id: &str| ids.iter().any(|i| i == id);

    // Unlinked and relinked: each read after a write sees it.
    let had_phone = linked(c.user_phone_ids(user).await.unwrap(), phone);
    if had_phone {
        c.remove_user_phone(user, phone).await.unwrap();
    } else {
        c.add_user_phone(user, phone).await.unwrap();
    }
    assert_eq!(
        linked(c.user_phone_ids(user).await.unwrap(), phone),
        !had_phone
    );
    let had_token = linked(c.user_token_ids(user).await.unwrap(), token);
    if had_token {
        c.remove_user_token(user, token).await.unwrap();
    } else {
        c.add_user_token(user, token).await.unwrap();
    }
    assert_eq!(
        linked(c.user_token_ids(user).await.unwrap(), token),
        !had_token
    );

    // A created phone is found although the listing predates it; a deleted one is gone, and
    // gone from the users that had it.
    let made = c
        .create_phone(&duo::PhoneParams {
            number: Some("+15555550199".into()),
            ..duo::PhoneParams::default()
        })
        .await
        .unwrap();
    assert_eq!(c.get_phone(&made.phone_id).await.unwrap(), made);
    c.add_user_phone(user, &made.phone_id).await.unwrap();
    assert!(linked(
        c.user_phone_ids(user).await.unwrap(),
        &made.phone_id
    ));
    c.delete_phone(&made.phone_id).await.unwrap();
    assert!(
        c.get_phone(&made.phone_id)
            .await
            .unwrap_err()
            .is_not_found()
    );
    assert!(!linked(
        c.user_phone_ids(user).await.unwrap(),
        &made.phone_id
    ));

    // A deleted phone or token is gone from the users that had it, though the users' listing
    // (taken by another run, which wrote none of them) still shows it.
    let fresh = batching(&emu);
    fresh.list_users().await.unwrap();
    let (phone, token) = (&phones[2], &tokens[2]);
    let (phone_owner, token_owner) = (&phone.users[0].user_id, &token.users[0].user_id);
    assert!(linked(
        fresh.user_phone_ids(phone_owner).await.unwrap(),
        &phone.phone_id
    ));
    assert!(linked(
        fresh.user_token_ids(token_owner).await.unwrap(),
        &token.token_id
    ));
    fresh.delete_phone(&phone.phone_id).await.unwrap();
    fresh.delete_token(&token.token_id).await.unwrap();
    assert!(!linked(
        fresh.user_phone_ids(phone_owner).await.unwrap(),
        &phone.phone_id
    ));
    assert!(!linked(
        fresh.user_token_ids(token_owner).await.unwrap(),
        &token.token_id
    ));
    assert!(
        fresh
            .get_token(&token.token_id)
            .await
            .unwrap_err()
            .is_not_found()
    );

    // A deleted user is gone from its devices.
    let owner = phones[1].users[0].user_id.clone();
    c.delete_user(&owner).await.unwrap();
    let phone = c.get_phone(&phones[1].phone_id).await.unwrap();
    assert!(phone.users.iter().all(|u| u.user_id != owner));
    assert!(c.user_phone_ids(&owner).await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn applications_administrators_policies_and_units_are_read_from_one_listing_each() {
    let emu = tenant(Spec {
        groups: 5,
        integrations: 60,
        admins: 30,
        policies: 12,
        admin_units: 8,
        ..Spec::default()
    });
    let naive = Arc::new(client(&emu, 0.0));
    let ids = |v: Vec<String>| {
        let mut v = v;
        v.push("NOSUCHOBJECT00000001".into());
        v
    };
    let ikeys = ids(naive
        .list_integrations()
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.integration_key)
        .collect());
    let admins = ids(naive
        .list_admins()
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.admin_id)
        .collect());
    let policies: Vec<String> = naive
        .list_policies()
        .await
        .unwrap()
        .into_iter()
        .filter(|p| !p.is_global_policy)
        .map(|p| p.policy_key)
        .collect();
    let policies = ids(policies);
    let units = ids(naive
        .list_admin_units()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.admin_unit_id)
        .collect());
    assert_eq!(
        (ikeys.len(), admins.len(), policies.len(), units.len()),
        (61, 31, 13, 9)
    );

    async fn refresh(
        c: &Arc<Client>,
        ikeys: &[String],
        admins: &[String],
        policies: &[String],
        units: &[String],
    ) -> String {
        let i = ten_at_a_time(
            c,
            ikeys,
            |c, id| async move { c.get_integration(&id).await },
        )
        .await;
        let a = ten_at_a_time(c, admins, |c, id| async move { c.get_admin(&id).await }).await;
        let p = ten_at_a_time(c, policies, |c, id| async move { c.get_policy(&id).await }).await;
        let u = ten_at_a_time(c, units, |c, id| async move { c.get_admin_unit(&id).await }).await;
        format!("{i:?}\n{a:?}\n{p:?}\n{u:?}")
    }
    emu.state.reset_stats();
    let want = refresh(&naive, &ikeys, &admins, &policies, &units).await;
    let naive_calls = emu.state.stats()["total"].as_u64().unwrap();
    assert_eq!(naive_calls, 61 + 31 + 13 + 9);

    emu.state.reset_stats();
    let batching = Arc::new(batching(&emu));
    let got = refresh(&batching, &ikeys, &admins, &policies, &units).await;
    assert_eq!(got, want, "listings answer exactly what single GETs do");
    let total = emu.state.stats()["total"].as_u64().unwrap();
    // Each type: two single reads, then a first page, which holds the whole type.
    assert_eq!(total, 4 * 3, "{total} calls against {naive_calls} naive");
    for r in [
        "GET /admin/v3/integrations",
        "GET /admin/v1/admins",
        "GET /admin/v2/policies",
        "GET /admin/v1/administrative_units",
    ] {
        assert!(route(&emu, r) >= 1, "{r} was never listed");
    }

    // What this run writes is read fresh.
    let ikey = &ikeys[0];
    let mut fields = serde_json::Map::new();
    fields.insert("notes".into(), "changed here".into());
    batching.modify_integration(ikey, &fields).await.unwrap();
    let again = batching.get_integration(ikey).await.unwrap();
    assert_eq!(again.notes.as_deref(), Some("changed here"));
    let unit = &units[0];
    batching
        .admin_unit_member(unit, duo::UnitMember::Admin, &admins[0], true)
        .await
        .unwrap();
    let unit_now = batching.get_admin_unit(unit).await.unwrap();
    assert!(unit_now.admins.contains(&admins[0]), "{unit_now:?}");
    batching.delete_integration(&ikeys[1]).await.unwrap();
    assert!(
        batching
            .get_integration(&ikeys[1])
            .await
            .unwrap_err()
            .is_not_found()
    );
}

#[tokio::test]
async fn each_users_bypass_codes_come_from_the_accounts_listing_once_it_pays() {
    let emu = tenant(Spec {
        users: 300,
        bypass_codes: 250,
        ..Spec::default()
    });
    let naive = Arc::new(client(&emu, 0.0));
    let all = naive.list_users().await.unwrap();
    let users = ids_of(all, |u| u.user_id, Some("DUNOSUCHUSER00000001"));
    let codes = |c: Arc<Client>, id: String| async move {
        let mut codes = c.user_bypass_codes(&id).await?;
        codes.sort_by(|a, b| a.bypass_code_id.cmp(&b.bypass_code_id));
        Ok(codes)
    };
    emu.state.reset_stats();
    let want = ten_at_a_time(&naive, &users, codes).await;
    let naive_calls = emu.state.stats()["total"].as_u64().unwrap();
    assert_eq!(naive_calls, 301);
    assert_eq!(
        want.iter()
            .filter(|c| c.as_ref().is_some_and(|c| !c.is_empty()))
            .count(),
        250
    );
    assert!(want.last().unwrap().is_none());

    emu.state.reset_stats();
    let batching = Arc::new(batching(&emu));
    let got = ten_at_a_time(&batching, &users, codes).await;
    assert_eq!(
        got, want,
        "the listing answers exactly what each user's list does"
    );
    let total = emu.state.stats()["total"].as_u64().unwrap();
    assert!(
        total * 8 <= naive_calls,
        "{total} calls against {naive_calls}"
    );

    // Codes this run makes or deletes are read fresh.
    let user = &users[0];
    let made = batching
        .create_bypass_codes(
            user,
            &duo::BypassParams {
                count: Some(2),
                ..duo::BypassParams::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(made.len(), 2);
    let now = batching.user_bypass_codes(user).await.unwrap();
    assert_eq!(now.len(), 2, "Duo clears a user's other codes: {now:?}");
    let with_codes = (1..users.len())
        .find(|&i| want[i].as_ref().is_some_and(|c| !c.is_empty()))
        .unwrap();
    let other = &users[with_codes];
    let theirs = batching.user_bypass_codes(other).await.unwrap();
    batching
        .delete_bypass_code(&theirs[0].bypass_code_id)
        .await
        .unwrap();
    assert_eq!(
        batching.user_bypass_codes(other).await.unwrap().len(),
        theirs.len() - 1
    );
}

#[tokio::test]
async fn policies_this_run_changes_are_read_fresh_the_global_one_by_either_key() {
    let emu = tenant(Spec {
        integrations: 2,
        policies: 8,
        ..Spec::default()
    });
    let c = batching(&emu);
    let policies = c.list_policies().await.unwrap();
    let global = policies.iter().find(|p| p.is_global_policy).unwrap();
    // Custom policies applied to nothing yet, so that one can also be deleted.
    let free: Vec<&duo::Policy> = policies
        .iter()
        .filter(|p| !p.is_global_policy && p.policy_applies_to.is_empty())
        .collect();
    let (custom, other) = (free[0], free[1]);
    let ikey = c.list_integrations().await.unwrap()[0]
        .integration_key
        .clone();

    // Changed through its alias, the global policy reads fresh by its real key too.
    let deny = serde_json::json!({"sections": {"new_user": {"new_user_behavior": "deny"}}});
    c.update_policy("global", &deny).await.unwrap();
    let by_key = c.get_policy(&global.policy_key).await.unwrap();
    assert_eq!(by_key.sections["new_user"]["new_user_behavior"], "deny");

    // An assignment shows in the next read.
    let assign = serde_json::json!({"apply_to_apps": {"apply_list": [ikey]}});
    c.update_policy(&custom.policy_key, &assign).await.unwrap();
    let now = c.get_policy(&custom.policy_key).await.unwrap();
    assert!(!now.policy_applies_to.is_empty(), "{now:?}");

    // Deleted, one is gone; one created after the listing is found.
    c.delete_policy(&other.policy_key).await.unwrap();
    let gone = c.get_policy(&other.policy_key).await.unwrap_err();
    assert!(gone.is_not_found(), "{gone}");
    let made = c
        .create_policy(&serde_json::json!({"policy_name": "made after the listing"}))
        .await
        .unwrap();
    let found = c.get_policy(&made.policy_key).await.unwrap();
    assert_eq!(found.policy_name, made.policy_name);
}

/// One write the tests below make, as a resource of that kind would.
#[derive(Clone)]
enum Change {
    Notes(String, String),
    Rename(String, String),
    Join(String, String),
    Leave(String, String),
    Delete(String),
}

async fn change(duo: Arc<Client>, c: Change) -> Result<(), duo::Error> {
    match c {
        Change::Notes(user, notes) => {
            let params = duo::UserParams {
                notes: Some(notes.clone()),
                ..duo::UserParams::default()
            };
            let user = duo.modify_user(&user, &params).await?;
            assert_eq!(user.notes, Some(notes), "the answer is the modified user");
            Ok(())
        }
        Change::Rename(user, username) => {
            let params = duo::UserParams {
                username: Some(username),
                ..duo::UserParams::default()
            };
            duo.modify_user(&user, &params).await.map(drop)
        }
        Change::Join(user, group) => duo.add_user_to_group(&user, &group).await,
        Change::Leave(user, group) => duo.remove_user_from_group(&user, &group).await,
        Change::Delete(user) => duo.delete_user(&user).await,
    }
}

/// Single-request writes of users and memberships that reached Duo.
fn single_writes(emu: &Background) -> u64 {
    [
        "POST /admin/v1/users/{user_id}",
        "DELETE /admin/v1/users/{user_id}",
        "POST /admin/v1/users/{user_id}/groups",
        "DELETE /admin/v1/users/{user_id}/groups/{group_id}",
    ]
    .iter()
    .map(|r| route(emu, r))
    .sum()
}

/// The IDs (`id`) of every object of `kind` (`users`, `groups`) the emulator holds.
fn held(emu: &Background, kind: &str, id: &str) -> Vec<String> {
    let t = emu.state.snapshot();
    t[kind]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o[id].as_str().unwrap().to_owned())
        .collect()
}

fn user_ids(emu: &Background) -> Vec<String> {
    held(emu, "users", "user_id")
}

fn group_ids(emu: &Background) -> Vec<String> {
    held(emu, "groups", "group_id")
}

/// The groups of each user the emulator holds, by user ID.
fn memberships(emu: &Background) -> std::collections::BTreeMap<String, Vec<String>> {
    let t = emu.state.snapshot();
    t["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            let groups = u["groups"].as_array().unwrap();
            (
                u["user_id"].as_str().unwrap().to_owned(),
                groups
                    .iter()
                    .map(|g| g["group_id"].as_str().unwrap().to_owned())
                    .collect(),
            )
        })
        .collect()
}

#[tokio::test]
async fn modifications_deletions_and_memberships_made_together_go_to_duo_in_bulk() {
    let emu = generated(70, 2, 0);
    let (users, groups) = (user_ids(&emu), group_ids(&emu));
    let batching = Arc::new(batching(&emu));
    let changes: Vec<Change> = users
        .iter()
        .enumerate()
        .map(|(i, u)| match i % 7 {
            0..=2 => Change::Notes(u.clone(), format!("note {i}")),
            3..=5 => Change::Join(u.clone(), groups[i % 2].clone()),
            _ => Change::Delete(u.clone()),
        })
        .collect();
    emu.state.reset_stats();
    let results = ten_at_a_time_results(&batching, &changes, change).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let bulk = route(&emu, "POST /admin/v1/bulk");
    assert!((1..=12).contains(&bulk), "{bulk} bulk calls for 70 changes");
    assert_eq!(single_writes(&emu), 0, "{}", emu.state.stats());
    assert_eq!(stat(&emu, "by_class/bulk"), bulk);
    // Duo holds every change.
    let t = emu.state.snapshot();
    let held = t["users"].as_array().unwrap();
    assert_eq!(held.len(), 60, "ten deleted");
    let by_id = |id: &str| held.iter().find(|u| u["user_id"] == id);
    for (i, u) in users.iter().enumerate() {
        match i % 7 {
            0..=2 => assert_eq!(by_id(u).unwrap()["notes"], format!("note {i}")),
            3..=5 => assert_eq!(by_id(u).unwrap()["groups"][0]["group_id"], groups[i % 2]),
            _ => assert!(by_id(u).is_none()),
        }
    }
}

#[tokio::test]
async fn a_refused_operation_fails_only_itself_whatever_form_duos_answer_takes() {
    for answers in duo_emulator::BulkAnswers::NAMES {
        let mut tenant = Tenant::default();
        duo_emulator::generate(
            &mut tenant,
            &Spec {
                users: 10,
                groups: 1,
                ..Spec::default()
            },
        )
        .unwrap();
        let options = Options {
            bulk_answers: answers.parse().unwrap(),
            ..Options::default()
        };
        let emu = Background::start(options, tenant).unwrap();
        let (users, group) = (user_ids(&emu), group_ids(&emu).remove(0));
        let taken = emu.state.snapshot()["users"][0]["username"]
            .as_str()
            .unwrap()
            .to_owned();
        // Eight good changes, a group that does not exist and a username that is taken.
        let mut changes: Vec<Change> = users[..8]
            .iter()
            .map(|u| Change::Join(u.clone(), group.clone()))
            .collect();
        changes.insert(
            3,
            Change::Join(users[8].clone(), "DGNOSUCHGROUP0000000".into()),
        );
        changes.insert(7, Change::Rename(users[9].clone(), taken.clone()));
        let batching = Arc::new(batching(&emu));
        let results = ten_at_a_time_results(&batching, &changes, change).await;
        for (i, result) in results.iter().enumerate() {
            match (i, result) {
                (3, Err(e)) => assert_eq!(
                    (e.code(), e.to_string().contains("group_id")),
                    (Some(40002), true),
                    "{answers}: {e}"
                ),
                (7, Err(e)) => assert_eq!(
                    (e.code(), e.to_string().contains("username")),
                    (Some(40002), true),
                    "{answers}: {e}"
                ),
                (3 | 7, Ok(())) => panic!("{answers}: change {i} was refused by Duo"),
                (_, r) => assert!(r.is_ok(), "{answers}: change {i}: {r:?}"),
            }
        }
        let joined = memberships(&emu)
            .values()
            .filter(|g| g == &&vec![group.clone()])
            .count();
        assert_eq!(joined, 8, "{answers}");
        assert_eq!(route(&emu, "POST /admin/v1/bulk"), 1, "{answers}");
        // Operations whose outcome the answer did not give were sent on their own.
        let alone = single_writes(&emu);
        match answers {
            "each" => assert_eq!(alone, 0),
            "until-failure" => assert!((1..=9).contains(&alone), "{alone}"),
            _ => assert_eq!(alone, 10, "{answers}"),
        }
    }
}

#[tokio::test]
async fn a_bulk_call_whose_answer_is_lost_is_sent_again_and_changes_nothing_twice() {
    let emu = emulator(faults("", 5), 2);
    let groups = group_ids(&emu);
    let batching = Arc::new(batching(&emu));
    let names: Vec<String> = (0..40).map(|i| format!("lost{i:02}")).collect();
    let users: Vec<String> = create_users(&batching, &names)
        .await
        .into_iter()
        .map(|u| u.unwrap().user_id)
        .collect();
    emu.state.set_faults(Faults::parse("drop=0.3").unwrap());
    emu.state.reset_stats();
    let joins: Vec<Change> = users
        .iter()
        .flat_map(|u| groups.iter().map(|g| Change::Join(u.clone(), g.clone())))
        .collect();
    let results = ten_at_a_time_results(&batching, &joins, change).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let leaves: Vec<Change> = users
        .iter()
        .map(|u| Change::Leave(u.clone(), groups[0].clone()))
        .collect();
    let results = ten_at_a_time_results(&batching, &leaves, change).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let bulk = route(&emu, "POST /admin/v1/bulk");
    assert!(
        bulk > 12,
        "12 batches, some sent again: {}",
        emu.state.stats()
    );
    emu.state.set_faults(Faults::default());
    for u in &users {
        assert_eq!(memberships(&emu)[u], [groups[1].clone()], "{u}");
    }
}

#[tokio::test]
async fn a_set_of_memberships_changes_in_bulk_calls_of_fifty() {
    let emu = generated(120, 1, 0);
    let (users, group) = (user_ids(&emu), group_ids(&emu).remove(0));
    let changes = |add| -> Vec<duo::Membership> {
        users
            .iter()
            .map(|u| duo::Membership {
                user_id: u.clone(),
                group_id: group.clone(),
                add,
            })
            .collect()
    };
    let batching = batching(&emu);
    emu.state.reset_stats();
    let results = batching.change_memberships(&changes(true)).await;
    assert_eq!(results.len(), 120);
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(route(&emu, "POST /admin/v1/bulk"), 3, "50, 50 and 20");
    assert!(
        memberships(&emu)
            .values()
            .all(|g| g == std::slice::from_ref(&group))
    );
    let members = batching.group_members(&group).await.unwrap();
    assert_eq!(members.len(), 120, "read fresh after the changes");
    // One by one without batching, the naive baseline.
    emu.state.reset_stats();
    let results = client(&emu, 0.0).change_memberships(&changes(false)).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(route(&emu, "POST /admin/v1/bulk"), 0);
    assert_eq!(single_writes(&emu), 120);
    assert!(memberships(&emu).values().all(Vec::is_empty));
}

#[tokio::test]
async fn secret_keys_come_from_the_v1_listing_once_it_pays_the_rest_one_by_one() {
    let emu = tenant(Spec {
        integrations: 30,
        ..Spec::default()
    });
    let naive = Arc::new(client(&emu, 0.0));
    let mut sso = serde_json::Map::new();
    sso.insert("name".into(), "Single sign-on".into());
    sso.insert("type".into(), "sso-generic".into());
    let sso = naive
        .create_integration(&sso)
        .await
        .unwrap()
        .integration_key;
    let ikeys = ids_of(
        naive.list_integrations().await.unwrap(),
        |i| i.integration_key,
        None,
    );
    assert_eq!(ikeys.len(), 31);
    let key = |c: Arc<Client>, ikey: String| async move { c.integration_secret_key(&ikey).await };
    emu.state.reset_stats();
    let want = ten_at_a_time(&naive, &ikeys, key).await;
    assert_eq!(stat(&emu, "total"), 31);
    assert!(
        want.iter()
            .all(|k| k.as_ref().is_some_and(|k| k.len() == 40))
    );

    emu.state.reset_stats();
    let batching = Arc::new(batching(&emu));
    let got = ten_at_a_time(&batching, &ikeys, key).await;
    assert_eq!(got, want, "the listing shows the keys /skey answers");
    assert_eq!(
        route(&emu, "GET /admin/v1/integrations"),
        1,
        "{}",
        emu.state.stats()
    );
    // Single reads for the first two keys, before the listing paid, and for each SSO
    // application, which the listing leaves out. The generated keys are random, so one of the
    // first two may itself be an SSO application's: it is read once.
    let sso_apps: std::collections::BTreeSet<String> = naive
        .list_integrations()
        .await
        .unwrap()
        .into_iter()
        .filter(|i| i.kind.starts_with("sso-"))
        .map(|i| i.integration_key)
        .collect();
    assert!(sso_apps.contains(&sso));
    let read_alone = ikeys[..2]
        .iter()
        .cloned()
        .chain(sso_apps)
        .collect::<std::collections::BTreeSet<_>>();
    assert_eq!(
        route(&emu, "GET /admin/v1/integrations/{integration_key}/skey"),
        read_alone.len() as u64,
        "{}",
        emu.state.stats()
    );
    let sso_at = ikeys.iter().position(|k| *k == sso).unwrap();
    assert_eq!(got[sso_at], want[sso_at]);

    // A rotated key is read fresh.
    let mut rotate = serde_json::Map::new();
    rotate.insert("reset_secret_key".into(), "1".into());
    batching
        .modify_integration(&ikeys[0], &rotate)
        .await
        .unwrap();
    let rotated = batching.integration_secret_key(&ikeys[0]).await.unwrap();
    assert_ne!(Some(rotated.clone()), want[0]);
    assert_eq!(
        rotated,
        naive.integration_secret_key(&ikeys[0]).await.unwrap()
    );
}

/// The MSP parent's Accounts API client, paced at `rate_scale`, gathering when `coalesce`.
fn accounts_client(emu: &Background, rate_scale: f64, coalesce: bool) -> Client {
    keyed_client(
        emu,
        duo_emulator::DEMO_ACCOUNTS_IKEY,
        duo_emulator::DEMO_ACCOUNTS_SKEY,
        rate_scale,
        Duration::from_millis(5),
        coalesce,
    )
}

/// An emulator whose parent has an empty child account for each of `ids`.
fn with_children(options: Options, ids: &[&str]) -> Background {
    let seed: Seed = serde_json::from_value(serde_json::json!({
        "children": ids.iter().map(|id| serde_json::json!({"account_id": id, "name": id})).collect::<Vec<_>>()
    }))
    .unwrap();
    Background::start(options, Tenant::from_seed(seed).unwrap()).unwrap()
}

fn group(name: &str) -> GroupParams {
    GroupParams {
        name: Some(name.into()),
        ..GroupParams::default()
    }
}

#[tokio::test]
async fn a_child_account_is_a_tenant_of_its_own_reached_through_the_parent() {
    let emu = emulator(Options::default(), 1);
    let parent = accounts_client(&emu, 0.0, false);
    let acme = parent.create_child_account("Acme").await.unwrap();
    let globex = parent.create_child_account("Globex").await.unwrap();
    assert_eq!(acme.api_hostname, emu.addr.to_string());
    let mut listed = parent.child_accounts().await.unwrap();
    listed.sort_by(|x, y| x.name.cmp(&y.name));
    assert_eq!(listed, vec![acme.clone(), globex.clone()]);

    // Form bodies and v5 JSON bodies both carry account_id; the child's client is kept.
    let a = parent.for_account(&acme.account_id).await.unwrap();
    assert!(Arc::ptr_eq(
        &a,
        &parent.for_account(&acme.account_id).await.unwrap()
    ));
    a.create_group(&group("acme-ops")).await.unwrap();
    a.create_policy(&serde_json::json!({"policy_name": "acme baseline"}))
        .await
        .unwrap();
    let b = parent.for_account(&globex.account_id).await.unwrap();
    assert!(b.list_groups().await.unwrap().is_empty());
    let acme_tenant = emu.state.snapshot_of(Some(&acme.account_id));
    assert_eq!(acme_tenant["groups"][0]["name"], "acme-ops");
    assert!(
        acme_tenant["policies"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["policy_name"] == "acme baseline")
    );
    // The parent's own tenant (one seeded group) is untouched.
    assert_eq!(emu.state.snapshot()["groups"].as_array().unwrap().len(), 1);

    // Billing: the parent's credits pay for the child's.
    assert_eq!(a.edition().await.unwrap(), "ENTERPRISE");
    a.set_edition("BEYOND").await.unwrap();
    assert_eq!(a.edition().await.unwrap(), "BEYOND");
    a.set_telephony_credits(1250).await.unwrap();
    assert_eq!(a.telephony_credits().await.unwrap(), 1250);
    assert_eq!(emu.state.snapshot()["telephony_credits"], 750);

    // An Admin API application made in a child signs for that child, without account_id.
    let fields = serde_json::json!({"name": "acme-reader", "type": "adminapi", "adminapi_read_resource": "1"});
    let made = a
        .create_integration(fields.as_object().unwrap())
        .await
        .unwrap();
    let skey = a
        .integration_secret_key(&made.integration_key)
        .await
        .unwrap();
    let own = keyed_client(
        &emu,
        &made.integration_key,
        &skey,
        0.0,
        Duration::from_millis(5),
        false,
    );
    let names: Vec<String> = own
        .list_groups()
        .await
        .unwrap()
        .into_iter()
        .map(|g| g.name)
        .collect();
    assert_eq!(names, ["acme-ops"]);

    // The wrong key for each API, unknown children, another deployment.
    let admin = client(&emu, 0.0);
    assert_eq!(refusal(admin.child_accounts().await), (403, 40301));
    assert_eq!(refusal(parent.list_groups().await), (403, 40301));
    assert!(matches!(
        parent.for_account("DAXXXXXXXXXXXXXXXXXX").await,
        Err(duo::Error::NoSuchAccount { .. })
    ));
    assert!(emu.state.set_other_deployment(&globex.account_id, true));
    assert_eq!(refusal(b.list_groups().await), (400, 40002));

    parent.delete_child_account(&acme.account_id).await.unwrap();
    assert_eq!(refusal(a.list_groups().await), (400, 40002));
    assert_eq!(parent.child_accounts().await.unwrap(), vec![globex]);
}

#[tokio::test]
async fn each_child_account_has_its_own_rate_limits_on_both_sides() {
    // Four children, and ten list calls a minute per account on the emulator.
    let ids = [
        "DABUSY00000000000001",
        "DAQUIET0000000000001",
        "DAFRESH0000000000001",
        "DAOTHER0000000000001",
    ];
    let emu = with_children(
        Options {
            rate_limits: true,
            rate_scale: 0.05,
            ..Options::default()
        },
        &ids,
    );
    let [busy, quiet, fresh, other] = ids;
    let unpaced = accounts_client(&emu, 0.0, false);
    let busy_client = unpaced.for_account(busy).await.unwrap();
    for _ in 0..14 {
        let _ = busy_client.list_groups().await;
    }
    let quiet_client = unpaced.for_account(quiet).await.unwrap();
    for _ in 0..5 {
        quiet_client.list_groups().await.unwrap();
    }
    let throttled = |id: &str| emu.state.stats_of(Some(id))["throttled"].as_u64().unwrap();
    assert!(throttled(busy) > 0, "{}", emu.state.stats());
    assert_eq!(throttled(quiet), 0, "{}", emu.state.stats());
    assert_eq!(emu.state.stats()["by_account"][quiet], 5);

    // The client paces each child on its own budget too: a child that spent its own starts
    // the next at once.
    let paced = accounts_client(&emu, 0.05, false);
    let first = paced.for_account(fresh).await.unwrap();
    for _ in 0..9 {
        first.list_groups().await.unwrap();
    }
    let second = paced.for_account(other).await.unwrap();
    let started = std::time::Instant::now();
    for _ in 0..5 {
        second.list_groups().await.unwrap();
    }
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn creations_in_two_children_at_once_are_each_childs_own_bulk_calls() {
    let ids = ["DAALPHA0000000000001", "DABETA00000000000001"];
    let emu = with_children(Options::default(), &ids);
    let parent = accounts_client(&emu, 0.0, true);
    let (alpha, beta) = (
        parent.for_account(ids[0]).await.unwrap(),
        parent.for_account(ids[1]).await.unwrap(),
    );
    let names =
        |prefix: &str| -> Vec<String> { (0..30).map(|i| format!("{prefix}.{i:02}")).collect() };
    let (alpha_names, beta_names) = (names("alpha"), names("beta"));
    let (a, b) = tokio::join!(
        create_users(&alpha, &alpha_names),
        create_users(&beta, &beta_names)
    );
    assert!(a.iter().chain(&b).all(Result::is_ok));
    for (id, prefix) in [(ids[0], "alpha"), (ids[1], "beta")] {
        let by_route = &emu.state.stats_of(Some(id))["by_route"];
        let bulk = by_route["POST /admin/v1/users/bulk_create"]
            .as_u64()
            .unwrap_or(0);
        assert!((1..=6).contains(&bulk), "{id}: {by_route}");
        assert_eq!(
            by_route["POST /admin/v1/users"],
            serde_json::Value::Null,
            "{id}: {by_route}"
        );
        // Each child holds its own users and none of the other's.
        let users = emu.state.snapshot_of(Some(id))["users"]
            .as_array()
            .unwrap()
            .clone();
        assert_eq!(users.len(), 30);
        assert!(
            users
                .iter()
                .all(|u| u["username"].as_str().unwrap().starts_with(prefix))
        );
    }
    assert!(emu.state.snapshot()["users"].as_array().unwrap().is_empty());
}
