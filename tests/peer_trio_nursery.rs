//! trio's nursery tests (`trio/_core/_tests/test_run.py`, the nursery and cancel-scope parts a
//! nursery uses), asked of `TaskGroup` on a multi-thread tokio runtime, each inside a watchdog.
//!
//! What maps: `async with open_nursery() as nursery:` -> `TaskGroup::new`, and the end of the
//! block -> `join().await`; `nursery.start_soon` -> `spawn` (from a task: `GroupSpawner`);
//! `nursery.start` with `task_status.started(value)` -> `start` with `Started::started`;
//! `nursery.cancel_scope.cancel()` -> `TaskGroup::cancel` (`GroupSpawner::cancel` from a
//! child); a `CancelScope(deadline=...)` around the nursery -> `with_deadline` /
//! `with_timeout`; `except Cancelled:` in a child -> `with_grace_period` and
//! `token.cancelled()`, a child without one is dropped (its destructors are its cleanup); the
//! `MultiError` / `ExceptionGroup` -> `join_all_errors`.
//!
//! Where trio delivers cancellation at the next checkpoint, ours drops a task's future at its
//! next poll (or, with a grace period, lets it see the token first): a child is never resumed
//! with a `Cancelled` exception, so the tests assert what ran and what was dropped.
//!
//! Not ported (no mapping):
//! - `test_basic`, `test_initial_task_error`, `test_run_nesting`, `test_out_of_context`,
//!   `test_current_*`, `test_root_task`, `test_reschedule`, `test_TrioToken_*`,
//!   `test_system_task_*`, `test_spawn_system_task`, `test_error_in_run_loop`, `test_exc_info*`,
//!   `test_exception_chaining*`, `test_contextvar_*`, `test_sniffio_integration`,
//!   `test_permanently_detach_coroutine_object` and other coroutine-object tests,
//!   `test_slow_abort_*`, `test_failed_abort`, `test_broken_abort`, `test_ki_protection_*`,
//!   `test_trivial_yields`, `test_async_function_implemented_in_C`: trio's run loop and
//!   coroutines, not nurseries; we have no run loop.
//! - `test_nursery_warn_use_async_with`, `test_Nursery_init`, `test_Nursery_private_init`,
//!   `test_Nursery_subclass`, `test_nursery_misnest`, `test_nursery_nested_child_misnest`,
//!   `test_asyncexitstack_nursery_misnest*`, `test_cancel_scope_misnesting_*`: misuse of a
//!   context manager; ownership rules it out (`join(self)` consumes the group).
//! - `test_task_tree_introspection`, `test_task_nursery_stack`, `test_spawn_name`: no task
//!   names or tree introspection.
//! - `test_nursery_main_block_error_basic`, `test_main_and_task_both_crash`,
//!   `test_nursery_explicit_exception`, `test_nursery_stop_iteration`,
//!   `test_nursery_stop_async_iteration`: the body's own error; the body is the caller's code,
//!   whose error is its own value (a body that fails drops the group: see the asyncio ports).
//! - `test_basic_interleave`: no scheduling order is promised between tasks.
//! - `test_cancel_shielding`, `test_cancel_shield_abort`, `test_unshield_while_cancel_propagating`,
//!   `test_cancel_scope_nesting`, `test_cancel_unbound`, `test_cancel_scope_repr`,
//!   `test_cancel_scope_validation`, `test_cancel_points`, `test_cancel_scope_deadline_duplicates`,
//!   `test_very_deep_cancel_scope_nesting`, `test_cancel_scope_exceptiongroup_filtering`,
//!   `test_cancel_scope_no_cancellederror`, `test_current_effective_deadline`,
//!   `test_yield_briefly_checks_for_timeout`: cancel scopes apart from a nursery (no shields, no
//!   scope objects; a deadline belongs to a group).
//! - `test_nursery_start_keeps_nursery_open`, `test_nursery_start_with_cancelled_nursery`:
//!   `start` takes `&mut TaskGroup`, so it cannot run from another task while the group is
//!   joined; a task spawned through a `GroupSpawner` before `join` returns is waited for
//!   (`tasks_may_join_the_group_while_it_is_joined_but_not_after`).
//! - `test_nursery_start`'s "calling started twice" (`started` consumes the `Started`),
//!   "errors in calling convention" (a type error here) and `TASK_STATUS_IGNORED` (a
//!   `Started` exists only inside `start`).
//! - `test_setting_strict_exception_groups`, `test_nursery_collapse`,
//!   `test_trio_run_strict_before_started`, `test_internal_error_old_nursery_multiple_tasks`:
//!   exception-group shapes; ours returns the error unchanged, and every error with
//!   `join_all_errors`.
//! - `test_simple_cancel_scope_usage_doesnt_create_cyclic_garbage`,
//!   `test_cancel_scope_exit_doesnt_create_cyclic_garbage`: no cancel-scope objects (the
//!   nursery one is ported).
#![cfg(all(not(loom), feature = "tokio"))]

