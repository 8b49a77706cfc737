//! `TaskHandle::cancel().await` is transitive: it returns only once the cancelled task's future
//! has been dropped *and* everything that future let go of has stopped (the tasks of a group it
//! ran, the tasks whose handles it held, at any depth), slow destructors included. Dropping a
//! handle inside a group task makes the group's `join` wait for that task the same way.
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
use cancel_cascade::{TaskGroup, TaskHandle};
use spawn_tree::on_each_runtime;
use tasks::{eventually, Alive};

/// Long enough that a wait which does not wait for it returns first.
const SLOW_DROP: Duration = Duration::from_millis(20);

on_each_runtime!(
    cancel_waits_for_the_tasks_of_a_group_inside_the_task,
    cancel_waits_for_the_tasks_whose_handles_the_task_held,
    cancel_of_a_finished_task_waits_for_what_it_dropped,
    join_waits_for_a_task_whose_handle_a_group_task_dropped,
);

/// asyncio's `task.cancel(); await task` waits for the task's own `TaskGroup`: a task runs a
/// group of five tasks whose destructors take 20 ms each; `cancel()` of the outer task returns
/// only once all five destructors have finished.
async fn cancel_waits_for_the_tasks_of_a_group_inside_the_task<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    let alive = Alive::new();
    let started = Arc::new(AtomicUsize::new(0));
    let outer = spawner.spawn_task({
        let (spawner, alive, started) = (spawner.clone(), Arc::clone(&alive), Arc::clone(&started));
        async move {
            let mut group = TaskGroup::<_, ()>::new(spawner);
            for _ in 0..5 {
                let guard = alive.slow_guard(SLOW_DROP);
                let started = Arc::clone(&started);
                group.spawn(async move {
                    let _guard = guard;
                    started.fetch_add(1, Ordering::SeqCst);
                    pending::<Result<(), ()>>().await
                });
            }
            group.join().await
        }
    });
    eventually("the five tasks to start", || {
        started.load(Ordering::SeqCst) == 5
    })
    .await;
    assert_eq!(outer.cancel().await, None);
    assert_eq!(
        alive.count(),
        0,
        "`cancel().await` returned before the inner group's tasks had stopped"
    );
}

/// A task holds the handles of three tasks, each holding the handles of two more, all with
/// slow destructors: `cancel().await` on the top one waits for all nine.
async fn cancel_waits_for_the_tasks_whose_handles_the_task_held<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    let alive = Alive::new();
    let top = spawner.spawn_task(holder(spawner.clone(), Arc::clone(&alive), &[3, 2]));
    alive.reaches(1 + 3 + 6).await;
    assert_eq!(top.cancel().await, None);
    assert_eq!(alive.count(), 0, "a held task was still stopping");
}

/// A task with a slow guard holding the handles of `fan_out[0]` tasks like itself, each with
/// `fan_out[1..]` below it.
fn holder<S>(
    spawner: S,
    alive: Arc<Alive>,
    fan_out: &'static [usize],
) -> futures::future::BoxFuture<'static, ()>
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    use futures::FutureExt;
    let guard = alive.slow_guard(SLOW_DROP);
    async move {
        let _guard = guard;
        let _held: Vec<TaskHandle<()>> = match fan_out.split_first() {
            None => Vec::new(),
            Some((&count, below)) => (0..count)
                .map(|_| spawner.spawn_task(holder(spawner.clone(), Arc::clone(&alive), below)))
                .collect(),
        };
        pending::<()>().await
    }
    .boxed()
}

/// A task drops the handle of a task with a slow destructor and returns at once:
/// `cancel().await` gives its output only once the dropped task has stopped.
async fn cancel_of_a_finished_task_waits_for_what_it_dropped<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    let alive = Alive::new();
    let started = Arc::new(AtomicUsize::new(0));
    let task = spawner.spawn_task({
        let (spawner, alive, started) = (spawner.clone(), Arc::clone(&alive), Arc::clone(&started));
        async move {
            let guard = alive.slow_guard(Duration::from_millis(50));
            let running = Arc::clone(&started);
            let child = spawner.spawn_task(async move {
                let _guard = guard;
                running.fetch_add(1, Ordering::SeqCst);
                pending::<()>().await
            });
            eventually("the child to start", || started.load(Ordering::SeqCst) == 1).await;
            drop(child);
            7
        }
    });
    eventually("the task to finish", || task.is_finished()).await;
    assert_eq!(task.cancel().await, Some(7));
    assert_eq!(alive.count(), 0, "the dropped child was still stopping");
}

/// A group task drops the handle of a task it spawned (a slow destructor) and returns `Ok`: the
/// group's `join` waits until that task has stopped.
async fn join_waits_for_a_task_whose_handle_a_group_task_dropped<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    let alive = Alive::new();
    let mut group = TaskGroup::<_, ()>::new(spawner.clone());
    for _ in 0..3 {
        let (spawner, alive) = (spawner.clone(), Arc::clone(&alive));
        group.spawn(async move {
            let guard = alive.slow_guard(SLOW_DROP);
            let started = Arc::new(AtomicUsize::new(0));
            let running = Arc::clone(&started);
            let child = spawner.spawn_task(async move {
                let _guard = guard;
                running.fetch_add(1, Ordering::SeqCst);
                pending::<()>().await
            });
            eventually("the child to start", || started.load(Ordering::SeqCst) == 1).await;
            drop(child);
            Ok(())
        });
    }
    assert_eq!(group.join().await, Ok(()));
    assert_eq!(
        alive.count(),
        0,
        "`join` returned before a dropped child had stopped"
    );
}
