//! Task ids: unique across groups, sets and handles, the same for a task's whole life, and the
//! one `TaskSet::spawn` returns is the one `join_next_with_id` gives back. On each runtime.
#![cfg(all(feature = "std", not(loom)))]

#[allow(dead_code)]
mod spawn_tree;
#[allow(dead_code)]
mod support;

use std::collections::{HashMap, HashSet};
use std::future::pending;

use cancel_cascade::rt::Spawn;
use cancel_cascade::{TaskGroup, TaskId, TaskSet};
use spawn_tree::on_each_runtime;

on_each_runtime!(
    ids_are_unique_and_stable,
    a_set_gives_each_result_with_the_id_spawn_returned,
    a_fail_fast_sets_error_comes_with_the_failing_tasks_id,
);

async fn ids_are_unique_and_stable<S: Spawn + Send + Sync + 'static>(spawner: S) {
    let mut group = TaskGroup::<_, ()>::new(spawner);
    let spawner = group.spawner();
    let tasks: Vec<_> = (0..10).map(|i| group.spawn(async move { Ok(i) })).collect();
    let from_spawner = spawner.spawn(async { Ok(10) });
    let handle = NoExecutor.spawn_task(async {});
    let mut ids: Vec<TaskId> = tasks.iter().map(|task| task.id()).collect();
    ids.push(from_spawner.id());
    ids.push(handle.id());
    assert_eq!(
        ids.iter().collect::<HashSet<_>>().len(),
        ids.len(),
        "{ids:?}"
    );
    assert_eq!(handle.id(), handle.id());
    drop(handle);
    group.join().await.unwrap();
    // The same ids once the tasks have ended, and in spawn order.
    let after: Vec<TaskId> = tasks.iter().map(|task| task.id()).collect();
    assert_eq!(after, ids[..10]);
    assert!(after.windows(2).all(|pair| pair[0] < pair[1]));
    // A task the joined group refuses has an id of its own all the same.
    let refused = group.spawn(async { Ok(()) });
    assert!(!ids.contains(&refused.id()));
    assert_eq!(
        format!("{:?}", refused.id()),
        format!("TaskId({})", refused.id())
    );
}

/// An executor that never runs anything: only the handle's id is looked at.
struct NoExecutor;

impl Spawn for NoExecutor {
    fn spawn_detached<F>(&self, future: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        drop(future);
    }
}

async fn a_set_gives_each_result_with_the_id_spawn_returned<S: Spawn + Send + Sync + 'static>(
    spawner: S,
) {
    let mut set = TaskSet::<_, usize, String>::new(spawner).supervised();
    let mut spawned = HashMap::new();
    for i in 0..20 {
        let id = if i % 2 == 0 {
            set.spawn(async move { Ok(i) })
        } else {
            set.spawner()
                .spawn(async move { Err(format!("task {i} failed")) })
        };
        assert!(spawned.insert(id, i).is_none(), "ids are unique");
    }
    let mut seen = HashSet::new();
    while let Some((id, result)) = set.join_next_with_id().await {
        let i = spawned[&id];
        match result {
            Ok(output) => assert_eq!(output, i),
            Err(error) => assert_eq!(error, format!("task {i} failed")),
        }
        assert!(seen.insert(id), "each id once");
    }
    assert_eq!(seen.len(), 20);
}

async fn a_fail_fast_sets_error_comes_with_the_failing_tasks_id<
    S: Spawn + Send + Sync + 'static,
>(
    spawner: S,
) {
    let mut set = TaskSet::<_, (), &str>::new(spawner);
    let stuck = set.spawn(pending());
    let failing = set.spawn(async { Err("failed") });
    assert_ne!(stuck, failing);
    assert_eq!(
        set.join_next_with_id().await,
        Some((failing, Err("failed")))
    );
    assert_eq!(set.join_next_with_id().await, None);
}
