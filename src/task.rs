//! `TaskHandle`: a spawned task that is cancelled when its handle is dropped, on any runtime.

mod shared;

use std::fmt;
use std::future::{poll_fn, Future};
use std::panic::resume_unwind;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_core::future::FusedFuture;

pub(crate) use shared::Supervised;

use crate::live::{Delivered, Delivering, Node, Tracked};
use crate::sync::Arc;
use crate::TaskId;

/// A task spawned through this crate: awaiting it gives the task's output, dropping it cancels
/// the task.
///
/// A `TaskHandle` behaves the same on every runtime (see [`rt`](crate::rt) for how each one is
/// reached):
///
/// * `.await` gives the task's output; a panic inside the task resumes in whoever awaits.
/// * Dropping the handle cancels the task: its future is dropped, on the runtime, without being
///   polled again. The drop does not wait for that; [`cancel`](Self::cancel) does.
/// * [`detach`](Self::detach) lets the task run to the end with nobody watching.
///
/// A `TaskHandle<T>` is `Unpin`, `Send` and `Sync` when `T: Send`, and `Debug` whatever `T` is.
///
/// # Cancellation
///
/// Cancelling a task drops its future, so everything the future owns is dropped with it,
/// including the `TaskHandle`s of the tasks it spawned: those are cancelled in turn, and so on
/// down the tree. A task cancelled before its first poll never runs.
///
/// The runtime drops the future on one of its own threads, soon after the request. Await
/// [`cancel`](Self::cancel) to know when that has happened: it resolves only once the task's
/// future has been dropped and its destructors have run, and so has everything the future let
/// go of on its way out: the tasks whose handles it held, the tasks of a
/// [`TaskGroup`](crate::TaskGroup) it ran, at any depth.
///
/// # Who waits for a dropped handle
///
/// A task's children count against it while its future is alive; what leaves in its output, or
/// is sent away, belongs to whoever receives it. Dropping a handle inside a task spawned through
/// this crate (or a group's task) makes that task wait for the cancelled one before it counts
/// as stopped, so a [`TaskGroup`](crate::TaskGroup)'s `join` and an enclosing `cancel().await`
/// wait for it too. A handle returned as a task's output, or sent over a channel, is not waited
/// for by the task that created it: it is answered for where it is finally dropped or awaited.
/// A handle dropped outside any such task is waited for by nobody; wrap the future that drops
/// it in [`until_stopped`](crate::until_stopped) to wait for it there. That is the way to race
/// handles in a combinator and know the losers have stopped when it returns:
/// `until_stopped(select_first(handles)).await`.
///
/// # Examples
///
/// With the runtime adapters (features `tokio`, `smol`, `async-std`) a task is spawned with
/// `rt::tokio::spawn(future)` and the like. Any executor works through
/// [`Spawn`](crate::rt::Spawn); here one thread per task:
///
/// ```
/// use cancel_cascade::rt::Spawn;
/// use futures::executor::block_on;
/// use std::future::{pending, Future};
///
/// struct ThreadPerTask;
///
/// impl Spawn for ThreadPerTask {
///     fn spawn_detached<F>(&self, future: F)
///     where
///         F: Future<Output = ()> + Send + 'static,
///     {
///         std::thread::spawn(move || block_on(future));
///     }
/// }
///
/// block_on(async {
///     let answer = ThreadPerTask.spawn_task(async { 6 * 7 });
///     assert_eq!(answer.await, 42);
///
///     let stuck = ThreadPerTask.spawn_task(pending::<()>());
///     assert_eq!(stuck.cancel().await, None); // its future has been dropped
/// });
/// ```
///
/// # Panics
///
/// Awaiting the handle panics if the task panicked (with the task's own payload), and if the
/// task's runtime dropped it before it finished, for example because the runtime shut down:
/// there is no output to wait for, and waiting would never end. Polling the handle again after
/// it gave its output panics too (it is a [`FusedFuture`]: check
/// [`is_terminated`](FusedFuture::is_terminated) first).
#[must_use = "dropping a `TaskHandle` cancels its task; call `.detach()` to let it run unobserved"]
pub struct TaskHandle<T> {
    // `None` once the handle gave its output, or `detach`/`cancel` took the task away: then
    // there is nothing left to cancel on drop.
    task: Option<Task<T>>,
    /// The task's node in the spawn tree (see [`live`](crate::live)): what `cancel` waits on,
    /// handed over to the current task when the handle is dropped; `None` once detached.
    node: Option<Arc<Node>>,
}

/// The runtime's own handle, where it can cancel without waiting and tell when the future is
/// gone; the shared mechanism otherwise.
///
/// Each carries the output as a [`Delivered`], which counts in the task's node until received.
enum Task<T> {
    Supervised(shared::Handle<Delivered<T>>),
    #[cfg(feature = "tokio")]
    Tokio(::tokio::task::JoinHandle<Delivered<T>>),
}

