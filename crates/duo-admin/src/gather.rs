//! Gathering concurrent requests into batches. Terraform calls the provider once per resource,
//! ten at a time; a [`Gather`] lets those calls meet so that one Duo request can answer many.
//!
//! The first caller to find no batch in the making leads: it waits [`GATHER`] for companions
//! (and, when the caller allows some patience, until as many are pending as were ever seen at
//! once, Terraform's parallelism learned, for as long as calls keep arriving: a gap between
//! arrivals ends the wait once it is well past the gaps seen so far), then runs
//! batches of what is pending until nothing is, answering each caller through its own channel.
//! Calls that arrive while a batch is in flight form the next batch, so batches grow by
//! themselves when Duo is slow. If the leader is cancelled (its caller went away), the others
//! are released and one of them leads instead: no caller waits for an answer nobody computes.

use std::future::Future;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::oneshot;

/// How long a leader waits for the calls Terraform sends together.
pub const GATHER: Duration = Duration::from_millis(5);

/// How a [`Gather`] forms batches.
#[derive(Debug, Clone, Copy)]
pub struct Batching {
    /// The most items one batch takes.
    pub max: usize,
    /// Fewer items are not worth a batch: they wait for company as long as calls keep coming
    /// (Terraform with a large state starts its changes one by one, a second or so apart).
    pub min: usize,
    /// How long a leader waits for the calls Terraform sends together.
    pub window: Duration,
    /// The longest gap between arrivals a batch waits through.
    pub patience: Duration,
}

/// A place where concurrent calls with items `I` meet and get answers `O`.
pub struct Gather<I, O> {
    state: Mutex<State<I, O>>,
}

struct State<I, O> {
    /// Items waiting for a batch, each with its caller's number; one call's items are
    /// pushed together, so they sit side by side.
    pending: Vec<Pending<I, O>>,
    leading: bool,
    /// The most calls ever answered by one batch.
    peak: usize,
    /// The number the next call gets.
    next_call: u64,
    /// When the latest call arrived.
    arrived: Option<tokio::time::Instant>,
    /// The typical gap between arrivals (a moving average).
    gap: Option<Duration>,
}

impl<I, O> Default for Gather<I, O> {
    fn default() -> Self {
        Gather {
            state: Mutex::new(State {
                pending: Vec::new(),
                leading: false,
                peak: 0,
                next_call: 0,
                arrived: None,
                gap: None,
            }),
        }
    }
}

impl<I, O> Gather<I, O> {
    fn lock(&self) -> MutexGuard<'_, State<I, O>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds `item` to the next batch and waits for its answer. `run` answers a batch of at most
    /// `max` items with one answer per item, in order. A batch waits `window`, then for as many
    /// calls as the largest batch so far answered and at least `min` items, as long as no gap
    /// between arrivals exceeds its patience ([`quiet_after`]: `patience`, or longer when calls
    /// have been coming further apart) and at most [`MAX_WAIT_GAPS`] times `patience` in all.
    /// Terraform starts each change only after finishing another, so in a large state they
    /// trickle in (with 16,000 resources, one every two seconds or so: Terraform writes its
    /// whole state after each change); waiting for them costs little, since Terraform is busy
    /// finishing the previous ones meanwhile. `None` when
    /// the leader was cancelled before answering; the caller may simply ask again.
    pub async fn submit<F, Fut>(&self, item: I, batching: Batching, run: F) -> Option<O>
    where
        F: FnMut(Vec<I>) -> Fut,
        Fut: Future<Output = Vec<O>>,
    {
        self.submit_all(vec![item], batching, run)
            .await
            .pop()
            .flatten()
    }

