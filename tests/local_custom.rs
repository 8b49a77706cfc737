//! `!Send` tasks on an executor of the user's, through the open trait: futures' `LocalPool`,
//! run by hand (`run_until_stalled`) so that every step is seen: when a cancelled task's future
//! is dropped (at the pool's next run, not inside the handle's drop), that `cancel` and `join`
//! resolve only after it, and that a failing task's siblings are never polled again.
#![cfg(not(loom))]

#[allow(dead_code)]
mod support;

use std::cell::{Cell, RefCell};
use std::future::{pending, poll_fn, Future};
use std::pin::pin;
use std::rc::Rc;
use std::task::{Poll, Waker};

use cancel_cascade::rt::{LocalSpawn, Spawn};
use cancel_cascade::TaskGroup;
use futures::executor::{LocalPool, LocalSpawner};
use futures::task::LocalSpawnExt;

/// A `LocalPool`'s spawner, as a `LocalSpawn` (and a `Spawn`, for a group).
#[derive(Clone)]
struct Pool(LocalSpawner);

impl LocalSpawn for Pool {
    fn spawn_local_detached<F>(&self, future: F)
    where
        F: Future<Output = ()> + 'static,
    {
        self.0.spawn_local(future).expect("the pool is alive");
    }
}

impl Spawn for Pool {
    fn spawn_detached<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.spawn_local_detached(future);
    }
}

/// What happened to the tasks of a test, on its one thread.
#[derive(Default)]
struct Record {
    polls: Cell<usize>,
    drops: Cell<usize>,
}

/// Counts its polls and its drop in a [`Record`], and never completes.
struct Stuck(Rc<Record>);

impl Future for Stuck {
    type Output = ();

    fn poll(self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> Poll<()> {
        self.0.polls.set(self.0.polls.get() + 1);
        Poll::Pending
    }
}

impl Drop for Stuck {
    fn drop(&mut self) {
        self.0.drops.set(self.0.drops.get() + 1);
    }
}

/// A gate opened by hand: ready once opened.
#[derive(Default)]
struct Gate {
    open: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

impl Gate {
    async fn wait(self: Rc<Self>) {
        poll_fn(|cx| {
            if self.open.get() {
                return Poll::Ready(());
            }
            *self.waker.borrow_mut() = Some(cx.waker().clone());
            Poll::Pending
        })
        .await;
    }

