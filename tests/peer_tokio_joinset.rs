//! tokio's `JoinSet` tests (`tokio/tests/task_join_set.rs`), asked of `TaskSet` (and, where a
//! test needs a handle per task, of `TaskGroup` with its `GroupTask`s), on a multi-thread tokio
//! runtime, each inside a watchdog.
//!
//! What maps: `JoinSet::spawn` -> `TaskSet::spawn`; `join_next` -> `join_next` (ours gives
//! `Some(Ok(output))` per completed task, the first error once every task stopped, then
//! `None`); `abort_all` / `shutdown` -> `cancel` then `join_next` until `None`; dropping the set
//! -> dropping the set; `AbortHandle::abort` -> `GroupTask::cancel`; `join_all` -> `join_next`
//! until `None` (or `TaskGroup::join`). A `JoinSet` supervises (one task's failure cancels no
//! other), so where a test is about that, it runs on a `supervised` `TaskGroup`.
//!
//! Where tokio reports an aborted task as `Err(JoinError::Cancelled)`, ours reports nothing for
//! it: a cancelled task has no output, and the set says so by ending with `None` (documented on
//! `TaskSet`). Those tests assert our contract.
//!
//! Not ported (no mapping):
//! - `test_with_sleep`'s `detach_all` and `len`: a set keeps no count and never detaches (a
//!   task of the set is always waited for); the rest of the test is ported.
//! - `try_join_next`, `try_join_next_with_id`: no `try_join_next`; `join_next().now_or_never()`
//!   is the same question, ported in `join_next_gives_every_finished_output_without_waiting`.
//! - `extend` (`FromIterator`/`Extend`): a set needs its spawner, so it cannot be collected.
//! - `spawn_local::*`, `spawn_local_on::*`: every task of a group is `Send`; no `LocalSet`.
#![cfg(all(not(loom), feature = "tokio"))]

#[allow(dead_code)]
mod support;
#[allow(dead_code)]
#[path = "support/tasks.rs"]
mod tasks;

use std::future::{pending, Future};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use cancel_cascade::rt::tokio::Tokio;
use cancel_cascade::{TaskGroup, TaskSet};
use futures::FutureExt;
use support::{panic_message, quiet_panics_containing};
use tokio::sync::oneshot;

const LIMIT: Duration = Duration::from_secs(20);