    /// [`Gather::submit`] for many items of one call (a resource that makes many changes at
    /// once): they count as one call when waiting for company, so one resource's many items
    /// do not make later batches wait for as many calls. One answer per item, in order.
    pub async fn submit_all<F, Fut>(
        &self,
        items: Vec<I>,
        batching: Batching,
        mut run: F,
    ) -> Vec<Option<O>>
    where
        F: FnMut(Vec<I>) -> Fut,
        Fut: Future<Output = Vec<O>>,
    {
        let mut answers = Vec::with_capacity(items.len());
        let lead = {
            let mut s = self.lock();
            let call = s.next_call;
            s.next_call += 1;
            for item in items {
                let (tx, rx) = oneshot::channel();
                s.pending.push(Pending { item, call, tx });
                answers.push(rx);
            }
            let now = tokio::time::Instant::now();
            if let Some(before) = s.arrived {
                s.gap = Some(typical_gap(s.gap, now.duration_since(before), batching));
            }
            s.arrived = Some(now);
            !std::mem::replace(&mut s.leading, true)
        };
        if lead {
            let mut guard = Leading {
                gather: self,
                done: false,
            };
            loop {
                self.wait_for_company(batching).await;
                let batch: Vec<Pending<I, O>> = {
                    let mut s = self.lock();
                    if s.pending.is_empty() {
                        s.leading = false;
                        guard.done = true;
                        break;
                    }
                    let n = s.pending.len().min(batching.max.max(1));
                    let batch: Vec<Pending<I, O>> = s.pending.drain(..n).collect();
                    s.peak = s.peak.max(calls(&batch));
                    batch
                };
                let (items, senders): (Vec<I>, Vec<_>) =
                    batch.into_iter().map(|p| (p.item, p.tx)).unzip();
                let answered = run(items).await;
                for (tx, answer) in senders.into_iter().zip(answered) {
                    // A caller that went away no longer needs its answer.
                    let _ = tx.send(answer);
                }
            }
        }
        let mut out = Vec::with_capacity(answers.len());
        for rx in answers {
            out.push(rx.await.ok());
        }
        out
    }

    async fn wait_for_company(&self, b: Batching) {
        tokio::time::sleep(b.window).await;
        let deadline = tokio::time::Instant::now() + b.patience * MAX_WAIT_GAPS;
        loop {
            let (items, calls, peak, arrived, gap) = {
                let s = self.lock();
                (s.pending.len(), calls(&s.pending), s.peak, s.arrived, s.gap)
            };
            let now = tokio::time::Instant::now();
            let quiet = arrived.is_none_or(|t| now.duration_since(t) >= quiet_after(b, gap));
            let company = calls >= peak && items >= b.min;
            if items == 0 || items >= b.max || company || quiet || now >= deadline {
                return;
            }
            tokio::time::sleep(PATIENCE_STEP).await;
        }
    }
}

/// One item waiting for its batch.
struct Pending<I, O> {
    item: I,
    call: u64,
    tx: oneshot::Sender<O>,
}

/// How many calls the items belong to (one call's items sit side by side).
fn calls<I, O>(items: &[Pending<I, O>]) -> usize {
    let changes = items.windows(2).filter(|w| w[0].call != w[1].call).count();
    changes + usize::from(!items.is_empty())
}

/// What a batch gives each of its calls: an answer, or word that the call is not worth
/// batching (or its batch was refused as a whole) and is to be sent alone.
pub enum Batched<O> {
    Done(O),
    Alone,
}

impl<I: Clone, O> Gather<I, Batched<O>> {
    /// [`Gather::submit_all`], asking again for the items a cancelled leader left unanswered
    /// (at most three times; `None` for an item still unanswered after that).
    pub async fn submit_batched<F, Fut>(
        &self,
        items: Vec<I>,
        batching: Batching,
        mut run: F,
    ) -> Vec<Option<Batched<O>>>
    where
        F: FnMut(Vec<I>) -> Fut,
        Fut: Future<Output = Vec<Batched<O>>>,
    {
        let mut out: Vec<Option<Batched<O>>> = items.iter().map(|_| None).collect();
        for _ in 0..3 {
            let open: Vec<usize> = (0..out.len()).filter(|&i| out[i].is_none()).collect();
            if open.is_empty() {
                break;
            }
            let again = open.iter().map(|&i| items[i].clone()).collect();
            let answers = self.submit_all(again, batching, &mut run).await;
            for (i, answer) in open.into_iter().zip(answers) {
                out[i] = answer;
            }
        }
        out
    }
}

/// A patient batch waits at most this many `patience` periods in all.
pub const MAX_WAIT_GAPS: u32 = 10;

/// How long a batch waits through a gap between arrivals: three typical gaps, at least
/// `patience` and at most four times it. At a fixed patience, a large apply whose changes came
/// about as far apart as the patience sent a third of them alone.
fn quiet_after(b: Batching, gap: Option<Duration>) -> Duration {
    let learned = gap.unwrap_or_default() * 3;
    learned.clamp(b.patience, b.patience * 4)
}

