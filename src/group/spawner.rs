//! Spawning into a group: the one path that `TaskGroup::spawn` and [`GroupSpawner`] share.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::sync::Arc;

use super::member::{GroupTask, Member, OutletOf, OutputSlot};
use super::shared::{Core, StopReason};
use crate::live::{Node, Tracked};
use crate::rt::{LocalSpawn, Spawn};

/// Whether a task counts against its group's concurrency limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Limited {
    /// It waits for a slot, and holds it while it runs (every task, by default).
    Counted,
    /// It starts at once and takes no slot (`spawn_outside_limit`).
    Exempt,
}

/// Admits `future` into the group and spawns it, its output going to `outlet` (which knows
/// the task by `tag` as well as by its node), and returns its node; or drops it unpolled if
/// the group no longer admits tasks. `spawned_at` is where the caller spawned it.
pub(super) fn spawn_with_outlet<S, E, F, T, O>(
    spawner: &S,
    core: &Arc<Core<E>>,
    future: F,
    outlet: &Arc<O>,
    tag: O::Tag,
    limited: Limited,
    spawned_at: &'static Location<'static>,
) -> Option<Arc<Node>>
where
    S: Spawn,
    F: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
    O: OutletOf<T, E> + Send + Sync + 'static,
{
    start_with_outlet(core, future, outlet, tag, limited, spawned_at, |task| {
        spawner.spawn_detached(task);
    })
}

/// [`spawn_with_outlet`] for a future that need not be `Send`, spawned with
/// [`LocalSpawn::spawn_local_detached`].
pub(super) fn spawn_local_with_outlet<S, E, F, T, O>(
    spawner: &S,
    core: &Arc<Core<E>>,
    future: F,
    outlet: &Arc<O>,
    tag: O::Tag,
    limited: Limited,
    spawned_at: &'static Location<'static>,
) -> Option<Arc<Node>>
where
    S: LocalSpawn,
    F: Future<Output = Result<T, E>> + 'static,
    T: 'static,
    E: Send + 'static,
    O: OutletOf<T, E> + 'static,
{
    start_with_outlet(core, future, outlet, tag, limited, spawned_at, |task| {
        spawner.spawn_local_detached(task);
    })
}

/// The path both spawns share: admits `future`, wraps it as a task of the group and hands it
/// to `start` (which spawns it) once the group's limit lets it.
fn start_with_outlet<E, F, T, O>(
    core: &Arc<Core<E>>,
    future: F,
    outlet: &Arc<O>,
    tag: O::Tag,
    limited: Limited,
    spawned_at: &'static Location<'static>,
    start: impl FnOnce(Tracked<Member<F, O, E>>),
) -> Option<Arc<Node>>
where
    F: Future<Output = Result<T, E>>,
    E: Send + 'static,
    O: OutletOf<T, E>,
{
    let Some(node) = core.admit(spawned_at) else {
        drop(future);
        return None;
    };
    // Read once: the task waits for a slot exactly when its spawn made it enter the limit.
    let limit = core.limit.get().filter(|_| limited == Limited::Counted);
    let member = Member::new(future, &node, core, outlet, tag, limit.is_some());
    let task = Tracked::new(Some(Arc::clone(&node)), member);
    Core::<E>::start_within_limit(limit, &node, task, start);
    Some(node)
}

/// Spawns `future` as a task of a [`TaskGroup`](super::TaskGroup), with a [`GroupTask`] of its
/// own; the caller's caller spawned it.
#[track_caller]
pub(super) fn spawn_into<S, E, F, T>(
    spawner: &S,
    core: &Arc<Core<E>>,
    future: F,
    limited: Limited,
) -> GroupTask<T>
where
    S: Spawn,
    F: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    let output = OutputSlot::new();
    let spawned_at = Location::caller();
    let node = spawn_with_outlet(spawner, core, future, &output, (), limited, spawned_at);
    group_task(core, output, node, limited)
}

/// [`spawn_into`] for a future that need not be `Send`, spawned with
/// [`LocalSpawn::spawn_local_detached`].
#[track_caller]
pub(super) fn spawn_local_into<S, E, F, T>(
    spawner: &S,
    core: &Arc<Core<E>>,
    future: F,
    limited: Limited,
) -> GroupTask<T>
where
    S: LocalSpawn,
    F: Future<Output = Result<T, E>> + 'static,
    T: 'static,
    E: Send + 'static,
{
    let output = OutputSlot::new();
    let spawned_at = Location::caller();
    let node = spawn_local_with_outlet(spawner, core, future, &output, (), limited, spawned_at);
    group_task(core, output, node, limited)
}

