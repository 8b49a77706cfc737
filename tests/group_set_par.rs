//! `TaskSet` at par with `TaskGroup`: a deadline (and how the set says it passed), supervision
//! (every failure handed over by `join_next`), `shutdown`, `len`/`is_empty`, `try_join_next`,
//! and a task's panic that says which task it was; `TaskGroup::len`. On each runtime.
#![cfg(all(feature = "std", not(loom)))]

#[allow(dead_code)]
mod spawn_tree;
#[allow(dead_code)]
mod support;
#[allow(dead_code)]
#[path = "support/tasks.rs"]
mod tasks;

use std::future::pending;
use std::panic::AssertUnwindSafe;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use cancel_cascade::rt::Spawn;
use cancel_cascade::{CancelToken, TaskGroup, TaskSet};
use futures::FutureExt;
use spawn_tree::on_each_runtime;
use support::{panic_message, quiet_panics_containing};
use tasks::{eventually, poll_once, waiting_task, Alive};

on_each_runtime!(
    a_set_deadline_cancels_and_is_reported,
    a_set_deadline_on_the_spawner_clock,
    a_supervised_set_hands_over_every_failure,
    a_panic_says_which_task_it_was,
    a_panicking_destructor_says_which_task_it_was,
    shutdown_cancels_waits_and_reports,
    a_dropped_shutdown_loses_no_error,
    a_supervised_shutdown_reports_the_first_unread_error,
    len_counts_running_tasks_and_unread_results,
    try_join_next_never_waits,
    a_group_len_counts_tasks_not_yet_stopped,
);

async fn a_set_deadline_cancels_and_is_reported<S: Spawn>(spawner: S) {
    let alive = Alive::new();
    let mut set = TaskSet::<_, u32, String>::new(spawner).with_timeout(Duration::from_millis(40));
    set.spawn(async { Ok(1) });
    set.spawn(waiting_task(&alive, &CancelToken::new(), Ok(2)));
    assert_eq!(set.join_next().await, Some(Ok(1)));
    assert!(!set.deadline_passed());
    assert_eq!(set.join_next().await, None);
    assert!(set.deadline_passed());
    assert_eq!(alive.count(), 0, "a task outlived the deadline");
}

async fn a_set_deadline_on_the_spawner_clock<S: Spawn>(spawner: S) {
    let deadline = spawner.now() + Duration::from_millis(30);
    let mut set = TaskSet::<_, u32, String>::new(spawner)
        .with_timeout(Duration::from_secs(3600))
        .with_deadline(deadline); // the last one given counts
    set.spawn(pending());
    assert_eq!(set.join_next().await, None);
    assert!(set.deadline_passed());
}

async fn a_supervised_set_hands_over_every_failure<S: Spawn>(spawner: S) {
    quiet_panics_containing("supervised set panic");
    let alive = Alive::new();
    let releases: Vec<CancelToken> = (0..4).map(|_| CancelToken::new()).collect();
    let mut set = TaskSet::<_, u32, String>::new(spawner).supervised();
    set.spawn(waiting_task(
        &alive,
        &releases[0],
        Err("first failed".into()),
    ));
    set.spawn(waiting_task(&alive, &releases[1], Ok(1)));
    let release = releases[2].clone();
    set.spawn(async move {
        release.cancelled().await;
        panic!("supervised set panic");
    });
    set.spawn(waiting_task(&alive, &releases[3], Ok(3)));
    releases[0].cancel();
    assert_eq!(set.join_next().await, Some(Err("first failed".to_string())));
    assert_eq!(alive.count(), 2, "a supervised failure cancelled a task");
    releases[1].cancel();
    assert_eq!(set.join_next().await, Some(Ok(1)));
    releases[2].cancel();
    let panic = AssertUnwindSafe(set.join_next())
        .catch_unwind()
        .await
        .unwrap_err();
    let message = panic_message(panic);
    assert!(message.contains("supervised set panic"), "{message}");
    assert!(message.contains("task 2"), "{message}");
    assert_eq!(alive.count(), 1, "a supervised panic cancelled a task");
    releases[3].cancel();
    assert_eq!(set.join_next().await, Some(Ok(3)));
    assert_eq!(set.join_next().await, None);
}

