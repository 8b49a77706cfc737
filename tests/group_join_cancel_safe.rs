//! The joins of a `TaskGroup` are cancel safe: a `join`, `join_outcome`, `join_all_errors` or
//! `shutdown` future dropped before it completes (the losing branch of a `select!`) cancels
//! nothing and loses nothing; the tasks run on, and a later call returns what the dropped one
//! would have, errors and panics included. Each join is polled by hand, once or more, dropped,
//! and then called again, on each runtime.
#![cfg(all(feature = "std", not(loom)))]

#[allow(dead_code)]
mod spawn_tree;
#[allow(dead_code)]
mod support;
#[allow(dead_code)]
#[path = "support/tasks.rs"]
mod tasks;

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use cancel_cascade::rt::Spawn;
use cancel_cascade::{CancelToken, GroupErrors, GroupOutcome, TaskGroup};
use futures::FutureExt;
use spawn_tree::on_each_runtime;
use support::{panic_message, quiet_panics_containing};
use tasks::{eventually, poll_once, sleep, waiting_task, Alive};

on_each_runtime!(
    a_dropped_join_loses_no_error,
    a_dropped_join_loses_no_panic,
    a_join_polled_twice_then_dropped_loses_no_output,
    a_dropped_join_outcome_loses_the_deadline,
    a_dropped_join_outcome_loses_the_cancellation,
    a_dropped_join_all_errors_loses_no_error,
    a_dropped_shutdown_leaves_the_cleanup_running,
    a_join_dropped_in_the_grace_period_leaves_the_cleanup_running,
    a_join_after_a_completed_join,
);

/// Two tasks wait for a release, one of them to fail; a join polled once and dropped cancels
/// nothing (the tasks still run, the token is not cancelled, the group takes tasks); once they
/// are released, a new join returns the error.
async fn a_dropped_join_loses_no_error<S: Spawn>(spawner: S) {
    let alive = Alive::new();
    let (release_first, release_failing) = (CancelToken::new(), CancelToken::new());
    let mut group = TaskGroup::new(spawner);
    let first = group.spawn(waiting_task(&alive, &release_first, Ok(1)));
    group.spawn(waiting_task::<()>(
        &alive,
        &release_failing,
        Err("task 2 failed".into()),
    ));
    {
        let join = pin!(group.join());
        assert!(poll_once(join).is_pending());
    }
    sleep(Duration::from_millis(20)).await;
    assert_eq!(alive.count(), 2, "a dropped join stopped a task");
    assert!(!group.token().is_cancelled());
    let late = group.spawn(async { Ok("admitted") });
    assert_eq!(late.await, Some("admitted"));
    release_first.cancel();
    assert_eq!(first.await, Some(1));
    release_failing.cancel();
    assert_eq!(group.join().await, Err("task 2 failed".to_string()));
    assert_eq!(alive.count(), 0);
}

/// A task panics after a join was dropped: the next join resumes that panic.
async fn a_dropped_join_loses_no_panic<S: Spawn>(spawner: S) {
    quiet_panics_containing("join-drop panic");
    let (alive, release) = (Alive::new(), CancelToken::new());
    let mut group = TaskGroup::<_, String>::new(spawner);
    group.spawn(waiting_task(&alive, &release, Ok(())));
    let release_panic = release.clone();
    group.spawn(async move {
        release_panic.cancelled().await;
        panic!("join-drop panic");
        #[allow(unreachable_code)]
        Ok(())
    });
    {
        let join = pin!(group.join());
        assert!(poll_once(join).is_pending());
    }
    assert_eq!(alive.count(), 1);
    release.cancel();
    let panic = AssertUnwindSafe(group.join())
        .catch_unwind()
        .await
        .unwrap_err();
    assert!(panic_message(panic).contains("join-drop panic"));
    assert_eq!(alive.count(), 0);
}

