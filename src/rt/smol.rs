//! smol: a supervised [`TaskHandle`] on smol's executor.
//!
//! smol cancels a task whose `Task` is dropped, and its `cancel().await` returns once the
//! task's future has been dropped; still, its `Task` cannot keep the [`TaskHandle`] contract,
//! for two reasons:
//!
//! * `Task::cancel` closes the task at once. If the task is inside a poll at that moment and
//!   that poll completes, smol drops the output it produced and `cancel` gives `None`: the
//!   output is lost. A [`TaskHandle`] gives it back.
//! * smol wakes whoever awaits a `Task` from inside a guard that aborts the process on a
//!   panic, so an awaiter whose waker panics takes the whole process down. Under a
//!   [`TaskHandle`] the panic leaves the task on smol's side, smol goes on, and the next poll of
//!   the handle (with a working waker) gets the output.
//!
//! So the task runs *supervised* (see the [`rt`](crate::rt) module), on smol's executor: a
//! wrapper polls the future, drops it when the handle asks (waking the task to do so), and
//! reports how it stopped. Like on every supervised runtime, a destructor that panics while
//! [`TaskHandle::cancel`] drops the future resumes in `cancel`.
//!
//! [`spawn`] uses smol's global executor (one thread unless the `SMOL_THREADS` environment
//! variable says otherwise); [`Spawn`] is also implemented for a `smol::Executor` of your own.
//! The global executor never drops a task. A `smol::Executor` that is dropped drops every task
//! it still holds, outside any `catch_unwind` of smol's: the task's future is dropped there
//! under one of ours, so that a destructor that panics cannot unwind through the executor's
//! drop; a handle awaiting one of those tasks then panics (see `# Panics` on [`TaskHandle`]).
//!
//! A future that is not `Send` runs on a `smol::LocalExecutor`: [`spawn_local`], or
//! [`LocalSpawn`] on the executor (or on a reference or an `Rc` to it), spawns it there,
//! supervised the same way. Its tasks run where the executor is run (`LocalExecutor::run`).
//!
//! # Examples
//!
//! ```
//! use cancel_cascade::rt::smol as cc_smol;
//! use std::future::pending;
//!
//! smol::block_on(async {
//!     let stuck = cc_smol::spawn(pending::<()>());
//!     let done = cc_smol::spawn(async { "done" });
//!     assert_eq!(done.await, "done");
//!     assert_eq!(stuck.cancel().await, None);
//! });
//! ```

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use ::smol::{Executor, LocalExecutor};
use pin_project::{pin_project, pinned_drop};

use crate::live::Delivering;
use crate::spawn::{LocalSpawn, Spawn};
use crate::task::Supervised;
use crate::task::TaskHandle;
use crate::timer::Sleep;

/// Spawns `future` on smol's global executor and returns its handle: awaiting it gives the
/// output, dropping it cancels the task.
///
/// Same as [`Smol.spawn_task(future)`](Spawn::spawn_task).
///
/// # Cancellation
///
/// Dropping the handle asks the task to drop its future, which it does the next time the
/// executor polls it (the request wakes it), on one of the executor's threads. A poll already
/// running when the request comes is not interrupted: if it completes, its output is kept for
/// [`TaskHandle::cancel`], which waits for the future to be dropped.
#[track_caller]
pub fn spawn<F>(future: F) -> TaskHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    spawn_supervised(future, ::smol::spawn)
}

/// Spawns `future` supervised with `spawn` (smol's global executor, or an `Executor`), and
/// detaches smol's own `Task`: the [`TaskHandle`] is what cancels it.
#[track_caller]
fn spawn_supervised<F, S>(future: F, spawn: S) -> TaskHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
    S: FnOnce(DropUnwound<Supervised<Delivering<F>>>) -> ::smol::Task<()>,
{
    let (task, handle) = TaskHandle::supervise(future);
    spawn(DropUnwound::new(task)).detach();
    handle
}

/// smol's global executor, as an implementor of [`Spawn`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Smol;

impl Spawn for Smol {
    fn spawn_detached<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        ::smol::spawn(future).detach();
    }

    /// smol's blocking pool, `smol::unblock`.
    fn spawn_blocking_detached<W>(&self, work: W)
    where
        W: FnOnce() + Send + 'static,
    {
        ::smol::unblock(work).detach();
    }

    #[track_caller]
    fn spawn_task<F>(&self, future: F) -> TaskHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        spawn(future)
    }

    /// The system's clock, `async-io`'s.
    fn now(&self) -> Instant {
        Instant::now()
    }

    /// `async-io`'s timer, which smol's reactor drives.
    fn sleep_until(&self, deadline: Instant) -> impl Future<Output = ()> + Send + 'static {
        Sleep::outside_tokio(Some(deadline))
    }
}

