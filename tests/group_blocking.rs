//! `TaskGroup::spawn_blocking`: a blocking closure on the runtime's blocking pool, as a task of
//! the group. Its output and its failure are a task's; it cannot be stopped, so a cancelled
//! group's `join` waits until it has returned, and its result is discarded.
#![cfg(all(feature = "std", not(loom)))]

#[allow(dead_code)]
mod spawn_tree;
#[allow(dead_code)]
mod support;
#[allow(dead_code)]
#[path = "support/tasks.rs"]
mod tasks;

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use cancel_cascade::rt::Spawn;
use cancel_cascade::TaskGroup;
use futures::FutureExt;
use spawn_tree::on_each_runtime;
use support::panic_message;
use tasks::{eventually, Alive};

on_each_runtime!(
    a_blocking_closure_gives_its_output,
    a_failing_blocking_closure_fails_the_group,
    join_waits_for_a_blocking_closure_of_a_cancelled_group,
    a_panicking_blocking_closure_resumes_in_join,
);

async fn a_blocking_closure_gives_its_output<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    let mut group = TaskGroup::<_, ()>::new(spawner);
    let task = group.spawn_blocking(|| {
        std::thread::sleep(Duration::from_millis(5));
        Ok(7)
    });
    assert_eq!(task.await, Some(7));
    assert_eq!(group.join().await, Ok(()));
}

async fn a_failing_blocking_closure_fails_the_group<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    let mut group = TaskGroup::<_, &str>::new(spawner);
    let alive = Alive::new();
    let started = Arc::new(AtomicBool::new(false));
    let (guard, running) = (alive.guard(), Arc::clone(&started));
    group.spawn(async move {
        let _guard = guard;
        running.store(true, Ordering::SeqCst);
        std::future::pending::<Result<(), &str>>().await
    });
    group.spawn_blocking(move || {
        // Fails once the other task runs, so that there is a running task to cancel.
        while !started.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(1));
        }
        Err::<(), _>("disk full")
    });
    assert_eq!(group.join().await, Err("disk full"));
    assert_eq!(alive.count(), 0, "the other task was stopped");
}

/// A task fails while a blocking closure runs: the closure cannot be stopped, and `join`
/// returns only once it has returned.
async fn join_waits_for_a_blocking_closure_of_a_cancelled_group<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    let mut group = TaskGroup::<_, &str>::new(spawner);
    let (started, returned) = (
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicBool::new(false)),
    );
    let (running, done) = (Arc::clone(&started), Arc::clone(&returned));
    let blocking = group.spawn_blocking(move || {
        running.fetch_add(1, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(50));
        done.store(true, Ordering::SeqCst);
        Ok(1)
    });
    let waiting = Arc::clone(&started);
    group.spawn(async move {
        eventually("the blocking closure to start", || {
            waiting.load(Ordering::SeqCst) == 1
        })
        .await;
        Err::<(), _>("failed")
    });
    assert_eq!(group.join().await, Err("failed"));
    assert!(
        returned.load(Ordering::SeqCst),
        "`join` returned while the blocking closure still ran"
    );
    assert_eq!(
        blocking.await,
        None,
        "the cancelled closure's result is discarded"
    );
}

async fn a_panicking_blocking_closure_resumes_in_join<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    support::quiet_panics_containing("a blocking closure panics");
    let mut group = TaskGroup::<_, ()>::new(spawner);
    group.spawn_blocking(|| -> Result<(), ()> { panic!("a blocking closure panics") });
    let panic = AssertUnwindSafe(group.join())
        .catch_unwind()
        .await
        .unwrap_err();
    assert_eq!(panic_message(panic), "a blocking closure panics");
}
