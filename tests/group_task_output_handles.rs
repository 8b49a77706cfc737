//! The rule for what a task hands on: a task's children count against it while its future is
//! alive; whatever leaves in its output, or is sent away, belongs to whoever receives it. So a
//! group task that returns (or sends away) a `TaskHandle` or a `TaskGroup` it created does not
//! make `join()` wait for it (a caller reading it after `join()` would deadlock), while a task
//! that *drops* what it created still makes `join()` wait, transitively.
#![cfg(all(feature = "std", not(loom)))]

#[allow(dead_code)]
mod spawn_tree;
#[allow(dead_code)]
mod support;
#[allow(dead_code)]
#[path = "support/tasks.rs"]
mod tasks;

use std::future::pending;
use std::sync::Arc;
use std::time::Duration;

use cancel_cascade::rt::Spawn;
use cancel_cascade::{TaskGroup, TaskHandle};
use futures::channel::oneshot;
use spawn_tree::on_each_runtime;
use tasks::Alive;

on_each_runtime!(
    a_returned_handle_belongs_to_the_caller,
    a_returned_group_belongs_to_the_caller,
    a_handle_sent_away_belongs_to_the_receiver,
    a_returned_handle_dropped_by_a_receiving_task_is_waited_for_there,
);

fn stuck<S: Spawn>(spawner: &S, alive: &Arc<Alive>) -> TaskHandle<()> {
    let guard = alive.slow_guard(Duration::from_millis(20));
    spawner.spawn_task(async move {
        let _guard = guard;
        pending::<()>().await
    })
}

async fn a_returned_handle_belongs_to_the_caller<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    let alive = Alive::new();
    let mut group = TaskGroup::<_, ()>::new(spawner.clone());
    let (inner, counted) = (spawner.clone(), Arc::clone(&alive));
    let output = group.spawn(async move { Ok(stuck(&inner, &counted)) });
    assert_eq!(
        group.join().await,
        Ok(()),
        "`join` waited for a handle it does not own"
    );
    let handle = output.await.expect("the task returned its handle");
    assert_eq!(alive.count(), 1, "the returned task still runs");
    assert_eq!(handle.cancel().await, None);
    assert_eq!(alive.count(), 0);
}

async fn a_returned_group_belongs_to_the_caller<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    let alive = Alive::new();
    let mut group = TaskGroup::<_, ()>::new(spawner.clone());
    let (inner, counted) = (spawner.clone(), Arc::clone(&alive));
    let output = group.spawn(async move {
        let mut made = TaskGroup::<_, ()>::new(inner);
        let guard = counted.slow_guard(Duration::from_millis(20));
        made.spawn(async move {
            let _guard = guard;
            pending::<Result<(), ()>>().await
        });
        Ok(made)
    });
    assert_eq!(group.join().await, Ok(()));
    let mut made = output.await.expect("the task returned its group");
    assert_eq!(alive.count(), 1);
    assert_eq!(made.shutdown().await, Ok(()));
    assert_eq!(
        alive.count(),
        0,
        "`shutdown` waits for the returned group's task"
    );
}

async fn a_handle_sent_away_belongs_to_the_receiver<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    let alive = Alive::new();
    let (send, receive) = oneshot::channel();
    let mut group = TaskGroup::<_, ()>::new(spawner.clone());
    let (inner, counted) = (spawner.clone(), Arc::clone(&alive));
    group.spawn(async move {
        let _ = send.send(stuck(&inner, &counted));
        Ok(())
    });
    assert_eq!(group.join().await, Ok(()));
    let handle = receive.await.expect("the handle was sent");
    assert_eq!(handle.cancel().await, None);
    assert_eq!(alive.count(), 0);
}

/// Transitive waiting still holds where the handle ends: a second group's task receives the
/// handle and drops it; that group's `join` waits for the dropped task.
async fn a_returned_handle_dropped_by_a_receiving_task_is_waited_for_there<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    let alive = Alive::new();
    let mut first = TaskGroup::<_, ()>::new(spawner.clone());
    let (inner, counted) = (spawner.clone(), Arc::clone(&alive));
    let output = first.spawn(async move { Ok(stuck(&inner, &counted)) });
    assert_eq!(first.join().await, Ok(()));
    let handle = output.await.expect("the task returned its handle");
    let mut second = TaskGroup::<_, ()>::new(spawner);
    second.spawn(async move {
        drop(handle);
        Ok(())
    });
    assert_eq!(second.join().await, Ok(()));
    assert_eq!(
        alive.count(),
        0,
        "`join` returned before the dropped task had stopped"
    );
}
