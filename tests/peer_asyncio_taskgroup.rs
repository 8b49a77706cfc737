//! asyncio's `TaskGroup` tests (CPython `Lib/test/test_asyncio/test_taskgroups.py`), asked of
//! `TaskGroup` on a multi-thread tokio runtime, each inside a watchdog.
//!
//! What maps: `async with TaskGroup() as g:` -> `TaskGroup::new`, and the end of the block ->
//! `join().await`; the code of the block (the "body") is the caller's own, and a body that
//! raises is a caller that drops the group (`?`), which cancels every task without waiting.
//! `g.create_task` -> `spawn` (from a task: `GroupSpawner::spawn`); `t.result()` -> the
//! `GroupTask` awaited, `Some(output)`; `t.cancelled()` -> `None`. The `ExceptionGroup` ->
//! `join`'s first error, or every error with `join_all_errors`. A task's
//! `except CancelledError:` cleanup -> `with_grace_period` and `token.cancelled()`; a task
//! without one is dropped (its destructors are its cleanup, checked with guards). Cancelling
//! the task that runs the group (`r.cancel()`) -> `TaskHandle::cancel`. `tg.cancel()` ->
//! `TaskGroup::cancel`, or `GroupSpawner::cancel` from a task. `KeyboardInterrupt` and other
//! `BaseException`s -> panics.
//!
//! Not ported (no mapping):
//! - `test_taskgroup_task_name`, `test_name`: tasks have no names.
//! - `test_taskgroup_task_context`: no context variables.
//! - `test_taskgroup_already_entered`, `_double_enter`, `_not_entered`,
//!   `test_taskgroup_without_parent_task`: there is no enter or exit; `join(self)` consumes the
//!   group, so these states cannot be written.
//! - `test_taskgroup_context_manager_exit_raises`, `test_taskgroup_17`,
//!   `test_taskgroup_cancel_body`, `test_taskgroup_body_cancel_before_exception`,
//!   `test_taskgroup_body_cancel_after_exception`: about the body's own cancellation; the
//!   body is the caller's code, which the group neither runs nor cancels.
//! - `test_error_and_cancel` and the `cancelling()` counts of `test_cancelling_level_preserved`
//!   and `test_nested_groups_both_cancelled`: tasks keep no cancellation count (what those tests
//!   protect, a failure that does not leak out of its group, is ported).
//! - `test_exception_refcycles_propagate_cancellation_error`, `_base_error`: no
//!   `CancelledError` or `KeyboardInterrupt` objects (the other reference tests are ported).
//! - `_test_taskgroup_21`: disabled upstream.
#![cfg(all(not(loom), feature = "tokio"))]

#[allow(dead_code)]
mod support;
#[allow(dead_code)]
#[path = "support/tasks.rs"]
mod tasks;

use std::future::{pending, Future};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cancel_cascade::rt::tokio::Tokio;
use cancel_cascade::{GroupOutcome, GroupSpawner, TaskGroup, TaskSet};
use futures::future::BoxFuture;
use futures::FutureExt;
use support::{panic_message, quiet_panics_containing};
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

/// `test_taskgroup_01`, `_02`: each task's result is there once the group ends, also for a task
/// spawned after another one finished, while the body ran on.
#[test]
fn every_result_is_there_after_join() {
    run("taskgroup_01_02", || async {
        let mut group = TaskGroup::<_, ()>::new(Tokio);
        let t1 = group.spawn(async {
            sleep(ms(10)).await;
            Ok(42)
        });
        let t2 = group.spawn(async {
            sleep(ms(20)).await;
            Ok(11)
        });
        assert_eq!(group.join().await, Ok(()));
        assert_eq!((t1.await, t2.await), (Some(42), Some(11)));

        let mut group = TaskGroup::<_, ()>::new(Tokio);
        let t1 = group.spawn(async {
            sleep(ms(5)).await;
            Ok(42)
        });
        sleep(ms(15)).await;
        let t2 = group.spawn(async {
            sleep(ms(10)).await;
            Ok(11)
        });
        assert_eq!(group.join().await, Ok(()));
        assert_eq!((t1.await, t2.await), (Some(42), Some(11)));
    });
}

