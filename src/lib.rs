//! Future combinators that cancel by dropping: when one child fails or wins, its siblings are
//! dropped inside the `poll` that decides the outcome, before it returns `Ready`.
//!
//! # The cancellation model
//!
//! In Rust a future is cancelled by dropping it: its destructors run, its own children are
//! dropped in turn, and nothing of it runs after that. The combinators of this crate own their
//! children and drop every child that can no longer matter *inside the `poll` that decides the
//! outcome*, before returning `Ready`, in index order, exactly once. So cancellation cascades
//! down any tree of inline futures at once: a `try_join_all_cancel` nested in another one stops
//! with everything under it as soon as the outer one sees an error.
//!
//! Each child gets a waker of its own, so a wake-up re-polls only that child; the crate has no
//! runtime of its own and works under any executor.
//!
//! # The combinators
//!
//! | | output | decided when | not-yet-completed children |
//! |---|---|---|---|
//! | [`try_join_all_cancel`] | `Ok(Vec)` in input order, or the first `Err` | every child is `Ok`, or one is `Err` | dropped in the deciding `poll`; none polled after the first `Err` |
//! | [`select_first`] | `(output, index)` of the first child to complete | one child completes | dropped in the deciding `poll`; none polled after the winner |
//! | [`wait_any`] | `Vec<(index, output)>`, ascending, never empty | the parent poll that saw the first completion ends | dropped at the end of that `poll` |
//! | [`select_first_ok`] | `Ok((output, index))` of the first child to succeed, or [`AllFailed`]: every error with its index, ascending | one child is `Ok`, or every child is `Err` | dropped in the deciding `poll`; none polled after the winner; a failed child is dropped as it fails, its error kept |
//! | [`select_cancel`] | a [`one_of`] enum: the variant of the first future to complete, with its output | one future completes | dropped in the deciding `poll`; none polled after the winner |
//! | [`as_completed`] (a `Stream`) | `(index, output)` per child, in completion order (ascending index within one parent poll), then `None` | every child has completed | each dropped as it completes; the rest dropped with the stream |
//! | [`try_join_all_cancel_limit`] | as `try_join_all_cancel`, at most `limit` futures created at a time | as `try_join_all_cancel` | as `try_join_all_cancel`, and the iterator is dropped: no future is created after the error |
//! | [`as_completed_limit`] (a `Stream`) | as `as_completed`, at most `limit` futures created at a time | every input has completed | each dropped as it completes; those in flight, and the iterator, dropped with the stream |
//! | [`scope`] (feature `std`) | the body's `Ok`, or the first `Err` of the body or a task | the body and every task spawned into the scope (by the body, a task, or anyone with a [`ScopeSpawner`]) are `Ok`, or one is `Err` | dropped in the deciding `poll`, in spawn order; none polled after the first `Err`; a task spawned after the end is dropped unpolled |
//!
//! The children of [`scope`] are not given up front: they are tasks spawned into it while it
//! runs, and they may borrow from the function that awaits it (no `'static`, no `Send` unless
//! the scope must be `Send`); it starts each in the poll that spawned it, and drops the rest in
//! spawn order.
//!
//! All of them, and the tuple form [`try_join_cancel`], share one contract (for the streams,
//! read "`Ready`" as "`Ready(None)`", and their children are dropped as they complete, not at a
//! decision; the bounded forms poll each child first in the poll that creates it, which is the
//! poll in which a slot freed up):
//!
//! 1. Lazy: no child is polled before the combinator is.
//! 2. The first poll polls the children in index order. After that a child is polled only if
//!    it was woken since its last poll, at most once per parent poll; a wake-up from any thread
//!    reaches the waker of the parent's latest poll.
//! 3. When the outcome is decided, every child that has not completed is dropped, exactly once,
//!    in index order, before `poll` returns `Ready`.
//! 4. Dropping the combinator drops every remaining child exactly once, in index order.
//! 5. A child's panic passes through `poll`; the other children are dropped, once, when the
//!    combinator is dropped during unwinding.
//! 6. Each future is a [`FusedFuture`](futures_core::future::FusedFuture); polling one again
//!    after it returned `Ready` panics (each stream is a
//!    [`FusedStream`](futures_core::stream::FusedStream) that keeps returning `None`). They
//!    are `Unpin` whatever the children are, `Send` when the children and their outputs are
//!    (the bounded forms: and the iterator too), and `Debug` without asking the children to
//!    be.
//!
//! A child's error is returned unchanged. `select_first`, `select_first_ok` and `wait_any` panic
//! at construction on an empty input, since they could never complete.
//!
//! ## Panicking destructors and wakers
//!
//! * The outcome is kept in the combinator from the moment it is decided until `poll` returns
//!   it, so no destructor can take it away. If a child's destructor panics while the
//!   combinator drops the remaining children, the panic comes out of `poll` instead of `Ready`;
//!   every other child is still dropped, exactly once, and the next poll returns the decided
//!   outcome without polling any child (only then is the combinator terminated).
//! * If the destructor of a child that just completed panics, the panic leaves `poll` with that
//!   child's output kept: `try_join_all_cancel` goes on (or, if that child failed, returns its
//!   error at the next poll); `select_first` returns that child as the winner at the next
//!   poll; `wait_any` returns the outputs of the pass so far at the next poll, and the
//!   children the pass did not reach are dropped with the rest (the same when a child of that
//!   pass panics in `poll`).
//! * The same holds for [`select_first_ok`] and [`select_cancel`]; if the destructor of the last
//!   child of [`select_first_ok`] to fail panics, the next `poll` returns [`AllFailed`].
//! * A second panic during unwinding aborts the process, as anywhere in Rust: a child panics in
//!   `poll` and a sibling's destructor panics as the unwinding drops the combinator.
//! * A parent waker that panics on wake makes the child's `wake` call panic, on whichever thread
//!   made it; no wake-up is lost and a later poll with a working waker registers it at once. A
//!   parent waker that panics on clone makes that poll panic before any child is polled.
//! * An executor may poll the task from inside the parent waker's `wake_by_ref`, with a new
//!   waker each time: registering it never waits for the wake in progress, so one child wake
//!   costs one parent poll, not a livelock.
//! * The combinator lets go of the parent's waker when it returns `Ready` or is dropped; a wake
//!   in flight at that moment lets go of it as it returns. A parent waker whose destructor
//!   panics makes that `poll` (or `drop`) panic, and nothing leaks.
//! * Wakers kept past the combinator (by timers, threads) are harmless to wake or drop.
//!
//! # Example
//!
//! ```
//! use cancel_cascade::try_join_all_cancel;
//! use futures::executor::block_on;
//! use std::future::pending;
//!
//! async fn fetch(id: u32) -> Result<u32, String> {
//!     if id == 3 {
//!         return Err(format!("request {id} failed"));
//!     }
//!     pending().await // the others would wait forever
//! }
//!
//! let outcome = block_on(try_join_all_cancel((0..5).map(fetch)));
//! assert_eq!(outcome, Err("request 3 failed".to_string()));
//! ```
//!
//! # Structured concurrency
//!
//! Spawned tasks break the tree of inline futures: tokio and async-std detach a task whose
//! `JoinHandle` is dropped. [`TaskHandle`] mends that on every runtime (dropping it cancels the
//! task, and `cancel().await` waits until the task's future is gone), and [`TaskGroup`] goes one
//! step further: on the first failure it cancels its other tasks and returns only once they have
//! all stopped, including every task they spawned through this crate, at any depth. Point by
//! point:
//!
//! | | tokio `JoinSet` | asyncio `TaskGroup` | trio nursery | Go `errgroup` | [`TaskGroup`] |
//! |---|---|---|---|---|---|
//! | first failure cancels the others | no: `join_next` hands the error over, the rest run on | yes | yes | cancels the `Context` (cooperative) | yes, at once |
//! | waits until the cancelled tasks have stopped | with `shutdown().await` | yes | yes | `Wait` | yes: futures dropped, destructors finished |
//! | ... and the tasks *they* spawned | no: aborting a task does not abort the tasks it spawned | only those in nested groups | only nested nurseries | only if they use the group | yes: `TaskHandle`s and nested groups, at any depth |
//! | cleanup code after cancellation | none (the future is dropped) | `except CancelledError` | `except Cancelled`, shields | after `ctx.Done()` | async code after `token.cancelled()`, within a grace period; then dropped |
//! | leaving the scope early | dropping aborts, does not wait | cancels and waits | cancels and waits | not possible | dropping cancels, does not wait; `shutdown().await` cancels and waits |
//! | error reported | each `JoinError` in turn | `ExceptionGroup` of all errors | `ExceptionGroup` | the first | the first ([`join`](TaskGroup::join)); every error, first one first ([`join_all_errors`](TaskGroup::join_all_errors), a [`GroupErrors`]); a panic is resumed |
//! | spawn from inside a task | wrap it in a mutex | pass `tg` along | pass the nursery along | pass `g` along | [`TaskGroup::spawner`]: a `GroupSpawner`, `Clone + Send + Sync`; `join` waits for those tasks too |
//! | results as they complete | `join_next` | `as_completed` over the tasks | a channel | a channel | [`TaskSet::join_next`], fail-fast and transitive |
//! | cancel without leaving the scope | `abort_all()` | `tg.cancel()` in recent versions (before: cancel the enclosing task) | `nursery.cancel_scope.cancel()` | cancel the parent `Context` | [`TaskGroup::cancel`]: token, grace period, drop; `join` still returns `Ok`; from a task, [`GroupSpawner::cancel`] |
//! | a deadline for the whole group | `timeout` around `join_next`: tasks run on | `asyncio.timeout()` around the `async with` | `move_on_after` | `context.WithTimeout` | [`TaskGroup::with_deadline`]: cancels, waits, [`join_outcome`](TaskGroup::join_outcome) says `DeadlinePassed` |
//! | cancel one task | `AbortHandle::abort()` | `task.cancel()` | a cancel scope per task | a context per task | [`GroupTask::cancel`]: waits until it (and what it spawned) stopped; the group goes on |
//! | at most n at once | a `Semaphore` | a `Semaphore` | a `CapacityLimiter` | `SetLimit` (`Go` blocks) | [`TaskGroup::with_limit`]: `spawn` never blocks, spawn order; `ready()` for producers |
//! | failures do not cancel the siblings | the default | `gather(return_exceptions=True)` | not built in | a plain `WaitGroup` | [`TaskGroup::supervised`]: waits for all, every error reported |
//! | wait until a task is ready | a oneshot channel | an `Event` | `nursery.start()` | a channel | [`TaskGroup::start`] with [`Started`] |
//! | runtimes | tokio | asyncio | trio | Go | tokio, smol, async-std, any [`rt::Spawn`] |
//!
//! Who waits for what: a task's children count against it while its future is alive; whatever
//! leaves in its output, or is sent away, belongs to whoever receives it. A [`TaskHandle`] or
//! [`TaskGroup`] dropped inside a task spawned through this crate (cancelled, or finished with
//! something still stopping) is waited for by that task, so by `cancel().await` on its handle
//! and by the `join()` of its group; one returned in a task's output, or sent over a channel, is
//! not waited for by the task that made it (a caller reading it after `join()` does not
//! deadlock), but by the task where it is finally dropped. A group created inside a task of
//! another group takes a child of that group's token, and is stopped with that group's tasks:
//! when the outer group drops its tasks (at once, or at the end of its grace period), the inner
//! group drops its own first, so none of them runs cleanup code the outer group gave no time
//! for.
//!
//! ## Every way to stop something
//!
//! Two verbs, one meaning each: a `cancel` that is `async` (on a task) asks and *waits*; a
//! `cancel` that is not (on a group, its spawners, a token) only *starts*, and something else
//! waits. Dropping always starts without waiting.
//!
//! | call | what it starts | what waits, and until when | what it reports |
//! |---|---|---|---|
//! | [`TaskHandle::cancel`]`().await` | the task's future is dropped (at its next poll; at once if it waits) | this call: until the future is dropped, and everything it let go of has stopped | `Some(output)` if it had finished, else `None` |
//! | drop a [`TaskHandle`] | the same drop | nothing waits (a task spawned through the crate that held the handle waits for it) | nothing |
//! | [`GroupTask::cancel`]`().await` | that one task is dropped, no grace period; the group goes on | this call: until the task and what it spawned have stopped | `Some(output)` if it had returned `Ok`, else `None`; not a failure of the group |
//! | drop a [`GroupTask`] | nothing: the task belongs to its group | | |
//! | [`TaskGroup::cancel`] | the group's cancellation: token, grace period, then the stragglers dropped; no new task admitted | nothing; [`TaskGroup::join`] waits until every task (at any depth) has stopped, and ends the grace period | `join` gives `Ok(())` unless a task failed; [`GroupOutcome::Cancelled`] |
//! | [`TaskGroup::shutdown`]`().await` | the same cancellation | this call, as `join` | the first error, as `join` |
//! | drop a [`TaskGroup`] / [`TaskSet`] | every task dropped at once, no grace period | nothing (inside a task spawned through the crate, that task waits for them) | nothing |
//! | [`GroupSpawner::cancel`], [`SetSpawner::cancel`] | as `TaskGroup::cancel`, from anywhere (a task of the group) | the group's `join` / the set's `join_next` | as `TaskGroup::cancel` |
//! | [`CancelToken::cancel`] | the token and its children read cancelled; their `cancelled()` futures wake | nothing: tasks that watch it stop on their own | nothing; a group's token is cancelled by its group, and cancelling it directly does not cancel the group |
//! | the parent of [`TaskGroup::with_token`] cancelled | as `TaskGroup::cancel`, inside the parent's `cancel` | the group's `join` | as `TaskGroup::cancel` |
//! | a deadline passes ([`TaskGroup::with_deadline`], [`TaskSet::with_deadline`]) | as `TaskGroup::cancel`, when a join (or `ready`, `start`, `join_next`) sees it | that join | [`GroupOutcome::DeadlinePassed`]; [`TaskSet::deadline_passed`] |
//! | the first failure of a fail-fast group | as `TaskGroup::cancel` (inside the failing task) | the group's `join` | the error, or the panic resumed |
//!
//! A [`GroupTask`] that gave `None` tells why with [`GroupTask::status`]: failed, panicked,
//! cancelled, never started. The joins of a group and a set are cancel safe: dropping one
//! cancels nothing (see [`TaskGroup`]'s *Joining*).
//!
//! ## The service pattern
//!
//! A service runs its tasks in a [`TaskGroup`] and races [`join`](TaskGroup::join) against its
//! shutdown signal. `join` borrows the group and is cancel safe: the branch that loses gives
//! nothing up, so when the signal wins, [`cancel`](TaskGroup::cancel) starts the grace period
//! and a second `join` waits for every task (and what they spawned) to stop:
//!
//! ```
//! # #[cfg(feature = "tokio")]
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use cancel_cascade::rt::tokio::Tokio;
//! use cancel_cascade::{CancelToken, TaskGroup};
//! use std::time::Duration;
//!
//! let shutdown = CancelToken::new(); // cancelled by the signal handler
//! let mut group = TaskGroup::<_, String>::new(Tokio).with_grace_period(Duration::from_secs(10));
//! let token = group.token();
//! group.spawn(async move {
//!     token.cancelled().await; // serve until the group stops, then drain
//!     Ok(())
//! });
//! # shutdown.cancel();
//! let outcome = tokio::select! {
//!     outcome = group.join() => outcome,
//!     _ = shutdown.cancelled() => {
//!         group.cancel();
//!         group.join().await
//!     }
//! };
//! assert_eq!(outcome, Ok(()));
//! # });
//! ```
//!
//! `examples/service_shutdown.rs` runs it. With [`TaskGroup::with_token`] the group follows
//! the service's root token instead, with no `select!`.
//!
//! ## Tasks that are not `Send`
//!
//! A future that holds an `Rc` or a `RefCell` borrow across an `.await` (a thread-per-core
//! server, a single-threaded runtime) runs on the thread that spawns it, through
//! [`rt::LocalSpawn`]: `rt::tokio::spawn_local` on a tokio `LocalSet`, `rt::smol::spawn_local`
//! on a `smol::LocalExecutor`, `rt::async_std::spawn_local`, or
//! [`spawn_local_task`](rt::LocalSpawn::spawn_local_task) on any executor that implements the
//! trait. Its [`TaskHandle`] keeps every promise above (dropping it cancels, `cancel().await`
//! waits, transitively), and is `Send` only when the output is. A group or set whose spawner
//! is local as well (`rt::tokio::TokioLocal`, a `LocalExecutor`,
//! `AsyncStdLocal`) takes such tasks with [`TaskGroup::spawn_local`],
//! [`TaskSet::spawn_local`] and their spawners' `spawn_local`, with every guarantee of the
//! group: fail-fast, the wait for everything the tasks spawned, the grace period, the limit,
//! the deadline on the spawner's timer. `examples/local_server.rs` runs `!Send` connection
//! handlers that way.
//!
//! # Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | (none) | | the combinators, which need only `core` and `alloc`: the crate is `no_std` |
//! | `std` | yes | also [`scope`], [`TaskHandle`], [`TaskGroup`], [`TaskSet`], [`CancelToken`], [`until_stopped`], [`time`] and the [`rt::Spawn`] and [`rt::LocalSpawn`] traits; no runtime, no reactor |
//! | `async-io` | no | `async-io`'s timer for [`time`] and the default [`rt::Spawn::sleep_until`] outside tokio, instead of the crate's timer thread (implies `std`) |
//! | `tokio-util` | no | [`CancelToken`] from and into tokio-util's `CancellationToken` (implies `std`) |
//! | `tracing` | no | every task spawned through the crate runs inside the `tracing` span current where it was spawned (entered around each poll and around the drop of its future); a group's cancellation (first failure, deadline, `cancel`, drop, hard stop) is a `DEBUG` event in the span current where the group was created, with the group's id and the reason (implies `std`) |
//! | `tokio`, `smol`, `async-std` | no | runtime adapters in [`rt`]: `spawn` and `spawn_local` functions, the `Tokio`, `Smol`, `AsyncStd` spawners and the local ones, `TokioLocal`, `smol::LocalExecutor`, `AsyncStdLocal` (`smol` and `async-std` imply `async-io`; `async-std` enables async-std's `unstable` feature, for its `spawn_local`) |
//!
//! Timers follow the runtime: a [`TaskGroup`]'s deadline and grace period run on the clock and
//! timer of its spawner ([`rt::Spawn::now`], [`rt::Spawn::sleep_until`]: tokio's for `Tokio`,
//! `async-io`'s for smol and async-std, whatever a spawner of your own gives), and
//! [`time::timeout`] on tokio's inside a tokio runtime, `async-io`'s elsewhere with that
//! feature, and otherwise on a timer thread of the crate's own, started at its first use. So a
//! library written against `S: Spawn` with the `std` feature alone gets groups with deadlines
//! on whichever runtime its user picks, and compiles no timer crate of its own; and the default
//! build compiles no runtime and no reactor.
//!
//! The minimum supported Rust version is 1.81.
//!
//! # Coming from asyncio
//!
//! [`_asyncio`] maps asyncio's ways of stopping concurrent work (`gather`, `wait`,
//! `as_completed`, `TaskGroup`, `task.cancel()`) to this crate, one idiom per row.

