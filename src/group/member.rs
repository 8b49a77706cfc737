//! One task of a group: the future the runtime runs ([`Member`]) and the caller's side of it
//! ([`GroupTask`]), joined by an [`OutputSlot`].

use std::any::Any;
use std::boxed::Box;
use std::fmt;
use std::future::{poll_fn, Future};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, PoisonError};
use std::task::{Context, Poll};

use pin_project::pin_project;

use super::phase::Unwinding;
use super::shared::{Cause, Core, Limit};
use crate::live::Node;
use crate::sync::{AtomicWaker, Mutex};
use crate::TaskId;

/// Where a task's output goes: its own [`OutputSlot`] (a [`TaskGroup`](super::TaskGroup)'s
/// task), or the queue of a [`TaskSet`](super::TaskSet).
pub(super) trait Outlet {
    /// What the outlet knows of each of its tasks apart from its node (a set's spawn index),
    /// kept by the task; `()` for a [`GroupTask`]'s slot.
    type Tag: Copy + Send + 'static;

    /// The task stopped without an output, for the reason given.
    fn no_output(&self, why: TaskStatus);

    /// The payload that the panic of the task `tag` of `node` travels in: the panic's own
    /// unless the outlet labels it (a set names the task in its message).
    fn label_panic(
        &self,
        _tag: Self::Tag,
        _node: &Node,
        payload: Box<dyn Any + Send + 'static>,
    ) -> Box<dyn Any + Send + 'static> {
        payload
    }
}

/// An [`Outlet`] for outputs of type `T`, in a group whose error type is `E`.
pub(super) trait OutletOf<T, E>: Outlet {
    /// The task `id` returned `Ok(output)`.
    fn output(&self, id: TaskId, output: T);

    /// The task `id` failed: the outlet keeps the failure for its reader (a supervised
    /// `TaskSet` hands each one over) and returns `None`, or returns it for the group to record.
    fn failure(&self, _id: TaskId, cause: Cause<E>) -> Option<Cause<E>> {
        Some(cause)
    }
}

/// The future a group hands to its runtime: the task's own future, stopped by the group (or by
/// its [`GroupTask::cancel`]) through the task's node.
///
/// The group keeps the node of every task it admitted (see `Core::admit`), and its hard stop
/// asks each of them to stop: a task never registers with anything shared by the group's
/// tasks, only with its own node, and only once it waits.
#[pin_project(PinnedDrop)]
pub(super) struct Member<F, O: Outlet, E> {
    #[pin]
    future: Option<F>,
    /// The task's node: where a stop request reaches it.
    node: Arc<Node>,
    core: Arc<Core<E>>,
    output: Arc<O>,
    tag: O::Tag,
    /// Whether the task entered the group's limit: it then waits for its slot, and gives it
    /// back when it stops.
    limited: bool,
    /// Whether the future was polled: a task stopped before that never started.
    started: bool,
}

impl<F, O: Outlet, E> Member<F, O, E> {
    /// The task of `node`; `limited` says whether it enters the group's limit, as read once by
    /// the spawn that starts it (the limit may be set meanwhile on another thread).
    pub(super) fn new(
        future: F,
        node: &Arc<Node>,
        core: &Arc<Core<E>>,
        output: &Arc<O>,
        tag: O::Tag,
        limited: bool,
    ) -> Self {
        Member {
            future: Some(future),
            node: Arc::clone(node),
            core: Arc::clone(core),
            output: Arc::clone(output),
            tag,
            limited,
            started: false,
        }
    }
}

