//! `TaskGroup`: spawn tasks, and on the first failure cancel the rest and wait until they, and
//! everything they spawned, have stopped.

use std::boxed::Box;
use std::fmt;
use std::future::{poll_fn, Future};
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_util::task::AtomicWaker;
use pin_project::pin_project;

use crate::live::{Node, Tracked};
use crate::rt::Spawn;
use crate::token::{CancelToken, Cancelled};

/// Tasks that succeed together or stop together: on the first error (or panic), every other
/// task is cancelled, and [`join`](Self::join) returns only once all of them, and every task
/// they spawned through this crate, have stopped.
///
/// This is Python's `asyncio.TaskGroup` and trio's nursery, on any runtime: `S` is the
/// runtime's unit struct (`rt::tokio::Tokio`, `rt::smol::Smol`,
/// `rt::async_std::AsyncStd`) or any other [`Spawn`] implementor, and `E`
/// is the one error type of the group's tasks (each task's `Ok` type is its own).
///
/// # Cancellation
///
/// * On the first `Err` (or panic) of a task, the group cancels every other task at once:
///   it cancels its [token](Self::token) and, without a grace period, drops every task's future
///   right away (each on its own thread, at its next poll).
/// * With a [grace period](Self::with_grace_period), tasks get that long to finish on their own
///   after the token is cancelled (to run async cleanup after `token.cancelled().await`);
///   whatever still runs when it is over is dropped.
/// * [`join`](Self::join) and [`shutdown`](Self::shutdown) return only once every task has
///   stopped: its future has been dropped, its destructors have finished, and so has every task
///   it spawned through this crate (a [`TaskHandle`](crate::TaskHandle) it held, a nested
///   `TaskGroup`), at any depth. A detached task is not waited for.
/// * Dropping the group, or a `join()`/`shutdown()` future before it finished, cancels every
///   task at once, without a grace period and without waiting.
///
/// # How "stopped" is known
///
/// Every task spawned through this crate carries a node of a spawn tree: the node counts one
/// while the task's future is alive and one per live child node, and tells its parent when its
/// count reaches zero. A task spawned (or a group created) while another task is being polled
/// becomes that task's child. The group has a node too; `join` waits until only the group's own
/// count is left. No polling, no timers: the last destructor to finish wakes the group.
///
/// # Compared with
///
/// asyncio's `TaskGroup`, trio's nurseries and tokio's `JoinSet`, point by point: see the
/// [crate docs](crate#structured-concurrency).
///
/// # Examples
///
/// ```
/// # #[cfg(feature = "tokio")]
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use cancel_cascade::rt::tokio::Tokio;
/// use cancel_cascade::TaskGroup;
///
/// let mut group = TaskGroup::new(Tokio);
/// let sum = group.spawn(async { Ok((1..=10).sum::<u32>()) });
/// group.spawn(async { Ok(()) });
/// group.join().await?;
/// assert_eq!(sum.await, Some(55));
///
/// let mut group = TaskGroup::new(Tokio);
/// group.spawn(async { Err::<(), _>("disk full") });
/// group.spawn(std::future::pending::<Result<(), &str>>()); // cancelled, then waited for
/// assert_eq!(group.join().await, Err("disk full"));
/// # Ok::<(), &str>(())
/// # }).unwrap();
/// ```
#[must_use = "dropping a `TaskGroup` cancels its tasks; call `.join().await` to wait for them"]
pub struct TaskGroup<S, E> {
    spawner: S,
    shared: Arc<Shared<E>>,
    grace_period: Option<Duration>,
}

/// What a group and its tasks share.
struct Shared<E> {
    /// The group's own count plus one per live task (transitively).
    node: Arc<Node>,
    /// Cancelled first, for cooperative cleanup; handed out by `token()`.
    token: CancelToken,
    /// Cancelled when the tasks must stop now: every task drops its future.
    hard_stop: CancelToken,
    failure: Mutex<Option<Failure<E>>>,
}

/// The first failure of the group, and when it happened (the grace period counts from there).
struct Failure<E> {
    cause: Cause<E>,
    at: Instant,
}

enum Cause<E> {
    Error(E),
    Panic(Box<dyn std::any::Any + Send + 'static>),
    /// No task failed: `shutdown()` asked.
    Shutdown,
}

impl<E> Shared<E> {
    /// Records the first failure and starts the cancellation; later failures are dropped.
    fn fail(&self, cause: Cause<E>, grace_period: Option<Duration>) {
        {
            let mut failure = self.failure.lock().unwrap_or_else(PoisonError::into_inner);
            if failure.is_some() {
                return;
            }
            *failure = Some(Failure {
                cause,
                at: Instant::now(),
            });
        }
        self.token.cancel();
        if grace_period.is_none() {
            self.hard_stop.cancel();
        }
        self.node.wake_owner();
    }

