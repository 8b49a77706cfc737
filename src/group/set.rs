//! [`TaskSet`]: a task group whose tasks share one output type, read as they complete.

use std::any::Any;
use std::boxed::Box;
use std::fmt;
use std::future::{poll_fn, Future};
use std::panic::{resume_unwind, Location};
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use super::member::{Outlet, OutletOf, TaskStatus};
use super::phase::Grace;
use super::queue::Completed;
use super::shared::{Cause, Core, FailureKind, Report, StopReason, LOST_TASK};
use super::spawner::{spawn_local_with_outlet, spawn_with_outlet, Limited};
use super::{until_deadline, TaskGroup};
use crate::live::Node;
use crate::rt::{LocalSpawn, Spawn};
use crate::sync::{AtomicBool, AtomicUsize, Ordering};
use crate::token::CancelToken;
use crate::TaskId;

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
///   After a cancellation, [`deadline_passed`](Self::deadline_passed) tells whether the
///   set's [deadline](Self::with_deadline) ended it.
/// * In a [supervised](Self::supervised) set, each `Some(Err(error))` in its place in the
///   completion order, and the set goes on.
/// * A task's panic is raised from `join_next` with a message that names the task: its spawn
///   index and where it was spawned (see [`join_next`](Self::join_next)).
///
/// [`try_join_next`](Self::try_join_next) gives the same without waiting, and
/// [`len`](Self::len) counts what is left to give.
///
/// # Cancellation
///
/// As for [`TaskGroup`]: the first `Err` (or panic) cancels every other task; a task spawned
/// once the set is cancelling is dropped unpolled; dropping the set cancels every task at once
/// without waiting. `join_next` and [`shutdown`](Self::shutdown) are cancel safe: an output or
/// error they would have returned stays queued for the next call.
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
    completed: Arc<SetQueue<T, E>>,
}

/// What the set's tasks hand to `join_next`, in the order they completed.
enum Handed<T, E> {
    Output(T),
    /// A task's error, in a supervised set.
    Error(E),
    /// A task's panic (a [`TaskPanic`] payload), in a supervised set.
    Panic(Box<dyn Any + Send + 'static>),
}

/// The set's queue, shared by its tasks and its spawners.
pub(super) struct SetQueue<T, E> {
    /// Each with the id of the task it comes from.
    completed: Completed<(TaskId, Handed<T, E>)>,
    /// A failure goes to the queue, for `join_next`, instead of cancelling the set.
    supervised: AtomicBool,
    /// How many tasks were spawned: the next task's index, for its panic's message.
    spawned: AtomicUsize,
}

impl<T, E> SetQueue<T, E> {
    fn new() -> Self {
        SetQueue {
            completed: Completed::new(),
            supervised: AtomicBool::new(false),
            spawned: AtomicUsize::new(0),
        }
    }
}

impl<T, E> Outlet for SetQueue<T, E> {
    /// The task's spawn index, for its panic's message.
    type Tag = usize;

    fn no_output(&self, _why: TaskStatus) {}

    fn label_panic(
        &self,
        index: usize,
        node: &Node,
        payload: Box<dyn Any + Send + 'static>,
    ) -> Box<dyn Any + Send + 'static> {
        Box::new(TaskPanic {
            index,
            spawned_at: node.spawned_at(),
            payload,
        })
    }
}

impl<T, E> OutletOf<T, E> for SetQueue<T, E> {
    fn output(&self, id: TaskId, output: T) {
        self.completed.push((id, Handed::Output(output)));
    }

    fn failure(&self, id: TaskId, cause: Cause<E>) -> Option<Cause<E>> {
        if !self.supervised.load(Ordering::Acquire) {
            return Some(cause);
        }
        match cause {
            Cause::Error(error) => self.completed.push((id, Handed::Error(error))),
            Cause::Panic(panic) => self.completed.push((id, Handed::Panic(panic))),
            // Not an outcome of the task's own: the set cannot report success.
            Cause::Lost => return Some(Cause::Lost),
        }
        None
    }
}

/// Which task of a set panicked: the payload a set task's panic travels in, from the task to
/// `join_next`, which raises a panic that names the task.
struct TaskPanic {
    index: usize,
    spawned_at: &'static Location<'static>,
    payload: Box<dyn Any + Send + 'static>,
}