/// Spawns on this executor; its tasks run where it is run (`Executor::run`).
///
/// `Executor` has a `spawn` method of its own (giving smol's `Task`), so call
/// `Spawn::spawn_task(&executor, future)` or `executor.spawn_task(future)`.
impl Spawn for Executor<'static> {
    fn spawn_detached<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.spawn(future).detach();
    }

    /// smol's blocking pool, `smol::unblock`, shared by every executor.
    fn spawn_blocking_detached<W>(&self, work: W)
    where
        W: FnOnce() + Send + 'static,
    {
        ::smol::unblock(work).detach();
    }

    #[track_caller]
    fn spawn_task<F>(&self, future: F) -> TaskHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        spawn_supervised(future, |task| self.spawn(task))
    }

    /// The system's clock, `async-io`'s.
    fn now(&self) -> Instant {
        Instant::now()
    }

    /// `async-io`'s timer, which smol's reactor drives.
    fn sleep_until(&self, deadline: Instant) -> impl Future<Output = ()> + Send + 'static {
        Sleep::outside_tokio(Some(deadline))
    }
}

/// Spawns `future`, which need not be `Send`, on `executor` and returns its handle: awaiting
/// it gives the output, dropping it cancels the task.
///
/// Same as [`executor.spawn_local_task(future)`](LocalSpawn::spawn_local_task). smol has no
/// executor of the thread to find on its own, so the executor is named here; the task runs
/// where `executor` is run (`LocalExecutor::run`), and its handle may be awaited or dropped
/// anywhere (it is `Send` when the output is).
///
/// # Cancellation
///
/// As for [`spawn`]: dropping the handle asks the task to drop its future, which it does the
/// next time the executor polls it, on the executor's thread. A `LocalExecutor` that is dropped
/// drops the tasks it still holds; a handle awaiting one of them then panics (see `# Panics`
/// on [`TaskHandle`]).
///
/// # Examples
///
/// ```
/// use cancel_cascade::rt::smol as cc_smol;
/// use smol::LocalExecutor;
/// use std::rc::Rc;
///
/// let executor = LocalExecutor::new();
/// let shared = Rc::new(41);
/// let task = cc_smol::spawn_local(&executor, async move {
///     smol::future::yield_now().await; // the `Rc` is held across an await
///     *shared + 1
/// });
/// assert_eq!(smol::block_on(executor.run(task)), 42);
/// ```
#[track_caller]
pub fn spawn_local<F>(executor: &LocalExecutor<'static>, future: F) -> TaskHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    spawn_supervised(future, |task| executor.spawn(task))
}

/// Spawns on this executor, on its thread; its tasks run where it is run
/// (`LocalExecutor::run`).
///
/// `LocalExecutor` has a `spawn` method of its own (giving smol's `Task`), so call
/// `executor.spawn_local_task(future)`. A [`TaskGroup`](crate::TaskGroup) takes the executor
/// by reference, or in an `Rc` for a [`GroupSpawner`](crate::GroupSpawner) that the group's
/// own tasks can hold.
impl LocalSpawn for LocalExecutor<'static> {
    fn spawn_local_detached<F>(&self, future: F)
    where
        F: Future<Output = ()> + 'static,
    {
        self.spawn(future).detach();
    }

    #[track_caller]
    fn spawn_local_task<F>(&self, future: F) -> TaskHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        spawn_local(self, future)
    }
}

/// Spawns on this executor, on its thread, as [`LocalSpawn`] does: a group's `Send` and local
/// tasks run side by side. The clock and timer are `async-io`'s, as for [`Smol`].
impl Spawn for LocalExecutor<'static> {
    fn spawn_detached<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.spawn(future).detach();
    }

    /// smol's blocking pool, as for [`Smol`].
    fn spawn_blocking_detached<W>(&self, work: W)
    where
        W: FnOnce() + Send + 'static,
    {
        Smol.spawn_blocking_detached(work);
    }

    #[track_caller]
    fn spawn_task<F>(&self, future: F) -> TaskHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        spawn_local(self, future)
    }

    /// `async-io`'s clock, as for [`Smol`].
    fn now(&self) -> Instant {
        Smol.now()
    }

    /// `async-io`'s timer, as for [`Smol`].
    fn sleep_until(&self, deadline: Instant) -> impl Future<Output = ()> + Send + 'static {
        Smol.sleep_until(deadline)
    }
}

/// The future smol runs for a [`TaskHandle`]: the supervised task, dropped under
/// `catch_unwind` when the executor drops it unfinished (see the module docs for why).
#[pin_project(PinnedDrop)]
struct DropUnwound<F> {
    #[pin]
    future: Option<F>,
}

impl<F> DropUnwound<F> {
    fn new(future: F) -> Self {
        DropUnwound {
            future: Some(future),
        }
    }
}

impl<F: Future> Future for DropUnwound<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let future = self.project().future.as_pin_mut();
        future.expect("emptied only when dropped").poll(cx)
    }
}

#[pinned_drop]
impl<F> PinnedDrop for DropUnwound<F> {
    fn drop(self: Pin<&mut Self>) {
        let mut future = self.project().future;
        // Nobody is left to hand the panic to.
        let _ = catch_unwind(AssertUnwindSafe(|| future.set(None)));
    }
}