/// `test_taskgroup_03`: one task cancelled by hand (`GroupTask::cancel`) is no failure of the
/// group; a task spawned after that runs, and the group ends without an error.
#[test]
fn cancelling_one_task_spares_the_group() {
    run("taskgroup_03", || async {
        let alive = Alive::new();
        let mut group = TaskGroup::<_, ()>::new(Tokio);
        let guard = alive.guard();
        let t1 = group.spawn(async move {
            let _guard = guard;
            sleep(FOREVER).await;
            Ok(42)
        });
        sleep(ms(5)).await;
        assert_eq!(t1.cancel().await, None, "t1 is cancelled");
        assert_eq!(alive.count(), 0, "`cancel` returned before t1 was dropped");
        let t2 = group.spawn(async {
            sleep(ms(5)).await;
            Ok(11)
        });
        assert_eq!(group.join().await, Ok(()));
        assert_eq!(t2.await, Some(11));
    });
}

/// `test_taskgroup_04`, `test_cancel_children_on_child_error`: three tasks fail, one sleeps.
/// The sleeper is cancelled (its future dropped by the time the group returns), the body
/// waiting on the group's token is woken as cancelled, and the errors are all division by
/// zero: the first, and any other that was already on its way (how many is a race, as
/// upstream notes).
#[test]
fn a_failure_cancels_the_other_tasks_and_the_body() {
    run("taskgroup_04", || async {
        let alive = Alive::new();
        let mut group = TaskGroup::<_, &str>::new(Tokio);
        for _ in 0..3 {
            group.spawn(async {
                sleep(ms(10)).await;
                Err::<(), _>("division by zero")
            });
        }
        let guard = alive.guard();
        let t2 = group.spawn(async move {
            let _guard = guard;
            sleep(FOREVER).await;
            Ok(())
        });
        let body = group.token().run_until_cancelled(sleep(FOREVER)).await;
        assert_eq!(body, None, "the body was not cancelled");
        let errors = group.join_all_errors().await.unwrap_err();
        assert!((1..=3).contains(&errors.len()));
        assert!(errors.iter().all(|error| *error == "division by zero"));
        assert_eq!(alive.count(), 0, "the group returned before t2 was dropped");
        assert_eq!(t2.await, None);
    });
}

/// `test_cancellation`, `test_taskgroup_07`, `test_taskgroup_22`: the task that runs the group
/// is cancelled from outside. Once its `cancel().await` returns, the five tasks of its group
/// and the body's own state are gone (the handle waits for what the task started).
#[test]
fn cancelling_the_task_that_runs_the_group_stops_every_task_first() {
    run("cancellation", || async {
        let alive = Alive::new();
        let started = Arc::new(AtomicUsize::new(0));
        let (in_runner, counted) = (Arc::clone(&alive), Arc::clone(&started));
        let runner = cancel_cascade::rt::tokio::spawn(async move {
            let mut group = TaskGroup::<_, ()>::new(Tokio);
            for _ in 0..5 {
                let (guard, started) = (in_runner.guard(), Arc::clone(&counted));
                group.spawn(async move {
                    let _guard = guard;
                    started.fetch_add(1, Ordering::SeqCst);
                    sleep(FOREVER).await;
                    Ok(())
                });
            }
            let _body_state = in_runner.guard();
            sleep(FOREVER).await;
            group.join().await
        });
        eventually("the five tasks to start", || {
            started.load(Ordering::SeqCst) == 5
        })
        .await;
        assert!(!runner.is_finished());
        assert_eq!(runner.cancel().await, None);
        assert_eq!(alive.count(), 0, "a task of the group outlived its runner");
    });
}