#[allow(dead_code)]
mod support;
#[allow(dead_code)]
#[path = "support/tasks.rs"]
mod tasks;

use std::collections::BTreeSet;
use std::error::Error;
use std::fmt;
use std::future::{pending, poll_fn, Future};
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use cancel_cascade::rt::tokio::Tokio;
use cancel_cascade::{CancelToken, GroupOutcome, TaskGroup};
use tasks::{eventually, ms, Alive};
use tokio::sync::{oneshot, Barrier};
use tokio::time::sleep;

const LIMIT: Duration = Duration::from_secs(20);
/// Long enough that a task sleeping this long is still asleep when the test ends.
const FOREVER: Duration = Duration::from_secs(10);

/// Runs `scenario` on a multi-thread tokio runtime that lives until it is done, in a watchdog.
fn run<F>(what: &str, scenario: impl FnOnce() -> F + Send + 'static)
where
    F: Future<Output = ()>,
{
    tasks::on_tokio(what, LIMIT, scenario);
}

/// An error with a cause, to check that neither is lost on the way out.
#[derive(Debug)]
struct Crash {
    message: &'static str,
    cause: std::io::Error,
}

impl fmt::Display for Crash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message)
    }
}

impl Error for Crash {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.cause)
    }
}

/// `test_child_crash_basic`, `test_start_exception_preserves_cause_and_context`: the child's
/// error comes out of the group as it was raised: the same value (not a copy), its cause
/// intact; also when it fails before `started`.
#[test]
fn a_child_error_comes_out_unchanged() {
    run("child_crash_basic", || async {
        let crash = Arc::new(Crash {
            message: "uh oh",
            cause: std::io::Error::other("bar"),
        });
        let mut group = TaskGroup::<_, Arc<Crash>>::new(Tokio);
        let raised = Arc::clone(&crash);
        group.spawn(async move { Err::<(), _>(raised) });
        let error = group.join().await.unwrap_err();
        assert!(
            Arc::ptr_eq(&error, &crash),
            "the error is not the one raised"
        );
        assert_eq!(error.source().unwrap().to_string(), "bar");

        let mut group = TaskGroup::<_, Arc<Crash>>::new(Tokio);
        let raised = Arc::clone(&crash);
        let started: Option<()> = group.start(|_started| async move { Err(raised) }).await;
        assert_eq!(started, None);
        let error = group.join().await.unwrap_err();
        assert!(Arc::ptr_eq(&error, &crash));
    });
}

/// `test_task_crash_propagation`: a looper runs until a sibling crashes. With a grace period
/// it sees the cancellation and records it (trio's `except Cancelled:`) before the group
/// returns the crash; without one, its future has been dropped by then.
#[test]
fn a_crash_cancels_the_looper() {
    run("task_crash_propagation", || async {
        let record = Arc::new(Mutex::new(Vec::new()));
        let mut group = TaskGroup::<_, &str>::new(Tokio).with_grace_period(FOREVER);
        let (token, looper_record) = (group.token(), Arc::clone(&record));
        group.spawn(async move {
            let looping = async {
                loop {
                    tokio::task::yield_now().await;
                }
            };
            if token.run_until_cancelled(looping).await.is_none() {
                looper_record.lock().unwrap().push("cancelled");
            }
            Ok(())
        });
        group.spawn(async { Err::<(), _>("argh") });
        assert_eq!(group.join().await, Err("argh"));
        assert_eq!(*record.lock().unwrap(), ["cancelled"]);

        let alive = Alive::new();
        let guard = alive.guard();
        let mut group = TaskGroup::<_, &str>::new(Tokio);
        group.spawn(async move {
            let _guard = guard;
            loop {
                tokio::task::yield_now().await;
            }
            #[allow(unreachable_code)]
            Ok(())
        });
        group.spawn(async { Err::<(), _>("argh") });
        assert_eq!(group.join().await, Err("argh"));
        assert_eq!(alive.count(), 0, "the looper outlived the group");
    });
}

