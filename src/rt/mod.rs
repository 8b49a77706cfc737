//! Spawning tasks that a [`TaskHandle`] cancels: one adapter per runtime, and the [`Spawn`]
//! trait for any other executor.
//!
//! Each runtime does something different when the handle of a task is dropped. A
//! [`TaskHandle`] does the same on all of them: dropping it cancels the task, and
//! [`cancel().await`](crate::TaskHandle::cancel) waits until the task's future has been dropped.
//!
//! | runtime | its own handle | dropping its handle | its own cancellation | under a `TaskHandle` |
//! |---|---|---|---|---|
//! | tokio (`rt::tokio`, feature `tokio`) | `JoinHandle` | detaches: the task runs on | `abort()` only schedules it; awaiting the `JoinHandle` afterwards returns once the future has been dropped | tokio's `JoinHandle`, aborted on drop |
//! | smol (`rt::smol`, feature `smol`) | `Task` | cancels, without waiting | `cancel().await` returns once the future has been dropped, but drops an output that a poll running at that moment produces; a panicking awaiter's waker aborts the process | the supervised mechanism below |
//! | async-std (`rt::async_std`, feature `async-std`, legacy) | `JoinHandle` | detaches | `cancel().await` only: no way to cancel without waiting, so none to cancel on drop | the supervised mechanism below |
//! | any other executor, through [`Spawn`] | | | | the supervised mechanism below |
//!
//! Futures that are not `Send` run on the thread that spawns them, through [`LocalSpawn`], with
//! the same [`TaskHandle`]:
//!
//! | local executor | spawner ([`LocalSpawn`] and [`Spawn`]) | free function | its own handle, dropped | under a `TaskHandle` |
//! |---|---|---|---|---|
//! | a tokio `LocalSet` (or local runtime) | `rt::tokio::TokioLocal` (every task of a group on the `LocalSet`'s thread), or `rt::tokio::Tokio` (its `Send` tasks on the workers, as with tokio's `JoinSet::spawn_local`) | `rt::tokio::spawn_local`; panics outside a `LocalSet` | `JoinHandle`: detaches | tokio's `JoinHandle`, aborted on drop |
//! | a `smol::LocalExecutor` | the executor (by reference, or in an `Rc`) | `rt::smol::spawn_local(&executor, future)` | `Task`: cancels, without waiting | the supervised mechanism below |
//! | async-std's executor of the thread (`spawn_local`, legacy) | `rt::async_std::AsyncStdLocal` | `rt::async_std::spawn_local` | `JoinHandle`: detaches | the supervised mechanism below |
//! | any other executor, through [`LocalSpawn`] | | | | the supervised mechanism below |
//!
//! A local spawner's tasks (`Send` or not) all run on its thread; its clock and timer, which a
//! [`TaskGroup`](crate::TaskGroup) on it uses, are its runtime's, through its [`Spawn`] impl.
//!
//! Where the runtime's own handle can cancel without waiting, tell when the future is gone and
//! lose no output (tokio), a `TaskHandle` wraps it: the task gets no allocation of ours, and
//! spawning and awaiting cost what they cost without this crate. Elsewhere the task runs
//! *supervised*: [`Spawn::spawn_task`] wraps the future in one that catches its panics, drops
//! it when the handle asks (waking the task to do so), and reports when it has stopped; the
//! executor runs that wrapper detached. A poll already running when the handle asks is not
//! interrupted, and if it completes its output is kept for the handle.
//!
//! A runtime that drops a task before it finished makes the awaiting handle panic instead of
//! waiting forever. tokio does so when it shuts down, and a `smol::Executor` when it is
//! dropped; the global executors of smol and async-std never drop a task.
//!
//! # Cancellation through spawns
//!
//! A task's future owns the `TaskHandle`s of the tasks it spawned, so cancelling the task
//! cancels them as its future is dropped, and theirs in turn: on every runtime, cancellation
//! reaches the whole tree of tasks spawned through this crate.
//!
//! [`TaskHandle`]: crate::TaskHandle

#[cfg(feature = "async-std")]
#[cfg_attr(docsrs, doc(cfg(feature = "async-std")))]
pub mod async_std;
#[cfg(feature = "smol")]
#[cfg_attr(docsrs, doc(cfg(feature = "smol")))]
pub mod smol;
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub mod tokio;

// The traits live below the adapters (`crate::spawn`); `rt` is their public home.
pub use crate::spawn::{LocalSpawn, Spawn};
