//! The [`Spawn`] and [`LocalSpawn`] traits: what an executor provides for tasks behind a
//! [`TaskHandle`]. Public as `rt::Spawn` and `rt::LocalSpawn`; they live here, below the
//! runtime adapters of [`rt`](crate::rt) that implement them and below the public timeouts of
//! [`time`](crate::time), so that the adapters and the timeouts import the traits and never
//! the other way round. Their default clock and timer are the primitive in `timer`.

use std::future::Future;
use std::rc::Rc;
use std::sync::Arc;

#[cfg(all(feature = "std", not(loom)))]
use std::time::Instant;

use crate::task::TaskHandle;
#[cfg(all(feature = "std", not(loom)))]
use crate::timer::{runtime_now, Sleep};

/// An executor that can run a `'static` future detached; that is all it takes to spawn tasks
/// on it behind a [`TaskHandle`], with [`spawn_task`](Spawn::spawn_task).
///
/// The runtime adapters implement it for `rt::tokio::Tokio`, `rt::smol::Smol` and
/// `rt::async_std::AsyncStd` (and for `tokio::runtime::Handle` and `smol::Executor`); a shared
/// reference or an `Arc` to a `Spawn` is one too. For any other executor, implement
/// [`spawn_detached`](Spawn::spawn_detached), and only that: the tasks then run supervised (see
/// the [`rt` module docs](crate::rt)).
///
/// # Examples
///
/// futures' `ThreadPool` in a newtype (the trait and the pool both live in other crates):
///
/// ```
/// use cancel_cascade::rt::Spawn;
/// use futures::executor::{block_on, ThreadPool};
/// use std::future::Future;
///
/// struct Pool(ThreadPool);
///
/// impl Spawn for Pool {
///     fn spawn_detached<F>(&self, future: F)
///     where
///         F: Future<Output = ()> + Send + 'static,
///     {
///         self.0.spawn_ok(future);
///     }
/// }
///
/// let pool = Pool(ThreadPool::new().unwrap());
/// let task = pool.spawn_task(async { "hello from the pool" });
/// assert_eq!(block_on(task), "hello from the pool");
/// ```
pub trait Spawn {
    /// Runs `future` to completion on this executor, detached: nothing waits for it.
    ///
    /// The executor may drop `future` unfinished (when it shuts down, say); a handle awaiting
    /// it then panics rather than wait forever.
    fn spawn_detached<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static;