/// `test_two_child_crashes`: two children crash together; trio reports both. Ours reports both
/// when the group has a grace period (the second crash happens while the first one's
/// cancellation lets it run); without one, the second child may be dropped before it crashes
/// (fail-fast), so `join_all_errors` gives one or both, the first one first.
#[test]
fn two_child_crashes_are_both_reported() {
    run("two_child_crashes", || async {
        for grace_period in [Some(FOREVER), None] {
            let mut group = TaskGroup::<_, &str>::new(Tokio);
            if let Some(grace_period) = grace_period {
                group = group.with_grace_period(grace_period);
            }
            let together = Arc::new(Barrier::new(2));
            for error in ["KeyError", "ValueError"] {
                let together = Arc::clone(&together);
                group.spawn(async move {
                    together.wait().await;
                    Err::<(), _>(error)
                });
            }
            let errors: BTreeSet<_> = group
                .join_all_errors()
                .await
                .unwrap_err()
                .into_iter()
                .collect();
            if grace_period.is_some() {
                assert_eq!(errors, BTreeSet::from(["KeyError", "ValueError"]));
            } else {
                assert!(!errors.is_empty() && errors.len() <= 2);
            }
        }
    });
}

/// `test_child_crash_wakes_parent`: the body sleeps forever on the group's token; a child's
/// crash wakes it, and the crash comes out of the group.
#[test]
fn a_child_crash_wakes_the_body() {
    run("child_crash_wakes_parent", || async {
        let mut group = TaskGroup::<_, &str>::new(Tokio);
        group.spawn(async { Err::<(), _>("this is a crash") });
        group.token().cancelled().await;
        assert_eq!(group.join().await, Err("this is a crash"));
    });
}

/// Two leaves per worker, each worker a task of `outer` running a group of its own: the
/// leaves wait on their group's token, which is a child of the outer group's.
fn workers(
    outer: &mut TaskGroup<Tokio, ()>,
    record: &Arc<Mutex<BTreeSet<String>>>,
    alive: &Arc<Alive>,
) {
    for worker in ["w1", "w2"] {
        let (record, alive) = (Arc::clone(record), Arc::clone(alive));
        outer.spawn(async move {
            let mut inner = TaskGroup::<_, ()>::new(Tokio);
            for leaf in ["l1", "l2"] {
                let (token, record, guard) = (inner.token(), Arc::clone(&record), alive.guard());
                inner.spawn(async move {
                    let _guard = guard;
                    token.cancelled().await;
                    record.lock().unwrap().insert(format!("{worker}-{leaf}"));
                    Ok(())
                });
            }
            inner.join().await
        });
    }
}

/// `test_cancel_inheritance`: cancelling the outer group reaches the leaves of the groups its
/// children run. With a grace period every leaf sees the cancellation (its group's token is a
/// child of the outer one) and records it. Without one, the outer group's hard stop reaches the
/// inner groups before its token does: every leaf is dropped without running its cleanup, even
/// one that its token wakes on another worker.
#[test]
fn cancel_reaches_the_tasks_of_nested_groups() {
    run("cancel_inheritance", || async {
        for graceful in [true, false] {
            let record = Arc::new(Mutex::new(BTreeSet::new()));
            let alive = Alive::new();
            let mut outer = TaskGroup::<_, ()>::new(Tokio);
            if graceful {
                outer = outer.with_grace_period(FOREVER);
            }
            workers(&mut outer, &record, &alive);
            eventually("the four leaves to start", || alive.count() == 4).await;
            outer.cancel();
            assert_eq!(outer.join().await, Ok(()));
            assert_eq!(alive.count(), 0, "a leaf outlived the outer group");
            let record = record.lock().unwrap();
            if graceful {
                let every_leaf = ["w1-l1", "w1-l2", "w2-l1", "w2-l2"].map(String::from);
                assert_eq!(*record, BTreeSet::from(every_leaf));
            } else {
                assert!(record.is_empty(), "a leaf ran its cleanup: {record:?}");
            }
        }
    });
}