impl<F, O, T, E> Future for Member<F, O, E>
where
    F: Future<Output = Result<T, E>>,
    O: OutletOf<T, E>,
{
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut this = self.project();
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            return Poll::Ready(());
        };
        // A task of a limited group waits for its slot before its future is first polled.
        let waited = if *this.limited && !this.node.holds_slot() {
            match this.node.poll_slot(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(stop) => stop,
            }
        } else {
            false
        };
        // A stop that came before this poll: the future is not polled again.
        let outcome = if waited || this.node.stop_requested() {
            None
        } else {
            *this.started = true;
            match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
                Ok(Poll::Pending) => {
                    // Registered only once the task waits: a task that finishes at its first
                    // poll never registers. The node's `AtomicWaker` keeps the waker it has
                    // when the new one wakes the same task.
                    if !this.node.poll_stop(cx) {
                        return Poll::Pending;
                    }
                    // Stopped while the future was being polled.
                    None
                }
                Ok(Poll::Ready(outcome)) => Some(Ok(outcome)),
                Err(panic) => Some(Err(this.output.label_panic(*this.tag, this.node, panic))),
            }
        };
        // Dropped here rather than with the task, so that a destructor's panic is the task's
        // panic too (unless it already panicked).
        let outcome = match catch_unwind(AssertUnwindSafe(|| this.future.set(None))) {
            Err(panic) if !matches!(outcome, Some(Err(_))) => {
                Some(Err(this.output.label_panic(*this.tag, this.node, panic)))
            }
            _ => outcome,
        };
        this.node.forget_task_waker();
        let stopped = stopped_status(*this.started);
        let (output, cause, status) = match outcome {
            Some(Ok(Ok(value))) => (Some(value), None, TaskStatus::Succeeded),
            Some(Ok(Err(error))) => (None, Some(Cause::Error(error)), TaskStatus::Failed),
            Some(Err(panic)) => (None, Some(Cause::Panic(panic)), TaskStatus::Panicked),
            None => (None, None, stopped),
        };
        // The failure's cancellation may unwind (a waiter's waker on the group's token panics),
        // and so may handing over the output (the `GroupTask`'s or the reader's waker) and the
        // slot (the next task's waker): each step still runs, then the first panic goes on to
        // the runtime.
        let mut unwinding = Unwinding::default();
        let id = this.node.id();
        if let Some(cause) = cause.and_then(|cause| this.output.failure(id, cause)) {
            unwinding.run(|| this.core.fail(id, cause));
        }
        unwinding.run(|| match output {
            Some(output) => this.output.output(id, output),
            None => this.output.no_output(status),
        });
        // After the failure (if any) closed the limit: a failing task starts no queued one.
        if *this.limited {
            unwinding.run(|| this.core.leave_limit(this.node));
        }
        unwinding.resume();
        Poll::Ready(())
    }
}

#[pin_project::pinned_drop]
impl<F, O: Outlet, E> PinnedDrop for Member<F, O, E> {
    fn drop(self: Pin<&mut Self>) {
        let mut this = self.project();
        if this.future.is_none() {
            return;
        }
        // Dropped unfinished while the group was open and its `GroupTask` had not stopped it:
        // its runtime did (it shut down, or refused the spawn). The group must not report
        // success. (Once the group is cancelling, every task is on its way out anyway.)
        // Each step may unwind (a waker that the failure's cancellation or the slot's hand-over
        // wakes panics): every later step still runs, then the first panic goes on.
        let mut unwinding = Unwinding::default();
        let mut status = stopped_status(*this.started);
        if !this.node.stop_requested() && !this.core.is_closed() {
            status = TaskStatus::Lost;
            unwinding.run(|| this.core.fail(this.node.id(), Cause::Lost));
        }
        // Dropped here, as `poll` does, so that a destructor's panic is the task's panic and
        // does not unwind through whoever drops the task (its runtime, or the group's spawn
        // when it refuses a task the limit closed to).
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| this.future.set(None))) {
            status = TaskStatus::Panicked;
            let panic = this.output.label_panic(*this.tag, this.node, panic);
            unwinding.run(|| this.core.fail(this.node.id(), Cause::Panic(panic)));
        }
        this.node.forget_task_waker();
        unwinding.run(|| this.output.no_output(status));
        if *this.limited {
            unwinding.run(|| this.core.leave_limit(this.node));
        }
        unwinding.resume();
    }
}

/// Where a group task leaves its output for its [`GroupTask`].
pub(super) struct OutputSlot<T> {
    value: Mutex<Slot<T>>,
    /// The `GroupTask`'s waker.
    waker: AtomicWaker,
}

enum Slot<T> {
    Running,
    Done(T),
    /// The output was taken.
    Taken,
    /// No output, for this reason.
    Gone(TaskStatus),
}

/// How a task that was stopped before it returned ended: it never ran if its future was
/// never polled.
fn stopped_status(started: bool) -> TaskStatus {
    if started {
        TaskStatus::Cancelled
    } else {
        TaskStatus::NeverStarted
    }
}

impl<T> OutputSlot<T> {
    pub(super) fn new() -> Arc<Self> {
        Arc::new(OutputSlot {
            value: Mutex::new(Slot::Running),
            waker: AtomicWaker::new(),
        })
    }

