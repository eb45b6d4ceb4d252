//! When to retry, how long to wait, and how fast to send: pure decisions, table-tested
//! without sleeping, plus the client-side rate limiter.
//!
//! Only answers that prove Duo did nothing are retried for writes: 429 (Duo refused the
//! request before acting on it). After a 5xx or a dropped connection on a POST, Duo may already
//! have created the object, so a write is never blindly resent. Reads and deletes (deletes are
//! idempotent in Duo) are also retried after 5xx and transport errors.

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

/// Server errors and lost answers are retried this often at most: they are rarely rate
/// related, and Terraform's user is waiting.
pub const MAX_FAULT_RETRIES: u32 = 2;

/// `attempt` counts from 0 (the first send). `idempotent` is true for GET and DELETE.
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
}

impl RateClass {
    pub fn per_minute(self) -> f64 {
        match self {
            RateClass::Modify => 300.0,
            RateClass::GetObject => 300.0,
            RateClass::ListPage => 200.0,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            RateClass::Modify => "modify",
            RateClass::GetObject => "get_object",
            RateClass::ListPage => "list",
        }
    }
}

/// The share of Duo's limits the client allows itself: room for clock differences between
/// our buckets and Duo's, and for other tools sharing the account.
pub const HEADROOM: f64 = 0.9;

/// Token buckets, one per rate class, so that a large plan paces itself under Duo's limits
/// instead of provoking 429 storms. `scale` multiplies every limit; 0 turns pacing off.
pub struct Limiter {
    scale: f64,
    buckets: Mutex<HashMap<RateClass, Bucket>>,
}

struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl Limiter {
    pub fn new(scale: f64) -> Limiter {
        Limiter {
            scale,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Waits until a request of `class` may be sent.
    pub async fn acquire(&self, class: RateClass) {
        if self.scale <= 0.0 {
            return;
        }
        let capacity = class.per_minute() * self.scale * HEADROOM;
        let per_sec = capacity / 60.0;
        loop {
            let wait = {
                let mut buckets = self.buckets.lock().await;
                let now = Instant::now();
                let b = buckets.entry(class).or_insert(Bucket {
                    tokens: capacity,
                    updated: now,
                });
                b.tokens = (b.tokens + now.duration_since(b.updated).as_secs_f64() * per_sec)
                    .min(capacity);
                b.updated = now;
                if b.tokens >= 1.0 {
                    b.tokens -= 1.0;
                    return;
                }
                Duration::from_secs_f64((1.0 - b.tokens) / per_sec)
            };
            tokio::time::sleep(wait).await;
        }
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
        check(Attempt::TransportError, 2, true, None);
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
        let limiter = Limiter::new(1.0 / 54.0); // 300/min * 0.9 / 54 = 5 per minute
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
}