/// `test_precancelled_task`: a task spawned into a cancelled nursery starts in trio, and is
/// cancelled at its first checkpoint. Ours, by design (documented on `spawn`), never starts:
/// it is dropped unpolled and its `GroupTask` gives `None`.
#[test]
fn a_task_spawned_into_a_cancelled_group_never_starts() {
    run("precancelled_task", || async {
        let record = Arc::new(Mutex::new(Vec::new()));
        let mut group = TaskGroup::<_, ()>::new(Tokio);
        group.cancel();
        let started = Arc::clone(&record);
        let blocker = group.spawn(async move {
            started.lock().unwrap().push("started");
            pending::<Result<(), ()>>().await
        });
        assert_eq!(group.join().await, Ok(()));
        assert_eq!(blocker.await, None);
        assert!(record.lock().unwrap().is_empty());
    });
}

/// `test_nursery_closure`: a child adds a task to the nursery while the nursery is already
/// waiting at its end; the new task runs and is waited for. Once the nursery has finished, it
/// takes no more tasks (trio raises `RuntimeError`; ours drops the future unpolled and its
/// `GroupTask` gives `None`).
#[test]
fn tasks_may_join_the_group_while_it_is_joined_but_not_after() {
    run("nursery_closure", || async {
        let child2_ran = Arc::new(AtomicBool::new(false));
        let mut group = TaskGroup::<_, ()>::new(Tokio);
        let spawner = group.spawner();
        let (in_child1, ran) = (spawner.clone(), Arc::clone(&child2_ran));
        group.spawn(async move {
            sleep(ms(5)).await;
            in_child1.spawn(async move {
                sleep(ms(5)).await;
                ran.store(true, Ordering::SeqCst);
                Ok(())
            });
            Ok(())
        });
        assert_eq!(group.join().await, Ok(()));
        assert!(
            child2_ran.load(Ordering::SeqCst),
            "join returned before child2 ran"
        );
        assert!(!spawner.is_open());
        let polled = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&polled);
        let late = spawner.spawn(async move {
            flag.store(true, Ordering::SeqCst);
            Ok(())
        });
        assert_eq!(late.await, None);
        assert!(!polled.load(Ordering::SeqCst));
    });
}

/// `test_nursery_start`: `start` returns the value passed to `started` as soon as it is
/// passed, and the group waits for the rest of the task. Where trio raises out of `start`
/// (the child crashed before `started`, or exited without calling it, or the nursery is
/// closed), ours returns `None` and the crash, if any, is the group's (documented on `start`).
/// A crash after `started` is the group's too. Dropping the `start` call gives up the value
/// only: the task runs on in the group.
#[test]
fn start_returns_the_value_and_the_group_waits_for_the_task() {
    run("nursery_start", || async {
        for seconds in [1u64, 2] {
            let finished = Arc::new(AtomicBool::new(false));
            let mut group = TaskGroup::<_, &str>::new(Tokio);
            let done = Arc::clone(&finished);
            let value = group
                .start(|started| async move {
                    sleep(ms(seconds)).await;
                    started.started(seconds);
                    sleep(ms(seconds)).await;
                    done.store(true, Ordering::SeqCst);
                    Ok(())
                })
                .await;
            assert_eq!(value, Some(seconds));
            assert!(
                !finished.load(Ordering::SeqCst),
                "`start` waited for the whole task"
            );
            assert_eq!(group.join().await, Ok(()));
            assert!(finished.load(Ordering::SeqCst));
        }

        let mut group = TaskGroup::<_, &str>::new(Tokio);
        let value: Option<()> = group
            .start(|_started| async { Err("KeyError: oops") })
            .await;
        assert_eq!(value, None, "crashed before `started`");
        assert_eq!(group.join().await, Err("KeyError: oops"));

        let mut group = TaskGroup::<_, &str>::new(Tokio);
        let value: Option<()> = group.start(|_started| async { Ok(()) }).await;
        assert_eq!(value, None, "exited without calling `started`");
        assert_eq!(group.join().await, Ok(()));

        let mut group = TaskGroup::<_, &str>::new(Tokio);
        let value = group
            .start(|started| async move {
                started.started(());
                Err("KeyError: whoopsiedaisy")
            })
            .await;
        assert_eq!(value, Some(()));
        assert_eq!(group.join().await, Err("KeyError: whoopsiedaisy"));

        let mut group = TaskGroup::<_, &str>::new(Tokio);
        group.cancel();
        let polled = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&polled);
        let value = group
            .start(|started| async move {
                flag.store(true, Ordering::SeqCst);
                started.started(7);
                Ok(())
            })
            .await;
        assert_eq!(value, None, "started in a cancelled group");
        assert!(!polled.load(Ordering::SeqCst));
        assert_eq!(group.join().await, Ok(()));

        let finished = Arc::new(AtomicBool::new(false));
        let mut group = TaskGroup::<_, &str>::new(Tokio);
        let done = Arc::clone(&finished);
        {
            let mut start = pin!(group.start(|started| async move {
                sleep(ms(5)).await;
                started.started("hi");
                sleep(ms(5)).await;
                done.store(true, Ordering::SeqCst);
                Ok(())
            }));
            let first_poll = poll_fn(|cx| Poll::Ready(start.as_mut().poll(cx))).await;
            assert!(first_poll.is_pending());
        }
        assert_eq!(group.join().await, Ok(()));
        assert!(
            finished.load(Ordering::SeqCst),
            "the dropped `start` cancelled its task"
        );
    });
}

