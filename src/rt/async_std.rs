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
//! A future that is not `Send` runs on async-std's executor of the thread that spawns it
//! (`async_std::task::spawn_local`): [`spawn_local`] and [`AsyncStdLocal`] spawn it there,
//! supervised the same way. That executor runs while its thread is inside
//! `async_std::task::block_on` (or is one of async-std's worker threads).
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

use crate::spawn::{LocalSpawn, Spawn};
use crate::task::TaskHandle;
use crate::timer::Sleep;

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

/// Spawns `future`, which need not be `Send`, on async-std's executor of the calling thread
/// (`async_std::task::spawn_local`), and returns its handle: awaiting it gives the output,
/// dropping it cancels the task.
///
/// Same as [`AsyncStdLocal.spawn_local_task(future)`](LocalSpawn::spawn_local_task). The task
/// runs on this thread, while the thread is inside `async_std::task::block_on` (or is one of
/// async-std's worker threads); its handle may be awaited or dropped anywhere (it is `Send`
/// when the output is).
///
/// # Cancellation
///
/// As for [`spawn`]: dropping the handle asks the task to drop its future, which it does the
/// next time the executor polls it, on this thread. [`TaskHandle::cancel`] waits for that.
///
/// # Examples
///
/// ```
/// use cancel_cascade::rt::async_std as cc_async_std;
/// use std::rc::Rc;
///
/// async_std::task::block_on(async {
///     let shared = Rc::new(41);
///     let task = cc_async_std::spawn_local(async move {
///         async_std::task::yield_now().await; // the `Rc` is held across an await
///         *shared + 1
///     });
///     assert_eq!(task.await, 42);
/// });
/// ```
#[track_caller]
pub fn spawn_local<F>(future: F) -> TaskHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    AsyncStdLocal.spawn_local_task(future)
}

/// async-std's executor of the calling thread (`async_std::task::spawn_local`), as an
/// implementor of [`LocalSpawn`] and of [`Spawn`]: what a [`TaskGroup`](crate::TaskGroup)
/// takes to run `!Send` tasks (legacy: see the module docs).
///
/// Every task spawned through it runs on the thread that spawns it, `Send` or not; blocking
/// work goes to async-std's blocking pool, and the clock and timer are `async-io`'s, as for
/// [`AsyncStd`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct AsyncStdLocal;

impl LocalSpawn for AsyncStdLocal {
    fn spawn_local_detached<F>(&self, future: F)
    where
        F: Future<Output = ()> + 'static,
    {
        // Dropping async-std's `JoinHandle` detaches the task.
        drop(::async_std::task::spawn_local(future));
    }
}

/// On the calling thread too, with `async_std::task::spawn_local`: a group's `Send` and local
/// tasks run side by side.
impl Spawn for AsyncStdLocal {
    fn spawn_detached<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.spawn_local_detached(future);
    }

    /// async-std's blocking pool, as for [`AsyncStd`].
    fn spawn_blocking_detached<W>(&self, work: W)
    where
        W: FnOnce() + Send + 'static,
    {
        AsyncStd.spawn_blocking_detached(work);
    }

    /// `async-io`'s clock, as for [`AsyncStd`].
    fn now(&self) -> Instant {
        AsyncStd.now()
    }

    /// `async-io`'s timer, as for [`AsyncStd`].
    fn sleep_until(&self, deadline: Instant) -> impl Future<Output = ()> + Send + 'static {
        AsyncStd.sleep_until(deadline)
    }
}
