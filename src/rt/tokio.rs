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
//! A future that is not `Send` runs on a tokio `LocalSet` (or a local runtime): [`spawn_local`]
//! and [`TokioLocal`] spawn it there with `tokio::task::spawn_local`, behind the same
//! `JoinHandle`, aborted on drop.
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

use crate::spawn::{LocalSpawn, Spawn};
use crate::task::TaskHandle;
use crate::timer::Sleep;

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

/// The tokio runtime the caller runs in, as an implementor of [`Spawn`], and of
/// [`LocalSpawn`] inside a `LocalSet`.
///
/// As with tokio's `JoinSet::spawn_local`, a group on `Tokio` takes `!Send` tasks with
/// [`TaskGroup::spawn_local`](crate::TaskGroup::spawn_local) when it is used inside a
/// `LocalSet`: they run on the `LocalSet`'s thread, its `Send` tasks on the runtime's workers.
/// To keep every task of a group on the `LocalSet`'s thread, use [`TokioLocal`].
///
/// # Examples
///
/// ```
/// use cancel_cascade::rt::tokio::Tokio;
/// use cancel_cascade::TaskGroup;
/// use std::rc::Rc;
///
/// let runtime = tokio::runtime::Runtime::new().unwrap();
/// tokio::task::LocalSet::new().block_on(&runtime, async {
///     let mut group = TaskGroup::<_, String>::new(Tokio);
///     let counted = group.spawn(async { Ok((1..=10).sum::<u32>()) }); // on a worker
///     let shared = Rc::new(String::from("not Send"));
///     let local = group.spawn_local(async move {
///         tokio::task::yield_now().await; // the `Rc` is held across an await
///         Ok(shared.len())
///     });
///     group.join().await.unwrap();
///     assert_eq!((counted.await, local.await), (Some(55), Some(8)));
/// });
/// ```
///
/// # Panics
///
/// Spawning panics outside a tokio runtime, like `tokio::spawn`; spawning a local task panics
/// outside a `LocalSet` (and outside a local runtime), like `tokio::task::spawn_local`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Tokio;

/// `tokio::task::spawn_local`: inside a `LocalSet` (or a local runtime) only.
impl LocalSpawn for Tokio {
    #[track_caller]
    fn spawn_local_detached<F>(&self, future: F)
    where
        F: Future<Output = ()> + 'static,
    {
        TokioLocal.spawn_local_detached(future);
    }

    #[track_caller]
    fn spawn_local_task<F>(&self, future: F) -> TaskHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        spawn_local(future)
    }
}

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
        crate::timer::runtime_now()
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

/// Spawns `future`, which need not be `Send`, on the tokio `LocalSet` the caller runs in (or a
/// local runtime), and returns its handle: awaiting it gives the output, dropping it cancels
/// the task.
///
/// Same as [`TokioLocal.spawn_local_task(future)`](LocalSpawn::spawn_local_task). The task
/// runs on the `LocalSet`'s thread, while the `LocalSet` is driven (`LocalSet::run_until`, or
/// awaiting the `LocalSet`); its handle may be awaited or dropped anywhere (it is `Send` when
/// the output is).
///
/// # Cancellation
///
/// Dropping the handle aborts the task; the `LocalSet` drops its future soon after, on its own
/// thread. [`TaskHandle::cancel`] waits for that. A `LocalSet` that is dropped drops the tasks
/// it still holds; a handle awaiting one of them then panics (see `# Panics` on
/// [`TaskHandle`]).
///
/// # Examples
///
/// ```
/// use cancel_cascade::rt::tokio as cc_tokio;
/// use std::rc::Rc;
///
/// let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// let local = tokio::task::LocalSet::new();
/// local.block_on(&runtime, async {
///     let shared = Rc::new(41);
///     let task = cc_tokio::spawn_local(async move {
///         tokio::task::yield_now().await; // the `Rc` is held across an await
///         *shared + 1
///     });
///     assert_eq!(task.await, 42);
/// });
/// ```
///
/// # Panics
///
/// Outside a `LocalSet` (and outside a local runtime), like `tokio::task::spawn_local`.
#[track_caller]
pub fn spawn_local<F>(future: F) -> TaskHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    TaskHandle::from_tokio(future, ::tokio::task::spawn_local)
}

/// The tokio `LocalSet` the caller runs in (or the local runtime), as an implementor of
/// [`LocalSpawn`] and of [`Spawn`]: what a [`TaskGroup`](crate::TaskGroup) takes to run
/// `!Send` tasks ([`TaskGroup::spawn_local`](crate::TaskGroup::spawn_local)).
///
/// Every task spawned through it runs on the `LocalSet`'s thread, `Send` or not, with
/// `tokio::task::spawn_local`; blocking work goes to tokio's blocking pool, and the clock and
/// timer are tokio's, as for [`Tokio`] (tokio's paused test clock included).
///
/// # Examples
///
/// ```
/// use cancel_cascade::rt::tokio::TokioLocal;
/// use cancel_cascade::TaskGroup;
/// use std::cell::RefCell;
/// use std::rc::Rc;
///
/// let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// let local = tokio::task::LocalSet::new();
/// local.block_on(&runtime, async {
///     let log = Rc::new(RefCell::new(Vec::new()));
///     let mut group = TaskGroup::<_, String>::new(TokioLocal);
///     for i in 0..3 {
///         let log = Rc::clone(&log);
///         group.spawn_local(async move {
///             tokio::task::yield_now().await;
///             log.borrow_mut().push(i);
///             Ok(())
///         });
///     }
///     group.join().await.unwrap();
///     assert_eq!(log.borrow().len(), 3);
/// });
/// ```
///
/// # Panics
///
/// Spawning panics outside a `LocalSet` (and outside a local runtime), like
/// `tokio::task::spawn_local`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct TokioLocal;

impl LocalSpawn for TokioLocal {
    #[track_caller]
    fn spawn_local_detached<F>(&self, future: F)
    where
        F: Future<Output = ()> + 'static,
    {
        drop(::tokio::task::spawn_local(future));
    }

    #[track_caller]
    fn spawn_local_task<F>(&self, future: F) -> TaskHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        spawn_local(future)
    }
}

/// On the `LocalSet`'s thread too, with `tokio::task::spawn_local`: a group's `Send` and
/// local tasks run side by side.
impl Spawn for TokioLocal {
    #[track_caller]
    fn spawn_detached<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.spawn_local_detached(future);
    }

    /// tokio's blocking pool, as for [`Tokio`].
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime, like `spawn_blocking`.
    #[track_caller]
    fn spawn_blocking_detached<W>(&self, work: W)
    where
        W: FnOnce() + Send + 'static,
    {
        Tokio.spawn_blocking_detached(work);
    }

    #[track_caller]
    fn spawn_task<F>(&self, future: F) -> TaskHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        spawn_local(future)
    }

    /// tokio's clock, as for [`Tokio`].
    fn now(&self) -> Instant {
        Tokio.now()
    }

    /// tokio's timer, as for [`Tokio`].
    ///
    /// # Panics
    ///
    /// Inside a tokio runtime whose timer is not enabled, as tokio's `sleep`.
    fn sleep_until(&self, deadline: Instant) -> impl Future<Output = ()> + Send + 'static {
        Tokio.sleep_until(deadline)
    }
}
