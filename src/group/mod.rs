//! `TaskGroup`: spawn tasks, and on the first failure cancel the rest and wait until they, and
//! everything they spawned, have stopped.

mod blocking;
mod errors;
mod follow;
mod hard_stop;
pub(crate) mod limit;
mod member;
pub(crate) mod phase;
pub(crate) mod queue;
mod set;
mod shared;
mod spawner;
mod started;
mod waiting;

use std::fmt;
use std::future::{poll_fn, Future};
use std::panic::resume_unwind;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

pub use self::errors::GroupErrors;
use self::follow::Following;
pub use self::member::{GroupTask, TaskStatus};
use self::phase::Grace;
pub use self::set::{SetSpawner, TaskSet};
use self::shared::{Core, FailureKind, Limit, Progress, Report, StopReason, LOST_TASK};
pub use self::spawner::GroupSpawner;
use self::spawner::{spawn_into, spawn_local_into, Limited};
use self::started::StartSlot;
pub use self::started::Started;
pub use self::waiting::WaitingFor;
use crate::rt::{LocalSpawn, Spawn};
use crate::token::CancelToken;

/// Tasks that succeed together or stop together: on the first error (or panic), every other
/// task is cancelled, and [`join`](Self::join) returns only once all of them, and every task
/// they spawned through this crate, have stopped.
///
/// What a tokio `JoinSet` does for a set of tasks, plus fail-fast and a wait that reaches what
/// the tasks spawned, on any runtime (asyncio's `TaskGroup` and trio's nursery play this part
/// there): `S` is the runtime's unit struct
/// (`rt::tokio::Tokio`, `rt::smol::Smol`, `rt::async_std::AsyncStd`) or any other [`Spawn`]
/// implementor, and `E` is the one error type of the group's tasks (each task's `Ok` type is
/// its own).
///
/// # Cancellation
///
/// * On the first `Err` (or panic) of a task, the group cancels every other task at once:
///   it cancels its [token](Self::token) and, without a grace period, drops every task's future
///   right away (each on its own thread, at its next poll).
/// * With a [grace period](Self::with_grace_period), tasks get that long to finish on their own
///   after the token is cancelled (to run async cleanup after `token.cancelled().await`);
///   whatever still runs when it is over is dropped.
/// * A task spawned once the group is cancelling (or has finished) is dropped unpolled: its
///   [`GroupTask`] resolves to `None`.
/// * [`join`](Self::join) and [`shutdown`](Self::shutdown) return only once every task has
///   stopped: its future has been dropped, its destructors have finished, and so has every task
///   it spawned through this crate (a [`TaskHandle`](crate::TaskHandle) it held, a nested
///   `TaskGroup`), at any depth. A detached task is not waited for.
/// * Dropping the group cancels every task at once, without a grace period and without
///   waiting. Dropping a `join()` (or `join_outcome()`, `join_all_errors()`, `shutdown()`)
///   future before it finished cancels nothing: see [Joining](#joining).
/// * A task its runtime drops before it finished (the runtime shut down, or a [`Spawn`] that
///   refused it) while the group is running is a failure of the group: the others are
///   cancelled, and `join` panics once they have stopped, rather than report a success for work
///   that never ended. (Once the group is cancelling, every task is on its way out: a task
///   dropped then is not reported.)
/// * A destructor that panics is its task's panic, reported as above, also for a task dropped
///   unstarted while it waited for a slot of a [limited](Self::with_limit) group: it never
///   unwinds through the code that dropped the task (a failing sibling, `cancel`, the group's
///   drop, [`GroupTask::cancel`]).
///
/// # Operations
///
/// | to | use |
/// |---|---|
/// | spawn from inside a task (a crawler) | [`spawner`](Self::spawner), a [`GroupSpawner`] |
/// | read results as they complete | a [`TaskSet`] (tasks of one output type) |
/// | cancel without leaving, then join | [`cancel`](Self::cancel), then [`join`](Self::join) |
/// | cancel and wait, keeping the first error | [`shutdown`](Self::shutdown) |
/// | every error, not just the first | [`join_all_errors`](Self::join_all_errors), a [`GroupErrors`] |
/// | a deadline for the whole group | [`with_deadline`](Self::with_deadline), [`join_outcome`](Self::join_outcome) |
/// | stop one task | [`GroupTask::cancel`] |
/// | at most n tasks at once | [`with_limit`](Self::with_limit), [`ready`](Self::ready) |
/// | failures that do not cancel the others | [`supervised`](Self::supervised) |
/// | wait until a task is ready | [`start`](Self::start), [`Started`] |
/// | see what a `join` that hangs waits for | [`waiting_for`](Self::waiting_for), a [`WaitingFor`] |
///
/// # Joining
///
/// [`join`](Self::join), [`join_outcome`](Self::join_outcome),
/// [`join_all_errors`](Self::join_all_errors) and [`shutdown`](Self::shutdown) borrow the group
/// (`&mut self`) and are cancel safe: a join future dropped before it completes (the branch of
/// a `select!` that lost) cancels nothing and loses nothing. The tasks run on, the group still
/// takes new tasks, and a later call returns what the dropped one would have, the first error
/// or panic included. What a dropped join had set going goes on: a `shutdown` that was polled
/// started the cancellation, and a deadline or grace period that passed while it waited was
/// acted on (the group's deadline cancels it whoever waits).
///
/// Once a join has completed, the group is *joined*: every task has stopped, the
/// [token](Self::token) is cancelled, and the group takes no new task (`spawn` drops its future
/// unpolled, its [`GroupTask`] gives `None`). Every later join returns at once: the failure was
/// handed to the join that completed, so `join`, `join_all_errors` and `shutdown` return
/// `Ok(())`, and `join_outcome` returns `Ok` with how the group ended
/// ([`GroupOutcome::Finished`] after a failure). To run more tasks, make a new group.
///
/// ## A service that stops on a signal
///
/// Race `join` against the shutdown signal; if the signal wins, the dropped join gave up
/// nothing: [`cancel`](Self::cancel) starts the grace period, and a second `join` waits until
/// every task (and everything they spawned through this crate) has stopped, and reports an
/// error a task returned meanwhile:
///
/// ```
/// # #[cfg(feature = "tokio")]
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use cancel_cascade::rt::tokio::Tokio;
/// use cancel_cascade::{CancelToken, TaskGroup};
/// use std::time::Duration;
///
/// let shutdown = CancelToken::new(); // cancelled by a signal handler
/// let mut group = TaskGroup::<_, std::io::Error>::new(Tokio)
///     .with_grace_period(Duration::from_secs(10));
/// for _ in 0..4 {
///     let token = group.token();
///     group.spawn(async move {
///         token.cancelled().await; // serve until the group stops, then drain
///         Ok(())
///     });
/// }
/// shutdown.cancel(); // here, at once
/// let outcome = tokio::select! {
///     outcome = group.join() => outcome, // a task failed, or all finished
///     _ = shutdown.cancelled() => {
///         group.cancel();
///         group.join().await
///     }
/// };
/// assert!(outcome.is_ok());
/// # });
/// ```
///
/// [`with_token`](Self::with_token) does the same without the `select!`: the group is
/// cancelled when the service's root token is.
///
/// # Builders
///
/// [`with_grace_period`](Self::with_grace_period), [`with_deadline`](Self::with_deadline),
/// [`with_timeout`](Self::with_timeout), [`with_limit`](Self::with_limit),
/// [`with_token`](Self::with_token) and [`supervised`](Self::supervised) may be called in any
/// order; one called twice (or `with_deadline` and `with_timeout` together) takes the last
/// value given.
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
/// tokio's `JoinSet`, asyncio's `TaskGroup`, trio's nurseries and Go's `errgroup`, point by
/// point: see the [crate docs](crate#structured-concurrency).
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
    spawner: Arc<S>,
    core: Arc<Core<E>>,
    /// The parent token given to `with_token`, while it can still cancel the group.
    following: Option<Following>,
}

