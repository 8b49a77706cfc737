//! `until_stopped(future)`: the future's output once the future and every task it let go of
//! (handles it dropped, groups it dropped, at any depth) have stopped; a handle that leaves in
//! the output is not waited for. On each runtime, and polled by hand over an executor the test
//! drives itself.
#![cfg(all(feature = "std", not(loom)))]

#[allow(dead_code)]
mod spawn_tree;
#[allow(dead_code)]
mod support;
#[allow(dead_code)]
#[path = "support/tasks.rs"]
mod tasks;

use std::future::{pending, Future};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use cancel_cascade::rt::Spawn;
use cancel_cascade::{try_join_all_cancel, until_stopped, TaskGroup, TaskHandle};
use futures::future::{BoxFuture, FusedFuture};
use futures::FutureExt;
use spawn_tree::on_each_runtime;
use support::WakeCounter;
use tasks::{eventually, Alive};

/// Long enough that a wait which does not wait for it returns first.
const SLOW_DROP: Duration = Duration::from_millis(20);

on_each_runtime!(
    waits_for_a_handle_dropped_inside,
    waits_for_the_tasks_of_a_group_dropped_inside,
    waits_for_the_losers_of_a_combinator_over_handles,
    does_not_wait_for_a_handle_in_the_output,
);

/// A task with a slow destructor that starts, then waits forever.
fn slow_task<S: Spawn>(
    spawner: &S,
    alive: &Arc<Alive>,
    started: &Arc<AtomicUsize>,
) -> TaskHandle<()> {
    let guard = alive.slow_guard(SLOW_DROP);
    let started = Arc::clone(started);
    spawner.spawn_task(async move {
        let _guard = guard;
        started.fetch_add(1, Ordering::SeqCst);
        pending::<()>().await
    })
}

async fn waits_for_a_handle_dropped_inside<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    let alive = Alive::new();
    let started = Arc::new(AtomicUsize::new(0));
    let output = until_stopped(async {
        let handle = slow_task(&spawner, &alive, &started);
        eventually("the task to start", || started.load(Ordering::SeqCst) == 1).await;
        drop(handle);
        7
    })
    .await;
    assert_eq!(output, 7);
    assert_eq!(
        alive.count(),
        0,
        "returned before the dropped task had stopped"
    );
}

async fn waits_for_the_tasks_of_a_group_dropped_inside<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    let alive = Alive::new();
    let started = Arc::new(AtomicUsize::new(0));
    until_stopped(async {
        let mut group = TaskGroup::<_, ()>::new(spawner.clone());
        for _ in 0..3 {
            let (guard, started) = (alive.slow_guard(SLOW_DROP), Arc::clone(&started));
            group.spawn(async move {
                let _guard = guard;
                started.fetch_add(1, Ordering::SeqCst);
                pending::<Result<(), ()>>().await
            });
        }
        eventually("the tasks to start", || started.load(Ordering::SeqCst) == 3).await;
        // Dropped without a join: it cancels its tasks and does not wait for them.
        drop(group);
    })
    .await;
    assert_eq!(
        alive.count(),
        0,
        "returned before the group's tasks had stopped"
    );
}

async fn waits_for_the_losers_of_a_combinator_over_handles<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    let alive = Alive::new();
    let started = Arc::new(AtomicUsize::new(0));
    let mut handles: Vec<TaskHandle<Result<(), &str>>> = Vec::new();
    for _ in 0..4 {
        let (guard, started) = (alive.slow_guard(SLOW_DROP), Arc::clone(&started));
        handles.push(spawner.spawn_task(async move {
            let _guard = guard;
            started.fetch_add(1, Ordering::SeqCst);
            pending().await
        }));
    }
    let failing = Arc::clone(&started);
    handles.push(spawner.spawn_task(async move {
        eventually("the others to start", || {
            failing.load(Ordering::SeqCst) == 4
        })
        .await;
        Err("failed")
    }));
    let outcome = until_stopped(try_join_all_cancel(handles)).await;
    assert_eq!(outcome, Err("failed"));
    assert_eq!(alive.count(), 0, "a loser was still stopping");
}

// The handle is the output on purpose: it leaves the future, and is not waited for there.
#[allow(clippy::async_yields_async)]
async fn does_not_wait_for_a_handle_in_the_output<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    let alive = Alive::new();
    let started = Arc::new(AtomicUsize::new(0));
    let handle = until_stopped(async { slow_task(&spawner, &alive, &started) }).await;
    eventually("the task to start", || started.load(Ordering::SeqCst) == 1).await;
    assert_eq!(alive.count(), 1, "the task in the output runs on");
    assert_eq!(handle.cancel().await, None);
    assert_eq!(alive.count(), 0);
}

/// An executor the test drives by hand: spawned futures wait in a list until the test polls or
/// drops them.
#[derive(Clone, Default)]
struct ByHand(Arc<Mutex<Vec<BoxFuture<'static, ()>>>>);

impl Spawn for ByHand {
    fn spawn_detached<F: Future<Output = ()> + Send + 'static>(&self, future: F) {
        self.0.lock().unwrap().push(future.boxed());
    }
}

impl ByHand {
    /// Drops every task future spawned so far, as a runtime shutting down would.
    fn drop_all(&self) {
        let tasks = std::mem::take(&mut *self.0.lock().unwrap());
        drop(tasks);
    }
}

/// Counts its drops.
struct CountDrop(Arc<AtomicUsize>);