    /// A slot for a task the group refused: it will never give an output.
    pub(super) fn gone() -> Arc<Self> {
        let slot = Self::new();
        *slot.value.lock().unwrap_or_else(PoisonError::into_inner) =
            Slot::Gone(TaskStatus::NeverStarted);
        slot
    }

    fn finish(&self, slot: Slot<T>) {
        let previous = std::mem::replace(
            &mut *self.value.lock().unwrap_or_else(PoisonError::into_inner),
            slot,
        );
        drop(previous);
        self.waker.wake();
    }

    fn poll_take(&self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.waker.register(cx.waker());
        self.try_take()
    }

    fn try_take(&self) -> Poll<Option<T>> {
        let mut value = self.value.lock().unwrap_or_else(PoisonError::into_inner);
        match &*value {
            Slot::Running => Poll::Pending,
            Slot::Taken | Slot::Gone(_) => Poll::Ready(None),
            Slot::Done(_) => match std::mem::replace(&mut *value, Slot::Taken) {
                Slot::Done(output) => Poll::Ready(Some(output)),
                _ => unreachable!("the slot was just seen done"),
            },
        }
    }

    fn status(&self) -> TaskStatus {
        match &*self.value.lock().unwrap_or_else(PoisonError::into_inner) {
            Slot::Running => TaskStatus::Running,
            Slot::Done(_) | Slot::Taken => TaskStatus::Succeeded,
            Slot::Gone(status) => *status,
        }
    }
}

impl<T> Outlet for OutputSlot<T> {
    type Tag = ();

    fn no_output(&self, why: TaskStatus) {
        self.finish(Slot::Gone(why));
    }
}

impl<T, E> OutletOf<T, E> for OutputSlot<T> {
    fn output(&self, _id: TaskId, output: T) {
        self.finish(Slot::Done(output));
    }
}

/// The output of one task of a [`TaskGroup`](super::TaskGroup), returned by its `spawn`.
///
/// Awaiting it gives `Some(output)` once the task returned `Ok`, and `None` if it failed,
/// panicked, was cancelled, or was never admitted (spawned into a group that was cancelling or
/// had finished). After a successful [`join`](super::TaskGroup::join), every task returned
/// `Ok`, so every `GroupTask` resolves at once to `Some`. [`status`](Self::status) tells
/// which of these ends a `None` came from.
///
/// # Cancellation
///
/// Dropping a `GroupTask` does not cancel the task: the group owns its tasks. To stop one task
/// without failing the group, use [`cancel`](Self::cancel).
pub struct GroupTask<T> {
    id: TaskId,
    output: Arc<OutputSlot<T>>,
    /// The task's node in the spawn tree, to wait until it stopped; none if it was refused.
    node: Option<Arc<Node>>,
    /// The group's limit, where the task may still wait for a slot.
    limit: Option<Arc<Limit>>,
}

impl<T> GroupTask<T> {
    pub(super) fn new(
        output: Arc<OutputSlot<T>>,
        node: Arc<Node>,
        limit: Option<Arc<Limit>>,
    ) -> Self {
        GroupTask {
            id: node.id(),
            output,
            node: Some(node),
            limit,
        }
    }

    /// A task the group refused: it never runs, but has an id like any other.
    pub(super) fn refused() -> Self {
        GroupTask {
            id: TaskId::next(),
            output: OutputSlot::gone(),
            node: None,
            limit: None,
        }
    }

    /// The task's id: unique within the process, the same for the task's whole life, and the
    /// one [`TaskGroup::waiting_for`](super::TaskGroup::waiting_for) prints. A task the group
    /// refused (spawned once it was cancelling or joined) has one too.
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
    /// let first = group.spawn(async { Ok(1) });
    /// let second = group.spawn(async { Ok(2) });
    /// assert_ne!(first.id(), second.id());
    /// println!("task {} and task {}", first.id(), second.id());
    /// group.join().await.unwrap();
    /// # });
    /// ```
    pub fn id(&self) -> TaskId {
        self.id
    }