/// A join polled once, then again after one task finished, then dropped: the outputs are all
/// there, and the next join returns `Ok`.
async fn a_join_polled_twice_then_dropped_loses_no_output<S: Spawn>(spawner: S) {
    let alive = Alive::new();
    let (release_first, release_second) = (CancelToken::new(), CancelToken::new());
    let mut group = TaskGroup::<_, String>::new(spawner);
    let first = group.spawn(waiting_task(&alive, &release_first, Ok("first")));
    let second = group.spawn(waiting_task(&alive, &release_second, Ok("second")));
    {
        let mut join = pin!(group.join());
        assert!(poll_once(join.as_mut()).is_pending());
        release_first.cancel();
        eventually("the first task to stop", || alive.count() == 1).await;
        assert!(poll_once(join.as_mut()).is_pending());
    }
    assert_eq!(alive.count(), 1);
    release_second.cancel();
    assert_eq!(group.join().await, Ok(()));
    assert_eq!(first.await, Some("first"));
    assert_eq!(second.await, Some("second"));
}

/// The deadline passes while no join is awaited (one was dropped before): the next
/// `join_outcome` cancels, waits, and says that the deadline passed.
async fn a_dropped_join_outcome_loses_the_deadline<S: Spawn>(spawner: S) {
    let (alive, release) = (Alive::new(), CancelToken::new());
    let mut group = TaskGroup::<_, String>::new(spawner).with_timeout(Duration::from_millis(30));
    group.spawn(waiting_task(&alive, &release, Ok(())));
    {
        let join = pin!(group.join_outcome());
        assert!(poll_once(join).is_pending());
    }
    assert_eq!(alive.count(), 1);
    sleep(Duration::from_millis(60)).await;
    assert_eq!(group.join_outcome().await, Ok(GroupOutcome::DeadlinePassed));
    assert_eq!(alive.count(), 0);
}

/// A `join_outcome` dropped, then `cancel`: the next one says `Cancelled`.
async fn a_dropped_join_outcome_loses_the_cancellation<S: Spawn>(spawner: S) {
    let (alive, release) = (Alive::new(), CancelToken::new());
    let mut group = TaskGroup::<_, String>::new(spawner);
    group.spawn(waiting_task(&alive, &release, Ok(())));
    {
        let join = pin!(group.join_outcome());
        assert!(poll_once(join).is_pending());
    }
    group.cancel();
    assert_eq!(group.join_outcome().await, Ok(GroupOutcome::Cancelled));
    assert_eq!(alive.count(), 0);
}

/// A supervised group: two errors come in around a dropped `join_all_errors`; the next one
/// reports both, in order.
async fn a_dropped_join_all_errors_loses_no_error<S: Spawn>(spawner: S) {
    let alive = Alive::new();
    let (release_first, release_second) = (CancelToken::new(), CancelToken::new());
    let mut group = TaskGroup::new(spawner).supervised();
    group.spawn(waiting_task::<()>(
        &alive,
        &release_first,
        Err("first".into()),
    ));
    group.spawn(waiting_task::<()>(
        &alive,
        &release_second,
        Err("second".into()),
    ));
    {
        let mut join = pin!(group.join_all_errors());
        assert!(poll_once(join.as_mut()).is_pending());
        release_first.cancel();
        eventually("the first task to fail", || alive.count() == 1).await;
        assert!(poll_once(join.as_mut()).is_pending());
    }
    assert_eq!(alive.count(), 1, "a supervised failure stopped a task");
    release_second.cancel();
    let errors: GroupErrors<String> = group.join_all_errors().await.unwrap_err();
    assert_eq!(
        errors.into_iter().collect::<Vec<_>>(),
        ["first".to_string(), "second".to_string()]
    );
}

/// Tasks that clean up within a grace period once the token is cancelled.
fn spawn_cleaners<S: Spawn>(
    group: &mut TaskGroup<S, String>,
    count: usize,
    alive: &Arc<Alive>,
    cleaned: &Arc<AtomicUsize>,
    cleanup: CancelToken,
) {
    for _ in 0..count {
        let (guard, token) = (alive.guard(), group.token());
        let (cleaned, cleanup) = (Arc::clone(cleaned), cleanup.clone());
        group.spawn(async move {
            let _guard = guard;
            token.cancelled().await;
            cleanup.cancelled().await; // cleanup that takes until the test lets it end
            cleaned.fetch_add(1, Ordering::SeqCst);
            Ok(())
        });
    }
}