/// `test_taskgroup_08`, `_15`, `_16`, `_18`: errors raised while the group is being cancelled
/// from outside are reported. An outside cancellation that drops the group (a cancelled
/// runner, as above) cannot report anything; `cancel()` followed by `join` is the one that
/// keeps the errors: every task's cleanup error (08), the body's own error on cancellation (18,
/// the body played by a task), and a task that crashes during the cleanup of another (15, 16).
#[test]
fn errors_during_an_outside_cancellation_are_reported() {
    run("taskgroup_08", || async {
        let mut group = TaskGroup::<_, &str>::new(Tokio).with_grace_period(FOREVER);
        for _ in 0..5 {
            let token = group.token();
            group.spawn(async move {
                token.cancelled().await;
                Err::<(), _>("division by zero in cleanup")
            });
        }
        group.cancel();
        let errors = group.join_all_errors().await.unwrap_err();
        assert_eq!(errors.into_vec(), ["division by zero in cleanup"; 5]);

        let mut group = TaskGroup::<_, &str>::new(Tokio).with_grace_period(FOREVER);
        let token = group.token();
        group.spawn(async move {
            token.cancelled().await;
            Err::<(), _>("MyExc")
        });
        group.cancel();
        assert_eq!(group.join().await, Err("MyExc"));

        let mut group = TaskGroup::<_, &str>::new(Tokio).with_grace_period(FOREVER);
        group.spawn(async {
            sleep(ms(10)).await;
            Err::<(), _>("division by zero")
        });
        let token = group.token();
        group.spawn(async move {
            token.cancelled().await;
            sleep(ms(30)).await;
            Ok(())
        });
        group.cancel();
        assert_eq!(group.join().await, Err("division by zero"));
    });
}

/// `test_taskgroup_11`, `_12`: nested groups, the outer one cancelled from outside; the inner
/// group's tasks fail in their cleanup. The inner group's token is a child of the outer one's,
/// so the cancellation reaches them; the inner group reports its errors to its task, which
/// passes them on to the outer group (asyncio nests the `ExceptionGroup`s; here the task
/// chooses what to return).
#[test]
fn cleanup_errors_of_a_nested_group_come_out_of_the_outer_group() {
    run("taskgroup_11_12", || async {
        let mut outer = TaskGroup::<_, String>::new(Tokio).with_grace_period(FOREVER);
        let token = outer.token();
        outer.spawn(async move {
            token.cancelled().await;
            Ok(())
        });
        let (ready, is_ready) = oneshot::channel();
        outer.spawn(async move {
            let mut inner = TaskGroup::<_, &str>::new(Tokio).with_grace_period(FOREVER);
            for _ in 0..5 {
                let token = inner.token();
                inner.spawn(async move {
                    token.cancelled().await;
                    Err::<(), _>("division by zero")
                });
            }
            ready.send(()).unwrap();
            inner
                .join_all_errors()
                .await
                .map_err(|errors| format!("inner group: {} x {}", errors.len(), errors.first()))
        });
        is_ready.await.unwrap();
        outer.cancel();
        assert_eq!(
            outer.join().await,
            Err("inner group: 5 x division by zero".to_string())
        );
    });
}

/// `test_taskgroup_13`: a task of the outer group fails while the inner group's task sleeps:
/// the outer error comes out, and the inner task has been dropped by then.
#[test]
fn an_outer_failure_cancels_the_inner_group() {
    run("taskgroup_13", || async {
        let alive = Alive::new();
        let guard = alive.guard();
        let mut outer = TaskGroup::<_, String>::new(Tokio);
        outer.spawn(async {
            sleep(ms(10)).await;
            Err::<(), _>("crash after 10 ms".to_string())
        });
        outer.spawn(async move {
            let mut inner = TaskGroup::<_, String>::new(Tokio);
            inner.spawn(async move {
                let _guard = guard;
                sleep(FOREVER).await;
                Err::<(), _>("crash after 10 s".to_string())
            });
            inner.join().await
        });
        assert_eq!(outer.join().await, Err("crash after 10 ms".to_string()));
        assert_eq!(alive.count(), 0, "the inner task outlived the outer group");
    });
}