/// Every timer of the group (grace period, deadline), on the spawner's timer (tokio's for
/// `Tokio`), `deadline` being on the spawner's clock: `future`'s output, or `None` once
/// `deadline` has passed (then `future` has been dropped).
async fn until_deadline<S: Spawn, F: Future>(
    spawner: &S,
    deadline: Instant,
    future: F,
) -> Option<F::Output> {
    crate::time::timeout_at_on(spawner, deadline, future)
        .await
        .ok()
}

/// Waits until a task spawned now would start at once; if the group's deadline passes first,
/// starts the cancellation, as `join` would at that moment.
async fn ready_by_deadline<S: Spawn, E: Send>(spawner: &S, core: &Core<E>) {
    let Some(deadline) = core.deadline() else {
        return core.ready().await;
    };
    if until_deadline(spawner, deadline, core.ready())
        .await
        .is_none()
    {
        core.cancel(StopReason::Deadline, spawner.now());
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
    /// reaches this group's tasks at once, within the outer grace period. And when the outer
    /// group stops its tasks (at once without a grace period, or at the end of one), this group
    /// is cancelled and stops its own tasks first, before the outer token reaches them: a task
    /// of this group that the outer cancellation wakes finds itself stopped, and runs no
    /// cleanup that the outer group gave no time for. `join` then returns `Ok(())`, as after
    /// [`cancel`](Self::cancel), unless a task had failed.
    ///
    /// This holds wherever this group is by then: handed from a task to another, or out of
    /// the outer group in a task's output, it stays in the outer group's scope. An outer group
    /// whose tasks have all stopped (it finished on its own, or a `TaskSet` was read until
    /// `None`) stops nothing when it is joined or dropped, so a group handed out of it runs on
    /// (dropping the outer group still cancels its token, and this group's with it). An outer
    /// group dropped before its tasks have stopped is a cancellation: `join` it first to hand
    /// such a group out for good.
    #[track_caller]
    pub fn new(spawner: S) -> Self {
        TaskGroup {
            spawner: Arc::new(spawner),
            core: Core::new(),
            following: None,
        }
    }

    /// Gives the tasks `grace_period` to finish on their own once the group's
    /// [token](Self::token) is cancelled; the tasks still running after that are dropped.
    ///
    /// The grace period in force when the cancellation starts is the one that counts, from
    /// that moment (on the spawner's clock, [`Spawn::now`]), even if `join` starts later. A
    /// grace period too long to end (`Duration::MAX`) means no limit: the tasks are waited for
    /// until they finish on their own.
    pub fn with_grace_period(self, grace_period: Duration) -> Self {
        self.core.set_grace_period(Some(grace_period));
        self
    }

    /// Makes the group follow `parent` (a service's root shutdown token): the group's
    /// [token](Self::token) becomes a child of `parent`, and cancelling `parent` cancels the
    /// group exactly as [`cancel`](Self::cancel) does: the token, the grace period, then the
    /// stragglers are dropped; `join` waits for every task and gives `Ok(())`
    /// ([`GroupOutcome::Cancelled`]), unless a task failed.
    ///
    /// The group is cancelled inside `parent.cancel()`, on the thread that calls it, whether or
    /// not anything awaits the group: the tasks see the group's token at once, and a `join`
    /// waiting is woken (one started later finds the group cancelling). A `parent` cancelled
    /// already cancels the group here. Cancelling the group, or its token, never cancels
    /// `parent`.
    ///
    /// A group created inside a task of another group (see [`new`](Self::new)) keeps following
    /// that enclosing group as well: it is cancelled by whichever comes first, `parent` or the
    /// enclosing group's cancellation, and the enclosing group's hard stop still stops it
    /// first. Called again, the last `parent` given is the one followed. Once the group is
    /// joined or dropped, `parent` keeps nothing of it.
    ///
    /// # Cancellation
    ///
    /// As for [`cancel`](Self::cancel), from the moment `parent` is cancelled; the grace
    /// period counts from then, on the spawner's clock.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "tokio")]
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use cancel_cascade::rt::tokio::Tokio;
    /// use cancel_cascade::{CancelToken, GroupOutcome, TaskGroup};
    /// use std::time::Duration;
    ///
    /// let shutdown = CancelToken::new(); // the service's root token
    /// let mut group = TaskGroup::<_, String>::new(Tokio)
    ///     .with_grace_period(Duration::from_secs(10))
    ///     .with_token(shutdown.clone());
    /// let token = group.token();
    /// let drained = group.spawn(async move {
    ///     token.cancelled().await;
    ///     Ok("drained")
    /// });
    /// shutdown.cancel(); // from a signal handler, say
    /// assert_eq!(group.join_outcome().await, Ok(GroupOutcome::Cancelled));
    /// assert_eq!(drained.await, Some("drained"));
    /// # });
    /// ```
    pub fn with_token(mut self, parent: CancelToken) -> Self
    where
        S: Send + Sync + 'static,
    {
        // The replaced registration, if any, leaves its token's list here.
        self.following = None;
        self.following = Following::start(&parent, &self.spawner, &self.core);
        self
    }

    /// A deadline for the whole group (trio's `move_on_after`): when it passes, the group
    /// cancels its tasks (token, grace period, then drop), waits until every one of them has
    /// stopped, transitively, and reports that the deadline passed:
    /// [`join_outcome`](Self::join_outcome) gives [`GroupOutcome::DeadlinePassed`], and
    /// [`join`](Self::join) gives `Ok(())`, as for any cancellation without an error. A task
    /// that fails before the deadline, or during the grace period, makes them return its error.
    ///
    /// The deadline is enforced while the group is waited for (`join`, `join_outcome`,
    /// `join_all_errors`, [`start`](Self::start) waiting for its task to be ready, and
    /// [`ready`](Self::ready) waiting for a slot): a `join` that starts after the deadline
    /// cancels at once. This is not a `timeout(join())`, which would return while the tasks
    /// still run.
    ///
    /// `deadline` is a time on the spawner's clock ([`Spawn::now`]): the system's, or tokio's
    /// for `Tokio`, which tokio's paused test clock moves (there, take it from `Spawn::now` or
    /// use [`with_timeout`](Self::with_timeout)).
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
    /// use cancel_cascade::{GroupOutcome, TaskGroup};
    /// use std::time::{Duration, Instant};
    ///
    /// let mut group = TaskGroup::<_, ()>::new(Tokio)
    ///     .with_deadline(Instant::now() + Duration::from_millis(20));
    /// group.spawn(std::future::pending::<Result<(), ()>>()); // cancelled at the deadline
    /// assert_eq!(group.join_outcome().await, Ok(GroupOutcome::DeadlinePassed));
    /// # });
    /// ```
    pub fn with_deadline(self, deadline: Instant) -> Self {
        self.core.set_deadline(Some(deadline));
        self
    }

    /// [`with_deadline`](Self::with_deadline)`(now + timeout)`, `now` on the spawner's clock
    /// ([`Spawn::now`]). A timeout too long to end (`Duration::MAX`) sets no deadline.
    pub fn with_timeout(self, timeout: Duration) -> Self {
        let deadline = self.spawner.now().checked_add(timeout);
        self.core.set_deadline(deadline);
        self
    }

    /// Supervises instead of failing fast (Kotlin's `supervisorScope`, `JoinSet`'s default): a
    /// task that fails or panics does not cancel the others. [`join`](Self::join) waits until
    /// every task has stopped, then returns the first error;
    /// [`join_all_errors`](Self::join_all_errors) returns every error, in the order the tasks
    /// returned them. A panic is still resumed once every task has stopped, by `join` too, even
    /// if another task returned an error first: nothing was cancelled, so a panic is never a
    /// side effect of a failure, and it is never dropped.
    ///
    /// # Cancellation
    ///
    /// Only [`cancel`](Self::cancel), `shutdown`, the deadline or dropping the group cancel
    /// the tasks.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "tokio")]
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use cancel_cascade::rt::tokio::Tokio;
    /// use cancel_cascade::TaskGroup;
    ///
    /// let mut group = TaskGroup::new(Tokio).supervised();
    /// group.spawn(async { Err::<(), _>("job 1 failed") });
    /// let slow = group.spawn(async {
    ///     tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    ///     Ok("job 2 done") // not cancelled by job 1's failure
    /// });
    /// group.spawn(async { Err::<(), _>("job 3 failed") });
    /// let errors = group.join_all_errors().await.unwrap_err();
    /// assert_eq!(errors.len(), 2);
    /// assert_eq!(slow.await, Some("job 2 done"));
    /// # });
    /// ```
    pub fn supervised(self) -> Self {
        self.core.set_supervised();
        self
    }

    /// At most `limit` of the group's tasks run at once (Go's `errgroup.SetLimit`): `spawn`
    /// never blocks; a task spawned while `limit` run waits for a slot, and the waiting tasks
    /// get their slots in spawn order, each as soon as a running task stops. A waiting task is
    /// already on its runtime: it waits at its first poll, before its future is polled, and
    /// is woken when its slot comes. For a producer that must not queue without bound,
    /// [`ready`](Self::ready) waits for a free slot.
    ///
    /// Tasks spawned before the limit was set do not count against it: set it first. Called
    /// again, the last limit given counts: a higher one starts as many waiting tasks as it
    /// allows, at once; a lower one stops no running task, and the waiting ones start once
    /// fewer than it run.
    ///
    /// # Cancellation
    ///
    /// When the group starts cancelling, the tasks still waiting for a slot are dropped at
    /// once, never polled (their `GroupTask`s give `None`): each is already on its runtime,
    /// waiting at its first poll, and is woken to drop its future. The running ones are
    /// cancelled as usual. A task that fails starts no waiting task.
    ///
    /// # Panics
    ///
    /// If `limit` is zero (no task could ever run).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "tokio")]
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use cancel_cascade::rt::tokio::Tokio;
    /// use cancel_cascade::TaskGroup;
    /// use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    /// use std::sync::Arc;
    ///
    /// let mut group = TaskGroup::<_, ()>::new(Tokio).with_limit(2);
    /// let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    /// for _ in 0..10 {
    ///     group.ready().await; // at most 2 running, none queued, when this returns
    ///     let (running, most) = (Arc::clone(&running), Arc::clone(&most));
    ///     group.spawn(async move {
    ///         most.fetch_max(running.fetch_add(1, SeqCst) + 1, SeqCst);
    ///         tokio::task::yield_now().await;
    ///         running.fetch_sub(1, SeqCst);
    ///         Ok(())
    ///     });
    /// }
    /// group.join().await.unwrap();
    /// assert!(most.load(SeqCst) <= 2);
    /// # });
    /// ```
    pub fn with_limit(self, limit: usize) -> Self {
        assert!(
            limit > 0,
            "`TaskGroup::with_limit`: a limit of zero tasks would never run any"
        );
        if let Err(new) = self.core.limit.set(Arc::new(Limit::new(limit))) {
            drop(new);
            let existing = self.core.limit.get().expect("the limit was just found set");
            existing.set_limit(limit);
        }
        self
    }

    /// Waits until a task spawned now would start at once: fewer tasks than the
    /// [limit](Self::with_limit) run and none waits for a slot. Returns at once in a group
    /// without a limit, and in a group that is cancelling (where `spawn` drops its future).
    ///
    /// Another producer may take the slot first; `ready` only bounds the queue, it reserves
    /// nothing.
    ///
    /// If the group's [deadline](Self::with_deadline) passes while `ready` waits, the group
    /// starts cancelling, as `join` would at that moment, and `ready` returns.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the returned future gives up nothing.
    pub async fn ready(&self) {
        ready_by_deadline(&*self.spawner, &self.core).await;
    }

    /// The group's token: cancelled when the group starts cancelling its tasks (first failure,
    /// [`cancel`](Self::cancel), `shutdown`, drop). A task awaits `token.cancelled()` to clean
    /// up within the grace period.
    pub fn token(&self) -> CancelToken {
        self.core.token.clone()
    }

    /// How many of the group's tasks have not stopped yet: running, waiting for a slot of the
    /// [limit](Self::with_limit), or stopping (a task counts until its future is dropped and
    /// everything it spawned through this crate has stopped). A snapshot: tasks stop on their
    /// own threads meanwhile.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "tokio")]
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use cancel_cascade::rt::tokio::Tokio;
    /// use cancel_cascade::TaskGroup;
    ///
    /// let mut group = TaskGroup::<_, ()>::new(Tokio);
    /// group.spawn(std::future::pending::<Result<(), ()>>());
    /// assert_eq!(group.len(), 1);
    /// group.cancel();
    /// group.join().await.unwrap();
    /// assert!(group.is_empty());
    /// # });
    /// ```
    pub fn len(&self) -> usize {
        // The group's own count, plus one per task not yet stopped.
        self.core.node.count().saturating_sub(1)
    }

    /// Whether every task of the group has stopped ([`len`](Self::len) is zero).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// What [`join`](Self::join) waits for, now: every task not yet stopped under the group, at
    /// any depth of the spawn tree, each with its [`TaskId`](crate::TaskId) and the place in
    /// the code where it was spawned. A snapshot; its `Display` prints an indented tree.
    ///
    /// Under each task are the tasks it spawned through this crate and still runs (a
    /// [`TaskHandle`](crate::TaskHandle) it holds, a group it created, with that group's
    /// tasks) and those it waits for since it dropped them. While a `join` borrows the group,
    /// ask a [`GroupSpawner`] ([`GroupSpawner::waiting_for`], from a watchdog task), or take
    /// it in the timer's branch of a `select!` between `join` and a timer: `join` is cancel
    /// safe, so the next `join` takes up where the dropped one was.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "tokio")]
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use cancel_cascade::rt::tokio::{self as rt, Tokio};
    /// use cancel_cascade::TaskGroup;
    /// use std::time::Duration;
    ///
    /// let mut group = TaskGroup::<_, ()>::new(Tokio);
    /// let stuck = group.spawn(async {
    ///     let inner = rt::spawn(std::future::pending::<()>());
    ///     inner.await;
    ///     Ok(())
    /// });
    /// tokio::select! {
    ///     _ = group.join() => unreachable!("the inner task never ends"),
    ///     _ = tokio::time::sleep(Duration::from_millis(50)) => {}
    /// }
    /// let waiting = group.waiting_for();
    /// assert_eq!(waiting.len(), 2); // the group's task and the task it awaits
    /// let tree = waiting.to_string();
    /// assert!(tree.starts_with(&format!("task {} spawned at ", stuck.id())));
    /// println!("{tree}");
    /// group.shutdown().await.unwrap();
    /// assert!(group.waiting_for().is_empty());
    /// # });
    /// ```
    pub fn waiting_for(&self) -> WaitingFor {
        WaitingFor::under(&self.core.node)
    }

    /// Spawns `future` as a task of the group.
    ///
    /// The returned [`GroupTask`] yields the task's `Ok` output; dropping it does *not* cancel
    /// the task, which belongs to the group. If the task returns `Err` or panics, the group
    /// cancels every other task and [`join`](Self::join) returns that error (or resumes that
    /// panic) once they have all stopped.
    ///
    /// # Cancellation
    ///
    /// Once the group is cancelling, `future` is dropped here without being polled, and the
    /// returned `GroupTask` resolves to `None`: nothing spawned after a failure ever runs.
    #[track_caller]
    pub fn spawn<F, T>(&mut self, future: F) -> GroupTask<T>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
    {
        spawn_into(&*self.spawner, &self.core, future, Limited::Counted)
    }

    /// Spawns `future` as a task of the group that does not count against its
    /// [limit](Self::with_limit): it starts at once, whatever runs or waits for a slot, and
    /// takes no slot from the tasks that do. For the tasks that serve the others rather than
    /// being the work that the limit bounds: an accept loop, a signal watcher, a progress
    /// reporter.
    ///
    /// In every other way it is a task of the group, as with [`spawn`](Self::spawn): its
    /// failure fails the group, the group's cancellation (token, grace period, drop) stops it,
    /// and `join` waits for it. In a group without a limit it is the same as `spawn`.
    ///
    /// # Cancellation
    ///
    /// As for [`spawn`](Self::spawn): into a group that is cancelling, `future` is dropped
    /// unpolled.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "tokio")]
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use cancel_cascade::rt::tokio::Tokio;
    /// use cancel_cascade::TaskGroup;
    /// use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    /// use std::sync::Arc;
    ///
    /// let mut group = TaskGroup::<_, ()>::new(Tokio).with_limit(1);
    /// // A watcher that runs until the group stops, beside the work.
    /// let token = group.token();
    /// group.spawn_outside_limit(async move {
    ///     token.cancelled().await;
    ///     Ok(())
    /// });
    /// // The watcher holds no slot: the one slot goes to the handler.
    /// let handled = group.spawn(async { Ok(42) });
    /// assert_eq!(handled.await, Some(42));
    /// group.shutdown().await.unwrap();
    /// # });
    /// ```
    #[track_caller]
    pub fn spawn_outside_limit<F, T>(&mut self, future: F) -> GroupTask<T>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
    {
        spawn_into(&*self.spawner, &self.core, future, Limited::Exempt)
    }

    /// Spawns a task and waits until it reports that it is ready (trio's `nursery.start`):
    /// `task` receives a [`Started`], and `start` returns `Some(value)` as soon as the task
    /// calls [`started`](Started::started)`(value)`, while the task runs on in the group.
    /// If the task stops first (it failed, which fails the group as usual, or returned, or the
    /// group cancelled it), `start` returns `None` once it has stopped. If the group's
    /// [deadline](Self::with_deadline) passes first, the group starts cancelling, as `join`
    /// would at that moment, and `start` returns `None` at once (`join` waits for the task).
    /// In a group with a [grace period](Self::with_grace_period), `start` returns as soon as
    /// the group is cancelling, `None` unless the task reported first: only `join` ends a
    /// grace period, and it cannot run while `start` holds the group.
    ///
    /// # Cancellation
    ///
    /// Dropping the returned future does not cancel the task, which belongs to the group; only
    /// the value is given up. Into a group that is cancelling, the task is dropped unpolled and
    /// `start` returns `None` at once.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe for the value: dropping the returned future before it completes loses
    /// the value the task reports (the task itself runs on, and `join` waits for it as usual).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "tokio")]
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use cancel_cascade::rt::tokio::Tokio;
    /// use cancel_cascade::TaskGroup;
    ///
    /// let mut group = TaskGroup::<_, String>::new(Tokio);
    /// let token = group.token();
    /// let port = group
    ///     .start(|started| async move {
    ///         started.started(8080); // bound: the caller may connect now
    ///         token.cancelled().await; // serve until the group stops
    ///         Ok(())
    ///     })
    ///     .await;
    /// assert_eq!(port, Some(8080));
    /// group.shutdown().await.unwrap();
    ///
    /// let mut group = TaskGroup::<_, String>::new(Tokio);
    /// let port: Option<u16> = group
    ///     .start(|_started| async { Err("address in use".to_string()) })
    ///     .await;
    /// assert_eq!(port, None);
    /// assert_eq!(group.join().await, Err("address in use".to_string()));
    /// # });
    /// ```
    pub async fn start<V, F, Fut>(&mut self, task: F) -> Option<V>
    where
        F: FnOnce(Started<V>) -> Fut,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        V: Send + 'static,
    {
        let (slot, started) = StartSlot::new();
        let mut stopped = self.spawn(task(started));
        let core = &self.core;
        let ready_or_stopped = poll_fn(|cx| {
            if let Poll::Ready(value) = slot.poll_take(cx) {
                return Poll::Ready(Some(value));
            }
            if Pin::new(&mut stopped).poll(cx).is_ready() {
                // `started` may have been called just before the task stopped.
                return Poll::Ready(slot.take());
            }
            // Within a grace period the task may run on until `join` ends it, and `join`
            // cannot run while `start` holds the group: the wait is `join`'s from here.
            core.node.register_owner(cx.waker());
            match core.cancelling() {
                Some(Grace::Until(_) | Grace::Unbounded) => Poll::Ready(slot.take()),
                _ => Poll::Pending,
            }
        });
        let Some(deadline) = self.core.deadline() else {
            return ready_or_stopped.await;
        };
        match until_deadline(&*self.spawner, deadline, ready_or_stopped).await {
            Some(value) => value,
            None => {
                // As `join` would at the deadline; `join` waits for the task.
                self.core.cancel(StopReason::Deadline, self.spawner.now());
                slot.take()
            }
        }
    }

    /// A handle that spawns into this group from anywhere, the group's own tasks included;
    /// `join` waits for the tasks it spawns too. See [`GroupSpawner`].
    pub fn spawner(&self) -> GroupSpawner<S, E> {
        GroupSpawner::new(&self.spawner, &self.core)
    }

    /// Starts the group's cancellation and returns at once: the [token](Self::token) is
    /// cancelled, the tasks get the grace period (if one is set), then whatever still runs is
    /// dropped. No error is recorded: [`join`](Self::join) afterwards returns `Ok(())` once
    /// every task has stopped, unless a task had failed already or fails during the grace
    /// period. Calling it again, or after a failure, does nothing.
    ///
    /// This is how a service races its group against a shutdown signal and still joins it:
    /// see [A service that stops on a signal](Self#a-service-that-stops-on-a-signal).
    ///
    /// # Cancellation
    ///
    /// Without a grace period every task is dropped at its next poll. With one, the grace
    /// period ends while [`join`](Self::join) (or [`shutdown`](Self::shutdown)) is awaited:
    /// that is where the stragglers are dropped. From now on, `spawn` drops its future unpolled.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "tokio")]
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use cancel_cascade::rt::tokio::Tokio;
    /// use cancel_cascade::TaskGroup;
    /// use std::time::Duration;
    ///
    /// let mut group = TaskGroup::<_, &str>::new(Tokio).with_grace_period(Duration::from_secs(5));
    /// let token = group.token();
    /// let worker = group.spawn(async move {
    ///     token.cancelled().await; // the shutdown signal
    ///     Ok("drained")
    /// });
    /// group.cancel();
    /// assert_eq!(group.join().await, Ok(()));
    /// assert_eq!(worker.await, Some("drained"));
    /// # });
    /// ```
    pub fn cancel(&self) {
        self.core.cancel(StopReason::Cancel, self.spawner.now());
    }

    /// Waits for every task; on the first failure, cancels the others and returns the error
    /// once every task has stopped (transitively, see [`TaskGroup`]).
    ///
    /// Once it has returned, the group is joined: see [Joining](Self#joining) for what a
    /// later call returns.
    ///
    /// # Panics
    ///
    /// Resumes the panic of a task that panicked (the first failure; in a
    /// [supervised](Self::supervised) group, the first panic, even after an error), once every
    /// task has stopped. Panics if the first failure was a task that its runtime dropped before
    /// it finished (see [`TaskGroup`]).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the returned future before it completes cancels nothing and loses
    /// nothing; the tasks run on, and the next join returns what this one would have. It can
    /// be raced in `select!` against a shutdown signal (see [`TaskGroup`]).
    pub async fn join(&mut self) -> Result<(), E> {
        self.wait().await.first_failure("TaskGroup::join")
    }

    /// [`join`](Self::join), also telling how a group without a failure ended: every task
    /// finished, it was [cancelled](Self::cancel), or its [deadline](Self::with_deadline)
    /// passed.
    ///
    /// # Panics
    ///
    /// As [`join`](Self::join).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`join`](Self::join).
    pub async fn join_outcome(&mut self) -> Result<GroupOutcome, E> {
        let report = self.wait().await;
        let outcome = match report.stopped_by {
            None | Some(StopReason::Failure) => GroupOutcome::Finished,
            Some(StopReason::Cancel) => GroupOutcome::Cancelled,
            Some(StopReason::Deadline) => GroupOutcome::DeadlinePassed,
        };
        report
            .first_failure("TaskGroup::join_outcome")
            .map(|()| outcome)
    }

    /// [`join`](Self::join), reporting every error instead of the first: the first error first,
    /// then those the tasks returned while the group was cancelling (during the grace period).
    ///
    /// # Panics
    ///
    /// Once every task has stopped: resumes the first panic of a task if any task panicked
    /// (before or after the first error); panics if a task was dropped unfinished by its
    /// runtime.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`join`](Self::join): an error is taken from the group only by the call
    /// that returns it.
    pub async fn join_all_errors(&mut self) -> Result<(), GroupErrors<E>> {
        self.wait().await.every_error("TaskGroup::join_all_errors")
    }

    /// Cancels every task (after the grace period, if one is set), waits until all have
    /// stopped, and returns the first error a task returned, before or during the shutdown.
    ///
    /// # Panics
    ///
    /// Resumes the panic of a task that panicked before or during the shutdown, if that was
    /// the first failure; panics if that was a task dropped unfinished by its runtime.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: the cancellation starts at the first poll (as [`cancel`](Self::cancel)), and
    /// a cancellation once started is not taken back; dropping the future after that leaves
    /// the group cancelling, its grace period running, and loses nothing: the next `join` or
    /// `shutdown` waits for the tasks and returns the error this one would have.
    pub async fn shutdown(&mut self) -> Result<(), E> {
        self.core.cancel(StopReason::Cancel, self.spawner.now());
        self.wait().await.first_failure("TaskGroup::shutdown")
    }

    /// Waits until the group is finished or cancelling, stops every task (at the end of the
    /// grace period, if one is set) and waits until all have stopped; then reports.
    async fn wait(&mut self) -> Report<E> {
        let core = &self.core;
        let finished_or_cancelling = poll_fn(|cx| {
            core.node.register_owner(cx.waker());
            match core.progress() {
                Progress::Running => Poll::Pending,
                progress => Poll::Ready(progress),
            }
        });
        let progress = match core.deadline() {
            None => finished_or_cancelling.await,
            Some(deadline) => {
                match until_deadline(&*self.spawner, deadline, finished_or_cancelling).await {
                    Some(progress) => progress,
                    None => {
                        core.cancel(StopReason::Deadline, self.spawner.now());
                        core.progress()
                    }
                }
            }
        };
        if let Progress::Cancelling { grace } = progress {
            let all_stopped = poll_fn(|cx| core.node.poll_only_owner_left(cx));
            // The tasks still running when the grace period is over are dropped below.
            match grace {
                Grace::None => {}
                Grace::Until(end) => {
                    let _ = until_deadline(&*self.spawner, end, all_stopped).await;
                }
                Grace::Unbounded => all_stopped.await,
            }
        }
        // A group that finished on its own has no task to stop, and a group created inside one
        // of its tasks that is still running was handed on (in a task's output): not stopped.
        if !matches!(progress, Progress::Idle) {
            core.stop_tasks();
        }
        poll_fn(|cx| core.node.poll_only_owner_left(cx)).await;
        let report = core.take_report();
        // The parent token can no longer change anything: its list lets go of this group.
        self.following = None;
        // Joined: the token says so, as it did when `join` consumed the group. The group
        // stops nothing more (every task has stopped) and takes no new task.
        core.abandon();
        report
    }
}

/// Tasks that need not be `Send`, on a spawner that runs them on its own thread
/// ([`LocalSpawn`]).
impl<S: Spawn + LocalSpawn, E: Send + 'static> TaskGroup<S, E> {
    /// Spawns `future`, which need not be `Send` (it may hold an `Rc` or a `RefCell` borrow
    /// across an `.await`), as a task of the group, on the spawner's thread
    /// ([`LocalSpawn::spawn_local_detached`]).
    ///
    /// The task is a task of the group in every way, as with [`spawn`](Self::spawn): its
    /// failure (an `Err`, a panic) cancels the others, the group's cancellation (token, grace
    /// period, drop, deadline) stops it, it counts against the [limit](Self::with_limit), and
    /// `join` waits for it and for everything it spawned through this crate. Its `Ok` output
    /// need not be `Send` either (its [`GroupTask`] then is not); its error is the group's `E`,
    /// which is.
    ///
    /// The spawner implements [`Spawn`] too, for the group's clock and timers (and its `Send`
    /// tasks): `rt::tokio::TokioLocal` (a `LocalSet`), a `smol::LocalExecutor` (by reference,
    /// or in an `Rc`), `rt::async_std::AsyncStdLocal`.
    ///
    /// # Cancellation
    ///
    /// As for [`spawn`](Self::spawn): once the group is cancelling, `future` is dropped here
    /// without being polled, and the returned `GroupTask` resolves to `None`. The task's future
    /// is dropped on the spawner's thread.
    ///
    /// # Panics
    ///
    /// Where the spawner's local spawn panics: `TokioLocal` outside a `LocalSet` (and outside
    /// a local runtime), like `tokio::task::spawn_local`.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "tokio")]
    /// # {
    /// use cancel_cascade::rt::tokio::TokioLocal;
    /// use cancel_cascade::TaskGroup;
    /// use std::cell::RefCell;
    /// use std::future::pending;
    /// use std::rc::Rc;
    ///
    /// let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// let local = tokio::task::LocalSet::new();
    /// local.block_on(&runtime, async {
    ///     let state = Rc::new(RefCell::new(Vec::new()));
    ///     let mut group = TaskGroup::<_, String>::new(TokioLocal);
    ///     let seen = Rc::clone(&state);
    ///     group.spawn_local(async move {
    ///         let _held = Rc::clone(&seen); // across the await below
    ///         pending::<()>().await;
    ///         Ok(())
    ///     });
    ///     let failing = Rc::clone(&state);
    ///     group.spawn_local(async move {
    ///         failing.borrow_mut().push("saw a bad request");
    ///         Err::<(), _>("bad request".to_string())
    ///     });
    ///     // The first task was cancelled, and its `Rc` dropped, before `join` returned.
    ///     assert_eq!(group.join().await, Err("bad request".to_string()));
    ///     assert_eq!(Rc::strong_count(&state), 1);
    /// });
    /// # }
    /// ```
    #[track_caller]
    pub fn spawn_local<F, T>(&mut self, future: F) -> GroupTask<T>
    where
        F: Future<Output = Result<T, E>> + 'static,
        T: 'static,
    {
        spawn_local_into(&*self.spawner, &self.core, future, Limited::Counted)
    }
}