/// The moving average of gaps between arrivals, with `latest` counted as at most two
/// patience periods: the long pause before a new phase of an apply, or while every call
/// Terraform runs at once is waiting in a batch, says nothing of how far apart calls come.
fn typical_gap(gap: Option<Duration>, latest: Duration, b: Batching) -> Duration {
    let latest = latest.min(b.patience * 2);
    match gap {
        None => latest,
        Some(g) => (g * 3 + latest) / 4,
    }
}

/// How often a patient leader looks for companions.
const PATIENCE_STEP: Duration = Duration::from_millis(10);

/// Releases the waiting callers if the leader is dropped mid-batch.
struct Leading<'a, I, O> {
    gather: &'a Gather<I, O>,
    done: bool,
}

impl<I, O> Drop for Leading<'_, I, O> {
    fn drop(&mut self) {
        if !self.done {
            let mut s = self.gather.lock();
            s.leading = false;
            // Dropping the senders wakes their callers with "no answer"; they ask again.
            s.pending.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Batches of at most `max`, sent as soon as the calls sent together are in.
    fn eager(max: usize) -> Batching {
        Batching {
            max,
            min: 1,
            window: GATHER,
            patience: Duration::ZERO,
        }
    }

    /// Batches of at most `max` that wait through gaps of up to a second.
    fn patient(max: usize, min: usize) -> Batching {
        Batching {
            max,
            min,
            window: GATHER,
            patience: Duration::from_secs(1),
        }
    }

    #[tokio::test]
    async fn concurrent_calls_share_batches_and_get_their_own_answers() {
        let gather: Arc<Gather<u32, u32>> = Arc::default();
        let batches = Arc::new(AtomicUsize::new(0));
        let calls = (0..25u32).map(|i| {
            let (gather, batches) = (gather.clone(), batches.clone());
            tokio::spawn(async move {
                gather
                    .submit(i, eager(10), |items| {
                        batches.fetch_add(1, Ordering::SeqCst);
                        async move { items.iter().map(|i| i * 2).collect() }
                    })
                    .await
            })
        });
        // Spawned all at once, as Terraform sends them.
        let calls: Vec<_> = calls.collect();
        let mut answers = Vec::new();
        for c in calls {
            answers.push(c.await.ok().flatten());
        }
        assert_eq!(answers, (0..25u32).map(|i| Some(i * 2)).collect::<Vec<_>>());
        assert_eq!(
            batches.load(Ordering::SeqCst),
            3,
            "25 calls in batches of 10"
        );
    }

    #[tokio::test]
    async fn a_cancelled_leader_releases_the_others() {
        let gather: Arc<Gather<u32, u32>> = Arc::default();
        let leader = {
            let gather = gather.clone();
            tokio::spawn(async move {
                gather
                    .submit(1, eager(10), |_| std::future::pending::<Vec<u32>>())
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(1)).await;
        let follower = {
            let gather = gather.clone();
            tokio::spawn(async move {
                gather
                    .submit(2, eager(10), |items| async move { items })
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        leader.abort();
        let released = tokio::time::timeout(Duration::from_secs(5), follower).await;
        assert!(matches!(released, Ok(Ok(None))), "{released:?}");
        // The next caller leads again.
        let again = gather
            .submit(3, eager(10), |items| async move { items })
            .await;
        assert_eq!(again, Some(3));
    }

    #[tokio::test(start_paused = true)]
    async fn one_calls_many_items_count_as_one_call() {
        let gather: Arc<Gather<u32, usize>> = Arc::default();
        let patience = patient(50, 1);
        let run = |items: Vec<u32>| {
            let n = items.len();
            async move { vec![n; n] }
        };
        // One resource's 70 changes: batches of 50 and 20, each answering one call.
        let many = gather.submit_all((0..70).collect(), patience, run).await;
        assert_eq!(many.iter().filter(|a| **a == Some(50)).count(), 50);
        assert_eq!(many.iter().filter(|a| **a == Some(20)).count(), 20);
        // So a single call later does not wait for company it has never had.
        let start = tokio::time::Instant::now();
        assert_eq!(gather.submit(1, patience, run).await, Some(1));
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "{:?}",
            start.elapsed()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_patient_batch_waits_for_as_many_calls_as_it_has_seen() {
        let gather: Arc<Gather<u32, usize>> = Arc::default();
        let sizes = Arc::new(Mutex::new(Vec::new()));
        let patience = patient(100, 1);
        let call = |i: u32, delay_ms: u64| {
            let (gather, sizes) = (gather.clone(), sizes.clone());
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(delay_ms)).await;
                gather
                    .submit(i, patience, |items| {
                        sizes
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .push(items.len());
                        let n = items.len();
                        async move { vec![n; n] }
                    })
                    .await
            })
        };
        // Four arrive together: the first batch has four.
        let first: Vec<_> = (0..4).map(|i| call(i, 0)).collect();
        for c in first {
            assert_eq!(c.await.ok().flatten(), Some(4));
        }
        // Then four arrive 100 ms apart: the batch waits for all of them.
        let staggered: Vec<_> = (0..4).map(|i| call(i, 100 * u64::from(i))).collect();
        for c in staggered {
            assert_eq!(c.await.ok().flatten(), Some(4));
        }
        // Two only: the batch gives up once no call has arrived for its patience.
        let start = tokio::time::Instant::now();
        let few: Vec<_> = (0..2).map(|i| call(i, 0)).collect();
        for c in few {
            assert_eq!(c.await.ok().flatten(), Some(2));
        }
        assert!(start.elapsed() >= Duration::from_secs(1));
        assert_eq!(
            *sizes.lock().unwrap_or_else(PoisonError::into_inner),
            vec![4, 4, 2]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_batch_below_its_minimum_waits_for_calls_that_trickle_in() {
        let gather: Arc<Gather<u32, usize>> = Arc::default();
        // Calls 900 ms apart, as Terraform with a large state starts its changes.
        let calls: Vec<_> = (0..8u32)
            .map(|i| {
                let gather = gather.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(900 * u64::from(i))).await;
                    gather
                        .submit(i, patient(50, 6), |items| {
                            let n = items.len();
                            async move { vec![n; n] }
                        })
                        .await
                })
            })
            .collect();
        let mut sizes = Vec::new();
        for c in calls {
            sizes.push(c.await.ok().flatten());
        }
        // Six make a batch; the last two wait until no call has come for three gaps.
        assert_eq!(sizes, [6, 6, 6, 6, 6, 6, 2, 2].map(Some));
    }

    #[tokio::test(start_paused = true)]
    async fn calls_further_apart_than_the_patience_still_meet() {
        let gather: Arc<Gather<u32, usize>> = Arc::default();
        // 2.5 s apart against a patience of 2 s: Terraform with 16,000 resources in state.
        let calls: Vec<_> = (0..12u32)
            .map(|i| {
                let gather = gather.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(2500 * u64::from(i))).await;
                    let patience = Batching {
                        patience: Duration::from_secs(2),
                        ..patient(50, 6)
                    };
                    gather
                        .submit(i, patience, |items| {
                            let n = items.len();
                            async move { vec![n; n] }
                        })
                        .await
                })
            })
            .collect();
        let mut sizes = Vec::new();
        for c in calls {
            sizes.push(c.await.ok().flatten());
        }
        // The first, with no gap seen yet, goes after the patience; the rest wait for company.
        assert_eq!(sizes, [1, 6, 6, 6, 6, 6, 6, 5, 5, 5, 5, 5].map(Some));
    }

    #[test]
    fn the_patience_follows_the_gaps_within_bounds() {
        let b = patient(50, 6);
        assert_eq!(quiet_after(b, None), Duration::from_secs(1));
        assert_eq!(
            quiet_after(b, Some(Duration::from_millis(10))),
            Duration::from_secs(1)
        );
        assert_eq!(
            quiet_after(b, Some(Duration::from_millis(900))),
            Duration::from_millis(2700)
        );
        assert_eq!(
            quiet_after(b, Some(Duration::from_secs(60))),
            Duration::from_secs(4)
        );
        // A long pause counts as two patience periods.
        let after_pause = typical_gap(Some(Duration::ZERO), Duration::from_secs(60), b);
        assert_eq!(after_pause, Duration::from_millis(500));
        assert_eq!(
            quiet_after(eager(10), Some(Duration::from_secs(5))),
            Duration::ZERO
        );
    }
}
