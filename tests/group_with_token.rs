//! `TaskGroup::with_token` and `TaskSet::with_token`: the group follows a parent token (a
//! service's root shutdown token); cancelling the parent cancels the group as `cancel()` does
//! (token, grace period, then drop; `join` waits; the outcome is `Cancelled`), even while
//! nobody awaits the group. A group nested in another group's task follows both.
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
use cancel_cascade::{CancelToken, GroupOutcome, TaskGroup, TaskSet};
use spawn_tree::on_each_runtime;
use tasks::{eventually, sleep, Alive};

on_each_runtime!(
    the_parent_cancels_the_group_with_its_grace_period,
    the_parent_cancels_a_group_nobody_joins,
    a_join_under_way_sees_the_parent_cancelled,
    a_parent_cancelled_already_cancels_at_once,
    the_last_parent_given_is_the_one_followed,
    a_nested_group_follows_its_parent_and_its_enclosing_group,
    a_set_follows_its_parent,
    the_parent_keeps_nothing_of_a_joined_or_dropped_group,
);

/// Tasks that clean up once their group's token is cancelled, holding guards of `alive`.
fn spawn_cleaners<S: Spawn>(
    group: &mut TaskGroup<S, String>,
    count: usize,
    alive: &Arc<Alive>,
    cleaned: &Arc<AtomicUsize>,
) {
    for _ in 0..count {
        let (guard, token, cleaned) = (alive.guard(), group.token(), Arc::clone(cleaned));
        group.spawn(async move {
            let _guard = guard;
            token.cancelled().await;
            sleep(Duration::from_millis(10)).await; // async cleanup
            cleaned.fetch_add(1, Ordering::SeqCst);
            Ok(())
        });
    }
}

/// With a grace period, the tasks clean up, and no task is dropped before it did; `join`
/// then reports `Cancelled`.
async fn the_parent_cancels_the_group_with_its_grace_period<S>(spawner: S)
where
    S: Spawn + Send + Sync + 'static,
{
    let (root, alive, cleaned) = (
        CancelToken::new(),
        Alive::new(),
        Arc::new(AtomicUsize::new(0)),
    );
    let mut group = TaskGroup::new(spawner)
        .with_grace_period(Duration::from_secs(30))
        .with_token(root.clone());
    spawn_cleaners(&mut group, 3, &alive, &cleaned);
    let group_token = group.token();
    assert!(!group_token.is_cancelled());
    root.cancel();
    assert!(
        group_token.is_cancelled(),
        "the parent's cancellation did not reach the group"
    );
    // Nobody joins yet: the tasks clean up on their own, within the grace period.
    alive.reaches(0).await;
    assert_eq!(cleaned.load(Ordering::SeqCst), 3);
    assert_eq!(group.join_outcome().await, Ok(GroupOutcome::Cancelled));
    assert!(!group.spawner().is_open());
}

/// Without a grace period, the tasks are dropped at once, without a join: their cleanup never
/// runs.
async fn the_parent_cancels_a_group_nobody_joins<S>(spawner: S)
where
    S: Spawn + Send + Sync + 'static,
{
    let (root, alive, cleaned) = (
        CancelToken::new(),
        Alive::new(),
        Arc::new(AtomicUsize::new(0)),
    );
    let mut group = TaskGroup::new(spawner).with_token(root.clone());
    spawn_cleaners(&mut group, 3, &alive, &cleaned);
    sleep(Duration::from_millis(10)).await;
    root.cancel();
    alive.reaches(0).await;
    assert_eq!(
        cleaned.load(Ordering::SeqCst),
        0,
        "a task ran cleanup it had no time for"
    );
    let late = group.spawn(async { Ok(()) });
    assert_eq!(late.await, None, "a cancelled group took a task");
    assert_eq!(group.join_outcome().await, Ok(GroupOutcome::Cancelled));
}

/// A join waiting when the parent is cancelled wakes, waits for the cleanup, and returns.
async fn a_join_under_way_sees_the_parent_cancelled<S>(spawner: S)
where
    S: Spawn + Send + Sync + 'static,
{
    let (root, alive, cleaned) = (
        CancelToken::new(),
        Alive::new(),
        Arc::new(AtomicUsize::new(0)),
    );
    let mut group = TaskGroup::new(spawner)
        .with_grace_period(Duration::from_secs(30))
        .with_token(root.clone());
    spawn_cleaners(&mut group, 2, &alive, &cleaned);
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        root.cancel();
    });
    assert_eq!(group.join_outcome().await, Ok(GroupOutcome::Cancelled));
    assert_eq!(cleaned.load(Ordering::SeqCst), 2);
    assert_eq!(alive.count(), 0);
    canceller.join().unwrap();
}

