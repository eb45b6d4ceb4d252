//! The Duo client against the emulator: paging to the end, 429 retries, pacing under Duo's
//! limits, and never resending a write whose answer was lost.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly by design"
)]

use std::time::Duration;

use duo_emulator::{Background, Faults, Options, Seed, Tenant};
use terraform_provider_duo::duo::{self, Client, GroupParams};

fn client(emu: &Background, rate_scale: f64) -> Client {
    client_with(emu, rate_scale, Duration::from_millis(5))
}

fn client_with(emu: &Background, rate_scale: f64, retry_base: Duration) -> Client {
    Client::new(&duo::Config {
        api_host: emu.url(),
        ikey: duo_emulator::DEMO_IKEY.into(),
        skey: duo_emulator::DEMO_SKEY.into(),
        timeout: Duration::from_secs(10),
        max_retries: 6,
        retry_base,
        rate_scale,
        user_agent: "test".into(),
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
async fn json_requests_are_signed_with_v5_and_accepted() {
    let emu = emulator(Options::default(), 0);
    let created: duo::Group = client(&emu, 0.0)
        .send_json(
            "POST",
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
