//! A task whose future's destructor panics still gives back its place in the spawn tree, on
//! tokio's own tasks and the supervised path (smol, async-std): nothing that waits for it
//! (an enclosing group's `join`, a `cancel().await`) waits forever.
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
use cancel_cascade::TaskGroup;
use futures::FutureExt;
use spawn_tree::on_each_runtime;
use std::panic::AssertUnwindSafe;
use support::quiet_panics_containing;
use tasks::{eventually, Alive, Guard};

const MARKER: &str = "destructor panics on purpose";

on_each_runtime!(
    join_returns_after_a_dropped_child_whose_destructor_panics,
    cancel_returns_when_the_destructor_panics,
    an_enclosing_cancel_returns_when_a_grandchild_destructor_panics,
);

/// Counts as alive (through its guard) until its destructor has run, then panics.
struct PanicOnDrop(Option<Guard>);

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        drop(self.0.take());
        panic!("{MARKER}");
    }
}

/// Spawns a task holding a [`PanicOnDrop`] and waits until it runs.
async fn spawn_doomed<S: Spawn>(spawner: &S, alive: &Arc<Alive>) -> cancel_cascade::TaskHandle<()> {
    let bomb = PanicOnDrop(Some(alive.guard()));
    let started = Arc::new(AtomicUsize::new(0));
    let running = Arc::clone(&started);
    let task = spawner.spawn_task(async move {
        let _bomb = bomb;
        running.fetch_add(1, Ordering::SeqCst);
        pending::<()>().await
    });
    eventually("the task to start", || started.load(Ordering::SeqCst) == 1).await;
    task
}

/// A group task drops the handle of a task whose destructor panics and returns `Ok`: the
/// group's `join` returns once that task is gone.
async fn join_returns_after_a_dropped_child_whose_destructor_panics<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    quiet_panics_containing(MARKER);
    let alive = Alive::new();
    let mut group = TaskGroup::<_, ()>::new(spawner.clone());
    let (inner, counted) = (spawner.clone(), Arc::clone(&alive));
    group.spawn(async move {
        drop(spawn_doomed(&inner, &counted).await);
        Ok(())
    });
    assert_eq!(group.join().await, Ok(()));
    assert_eq!(alive.count(), 0);
}

/// `cancel().await` on a task whose destructor panics returns, and the panic resumes in it, on
/// every runtime.
async fn cancel_returns_when_the_destructor_panics<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    quiet_panics_containing(MARKER);
    let alive = Alive::new();
    let task = spawn_doomed(&spawner, &alive).await;
    let panic = AssertUnwindSafe(task.cancel())
        .catch_unwind()
        .await
        .expect_err("the destructor's panic resumes in `cancel`");
    assert!(support::panic_message(panic).contains(MARKER));
    assert_eq!(alive.count(), 0);
}

/// The destructor that panics is two levels down: the top task's `cancel().await` still
/// returns, once it has run.
async fn an_enclosing_cancel_returns_when_a_grandchild_destructor_panics<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    quiet_panics_containing(MARKER);
    let alive = Alive::new();
    let started = Arc::new(AtomicUsize::new(0));
    let top = spawner.spawn_task({
        let (spawner, alive, started) = (spawner.clone(), Arc::clone(&alive), Arc::clone(&started));
        async move {
            let middle = spawner.clone().spawn_task(async move {
                let _grandchild = spawn_doomed(&spawner, &alive).await;
                started.fetch_add(1, Ordering::SeqCst);
                pending::<()>().await
            });
            let _middle = middle;
            pending::<()>().await
        }
    });
    eventually("the grandchild to start", || {
        started.load(Ordering::SeqCst) == 1
    })
    .await;
    assert_eq!(top.cancel().await, None);
    assert_eq!(alive.count(), 0);
}
