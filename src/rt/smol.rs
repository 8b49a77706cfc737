//! smol: a [`TaskHandle`] over smol's own `Task`.
//!
//! smol already cancels a task whose `Task` is dropped, and its `cancel().await` returns once
//! the task's future has been dropped; so a [`TaskHandle`] here is smol's `Task` and adds
//! nothing to the task itself. [`spawn`] uses smol's global executor (one thread unless the
//! `SMOL_THREADS` environment variable says otherwise); [`Spawn`] is also implemented for a
//! `smol::Executor` of your own.
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

use ::smol::Executor;

use crate::rt::Spawn;
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
    TaskHandle::from_smol(::smol::spawn(future))
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
        TaskHandle::from_smol(self.spawn(future))
    }
}