/// Raises a set task's panic from `method`, with a message that names the task; a payload
/// that is not a set task's is resumed as it is.
fn raise(method: &str, payload: Box<dyn Any + Send + 'static>) -> ! {
    let panic = match payload.downcast::<TaskPanic>() {
        Ok(panic) => panic,
        Err(payload) => resume_unwind(payload),
    };
    let message = panic
        .payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| {
            panic
                .payload
                .downcast_ref::<std::string::String>()
                .map(|s| s.as_str())
        })
        .unwrap_or("(a payload that is not a string)");
    panic!(
        "`{method}`: task {} of the `TaskSet` (spawned at {}) panicked: {message}",
        panic.index, panic.spawned_at
    );
}

/// Spawns `future` into the set of `core`, numbered for its panic, its output going to `queue`;
/// returns its id (a new one if the set refused it).
fn spawn_labelled<S, T, E, F>(
    spawner: &S,
    core: &Arc<Core<E>>,
    queue: &Arc<SetQueue<T, E>>,
    future: F,
    spawned_at: &'static Location<'static>,
) -> TaskId
where
    S: Spawn,
    F: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    let index = queue.spawned.fetch_add(1, Ordering::Relaxed);
    spawn_with_outlet(
        spawner,
        core,
        future,
        queue,
        index,
        Limited::Counted,
        spawned_at,
    )
    .map_or_else(TaskId::next, |node| node.id())
}

/// [`spawn_labelled`] for a future that need not be `Send`, spawned with
/// [`LocalSpawn::spawn_local_detached`].
fn spawn_local_labelled<S, T, E, F>(
    spawner: &S,
    core: &Arc<Core<E>>,
    queue: &Arc<SetQueue<T, E>>,
    future: F,
    spawned_at: &'static Location<'static>,
) -> TaskId
where
    S: LocalSpawn,
    F: Future<Output = Result<T, E>> + 'static,
    T: 'static,
    E: Send + 'static,
{
    let index = queue.spawned.fetch_add(1, Ordering::Relaxed);
    spawn_local_with_outlet(
        spawner,
        core,
        future,
        queue,
        index,
        Limited::Counted,
        spawned_at,
    )
    .map_or_else(TaskId::next, |node| node.id())
}

/// What woke `join_next`.
enum Event<T> {
    Output(T),
    /// No task is running.
    Idle,
    /// The set started cancelling.
    Cancelling,
}