/// `test_basic_timeout`, for the scope around a nursery: a group whose deadline passes
/// cancels its tasks, waits until they have stopped, and says the deadline passed; a group
/// that finishes first never sees its deadline.
#[test]
fn a_deadline_cancels_the_group_and_waits() {
    run("basic_timeout", || async {
        let alive = Alive::new();
        let mut group = TaskGroup::<_, ()>::new(Tokio).with_timeout(ms(10));
        for _ in 0..3 {
            let guard = alive.guard();
            group.spawn(async move {
                let _guard = guard;
                pending::<Result<(), ()>>().await
            });
        }
        assert_eq!(group.join_outcome().await, Ok(GroupOutcome::DeadlinePassed));
        assert_eq!(alive.count(), 0);

        let mut group = TaskGroup::<_, ()>::new(Tokio).with_timeout(FOREVER);
        let token = group.token();
        group.spawn(async { Ok(()) });
        assert_eq!(group.join_outcome().await, Ok(GroupOutcome::Finished));
        assert!(
            token.is_cancelled(),
            "a finished group's token is cancelled"
        );
    });
}

/// `test_cancel_edge_cases`: cancelling twice is cancelling once, and a cancellation is a
/// level, not an edge: every wait on the token after it returns at once.
#[test]
fn cancel_is_idempotent_and_level_triggered() {
    run("cancel_edge_cases", || async {
        let token = CancelToken::new();
        token.cancel();
        token.cancel();
        assert!(token.is_cancelled());
        token.cancelled().await;
        token.cancelled().await;
        assert_eq!(token.run_until_cancelled(sleep(FOREVER)).await, None);
        assert_eq!(
            token.child_token().run_until_cancelled(async { 1 }).await,
            None
        );

        let mut group = TaskGroup::<_, ()>::new(Tokio);
        let token = group.token();
        group.cancel();
        group.cancel();
        token.cancelled().await;
        token.cancelled().await;
        assert_eq!(group.join_outcome().await, Ok(GroupOutcome::Cancelled));
    });
}

/// Drops count once dropped.
struct Local(Arc<AtomicUsize>);

