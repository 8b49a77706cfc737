//! tokio: a [`TaskHandle`] over tokio's own `JoinHandle`, aborted when the handle is dropped.
//!
//! tokio detaches a task whose `JoinHandle` is dropped, and `abort()` only schedules the
//! cancellation: the task's future is still alive when `abort` returns, and it is dropped later
//! on a worker. What makes tokio's handle enough is that awaiting an aborted `JoinHandle`
//! returns only after the future has been dropped (or after it completed first, with its
//! output); so a [`TaskHandle`] here is that `JoinHandle`, aborted on drop, and adds nothing
//! to the task itself.
//!
//! A runtime that shuts down drops every task it still holds; a handle awaiting one of them
//! then panics (see `# Panics` on [`TaskHandle`]).
//!
//! A task spawned detached through [`Spawn::spawn_detached`] (every task of a
//! [`TaskGroup`](crate::TaskGroup)) is spawned with its `JoinHandle` dropped at once: nothing of
//! it (its memory, which holds the runtime's handle) outlives the task.
//!
//! # Examples
//!
//! The adapter is imported under another name, so that `tokio` still names the tokio crate:
//!
//! ```
//! use cancel_cascade::rt::tokio as cc_tokio;
//! use cancel_cascade::try_join_all_cancel;
//! use std::future::pending;
//!
//! #[tokio::main]
//! async fn main() {
//!     let handles = (0..10).map(|i| {
//!         cc_tokio::spawn(async move {
//!             if i == 7 {
//!                 return Err(format!("task {i} failed"));
//!             }
//!             pending().await
//!         })
//!     });
//!     // The nine others are aborted before the error comes back.
//!     let outcome: Result<Vec<()>, String> = try_join_all_cancel(handles).await;
//!     assert_eq!(outcome, Err("task 7 failed".to_string()));
//! }
//! ```

use std::future::Future;
use std::time::Instant;

use ::tokio::runtime::Handle;

use crate::rt::Spawn;
use crate::time::Sleep;
use crate::TaskHandle;

/// Spawns `future` on the current tokio runtime and returns its handle: awaiting it gives the
/// output, dropping it cancels the task.
///
/// Same as [`Tokio.spawn_task(future)`](Spawn::spawn_task).
///
/// # Cancellation
///
/// Dropping the handle aborts the task; the runtime drops its future soon after, on one of its
/// threads. [`TaskHandle::cancel`] waits for that.
///
/// # Panics
///
/// Outside a tokio runtime, like `tokio::spawn`. To spawn from elsewhere, use
/// [`Spawn::spawn_task`] on a `tokio::runtime::Handle`.
#[track_caller]
pub fn spawn<F>(future: F) -> TaskHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    TaskHandle::from_tokio(future, ::tokio::spawn)
}

/// The tokio runtime the caller runs in, as an implementor of [`Spawn`].
///
/// # Panics
///
/// Spawning panics outside a tokio runtime, like `tokio::spawn`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Tokio;

impl Spawn for Tokio {
    #[track_caller]
    fn spawn_detached<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        // Dropping the `JoinHandle` detaches the task: its memory goes when it ends.
        drop(::tokio::spawn(future));
    }

    /// tokio's blocking pool, `tokio::task::spawn_blocking`.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime, like `spawn_blocking`.
    #[track_caller]
    fn spawn_blocking_detached<W>(&self, work: W)
    where
        W: FnOnce() + Send + 'static,
    {
        drop(::tokio::task::spawn_blocking(work));
    }

    #[track_caller]
    fn spawn_task<F>(&self, future: F) -> TaskHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        spawn(future)
    }

    /// tokio's clock, inside a tokio runtime (its paused test clock included); outside one,
    /// the system's.
    fn now(&self) -> Instant {
        crate::time::runtime_now()
    }

    /// tokio's timer, inside a tokio runtime, `deadline` read on tokio's clock (so the time
    /// that passed on a paused clock counts); outside one, the default of
    /// [`Spawn::sleep_until`].
    ///
    /// # Panics
    ///
    /// Inside a tokio runtime whose timer is not enabled, as tokio's `sleep`.
    fn sleep_until(&self, deadline: Instant) -> impl Future<Output = ()> + Send + 'static {
        Sleep::at(deadline)
    }
}

/// Spawns on the runtime of this handle, from any thread.
impl Spawn for Handle {
    #[track_caller]
    fn spawn_detached<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        drop(self.spawn(future));
    }

    /// The blocking pool of this handle's runtime.
    #[track_caller]
    fn spawn_blocking_detached<W>(&self, work: W)
    where
        W: FnOnce() + Send + 'static,
    {
        drop(self.spawn_blocking(work));
    }

    #[track_caller]
    fn spawn_task<F>(&self, future: F) -> TaskHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        TaskHandle::from_tokio(future, |future| self.spawn(future))
    }

    /// The clock of this handle's runtime (its paused test clock included), from any thread.
    fn now(&self) -> Instant {
        let _inside = self.enter();
        ::tokio::time::Instant::now().into_std()
    }

    /// The timer of this handle's runtime, from any thread, `deadline` read on that runtime's
    /// clock.
    ///
    /// # Panics
    ///
    /// If the runtime's timer is not enabled, as tokio's `sleep`.
    fn sleep_until(&self, deadline: Instant) -> impl Future<Output = ()> + Send + 'static {
        let _inside = self.enter();
        Sleep::tokio_at(deadline)
    }
}