async fn a_panic_says_which_task_it_was<S: Spawn>(spawner: S) {
    quiet_panics_containing("fail-fast set panic");
    let mut set = TaskSet::<_, u32, String>::new(spawner);
    set.spawn(pending());
    set.spawn(pending());
    let spawned_at = line!() + 1;
    set.spawn(async { panic!("fail-fast set panic") });
    let panic = AssertUnwindSafe(set.join_next())
        .catch_unwind()
        .await
        .unwrap_err();
    let message = panic_message(panic);
    assert!(message.contains("fail-fast set panic"), "{message}");
    assert!(message.contains("task 2"), "{message}");
    let location = format!("{}:{spawned_at}:", file!());
    assert!(
        message.contains(&location),
        "{message} does not name {location}"
    );
    assert_eq!(set.join_next().await, None);
}

/// A task's future that returns `Ok(1)` at its first poll, then panics as it is dropped.
struct ReadyThenPanicsOnDrop;

impl std::future::Future for ReadyThenPanicsOnDrop {
    type Output = Result<u32, String>;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        std::task::Poll::Ready(Ok(1))
    }
}

impl Drop for ReadyThenPanicsOnDrop {
    fn drop(&mut self) {
        panic!("set destructor panic");
    }
}

/// A task whose future panics as it is dropped (after it returned `Ok`) panicked: the message
/// names the task as it does for a panic in a poll.
async fn a_panicking_destructor_says_which_task_it_was<S: Spawn>(spawner: S) {
    quiet_panics_containing("set destructor panic");
    let mut set = TaskSet::<_, u32, String>::new(spawner);
    set.spawn(pending());
    let spawned_at = line!() + 1;
    set.spawn(ReadyThenPanicsOnDrop);
    let panic = AssertUnwindSafe(set.join_next())
        .catch_unwind()
        .await
        .unwrap_err();
    let message = panic_message(panic);
    assert!(message.contains("set destructor panic"), "{message}");
    assert!(message.contains("task 1 "), "{message}");
    let location = format!("{}:{spawned_at}:", file!());
    assert!(
        message.contains(&location),
        "{message} does not name {location}"
    );
    assert_eq!(set.join_next().await, None);
}

async fn shutdown_cancels_waits_and_reports<S: Spawn + Clone>(spawner: S) {
    let alive = Alive::new();
    let mut set = TaskSet::<_, u32, String>::new(spawner.clone())
        .with_grace_period(Duration::from_millis(50));
    let (token, guard) = (set.token(), alive.guard());
    set.spawn(async move {
        let _guard = guard;
        token.cancelled().await;
        Ok(7) // finishes within the grace period; `shutdown` drops the output unread
    });
    set.spawn(waiting_task(&alive, &CancelToken::new(), Ok(0))); // dropped when the grace ends
    assert_eq!(set.shutdown().await, Ok(()));
    assert_eq!(alive.count(), 0);
    assert!(set.is_empty());
    assert_eq!(set.join_next().await, None);

    let mut set = TaskSet::<_, u32, String>::new(spawner);
    set.spawn(async { Err("failed".to_string()) });
    set.spawn(pending());
    eventually("the failure", || set.token().is_cancelled()).await;
    assert_eq!(set.shutdown().await, Err("failed".to_string()));
    assert_eq!(set.shutdown().await, Ok(()), "an error is reported once");
}

async fn a_dropped_shutdown_loses_no_error<S: Spawn>(spawner: S) {
    let (alive, cleanup) = (Alive::new(), CancelToken::new());
    let mut set =
        TaskSet::<_, u32, String>::new(spawner).with_grace_period(Duration::from_secs(30));
    let (token, guard, release) = (set.token(), alive.guard(), cleanup.clone());
    set.spawn(async move {
        let _guard = guard;
        token.cancelled().await;
        release.cancelled().await;
        Err("flush failed".to_string())
    });
    {
        let shutdown = pin!(set.shutdown());
        assert!(poll_once(shutdown).is_pending());
    }
    assert_eq!(
        alive.count(),
        1,
        "a dropped shutdown cut the grace period short"
    );
    cleanup.cancel();
    assert_eq!(set.shutdown().await, Err("flush failed".to_string()));
}

