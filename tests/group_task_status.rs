//! Why a `GroupTask` gave no output (`GroupTask::status`: failed, panicked, cancelled, never
//! started), beside the `Option<T>` that awaiting it gives; and builder methods called twice
//! take the last value. On each runtime.
#![cfg(all(feature = "std", not(loom)))]

#[allow(dead_code)]
mod spawn_tree;
#[allow(dead_code)]
mod support;
#[allow(dead_code)]
#[path = "support/tasks.rs"]
mod tasks;

use std::future::pending;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use cancel_cascade::rt::Spawn;
use cancel_cascade::{CancelToken, GroupOutcome, TaskGroup, TaskStatus};
use spawn_tree::on_each_runtime;
use support::quiet_panics_containing;
use tasks::eventually;

on_each_runtime!(
    each_way_a_task_ends_has_its_status,
    a_task_stopped_before_its_first_poll_never_started,
    with_limit_twice_takes_the_last_limit,
    a_raised_limit_starts_the_waiting_tasks,
    time_builders_twice_take_the_last_value,
);

async fn each_way_a_task_ends_has_its_status<S: Spawn>(spawner: S) {
    quiet_panics_containing("status panic");
    let mut group = TaskGroup::<_, String>::new(spawner).supervised();
    let release = CancelToken::new();
    let waiting = release.clone();
    let mut succeeded = group.spawn(async move {
        waiting.cancelled().await;
        Ok(1)
    });
    assert_eq!(succeeded.status(), TaskStatus::Running);
    let mut failed = group.spawn(async { Err::<(), _>("failed".to_string()) });
    let mut panicked = group.spawn(async {
        panic!("status panic");
        #[allow(unreachable_code)]
        Ok(())
    });
    let started = Arc::new(AtomicUsize::new(0));
    let running = Arc::clone(&started);
    let cancelled = group.spawn(async move {
        running.fetch_add(1, Ordering::SeqCst);
        pending::<Result<(), String>>().await
    });
    eventually("the tasks to end or run", || {
        started.load(Ordering::SeqCst) == 1
            && failed.status() != TaskStatus::Running
            && panicked.status() != TaskStatus::Running
    })
    .await;
    assert_eq!((&mut failed).await, None);
    assert_eq!(failed.status(), TaskStatus::Failed);
    assert_eq!((&mut panicked).await, None);
    assert_eq!(panicked.status(), TaskStatus::Panicked);
    release.cancel();
    assert_eq!((&mut succeeded).await, Some(1));
    assert_eq!(
        succeeded.status(),
        TaskStatus::Succeeded,
        "after the output was taken"
    );
    let mut cancelled = cancelled;
    let mut stopper = group.spawn(async { Ok(()) });
    assert_eq!((&mut stopper).await, Some(()));
    // `GroupTask::cancel` consumes the handle: the group's cancellation is read instead.
    group.cancel();
    assert_eq!((&mut cancelled).await, None);
    assert_eq!(cancelled.status(), TaskStatus::Cancelled);
    let _ = futures::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(group.join())).await;
    let late = group.spawn(async { Ok(()) });
    assert_eq!(late.status(), TaskStatus::NeverStarted);
}

async fn a_task_stopped_before_its_first_poll_never_started<S: Spawn + Send + Sync + 'static>(
    spawner: S,
) {
    let mut group = TaskGroup::<_, String>::new(spawner).with_limit(1);
    let mut holding = group.spawn(pending::<Result<(), String>>());
    let mut queued = group.spawn(async { Ok(()) });
    eventually("the first task to run", || group.len() == 2).await;
    group.cancel();
    assert_eq!(group.join().await, Ok(()));
    assert_eq!((&mut queued).await, None);
    assert_eq!(queued.status(), TaskStatus::NeverStarted);
    assert_eq!((&mut holding).await, None);
    assert!(matches!(
        holding.status(),
        TaskStatus::Cancelled | TaskStatus::NeverStarted
    ));
}

/// Counts the tasks running at once, at most.
fn spawn_counted<S: Spawn>(
    group: &mut TaskGroup<S, String>,
    count: usize,
    running: &Arc<AtomicUsize>,
    most: &Arc<AtomicUsize>,
    release: &CancelToken,
) {
    for _ in 0..count {
        let (running, most, release) = (Arc::clone(running), Arc::clone(most), release.clone());
        group.spawn(async move {
            most.fetch_max(running.fetch_add(1, Ordering::SeqCst) + 1, Ordering::SeqCst);
            release.cancelled().await;
            running.fetch_sub(1, Ordering::SeqCst);
            Ok(())
        });
    }
}

async fn with_limit_twice_takes_the_last_limit<S: Spawn + Send + Sync + 'static>(spawner: S) {
    let (running, most, release) = (
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
        CancelToken::new(),
    );
    let mut group = TaskGroup::new(spawner).with_limit(1).with_limit(3);
    spawn_counted(&mut group, 6, &running, &most, &release);
    eventually("three tasks to run", || running.load(Ordering::SeqCst) == 3).await;
    tasks::sleep(Duration::from_millis(20)).await;
    assert_eq!(most.load(Ordering::SeqCst), 3);
    release.cancel();
    assert_eq!(group.join().await, Ok(()));
    assert_eq!(most.load(Ordering::SeqCst), 3);
}

/// A limit raised after tasks queued starts as many of them as the new limit allows.
async fn a_raised_limit_starts_the_waiting_tasks<S: Spawn + Send + Sync + 'static>(spawner: S) {
    let (running, most, release) = (
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
        CancelToken::new(),
    );
    let mut group = TaskGroup::new(spawner).with_limit(1);
    spawn_counted(&mut group, 4, &running, &most, &release);
    eventually("one task to run", || running.load(Ordering::SeqCst) == 1).await;
    let mut group = group.with_limit(3);
    eventually("three tasks to run", || running.load(Ordering::SeqCst) == 3).await;
    release.cancel();
    assert_eq!(group.join().await, Ok(()));
    assert_eq!(most.load(Ordering::SeqCst), 3);
}

async fn time_builders_twice_take_the_last_value<S: Spawn>(spawner: S) {
    let mut group = TaskGroup::<_, String>::new(spawner)
        .with_timeout(Duration::from_secs(3600))
        .with_timeout(Duration::from_millis(20))
        .with_grace_period(Duration::from_secs(3600))
        .with_grace_period(Duration::ZERO);
    group.spawn(pending::<Result<(), String>>());
    let token = group.token();
    group.spawn(async move {
        token.cancelled().await;
        pending::<Result<(), String>>().await // ignores the token: dropped at once
    });
    assert_eq!(group.join_outcome().await, Ok(GroupOutcome::DeadlinePassed));
}
