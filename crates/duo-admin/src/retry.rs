//! When to retry, how long to wait, and how fast to send: pure decisions, table-tested
//! without sleeping, plus the client-side rate limiter.
//!
//! Only answers that prove Duo did nothing are retried for creations: 429 (Duo refused the
//! request before acting on it). After a 5xx or a dropped connection on a create, Duo may already
//! have made the object, so it is never blindly resent. Reads, deletes (idempotent in Duo) and
//! writes that only set values or links are also retried after 5xx and transport errors.

use std::collections::HashMap;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// What happened to one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    Status(u16),
    /// Sent, but the answer was lost (timeout, connection reset).
    TransportError,
    /// Never connected (refused, DNS): a wrong host does not heal in seconds.
    ConnectError,
}

/// What to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Done,
    /// Wait this many units of the base backoff (plus jitter), then send again.
    RetryAfter(u32),
}

/// Duo's official schedule: 1, 2, 4, 8, 16, 32 s (+ up to 1 s jitter), so at most 7 attempts;
/// the wait stops doubling at 2^5 units.
const MAX_BACKOFF_SHIFT: u32 = 5;

/// Server errors and lost answers are retried this often at most (waiting 1 + 2 + 4 + 8 s):
/// enough to ride out a short outage — at a 10% fault rate five failures in a row happen once
/// in 100,000 requests — without keeping Terraform's user waiting on a long one.
pub const MAX_FAULT_RETRIES: u32 = 4;

/// `attempt` counts from 0 (the first send). `idempotent` is true when sending twice leaves
/// Duo as sending once: GET, DELETE, and writes that set values or links.
pub fn after(outcome: Attempt, attempt: u32, idempotent: bool, max_retries: u32) -> Next {
    let limit = match outcome {
        Attempt::Status(429) => max_retries,
        Attempt::Status(500 | 502 | 503 | 504) | Attempt::TransportError if idempotent => {
            max_retries.min(MAX_FAULT_RETRIES)
        }
        _ => 0,
    };
    if attempt >= limit {
        return Next::Done;
    }
    Next::RetryAfter(1 << attempt.min(MAX_BACKOFF_SHIFT))
}

/// Duo's rate classes (per account, per minute, from Duo staff's published defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RateClass {
    /// Create, modify, delete.
    Modify,
    /// GET of one object.
    GetObject,
    /// GET of a page of objects.
    ListPage,
    /// The bulk endpoints (`/admin/v1/users/bulk_create`, `/admin/v1/bulk`).
    Bulk,
    /// The Accounts API (`/accounts/v1/account/*`), whose limit Duo does not publish: the
    /// lowest of the Admin API's [S].
    Accounts,
}

impl RateClass {
    pub fn per_minute(self) -> f64 {
        match self {
            RateClass::Modify => 300.0,
            RateClass::GetObject => 300.0,
            RateClass::ListPage => 200.0,
            RateClass::Bulk => 50.0,
            RateClass::Accounts => 40.0,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            RateClass::Modify => "modify",
            RateClass::GetObject => "get_object",
            RateClass::ListPage => "list",
            RateClass::Bulk => "bulk",
            RateClass::Accounts => "accounts",
        }
    }
}

/// The share of Duo's limits the client allows itself by default: room for clock differences
/// between our buckets and Duo's, and for other tools sharing the account.
pub const DEFAULT_CAPACITY: f64 = 0.9;

/// A 429 halves a class's pace, down to this share of its limit at most.
const SLOWEST: f64 = 0.1;

/// Without further 429s a slowed class regains its full pace over this many seconds.
const RECOVERY_SECS: f64 = 120.0;

/// Waits at least this long are logged at INFO (at most once per [`NOTICE_EVERY`] per class),
/// so that a user watching a slow run sees why.
const LONG_WAIT: Duration = Duration::from_secs(1);
const NOTICE_EVERY: Duration = Duration::from_secs(15);

/// Token buckets, one per rate class, so that a large plan paces itself under Duo's limits
/// instead of provoking 429 storms. Each class may send `per_minute × scale × capacity`
/// requests a minute, with a burst of as many. A 429 that arrives anyway (another integration
/// is using the account's budget) halves that class's pace and empties its bucket; the pace
/// recovers linearly while no further 429 arrives (AIMD, as TCP does).
pub struct Limiter {
    /// Multiplies Duo's limits (accounts Duo granted more; time-scaled tests); 0 disables pacing.
    scale: f64,
    /// The share of the limits this client takes, leaving the rest to other integrations.
    capacity: f64,
    buckets: Mutex<HashMap<RateClass, Bucket>>,
}