/// The [`GroupTask`] of a task spawned with `output` as its slot: `node` is `None` if the group
/// refused it.
fn group_task<E, T>(
    core: &Core<E>,
    output: Arc<OutputSlot<T>>,
    node: Option<Arc<Node>>,
    limited: Limited,
) -> GroupTask<T> {
    match node {
        Some(node) => {
            let limit = core.limit.get().filter(|_| limited == Limited::Counted);
            GroupTask::new(output, node, limit.cloned())
        }
        None => GroupTask::refused(),
    }
}

/// Spawns tasks into a [`TaskGroup`](super::TaskGroup) from anywhere, its own tasks included:
/// a crawler's task adds the pages it finds to its own group. Made by
/// [`TaskGroup::spawner`](super::TaskGroup::spawner); cheap to clone, `Send` and `Sync`.
///
/// A task spawned through it is a task of the group like any other: it fails the group when it
/// fails, it is cancelled with the group, and the group's `join` waits for it. It does not
/// belong to the task that spawned it: that task may return before it.
///
/// # Cancellation
///
/// Once the group is cancelling (a task failed, `cancel`, `shutdown`, its deadline passed, or
/// it was dropped) or has finished (`join` saw every task stop), `spawn` drops the future
/// unpolled and the returned [`GroupTask`] resolves to `None`. Holding a `GroupSpawner` does
/// not keep the group's tasks alive or its `join` waiting.
///
/// # Examples
///
/// ```
/// # #[cfg(feature = "tokio")]
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use cancel_cascade::rt::tokio::Tokio;
/// use cancel_cascade::TaskGroup;
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use std::sync::Arc;
///
/// let mut group = TaskGroup::<_, ()>::new(Tokio);
/// let spawner = group.spawner();
/// let visited = Arc::new(AtomicU32::new(0));
/// let counter = Arc::clone(&visited);
/// group.spawn(async move {
///     for _ in 0..3 {
///         let counter = Arc::clone(&counter);
///         spawner.spawn(async move { counter.fetch_add(1, Ordering::SeqCst); Ok(()) });
///     }
///     Ok(())
/// });
/// group.join().await.unwrap(); // waits for the three tasks spawned from inside too
/// assert_eq!(visited.load(Ordering::SeqCst), 3);
/// # });
/// ```
pub struct GroupSpawner<S, E> {
    spawner: Arc<S>,
    core: Arc<Core<E>>,
}

impl<S, E> GroupSpawner<S, E> {
    pub(super) fn new(spawner: &Arc<S>, core: &Arc<Core<E>>) -> Self {
        GroupSpawner {
            spawner: Arc::clone(spawner),
            core: Arc::clone(core),
        }
    }
}

impl<S: Spawn, E: Send + 'static> GroupSpawner<S, E> {
    /// Spawns `future` as a task of the group, exactly as
    /// [`TaskGroup::spawn`](super::TaskGroup::spawn) does.
    ///
    /// # Cancellation
    ///
    /// Into a group that is cancelling or has finished, `future` is dropped here, unpolled,
    /// and the returned [`GroupTask`] resolves to `None`.
    #[track_caller]
    pub fn spawn<F, T>(&self, future: F) -> GroupTask<T>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
    {
        spawn_into(&*self.spawner, &self.core, future, Limited::Counted)
    }

    /// Spawns `future` as a task of the group that takes no slot of its
    /// [limit](super::TaskGroup::with_limit), as
    /// [`TaskGroup::spawn_outside_limit`](super::TaskGroup::spawn_outside_limit) does.
    #[track_caller]
    pub fn spawn_outside_limit<F, T>(&self, future: F) -> GroupTask<T>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
    {
        spawn_into(&*self.spawner, &self.core, future, Limited::Exempt)
    }

    /// Waits until a task spawned now would start at once, as
    /// [`TaskGroup::ready`](super::TaskGroup::ready) does (the group's deadline included).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the returned future gives up nothing.
    pub async fn ready(&self) {
        super::ready_by_deadline(&*self.spawner, &self.core).await;
    }

    /// What the group's `join` waits for, now: see
    /// [`TaskGroup::waiting_for`](super::TaskGroup::waiting_for). From a task of the group,
    /// the task itself is listed too.
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
    /// let spawner = group.spawner();
    /// let token = group.token();
    /// let stuck = group.spawn(async move {
    ///     token.cancelled().await;
    ///     Ok(())
    /// });
    /// // A watchdog prints what the join waits for while it waits.
    /// let watchdog = tokio::spawn(async move {
    ///     tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    ///     let waiting = spawner.waiting_for();
    ///     eprintln!("join still waits for:\n{waiting}");
    ///     spawner.cancel();
    ///     waiting.to_string()
    /// });
    /// group.join().await.unwrap();
    /// let printed = watchdog.await.unwrap();
    /// assert!(printed.starts_with(&format!("task {} spawned at ", stuck.id())));
    /// # });
    /// ```
    pub fn waiting_for(&self) -> super::WaitingFor {
        super::WaitingFor::under(&self.core.node)
    }

    /// Whether the group still admits tasks: it is neither cancelling nor finished. A `true`
    /// may be out of date by the time it is read.
    pub fn is_open(&self) -> bool {
        !self.core.is_closed()
    }

    /// Starts the group's cancellation and returns at once, exactly as
    /// [`TaskGroup::cancel`](super::TaskGroup::cancel) does, from anywhere: a task of the group
    /// that has found what the others were looking for stops them (trio's
    /// `nursery.cancel_scope.cancel()` from a child, asyncio's `tg.cancel()` from a task). No
    /// error is recorded; a task that fails afterwards still fails the group. Calling it again,
    /// after a failure or once the group has finished, does nothing.
    ///
    /// # Cancellation
    ///
    /// As for `TaskGroup::cancel`. Called from inside a task of the group, that task's current
    /// poll runs on, so it may still return its output; without a grace period, every task is
    /// dropped at its next poll.
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
    /// let mut group = TaskGroup::<_, ()>::new(Tokio);
    /// let mut racers = Vec::new();
    /// for ms in [30_000, 10, 20_000] {
    ///     let spawner = group.spawner();
    ///     racers.push(group.spawn(async move {
    ///         tokio::time::sleep(Duration::from_millis(ms)).await;
    ///         spawner.cancel(); // the first to finish stops the others
    ///         Ok(ms)
    ///     }));
    /// }
    /// assert_eq!(group.join().await, Ok(()));
    /// let outputs = futures::future::join_all(racers).await;
    /// assert_eq!(outputs, [None, Some(10), None]);
    /// # });
    /// ```
    pub fn cancel(&self) {
        self.core.cancel(StopReason::Cancel, self.spawner.now());
    }
}