/// `shutdown` polled once (it starts the cancellation) and dropped: the grace period goes on,
/// no task is dropped, and the next `shutdown` waits for the cleanup and returns `Ok`.
async fn a_dropped_shutdown_leaves_the_cleanup_running<S: Spawn>(spawner: S) {
    let (alive, cleaned, cleanup) = (
        Alive::new(),
        Arc::new(AtomicUsize::new(0)),
        CancelToken::new(),
    );
    let mut group = TaskGroup::new(spawner).with_grace_period(Duration::from_secs(30));
    spawn_cleaners(&mut group, 3, &alive, &cleaned, cleanup.clone());
    {
        let shutdown = pin!(group.shutdown());
        assert!(poll_once(shutdown).is_pending());
    }
    assert!(group.token().is_cancelled());
    sleep(Duration::from_millis(20)).await;
    assert_eq!(
        alive.count(),
        3,
        "a dropped shutdown cut the grace period short"
    );
    cleanup.cancel();
    assert_eq!(group.shutdown().await, Ok(()));
    assert_eq!(cleaned.load(Ordering::SeqCst), 3);
    assert_eq!(alive.count(), 0);
}

/// `cancel`, then a join dropped within the grace period: the cleanup runs on, and the next
/// join waits for it.
async fn a_join_dropped_in_the_grace_period_leaves_the_cleanup_running<S: Spawn>(spawner: S) {
    let (alive, cleaned, cleanup) = (
        Alive::new(),
        Arc::new(AtomicUsize::new(0)),
        CancelToken::new(),
    );
    let mut group = TaskGroup::new(spawner).with_grace_period(Duration::from_secs(30));
    spawn_cleaners(&mut group, 3, &alive, &cleaned, cleanup.clone());
    group.cancel();
    {
        let mut join = pin!(group.join());
        assert!(poll_once(join.as_mut()).is_pending());
        assert!(poll_once(join.as_mut()).is_pending());
    }
    sleep(Duration::from_millis(20)).await;
    assert_eq!(alive.count(), 3);
    cleanup.cancel();
    assert_eq!(group.join().await, Ok(()));
    assert_eq!(cleaned.load(Ordering::SeqCst), 3);
}

/// After a join completed: every join returns at once, the failure having been reported once;
/// `join_outcome` still tells how the group ended; the group takes no new task.
async fn a_join_after_a_completed_join<S: Spawn + Clone>(spawner: S) {
    let mut group = TaskGroup::<_, String>::new(spawner.clone());
    group.spawn(async { Err::<(), _>("failed".to_string()) });
    assert_eq!(group.join().await, Err("failed".to_string()));
    assert_eq!(group.join().await, Ok(()));
    assert_eq!(group.join_all_errors().await, Ok(()));
    assert_eq!(group.shutdown().await, Ok(()));

    let mut group = TaskGroup::<_, String>::new(spawner.clone());
    group.spawn(async { Ok(()) });
    group.cancel();
    assert_eq!(group.join_outcome().await, Ok(GroupOutcome::Cancelled));
    assert_eq!(group.join_outcome().await, Ok(GroupOutcome::Cancelled));

    let mut group = TaskGroup::<_, String>::new(spawner);
    group.spawn(async { Ok(()) });
    assert_eq!(group.join_outcome().await, Ok(GroupOutcome::Finished));
    let polled = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&polled);
    let late = group.spawn(async move {
        counter.fetch_add(1, Ordering::SeqCst);
        Ok(())
    });
    assert_eq!(late.await, None);
    assert_eq!(polled.load(Ordering::SeqCst), 0);
    assert_eq!(group.join_outcome().await, Ok(GroupOutcome::Finished));
}