    /// Spawns `future` and returns its handle: awaiting it gives the output, dropping it
    /// cancels the task.
    ///
    /// The default runs the future supervised through
    /// [`spawn_detached`](Spawn::spawn_detached); the runtime adapters of this crate replace
    /// it with their runtime's own task where that keeps the [`TaskHandle`] contract.
    ///
    /// The task's [id](TaskHandle::id) and spawn location (what
    /// [`TaskGroup::waiting_for`](crate::TaskGroup::waiting_for) prints) come from here: the
    /// method is `#[track_caller]`, so the location is the caller's. An override should be
    /// `#[track_caller]` too.
    ///
    /// # Cancellation
    ///
    /// The task is cancelled when the returned handle is dropped, and with it every task whose
    /// handle its future holds. A task cancelled before its first poll never runs.
    #[track_caller]
    fn spawn_task<F>(&self, future: F) -> TaskHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (task, handle) = TaskHandle::supervise(future);
        self.spawn_detached(task);
        handle
    }

    /// Runs `work` on this executor's pool for blocking code, detached: what
    /// [`TaskGroup::spawn_blocking`](crate::TaskGroup::spawn_blocking) runs a blocking closure
    /// on.
    ///
    /// The default starts a thread for it (named `cancel-cascade-blocking`). The adapters of
    /// this crate use their runtime's pool: tokio's `spawn_blocking`, smol's `unblock`,
    /// async-std's `spawn_blocking`. Override it to put blocking work of tasks spawned on
    /// another executor on that executor's pool.
    ///
    /// # Panics
    ///
    /// The default, if the thread cannot be started.
    fn spawn_blocking_detached<W>(&self, work: W)
    where
        W: FnOnce() + Send + 'static,
    {
        std::thread::Builder::new()
            .name("cancel-cascade-blocking".into())
            .spawn(work)
            .expect("cancel_cascade: could not start a thread for blocking work");
    }

    /// The time now on this executor's clock: the clock of the deadlines that
    /// [`sleep_until`](Spawn::sleep_until) waits for. A [`TaskGroup`](crate::TaskGroup) reads
    /// it where a deadline starts (`with_timeout`, a cancellation, whose grace period counts
    /// from then), so that every deadline of the group stays on one clock.
    ///
    /// The default is the clock of the runtime the caller runs in, the one the default
    /// `sleep_until` waits on: tokio's inside a tokio runtime (feature `tokio`), so that time
    /// that passed on tokio's paused test clock counts, the system's
    /// ([`Instant::now`](std::time::Instant::now)) elsewhere. The adapters of this crate read
    /// their runtime's clock: tokio's for `Tokio` and `tokio::runtime::Handle`, the system's
    /// for smol and async-std.
    ///
    /// A task of a group that fails starts the group's cancellation from inside that task, where
    /// there is no spawner to ask: the time is read there as the default reads it, on the
    /// runtime the task runs on. An override of `now` (with `sleep_until`, for an executor with
    /// a clock of its own) should agree with that clock inside its tasks.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "tokio")]
    /// # tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap().block_on(async {
    /// use cancel_cascade::rt::tokio::Tokio;
    /// use cancel_cascade::rt::Spawn;
    /// use std::time::Duration;
    ///
    /// // Under tokio's paused clock, virtual time counts.
    /// let before = Tokio.now();
    /// tokio::time::sleep(Duration::from_secs(60)).await;
    /// assert!(Tokio.now() - before >= Duration::from_secs(60));
    /// # });
    /// ```
    #[cfg(all(feature = "std", not(loom)))]
    fn now(&self) -> Instant {
        runtime_now()
    }

    /// A future that completes at `deadline`, a time on this executor's clock
    /// ([`now`](Spawn::now)), on its timer: what the crate's own deadlines use for tasks spawned
    /// here (a [`TaskGroup`](crate::TaskGroup)'s deadline and grace period).
    ///
    /// The default takes the timer of the runtime the caller runs in, like
    /// [`time::timeout`](crate::time::timeout): tokio's inside a tokio runtime (feature
    /// `tokio`), elsewhere `async-io`'s (feature `async-io`) or else the crate's own timer
    /// thread, started at its first use. The adapters of this crate use their runtime's own:
    /// tokio's for `Tokio` and `tokio::runtime::Handle` (so tokio's paused test clock applies),
    /// `async-io`'s for smol and async-std. Override it, with `now`, to put the deadlines of
    /// tasks spawned on another executor on that executor's timer.
    ///
    /// # Cancellation
    ///
    /// Dropping the returned future cancels the timer.
    ///
    /// # Panics
    ///
    /// The default, inside a tokio runtime whose timer is not enabled, as tokio's `sleep`.
    #[cfg(all(feature = "std", not(loom)))]
    fn sleep_until(&self, deadline: Instant) -> impl Future<Output = ()> + Send + 'static {
        Sleep::at(deadline)
    }
}

/// An executor that runs futures on the thread that spawns them, so they need not be `Send`:
/// what it takes to spawn a `!Send` future (one that holds an `Rc` or a `RefCell` borrow
/// across an `.await`) behind a [`TaskHandle`], with
/// [`spawn_local_task`](LocalSpawn::spawn_local_task).
///
/// The runtime adapters implement it for `rt::tokio::TokioLocal` (a tokio `LocalSet` or local
/// runtime), `smol::LocalExecutor` and `rt::async_std::AsyncStdLocal`; a shared reference, an
/// `Rc` or an `Arc` to a `LocalSpawn` is one too. For any other executor, implement
/// [`spawn_local_detached`](LocalSpawn::spawn_local_detached), and only that: the tasks then
/// run supervised (see the [`rt` module docs](crate::rt)).
///
/// A handle of a local task keeps every promise of a [`TaskHandle`]: dropping it cancels the
/// task, [`cancel().await`](TaskHandle::cancel) waits until the task's future, and everything
/// it let go of, has stopped. It is `Send` when the output is (it can be awaited, or dropped,
/// on another thread: the task's future stays on its executor's thread, where it is dropped);
/// a handle of a `!Send` output is `!Send`.
///
/// # Groups and timers
///
/// [`TaskGroup::spawn_local`](crate::TaskGroup::spawn_local) takes a spawner that implements
/// both this trait and [`Spawn`]: the group reads its clock and sets its timers (deadline,
/// grace period) through `Spawn`, so timers follow the runtime as they do for `Send` tasks.
/// The local spawners of this crate implement both, `Spawn` on their runtime's timer (tokio's
/// for `TokioLocal`, `async-io`'s for smol and async-std) and running the `Send` tasks on the
/// same thread as the local ones. A `LocalSpawn` alone needs no timer: a handle has none.
///
/// # Examples
///
/// futures' `LocalPool` through its `LocalSpawner`, polled by hand on this thread:
///
/// ```
/// use cancel_cascade::rt::LocalSpawn;
/// use futures::executor::{LocalPool, LocalSpawner};
/// use futures::task::LocalSpawnExt;
/// use std::cell::RefCell;
/// use std::future::Future;
/// use std::rc::Rc;
///
/// struct Local(LocalSpawner);
///
/// impl LocalSpawn for Local {
///     fn spawn_local_detached<F>(&self, future: F)
///     where
///         F: Future<Output = ()> + 'static,
///     {
///         self.0.spawn_local(future).expect("the pool is alive");
///     }
/// }
///
/// let mut pool = LocalPool::new();
/// let local = Local(pool.spawner());
/// let seen = Rc::new(RefCell::new(Vec::new()));
/// let shared = Rc::clone(&seen);
/// let task = local.spawn_local_task(async move {
///     shared.borrow_mut().push("ran"); // an `Rc`: not `Send`
///     Rc::clone(&shared)
/// });
/// let output = pool.run_until(task);
/// assert_eq!(*output.borrow(), ["ran"]);
/// ```
pub trait LocalSpawn {
    /// Runs `future` to completion on this executor, on the thread it belongs to, detached:
    /// nothing waits for it.
    ///
    /// The executor may drop `future` unfinished (when it is dropped itself, say); a handle
    /// awaiting it then panics rather than wait forever.
    fn spawn_local_detached<F>(&self, future: F)
    where
        F: Future<Output = ()> + 'static;