impl Drop for Local {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// `test_locals_destroyed_promptly_on_cancel`: a cancelled task's locals have been destroyed
/// by the time the cancelled group returns.
#[test]
fn a_cancelled_task_drops_its_locals_before_the_group_returns() {
    run("locals_destroyed_promptly_on_cancel", || async {
        let destroyed = Arc::new(AtomicUsize::new(0));
        let mut group = TaskGroup::<_, ()>::new(Tokio);
        let (entered, has_entered) = oneshot::channel();
        let counter = Arc::clone(&destroyed);
        group.spawn(async move {
            let _a = Local(counter);
            entered.send(()).unwrap();
            pending::<Result<(), ()>>().await
        });
        has_entered.await.unwrap();
        group.cancel();
        assert_eq!(group.join().await, Ok(()));
        assert_eq!(destroyed.load(Ordering::SeqCst), 1);
    });
}

/// `test_nursery_cancel_doesnt_create_cyclic_garbage`: a cancelled group, its tasks holding
/// its spawner and queued behind a limit, leaves nothing alive once joined: no cycle through
/// the group keeps its runtime handle (or anything else) around.
#[test]
fn a_cancelled_group_keeps_nothing_alive() {
    run("nursery_cancel_doesnt_create_cyclic_garbage", || async {
        let runtime = Arc::new(Tokio);
        let runtime_alive = Arc::downgrade(&runtime);
        let mut group = TaskGroup::<_, ()>::new(runtime).with_limit(2);
        for _ in 0..4 {
            let spawner = group.spawner();
            group.spawn(async move {
                let _spawner = spawner;
                pending::<Result<(), ()>>().await
            });
        }
        group.cancel();
        assert_eq!(group.join().await, Ok(()));
        // `join` borrows the group, which lives on until it is dropped.
        drop(group);
        assert!(
            runtime_alive.upgrade().is_none(),
            "the group kept itself alive"
        );
    });
}

/// `test_nursery_start`, the part where the scope around `start` is cancelled before the
/// child calls `started`: here the scope is the group's deadline. A task that never becomes
/// ready must not keep `start` waiting past the deadline: the group cancels, as `join` would
/// at that deadline, `start` gives `None`, and the group reports that its deadline passed.
#[test]
fn a_deadline_that_passes_during_start_cancels_and_start_gives_none() {
    run("nursery_start under a deadline", || async {
        let alive = Alive::new();
        let guard = alive.guard();
        let mut group = TaskGroup::<_, ()>::new(Tokio).with_timeout(ms(10));
        let value: Option<u16> = group
            .start(|_started| async move {
                let _guard = guard;
                pending().await
            })
            .await;
        assert_eq!(value, None);
        assert_eq!(group.join_outcome().await, Ok(GroupOutcome::DeadlinePassed));
        assert_eq!(alive.count(), 0);
    });
}

/// `test_nursery_start`, the part where the nursery is cancelled while `start` waits: a sibling
/// fails while the child is not ready yet, in a group with a grace period, and the child does
/// not watch the token. `start` holds the group, so nothing else can end that grace period:
/// `start` must give `None` once the group is cancelling, leaving the wait to `join`.
#[test]
fn a_failure_during_start_with_a_grace_period_ends_start() {
    run("nursery_start cancelled with a grace period", || async {
        let alive = Alive::new();
        let guard = alive.guard();
        let mut group = TaskGroup::<_, &str>::new(Tokio).with_grace_period(ms(50));
        group.spawn(async {
            sleep(ms(5)).await;
            Err::<(), _>("sibling failed")
        });
        let value: Option<u16> = group
            .start(|_started| async move {
                let _guard = guard;
                pending().await
            })
            .await;
        assert_eq!(value, None);
        assert_eq!(group.join().await, Err("sibling failed"));
        assert_eq!(alive.count(), 0);
    });
}

/// `test_basic_timeout`'s scope around everything the body does, for a body that waits for a
/// free slot of a limited group: the deadline passing while `ready` waits cancels the group
/// (as `join` would then), so `ready` returns instead of waiting forever for slots that tasks
/// which never end hold.
#[test]
fn a_deadline_that_passes_during_ready_cancels_and_ready_returns() {
    run("ready under a deadline", || async {
        let alive = Alive::new();
        let mut group = TaskGroup::<_, ()>::new(Tokio)
            .with_limit(1)
            .with_timeout(ms(10));
        let guard = alive.guard();
        group.spawn(async move {
            let _guard = guard;
            pending::<Result<(), ()>>().await
        });
        group.ready().await;
        assert_eq!(group.join_outcome().await, Ok(GroupOutcome::DeadlinePassed));
        assert_eq!(alive.count(), 0);
    });
}