/// `test_taskgroup_14`: the inner group's task fails first: its error comes out of the inner
/// group, through its task, out of the outer group; the outer sleeper is dropped by then.
#[test]
fn an_inner_failure_comes_out_of_the_outer_group() {
    run("taskgroup_14", || async {
        let alive = Alive::new();
        let guard = alive.guard();
        let mut outer = TaskGroup::<_, String>::new(Tokio);
        outer.spawn(async move {
            let _guard = guard;
            sleep(FOREVER).await;
            Err::<(), _>("crash after 10 s".to_string())
        });
        outer.spawn(async {
            let mut inner = TaskGroup::<_, String>::new(Tokio);
            inner.spawn(async {
                sleep(ms(10)).await;
                Err::<(), _>("crash after 10 ms".to_string())
            });
            inner
                .join()
                .await
                .map_err(|error| format!("inner group: {error}"))
        });
        assert_eq!(
            outer.join().await,
            Err("inner group: crash after 10 ms".to_string())
        );
        assert_eq!(alive.count(), 0);
    });
}

/// `test_taskgroup_19`: a task fails, and the cleanup of another one (the body's `nested()`
/// upstream) fails too: both errors, the first one first.
#[test]
fn an_error_in_cleanup_joins_the_first_error() {
    run("taskgroup_19", || async {
        let mut group = TaskGroup::<_, &str>::new(Tokio).with_grace_period(FOREVER);
        group.spawn(async {
            sleep(ms(10)).await;
            Err::<(), _>("division by zero")
        });
        let token = group.token();
        group.spawn(async move {
            token.cancelled().await;
            Err::<(), _>("MyExc")
        });
        let errors = group.join_all_errors().await.unwrap_err();
        assert_eq!(errors.into_vec(), ["division by zero", "MyExc"]);
    });
}

/// `test_taskgroup_20`, `_20a`, `_21a`: a `BaseException` (a panic here) and an error, in
/// either order. asyncio lets the `BaseException` win. Ours: a panic first resumes in `join`
/// and in `join_all_errors`; a panic during the cleanup that follows an error resumes in
/// `join_all_errors` (which reports everything), while `join` reports the first failure, the
/// error, as its docs say (a fail-fast group's later failures are consequences of the first).
#[test]
fn a_panic_and_an_error_in_either_order() {
    quiet_panics_containing("peer test");
    run("taskgroup_20", || async {
        fn error_then_panic_in_cleanup() -> TaskGroup<Tokio, &'static str> {
            let mut group = TaskGroup::new(Tokio).with_grace_period(FOREVER);
            group.spawn(async {
                sleep(ms(10)).await;
                Err::<(), _>("division by zero")
            });
            let token = group.token();
            group.spawn(async move {
                token.cancelled().await;
                panic!("peer test: KeyboardInterrupt in cleanup");
                #[allow(unreachable_code)]
                Ok(())
            });
            group
        }
        let panic = AssertUnwindSafe(error_then_panic_in_cleanup().join_all_errors())
            .catch_unwind()
            .await
            .expect_err("the panic resumes");
        assert_eq!(
            panic_message(panic),
            "peer test: KeyboardInterrupt in cleanup"
        );
        assert_eq!(
            error_then_panic_in_cleanup().join().await,
            Err("division by zero")
        );

        fn panic_then_error_in_cleanup() -> TaskGroup<Tokio, &'static str> {
            let mut group = TaskGroup::new(Tokio).with_grace_period(FOREVER);
            group.spawn(async {
                sleep(ms(10)).await;
                panic!("peer test: MyBaseExc");
                #[allow(unreachable_code)]
                Ok(())
            });
            let token = group.token();
            group.spawn(async move {
                token.cancelled().await;
                Err::<(), _>("TypeError")
            });
            group
        }
        for every_error in [false, true] {
            let mut group = panic_then_error_in_cleanup();
            let outcome = if every_error {
                AssertUnwindSafe(group.join_all_errors().map(drop))
                    .catch_unwind()
                    .await
            } else {
                AssertUnwindSafe(group.join().map(drop))
                    .catch_unwind()
                    .await
            };
            let panic = outcome.expect_err("the panic resumes");
            assert_eq!(panic_message(panic), "peer test: MyBaseExc");
        }
    });
}

