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
//! # From asyncio
//!
//! | asyncio idiom | what goes wrong | cancel-cascade |
//! |---|---|---|
//! | `await gather(*aws)` | on the first error the other awaitables keep running | [`try_join_all_cancel`] (or [`try_join_cancel`] for a tuple): the others are dropped before the error is returned |
//! | `gather`, then `t.cancel()` on each task and `await gather(*tasks, return_exceptions=True)` | three steps, easy to get wrong; cancelling a `gather` that already raised does nothing | nothing to write: the siblings are already dropped, and their destructors have run, when the error comes back |
//! | `wait(aws, return_when=FIRST_EXCEPTION)`, then cancel `pending` | `pending` must be cancelled by hand; nested coroutines keep running | [`try_join_all_cancel`]: children not started yet never start |
//! | `wait(aws, return_when=FIRST_COMPLETED)`, then cancel `pending` | if the waiting itself is cancelled, the awaitables keep running | [`wait_any`] (all done in the deciding pass) or [`select_first`] (the first one): dropping the wait drops the children |
//! | `task.cancel()`, then `await task` | `cancel()` only asks; the `await` is what waits | inline: drop the future, it is gone when `drop` returns; spawned: [`TaskHandle::cancel`]`().await` returns once the task's future has been dropped |
//! | `async with asyncio.TaskGroup() as tg: tg.create_task(...)` | tasks created outside the group by its tasks run on after it exits | [`TaskGroup`]: `join()` returns once every task, and everything they spawned through the crate, has stopped |
//! | `except CancelledError:` cleanup, then re-raise | needs care not to swallow the cancellation | [`TaskGroup::with_grace_period`] + [`CancelToken::cancelled`] |
//! | `asyncio.timeout(delay)` / `wait_for` | | [`time::timeout`], on any runtime |
//!
//! # The combinators
//!
//! | | output | decided when | not-yet-completed children |
//! |---|---|---|---|
//! | [`try_join_all_cancel`] | `Ok(Vec)` in input order, or the first `Err` | every child is `Ok`, or one is `Err` | dropped in the deciding `poll`; none polled after the first `Err` |
//! | [`select_first`] | `(output, index)` of the first child to complete | one child completes | dropped in the deciding `poll`; none polled after the winner |
//! | [`wait_any`] | `Vec<(index, output)>`, ascending, never empty | the parent poll that saw the first completion ends | dropped at the end of that `poll` |
//!
//! All three, and the tuple form [`try_join_cancel`], share one contract:
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
//! 6. They are [`FusedFuture`](futures_core::future::FusedFuture)s; polling one again after
//!    it returned `Ready` panics. They are `Unpin` whatever the children are, `Send` when the
//!    children are, and `Debug` without asking the children to be.
//!
//! A child's error is returned unchanged. `select_first` and `wait_any` panic at construction
//! on an empty input, since they could never complete.
//!
//! ## Panicking destructors and wakers
//!
//! * If a child's destructor panics while the combinator drops the remaining children, the panic
//!   comes out of `poll` instead of `Ready` and the decided outcome is dropped; every other child
//!   is still dropped, exactly once, and the combinator is terminated (polling it again panics,
//!   dropping it drops nothing more).
//! * If the destructor of the child that just completed panics, the panic leaves `poll` before
//!   anything is decided and the combinator stays pending: `try_join_all_cancel` has kept that
//!   output and can still complete; `select_first` and `wait_any` lose it and go on. Children
//!   woken in the same pass are not forgotten.
//! * A second panic during unwinding aborts the process, as anywhere in Rust: a child panics in
//!   `poll` and a sibling's destructor panics as the unwinding drops the combinator.
//! * A parent waker that panics on wake makes the child's `wake` call panic, on whichever thread
//!   made it; no wake-up is lost and a later poll with a working waker registers it at once. A
//!   parent waker that panics on clone makes that poll panic before any child is polled.
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
//! | | asyncio `TaskGroup` | trio nursery | tokio `JoinSet` | Go `errgroup` | [`TaskGroup`] |
//! |---|---|---|---|---|---|
//! | first failure cancels the others | yes | yes | no: `join_next` hands the error over, the rest run on | cancels the `Context` (cooperative) | yes, at once |
//! | waits until the cancelled tasks have stopped | yes | yes | with `shutdown().await` | `Wait` | yes: futures dropped, destructors finished |
//! | ... and the tasks *they* spawned | only those in nested groups | only nested nurseries | no: aborting a task does not abort the tasks it spawned | only if they use the group | yes: `TaskHandle`s and nested groups, at any depth |
//! | cleanup code after cancellation | `except CancelledError` | `except Cancelled`, shields | none (the future is dropped) | after `ctx.Done()` | async code after `token.cancelled()`, within a grace period; then dropped |
//! | leaving the scope early | cancels and waits | cancels and waits | dropping aborts, does not wait | not possible | dropping cancels, does not wait; `shutdown().await` cancels and waits |
//! | error reported | `ExceptionGroup` of all errors | `ExceptionGroup` | each `JoinError` in turn | the first | the first ([`join`](TaskGroup::join)); every error, first one first ([`join_all_errors`](TaskGroup::join_all_errors), a [`GroupErrors`]); a panic is resumed |
//! | spawn from inside a task | pass `tg` along | pass the nursery along | wrap it in a mutex | pass `g` along | [`TaskGroup::spawner`]: a `GroupSpawner`, `Clone + Send + Sync`; `join` waits for those tasks too |
//! | results as they complete | `as_completed` over the tasks | a channel | `join_next` | a channel | [`TaskSet::join_next`], fail-fast and transitive |
//! | cancel without leaving the scope | `tg` has no `cancel`; cancel the enclosing task | `nursery.cancel_scope.cancel()` | `abort_all()` | cancel the parent `Context` | [`TaskGroup::cancel`]: token, grace period, drop; `join` still returns `Ok` |
//! | a deadline for the whole group | `asyncio.timeout()` around the `async with` | `move_on_after` | `timeout` around `join_next`: tasks run on | `context.WithTimeout` | [`TaskGroup::with_deadline`]: cancels, waits, [`join_outcome`](TaskGroup::join_outcome) says `DeadlinePassed` |
//! | cancel one task | `task.cancel()` | a cancel scope per task | `AbortHandle::abort()` | a context per task | [`GroupTask::cancel`]: waits until it (and what it spawned) stopped; the group goes on |
//! | at most n at once | a `Semaphore` | a `CapacityLimiter` | a `Semaphore` | `SetLimit` (`Go` blocks) | [`TaskGroup::with_limit`]: `spawn` never blocks, spawn order; `ready()` for producers |
//! | failures do not cancel the siblings | `gather(return_exceptions=True)` | not built in | the default | a plain `WaitGroup` | [`TaskGroup::supervised`]: waits for all, every error reported |
//! | wait until a task is ready | an `Event` | `nursery.start()` | a oneshot channel | a channel | [`TaskGroup::start`] with [`Started`] |
//! | runtimes | asyncio | trio | tokio | Go | tokio, smol, async-std, any [`rt::Spawn`] |
//!
//! # Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | (none) | | the combinators, which need only `core` and `alloc`: the crate is `no_std` |
//! | `std` | yes | also [`TaskHandle`], [`TaskGroup`], [`CancelToken`], [`time`] and the [`rt::Spawn`] trait |
//! | `tokio`, `smol`, `async-std` | no | runtime adapters in [`rt`]: `spawn` functions and the `Tokio`, `Smol`, `AsyncStd` spawners |
//!
//! The minimum supported Rust version is 1.82.

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