async fn a_supervised_shutdown_reports_the_first_unread_error<S: Spawn>(spawner: S) {
    let finished = Arc::new(AtomicUsize::new(0));
    let mut set = TaskSet::<_, u32, String>::new(spawner).supervised();
    for outcome in [Err("first".to_string()), Ok(1), Err("second".to_string())] {
        let finished = Arc::clone(&finished);
        set.spawn(async move {
            finished.fetch_add(1, Ordering::SeqCst);
            outcome
        });
    }
    eventually("the tasks to finish", || {
        finished.load(Ordering::SeqCst) == 3
    })
    .await;
    set.spawn(pending());
    let first = set.shutdown().await;
    // The three finished on their own threads: any of the two errors may be the first.
    assert!(
        first == Err("first".to_string()) || first == Err("second".to_string()),
        "{first:?}"
    );
    assert!(set.is_empty());
    assert_eq!(set.join_next().await, None);
}

async fn len_counts_running_tasks_and_unread_results<S: Spawn>(spawner: S) {
    let alive = Alive::new();
    let (first, rest) = (CancelToken::new(), CancelToken::new());
    let mut set = TaskSet::<_, u32, String>::new(spawner);
    assert!(set.is_empty());
    set.spawn(waiting_task(&alive, &first, Ok(1)));
    set.spawn(waiting_task(&alive, &rest, Ok(2)));
    set.spawn(waiting_task(&alive, &rest, Ok(3)));
    assert_eq!(set.len(), 3);
    first.cancel();
    // A task that just returned counts twice for a moment (running, and its output), until
    // it has stopped.
    eventually("the first task to stop, its output unread", || {
        alive.count() == 2 && set.len() == 3
    })
    .await;
    assert_eq!(set.join_next().await, Some(Ok(1)));
    eventually("two tasks left", || set.len() == 2).await;
    set.cancel();
    assert_eq!(set.join_next().await, None);
    assert_eq!(set.len(), 0);
    assert!(set.is_empty());
}

async fn try_join_next_never_waits<S: Spawn>(spawner: S) {
    let alive = Alive::new();
    let release = CancelToken::new();
    let mut set = TaskSet::<_, u32, String>::new(spawner);
    assert_eq!(set.try_join_next(), None);
    set.spawn(waiting_task(&alive, &release, Ok(5)));
    assert_eq!(set.try_join_next(), None, "a running task has no result");
    release.cancel();
    let mut result = None;
    eventually("the output", || {
        result = set.try_join_next();
        result.is_some()
    })
    .await;
    assert_eq!(result, Some(Ok(5)));
    assert_eq!(set.try_join_next(), None);

    set.spawn(async { Err("failed".to_string()) });
    eventually("the failure", || {
        result = set.try_join_next();
        result.is_some()
    })
    .await;
    assert_eq!(result, Some(Err("failed".to_string())));
    assert_eq!(set.try_join_next(), None);
    assert_eq!(set.join_next().await, None);
}

async fn a_group_len_counts_tasks_not_yet_stopped<S: Spawn>(spawner: S) {
    let alive = Alive::new();
    let release = CancelToken::new();
    let mut group = TaskGroup::<_, String>::new(spawner);
    assert!(group.is_empty());
    let first = group.spawn(waiting_task(&alive, &release, Ok(1)));
    group.spawn(waiting_task(&alive, &release, Ok(2)));
    group.spawn(async { Ok(3) });
    eventually("the quick task to stop", || group.len() == 2).await;
    assert_eq!(first.cancel().await, None);
    assert_eq!(group.len(), 1);
    release.cancel();
    assert_eq!(group.join().await, Ok(()));
    assert_eq!(group.len(), 0);
    assert!(group.is_empty());
}
