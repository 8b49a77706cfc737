//! Blocking work in a group: a closure on the runtime's blocking pool, as a task of the group.

use std::future::poll_fn;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::{Arc, PoisonError};
use std::task::{Poll, Waker};

use super::{GroupTask, TaskGroup};
use crate::live::Held;
use crate::rt::Spawn;
use crate::sync::Mutex;

/// Where the blocking closure leaves its outcome for the task that waits for it.
struct Outcome<R> {
    slot: Mutex<(Option<std::thread::Result<R>>, Option<Waker>)>,
}

impl<S, E> TaskGroup<S, E>
where
    S: Spawn + Send + Sync + 'static,
    E: Send + 'static,
{
    /// Runs the blocking closure `work` on the spawner's blocking pool
    /// ([`Spawn::spawn_blocking_detached`]: tokio's `spawn_blocking`, smol's `unblock`,
    /// async-std's `spawn_blocking`, a thread otherwise), as a task of the group: its `Ok`
    /// output comes out of the returned [`GroupTask`], its `Err` or panic fails the group like
    /// any task's.
    ///
    /// Blocking code cannot be stopped. When the group cancels its tasks, this one's result is
    /// discarded, but `join` waits until `work` has returned: nothing the group started is
    /// still running when `join` returns. The task holds a slot of the group's
    /// [limit](Self::with_limit) until it is cancelled or `work` returns.
    ///
    /// # Cancellation
    ///
    /// Into a group that is cancelling, `work` is dropped without being run. Cancelled before
    /// `work` started on the pool, it still runs (the pool has it), and is waited for.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "tokio")]
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use cancel_cascade::rt::tokio::Tokio;
    /// use cancel_cascade::TaskGroup;
    ///
    /// let mut group = TaskGroup::<_, std::io::Error>::new(Tokio);
    /// let checksum = group.spawn_blocking(|| {
    ///     // Stands for file I/O or a CPU-bound step that would stall the runtime's workers.
    ///     Ok((0..1_000u64).sum::<u64>())
    /// });
    /// assert_eq!(checksum.await, Some(499_500));
    /// group.join().await.unwrap();
    /// # });
    /// ```
    #[track_caller]
    pub fn spawn_blocking<W, T>(&mut self, work: W) -> GroupTask<T>
    where
        W: FnOnce() -> Result<T, E> + Send + 'static,
        T: Send + 'static,
    {
        let spawner = Arc::clone(&self.spawner);
        self.spawn(run_blocking(spawner, work))
    }
}

/// The group task of a blocking closure: hands the closure to the pool at its first poll, with
/// a count in the task's node, and waits for its outcome.
async fn run_blocking<S, W, R>(spawner: Arc<S>, work: W) -> R
where
    S: Spawn + Send + Sync + 'static,
    W: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let outcome = Arc::new(Outcome {
        slot: Mutex::new((None, None)),
    });
    // Taken while the task is being polled: the task counts as stopped only once `work`
    // has returned, whether or not its future was dropped before.
    let held = Held::current();
    let sender = Arc::clone(&outcome);
    spawner.spawn_blocking_detached(move || {
        let result = catch_unwind(AssertUnwindSafe(work));
        let waker = {
            let mut slot = sender.slot.lock().unwrap_or_else(PoisonError::into_inner);
            slot.0 = Some(result);
            slot.1.take()
        };
        if let Some(waker) = waker {
            crate::sync::wake(waker);
        }
        drop(held);
    });
    let result = poll_fn(|cx| {
        // Cloned before the lock is taken, and the waker it replaces dropped after.
        let waker = cx.waker().clone();
        let (result, replaced) = {
            let mut slot = outcome.slot.lock().unwrap_or_else(PoisonError::into_inner);
            match slot.0.take() {
                Some(result) => (Some(result), None),
                None => (None, slot.1.replace(waker)),
            }
        };
        drop(replaced);
        result.map_or(Poll::Pending, Poll::Ready)
    })
    .await;
    result.unwrap_or_else(|panic| resume_unwind(panic))
}