/// A parent cancelled before `with_token` cancels the group there: nothing is admitted.
async fn a_parent_cancelled_already_cancels_at_once<S>(spawner: S)
where
    S: Spawn + Send + Sync + 'static,
{
    let root = CancelToken::new();
    root.cancel();
    let mut group = TaskGroup::<_, String>::new(spawner).with_token(root);
    assert!(group.token().is_cancelled());
    let polled = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&polled);
    let task = group.spawn(async move {
        counter.fetch_add(1, Ordering::SeqCst);
        Ok(())
    });
    assert_eq!(task.await, None);
    assert_eq!(polled.load(Ordering::SeqCst), 0);
    assert_eq!(group.join_outcome().await, Ok(GroupOutcome::Cancelled));
}

/// `with_token` twice: the last parent is followed, the first one no longer is.
async fn the_last_parent_given_is_the_one_followed<S>(spawner: S)
where
    S: Spawn + Send + Sync + 'static,
{
    let (first, second) = (CancelToken::new(), CancelToken::new());
    let mut group = TaskGroup::<_, String>::new(spawner)
        .with_token(first.clone())
        .with_token(second.clone());
    let token = group.token();
    group.spawn(async move {
        token.cancelled().await;
        Ok(())
    });
    first.cancel();
    sleep(Duration::from_millis(10)).await;
    assert!(
        !group.token().is_cancelled(),
        "the replaced parent still cancels the group"
    );
    second.cancel();
    assert!(group.token().is_cancelled());
    assert_eq!(group.join_outcome().await, Ok(GroupOutcome::Cancelled));
}

/// A group made in a task of an outer group, following a root token: the root cancels it and
/// leaves the outer group running; the outer group's cancellation still reaches it too.
async fn a_nested_group_follows_its_parent_and_its_enclosing_group<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    for cancel_root in [true, false] {
        let (root, alive, cleaned) = (
            CancelToken::new(),
            Alive::new(),
            Arc::new(AtomicUsize::new(0)),
        );
        let mut outer =
            TaskGroup::<_, String>::new(spawner.clone()).with_grace_period(Duration::from_secs(30));
        let inner_outcome = {
            let (spawner, root, alive, cleaned) = (
                spawner.clone(),
                root.clone(),
                Arc::clone(&alive),
                Arc::clone(&cleaned),
            );
            outer.spawn(async move {
                let mut inner = TaskGroup::new(spawner)
                    .with_grace_period(Duration::from_secs(30))
                    .with_token(root);
                spawn_cleaners(&mut inner, 2, &alive, &cleaned);
                inner.join_outcome().await
            })
        };
        let outer_token = outer.token();
        eventually("the inner tasks to start", || alive.count() == 2).await;
        if cancel_root {
            root.cancel();
            alive.reaches(0).await;
            assert!(
                !outer_token.is_cancelled(),
                "the root reached the outer group"
            );
            assert_eq!(outer.join().await, Ok(()));
            assert_eq!(inner_outcome.await, Some(GroupOutcome::Cancelled));
        } else {
            outer.cancel();
            assert_eq!(outer.join().await, Ok(()));
            assert!(!root.is_cancelled(), "the group cancelled its parent");
            assert_eq!(alive.count(), 0);
        }
        assert_eq!(
            cleaned.load(Ordering::SeqCst),
            2,
            "cancel_root: {cancel_root}"
        );
    }
}

/// A `TaskSet` following a root token: the outputs that came before are read; the task still
/// running is dropped (no grace period), and `join_next` gives `None`.
async fn a_set_follows_its_parent<S>(spawner: S)
where
    S: Spawn + Send + Sync + 'static,
{
    let root = CancelToken::new();
    let mut set = TaskSet::<_, u32, String>::new(spawner).with_token(root.clone());
    set.spawn(async { Ok(1) });
    assert_eq!(set.join_next().await, Some(Ok(1)));
    let token = set.token();
    set.spawn(async move {
        token.cancelled().await;
        Ok(2)
    });
    root.cancel();
    assert_eq!(set.join_next().await, None);
    assert!(set.token().is_cancelled());
}

/// The parent's registration holds the group's spawner: it is let go of with the group, joined
/// or not.
async fn the_parent_keeps_nothing_of_a_joined_or_dropped_group<S>(spawner: S)
where
    S: Spawn + Send + Sync + 'static,
{
    let root = CancelToken::new();
    let spawner = Arc::new(spawner);
    for join_first in [true, false] {
        let mut group = TaskGroup::<_, String>::new(Arc::clone(&spawner)).with_token(root.clone());
        if join_first {
            group.spawn(async { Ok(()) });
            assert_eq!(group.join().await, Ok(()));
        }
        drop(group);
        assert_eq!(
            Arc::strong_count(&spawner),
            1,
            "the parent kept the group's spawner (joined first: {join_first})"
        );
    }
    assert!(!root.is_cancelled());
}