impl<T> TaskHandle<T> {
    /// A supervised task, for an executor that can only run a future detached: the executor
    /// runs the first half, the caller keeps the handle.
    ///
    /// Like every task spawned through the crate, it gets a node of the spawn tree (see
    /// [`live`](crate::live)), spawned where the caller's caller is.
    #[track_caller]
    pub(crate) fn supervise<F>(future: F) -> (Supervised<Delivering<F>>, Self)
    where
        F: Future<Output = T>,
    {
        let (future, node) = Tracked::for_task(future);
        let (task, handle) = shared::supervise(future);
        (task, TaskHandle::new(Task::Supervised(handle), node))
    }

    /// A tokio task, spawned by `spawn`.
    #[cfg(feature = "tokio")]
    #[track_caller]
    pub(crate) fn from_tokio<F>(
        future: F,
        spawn: impl FnOnce(Delivering<F>) -> ::tokio::task::JoinHandle<Delivered<T>>,
    ) -> Self
    where
        F: Future<Output = T>,
    {
        let (future, node) = Tracked::for_task(future);
        TaskHandle::new(Task::Tokio(spawn(future)), node)
    }

    fn new(task: Task<T>, node: Arc<Node>) -> Self {
        TaskHandle {
            task: Some(task),
            node: Some(node),
        }
    }

    /// Cancels the task and waits until its future has been dropped, and with it everything
    /// that future let go of (transitively: see `# Cancellation` on [`TaskHandle`]).
    ///
    /// Gives `Some(output)` if the task had already finished (so no output is lost), `None` if
    /// its future was dropped before it finished.
    ///
    /// # Cancellation
    ///
    /// The request is made when the returned future is first polled. Dropping that future
    /// before it completes, even unpolled, still cancels the task, but stops waiting.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: if the returned future is dropped before it completes, an output the
    /// task had produced is lost with it.
    ///
    /// # Examples
    ///
    /// ```
    /// # use cancel_cascade::rt::Spawn;
    /// # use futures::executor::block_on;
    /// # use std::future::Future;
    /// # struct ThreadPerTask;
    /// # impl Spawn for ThreadPerTask {
    /// #     fn spawn_detached<F: Future<Output = ()> + Send + 'static>(&self, future: F) {
    /// #         std::thread::spawn(move || block_on(future));
    /// #     }
    /// # }
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::sync::Arc;
    ///
    /// struct SetOnDrop(Arc<AtomicBool>);
    ///
    /// impl Drop for SetOnDrop {
    ///     fn drop(&mut self) {
    ///         self.0.store(true, Ordering::SeqCst);
    ///     }
    /// }
    ///
    /// # block_on(async {
    /// let dropped = Arc::new(AtomicBool::new(false));
    /// let guard = SetOnDrop(Arc::clone(&dropped));
    /// let task = ThreadPerTask.spawn_task(async move {
    ///     let _guard = guard;
    ///     std::future::pending::<()>().await
    /// });
    /// assert_eq!(task.cancel().await, None);
    /// assert!(dropped.load(Ordering::SeqCst), "the task's future is gone");
    /// # });
    /// ```
    ///
    /// # Panics
    ///
    /// If the task panicked before it could be cancelled, or its future panicked while it was
    /// being dropped: the panic resumes here.
    pub async fn cancel(mut self) -> Option<T> {
        let task = self.task.take()?;
        let outcome = match task {
            Task::Supervised(handle) => {
                handle.request_cancel();
                poll_fn(|cx| handle.poll_stopped(cx)).await
            }
            #[cfg(feature = "tokio")]
            Task::Tokio(handle) => {
                // tokio only schedules the abort; the `JoinHandle` resolves once the future
                // has been dropped (or has completed first).
                handle.abort();
                tokio_outcome(handle.await)
            }
        };
        let outcome = receive(outcome);
        // The future is gone; what it let go of on its way out may still be stopping.
        if let Some(node) = &self.node {
            poll_fn(|cx| node.poll_stopped(cx)).await;
        }
        match outcome? {
            Ok(output) => Some(output),
            Err(panic) => resume_unwind(panic),
        }
    }

    /// The task's id: unique within the process, the one
    /// [`TaskGroup::waiting_for`](crate::TaskGroup::waiting_for) prints for this task when a
    /// join waits for it.
    ///
    /// # Examples
    ///
    /// ```
    /// # use cancel_cascade::rt::Spawn;
    /// # use futures::executor::block_on;
    /// # use std::future::Future;
    /// # struct ThreadPerTask;
    /// # impl Spawn for ThreadPerTask {
    /// #     fn spawn_detached<F: Future<Output = ()> + Send + 'static>(&self, future: F) {
    /// #         std::thread::spawn(move || block_on(future));
    /// #     }
    /// # }
    /// let first = ThreadPerTask.spawn_task(async { 1 });
    /// let second = ThreadPerTask.spawn_task(async { 2 });
    /// assert_ne!(first.id(), second.id());
    /// assert_eq!(block_on(first) + block_on(second), 3);
    /// ```
    pub fn id(&self) -> TaskId {
        self.node
            .as_ref()
            .expect("a `TaskHandle` keeps its node until it is consumed or dropped")
            .id()
    }