    fn failed_at(&self) -> Option<Instant> {
        self.failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map(|failure| failure.at)
    }

    fn take_cause(&self) -> Option<Cause<E>> {
        self.failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .map(|failure| failure.cause)
    }
}

impl<S: Spawn, E: Send + 'static> TaskGroup<S, E> {
    /// An empty group whose tasks run on `spawner`; cancellation drops them at once.
    ///
    /// A group dropped inside a task spawned through this crate (its tasks still running) is
    /// waited for by that task: the task counts as stopped only once the group's tasks have
    /// stopped. A group that leaves a task in its output belongs to whoever receives it (see
    /// [`TaskHandle`](crate::TaskHandle)'s `# Cancellation`).
    ///
    /// Created inside a task of another group (at any depth of spawned tasks), the group's
    /// [token](Self::token) is a child of that group's token: the outer group's cancellation
    /// reaches this group's tasks at once, within the outer grace period.
    pub fn new(spawner: S) -> Self {
        let (node, token) = Node::for_group();
        TaskGroup {
            spawner,
            shared: Arc::new(Shared {
                node,
                token,
                hard_stop: CancelToken::new(),
                failure: Mutex::new(None),
            }),
            grace_period: None,
        }
    }

    /// Gives the tasks `grace_period` to finish on their own once the group's
    /// [token](Self::token) is cancelled; the tasks still running after that are dropped.
    ///
    /// Set it before spawning: a task takes the group's grace period when it is spawned.
    pub fn with_grace_period(mut self, grace_period: Duration) -> Self {
        self.grace_period = Some(grace_period);
        self
    }

    /// The group's token: cancelled when the group starts cancelling its tasks (first failure,
    /// `shutdown`, drop). A task awaits `token.cancelled()` to clean up within the grace period.
    pub fn token(&self) -> CancelToken {
        self.shared.token.clone()
    }

    /// Spawns `future` as a task of the group.
    ///
    /// The returned [`GroupTask`] yields the task's `Ok` output; dropping it does *not* cancel
    /// the task, which belongs to the group. If the task returns `Err` or panics, the group
    /// cancels every other task and [`join`](Self::join) returns that error (or resumes that
    /// panic) once they have all stopped.
    ///
    /// A task spawned after the group started cancelling is cancelled like the others (without
    /// a grace period, it is dropped without being polled).
    pub fn spawn<F, T>(&mut self, future: F) -> GroupTask<T>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
    {
        let output = Arc::new(OutputSlot {
            value: Mutex::new(Slot::Running),
            waker: AtomicWaker::new(),
        });
        let task = Member {
            future: Some(future),
            hard_stop: self.shared.hard_stop.cancelled(),
            shared: Arc::clone(&self.shared),
            output: Arc::clone(&output),
            grace_period: self.grace_period,
        };
        let node = Node::new(Some(Arc::clone(&self.shared.node)));
        self.spawner.spawn_detached(Tracked::new(Some(node), task));
        GroupTask { output }
    }

