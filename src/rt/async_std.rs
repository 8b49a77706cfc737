//! async-std (legacy): a supervised [`TaskHandle`] on async-std's global executor.
//!
//! async-std is discontinued upstream; this adapter is kept working for code that still runs
//! on it, and new code is better served by [`smol`](crate::rt::smol) or
//! [`tokio`](crate::rt::tokio).
//!
//! async-std detaches a task whose `JoinHandle` is dropped, and its only cancellation is
//! `JoinHandle::cancel().await`: it cannot cancel without waiting, hence not on drop. So the
//! task runs supervised (see the [`rt`](crate::rt) module): a wrapper drops the future when the
//! handle asks and reports when it has stopped. async-std's global executor never drops a task.
//!
//! # Examples
//!
//! ```
//! use cancel_cascade::rt::async_std as cc_async_std;
//! use std::future::pending;
//!
//! async_std::task::block_on(async {
//!     let stuck = cc_async_std::spawn(pending::<()>());
//!     assert_eq!(stuck.cancel().await, None);
//! });
//! ```

use std::future::Future;
use std::time::Instant;

use crate::rt::Spawn;
use crate::time::Sleep;
use crate::TaskHandle;

/// Spawns `future` on async-std's global executor and returns its handle: awaiting it gives
/// the output, dropping it cancels the task.
///
/// Same as [`AsyncStd.spawn_task(future)`](Spawn::spawn_task).
///
/// # Cancellation
///
/// Dropping the handle asks the task to drop its future, which it does the next time the
/// executor polls it (the request wakes it). [`TaskHandle::cancel`] waits for that.
#[track_caller]
pub fn spawn<F>(future: F) -> TaskHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    AsyncStd.spawn_task(future)
}

/// async-std's global executor, as an implementor of [`Spawn`] (legacy: see the module docs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct AsyncStd;

impl Spawn for AsyncStd {
    fn spawn_detached<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        // Dropping async-std's `JoinHandle` detaches the task.
        drop(::async_std::task::spawn(future));
    }

    /// async-std's blocking pool, `async_std::task::spawn_blocking`.
    fn spawn_blocking_detached<W>(&self, work: W)
    where
        W: FnOnce() + Send + 'static,
    {
        drop(::async_std::task::spawn_blocking(work));
    }

    /// The system's clock, `async-io`'s.
    fn now(&self) -> Instant {
        Instant::now()
    }

    /// `async-io`'s timer, which async-std's reactor drives.
    fn sleep_until(&self, deadline: Instant) -> impl Future<Output = ()> + Send + 'static {
        Sleep::outside_tokio(Some(deadline))
    }
}