    /// Lets the task run to the end with nobody watching; its output is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// # use cancel_cascade::rt::Spawn;
    /// # use futures::executor::block_on;
    /// # use std::future::Future;
    /// # struct ThreadPerTask;
    /// # impl Spawn for ThreadPerTask {
    /// #     fn spawn_detached<F: Future<Output = ()> + Send + 'static>(&self, future: F) {
    /// #         std::thread::spawn(move || block_on(future));
    /// #     }
    /// # }
    /// use std::sync::mpsc;
    ///
    /// let (sender, receiver) = mpsc::channel();
    /// ThreadPerTask
    ///     .spawn_task(async move { sender.send("done").unwrap() })
    ///     .detach();
    /// assert_eq!(receiver.recv().unwrap(), "done");
    /// ```
    pub fn detach(mut self) {
        // Nobody answers for a detached task: its node is handed over to no one.
        self.node = None;
        if let Some(task) = self.task.take() {
            task.detach();
        }
    }

    /// Whether the task's future has stopped: it completed or panicked, or it was dropped.
    /// Also `true` once the handle has given its output.
    ///
    /// Once this returns `true`, awaiting the handle gives the output (or resumes the panic)
    /// without waiting. [`cancel`](Self::cancel) may still wait: it returns only once
    /// everything the task let go of on its way out has stopped too (the tasks whose handles it
    /// dropped, the tasks of a group it ran), and a finished task can leave such tasks still
    /// stopping.
    pub fn is_finished(&self) -> bool {
        match &self.task {
            None => true,
            Some(Task::Supervised(handle)) => handle.is_stopped(),
            #[cfg(feature = "tokio")]
            Some(Task::Tokio(handle)) => handle.is_finished(),
        }
    }
}

impl<T> Task<T> {
    /// Lets go of the task without cancelling it.
    fn detach(self) {
        match self {
            // Dropping these handles leaves the task running.
            Task::Supervised(_) => {}
            #[cfg(feature = "tokio")]
            Task::Tokio(_) => {}
        }
    }

    /// Asks the runtime to drop the task's future, without waiting.
    fn cancel_soon(self) {
        match self {
            Task::Supervised(handle) => handle.request_cancel(),
            #[cfg(feature = "tokio")]
            Task::Tokio(handle) => handle.abort(),
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Task::Supervised(_) => "supervised",
            #[cfg(feature = "tokio")]
            Task::Tokio(_) => "tokio",
        }
    }
}

/// Takes the output out of its [`Delivered`] wrapper: it is the receiver's now.
fn receive<T>(outcome: shared::Outcome<Delivered<T>>) -> shared::Outcome<T> {
    outcome.map(|result| result.map(Delivered::receive))
}

/// tokio tells a task it aborted from one its runtime shut down only by who called `abort`;
/// either way the future has been dropped without an output.
#[cfg(feature = "tokio")]
fn tokio_outcome<T>(joined: Result<T, ::tokio::task::JoinError>) -> shared::Outcome<T> {
    match joined {
        Ok(output) => Some(Ok(output)),
        Err(error) => error.try_into_panic().ok().map(Err),
    }
}

impl<T> Drop for TaskHandle<T> {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.cancel_soon();
        }
        // Cancelled just now, or finished with something still stopping: the task that drops
        // the handle answers for it from now on.
        if let Some(node) = self.node.take() {
            Node::hand_over(&node);
        }
    }
}

impl<T> Future for TaskHandle<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let outcome = match &mut self.task {
            None => panic!("`TaskHandle` polled after it gave its output"),
            Some(Task::Supervised(handle)) => ready!(handle.poll_stopped(cx)),
            #[cfg(feature = "tokio")]
            Some(Task::Tokio(handle)) => tokio_outcome(ready!(Pin::new(handle).poll(cx))),
        };
        // Spent: a later drop has nothing to cancel.
        self.task = None;
        match receive(outcome) {
            Some(Ok(output)) => Poll::Ready(output),
            Some(Err(panic)) => resume_unwind(panic),
            None => panic!(
                "`TaskHandle` awaited, but the task's runtime dropped it before it finished \
                 (did the runtime shut down?): there is no output to wait for"
            ),
        }
    }
}

impl<T> FusedFuture for TaskHandle<T> {
    fn is_terminated(&self) -> bool {
        self.task.is_none()
    }
}

impl<T> fmt::Debug for TaskHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskHandle")
            .field("id", &self.node.as_ref().map(|node| node.id()))
            .field("kind", &self.task.as_ref().map(Task::kind))
            .field("finished", &self.is_finished())
            .finish()
    }
}