    /// Waits for every task; on the first failure, cancels the others and returns the error
    /// once every task has stopped (transitively, see [`TaskGroup`]).
    ///
    /// # Panics
    ///
    /// Resumes the panic of a task that panicked (the first failure), once every task has
    /// stopped.
    ///
    /// # Cancel safety
    ///
    /// Dropping the returned future drops the group: every task is cancelled, and not waited
    /// for.
    pub async fn join(self) -> Result<(), E> {
        let shared = Arc::clone(&self.shared);
        poll_fn(|cx| {
            shared.node.register_owner(cx.waker());
            if shared.failed_at().is_some() || shared.node.only_owner_left() {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await;
        self.stop_and_wait().await
    }

    /// Cancels every task (after the grace period, if one is set) and waits until all have
    /// stopped. An earlier failure of a task is dropped (a panic is resumed).
    ///
    /// # Panics
    ///
    /// Resumes the panic of a task that panicked before or during the shutdown.
    ///
    /// # Cancel safety
    ///
    /// Dropping the returned future drops the group: the tasks still running are dropped at
    /// their next poll, and not waited for.
    pub async fn shutdown(self) {
        self.shared.fail(Cause::Shutdown, self.grace_period);
        // Errors are what a shutdown discards; panics are not.
        let _ = self.stop_and_wait().await;
    }

    /// Stops every task (if a failure started it) and waits; then reports the failure.
    async fn stop_and_wait(self) -> Result<(), E> {
        if let (Some(failed_at), Some(grace_period)) = (self.shared.failed_at(), self.grace_period)
        {
            let node = &self.shared.node;
            let all_stopped = poll_fn(|cx| node.poll_only_owner_left(cx));
            let deadline = failed_at + grace_period;
            // The tasks still running when the grace period is over are dropped below.
            let _ = crate::time::timeout_at_on(&self.spawner, deadline, all_stopped).await;
            self.shared.hard_stop.cancel();
        }
        poll_fn(|cx| self.shared.node.poll_only_owner_left(cx)).await;
        match self.shared.take_cause() {
            None | Some(Cause::Shutdown) => Ok(()),
            Some(Cause::Error(error)) => Err(error),
            Some(Cause::Panic(panic)) => resume_unwind(panic),
        }
    }
}

impl<S, E> Drop for TaskGroup<S, E> {
    fn drop(&mut self) {
        self.shared.token.cancel();
        self.shared.hard_stop.cancel();
        self.shared.node.release_owner();
    }
}

impl<S: fmt::Debug, E> fmt::Debug for TaskGroup<S, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroup")
            .field("spawner", &self.spawner)
            .field("grace_period", &self.grace_period)
            .field("all_stopped", &self.shared.node.only_owner_left())
            .field("cancelled", &self.shared.token.is_cancelled())
            .finish_non_exhaustive()
    }
}

/// A task of a [`TaskGroup`]: the group's spawned future, stopped by the group.
#[pin_project(PinnedDrop)]
struct Member<F, T, E> {
    #[pin]
    future: Option<F>,
    hard_stop: Cancelled,
    shared: Arc<Shared<E>>,
    output: Arc<OutputSlot<T>>,
    grace_period: Option<Duration>,
}

impl<F, T, E> Future for Member<F, T, E>
where
    F: Future<Output = Result<T, E>>,
{
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut this = self.project();
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            return Poll::Ready(());
        };
        let outcome = if Pin::new(this.hard_stop).poll(cx).is_ready() {
            None
        } else {
            match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
                Ok(Poll::Pending) => return Poll::Pending,
                Ok(Poll::Ready(outcome)) => Some(Ok(outcome)),
                Err(panic) => Some(Err(panic)),
            }
        };
        // Dropped here rather than with the task, so that a destructor's panic is the task's
        // panic too (unless it already panicked).
        let outcome = match catch_unwind(AssertUnwindSafe(|| this.future.set(None))) {
            Err(panic) if !matches!(outcome, Some(Err(_))) => Some(Err(panic)),
            _ => outcome,
        };
        let slot = match outcome {
            Some(Ok(Ok(value))) => Slot::Done(value),
            Some(Ok(Err(error))) => {
                this.shared.fail(Cause::Error(error), *this.grace_period);
                Slot::Gone
            }
            Some(Err(panic)) => {
                this.shared.fail(Cause::Panic(panic), *this.grace_period);
                Slot::Gone
            }
            None => Slot::Gone,
        };
        this.output.finish(slot);
        Poll::Ready(())
    }
}

#[pin_project::pinned_drop]
impl<F, T, E> PinnedDrop for Member<F, T, E> {
    fn drop(self: Pin<&mut Self>) {
        // Dropped unfinished (by the runtime, or the group's spawner refused it): the output
        // will never come.
        if self.future.is_some() {
            self.output.finish(Slot::Gone);
        }
    }
}

/// Where a group task leaves its output for its [`GroupTask`].
struct OutputSlot<T> {
    value: Mutex<Slot<T>>,
    waker: AtomicWaker,
}

enum Slot<T> {
    Running,
    Done(T),
    /// Failed, cancelled, or already taken.
    Gone,
}

impl<T> OutputSlot<T> {
    fn finish(&self, slot: Slot<T>) {
        *self.value.lock().unwrap_or_else(PoisonError::into_inner) = slot;
        self.waker.wake();
    }

    fn poll_take(&self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.waker.register(cx.waker());
        let mut value = self.value.lock().unwrap_or_else(PoisonError::into_inner);
        match std::mem::replace(&mut *value, Slot::Gone) {
            Slot::Running => {
                *value = Slot::Running;
                Poll::Pending
            }
            Slot::Done(output) => Poll::Ready(Some(output)),
            Slot::Gone => Poll::Ready(None),
        }
    }
}

/// The output of one task of a [`TaskGroup`], returned by [`TaskGroup::spawn`].
///
/// Awaiting it gives `Some(output)` once the task returned `Ok`, and `None` if it failed,
/// panicked or was cancelled. After a successful [`join`](TaskGroup::join), every task
/// returned `Ok`, so every `GroupTask` resolves at once to `Some`.
///
/// Dropping it does not cancel the task: the group owns its tasks.
pub struct GroupTask<T> {
    output: Arc<OutputSlot<T>>,
}

impl<T> fmt::Debug for GroupTask<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupTask").finish_non_exhaustive()
    }
}

impl<T> Future for GroupTask<T> {
    type Output = Option<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.output.poll_take(cx)
    }
}