/// The service pattern on tokio, under its paused clock: `join` raced against a shutdown
/// signal in `select!`; the losing join is dropped, then `cancel` and a new `join` give the
/// tasks their grace period and wait for their cleanup.
#[cfg(feature = "tokio")]
mod service_pattern_on_tokio {
    use super::*;
    use cancel_cascade::rt::tokio::Tokio;

    fn on_paused_tokio<F: Future<Output = ()>>(
        what: &str,
        scenario: impl FnOnce() -> F + Send + 'static,
    ) {
        support::watchdog(what, Duration::from_secs(30), move || {
            ::tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .start_paused(true)
                .build()
                .unwrap()
                .block_on(scenario());
        });
    }

    /// Workers serve until the group's token is cancelled, then clean up for 100 ms.
    fn spawn_workers(group: &mut TaskGroup<Tokio, String>, cleaned: &Arc<AtomicUsize>) {
        for _ in 0..4 {
            let (token, cleaned) = (group.token(), Arc::clone(cleaned));
            group.spawn(async move {
                token.cancelled().await;
                ::tokio::time::sleep(Duration::from_millis(100)).await;
                cleaned.fetch_add(1, Ordering::SeqCst);
                Ok(())
            });
        }
    }

    #[test]
    fn the_shutdown_signal_wins_and_the_group_is_joined_after_its_grace_period() {
        on_paused_tokio("select_shutdown", || async {
            let shutdown = CancelToken::new();
            let signal = shutdown.clone();
            ::tokio::spawn(async move {
                ::tokio::time::sleep(Duration::from_secs(1)).await;
                signal.cancel();
            });
            let cleaned = Arc::new(AtomicUsize::new(0));
            let mut group = TaskGroup::new(Tokio).with_grace_period(Duration::from_secs(5));
            spawn_workers(&mut group, &cleaned);
            let started = ::tokio::time::Instant::now();
            let outcome = ::tokio::select! {
                outcome = group.join() => outcome,
                _ = shutdown.cancelled() => {
                    group.cancel();
                    group.join().await
                }
            };
            assert_eq!(outcome, Ok(()));
            assert_eq!(
                cleaned.load(Ordering::SeqCst),
                4,
                "a worker's cleanup was cut off"
            );
            assert_eq!(started.elapsed(), Duration::from_millis(1100));
            assert_eq!(group.join_outcome().await, Ok(GroupOutcome::Cancelled));
        });
    }

    #[test]
    fn a_failure_before_the_signal_comes_out_of_the_join_branch() {
        on_paused_tokio("select_failure", || async {
            let shutdown = CancelToken::new();
            let cleaned = Arc::new(AtomicUsize::new(0));
            let mut group = TaskGroup::new(Tokio).with_grace_period(Duration::from_secs(5));
            spawn_workers(&mut group, &cleaned);
            group.spawn(async {
                ::tokio::time::sleep(Duration::from_millis(300)).await;
                Err::<(), _>("listener failed".to_string())
            });
            let outcome = ::tokio::select! {
                outcome = group.join() => outcome,
                _ = shutdown.cancelled() => unreachable!("no shutdown signal in this scenario"),
            };
            assert_eq!(outcome, Err("listener failed".to_string()));
            assert_eq!(cleaned.load(Ordering::SeqCst), 4);
        });
    }

    /// The signal comes while a task's error is in flight: nothing is lost between the two
    /// branches; the join in the signal branch reports the error.
    #[test]
    fn a_failure_during_the_shutdown_comes_out_of_the_second_join() {
        on_paused_tokio("select_failure_in_grace", || async {
            let shutdown = CancelToken::new();
            shutdown.cancel();
            let mut group =
                TaskGroup::<_, String>::new(Tokio).with_grace_period(Duration::from_secs(5));
            let token = group.token();
            group.spawn(async move {
                token.cancelled().await;
                Err::<(), _>("flush failed".to_string())
            });
            let outcome = ::tokio::select! {
                biased;
                _ = shutdown.cancelled() => {
                    group.cancel();
                    group.join().await
                }
                outcome = group.join() => outcome,
            };
            assert_eq!(outcome, Err("flush failed".to_string()));
        });
    }
}