/// Runs `scenario` on a multi-thread tokio runtime that lives until it is done, in a watchdog.
fn run<F>(what: &str, scenario: impl FnOnce() -> F + Send + 'static)
where
    F: Future<Output = ()>,
{
    tasks::on_tokio(what, LIMIT, scenario);
}

/// A task that never completes and holds `sender`: when the task is dropped, so is the sender,
/// and its receiver says so.
async fn holds_until_dropped(sender: oneshot::Sender<()>) -> Result<(), ()> {
    let _sender = sender;
    pending().await
}

/// tokio `test_with_sleep` (less `detach_all`) and `alternating`: outputs come in completion
/// order until `None`; a drained, open set takes new tasks and gives their outputs; a set read
/// while tasks keep being added never loses one.
#[test]
fn outputs_then_none_and_the_drained_set_takes_more() {
    run("with_sleep", || async {
        let mut set = TaskSet::<_, usize, ()>::new(Tokio);
        assert_eq!(set.join_next().await, None, "an empty set");
        for _round in 0..2 {
            for i in 0..10 {
                set.spawn(async move {
                    tokio::time::sleep(Duration::from_millis(i as u64)).await;
                    Ok(i)
                });
            }
            let mut seen = [false; 10];
            while let Some(output) = set.join_next().await {
                let i = output.unwrap();
                assert!(!seen[i], "output {i} given twice");
                seen[i] = true;
            }
            assert_eq!(seen, [true; 10]);
            assert_eq!(set.join_next().await, None);
        }

        let mut set = TaskSet::<_, (), ()>::new(Tokio);
        set.spawn(async { Ok(()) });
        set.spawn(async { Ok(()) });
        for _ in 0..16 {
            assert_eq!(set.join_next().await, Some(Ok(())));
            set.spawn(async { Ok(()) });
        }
        assert_eq!(set.join_next().await, Some(Ok(())));
        assert_eq!(set.join_next().await, Some(Ok(())));
        assert_eq!(set.join_next().await, None);
    });
}

/// tokio `test_abort_on_drop`, `spawn_local::*::spawn_then_drop`: dropping the set cancels
/// every task; each one's future is dropped (its sender with it) soon after.
#[test]
fn dropping_the_set_cancels_every_task() {
    run("abort_on_drop", || async {
        let mut set = TaskSet::<_, (), ()>::new(Tokio);
        let mut receivers = Vec::new();
        for _ in 0..16 {
            let (sender, receiver) = oneshot::channel();
            receivers.push(receiver);
            set.spawn(holds_until_dropped(sender));
        }
        drop(set);
        for receiver in receivers {
            assert!(receiver.await.is_err(), "the task was dropped");
        }
    });
}

/// tokio `abort_all` and `spawn_local::*::spawn_then_shutdown`: `cancel` (tokio's `abort_all`)
/// then `join_next` until `None` (tokio's `shutdown`). tokio gives ten results, five of them
/// `Err(Cancelled)`; ours gives the five outputs of the tasks that completed and then `None`,
/// by which time every cancelled task has been dropped.
#[test]
fn cancel_then_drain_gives_the_outputs_then_none() {
    run("abort_all", || async {
        let mut set = TaskSet::<_, usize, ()>::new(Tokio);
        let mut receivers = Vec::new();
        for _ in 0..5 {
            let (sender, receiver) = oneshot::channel();
            receivers.push(receiver);
            set.spawn(async move {
                holds_until_dropped(sender).await?;
                Ok(0)
            });
        }
        let finished = Arc::new(AtomicUsize::new(0));
        for i in 1..=5 {
            let finished = Arc::clone(&finished);
            set.spawn(async move {
                finished.fetch_add(1, Ordering::SeqCst);
                Ok(i)
            });
        }
        while finished.load(Ordering::SeqCst) < 5 {
            tokio::task::yield_now().await;
        }
        set.cancel();
        let mut outputs = Vec::new();
        while let Some(output) = set.join_next().await {
            outputs.push(output.unwrap());
        }
        outputs.sort_unstable();
        assert_eq!(outputs, [1, 2, 3, 4, 5]);
        for mut receiver in receivers {
            assert_eq!(
                receiver.try_recv(),
                Err(oneshot::error::TryRecvError::Closed),
                "a cancelled task was still alive when `join_next` gave `None`"
            );
        }
        set.spawn(async { Ok(9) });
        assert_eq!(set.join_next().await, None, "a cancelled set takes no task");
    });
}

/// tokio `abort_tasks`: abort every odd task by its handle. A `TaskSet` hands out no handle
/// per task, so this runs on a `TaskGroup`: `GroupTask::cancel` stops that task alone, the
/// others complete, and the group ends without an error. tokio counts 8 cancelled and 8
/// completed; so do we (`None` and `Some`).
#[test]
fn cancelling_some_tasks_by_their_handle() {
    run("abort_tasks", || async {
        let mut group = TaskGroup::<_, ()>::new(Tokio);
        let mut kept = Vec::new();
        let mut cancelled = Vec::new();
        for i in 0..16u64 {
            let task = group.spawn(async move {
                tokio::time::sleep(Duration::from_millis(i)).await;
                Ok(i)
            });
            if i % 2 == 1 {
                cancelled.push(task.cancel());
            } else {
                kept.push(task);
            }
        }
        let cancelled = futures::future::join_all(cancelled).await;
        assert_eq!(group.join().await, Ok(()));
        let kept = futures::future::join_all(kept).await;
        assert_eq!(kept, (0..16).step_by(2).map(Some).collect::<Vec<_>>());
        // A task may have finished before `cancel` reached it; at `i` ms that is rare.
        let completed_anyway = cancelled.iter().flatten().count();
        for output in cancelled.iter().flatten() {
            assert_eq!(output % 2, 1);
        }
        assert_eq!(cancelled.len(), 8);
        assert!(completed_anyway <= 8);
    });
}

/// tokio `runtime_gone`: the set's task ran on a runtime that shut down before it finished.
/// tokio's `join_next` gives `Err(Cancelled)`; ours refuses to report an outcome for work that
/// never ended and panics with a message that names the method and the cause (documented on
/// `TaskSet::join_next`).
#[test]
fn a_task_whose_runtime_shut_down_makes_join_next_panic() {
    quiet_panics_containing("dropped unfinished by its runtime");
    support::watchdog("runtime_gone", LIMIT, || {
        let gone = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let mut set = TaskSet::<_, i32, ()>::new(gone.handle().clone());
        set.spawn(async { Ok(1) });
        drop(gone);
        let reader = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let panic = std::panic::catch_unwind(AssertUnwindSafe(|| {
            reader.block_on(set.join_next());
        }))
        .expect_err("`join_next` must not report an outcome");
        let message = panic_message(panic);
        assert!(
            message.contains("`TaskSet::join_next`")
                && message.contains("dropped unfinished by its runtime"),
            "unclear message: {message}"
        );
    });
}

/// tokio `join_all`: every output, then the end; on a `TaskGroup`, `join` returns once all
/// have, and each `GroupTask` has its output.
#[test]
fn join_all_gives_every_output() {
    run("join_all", || async {
        let mut set = TaskSet::<_, i32, ()>::new(Tokio);
        for _ in 0..5 {
            set.spawn(async { Ok(1) });
        }
        let mut outputs = Vec::new();
        while let Some(output) = set.join_next().await {
            outputs.push(output.unwrap());
        }
        assert_eq!(outputs, [1; 5]);

        let mut group = TaskGroup::<_, ()>::new(Tokio);
        let tasks: Vec<_> = (0..5).map(|_| group.spawn(async { Ok(1) })).collect();
        assert_eq!(group.join().await, Ok(()));
        assert_eq!(futures::future::join_all(tasks).await, [Some(1); 5]);
    });
}

/// tokio `task_panics`: a task panics while another still sleeps. tokio's `join_all` panics
/// and aborts the other, which never sends. Ours: `join_next` resumes the panic, with its
/// payload, once the other task has been dropped (its sender gone, nothing sent).
#[test]
fn a_panic_resumes_in_join_next_after_the_others_stopped() {
    quiet_panics_containing("peer test");
    run("task_panics", || async {
        let mut set = TaskSet::<_, (), ()>::new(Tokio);
        let (sender, mut receiver) = oneshot::channel();
        set.spawn(async move {
            tokio::time::sleep(Duration::from_secs(20)).await;
            sender.send(()).unwrap();
            Ok(())
        });
        set.spawn(async {
            tokio::time::sleep(Duration::from_millis(5)).await;
            panic!("peer test: a task of the set panics");
        });
        let panic = AssertUnwindSafe(set.join_next())
            .catch_unwind()
            .await
            .expect_err("the task's panic resumes in `join_next`");
        // The message names the task (its spawn index), then quotes the task's own.
        let message = panic_message(panic);
        assert!(
            message.contains("task 1 ")
                && message.ends_with("panicked: peer test: a task of the set panics"),
            "{message}"
        );
        assert_eq!(
            receiver.try_recv(),
            Err(oneshot::error::TryRecvError::Closed),
            "the other task was still alive, or it sent"
        );
        assert_eq!(set.join_next().await, None);
    });
}

/// tokio `task_panics` on a supervised group (a `JoinSet` supervises: one task's failure
/// cancels no other): every panic surfaces, whatever failed before it. A task that returned an
/// error first must not hide a later task's panic: `join` resumes it once every task stopped,
/// as `supervised` documents ("a panic is still resumed").
#[test]
fn a_supervised_group_resumes_a_panic_that_came_after_an_error() {
    quiet_panics_containing("peer test");
    run("supervised panic after error", || async {
        let mut group = TaskGroup::<_, &str>::new(Tokio).supervised();
        let (failed, has_failed) = oneshot::channel::<()>();
        group.spawn(async move {
            let _failed = failed;
            Err::<(), _>("an error first")
        });
        group.spawn(async move {
            let _ = has_failed.await;
            panic!("peer test: a panic after the error");
            #[allow(unreachable_code)]
            Ok(())
        });
        let panic = AssertUnwindSafe(group.join())
            .catch_unwind()
            .await
            .expect_err("a supervised group's panic is never dropped");
        assert_eq!(panic_message(panic), "peer test: a panic after the error");
    });
}

/// tokio `join_set_coop` and `try_join_next`: once 1000 tasks have completed, each
/// `join_next().now_or_never()` gives one output at once (ours has no cooperative budget, so
/// there is never a `None` for it to yield on before the outputs run out); the end comes once
/// the last task has stopped.
#[test]
fn join_next_gives_every_finished_output_without_waiting() {
    run("join_set_coop", || async {
        const TASKS: usize = 1000;
        let done = Arc::new(AtomicUsize::new(0));
        let mut set = TaskSet::<_, (), ()>::new(Tokio);
        for _ in 0..TASKS {
            let done = Arc::clone(&done);
            set.spawn(async move {
                done.fetch_add(1, Ordering::SeqCst);
                Ok(())
            });
        }
        while done.load(Ordering::SeqCst) < TASKS {
            tokio::task::yield_now().await;
        }
        let mut outputs = 0;
        loop {
            match set.join_next().now_or_never() {
                Some(Some(output)) => {
                    output.unwrap();
                    outputs += 1;
                }
                Some(None) => break,
                // A task counts itself done just before its output is queued, and stops just
                // after: the end may be a moment away.
                None => tokio::task::yield_now().await,
            }
        }
        assert_eq!(outputs, TASKS);
    });
}

/// tokio's own setting for these tests: a current-thread runtime on a paused clock (sleeps of
/// seconds take no time), where the set's tasks, its reader and the timers share one thread.
mod on_a_paused_clock {
    use super::*;

    fn run_paused<F>(what: &str, scenario: impl FnOnce() -> F + Send + 'static)
    where
        F: Future<Output = ()>,
    {
        support::watchdog(what, LIMIT, move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .start_paused(true)
                .build()
                .unwrap()
                .block_on(scenario());
        });
    }

    /// tokio `test_with_sleep` (less `detach_all`), with its sleeps of `i` seconds.
    #[test]
    fn outputs_in_completion_order_then_none_twice() {
        run_paused("with_sleep", || async {
            let mut set = TaskSet::<_, usize, ()>::new(Tokio);
            for _round in 0..2 {
                for i in (0..10).rev() {
                    set.spawn(async move {
                        tokio::time::sleep(Duration::from_secs(i as u64)).await;
                        Ok(i)
                    });
                }
                let mut outputs = Vec::new();
                while let Some(output) = set.join_next().await {
                    outputs.push(output.unwrap());
                }
                assert_eq!(
                    outputs,
                    (0..10).collect::<Vec<_>>(),
                    "not in completion order"
                );
                assert_eq!(set.join_next().await, None);
            }
        });
    }

    /// tokio `abort_tasks`, on a `TaskGroup` (see `cancelling_some_tasks_by_their_handle`):
    /// with the clock paused, every odd task is cancelled before its sleep ends.
    #[test]
    fn cancelling_every_odd_task() {
        run_paused("abort_tasks", || async {
            let mut group = TaskGroup::<_, ()>::new(Tokio);
            let mut kept = Vec::new();
            let mut cancelled = Vec::new();
            for i in 0..16u64 {
                let task = group.spawn(async move {
                    tokio::time::sleep(Duration::from_secs(i)).await;
                    Ok(i)
                });
                if i % 2 == 1 {
                    cancelled.push(task.cancel());
                } else {
                    kept.push(task);
                }
            }
            assert_eq!(futures::future::join_all(cancelled).await, [None; 8]);
            assert_eq!(group.join().await, Ok(()));
            let kept = futures::future::join_all(kept).await;
            assert_eq!(kept, (0..16).step_by(2).map(Some).collect::<Vec<_>>());
        });
    }

    /// tokio `task_panics`, with its 1 s and 2 s sleeps: `join_next` resumes the panic after
    /// the other task was dropped, which never sent.
    #[test]
    fn a_panic_resumes_after_the_other_task_was_dropped() {
        quiet_panics_containing("peer test");
        run_paused("task_panics", || async {
            let mut set = TaskSet::<_, (), ()>::new(Tokio);
            let (sender, mut receiver) = oneshot::channel();
            set.spawn(async move {
                tokio::time::sleep(Duration::from_secs(2)).await;
                sender.send(()).unwrap();
                Ok(())
            });
            set.spawn(async {
                tokio::time::sleep(Duration::from_secs(1)).await;
                panic!("peer test: panics after 1 s");
            });
            let reader = tokio::spawn(async move { set.join_next().await });
            let panic = reader.await.expect_err("the panic resumes in `join_next`");
            assert!(panic.is_panic());
            let message = panic_message(panic.into_panic());
            assert!(
                message.contains("task 1 ")
                    && message.ends_with("panicked: peer test: panics after 1 s"),
                "{message}"
            );
            assert_eq!(
                receiver.try_recv(),
                Err(oneshot::error::TryRecvError::Closed)
            );
        });
    }

    /// tokio `abort_all`: five tasks that never end and five that ended after 1 s; two
    /// seconds later, `cancel` (`abort_all`): the five outputs, then `None`.
    #[test]
    fn cancel_after_some_tasks_finished() {
        run_paused("abort_all", || async {
            let mut set = TaskSet::<_, u8, ()>::new(Tokio);
            for _ in 0..5 {
                set.spawn(pending());
            }
            for i in 0..5 {
                set.spawn(async move {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    Ok(i)
                });
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
            set.cancel();
            let mut outputs = Vec::new();
            while let Some(output) = set.join_next().await {
                outputs.push(output.unwrap());
            }
            outputs.sort_unstable();
            assert_eq!(outputs, [0, 1, 2, 3, 4]);
        });
    }
}
