//! [`TaskSet`]: a task group whose tasks share one output type, read as they complete.

use std::fmt;
use std::future::{poll_fn, Future};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use super::member::{Outlet, OutletOf};
use super::phase::Grace;
use super::queue::Completed;
use super::shared::{Core, StopReason};
use super::spawner::{spawn_with_outlet, Limited};
use super::{until_deadline, TaskGroup};
use crate::rt::Spawn;
use crate::token::CancelToken;

/// A [`TaskGroup`] whose tasks all return `Result<T, E>`, read in the order they complete with
/// [`join_next`](Self::join_next), while tasks keep being added: tokio's `JoinSet`, with the
/// group's fail-fast, transitive waiting and cancel-on-drop.
///
/// # Why a type of its own
///
/// A `TaskGroup` hands out one [`GroupTask`](crate::GroupTask) per task, because its tasks may
/// each return a different type; reading those in completion order would mean watching every
/// one of them. Here every task returns the same `T`, so every task pushes its output into one
/// queue shared by the set: a completion costs one short lock and one wake-up, whatever the
/// number of tasks, there is no per-task output slot to allocate, and `join_next` pops the
/// oldest output in O(1).
///
/// # What `join_next` gives
///
/// * `Some(Ok(output))`: the oldest output not read yet, as soon as the task that returned it
///   completed (its own children may still be stopping).
/// * `Some(Err(error))`, once: after a task failed, the set cancelled the others (after the
///   grace period, if one is set) and every task has stopped, transitively; outputs that
///   completed before come first. Nothing can be spawned into the set after that.
/// * `None`: no task is running, nor anything one of them spawned through this crate, and no
///   output is left to read. If the set is still open (no failure, no
///   [`cancel`](Self::cancel)), spawning more tasks makes `join_next` give their outputs.
///
/// # Cancellation
///
/// As for [`TaskGroup`]: the first `Err` (or panic) cancels every other task; a task spawned
/// once the set is cancelling is dropped unpolled; dropping the set cancels every task at once
/// without waiting. `join_next` is cancel safe: an output it would have returned stays queued.
///
/// # Examples
///
/// ```
/// # #[cfg(feature = "tokio")]
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use cancel_cascade::rt::tokio::Tokio;
/// use cancel_cascade::TaskSet;
/// use std::time::Duration;
///
/// let mut set = TaskSet::<_, u64, String>::new(Tokio);
/// for ms in [30, 10, 20] {
///     set.spawn(async move {
///         tokio::time::sleep(Duration::from_millis(ms)).await;
///         Ok(ms)
///     });
/// }
/// let mut seen = Vec::new();
/// while let Some(output) = set.join_next().await {
///     seen.push(output?);
/// }
/// assert_eq!(seen.len(), 3); // in the order they completed
/// # Ok::<(), String>(())
/// # }).unwrap();
/// ```
#[must_use = "dropping a `TaskSet` cancels its tasks; read them with `.join_next().await`"]
pub struct TaskSet<S, T, E> {
    group: TaskGroup<S, E>,
    completed: Arc<Completed<T>>,
}

impl<T> Outlet for Completed<T> {
    fn no_output(&self) {}
}

impl<T> OutletOf<T> for Completed<T> {
    fn output(&self, output: T) {
        self.push(output);
    }
}

/// What woke `join_next`.
enum Event<T> {
    Output(T),
    /// No task is running.
    Idle,
    /// The set started cancelling.
    Cancelling,
}

impl<S: Spawn, T: Send + 'static, E: Send + 'static> TaskSet<S, T, E> {
    /// An empty set whose tasks run on `spawner`.
    ///
    /// A set created inside a task spawned through this crate belongs to that task, as a
    /// [`TaskGroup`] does.
    pub fn new(spawner: S) -> Self {
        TaskSet {
            group: TaskGroup::new(spawner),
            completed: Arc::new(Completed::new()),
        }
    }

    /// See [`TaskGroup::with_grace_period`]; `join_next` ends the grace period.
    pub fn with_grace_period(self, grace_period: Duration) -> Self {
        TaskSet {
            group: self.group.with_grace_period(grace_period),
            completed: self.completed,
        }
    }

