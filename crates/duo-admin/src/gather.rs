//! Gathering concurrent requests into batches. Terraform calls the provider once per resource,
//! ten at a time; a [`Gather`] lets those calls meet so that one Duo request can answer many.
//!
//! The first caller to find no batch in the making leads: it waits [`GATHER`] for companions
//! (and, when the caller allows some patience, until as many are pending as were ever seen at
//! once, Terraform's parallelism learned, for as long as calls keep arriving), then runs
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

/// A place where concurrent calls with items `I` meet and get answers `O`.
pub struct Gather<I, O> {
    state: Mutex<State<I, O>>,
}

struct State<I, O> {
    pending: Vec<(I, oneshot::Sender<O>)>,
    leading: bool,
    /// The most calls ever pending at once.
    peak: usize,
    /// When the latest call arrived.
    arrived: Option<tokio::time::Instant>,
}

impl<I, O> Default for Gather<I, O> {
    fn default() -> Self {
        Gather {
            state: Mutex::new(State {
                pending: Vec::new(),
                leading: false,
                peak: 0,
                arrived: None,
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
    /// calls as were ever pending at once, as long as no gap between arrivals exceeds
    /// `patience` (and at most [`MAX_WAIT_GAPS`] times it). Terraform starts each creation
    /// only after finishing another, so in a large state they trickle in; waiting for them
    /// costs little, since Terraform is busy finishing the previous ones meanwhile. `None` when
    /// the leader was cancelled before answering; the caller may simply ask again.
    pub async fn submit<F, Fut>(
        &self,
        item: I,
        max: usize,
        (window, patience): (Duration, Duration),
        mut run: F,
    ) -> Option<O>
    where
        F: FnMut(Vec<I>) -> Fut,
        Fut: Future<Output = Vec<O>>,
    {
        let (tx, rx) = oneshot::channel();
        let lead = {
            let mut s = self.lock();
            s.pending.push((item, tx));
            s.arrived = Some(tokio::time::Instant::now());
            !std::mem::replace(&mut s.leading, true)
        };
        if lead {
            let mut guard = Leading {
                gather: self,
                done: false,
            };
            loop {
                self.wait_for_company(max, window, patience).await;
                let batch: Vec<(I, oneshot::Sender<O>)> = {
                    let mut s = self.lock();
                    if s.pending.is_empty() {
                        s.leading = false;
                        guard.done = true;
                        break;
                    }
                    let n = s.pending.len().min(max.max(1));
                    s.peak = s.peak.max(n);
                    s.pending.drain(..n).collect()
                };
                let (items, senders): (Vec<I>, Vec<_>) = batch.into_iter().unzip();
                let answers = run(items).await;
                for (tx, answer) in senders.into_iter().zip(answers) {
                    // A caller that went away no longer needs its answer.
                    let _ = tx.send(answer);
                }
            }
        }
        rx.await.ok()
    }

    async fn wait_for_company(&self, max: usize, window: Duration, patience: Duration) {
        tokio::time::sleep(window).await;
        let deadline = tokio::time::Instant::now() + patience * MAX_WAIT_GAPS;
        loop {
            let (pending, peak, arrived) = {
                let s = self.lock();
                (s.pending.len(), s.peak, s.arrived)
            };
            let now = tokio::time::Instant::now();
            let quiet = arrived.is_none_or(|t| now.duration_since(t) >= patience);
            if pending == 0 || pending >= peak.min(max) || quiet || now >= deadline {
                return;
            }
            tokio::time::sleep(PATIENCE_STEP).await;
        }
    }
}

/// What a batch gives each of its calls: an answer, or word that the call is not worth
/// batching (or its batch was refused as a whole) and is to be sent alone.
pub enum Batched<O> {
    Done(O),
    Alone,
}

impl<I: Clone, O> Gather<I, Batched<O>> {
    /// [`Gather::submit`], asked again when a cancelled leader left the batch unanswered (at
    /// most three times; `None` after that).
    pub async fn submit_batched<F, Fut>(
        &self,
        item: I,
        max: usize,
        timing: (Duration, Duration),
        mut run: F,
    ) -> Option<Batched<O>>
    where
        F: FnMut(Vec<I>) -> Fut,
        Fut: Future<Output = Vec<Batched<O>>>,
    {
        for _ in 0..3 {
            if let Some(answer) = self.submit(item.clone(), max, timing, &mut run).await {
                return Some(answer);
            }
        }
        None
    }
}

/// A patient batch waits at most this many `patience` periods in all.
pub const MAX_WAIT_GAPS: u32 = 10;

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

    #[tokio::test]
    async fn concurrent_calls_share_batches_and_get_their_own_answers() {
        let gather: Arc<Gather<u32, u32>> = Arc::default();
        let batches = Arc::new(AtomicUsize::new(0));
        let calls = (0..25u32).map(|i| {
            let (gather, batches) = (gather.clone(), batches.clone());
            tokio::spawn(async move {
                gather
                    .submit(i, 10, (GATHER, Duration::ZERO), |items| {
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
                    .submit(1, 10, (GATHER, Duration::ZERO), |_| {
                        std::future::pending::<Vec<u32>>()
                    })
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(1)).await;
        let follower = {
            let gather = gather.clone();
            tokio::spawn(async move {
                gather
                    .submit(
                        2,
                        10,
                        (Duration::ZERO, Duration::ZERO),
                        |items| async move { items },
                    )
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        leader.abort();
        let released = tokio::time::timeout(Duration::from_secs(5), follower).await;
        assert!(matches!(released, Ok(Ok(None))), "{released:?}");
        // The next caller leads again.
        let again = gather
            .submit(
                3,
                10,
                (Duration::ZERO, Duration::ZERO),
                |items| async move { items },
            )
            .await;
        assert_eq!(again, Some(3));
    }

    #[tokio::test(start_paused = true)]
    async fn a_patient_batch_waits_for_as_many_calls_as_it_has_seen() {
        let gather: Arc<Gather<u32, usize>> = Arc::default();
        let sizes = Arc::new(Mutex::new(Vec::new()));
        let patience = (GATHER, Duration::from_secs(1));
        let call = |i: u32, delay_ms: u64| {
            let (gather, sizes) = (gather.clone(), sizes.clone());
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(delay_ms)).await;
                gather
                    .submit(i, 100, patience, |items| {
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
}