struct Bucket {
    tokens: f64,
    updated: Instant,
    /// 1.0 = full pace; lowered by 429s.
    pace: f64,
    noticed: Option<Instant>,
}

impl Bucket {
    /// Whether a wait this long is worth telling the user about now: long waits only, and at
    /// most one notice per [`NOTICE_EVERY`], so a slow run explains itself without flooding.
    fn notice_due(&mut self, now: Instant, wait: Duration) -> bool {
        let due = wait >= LONG_WAIT && self.noticed.is_none_or(|t| now - t >= NOTICE_EVERY);
        if due {
            self.noticed = Some(now);
        }
        due
    }
}

impl Limiter {
    pub fn new(scale: f64, capacity: f64) -> Limiter {
        Limiter {
            scale,
            capacity: capacity.clamp(0.01, 1.0),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn limit(&self, class: RateClass) -> f64 {
        class.per_minute() * self.scale * self.capacity
    }

    /// Waits until a request of `class` may be sent.
    pub async fn acquire(&self, class: RateClass) {
        if self.scale <= 0.0 {
            return;
        }
        let limit = self.limit(class);
        loop {
            let wait = {
                let mut buckets = self.buckets.lock().await;
                let now = Instant::now();
                let b = buckets.entry(class).or_insert(Bucket {
                    tokens: limit,
                    updated: now,
                    pace: 1.0,
                    noticed: None,
                });
                let elapsed = now.duration_since(b.updated).as_secs_f64();
                b.pace = (b.pace + elapsed / RECOVERY_SECS).min(1.0);
                let per_sec = limit * b.pace / 60.0;
                b.tokens = (b.tokens + elapsed * per_sec).min(limit);
                b.updated = now;
                if b.tokens >= 1.0 {
                    b.tokens -= 1.0;
                    return;
                }
                let wait = Duration::from_secs_f64((1.0 - b.tokens) / per_sec);
                if b.notice_due(now, wait) {
                    tracing::info!(
                        class = class.name(),
                        wait_secs = wait.as_secs_f64(),
                        per_minute = (limit * b.pace).round(),
                        "pacing Duo requests: waiting {:.1} s to stay under {:.0} {} requests per minute \
                         ({:.0}% of Duo's limit{})",
                        wait.as_secs_f64(),
                        limit * b.pace,
                        class.name(),
                        self.capacity * b.pace * 100.0,
                        if b.pace < 1.0 {
                            ", slowed after a 429"
                        } else {
                            ""
                        }
                    );
                }
                wait
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// Duo answered 429 although the bucket allowed the request: someone else is spending the
    /// account's budget. Slow this class down and stop its burst.
    pub async fn throttled(&self, class: RateClass) {
        if self.scale <= 0.0 {
            return;
        }
        let limit = self.limit(class);
        let mut buckets = self.buckets.lock().await;
        let now = Instant::now();
        let b = buckets.entry(class).or_insert(Bucket {
            tokens: 0.0,
            updated: now,
            pace: 1.0,
            noticed: None,
        });
        b.pace = (b.pace / 2.0).max(SLOWEST);
        b.tokens = 0.0;
        b.updated = now;
        tracing::info!(
            class = class.name(),
            per_minute = (limit * b.pace).round(),
            "Duo rate-limited a {} request (HTTP 429): slowing to {:.0} per minute",
            class.name(),
            limit * b.pace
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(outcome: Attempt, attempt: u32, idempotent: bool, want: Option<u64>) {
        let got = after(outcome, attempt, idempotent, 6);
        let want = want.map_or(Next::Done, |s| Next::RetryAfter(s as u32));
        assert_eq!(
            got, want,
            "{outcome:?} attempt {attempt} idempotent {idempotent}"
        );
    }

    #[test]
    fn rate_limited_requests_follow_duos_schedule_then_give_up() {
        for (attempt, secs) in [(0, 1), (1, 2), (2, 4), (3, 8), (4, 16), (5, 32)] {
            check(Attempt::Status(429), attempt, false, Some(secs));
        }
        check(Attempt::Status(429), 6, false, None);
    }

    #[test]
    fn writes_are_not_resent_after_server_errors_or_lost_connections() {
        check(Attempt::Status(503), 0, false, None);
        check(Attempt::TransportError, 0, false, None);
        check(Attempt::Status(503), 0, true, Some(1));
        check(Attempt::TransportError, 1, true, Some(2));
        check(Attempt::TransportError, 3, true, Some(8));
        check(Attempt::TransportError, 4, true, None);
        check(Attempt::ConnectError, 0, true, None);
    }

    #[test]
    fn client_errors_and_success_are_final() {
        check(Attempt::Status(200), 0, true, None);
        check(Attempt::Status(400), 0, true, None);
        check(Attempt::Status(404), 0, true, None);
        check(Attempt::Status(401), 0, true, None);
    }

    #[tokio::test(start_paused = true)]
    async fn the_limiter_paces_beyond_the_burst() {
        let limiter = Limiter::new(1.0 / 54.0, 0.9); // 300/min * 0.9 / 54 = 5 per minute
        let start = Instant::now();
        for _ in 0..5 {
            limiter.acquire(RateClass::Modify).await;
        }
        assert!(start.elapsed() < Duration::from_millis(1));
        limiter.acquire(RateClass::Modify).await;
        assert!(
            start.elapsed() >= Duration::from_secs(11),
            "{:?}",
            start.elapsed()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn capacity_leaves_a_share_of_the_limit_to_others() {
        // 300/min * 0.1 scale * 0.2 capacity = 6 per minute: a burst of 6, then one every 10 s.
        let limiter = Limiter::new(0.1, 0.2);
        let start = Instant::now();
        for _ in 0..6 {
            limiter.acquire(RateClass::GetObject).await;
        }
        assert!(start.elapsed() < Duration::from_millis(1));
        limiter.acquire(RateClass::GetObject).await;
        let waited = start.elapsed();
        assert!(
            waited >= Duration::from_secs(10) && waited < Duration::from_secs(11),
            "{waited:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_halves_the_pace_which_then_recovers() {
        let limiter = Limiter::new(0.2, 1.0); // 60 per minute: one a second
        limiter.acquire(RateClass::Modify).await;
        limiter.throttled(RateClass::Modify).await;
        // Bucket empty at half pace: the next request waits two seconds, not one.
        let start = Instant::now();
        limiter.acquire(RateClass::Modify).await;
        let slowed = start.elapsed();
        assert!(
            slowed >= Duration::from_millis(1900) && slowed < Duration::from_millis(2100),
            "{slowed:?}"
        );
        // A second 429 halves again, but never below a tenth of the limit.
        for _ in 0..10 {
            limiter.throttled(RateClass::Modify).await;
        }
        let start = Instant::now();
        limiter.acquire(RateClass::Modify).await;
        let slowest = start.elapsed();
        assert!(
            slowest >= Duration::from_secs(9) && slowest < Duration::from_secs(11),
            "{slowest:?}"
        );
        // Quiet for the recovery period: full pace again, one a second.
        tokio::time::sleep(Duration::from_secs(RECOVERY_SECS as u64)).await;
        for _ in 0..60 {
            limiter.acquire(RateClass::Modify).await;
        }
        let start = Instant::now();
        limiter.acquire(RateClass::Modify).await;
        let recovered = start.elapsed();
        assert!(recovered <= Duration::from_millis(1100), "{recovered:?}");
        // Other classes were never slowed.
        let start = Instant::now();
        limiter.acquire(RateClass::ListPage).await;
        assert!(start.elapsed() < Duration::from_millis(1));
    }

    #[tokio::test(start_paused = true)]
    async fn long_waits_are_noticed_once_in_a_while() {
        let start = Instant::now();
        let mut b = Bucket {
            tokens: 0.0,
            updated: start,
            pace: 1.0,
            noticed: None,
        };
        let at = |s: u64| start + Duration::from_secs(s);
        let wait = |ms: u64| Duration::from_millis(ms);
        // Short waits never; a long one at once; then at most one per 15 s.
        assert!(!b.notice_due(at(0), wait(900)));
        assert!(b.notice_due(at(0), wait(20_000)));
        assert!(!b.notice_due(at(5), wait(20_000)));
        assert!(!b.notice_due(at(14), wait(2_000)));
        assert!(b.notice_due(at(15), wait(2_000)));
        assert!(b.notice_due(at(35), wait(1_000)));
    }
}
