//! smol: a [`TaskHandle`] over smol's own `Task`.
//!
//! smol already cancels a task whose `Task` is dropped, and its `cancel().await` returns once
//! the task's future has been dropped; so a [`TaskHandle`] here is smol's `Task`, and the task
//! gets no allocation of ours. [`spawn`] uses smol's global executor (one thread unless the
//! `SMOL_THREADS` environment variable says otherwise); [`Spawn`] is also implemented for a
//! `smol::Executor` of your own.
//!
//! smol drops a cancelled task's future outside the `catch_unwind` that guards its polls, so a
//! destructor that panics there would unwind through the executor and leave the task's awaiter
//! waiting forever. The task's future is therefore dropped under a `catch_unwind` of ours. One
//! difference from the other runtimes remains: that panic is reported by the panic hook but
//! does not resume in [`TaskHandle::cancel`] (smol's task has no way to carry it there); the
//! task stops like any cancelled task.
//!
//! The global executor never drops a task. A `smol::Executor` that is dropped drops every task
//! it still holds; a handle awaiting one of them then panics (see [`TaskHandle`]'s
//! `# Panics`).
//!
//! # Examples
//!
//! ```
//! use cancel_cascade::rt::smol;
//! use std::future::pending;
//!
//! ::smol::block_on(async {
//!     let stuck = smol::spawn(pending::<()>());
//!     let done = smol::spawn(async { "done" });
//!     assert_eq!(done.await, "done");
//!     assert_eq!(stuck.cancel().await, None);
//! });
//! ```

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use ::smol::Executor;
use pin_project::{pin_project, pinned_drop};

use crate::rt::Spawn;
use crate::time::Sleep;
use crate::TaskHandle;

/// Spawns `future` on smol's global executor and returns its handle: awaiting it gives the
/// output, dropping it cancels the task.
///
/// Same as [`Smol.spawn_task(future)`](Spawn::spawn_task).
///
/// # Cancellation
///
/// Dropping the handle cancels the task; the executor drops its future soon after, on one of
/// its threads. [`TaskHandle::cancel`] waits for that.
pub fn spawn<F>(future: F) -> TaskHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    TaskHandle::from_smol(DropUnwound::new(future), ::smol::spawn)
}

/// smol's global executor, as a [`Spawn`]r.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Smol;

impl Spawn for Smol {
    fn spawn_detached<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        ::smol::spawn(future).detach();
    }

    fn spawn_task<F>(&self, future: F) -> TaskHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        spawn(future)
    }

    /// `async-io`'s timer, which smol's reactor drives.
    fn sleep_until(&self, deadline: Instant) -> impl Future<Output = ()> + Send + 'static {
        Sleep::async_io_until(deadline)
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

    fn spawn_task<F>(&self, future: F) -> TaskHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        TaskHandle::from_smol(DropUnwound::new(future), |future| self.spawn(future))
    }

    /// `async-io`'s timer, which smol's reactor drives.
    fn sleep_until(&self, deadline: Instant) -> impl Future<Output = ()> + Send + 'static {
        Sleep::async_io_until(deadline)
    }
}

/// The future smol runs for a [`TaskHandle`]: the task's future, dropped under `catch_unwind`
/// (see the module docs for why).
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