/// `test_taskgroup_24`: a task spawns more tasks into its own group; the group waits for them.
#[test]
fn tasks_spawned_by_a_task_are_waited_for() {
    run("taskgroup_24", || async {
        let finished = Arc::new(AtomicUsize::new(0));
        let mut group = TaskGroup::<_, ()>::new(Tokio);
        let spawner = group.spawner();
        let counter = Arc::clone(&finished);
        group.spawn(async move {
            sleep(ms(5)).await;
            for delay in [5, 10] {
                let counter = Arc::clone(&counter);
                spawner.spawn(async move {
                    sleep(ms(delay)).await;
                    counter.fetch_add(1, Ordering::SeqCst);
                    Ok(())
                });
            }
            Ok(())
        });
        assert_eq!(group.join().await, Ok(()));
        assert_eq!(finished.load(Ordering::SeqCst), 2);
    });
}

/// A hydra head: counts itself, then grows two more heads into its group (up to a bound, so a
/// slow machine cannot make the test explode).
fn hydra(
    spawner: GroupSpawner<Tokio, &'static str>,
    heads: Arc<AtomicUsize>,
) -> BoxFuture<'static, Result<(), &'static str>> {
    async move {
        if heads.fetch_add(1, Ordering::SeqCst) < 1000 {
            sleep(ms(2)).await;
            for _ in 0..2 {
                spawner.spawn(hydra(spawner.clone(), Arc::clone(&heads)));
            }
        }
        Ok(())
    }
    .boxed()
}

/// `test_taskgroup_25`: heads that keep spawning heads into their group, and a task that fails
/// once there are ten: the group fails with its error, and no head grows after `join` returned
/// (the heads spawned into the cancelling group were dropped unpolled).
#[test]
fn the_hydra_stops_growing_once_hercules_fails() {
    run("taskgroup_25", || async {
        let heads = Arc::new(AtomicUsize::new(0));
        let mut group = TaskGroup::<_, &str>::new(Tokio);
        group.spawn(hydra(group.spawner(), Arc::clone(&heads)));
        let counted = Arc::clone(&heads);
        group.spawn(async move {
            while counted.load(Ordering::SeqCst) < 10 {
                sleep(ms(1)).await;
            }
            Err::<(), _>("division by zero")
        });
        assert_eq!(group.join().await, Err("division by zero"));
        let seen = heads.load(Ordering::SeqCst);
        assert!(seen >= 10);
        sleep(ms(10)).await;
        assert_eq!(
            heads.load(Ordering::SeqCst),
            seen,
            "a head grew after `join`"
        );
    });
}

/// `test_taskgroup_23`: a task that finished is let go of at once, while the group still runs
/// (upstream: it leaves `g._tasks`); here its future, and what it held, is dropped.
#[test]
fn finished_tasks_are_let_go_of_before_join() {
    run("taskgroup_23", || async {
        let alive = Alive::new();
        let mut group = TaskGroup::<_, ()>::new(Tokio);
        for _ in 0..10 {
            sleep(ms(1)).await;
            let guard = alive.guard();
            group.spawn(async move {
                let _guard = guard;
                sleep(ms(3)).await;
                Ok(())
            });
        }
        alive.reaches(0).await;
        assert_eq!(group.join().await, Ok(()));
    });
}