#![no_std]
#![warn(
    missing_docs,
    missing_debug_implementations,
    rust_2018_idioms,
    unreachable_pub
)]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

// Crate layout, for contributors: the layers, lowest first. A module imports only from its own
// layer and those below it; `.ci/run` checks it (the "layers" step, which lists the files of
// each layer: a new module goes in that list too).
//
// 1. The engine: `sync` (std or loom atomics and locks, and the census counters), `readiness`
//    (per-child wakers, the one `unsafe` module), `children`, and one policy per combinator
//    file (`try_join_all_cancel`, `select_first`, ...).
// 2. Spawned tasks: `id`, `token`, `live` (the spawn tree: who waits for whom), `task` (the
//    `TaskHandle` and the supervised task), `until_stopped`.
// 3. `timer`: the clock and sleep of the runtime the caller runs in, the primitive under every
//    deadline.
// 4. `spawn`: the `Spawn` and `LocalSpawn` traits (public as `rt::Spawn`, `rt::LocalSpawn`),
//    whose default clock and timer are `timer`'s.
// 5. `time`: the public timeouts, and a timeout on a spawner's timer for the groups.
// 6. `rt`: one adapter per runtime, implementing the traits of `spawn`.
// 7. `group`: `TaskGroup`, `TaskSet` and their parts.