impl<S: Spawn + LocalSpawn, E: Send + 'static> GroupSpawner<S, E> {
    /// Spawns `future`, which need not be `Send`, as a task of the group, exactly as
    /// [`TaskGroup::spawn_local`](super::TaskGroup::spawn_local) does.
    ///
    /// The task runs where the spawner's [`LocalSpawn`] puts it: on the thread of the
    /// executor, so call this there (from a task of the group, say).
    ///
    /// # Cancellation
    ///
    /// Into a group that is cancelling or has finished, `future` is dropped here, unpolled,
    /// and the returned [`GroupTask`] resolves to `None`.
    ///
    /// # Panics
    ///
    /// Where the spawner's local spawn panics: `TokioLocal` outside a `LocalSet` (and outside
    /// a local runtime), like `tokio::task::spawn_local`.
    ///
    /// # Examples
    ///
    /// A task of the group spawns more, each holding an `Rc`:
    ///
    /// ```
    /// # #[cfg(feature = "tokio")]
    /// # {
    /// use cancel_cascade::rt::tokio::TokioLocal;
    /// use cancel_cascade::TaskGroup;
    /// use std::cell::Cell;
    /// use std::rc::Rc;
    ///
    /// let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// let local = tokio::task::LocalSet::new();
    /// local.block_on(&runtime, async {
    ///     let visited = Rc::new(Cell::new(0));
    ///     let mut group = TaskGroup::<_, ()>::new(TokioLocal);
    ///     let spawner = group.spawner();
    ///     let counter = Rc::clone(&visited);
    ///     group.spawn_local(async move {
    ///         for _ in 0..3 {
    ///             let counter = Rc::clone(&counter);
    ///             spawner.spawn_local(async move {
    ///                 counter.set(counter.get() + 1);
    ///                 Ok(())
    ///             });
    ///         }
    ///         Ok(())
    ///     });
    ///     group.join().await.unwrap(); // waits for the three tasks spawned from inside too
    ///     assert_eq!(visited.get(), 3);
    /// });
    /// # }
    /// ```
    #[track_caller]
    pub fn spawn_local<F, T>(&self, future: F) -> GroupTask<T>
    where
        F: Future<Output = Result<T, E>> + 'static,
        T: 'static,
    {
        spawn_local_into(&*self.spawner, &self.core, future, Limited::Counted)
    }
}

impl<S, E> Clone for GroupSpawner<S, E> {
    fn clone(&self) -> Self {
        GroupSpawner::new(&self.spawner, &self.core)
    }
}

impl<S: fmt::Debug, E> fmt::Debug for GroupSpawner<S, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupSpawner")
            .field("spawner", &self.spawner)
            .field("open", &!self.core.is_closed())
            .finish()
    }
}