/// `test_taskgroup_no_create_task_after_failure`, `test_taskgroup_finished`,
/// `test_coro_closed_when_tg_closed`, `test_taskgroup_cancel_before_create_task`: a task
/// spawned into a group that is cancelling (after a failure, or `cancel`) or has finished.
/// asyncio raises `RuntimeError` and closes the coroutine; ours drops the future unpolled and
/// its `GroupTask` gives `None` at once (the documented behaviour of `spawn`).
#[test]
fn a_task_spawned_too_late_is_dropped_unpolled() {
    run("no_create_task_after_failure", || async {
        let alive = Alive::new();
        let polled = Arc::new(AtomicBool::new(false));
        let late_task = {
            let (alive, polled) = (Arc::clone(&alive), Arc::clone(&polled));
            move || {
                let (guard, polled) = (alive.guard(), Arc::clone(&polled));
                async move {
                    let _guard = guard;
                    polled.store(true, Ordering::SeqCst);
                    Ok(())
                }
            }
        };

        let mut group = TaskGroup::<_, &str>::new(Tokio).with_grace_period(FOREVER);
        group.spawn(async {
            sleep(ms(1)).await;
            Err::<(), _>("division by zero")
        });
        let (token, spawner, late) = (group.token(), group.spawner(), late_task.clone());
        let in_cleanup = group.spawn(async move {
            token.cancelled().await;
            assert!(!spawner.is_open());
            Ok(spawner.spawn(late()).await)
        });
        assert_eq!(group.join().await, Err("division by zero"));
        assert_eq!(in_cleanup.await, Some(None));

        let mut group = TaskGroup::<_, &str>::new(Tokio);
        let spawner = group.spawner();
        assert_eq!(group.join().await, Ok(()));
        let late = spawner.spawn(late_task());
        assert_eq!(alive.count(), 0, "the future was not dropped at once");
        assert_eq!(late.await, None);

        let mut group = TaskGroup::<_, &str>::new(Tokio);
        group.cancel();
        let late = group.spawn(late_task());
        assert_eq!(alive.count(), 0);
        assert_eq!(group.join().await, Ok(()));
        assert_eq!(late.await, None);

        assert!(!polled.load(Ordering::SeqCst), "a late task was polled");
    });
}

/// `test_cancels_task_if_created_during_creation` (gh-128550): a task spawns a task that fails
/// at once; the spawning task is cancelled at its next await and never goes past it, and the
/// failure is the group's.
#[test]
fn a_task_whose_new_task_fails_is_cancelled_at_its_next_await() {
    run("created_during_creation", || async {
        let went_on = Arc::new(AtomicBool::new(false));
        let mut group = TaskGroup::<_, &str>::new(Tokio);
        let (spawner, flag) = (group.spawner(), Arc::clone(&went_on));
        let second = group.spawn(async move {
            spawner.spawn(async { Err::<(), _>("third task failed") });
            sleep(FOREVER).await;
            flag.store(true, Ordering::SeqCst);
            Ok(())
        });
        assert_eq!(group.join().await, Err("third task failed"));
        assert_eq!(second.await, None);
        assert!(!went_on.load(Ordering::SeqCst));
    });
}

/// `test_cancellation_does_not_leak_out_of_tg`, `test_cancelling_level_preserved`,
/// `test_nested_groups_both_cancelled`: a group that fails inside a task of another group
/// cancels nothing outside itself: the enclosing task goes on (the outer token is not
/// cancelled). When an outer task fails too, that failure is the outer group's.
#[test]
fn a_failure_does_not_leak_out_of_its_group() {
    run("does_not_leak_out_of_tg", || async {
        let mut outer = TaskGroup::<_, &str>::new(Tokio);
        let outer_token = outer.token();
        let body = outer.spawn(async move {
            let mut inner = TaskGroup::<_, &str>::new(Tokio);
            inner.spawn(async { Err::<(), _>("runtime error") });
            assert_eq!(inner.join().await, Err("runtime error"));
            sleep(ms(1)).await;
            assert!(!outer_token.is_cancelled());
            Ok("went on")
        });
        assert_eq!(outer.join().await, Ok(()));
        assert_eq!(body.await, Some("went on"));

        let mut outer = TaskGroup::<_, &str>::new(Tokio);
        let outer_spawner = outer.spawner();
        outer.spawn(async move {
            let mut inner = TaskGroup::<_, &str>::new(Tokio);
            inner.spawn(async { Err::<(), _>("runtime error") });
            outer_spawner.spawn(async { Err::<(), _>("value error") });
            assert_eq!(inner.join().await, Err("runtime error"));
            pending::<Result<(), _>>().await
        });
        assert_eq!(outer.join().await, Err("value error"));
    });
}

