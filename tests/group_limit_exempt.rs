//! `spawn_outside_limit`: a task of a limited group that takes no slot (an accept loop, a
//! watcher) leaves every slot to the work, and is in every other way a task of the group: its
//! failure fails the group, the group's cancellation stops it, `join` waits for it.
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

use cancel_cascade::rt::Spawn;
use cancel_cascade::{GroupOutcome, TaskGroup};
use spawn_tree::on_each_runtime;
use tasks::{eventually, Alive};

const LIMIT: usize = 2;

on_each_runtime!(
    watchers_outside_the_limit_leave_every_slot_to_the_work,
    a_task_outside_the_limit_fails_the_group_like_any_other,
    the_groups_cancellation_stops_a_task_outside_the_limit,
);

/// Two watchers run outside a limit of two; the work still runs two at a time: the two tasks
/// of each round wait for each other, which they could not do with one slot.
async fn watchers_outside_the_limit_leave_every_slot_to_the_work<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    let mut group = TaskGroup::<_, ()>::new(spawner).with_limit(LIMIT);
    let watchers = Arc::new(AtomicUsize::new(0));
    for _ in 0..2 {
        let (token, watchers) = (group.token(), Arc::clone(&watchers));
        group.spawn_outside_limit(async move {
            watchers.fetch_add(1, Ordering::SeqCst);
            token.cancelled().await;
            Ok(())
        });
    }
    eventually("the watchers to start", || {
        watchers.load(Ordering::SeqCst) == 2
    })
    .await;
    let (arrived, most, running) = (
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
    );
    let spawner = group.spawner();
    let mut work = Vec::new();
    for round in 0..3 {
        for _ in 0..LIMIT {
            let (arrived, most, running) = (
                Arc::clone(&arrived),
                Arc::clone(&most),
                Arc::clone(&running),
            );
            work.push(spawner.spawn(async move {
                most.fetch_max(running.fetch_add(1, Ordering::SeqCst) + 1, Ordering::SeqCst);
                arrived.fetch_add(1, Ordering::SeqCst);
                let both = (round + 1) * LIMIT;
                eventually("the other task of the round", || {
                    arrived.load(Ordering::SeqCst) >= both
                })
                .await;
                running.fetch_sub(1, Ordering::SeqCst);
                Ok(())
            }));
        }
    }
    for task in work {
        assert_eq!(task.await, Some(()));
    }
    assert_eq!(
        most.load(Ordering::SeqCst),
        LIMIT,
        "the work ran {LIMIT} at a time"
    );
    assert_eq!(group.shutdown().await, Ok(()));
}

async fn a_task_outside_the_limit_fails_the_group_like_any_other<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    let alive = Alive::new();
    let mut group = TaskGroup::<_, &str>::new(spawner).with_limit(1);
    for _ in 0..3 {
        let guard = alive.guard();
        group.spawn(async move {
            let _guard = guard;
            pending::<Result<(), &str>>().await
        });
    }
    group.spawn_outside_limit(async { Err::<(), _>("the watcher failed") });
    assert_eq!(group.join().await, Err("the watcher failed"));
    assert_eq!(alive.count(), 0);
}

async fn the_groups_cancellation_stops_a_task_outside_the_limit<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    let alive = Alive::new();
    let started = Arc::new(AtomicUsize::new(0));
    let mut group = TaskGroup::<_, ()>::new(spawner).with_limit(1);
    for _ in 0..2 {
        let (guard, started) = (alive.guard(), Arc::clone(&started));
        group.spawn_outside_limit(async move {
            let _guard = guard;
            started.fetch_add(1, Ordering::SeqCst);
            pending::<Result<(), ()>>().await
        });
    }
    eventually("both to start", || started.load(Ordering::SeqCst) == 2).await;
    group.cancel();
    assert_eq!(group.join_outcome().await, Ok(GroupOutcome::Cancelled));
    assert_eq!(
        alive.count(),
        0,
        "`join` returned before the tasks outside the limit stopped"
    );
}