impl<S: Spawn, T: 'static, E: Send + 'static> TaskSet<S, T, E> {
    /// An empty set whose tasks run on `spawner`.
    ///
    /// A set created inside a task spawned through this crate belongs to that task, as a
    /// [`TaskGroup`] does.
    #[track_caller]
    pub fn new(spawner: S) -> Self {
        TaskSet {
            group: TaskGroup::new(spawner),
            completed: Arc::new(SetQueue::new()),
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
    /// If `limit` is zero.
    pub fn with_limit(self, limit: usize) -> Self {
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
    /// [`join_next`](Self::join_next). Returns the task's id, which
    /// [`join_next_with_id`](Self::join_next_with_id) gives with its result.
    ///
    /// Each task has an index, its place in the order of the set's spawns (from 0, those of
    /// its [`SetSpawner`]s included), and the place in the code where it was spawned: a panic
    /// of the task names both (see [`join_next`](Self::join_next)).
    ///
    /// # Cancellation
    ///
    /// Once the set is cancelling, `future` is dropped here without being polled (its id is
    /// returned all the same, and never seen again).
    #[track_caller]
    pub fn spawn<F>(&mut self, future: F) -> TaskId
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send,
    {
        spawn_labelled(
            &*self.group.spawner,
            &self.group.core,
            &self.completed,
            future,
            Location::caller(),
        )
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
    /// `None` when no task runs and nothing is left to read (see [`TaskSet`]). In a
    /// [supervised](Self::supervised) set, every error is handed over in its place in the
    /// completion order.
    ///
    /// If the set's [deadline](Self::with_deadline) passes while `join_next` waits, the set
    /// starts cancelling, as [`TaskGroup::join`] would; [`deadline_passed`](Self::deadline_passed)
    /// then says so.
    ///
    /// # Panics
    ///
    /// With a message that names the task (its index and where it was spawned, see
    /// [`spawn`](Self::spawn)) and quotes the task's own message: in a fail-fast set, once every
    /// task has stopped, if a task's panic was the set's first failure; in a supervised set, in
    /// the panicking task's place in the completion order (the set goes on, and a later call
    /// gives the next result). The task's own payload is not passed on beyond its text (a
    /// `&str` or `String` payload): a panic message can only come from a string payload, and
    /// the message is what tells which task it was. Panics as well if the set's first failure
    /// was a task its runtime dropped unfinished.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: an output is taken from the queue only in the `poll` that returns it. The
    /// grace period runs while `join_next` is awaited; a `join_next` dropped before it ended
    /// leaves the tasks running until the next call (or until the set is dropped).
    pub async fn join_next(&mut self) -> Option<Result<T, E>> {
        let (_, handed) = self.next_handed().await?;
        Some(hand_over("TaskSet::join_next", handed))
    }

    /// [`join_next`](Self::join_next), with the id of the task the result comes from (the id
    /// [`spawn`](Self::spawn) returned): tokio's `JoinSet::join_next_with_id`. A fail-fast
    /// set's error comes with the id of the task that failed.
    ///
    /// # Panics
    ///
    /// As [`join_next`](Self::join_next).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`join_next`](Self::join_next).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "tokio")]
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use cancel_cascade::rt::tokio::Tokio;
    /// use cancel_cascade::TaskSet;
    /// use std::collections::HashMap;
    ///
    /// let mut set = TaskSet::<_, (), String>::new(Tokio).supervised();
    /// let mut urls = HashMap::new();
    /// for url in ["a.example", "b.example"] {
    ///     let id = set.spawn(async move {
    ///         if url.starts_with('b') { Err(format!("{url}: timed out")) } else { Ok(()) }
    ///     });
    ///     urls.insert(id, url);
    /// }
    /// let mut failed = Vec::new();
    /// while let Some((id, result)) = set.join_next_with_id().await {
    ///     if result.is_err() {
    ///         failed.push(urls[&id]);
    ///     }
    /// }
    /// assert_eq!(failed, ["b.example"]);
    /// # });
    /// ```
    pub async fn join_next_with_id(&mut self) -> Option<(TaskId, Result<T, E>)> {
        let (id, handed) = self.next_handed().await?;
        Some((id, hand_over("TaskSet::join_next_with_id", handed)))
    }

    /// What the set's `join_next` waits for, now: see [`TaskGroup::waiting_for`].
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "tokio")]
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use cancel_cascade::rt::tokio::Tokio;
    /// use cancel_cascade::TaskSet;
    ///
    /// let mut set = TaskSet::<_, (), ()>::new(Tokio);
    /// let id = set.spawn(std::future::pending());
    /// assert_eq!(set.waiting_for().task_ids().collect::<Vec<_>>(), [id]);
    /// set.shutdown().await.unwrap();
    /// assert!(set.waiting_for().is_empty());
    /// # });
    /// ```
    pub fn waiting_for(&self) -> super::WaitingFor {
        self.group.waiting_for()
    }

    /// The next result if one is ready now, without waiting (tokio's `try_join_next`): the
    /// oldest output not read, a supervised set's next error, or a fail-fast set's error once
    /// every task has stopped; `None` if there is none yet, or nothing is left.
    ///
    /// A deadline or grace period that has passed is acted on, as `join_next` would: the
    /// deadline starts the cancellation, the end of the grace period drops the stragglers.
    ///
    /// # Panics
    ///
    /// As [`join_next`](Self::join_next).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "tokio")]
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use cancel_cascade::rt::tokio::Tokio;
    /// use cancel_cascade::TaskSet;
    ///
    /// let mut set = TaskSet::<_, u32, String>::new(Tokio);
    /// assert_eq!(set.try_join_next(), None); // nothing to read
    /// set.spawn(async { Ok(1) });
    /// while set.len() > 0 {
    ///     if let Some(result) = set.try_join_next() {
    ///         assert_eq!(result, Ok(1));
    ///     }
    ///     tokio::task::yield_now().await;
    /// }
    /// # });
    /// ```
    pub fn try_join_next(&mut self) -> Option<Result<T, E>> {
        let core = &self.group.core;
        let now = || self.group.spawner.now();
        match core.cancelling() {
            None => {
                if core.deadline().is_some_and(|deadline| now() >= deadline) {
                    core.cancel(StopReason::Deadline, now());
                }
            }
            Some(Grace::Until(end)) if !core.tasks_stopped() && now() >= end => core.stop_tasks(),
            Some(_) => {}
        }
        let (_, handed) = match self.completed.completed.try_pop() {
            Some(handed) => handed,
            // A task pushes its output before it stops: look once more, as `join_next` does.
            None if core.node.only_owner_left() => match self.completed.completed.try_pop() {
                Some(handed) => handed,
                None if core.cancelling().is_some() => {
                    reported("TaskSet::try_join_next", core.take_report())?
                }
                None => return None,
            },
            None => return None,
        };
        Some(hand_over("TaskSet::try_join_next", handed))
    }

    /// The next thing for the reader, not yet raised: see `join_next`.
    async fn next_handed(&mut self) -> Option<(TaskId, Handed<T, E>)> {
        let core = &self.group.core;
        let completed = &self.completed.completed;
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
            let spawner = &*self.group.spawner;
            let event = match (cancelling, core.deadline()) {
                (Some(Grace::Until(end)), _) if !core.tasks_stopped() => {
                    match until_deadline(spawner, end, next_event).await {
                        Some(event) => event,
                        None => {
                            core.stop_tasks();
                            continue;
                        }
                    }
                }
                (None, Some(deadline)) => match until_deadline(spawner, deadline, next_event).await
                {
                    Some(event) => event,
                    None => {
                        core.cancel(StopReason::Deadline, spawner.now());
                        continue;
                    }
                },
                _ => next_event.await,
            };
            match event {
                Event::Output(output) => return Some(output),
                Event::Cancelling => continue,
                // A failure that left no task running is seen here too: the group is
                // cancelling before the failing task stops.
                Event::Idle if core.cancelling().is_none() => return None,
                // Reported once; after that, the report is empty.
                Event::Idle => return reported("TaskSet::join_next", core.take_report()),
            }
        }
    }

    /// Supervises instead of failing fast (tokio's `JoinSet` does): a task that returns an
    /// error or panics does not cancel the others, and [`join_next`](Self::join_next) hands
    /// each failure over in its place in the completion order: `Some(Err(error))`, or a panic
    /// that names the task. The set ends only when every task has stopped and every result
    /// was read.
    ///
    /// # Cancellation
    ///
    /// Only [`cancel`](Self::cancel), [`shutdown`](Self::shutdown), the deadline, the
    /// [parent token](Self::with_token) or dropping the set cancel the tasks.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "tokio")]
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use cancel_cascade::rt::tokio::Tokio;
    /// use cancel_cascade::TaskSet;
    ///
    /// let mut set = TaskSet::<_, u32, String>::new(Tokio).supervised();
    /// set.spawn(async { Err("job 0 failed".to_string()) });
    /// set.spawn(async { Ok(1) }); // not cancelled by job 0's failure
    /// let mut results = Vec::new();
    /// while let Some(result) = set.join_next().await {
    ///     results.push(result);
    /// }
    /// results.sort();
    /// assert_eq!(results, [Ok(1), Err("job 0 failed".to_string())]);
    /// # });
    /// ```
    pub fn supervised(self) -> Self {
        self.completed.supervised.store(true, Ordering::Release);
        TaskSet {
            group: self.group.supervised(),
            completed: self.completed,
        }
    }

    /// A deadline for the whole set: when it passes, the set cancels its tasks (token, grace
    /// period, then drop) as [`TaskGroup::with_deadline`] does. `join_next` gives the outputs
    /// that came before (and those of the grace period), then `None` once every task has
    /// stopped; [`deadline_passed`](Self::deadline_passed) then tells this end from every
    /// task finishing. An error or panic that came first is reported as usual.
    ///
    /// The deadline is enforced while the set is waited for (`join_next`, `shutdown`, `ready`)
    /// and checked by `try_join_next`. `deadline` is on the spawner's clock
    /// ([`Spawn::now`]). Called again (or after [`with_timeout`](Self::with_timeout)), the
    /// last deadline given counts.
    ///
    /// # Cancellation
    ///
    /// As for [`cancel`](Self::cancel), from the moment the deadline passes.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "tokio")]
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use cancel_cascade::rt::tokio::Tokio;
    /// use cancel_cascade::rt::Spawn;
    /// use cancel_cascade::TaskSet;
    /// use std::time::Duration;
    ///
    /// let deadline = Tokio.now() + Duration::from_millis(20);
    /// let mut set = TaskSet::<_, u32, String>::new(Tokio).with_deadline(deadline);
    /// set.spawn(async { Ok(1) });
    /// set.spawn(std::future::pending()); // cancelled at the deadline
    /// assert_eq!(set.join_next().await, Some(Ok(1)));
    /// assert_eq!(set.join_next().await, None);
    /// assert!(set.deadline_passed());
    /// # });
    /// ```
    pub fn with_deadline(self, deadline: Instant) -> Self {
        TaskSet {
            group: self.group.with_deadline(deadline),
            completed: self.completed,
        }
    }

    /// [`with_deadline`](Self::with_deadline)`(now + timeout)`, `now` on the spawner's clock
    /// ([`Spawn::now`]); `Duration::MAX` sets no deadline (and clears one set before).
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
    /// let mut set = TaskSet::<_, u32, String>::new(Tokio).with_timeout(Duration::from_millis(20));
    /// set.spawn(std::future::pending());
    /// assert_eq!(set.join_next().await, None);
    /// assert!(set.deadline_passed());
    /// # });
    /// ```
    pub fn with_timeout(self, timeout: Duration) -> Self {
        TaskSet {
            group: self.group.with_timeout(timeout),
            completed: self.completed,
        }
    }

    /// Whether the set's [deadline](Self::with_deadline) passed and started its cancellation.
    /// After `join_next` gave `None`, `true` means the set ended at its deadline rather than
    /// with every task finished or [cancelled](Self::cancel).
    pub fn deadline_passed(&self) -> bool {
        self.group.core.stopped_by() == Some(StopReason::Deadline)
    }

    /// Cancels every task (after the grace period, if one is set), waits until all have
    /// stopped, drops the outputs not read, and returns the first error not read yet (tokio's
    /// `JoinSet::shutdown`, with the error kept): a fail-fast set's failure, or a supervised
    /// set's first error still queued. Afterwards the set is empty, takes no task, and
    /// `join_next` gives `None`.
    ///
    /// # Panics
    ///
    /// As [`join_next`](Self::join_next), once every task has stopped, if the first failure not
    /// read was a panic (a supervised set: any panic not read).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: the cancellation starts at the first poll and is not taken back; dropping
    /// the future after that leaves the set cancelling, its grace period running, and loses
    /// nothing: the outputs and errors are taken only in the poll that returns. A later
    /// `shutdown` returns what this one would have.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "tokio")]
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use cancel_cascade::rt::tokio::Tokio;
    /// use cancel_cascade::TaskSet;
    ///
    /// let mut set = TaskSet::<_, u32, String>::new(Tokio);
    /// set.spawn(std::future::pending());
    /// assert_eq!(set.shutdown().await, Ok(()));
    /// assert!(set.is_empty());
    /// # });
    /// ```
    pub async fn shutdown(&mut self) -> Result<(), E> {
        self.group.cancel();
        let report = self.group.wait().await;
        let (mut first_error, mut first_panic) = (None, None);
        while let Some((_, handed)) = self.completed.completed.try_pop() {
            match handed {
                Handed::Output(_) => {}
                Handed::Error(error) => {
                    first_error.get_or_insert(error);
                }
                Handed::Panic(panic) => {
                    first_panic.get_or_insert(panic);
                }
            }
        }
        match reported::<T, E>("TaskSet::shutdown", report) {
            Some((_, handed)) => hand_over("TaskSet::shutdown", handed).map(drop),
            None => match (first_panic, first_error) {
                (Some(panic), _) => raise("TaskSet::shutdown", panic),
                (None, Some(error)) => Err(error),
                (None, None) => Ok(()),
            },
        }
    }

    /// How many results the set still holds: its tasks not yet stopped (transitively, see
    /// [`TaskGroup::len`]) plus the results they left that were not read. Zero once
    /// `join_next` has nothing more to give, but for a fail-fast set's error, handed over
    /// once every task has stopped. A snapshot: a task that has just returned counts twice
    /// for a moment (its output is queued before it has stopped).
    pub fn len(&self) -> usize {
        self.group.len() + self.completed.completed.len()
    }

    /// Whether [`len`](Self::len) is zero.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The failure a report holds, with the id of the task that failed, for the reader; panics for
/// a task its runtime dropped.
fn reported<T, E>(method: &str, report: Report<E>) -> Option<(TaskId, Handed<T, E>)> {
    let handed = match report.first? {
        FailureKind::Error => {
            Handed::Error(report.errors.into_iter().next().expect("a recorded error"))
        }
        FailureKind::Panic => Handed::Panic(report.panic.expect("a recorded panic")),
        FailureKind::Lost => panic!("`{method}`: {LOST_TASK}"),
    };
    Some((
        report.failed.expect("a failure comes with its task"),
        handed,
    ))
}

/// What the reader gets: an output or an error, or the task's panic, raised from `method`.
fn hand_over<T, E>(method: &str, handed: Handed<T, E>) -> Result<T, E> {
    match handed {
        Handed::Output(output) => Ok(output),
        Handed::Error(error) => Err(error),
        Handed::Panic(panic) => raise(method, panic),
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
    completed: Arc<SetQueue<T, E>>,
}

impl<S: Spawn, T: 'static, E: Send + 'static> SetSpawner<S, T, E> {
    /// See [`TaskSet::spawn`].
    ///
    /// # Cancellation
    ///
    /// Once the set is cancelling, `future` is dropped here without being polled (its id is
    /// returned all the same, and never seen again).
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> TaskId
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send,
    {
        spawn_labelled(
            &*self.spawner,
            &self.core,
            &self.completed,
            future,
            Location::caller(),
        )
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

/// Tasks that need not be `Send`, on a spawner that runs them on its own thread
/// ([`LocalSpawn`]).
impl<S: Spawn + LocalSpawn, T: 'static, E: Send + 'static> TaskSet<S, T, E> {
    /// Spawns `future`, which need not be `Send`, as a task of the set, on the spawner's
    /// thread; its `Ok` output goes to [`join_next`](Self::join_next), and need not be `Send`
    /// either (the set then is not). In every other way as [`spawn`](Self::spawn) (see
    /// [`TaskGroup::spawn_local`]).
    ///
    /// # Cancellation
    ///
    /// Once the set is cancelling, `future` is dropped here without being polled (its id is
    /// returned all the same, and never seen again).
    ///
    /// # Panics
    ///
    /// Where the spawner's local spawn panics: `TokioLocal` outside a `LocalSet` (and outside
    /// a local runtime).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "tokio")]
    /// # {
    /// use cancel_cascade::rt::tokio::TokioLocal;
    /// use cancel_cascade::TaskSet;
    /// use std::rc::Rc;
    ///
    /// let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// let local = tokio::task::LocalSet::new();
    /// local.block_on(&runtime, async {
    ///     let mut set = TaskSet::<_, Rc<str>, String>::new(TokioLocal);
    ///     for name in ["a", "b"] {
    ///         set.spawn_local(async move {
    ///             tokio::task::yield_now().await;
    ///             Ok(Rc::from(name)) // an `Rc` output
    ///         });
    ///     }
    ///     let mut names = Vec::new();
    ///     while let Some(name) = set.join_next().await {
    ///         names.push(name.unwrap());
    ///     }
    ///     names.sort();
    ///     assert_eq!(names, [Rc::from("a"), Rc::from("b")]);
    /// });
    /// # }
    /// ```
    #[track_caller]
    pub fn spawn_local<F>(&mut self, future: F) -> TaskId
    where
        F: Future<Output = Result<T, E>> + 'static,
    {
        spawn_local_labelled(
            &*self.group.spawner,
            &self.group.core,
            &self.completed,
            future,
            Location::caller(),
        )
    }
}

/// Tasks that need not be `Send`, on a spawner that runs them on its own thread
/// ([`LocalSpawn`]).
impl<S: Spawn + LocalSpawn, T: 'static, E: Send + 'static> SetSpawner<S, T, E> {
    /// See [`TaskSet::spawn_local`]: from the spawner's thread (the set's own tasks, say).
    ///
    /// # Cancellation
    ///
    /// Once the set is cancelling, `future` is dropped here without being polled (its id is
    /// returned all the same, and never seen again).
    ///
    /// # Panics
    ///
    /// Where the spawner's local spawn panics: `TokioLocal` outside a `LocalSet`.
    #[track_caller]
    pub fn spawn_local<F>(&self, future: F) -> TaskId
    where
        F: Future<Output = Result<T, E>> + 'static,
    {
        spawn_local_labelled(
            &*self.spawner,
            &self.core,
            &self.completed,
            future,
            Location::caller(),
        )
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