/// `test_taskgroup_cancel_children`, `_cancel_idempotent`, `_cancel_before_enter`,
/// `_cancel_after_exit`: `cancel` stops the tasks and the group ends without an error (no
/// timeout needed), twice is once, before any task is fine, and after the end (through a
/// spawner, since `join` consumes the group) does nothing.
#[test]
fn cancel_ends_the_group_without_an_error() {
    run("taskgroup_cancel_children", || async {
        let alive = Alive::new();
        let mut group = TaskGroup::<_, ()>::new(Tokio);
        for _ in 0..2 {
            let guard = alive.guard();
            group.spawn(async move {
                let _guard = guard;
                sleep(FOREVER).await;
                Ok(())
            });
        }
        tokio::task::yield_now().await;
        group.cancel();
        group.cancel();
        assert_eq!(group.join_outcome().await, Ok(GroupOutcome::Cancelled));
        assert_eq!(alive.count(), 0);

        let mut group = TaskGroup::<_, ()>::new(Tokio);
        group.cancel();
        assert_eq!(group.join().await, Ok(()));

        let mut group = TaskGroup::<_, ()>::new(Tokio);
        let spawner = group.spawner();
        assert_eq!(group.join_outcome().await, Ok(GroupOutcome::Finished));
        spawner.cancel();
    });
}

