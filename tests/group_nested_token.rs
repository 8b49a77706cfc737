//! A group created inside a task of another group takes a child of the outer group's token: the
//! outer group's cancellation reaches the inner group's tasks at once, so their cleanup runs
//! within the outer grace period instead of being cut off when it is over. Without an outer
//! grace period, the outer group's hard stop reaches the inner groups before its token does:
//! their tasks are dropped without running any cleanup.
#![cfg(all(feature = "std", not(loom)))]

#[allow(dead_code)]
mod spawn_tree;
#[allow(dead_code)]
mod support;
#[allow(dead_code)]
#[path = "support/tasks.rs"]
mod tasks;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use cancel_cascade::rt::Spawn;
use cancel_cascade::{CancelToken, TaskGroup};
use spawn_tree::on_each_runtime;
use tasks::eventually;

/// Long, so that cleanup cut off by its end would show as a failed check (and never as a pass
/// that only took long).
const GRACE: Duration = Duration::from_secs(3);

on_each_runtime!(
    the_outer_cancellation_reaches_an_inner_group,
    the_outer_cancellation_reaches_a_group_inside_a_spawned_task,
    an_inner_cancellation_stays_inside,
    without_an_outer_grace_period_no_inner_task_runs_its_cleanup,
);

/// Inner tasks that clean up once their group's token is cancelled.
fn spawn_cleaners<S>(
    group: &mut TaskGroup<S, String>,
    count: usize,
    started: &Arc<AtomicUsize>,
    cleaned: &Arc<AtomicUsize>,
) where
    S: Spawn,
{
    for _ in 0..count {
        let token = group.token();
        let (started, cleaned) = (Arc::clone(started), Arc::clone(cleaned));
        group.spawn(async move {
            started.fetch_add(1, Ordering::SeqCst);
            token.cancelled().await;
            cleaned.fetch_add(1, Ordering::SeqCst);
            Ok(())
        });
    }
}

/// Fails the outer group once `count` inner tasks run.
fn fail_when_started<S: Spawn>(
    outer: &mut TaskGroup<S, String>,
    started: &Arc<AtomicUsize>,
    count: usize,
) {
    let started = Arc::clone(started);
    outer.spawn(async move {
        eventually("the inner tasks to start", || {
            started.load(Ordering::SeqCst) == count
        })
        .await;
        Err::<(), _>("outer failure".to_owned())
    });
}

async fn the_outer_cancellation_reaches_an_inner_group<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    let started = Arc::new(AtomicUsize::new(0));
    let cleaned = Arc::new(AtomicUsize::new(0));
    let mut outer = TaskGroup::new(spawner.clone()).with_grace_period(GRACE);
    {
        let (spawner, started, cleaned) =
            (spawner.clone(), Arc::clone(&started), Arc::clone(&cleaned));
        outer.spawn(async move {
            let mut inner = TaskGroup::new(spawner);
            spawn_cleaners(&mut inner, 4, &started, &cleaned);
            inner.join().await
        });
    }
    fail_when_started(&mut outer, &started, 4);
    assert_eq!(outer.join().await, Err("outer failure".to_owned()));
    assert_eq!(
        cleaned.load(Ordering::SeqCst),
        4,
        "the inner tasks never saw the outer cancellation"
    );
}

/// The inner group lives in a task spawned with a `TaskHandle` by the outer group's task.
async fn the_outer_cancellation_reaches_a_group_inside_a_spawned_task<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    let started = Arc::new(AtomicUsize::new(0));
    let cleaned = Arc::new(AtomicUsize::new(0));
    let mut outer = TaskGroup::new(spawner.clone()).with_grace_period(GRACE);
    {
        let (spawner, started, cleaned) =
            (spawner.clone(), Arc::clone(&started), Arc::clone(&cleaned));
        outer.spawn(async move {
            let nested = spawner.clone().spawn_task(async move {
                let mut inner = TaskGroup::new(spawner);
                spawn_cleaners(&mut inner, 2, &started, &cleaned);
                inner.join().await
            });
            nested.await
        });
    }
    fail_when_started(&mut outer, &started, 2);
    assert_eq!(outer.join().await, Err("outer failure".to_owned()));
    assert_eq!(cleaned.load(Ordering::SeqCst), 2);
}

/// The inner group's own failure cancels its token, not the outer one.
async fn an_inner_cancellation_stays_inside<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    let outer_token = Arc::new(std::sync::Mutex::new(None::<CancelToken>));
    let mut outer = TaskGroup::<_, String>::new(spawner.clone());
    let seen = Arc::clone(&outer_token);
    let token = outer.token();
    outer.spawn(async move {
        let mut inner = TaskGroup::<_, String>::new(spawner);
        inner.spawn(async { Err::<(), _>("inner failure".to_owned()) });
        let inner_outcome = inner.join().await;
        *seen.lock().unwrap() = Some(token.clone());
        assert_eq!(inner_outcome, Err("inner failure".to_owned()));
        assert!(
            !token.is_cancelled(),
            "the inner failure cancelled the outer group"
        );
        Ok(())
    });
    assert_eq!(outer.join().await, Ok(()));
    assert!(outer_token.lock().unwrap().is_some());
}

/// Inner groups in an outer task and in a task that an outer task spawned: the outer failure,
/// with no grace period, drops every inner task before any of them can see a cancelled token.
async fn without_an_outer_grace_period_no_inner_task_runs_its_cleanup<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    let started = Arc::new(AtomicUsize::new(0));
    let cleaned = Arc::new(AtomicUsize::new(0));
    let mut outer = TaskGroup::new(spawner.clone());
    {
        let (spawner, started, cleaned) =
            (spawner.clone(), Arc::clone(&started), Arc::clone(&cleaned));
        outer.spawn(async move {
            let mut inner = TaskGroup::new(spawner.clone());
            spawn_cleaners(&mut inner, 4, &started, &cleaned);
            let nested = spawner.clone().spawn_task(async move {
                let mut inner = TaskGroup::new(spawner);
                spawn_cleaners(&mut inner, 4, &started, &cleaned);
                inner.join().await
            });
            inner.join().await?;
            nested.await
        });
    }
    fail_when_started(&mut outer, &started, 8);
    assert_eq!(outer.join().await, Err("outer failure".to_owned()));
    assert_eq!(
        cleaned.load(Ordering::SeqCst),
        0,
        "an inner task ran cleanup that the outer group gave no time for"
    );
}