mod as_completed;
mod as_completed_limit;
mod children;
#[cfg(all(feature = "std", not(loom)))]
mod group;
#[cfg(feature = "std")]
mod id;
// The concurrency limit, the result queue and the phase alone, for the loom models: groups
// need timers, which loom builds leave out.
#[cfg(all(feature = "std", loom))]
#[path = "group/limit.rs"]
mod group_limit;
#[cfg(all(feature = "std", loom))]
#[path = "group/phase.rs"]
mod group_phase;
#[cfg(all(feature = "std", loom))]
#[path = "group/queue.rs"]
mod group_queue;
#[cfg(feature = "std")]
mod live;
mod readiness;
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub mod rt;
#[cfg(feature = "std")]
mod scope;
mod select_cancel;
mod select_first;
mod select_first_ok;
#[cfg(feature = "std")]
mod spawn;
mod sync;
#[cfg(feature = "std")]
mod task;
#[cfg(all(feature = "std", not(loom)))]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub mod time;
#[cfg(all(feature = "std", not(loom)))]
mod timer;
#[cfg(feature = "std")]
mod token;
mod try_join_all_cancel;
mod try_join_all_cancel_limit;
mod try_join_cancel;
#[cfg(feature = "std")]
mod until_stopped;
mod wait_any;