    /// Makes the set follow `parent`: cancelling `parent` cancels the set as
    /// [`cancel`](Self::cancel) does. See [`TaskGroup::with_token`].
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "tokio")]
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use cancel_cascade::rt::tokio::Tokio;
    /// use cancel_cascade::{CancelToken, TaskSet};
    ///
    /// let shutdown = CancelToken::new();
    /// let mut set = TaskSet::<_, u32, String>::new(Tokio).with_token(shutdown.clone());
    /// set.spawn(std::future::pending()); // dropped when `shutdown` is cancelled
    /// shutdown.cancel();
    /// assert_eq!(set.join_next().await, None);
    /// # });
    /// ```
    pub fn with_token(self, parent: CancelToken) -> Self
    where
        S: Send + Sync + 'static,
    {
        TaskSet {
            group: self.group.with_token(parent),
            completed: self.completed,
        }
    }

    /// See [`TaskGroup::with_limit`].
    ///
    /// # Panics
    ///
    /// If `limit` is zero, or the set already has a limit.
    pub fn with_limit(self, limit: usize) -> Self
    where
        S: Send + Sync + 'static,
    {
        TaskSet {
            group: self.group.with_limit(limit),
            completed: self.completed,
        }
    }

    /// The set's token: cancelled when the set starts cancelling its tasks.
    pub fn token(&self) -> CancelToken {
        self.group.token()
    }

    /// Spawns `future` as a task of the set; its `Ok` output goes to
    /// [`join_next`](Self::join_next).
    ///
    /// # Cancellation
    ///
    /// Once the set is cancelling, `future` is dropped here without being polled.
    pub fn spawn<F>(&mut self, future: F)
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
    {
        spawn_with_outlet(
            &*self.group.spawner,
            &self.group.core,
            future,
            &self.completed,
            Limited::Counted,
        );
    }

    /// See [`TaskGroup::ready`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn ready(&self) {
        self.group.ready().await;
    }

    /// A handle that spawns into this set from anywhere (a producer task, the set's own tasks)
    /// while [`join_next`](Self::join_next) reads: `Clone + Send + Sync`. See [`SetSpawner`].
    pub fn spawner(&self) -> SetSpawner<S, T, E> {
        SetSpawner {
            spawner: Arc::clone(&self.group.spawner),
            core: Arc::clone(&self.group.core),
            completed: Arc::clone(&self.completed),
        }
    }

    /// Starts the cancellation without waiting and without an error, as
    /// [`TaskGroup::cancel`]; `join_next` then gives the outputs of tasks that still complete
    /// (during the grace period), then `None` once every task has stopped.
    pub fn cancel(&self) {
        self.group.cancel();
    }

    /// The next output in completion order, the first error once every task has stopped, or
    /// `None` when no task runs and nothing is left to read (see [`TaskSet`]).
    ///
    /// # Panics
    ///
    /// Once every task has stopped: resumes the panic of a task whose panic was the set's
    /// first failure; panics if that was a task its runtime dropped unfinished.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: an output is taken from the queue only in the `poll` that returns it. The
    /// grace period runs while `join_next` is awaited; a `join_next` dropped before it ended
    /// leaves the tasks running until the next call (or until the set is dropped).
    pub async fn join_next(&mut self) -> Option<Result<T, E>> {
        let core = &self.group.core;
        let completed = &self.completed;
        loop {
            let cancelling = core.cancelling();
            let next_event = poll_fn(|cx| {
                if let Poll::Ready(output) = completed.poll_pop(cx) {
                    return Poll::Ready(Event::Output(output));
                }
                core.node.register_owner(cx.waker());
                if core.node.only_owner_left() {
                    // A task pushes its output before it stops: look once more.
                    return Poll::Ready(match completed.try_pop() {
                        Some(output) => Event::Output(output),
                        None => Event::Idle,
                    });
                }
                if cancelling.is_none() && core.cancelling().is_some() {
                    return Poll::Ready(Event::Cancelling);
                }
                Poll::Pending
            });
            let event = match cancelling {
                Some(Grace::Until(end)) if !core.tasks_stopped() => {
                    match until_deadline(&*self.group.spawner, end, next_event).await {
                        Some(event) => event,
                        None => {
                            core.stop_tasks();
                            continue;
                        }
                    }
                }
                _ => next_event.await,
            };
            match event {
                Event::Output(output) => return Some(Ok(output)),
                Event::Cancelling => continue,
                // A failure that left no task running is seen here too: the group is
                // cancelling before the failing task stops.
                Event::Idle if core.cancelling().is_none() => return None,
                // Reported once; after that, the report is empty.
                Event::Idle => {
                    let report = core.take_report();
                    return report.first_failure("TaskSet::join_next").err().map(Err);
                }
            }
        }
    }
}

/// Spawns tasks into a [`TaskSet`] from anywhere, as the set's own `spawn` does; made by
/// [`TaskSet::spawner`]. Cheap to clone, `Send` and `Sync`.
///
/// # Cancellation
///
/// Once the set is cancelling, `spawn` drops its future unpolled. Holding a `SetSpawner` keeps
/// no task alive and no `join_next` waiting.
pub struct SetSpawner<S, T, E> {
    spawner: Arc<S>,
    core: Arc<Core<E>>,
    completed: Arc<Completed<T>>,
}

impl<S: Spawn, T: Send + 'static, E: Send + 'static> SetSpawner<S, T, E> {
    /// See [`TaskSet::spawn`].
    ///
    /// # Cancellation
    ///
    /// Once the set is cancelling, `future` is dropped here without being polled.
    pub fn spawn<F>(&self, future: F)
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
    {
        spawn_with_outlet(
            &*self.spawner,
            &self.core,
            future,
            &self.completed,
            Limited::Counted,
        );
    }

    /// See [`TaskGroup::ready`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn ready(&self) {
        self.core.ready().await;
    }

    /// Whether the set still admits tasks (it is not cancelling). A `true` may be out of date
    /// by the time it is read.
    pub fn is_open(&self) -> bool {
        !self.core.is_closed()
    }

    /// Starts the set's cancellation and returns at once, as [`TaskSet::cancel`] does, from
    /// anywhere (a task of the set that makes the others useless). See
    /// [`GroupSpawner::cancel`](crate::GroupSpawner::cancel).
    ///
    /// # Cancellation
    ///
    /// As for `TaskSet::cancel`: `join_next` gives the outputs of the tasks that still
    /// complete, then `None` once every task has stopped.
    pub fn cancel(&self) {
        self.core.cancel(StopReason::Cancel, self.spawner.now());
    }
}

impl<S, T, E> Clone for SetSpawner<S, T, E> {
    fn clone(&self) -> Self {
        SetSpawner {
            spawner: Arc::clone(&self.spawner),
            core: Arc::clone(&self.core),
            completed: Arc::clone(&self.completed),
        }
    }
}

impl<S: fmt::Debug, T, E> fmt::Debug for SetSpawner<S, T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SetSpawner")
            .field("spawner", &self.spawner)
            .field("open", &!self.core.is_closed())
            .finish()
    }
}

impl<S: fmt::Debug, T, E> fmt::Debug for TaskSet<S, T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskSet")
            .field("group", &self.group)
            .finish_non_exhaustive()
    }
}