impl Drop for CountDrop {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn by_hand_the_output_waits_until_a_dropped_task_is_gone() {
    let executor = ByHand::default();
    let dropped = Arc::new(AtomicUsize::new(0));
    let guard = CountDrop(Arc::clone(&dropped));
    let spawner = executor.clone();
    let mut waiting = Box::pin(until_stopped(async move {
        let handle = spawner.spawn_task(async move {
            let _guard = guard;
            pending::<()>().await
        });
        // Dropped unpolled: cancelled, but its future lives until the executor drops it.
        drop(handle);
        "done"
    }));
    let wakes = WakeCounter::new();
    let waker = wakes.waker();
    let mut cx = Context::from_waker(&waker);
    assert_eq!(waiting.as_mut().poll(&mut cx), Poll::Pending);
    assert_eq!(waiting.as_mut().poll(&mut cx), Poll::Pending);
    assert_eq!(wakes.wakes(), 0);
    executor.drop_all();
    assert_eq!(dropped.load(Ordering::SeqCst), 1);
    assert_eq!(wakes.wakes(), 1, "the task's stop wakes the waiter");
    assert!(!waiting.is_terminated());
    assert_eq!(waiting.as_mut().poll(&mut cx), Poll::Ready("done"));
    assert!(waiting.is_terminated());
}

#[test]
fn by_hand_a_future_that_lets_go_of_nothing_is_ready_in_its_first_poll() {
    let mut ready = Box::pin(until_stopped(async { 3 }));
    let mut cx = Context::from_waker(futures::task::noop_waker_ref());
    assert_eq!(ready.as_mut().poll(&mut cx), Poll::Ready(3));
}

#[test]
#[should_panic(expected = "`until_stopped` polled after completion")]
fn polling_after_completion_panics() {
    let mut ready = Box::pin(until_stopped(async { 3 }));
    let mut cx = Context::from_waker(futures::task::noop_waker_ref());
    let _ = ready.as_mut().poll(&mut cx);
    let _ = ready.as_mut().poll(&mut cx);
}

#[test]
fn by_hand_dropping_it_midway_hands_what_still_stops_to_the_enclosing_task() {
    let executor = ByHand::default();
    let dropped = Arc::new(AtomicUsize::new(0));
    let guard = CountDrop(Arc::clone(&dropped));
    let spawner = executor.clone();
    // The enclosing task: it drops an unfinished `until_stopped` and returns.
    let inner_spawner = spawner.clone();
    let outer = spawner.spawn_task(async move {
        let mut waiting = Box::pin(until_stopped(async move {
            drop(inner_spawner.spawn_task(async move {
                let _guard = guard;
                pending::<()>().await
            }));
        }));
        let mut cx = Context::from_waker(futures::task::noop_waker_ref());
        assert!(waiting.as_mut().poll(&mut cx).is_pending());
        drop(waiting);
    });
    let mut cx = Context::from_waker(futures::task::noop_waker_ref());
    // Runs the enclosing task (the first one spawned) to its end, by hand.
    let mut task = executor.0.lock().unwrap().remove(0);
    assert!(task.as_mut().poll(&mut cx).is_ready());
    drop(task);
    assert!(outer.is_finished());
    // `cancel` waits for what the enclosing task let go of: the inner task, still alive.
    let mut cancel = Box::pin(outer.cancel());
    assert_eq!(cancel.as_mut().poll(&mut cx), Poll::Pending);
    assert_eq!(dropped.load(Ordering::SeqCst), 0);
    executor.drop_all();
    assert_eq!(dropped.load(Ordering::SeqCst), 1);
    assert_eq!(cancel.as_mut().poll(&mut cx), Poll::Ready(Some(())));
}

#[test]
fn by_hand_the_output_waits_for_the_tasks_of_a_group_dropped_inside() {
    let executor = ByHand::default();
    let dropped = Arc::new(AtomicUsize::new(0));
    let guard = CountDrop(Arc::clone(&dropped));
    let spawner = executor.clone();
    let mut waiting = Box::pin(until_stopped(async move {
        let mut group = TaskGroup::<_, ()>::new(spawner);
        group.spawn(async move {
            let _guard = guard;
            pending::<Result<(), ()>>().await
        });
        // Dropped without a join: its task is cancelled, and lives until the executor drops it.
        drop(group);
        "done"
    }));
    let wakes = WakeCounter::new();
    let waker = wakes.waker();
    let mut cx = Context::from_waker(&waker);
    assert_eq!(waiting.as_mut().poll(&mut cx), Poll::Pending);
    assert_eq!(dropped.load(Ordering::SeqCst), 0);
    executor.drop_all();
    assert_eq!(dropped.load(Ordering::SeqCst), 1);
    assert_eq!(wakes.wakes(), 1, "the group's last task wakes the waiter");
    assert_eq!(waiting.as_mut().poll(&mut cx), Poll::Ready("done"));
}

// The handle is the output on purpose: it leaves the future, and is not waited for there.
#[allow(clippy::async_yields_async)]
#[test]
fn by_hand_a_handle_in_the_output_is_not_waited_for_and_stops_where_it_is_dropped() {
    let executor = ByHand::default();
    let dropped = Arc::new(AtomicUsize::new(0));
    let guard = CountDrop(Arc::clone(&dropped));
    let spawner = executor.clone();
    let mut escaping = Box::pin(until_stopped(async move {
        spawner.spawn_task(async move {
            let _guard = guard;
            pending::<()>().await
        })
    }));
    let mut cx = Context::from_waker(futures::task::noop_waker_ref());
    let Poll::Ready(handle) = escaping.as_mut().poll(&mut cx) else {
        panic!("the future returned: a handle in its output is the receiver's to wait for");
    };
    assert!(!handle.is_finished());
    // Dropped later, outside: the task is cancelled there, and dropped by its executor.
    drop(handle);
    assert_eq!(dropped.load(Ordering::SeqCst), 0);
    executor.drop_all();
    assert_eq!(dropped.load(Ordering::SeqCst), 1);
}
