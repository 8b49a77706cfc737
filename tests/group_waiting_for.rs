//! What a `join` waits for, printed while it waits (`waiting_for`): the tasks not yet stopped at
//! any depth of the spawn tree, each with its id and where it was spawned. On each runtime.
#![cfg(all(feature = "std", not(loom)))]

#[allow(dead_code)]
mod spawn_tree;
#[allow(dead_code)]
mod support;
#[allow(dead_code)]
#[path = "support/tasks.rs"]
mod tasks;

use std::future::{pending, poll_fn, Future};
use std::sync::{Arc, Mutex};
use std::task::Poll;

use cancel_cascade::rt::Spawn;
use cancel_cascade::{TaskGroup, TaskId};
use spawn_tree::on_each_runtime;
use tasks::eventually;

on_each_runtime!(
    a_join_stuck_on_a_grandchild_lists_the_task_and_the_grandchild,
    a_group_inside_a_task_is_listed_with_its_tasks,
    a_blocking_task_past_the_hard_stop_is_still_listed,
);

/// Polls `future` once.
async fn poll_once<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
    poll_fn(|cx| Poll::Ready(std::pin::Pin::new(&mut *future).poll(cx))).await
}

/// The line of the text that names `id`, which must be there.
fn line_of(text: &str, id: TaskId) -> &str {
    let needle = format!(" {id} ");
    text.lines()
        .find(|line| line.contains(&needle))
        .unwrap_or_else(|| panic!("{id} is not in:\n{text}"))
}

async fn a_join_stuck_on_a_grandchild_lists_the_task_and_the_grandchild<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    let mut group = TaskGroup::<_, ()>::new(spawner.clone());
    let sent = Arc::new(Mutex::new(None));
    let sender = Arc::clone(&sent);
    group.spawn(async { Ok(()) }); // done at once: not waited for
    let task_line = line!() + 1;
    let task = group.spawn(async move {
        let grandchild_line = line!() + 1;
        let grandchild = spawner.spawn_task(pending::<()>());
        *sender.lock().unwrap() = Some((grandchild.id(), grandchild_line));
        grandchild.await;
        Ok(())
    });
    let watcher = group.spawner();
    let mut join = Box::pin(group.join());
    assert!(poll_once(&mut join).await.is_pending());
    eventually("the grandchild to be spawned, the quick task gone", || {
        sent.lock().unwrap().is_some() && watcher.waiting_for().len() == 2
    })
    .await;
    let (grandchild, grandchild_line) = sent.lock().unwrap().unwrap();
    // Printed while the join waits.
    let waiting = watcher.waiting_for();
    let text = waiting.to_string();
    assert_eq!(waiting.len(), 2, "{text}");
    assert_eq!(
        waiting.task_ids().collect::<Vec<_>>(),
        [task.id(), grandchild]
    );
    let file = file!();
    let lines: Vec<&str> = text.lines().collect();
    let task_at = format!("task {} spawned at {file}:{task_line}:", task.id());
    assert!(lines[0].starts_with(&task_at), "{text}");
    let grandchild_at = format!("  task {grandchild} spawned at {file}:{grandchild_line}:");
    assert!(lines[1].starts_with(&grandchild_at), "{text}");
    assert_eq!(
        waiting.spawned_at(grandchild).unwrap().line(),
        grandchild_line
    );
    watcher.cancel();
    join.await.unwrap();
    assert!(group.waiting_for().is_empty());
    assert_eq!(group.waiting_for().to_string(), "");
}

async fn a_group_inside_a_task_is_listed_with_its_tasks<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    let mut group = TaskGroup::<_, ()>::new(spawner.clone());
    let sent = Arc::new(Mutex::new(None));
    let sender = Arc::clone(&sent);
    let outer = group.spawn(async move {
        let mut inner = TaskGroup::<_, ()>::new(spawner);
        let stuck = inner.spawn(pending::<Result<(), ()>>());
        *sender.lock().unwrap() = Some(stuck.id());
        inner.join().await
    });
    let watcher = group.spawner();
    let mut join = Box::pin(group.join());
    assert!(poll_once(&mut join).await.is_pending());
    eventually("the inner task to be spawned", || {
        sent.lock().unwrap().is_some() && watcher.waiting_for().len() == 3
    })
    .await;
    let stuck = *sent.lock().unwrap();
    let text = watcher.waiting_for().to_string();
    assert!(line_of(&text, outer.id()).starts_with("task "), "{text}");
    let group_line = text.lines().nth(1).unwrap();
    assert!(group_line.starts_with("  group "), "{text}");
    assert!(
        group_line.contains(&format!(" created at {}:", file!())),
        "{text}"
    );
    assert!(
        line_of(&text, stuck.unwrap()).starts_with("    task "),
        "{text}"
    );
    watcher.cancel();
    join.await.unwrap();
}

/// The hard stop cannot stop blocking work: until it returns, the join waits for it and
/// `waiting_for` lists it (and only it).
async fn a_blocking_task_past_the_hard_stop_is_still_listed<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    let mut group = TaskGroup::<_, ()>::new(spawner);
    let (release, released) = std::sync::mpsc::channel::<()>();
    let started = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let starts = Arc::clone(&started);
    let blocking = group.spawn_blocking(move || {
        starts.store(true, std::sync::atomic::Ordering::SeqCst);
        released.recv().unwrap();
        Ok(())
    });
    let quick = group.spawn(pending::<Result<(), ()>>());
    let watcher = group.spawner();
    let mut join = Box::pin(group.join());
    assert!(poll_once(&mut join).await.is_pending());
    eventually("the blocking work to start", || {
        started.load(std::sync::atomic::Ordering::SeqCst)
    })
    .await;
    assert_eq!(watcher.waiting_for().len(), 2);
    watcher.cancel(); // no grace period: the hard stop at once
    eventually("the pending task to stop", || {
        watcher.waiting_for().len() == 1
    })
    .await;
    assert!(poll_once(&mut join).await.is_pending());
    let waiting = watcher.waiting_for();
    assert_eq!(
        waiting.task_ids().collect::<Vec<_>>(),
        [blocking.id()],
        "{waiting}"
    );
    assert_ne!(blocking.id(), quick.id());
    release.send(()).unwrap();
    join.await.unwrap();
    assert!(watcher.waiting_for().is_empty());
}