// A page of documentation only (it holds no items): asyncio's idioms, mapped to this crate.
#[doc = include_str!("../docs/asyncio.md")]
pub mod _asyncio {}

pub use as_completed::{as_completed, AsCompleted};
pub use as_completed_limit::{as_completed_limit, AsCompletedLimit};
#[doc(hidden)]
pub use children::tuples;
#[cfg(all(feature = "std", not(loom)))]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub use group::{
    GroupErrors, GroupOutcome, GroupSpawner, GroupTask, SetSpawner, Started, TaskGroup, TaskSet,
    TaskStatus, WaitingFor,
};
#[cfg(all(feature = "std", loom))]
#[doc(hidden)]
pub use group_limit::loom_access as loom_limit;
#[cfg(all(feature = "std", loom))]
#[doc(hidden)]
pub use group_phase::loom_access as loom_group_stop;
#[cfg(all(feature = "std", loom))]
#[doc(hidden)]
pub use group_queue::loom_access as loom_queue;
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub use id::TaskId;
#[cfg(all(feature = "std", loom))]
#[doc(hidden)]
pub use live::loom_access as loom_live;
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub use scope::{scope, Scope, ScopeSpawner};
pub use select_cancel::{one_of, select_cancel, SelectCancel, SelectTuple};
pub use select_first::{select_first, SelectFirst};
pub use select_first_ok::{select_first_ok, AllFailed, SelectFirstOk};
// The census build's counters of synchronisations, for the bench (see benches/README.md).
#[cfg(all(cancel_cascade_census, not(loom)))]
#[doc(hidden)]
pub use sync::census;
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub use task::TaskHandle;
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub use token::{CancelToken, Cancelled, DropGuard, RunUntilCancelled};
pub use try_join_all_cancel::{try_join_all_cancel, TryJoinAllCancel};
pub use try_join_all_cancel_limit::{try_join_all_cancel_limit, TryJoinAllCancelLimit};
pub use try_join_cancel::{try_join_cancel, TryJoinCancel, TryJoinTuple};
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub use until_stopped::{until_stopped, UntilStopped};
pub use wait_any::{wait_any, WaitAny};

// The README's example compiles and runs with the doc tests, so that it stays true.
#[cfg(all(doctest, feature = "tokio"))]
#[doc = include_str!("../README.md")]
struct ReadmeExample;