mod children;
#[cfg(all(feature = "std", not(loom)))]
mod group;
// The concurrency limit alone, for the loom models: groups need timers, which loom builds
// leave out.
#[cfg(all(feature = "std", loom))]
#[path = "group/limit.rs"]
mod group_limit;
#[cfg(all(feature = "std", loom))]
#[path = "group/queue.rs"]
mod group_queue;
#[cfg(feature = "std")]
mod live;
mod readiness;
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub mod rt;
mod select_first;
mod sync;
#[cfg(feature = "std")]
mod task;
#[cfg(all(feature = "std", not(loom)))]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub mod time;
#[cfg(feature = "std")]
mod token;
mod try_join_all_cancel;
mod try_join_cancel;
mod wait_any;

#[cfg(all(feature = "std", not(loom)))]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub use group::{
    GroupErrors, GroupOutcome, GroupSpawner, GroupTask, SetSpawner, Started, TaskGroup, TaskSet,
};
#[cfg(all(feature = "std", loom))]
#[doc(hidden)]
pub use group_limit::loom_access as loom_limit;
#[cfg(all(feature = "std", loom))]
#[doc(hidden)]
pub use group_queue::loom_access as loom_queue;
#[cfg(all(feature = "std", loom))]
#[doc(hidden)]
pub use live::loom_access as loom_live;
pub use select_first::{select_first, SelectFirst};
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub use task::TaskHandle;
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub use token::{CancelToken, Cancelled};
pub use try_join_all_cancel::{try_join_all_cancel, TryJoinAllCancel};
pub use try_join_cancel::{try_join_cancel, tuples, TryJoinCancel, TryJoinTuple};
pub use wait_any::{wait_any, WaitAny};