    /// Stops this task, without failing the group, and resolves once it has stopped: its
    /// future has been dropped, and every task it spawned through this crate has stopped too.
    /// Gives `Some(output)` if the task had already returned `Ok`, `None` otherwise.
    ///
    /// The group's other tasks go on; a task cancelled this way counts as neither a success
    /// nor a failure of the group.
    ///
    /// # Cancellation
    ///
    /// The task's future is dropped on its runtime, at its next poll (it is woken for it),
    /// without a grace period; a task still waiting for a slot of a
    /// [limited](super::TaskGroup::with_limit) group leaves the queue and is dropped the same
    /// way, never polled.
    ///
    /// # Cancel safety
    ///
    /// The stop is asked for when `cancel` is called, not when the returned future is first
    /// polled: dropping that future, even unpolled (the losing branch of a `select!`), still
    /// stops the task. Only the wait and the output are given up.
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
    /// let stuck = group.spawn(std::future::pending::<Result<(), ()>>());
    /// let quick = group.spawn(async { Ok(7) });
    /// assert_eq!(stuck.cancel().await, None); // its future is gone
    /// assert_eq!(group.join().await, Ok(())); // not a failure of the group
    /// assert_eq!(quick.await, Some(7));
    /// # });
    /// ```
    pub fn cancel(self) -> impl Future<Output = Option<T>> {
        if let Some(node) = &self.node {
            if let Some(limit) = &self.limit {
                // Still waiting for a slot: it leaves the queue (first, so that a waker that
                // panics below cannot leave a stopped task holding a place in it), and drops
                // its future unpolled.
                limit.withdraw(node);
            }
            node.request_stop();
        }
        async move {
            if let Some(node) = &self.node {
                poll_fn(|cx| node.poll_stopped(cx)).await;
            }
            match self.output.try_take() {
                Poll::Ready(output) => output,
                // The task's node stopped, so its future is gone and its slot was filled.
                Poll::Pending => None,
            }
        }
    }
}

impl<T> GroupTask<T> {
    /// How the task stands: running, or how it ended. Beside the `Option<T>` that awaiting
    /// the `GroupTask` gives, this tells why a task gave `None`: it failed, panicked, was
    /// cancelled, or never started. To read both, await `&mut task`, then ask.
    ///
    /// A task counts as ended once its future has been dropped (what it spawned may still be
    /// stopping); a panic of its future's destructor makes it [`Panicked`](TaskStatus::Panicked).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "tokio")]
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use cancel_cascade::rt::tokio::Tokio;
    /// use cancel_cascade::{TaskGroup, TaskStatus};
    ///
    /// let mut group = TaskGroup::new(Tokio);
    /// let mut failing = group.spawn(async { Err::<(), _>("disk full") });
    /// let mut stuck = group.spawn(std::future::pending::<Result<(), &str>>());
    /// assert_eq!(group.join().await, Err("disk full"));
    /// assert_eq!((&mut failing).await, None);
    /// assert_eq!(failing.status(), TaskStatus::Failed);
    /// assert_eq!((&mut stuck).await, None);
    /// assert!(matches!(stuck.status(), TaskStatus::Cancelled | TaskStatus::NeverStarted));
    ///
    /// let late = group.spawn(async { Ok::<_, &str>(1) }); // the group was joined
    /// assert_eq!(late.status(), TaskStatus::NeverStarted);
    /// # });
    /// ```
    pub fn status(&self) -> TaskStatus {
        self.output.status()
    }
}

/// How a [`GroupTask`] stands, from [`GroupTask::status`]: running, or how it ended.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TaskStatus {
    /// Its future has not been dropped yet (it may be waiting for a slot of a limited group).
    Running,
    /// It returned `Ok`: awaiting the `GroupTask` gives (or gave) `Some(output)`.
    Succeeded,
    /// It returned `Err`: the error went to the group (`join` and the like).
    Failed,
    /// It panicked (or its future's destructor did): the panic went to the group.
    Panicked,
    /// It was stopped after it had started: by the group's cancellation (a failure, `cancel`,
    /// the deadline, a drop) or by [`GroupTask::cancel`].
    Cancelled,
    /// Its future was never polled: spawned into a group that was cancelling or joined, or
    /// stopped while it waited to be polled (for a slot of a limited group, say).
    NeverStarted,
    /// Its runtime dropped it unfinished (it shut down, say): the group's `join` panics.
    Lost,
}

impl<T> fmt::Debug for GroupTask<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupTask")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl<T> Future for GroupTask<T> {
    type Output = Option<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.output.poll_take(cx)
    }
}