/// How a group ended when no task failed, from [`TaskGroup::join_outcome`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GroupOutcome {
    /// Every task finished on its own.
    Finished,
    /// [`TaskGroup::cancel`] (or `shutdown`) stopped the tasks.
    Cancelled,
    /// The group's [deadline](TaskGroup::with_deadline) passed; the tasks still running then
    /// were cancelled and have stopped.
    DeadlinePassed,
}

impl<E> Report<E> {
    /// What `join` and `shutdown` report: the first failure.
    fn first_failure(self, method: &str) -> Result<(), E> {
        match self.first {
            None => Ok(()),
            Some(FailureKind::Error) => {
                Err(self.errors.into_iter().next().expect("a recorded error"))
            }
            Some(FailureKind::Panic) => resume_unwind(self.panic.expect("a recorded panic")),
            Some(FailureKind::Lost) => panic!("`{method}`: {LOST_TASK}"),
        }
    }

    /// What `join_all_errors` reports: every error, unless a task panicked or was lost.
    fn every_error(self, method: &str) -> Result<(), GroupErrors<E>> {
        if let Some(panic) = self.panic {
            resume_unwind(panic);
        }
        if self.lost {
            panic!("`{method}`: {LOST_TASK}");
        }
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(GroupErrors::new(self.errors))
        }
    }
}

impl<S, E> Drop for TaskGroup<S, E> {
    fn drop(&mut self) {
        self.core.abandon();
        crate::live::Node::release_owner(&self.core.node);
    }
}

impl<S: fmt::Debug, E> fmt::Debug for TaskGroup<S, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroup")
            .field("spawner", &self.spawner)
            .field("grace_period", &self.core.grace_period())
            .field("all_stopped", &self.core.node.only_owner_left())
            .field("cancelled", &self.core.token.is_cancelled())
            .finish_non_exhaustive()
    }
}