/// Calls `cancel` on its group's spawner when dropped: a task's `finally: tg.cancel()`.
struct CancelsOnDrop(GroupSpawner<Tokio, &'static str>);

impl Drop for CancelsOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

/// `test_taskgroup_cancel_before_exception`, `_cancel_after_exception`: a task cancels its own
/// group, before it fails or on its way out (a destructor), and fails: the error is still the
/// group's. `cancel` records no error, but it does not hide one.
#[test]
fn a_task_that_cancels_its_group_and_fails_is_reported() {
    run("cancel_before_exception", || async {
        for cancel_in_destructor in [false, true] {
            let mut group = TaskGroup::<_, &str>::new(Tokio);
            let spawner = group.spawner();
            group.spawn(async move {
                if cancel_in_destructor {
                    let _finally = CancelsOnDrop(spawner);
                    Err::<(), _>("runtime error")
                } else {
                    spawner.cancel();
                    Err("runtime error")
                }
            });
            let body = group.token().run_until_cancelled(sleep(FOREVER)).await;
            assert_eq!(body, None);
            assert_eq!(group.join().await, Err("runtime error"));
        }
    });
}

/// `test_taskgroup_cancel_one_winner`: a race written with a group: the first task to finish
/// records its outcome and cancels the group from inside (`GroupSpawner::cancel`); the others
/// are stopped at their next await and never finish, and the group ends without an error.
/// The same on a `TaskSet` (`SetSpawner::cancel`): the winner's output, then `None`.
#[test]
fn the_first_task_to_finish_cancels_the_others() {
    run("taskgroup_cancel_one_winner", || async {
        let record = Arc::new(Mutex::new(Vec::new()));
        let winner = Arc::new(Mutex::new(None));
        let all_started = Arc::new(Barrier::new(3));
        let (open_one, gate_one) = oneshot::channel::<()>();
        let (never_open_two, gate_two) = oneshot::channel::<()>();
        let (log, started) = (Arc::clone(&record), Arc::clone(&all_started));
        let fn_1 = async move {
            log.lock().unwrap().push("1 started");
            started.wait().await;
            gate_one.await.unwrap();
            log.lock().unwrap().push("1 finished");
            1
        }
        .boxed();
        let (log, started) = (Arc::clone(&record), Arc::clone(&all_started));
        let fn_2 = async move {
            log.lock().unwrap().push("2 started");
            started.wait().await;
            let _ = gate_two.await;
            log.lock().unwrap().push("2 finished");
            2
        }
        .boxed();
        let (log, started) = (Arc::clone(&record), Arc::clone(&all_started));
        let fn_3 = async move {
            log.lock().unwrap().push("3 started");
            started.wait().await;
            open_one.send(()).unwrap();
            sleep(FOREVER).await;
            log.lock().unwrap().push("3 finished");
            3
        }
        .boxed();

        let mut group = TaskGroup::<_, ()>::new(Tokio);
        for contender in [fn_1, fn_2, fn_3] {
            let (spawner, winner) = (group.spawner(), Arc::clone(&winner));
            group.spawn(async move {
                let outcome = contender.await;
                *winner.lock().unwrap() = Some(outcome);
                spawner.cancel();
                Ok(())
            });
        }
        assert_eq!(group.join_outcome().await, Ok(GroupOutcome::Cancelled));
        assert_eq!(*winner.lock().unwrap(), Some(1));
        let mut record = record.lock().unwrap().clone();
        assert_eq!(record.pop(), Some("1 finished"));
        record.sort_unstable();
        assert_eq!(record, ["1 started", "2 started", "3 started"]);
        drop(never_open_two);

        // The same race on a `TaskSet`: the winner's output, then the end.
        let alive = Alive::new();
        let mut set = TaskSet::<_, u64, ()>::new(Tokio);
        for ms_to_finish in [20_000, 5, 10_000] {
            let (spawner, guard) = (set.spawner(), alive.guard());
            set.spawn(async move {
                let _guard = guard;
                sleep(ms(ms_to_finish)).await;
                spawner.cancel();
                Ok(ms_to_finish)
            });
        }
        assert_eq!(set.join_next().await, Some(Ok(5)));
        assert_eq!(set.join_next().await, None);
        assert_eq!(alive.count(), 0, "a loser outlived the set's end");
    });
}

/// `test_exception_refcycles_direct`, `_errors`, `_parent_task`, `_parent_task_wr`: the group
/// keeps no reference to what it hands back or what its tasks held. The errors belong to the
/// caller alone, the tasks' futures are gone, and nothing of the group outlives it (its
/// spawner is released), nested groups included.
#[test]
fn the_group_keeps_no_reference_to_errors_or_tasks() {
    run("exception_refcycles", || async {
        let error = Arc::new("done");
        let held = Arc::new(());
        let spawner = Arc::new(Tokio);
        let spawner_alive = Arc::downgrade(&spawner);
        let mut group = TaskGroup::<_, Arc<&str>>::new(spawner);
        let (in_task, held_by_task, nested) =
            (Arc::clone(&error), Arc::clone(&held), Arc::clone(&error));
        group.spawn(async move {
            let _held = held_by_task;
            let mut inner = TaskGroup::<_, Arc<&str>>::new(Tokio);
            inner.spawn(async move { Err::<(), _>(nested) });
            inner.join().await?;
            Err::<(), _>(in_task)
        });
        let errors = group.join_all_errors().await.unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(
            Arc::strong_count(&error),
            2,
            "only the caller holds the error"
        );
        drop(errors);
        assert_eq!(Arc::strong_count(&error), 1);
        assert_eq!(Arc::strong_count(&held), 1, "the task's future was kept");
        // `join` borrows the group, which lives on until it is dropped.
        drop(group);
        assert!(
            spawner_alive.upgrade().is_none(),
            "the group outlived its drop"
        );
    });
}

/// `test_taskgroup_09`, `_10`: the body fails (here: returns its error, dropping the group)
/// after spawning two tasks, at once or after a while: both tasks are cancelled, their
/// `GroupTask`s give `None`, and their futures are dropped soon after (dropping does not wait).
#[test]
fn a_failing_body_cancels_the_tasks() {
    run("taskgroup_09_10", || async {
        for body_waits in [true, false] {
            let alive = Alive::new();
            let mut group = TaskGroup::<_, ()>::new(Tokio);
            let mut tasks = Vec::new();
            for output in [42, 11] {
                let guard = alive.guard();
                tasks.push(group.spawn(async move {
                    let _guard = guard;
                    sleep(FOREVER).await;
                    Ok(output)
                }));
            }
            let body = async move {
                let _group = group;
                if body_waits {
                    sleep(ms(5)).await;
                }
                Err::<(), _>("division by zero")
            };
            assert_eq!(body.await, Err("division by zero"));
            assert_eq!(futures::future::join_all(tasks).await, [None, None]);
            alive.reaches(0).await;
        }
    });
}
