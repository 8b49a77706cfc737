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
//! then panics (see [`TaskHandle`]'s `# Panics`).
//!
//! A task spawned detached through [`Spawn::spawn_detached`] (every task of a
//! [`TaskGroup`](crate::TaskGroup)) runs exactly as if its `JoinHandle` had been dropped at
//! spawn, but the spawning thread keeps that handle for a while, at most 4096 per thread, and
//! lets go of them in batches: when the list is full, and when a group that thread joins has
//! finished. A finished task's memory is then freed by the thread that allocated it, which
//! spares glibc's allocator a lock that workers freeing it would contend for. The futures
//! themselves are dropped when the tasks end, as always; only the tasks' own small blocks may
//! outlive them until the next batch.
//!
//! # Examples
//!
//! ```
//! use cancel_cascade::rt::tokio;
//! use cancel_cascade::try_join_all_cancel;
//! use std::future::pending;
//!
//! # ::tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let handles = (0..10).map(|i| {
//!     tokio::spawn(async move {
//!         if i == 7 {
//!             return Err(format!("task {i} failed"));
//!         }
//!         pending().await
//!     })
//! });
//! // The nine others are aborted before the error comes back.
//! let outcome: Result<Vec<()>, String> = try_join_all_cancel(handles).await;
//! assert_eq!(outcome, Err("task 7 failed".to_string()));
//! # });
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

/// The tokio runtime the caller runs in, as a [`Spawn`]r.
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
        kept::keep(::tokio::spawn(future));
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
        kept::keep(self.spawn(future));
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

/// The handles of detached tasks, kept by the thread that spawned them for a while.
///
/// A task's memory is freed by whichever thread lets go of it last. With its handle dropped at
/// spawn, that is the worker that runs the task to its end; with glibc's allocator, a thread
/// that frees blocks another thread allocated (once its own cache of free blocks is full)
/// contends for that thread's arena lock with every allocation the spawning thread makes. When
/// one thread spawns many short tasks, that made a group's tasks far costlier than a
/// `JoinSet`'s, whose reader drops the handles itself. So the spawning thread keeps each handle
/// and drops them in batches: the oldest half once it holds [`MAX`], and all of them when a
/// group that this thread joins has finished ([`reap`]). A handle dropped then frees its task
/// if the task has finished, and otherwise detaches it, as dropping it at spawn did: keeping a
/// handle changes nothing for the task, whose future is dropped where and when it would be
/// anyway. Each handle is touched once more, when it is dropped.
pub(crate) mod kept {
    use std::cell::RefCell;
    use std::panic::{catch_unwind, AssertUnwindSafe};
    use std::vec;
    use std::vec::Vec;

    use ::tokio::task::JoinHandle;

    /// The most handles a thread keeps.
    pub(crate) const MAX: usize = 4096;

    std::thread_local! {
        static KEPT: RefCell<Vec<JoinHandle<()>>> = const { RefCell::new(Vec::new()) };
    }

    /// Keeps `handle` on this thread (or lets go of it at once where the list cannot be
    /// reached: during the thread's exit, or from a destructor that a batch drop runs).
    pub(crate) fn keep(handle: JoinHandle<()>) {
        let batch = KEPT.try_with(|kept| {
            let Ok(mut kept) = kept.try_borrow_mut() else {
                return vec![handle];
            };
            kept.push(handle);
            if kept.len() < MAX {
                return Vec::new();
            }
            kept.drain(..MAX / 2).collect()
        });
        // A thread being torn down has no list any more: the handle went with the closure
        // that could not run.
        release(batch.unwrap_or_default());
    }

    /// Drops every handle this thread keeps.
    pub(crate) fn reap() {
        let batch = KEPT.try_with(|kept| {
            kept.try_borrow_mut()
                .map(|mut kept| core::mem::take(&mut *kept))
                .unwrap_or_default()
        });
        release(batch.unwrap_or_default());
    }

    /// How many handles this thread keeps.
    #[cfg(test)]
    pub(crate) fn len() -> usize {
        KEPT.with(|kept| kept.borrow().len())
    }

    /// Drops handles outside the list's borrow. A finished task's handle drops what the task
    /// left (the payload of a panic, say); like tokio when it drops a detached task's output,
    /// a panic in there is swallowed rather than passed to whoever spawned.
    fn release(handles: Vec<JoinHandle<()>>) {
        for handle in handles {
            let _ = catch_unwind(AssertUnwindSafe(move || drop(handle)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::kept;
    use crate::rt::Spawn;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    /// Waits (at most a minute) until `done` reaches `n`.
    fn wait_for(done: &AtomicUsize, n: usize) {
        let start = Instant::now();
        while done.load(Ordering::SeqCst) < n {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "tasks did not finish"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn the_spawning_thread_keeps_a_bounded_list_until_a_reap() {
        let runtime = ::tokio::runtime::Runtime::new().unwrap();
        let handle = runtime.handle().clone();
        let done = Arc::new(AtomicUsize::new(0));
        let n = 3 * kept::MAX;
        for _ in 0..n {
            let done = Arc::clone(&done);
            handle.spawn_detached(async move {
                done.fetch_add(1, Ordering::SeqCst);
            });
            assert!(kept::len() < kept::MAX, "the list outgrew its bound");
        }
        wait_for(&done, n);
        // `done` counts before a task is marked finished: a finished task is left at most
        // until the next reap.
        let start = Instant::now();
        loop {
            kept::reap();
            if kept::len() == 0 {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "finished tasks were kept"
            );
            std::thread::yield_now();
        }
    }

    #[test]
    fn a_panicking_payload_dropped_by_a_reap_does_not_reach_the_caller() {
        struct Bomb;
        impl Drop for Bomb {
            fn drop(&mut self) {
                if !std::thread::panicking() {
                    panic!("a payload's destructor panicked");
                }
            }
        }
        let runtime = ::tokio::runtime::Runtime::new().unwrap();
        let handle = runtime.handle().clone();
        let done = Arc::new(AtomicUsize::new(0));
        let flag = Arc::clone(&done);
        handle.spawn_detached(async move {
            flag.fetch_add(1, Ordering::SeqCst);
            std::panic::panic_any(Bomb);
        });
        wait_for(&done, 1);
        let start = Instant::now();
        while kept::len() > 0 {
            kept::reap();
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "the task never finished"
            );
            std::thread::yield_now();
        }
    }
}