    fn open(&self) {
        self.open.set(true);
        if let Some(waker) = self.waker.borrow_mut().take() {
            waker.wake();
        }
    }
}

fn noop_context() -> std::task::Context<'static> {
    std::task::Context::from_waker(futures::task::noop_waker_ref())
}

#[test]
fn a_dropped_handle_is_dropped_at_the_next_run_never_polled_again() {
    let mut pool = LocalPool::new();
    let spawner = Pool(pool.spawner());
    let record = Rc::new(Record::default());
    let task = spawner.spawn_local_task(Stuck(Rc::clone(&record)));
    assert_eq!(record.polls.get(), 0, "spawning polls nothing");
    pool.run_until_stalled();
    assert_eq!((record.polls.get(), record.drops.get()), (1, 0));
    drop(task);
    assert_eq!(record.drops.get(), 0, "the future stays with its executor");
    pool.run_until_stalled();
    assert_eq!(
        (record.polls.get(), record.drops.get()),
        (1, 1),
        "dropped at the next run, unpolled"
    );

    // Cancelled before its first poll: never polled.
    let record = Rc::new(Record::default());
    drop(spawner.spawn_local_task(Stuck(Rc::clone(&record))));
    pool.run_until_stalled();
    assert_eq!((record.polls.get(), record.drops.get()), (0, 1));
}

#[test]
fn cancel_resolves_only_once_the_future_and_its_local_child_are_dropped() {
    let mut pool = LocalPool::new();
    let spawner = Pool(pool.spawner());
    let record = Rc::new(Record::default());
    let (inner, child_record) = (spawner.clone(), Rc::clone(&record));
    let task = spawner.spawn_local_task(async move {
        let child = inner.spawn_local_task(Stuck(child_record));
        let _keep = child;
        pending::<()>().await
    });
    pool.run_until_stalled();
    assert_eq!(record.polls.get(), 1, "the child runs");

    let mut cancel = pin!(task.cancel());
    assert!(cancel.as_mut().poll(&mut noop_context()).is_pending());
    pool.run_until_stalled();
    assert_eq!(
        record.drops.get(),
        1,
        "the child was dropped with its parent"
    );
    assert_eq!(cancel.as_mut().poll(&mut noop_context()), Poll::Ready(None));
    assert_eq!(record.polls.get(), 1);
}

#[test]
fn cancel_waits_for_a_child_dropped_after_its_parent() {
    // The child is queued behind the parent: the parent's future is gone one run before the
    // child's, and `cancel` waits for the second.
    let mut pool = LocalPool::new();
    let spawner = Pool(pool.spawner());
    let record = Rc::new(Record::default());
    let (inner, child_record) = (spawner.clone(), Rc::clone(&record));
    let task = spawner.spawn_local_task(async move {
        let _child = inner.spawn_local_task(Stuck(child_record));
        pending::<()>().await
    });
    pool.run_until_stalled();
    let mut cancel = pin!(task.cancel());
    assert!(cancel.as_mut().poll(&mut noop_context()).is_pending());
    // One task at a time: the parent (dropping its child's handle), then the child.
    assert!(pool.try_run_one());
    assert_eq!(record.drops.get(), 0);
    assert!(
        cancel.as_mut().poll(&mut noop_context()).is_pending(),
        "cancel returned before the child's future was dropped"
    );
    pool.run_until_stalled();
    assert_eq!(record.drops.get(), 1);
    assert_eq!(cancel.as_mut().poll(&mut noop_context()), Poll::Ready(None));
}

#[test]
fn a_failing_local_task_drops_its_siblings_before_join_returns() {
    let mut pool = LocalPool::new();
    let spawner = Pool(pool.spawner());
    let records: Vec<_> = (0..3).map(|_| Rc::new(Record::default())).collect();
    let gate = Rc::new(Gate::default());
    let mut group = TaskGroup::<_, &str>::new(spawner);
    for record in &records {
        let stuck = Stuck(Rc::clone(record));
        group.spawn_local(async move {
            stuck.await;
            Ok(())
        });
    }
    let opened = Rc::clone(&gate);
    group.spawn_local(async move {
        opened.wait().await;
        Err::<(), _>("boom")
    });
    pool.run_until_stalled();
    assert!(records.iter().all(|record| record.polls.get() == 1));

    let mut join = pin!(group.join());
    assert!(join.as_mut().poll(&mut noop_context()).is_pending());
    gate.open();
    assert!(
        join.as_mut().poll(&mut noop_context()).is_pending(),
        "nothing has run yet"
    );
    pool.run_until_stalled();
    for record in &records {
        assert_eq!(
            (record.polls.get(), record.drops.get()),
            (1, 1),
            "a sibling was polled again, or not dropped"
        );
    }
    assert_eq!(
        join.as_mut().poll(&mut noop_context()),
        Poll::Ready(Err("boom"))
    );
}

#[test]
fn a_limited_group_of_local_tasks_starts_one_at_a_time() {
    let mut pool = LocalPool::new();
    let spawner = Pool(pool.spawner());
    let gates: Vec<_> = (0..3).map(|_| Rc::new(Gate::default())).collect();
    let started = Rc::new(Cell::new(0));
    let mut group = TaskGroup::<_, &str>::new(spawner).with_limit(1);
    for gate in &gates {
        let (gate, started) = (Rc::clone(gate), Rc::clone(&started));
        group.spawn_local(async move {
            started.set(started.get() + 1);
            gate.wait().await;
            Ok(())
        });
    }
    for (opened, gate) in gates.iter().enumerate() {
        pool.run_until_stalled();
        assert_eq!(started.get(), opened + 1, "one running at a time");
        gate.open();
    }
    let mut join = pin!(group.join());
    pool.run_until_stalled();
    assert_eq!(join.as_mut().poll(&mut noop_context()), Poll::Ready(Ok(())));
}