    /// Spawns `future`, which need not be `Send`, and returns its handle: awaiting it gives the
    /// output, dropping it cancels the task.
    ///
    /// The default runs the future supervised through
    /// [`spawn_local_detached`](LocalSpawn::spawn_local_detached), as
    /// [`Spawn::spawn_task`] does; the tokio adapter replaces it with tokio's own local task.
    /// The method is `#[track_caller]` (the task's spawn location is the caller's), and an
    /// override should be too.
    ///
    /// # Cancellation
    ///
    /// The task is cancelled when the returned handle is dropped, and with it every task whose
    /// handle its future holds; its future is dropped on the executor's thread. A task
    /// cancelled before its first poll never runs.
    #[track_caller]
    fn spawn_local_task<F>(&self, future: F) -> TaskHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let (task, handle) = TaskHandle::supervise(future);
        self.spawn_local_detached(task);
        handle
    }
}

/// `Spawn` and `LocalSpawn` for a pointer to a spawner: each method forwards to the spawner
/// pointed to (so a group can be given `&executor`, an `Arc` or an `Rc` of one).
macro_rules! forward_to_pointee {
    ($($pointer:ty),* $(,)?) => {$(
        impl<S: Spawn> Spawn for $pointer {
            #[track_caller]
            fn spawn_detached<F>(&self, future: F)
            where
                F: Future<Output = ()> + Send + 'static,
            {
                (**self).spawn_detached(future);
            }

            #[track_caller]
            fn spawn_blocking_detached<W>(&self, work: W)
            where
                W: FnOnce() + Send + 'static,
            {
                (**self).spawn_blocking_detached(work);
            }

            #[track_caller]
            fn spawn_task<F>(&self, future: F) -> TaskHandle<F::Output>
            where
                F: Future + Send + 'static,
                F::Output: Send + 'static,
            {
                (**self).spawn_task(future)
            }

            #[cfg(all(feature = "std", not(loom)))]
            fn now(&self) -> Instant {
                (**self).now()
            }

            #[cfg(all(feature = "std", not(loom)))]
            fn sleep_until(&self, deadline: Instant) -> impl Future<Output = ()> + Send + 'static {
                (**self).sleep_until(deadline)
            }
        }

        impl<S: LocalSpawn> LocalSpawn for $pointer {
            #[track_caller]
            fn spawn_local_detached<F>(&self, future: F)
            where
                F: Future<Output = ()> + 'static,
            {
                (**self).spawn_local_detached(future);
            }

            #[track_caller]
            fn spawn_local_task<F>(&self, future: F) -> TaskHandle<F::Output>
            where
                F: Future + 'static,
                F::Output: 'static,
            {
                (**self).spawn_local_task(future)
            }
        }
    )*};
}

forward_to_pointee!(&S, Arc<S>, Rc<S>);
