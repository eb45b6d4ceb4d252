//! What a user watching a slow run reads at INFO: long waits for Duo's rate limits, at most
//! one line per 15 s, and every 429, against the emulator in real time.
//!
//! One test in its own binary, with a global subscriber: tracing caches which callsites are
//! enabled across threads, so capturing logs beside other tests would be racy.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly by design"
)]

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use duo_emulator::{Background, Faults, Options, Tenant};
use terraform_provider_duo::duo;

#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn rate_limit_waits_and_429s_are_logged_at_info_once_in_a_while() {
    let lines = Lines::default();
    let writer = lines.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_writer(move || writer.clone())
        .init();
    let emu = Background::start(Options::default(), Tenant::default()).unwrap();
    // Page reads at a fifth of Duo's 200 a minute, 90% of that: 36 a minute, a burst of 36
    // and then one every 1.7 s.
    let duo = duo::Client::new(&duo::Config {
        api_host: emu.url(),
        ikey: duo_emulator::DEMO_IKEY.into(),
        skey: duo_emulator::DEMO_SKEY.into(),
        timeout: Duration::from_secs(10),
        max_retries: 0,
        retry_base: Duration::from_millis(5),
        rate_scale: 0.2,
        capacity: duo::DEFAULT_CAPACITY,
        coalesce: false,
        user_agent: "test".into(),
        extra_roots_pem: None,
        account_id: None,
    })
    .unwrap();
    for _ in 0..38 {
        duo.list_groups().await.unwrap();
    }
    emu.state.set_faults(Faults::parse("429=1").unwrap());
    assert!(duo.list_groups().await.is_err());
    let text = String::from_utf8_lossy(&lines.0.lock().unwrap_or_else(PoisonError::into_inner))
        .into_owned();
    // Two waits of about 1.7 s, one after the other: one notice. The wait is 1.6–1.7 s,
    // depending on how long the burst took.
    assert_eq!(text.matches("pacing Duo requests").count(), 1, "{text}");
    assert!(
        text.contains("INFO duo_admin::retry: pacing Duo requests: waiting 1.")
            && text.contains(" s to stay under 36 list requests per minute (90% of Duo's limit)"),
        "{text}"
    );
    assert!(
        text.contains("Duo rate-limited a list request (HTTP 429): slowing to 18 per minute"),
        "{text}"
    );
}
