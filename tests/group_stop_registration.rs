//! How a group's task makes sure that a stop reaches it, polled by hand on an executor whose
//! tasks the test holds: a task registers for the stop signals only once it waits, and again only
//! when its waker changes, and a stop that comes while it is being polled stops it in that poll.
//! A finished task keeps no waker, a panicking waker does not keep the others from the stop, a
//! task of a limited group waits for its slot at its first poll, a group's hard stop reaches the
//! groups made in its tasks, wherever they went (but a group that finished on its own stops
//! nothing), and a task dropped by its runtime, or finishing, settles its output and its slot
//! even when a waker it wakes panics.
#![cfg(all(feature = "std", not(loom)))]

use std::future::{pending, poll_fn, Future};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use cancel_cascade::rt::Spawn;
use cancel_cascade::{TaskGroup, TaskSet};
use futures::executor::block_on;
use futures::FutureExt;
use support::watchdog;

#[allow(dead_code)]
mod support;

type Task = Pin<Box<dyn Future<Output = ()> + Send>>;

/// An executor that only keeps what it is given: the test polls each task itself.
#[derive(Clone, Default)]
struct Held(Arc<Mutex<Vec<Task>>>);

impl Spawn for Held {
    fn spawn_detached<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.0.lock().unwrap().push(Box::pin(future));
    }
}

impl Held {
    fn take(&self, index: usize) -> Task {
        let mut tasks = self.0.lock().unwrap();
        assert!(index < tasks.len(), "task {index} was not spawned");
        tasks.remove(index)
    }
}

/// A waker that counts its wake-ups; `Arc::strong_count` tells how many clones of it exist.
#[derive(Default)]
struct Counted {
    wakes: AtomicUsize,
}

impl Counted {
    fn waker(self: &Arc<Self>) -> Waker {
        Waker::from(Arc::clone(self))
    }

    /// How many clones of its waker exist beyond the test's own `Arc` and `wakers_in_hand`.
    fn kept(self: &Arc<Self>, wakers_in_hand: usize) -> usize {
        Arc::strong_count(self) - 1 - wakers_in_hand
    }

    fn wakes(&self) -> usize {
        self.wakes.load(Ordering::SeqCst)
    }
}

impl Wake for Counted {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
    }
}

fn poll(task: &mut Task, waker: &Waker) -> Poll<()> {
    task.as_mut().poll(&mut Context::from_waker(waker))
}

const LIMIT: Duration = Duration::from_secs(30);

#[test]
fn a_task_that_finishes_at_its_first_poll_never_keeps_its_waker() {
    watchdog("first poll", LIMIT, first_poll);
}

fn first_poll() {
    let held = Held::default();
    let mut group = TaskGroup::<_, ()>::new(held.clone());
    let output = group.spawn(async { Ok(7) });
    let counted = Arc::new(Counted::default());
    let mut task = held.take(0);
    assert_eq!(poll(&mut task, &counted.waker()), Poll::Ready(()));
    assert_eq!(
        counted.kept(0),
        0,
        "registered for a stop it could never need"
    );
    drop(task);
    assert_eq!(block_on(output), Some(7));
    assert_eq!(block_on(group.join()), Ok(()));
}

#[test]
fn a_task_polled_again_by_the_same_waker_registers_once() {
    watchdog("same waker", LIMIT, same_waker);
}

fn same_waker() {
    let held = Held::default();
    let mut group = TaskGroup::<_, ()>::new(held.clone());
    let polls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&polls);
    let _task = group.spawn(poll_fn(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
        Poll::<Result<(), ()>>::Pending
    }));
    let counted = Arc::new(Counted::default());
    let waker = counted.waker();
    let mut task = held.take(0);
    assert_eq!(poll(&mut task, &waker), Poll::Pending);
    let after_first = counted.kept(1);
    assert!(
        after_first > 0,
        "a waiting task must be reachable by a stop"
    );
    for _ in 0..5 {
        assert_eq!(poll(&mut task, &waker), Poll::Pending);
    }
    assert_eq!(polls.load(Ordering::SeqCst), 6);
    assert_eq!(
        counted.kept(1),
        after_first,
        "kept another clone for the same waker"
    );

    group.cancel();
    assert_eq!(counted.wakes(), 1, "the stop did not wake the task");
    assert_eq!(poll(&mut task, &waker), Poll::Ready(()));
    assert_eq!(polls.load(Ordering::SeqCst), 6, "polled after the stop");
    drop(task);
    assert_eq!(block_on(group.join()), Ok(()));
}

#[test]
fn a_stop_wakes_the_latest_waker_of_a_task() {
    watchdog("latest waker", LIMIT, latest_waker);
}

fn latest_waker() {
    for stop_one in [false, true] {
        let held = Held::default();
        let mut group = TaskGroup::<_, ()>::new(held.clone());
        let output = group.spawn(pending::<Result<(), ()>>());
        let (first, latest) = (Arc::new(Counted::default()), Arc::new(Counted::default()));
        let mut task = held.take(0);
        assert_eq!(poll(&mut task, &first.waker()), Poll::Pending);
        assert_eq!(poll(&mut task, &latest.waker()), Poll::Pending);
        let mut cancel_one = None;
        if stop_one {
            // `GroupTask::cancel` asks for the stop at its first poll, then waits for it.
            let mut cancel = Box::pin(output.cancel());
            assert!(cancel.as_mut().now_or_never().is_none());
            cancel_one = Some(cancel);
        } else {
            group.cancel();
        }
        assert_eq!(
            latest.wakes(),
            1,
            "stop_one = {stop_one}: the latest waker missed it"
        );
        assert_eq!(poll(&mut task, &latest.waker()), Poll::Ready(()));
        drop(task);
        if let Some(cancel) = cancel_one {
            assert_eq!(block_on(cancel), None);
        }
        assert_eq!(block_on(group.join()), Ok(()));
    }
}

#[test]
fn a_stop_that_comes_during_the_task_s_poll_stops_it_in_that_poll() {
    watchdog("stop during poll", LIMIT, stop_during_poll);
}

fn stop_during_poll() {
    let held = Held::default();
    let group = Arc::new(TaskGroup::<_, ()>::new(held.clone()));
    let inside = Arc::clone(&group);
    let polls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&polls);
    let output = Arc::clone(&group).spawn_shared(poll_fn(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
        // The group is cancelled from inside the task, which then waits for nothing.
        inside.cancel();
        Poll::<Result<(), ()>>::Pending
    }));
    let counted = Arc::new(Counted::default());
    let mut task = held.take(0);
    assert_eq!(
        poll(&mut task, &counted.waker()),
        Poll::Ready(()),
        "the task outlived a stop that came while it ran"
    );
    assert_eq!(polls.load(Ordering::SeqCst), 1);
    drop(task);
    assert_eq!(block_on(output), None);
}

/// `spawn` takes `&mut self`; a group shared with its own task spawns through its spawner.
trait SpawnShared {
    fn spawn_shared<F>(self, future: F) -> cancel_cascade::GroupTask<()>
    where
        F: Future<Output = Result<(), ()>> + Send + 'static;
}

impl SpawnShared for Arc<TaskGroup<Held, ()>> {
    fn spawn_shared<F>(self, future: F) -> cancel_cascade::GroupTask<()>
    where
        F: Future<Output = Result<(), ()>> + Send + 'static,
    {
        self.spawner().spawn(future)
    }
}

#[test]
fn a_task_that_waited_lets_go_of_its_waker_as_it_finishes() {
    watchdog("waited, then finished", LIMIT, waited_then_finished);
}

/// The group keeps the node of each of its tasks for its hard stop, until a sweep or `join`:
/// the waker a task registered there must not stay with it (keeping the runtime's task alive).
fn waited_then_finished() {
    for stop in [false, true] {
        let held = Held::default();
        let mut group = TaskGroup::<_, ()>::new(held.clone());
        let mut polled = false;
        let output = group.spawn(poll_fn(move |_| {
            if std::mem::replace(&mut polled, true) {
                Poll::Ready(Ok(5))
            } else {
                Poll::Pending
            }
        }));
        let counted = Arc::new(Counted::default());
        let mut task = held.take(0);
        assert_eq!(poll(&mut task, &counted.waker()), Poll::Pending);
        assert!(
            counted.kept(0) > 0,
            "a waiting task must be reachable by a stop"
        );
        let mut cancel = None;
        if stop {
            let mut cancelling = Box::pin(output.cancel());
            assert!(cancelling.as_mut().now_or_never().is_none());
            cancel = Some(cancelling);
        }
        // The executor still holds the finished task, as a runtime may for a while.
        assert_eq!(poll(&mut task, &counted.waker()), Poll::Ready(()));
        assert_eq!(
            counted.kept(0),
            0,
            "stop = {stop}: a finished task kept its waker"
        );
        drop(task);
        if let Some(cancel) = cancel {
            assert_eq!(block_on(cancel), None);
        }
        assert_eq!(block_on(group.join()), Ok(()));
    }
}

#[test]
fn a_stop_whose_first_waker_panics_still_stops_every_other_task() {
    support::quiet_panics_containing("this task's waker panics");
    watchdog("a panicking waker", LIMIT, panicking_waker);
}

struct PanicOnWake;

impl Wake for PanicOnWake {
    fn wake(self: Arc<Self>) {
        panic!("this task's waker panics");
    }
}

/// The hard stop wakes each task in turn: a waker that panics (the first task's, here) is the
/// canceller's panic, after every other task has been woken.
fn panicking_waker() {
    let held = Held::default();
    let mut group = TaskGroup::<_, ()>::new(held.clone());
    for _ in 0..3 {
        drop(group.spawn(pending::<Result<(), ()>>()));
    }
    let mut tasks: Vec<Task> = (0..3).map(|_| held.take(0)).collect();
    let counted = Arc::new(Counted::default());
    assert_eq!(
        poll(&mut tasks[0], &Waker::from(Arc::new(PanicOnWake))),
        Poll::Pending
    );
    for task in &mut tasks[1..] {
        assert_eq!(poll(task, &counted.waker()), Poll::Pending);
    }
    let cancelled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| group.cancel()));
    assert!(cancelled.is_err(), "the waker's panic was lost");
    assert_eq!(
        counted.wakes(),
        2,
        "a task after the panicking one was not woken"
    );
    for task in &mut tasks {
        assert_eq!(poll(task, &counted.waker()), Poll::Ready(()));
    }
    drop(tasks);
    assert_eq!(block_on(group.join()), Ok(()));
}

#[test]
fn a_task_of_a_limited_group_waits_for_its_slot_at_its_first_poll() {
    watchdog("waiting for a slot", LIMIT, waits_for_slot);
}

/// Every task of a limited group is on its runtime from its spawn; one without a slot waits at
/// its first poll, before its future is polled, and the task that hands its slot on wakes it.
/// A waiting task that is cancelled, or whose group cancels, drops its future unpolled.
fn waits_for_slot() {
    let held = Held::default();
    let mut group = TaskGroup::<_, ()>::new(held.clone()).with_limit(1);
    let polls: Vec<_> = (0..4).map(|_| Arc::new(AtomicUsize::new(0))).collect();
    let mut outputs: Vec<_> = polls
        .iter()
        .map(|polls| {
            let polls = Arc::clone(polls);
            let mut done = false;
            Some(group.spawn(poll_fn(move |_| {
                polls.fetch_add(1, Ordering::SeqCst);
                if std::mem::replace(&mut done, true) {
                    Poll::Ready(Ok(()))
                } else {
                    Poll::Pending
                }
            })))
        })
        .collect();
    let mut tasks: Vec<Task> = (0..4).map(|_| held.take(0)).collect();
    let counted: Vec<_> = (0..4).map(|_| Arc::new(Counted::default())).collect();
    let poll_task = |tasks: &mut Vec<Task>, i: usize| poll(&mut tasks[i], &counted[i].waker());
    let polled = |i: usize| polls[i].load(Ordering::SeqCst);

    // Tasks 1 to 3 wait for the slot that task 0 holds, their futures unpolled.
    for i in (0..4).rev() {
        assert_eq!(poll_task(&mut tasks, i), Poll::Pending);
    }
    assert_eq!((0..4).map(polled).collect::<Vec<_>>(), [1, 0, 0, 0]);
    // Task 1 is cancelled while it waits: dropped unpolled, it gives back no slot.
    let mut cancel = Box::pin(outputs[1].take().unwrap().cancel());
    assert!(cancel.as_mut().now_or_never().is_none());
    assert_eq!(
        counted[1].wakes(),
        1,
        "the stop did not wake the waiting task"
    );
    assert_eq!(poll_task(&mut tasks, 1), Poll::Ready(()));
    // Its runtime lets go of the finished task: only then has it stopped.
    tasks[1] = Box::pin(async {});
    assert_eq!(block_on(cancel), None);
    assert_eq!(
        counted[2].wakes(),
        0,
        "a slot was handed on that nobody gave back"
    );
    // Task 0 finishes: its slot goes to task 2, in spawn order, which is woken for it.
    assert_eq!(poll_task(&mut tasks, 0), Poll::Ready(()));
    assert_eq!((counted[2].wakes(), counted[3].wakes()), (1, 0));
    assert_eq!(poll_task(&mut tasks, 3), Poll::Pending);
    assert_eq!(poll_task(&mut tasks, 2), Poll::Pending);
    assert_eq!((polled(2), polled(3)), (1, 0));
    // The group cancels: task 3, still waiting, is woken to drop its future unpolled.
    group.cancel();
    assert_eq!(counted[3].wakes(), 1);
    for i in [2, 3] {
        assert_eq!(poll_task(&mut tasks, i), Poll::Ready(()));
    }
    assert_eq!((0..4).map(polled).collect::<Vec<_>>(), [2, 0, 1, 0]);
    drop(tasks);
    assert_eq!(block_on(group.join()), Ok(()));
    assert_eq!(block_on(outputs[0].take().unwrap()), Some(()));
}

#[test]
fn a_group_s_hard_stop_reaches_the_groups_inside_its_tasks_before_its_token() {
    watchdog("nested groups", LIMIT, nested_groups);
}

/// A group created inside a task of another group is stopped by that group's hard stop before
/// the outer token (whose child is the inner token) wakes anything: without a grace period, an
/// inner task woken by its token finds itself stopped and never runs its cleanup. With one,
/// the cleanup runs, as the token asks.
fn nested_groups() {
    for (grace_period, dropped) in [
        (None, false),
        (Some(Duration::from_secs(60)), false),
        // Dropping the outer group stops its tasks at once, grace period or not.
        (Some(Duration::from_secs(60)), true),
    ] {
        let held = Held::default();
        let mut outer = TaskGroup::<_, ()>::new(held.clone());
        if let Some(grace_period) = grace_period {
            outer = outer.with_grace_period(grace_period);
        }
        let cleanups = Arc::new(AtomicUsize::new(0));
        let (inner_executor, counter) = (held.clone(), Arc::clone(&cleanups));
        drop(outer.spawn(async move {
            let mut inner = TaskGroup::<_, ()>::new(inner_executor);
            spawn_cleaner(&mut inner, &counter);
            inner.join().await
        }));
        let counted = Arc::new(Counted::default());
        let waker = counted.waker();
        let mut outer_task = held.take(0);
        assert_eq!(poll(&mut outer_task, &waker), Poll::Pending);
        let mut leaf = held.take(0);
        assert_eq!(poll(&mut leaf, &waker), Poll::Pending);

        let outer = if dropped {
            drop(outer);
            None
        } else {
            outer.cancel();
            Some(outer)
        };
        assert_eq!(poll(&mut leaf, &waker), Poll::Ready(()));
        let expected = usize::from(grace_period.is_some() && !dropped);
        assert_eq!(
            cleanups.load(Ordering::SeqCst),
            expected,
            "grace period {grace_period:?}, dropped {dropped}: the inner task's cleanup"
        );
        drop(leaf);
        while poll(&mut outer_task, &waker).is_pending() {}
        drop(outer_task);
        if let Some(mut outer) = outer {
            assert_eq!(block_on(outer.join()), Ok(()));
        }
    }
}

/// A task that is pending at its first poll and ready at its second; counts its polls.
fn pending_once(polls: &Arc<AtomicUsize>) -> impl Future<Output = Result<(), ()>> + Send + 'static {
    let counter = Arc::clone(polls);
    poll_fn(move |_| {
        if counter.fetch_add(1, Ordering::SeqCst) == 0 {
            Poll::Pending
        } else {
            Poll::Ready(Ok(()))
        }
    })
}

#[test]
fn a_task_its_runtime_drops_settles_its_output_even_if_the_failure_unwinds() {
    support::quiet_panics_containing("this task's waker panics");
    watchdog("a dropped task's output", LIMIT, dropped_task_output);
}

/// The runtime drops a task unfinished while the group runs: the group fails, and its
/// cancellation wakes a token waiter whose waker panics. The panic goes on to whoever dropped
/// the task, but only once the task's output is settled: its `GroupTask` resolves (to `None`)
/// instead of waiting forever, and `join` reports the lost task.
fn dropped_task_output() {
    let held = Held::default();
    let mut group = TaskGroup::<_, ()>::new(held.clone());
    let output = group.spawn(pending::<Result<(), ()>>());
    let mut waiter = Box::pin(group.token().cancelled());
    let panicking = Waker::from(Arc::new(PanicOnWake));
    assert!(waiter
        .as_mut()
        .poll(&mut Context::from_waker(&panicking))
        .is_pending());
    let task = held.take(0);
    let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(task)));
    assert!(dropped.is_err(), "the waker's panic was lost");
    assert_eq!(block_on(output), None);
    let joined = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| block_on(group.join())));
    assert!(joined.is_err(), "a lost task is not a success");
}

#[test]
fn a_group_a_task_handle_returns_to_a_running_outer_task_is_stopped_with_it() {
    watchdog("a group returned by a handle", LIMIT, returned_by_a_handle);
}

/// An outer task spawns a `TaskHandle` task, which creates a group and returns it; the outer
/// task awaits the handle and joins the group. The group is inside a running task of the outer
/// group: the outer hard stop (no grace period) must stop it before the outer token reaches its
/// task, which then runs no cleanup, although the task that created the group has finished.
fn returned_by_a_handle() {
    let held = Held::default();
    let mut outer = TaskGroup::<_, ()>::new(held.clone());
    let cleanups = Arc::new(AtomicUsize::new(0));
    let (executor, counter) = (held.clone(), Arc::clone(&cleanups));
    drop(outer.spawn(async move {
        let inner_executor = executor.clone();
        let handle = executor.spawn_task(async move {
            let mut inner = TaskGroup::<_, ()>::new(inner_executor);
            spawn_cleaner(&mut inner, &counter);
            inner
        });
        let mut inner = handle.await;
        inner.join().await
    }));
    let counted = Arc::new(Counted::default());
    let waker = counted.waker();
    let mut outer_task = held.take(0);
    assert_eq!(poll(&mut outer_task, &waker), Poll::Pending);
    let mut handle_task = held.take(0);
    assert_eq!(poll(&mut handle_task, &waker), Poll::Ready(()));
    drop(handle_task);
    let mut leaf = held.take(0);
    assert_eq!(poll(&mut leaf, &waker), Poll::Pending);
    // The outer task receives the group and waits in its `join`.
    assert_eq!(poll(&mut outer_task, &waker), Poll::Pending);
    cancel_without_cleanup(outer, outer_task, leaf, &waker, &cleanups);
}

/// A task of `group` that counts one in `cleanups` once the group's token is cancelled.
fn spawn_cleaner(group: &mut TaskGroup<Held, ()>, cleanups: &Arc<AtomicUsize>) {
    let (token, counter) = (group.token(), Arc::clone(cleanups));
    drop(group.spawn(async move {
        token.cancelled().await;
        counter.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }));
}

/// Cancels `outer` (no grace period) while `leaf`, a cleaner of a group that `outer_task` (a
/// running task of `outer`) holds, waits for its token: the leaf must stop without its
/// cleanup. Then lets the outer task finish and joins `outer`.
fn cancel_without_cleanup(
    mut outer: TaskGroup<Held, ()>,
    mut outer_task: Task,
    mut leaf: Task,
    waker: &Waker,
    cleanups: &AtomicUsize,
) {
    outer.cancel();
    assert_eq!(poll(&mut leaf, waker), Poll::Ready(()));
    assert_eq!(
        cleanups.load(Ordering::SeqCst),
        0,
        "a task of a group inside a running outer task ran its cleanup past the outer hard stop"
    );
    drop(leaf);
    while poll(&mut outer_task, waker).is_pending() {}
    drop(outer_task);
    assert_eq!(block_on(outer.join()), Ok(()));
}

#[test]
fn a_group_a_nested_group_s_task_returns_to_a_running_outer_task_is_stopped_with_it() {
    watchdog(
        "a group returned by a nested group's task",
        LIMIT,
        returned_by_a_nested_task,
    );
}

/// The same through a group: the outer task creates a group whose task creates a third group
/// and returns it; the outer task joins both. The outer hard stop stops the middle group, which
/// has no task left, and with it the third group, before the middle token (the third token's
/// parent) is cancelled: the third group's task runs no cleanup.
fn returned_by_a_nested_task() {
    let held = Held::default();
    let mut outer = TaskGroup::<_, ()>::new(held.clone());
    let cleanups = Arc::new(AtomicUsize::new(0));
    let (executor, counter) = (held.clone(), Arc::clone(&cleanups));
    drop(outer.spawn(async move {
        let mut middle = TaskGroup::<_, ()>::new(executor.clone());
        let innermost = middle.spawn(async move {
            let mut innermost = TaskGroup::<_, ()>::new(executor);
            spawn_cleaner(&mut innermost, &counter);
            Ok(innermost)
        });
        let mut innermost = innermost.await.expect("the middle task returned its group");
        let joined = innermost.join().await;
        middle.join().await.and(joined)
    }));
    let counted = Arc::new(Counted::default());
    let waker = counted.waker();
    let mut outer_task = held.take(0);
    assert_eq!(poll(&mut outer_task, &waker), Poll::Pending);
    let mut middle_task = held.take(0);
    assert_eq!(poll(&mut middle_task, &waker), Poll::Ready(()));
    drop(middle_task);
    let mut leaf = held.take(0);
    assert_eq!(poll(&mut leaf, &waker), Poll::Pending);
    assert_eq!(poll(&mut outer_task, &waker), Poll::Pending);
    cancel_without_cleanup(outer, outer_task, leaf, &waker, &cleanups);
}

#[test]
fn a_group_that_finishes_on_its_own_leaves_a_group_handed_out_of_it_running() {
    watchdog("a group handed out", LIMIT, || {
        for ending in [
            Ending::Joined,
            Ending::SetReadToTheEnd,
            Ending::DroppedOnceStopped,
        ] {
            assert!(!hand_out(ending), "{ending:?}: the inner task was stopped");
        }
    });
}

#[test]
fn a_group_dropped_before_its_tasks_stopped_stops_a_group_handed_out_of_it() {
    watchdog("a group handed out early", LIMIT, || {
        for ending in [Ending::GroupDroppedEarly, Ending::SetDroppedEarly] {
            assert!(hand_out(ending), "{ending:?}: the inner task ran on");
        }
    });
}

/// How the outer group (or set) ends once its task has handed out the group it created.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Ending {
    /// `join`: it finished on its own.
    Joined,
    /// A `TaskSet`, read until `join_next` gives `None`, then dropped.
    SetReadToTheEnd,
    /// Dropped unjoined, once its task has stopped.
    DroppedOnceStopped,
    /// Dropped while its runtime still holds the finished task, as a multi-thread runtime may
    /// for a moment after the poll that gave the output: a group dropped before all its tasks
    /// have stopped is cancelled, and what was made in its tasks goes with it.
    GroupDroppedEarly,
    /// The same with a `TaskSet` whose output was read with `join_next`.
    SetDroppedEarly,
}

/// A task of an outer group (or set) returns the group it created, whose one task waits; the
/// outer group then ends as `ending` says. Returns whether that ending stopped the inner task
/// (woken, and dropped unpolled at its next poll) rather than leaving it running.
fn hand_out(ending: Ending) -> bool {
    let held = Held::default();
    let (inner_executor, polls) = (held.clone(), Arc::new(AtomicUsize::new(0)));
    let leaf = pending_once(&polls);
    let make_inner = async move {
        let mut inner = TaskGroup::<_, ()>::new(inner_executor);
        drop(inner.spawn(leaf));
        Ok(inner)
    };
    let set = matches!(ending, Ending::SetReadToTheEnd | Ending::SetDroppedEarly);
    let mut outer_set = TaskSet::<_, TaskGroup<Held, ()>, ()>::new(held.clone());
    let mut outer_group = Some(TaskGroup::<_, ()>::new(held.clone()));
    let output = match &mut outer_group {
        Some(group) if !set => Some(group.spawn(make_inner)),
        _ => {
            outer_set.spawn(make_inner);
            None
        }
    };
    let counted = Arc::new(Counted::default());
    let waker = counted.waker();
    let mut outer_task = held.take(0);
    assert_eq!(poll(&mut outer_task, &waker), Poll::Ready(()));
    let mut leaf = held.take(0);
    assert_eq!(poll(&mut leaf, &waker), Poll::Pending);
    let early = matches!(ending, Ending::GroupDroppedEarly | Ending::SetDroppedEarly);
    if !early {
        // The runtime lets go of the finished task.
        drop(outer_task);
        outer_task = Box::pin(async {});
    }
    let mut inner = match output {
        Some(output) => block_on(output).expect("the task returned its group"),
        None => block_on(outer_set.join_next()).unwrap().unwrap(),
    };
    match ending {
        Ending::Joined => {
            let mut group = outer_group.take().unwrap();
            assert_eq!(block_on(group.join()), Ok(()));
        }
        Ending::SetReadToTheEnd => {
            assert!(block_on(outer_set.join_next()).is_none(), "no task runs");
        }
        _ => {}
    }
    drop(outer_set);
    drop(outer_group);
    drop(outer_task);
    let stopped = counted.wakes() == 1;
    assert_eq!(poll(&mut leaf, &waker), Poll::Ready(()));
    assert_eq!(
        polls.load(Ordering::SeqCst),
        if stopped { 1 } else { 2 },
        "{ending:?}: the inner task was woken {} times",
        counted.wakes()
    );
    drop(leaf);
    assert_eq!(block_on(inner.join()), Ok(()));
    stopped
}

#[test]
fn a_panicking_output_waker_does_not_keep_the_slot_of_a_task_that_finishes() {
    support::quiet_panics_containing("this task's waker panics");
    watchdog("a panicking output waker, finished", LIMIT, || {
        panicking_output_waker(true);
    });
}

#[test]
fn a_panicking_output_waker_does_not_keep_the_slot_of_a_task_its_runtime_drops() {
    support::quiet_panics_containing("this task's waker panics");
    watchdog("a panicking output waker, dropped", LIMIT, || {
        panicking_output_waker(false);
    });
}

/// In a group limited to one task, the first task's `GroupTask` waits with a waker that
/// panics. The first task then finishes (in `poll`), or is dropped unfinished by its runtime
/// (in its destructor; the group is supervised, so the lost task does not cancel it). Its
/// output is settled, the waker panics, and the panic goes on to the runtime: but the slot
/// must still go to the queued task (before, the panic skipped the hand-over, and the queued
/// task waited for good).
fn panicking_output_waker(finishes: bool) {
    let held = Held::default();
    let mut group = TaskGroup::<_, ()>::new(held.clone())
        .supervised()
        .with_limit(1);
    let first = group.spawn(poll_fn(move |_| {
        if finishes {
            Poll::Ready(Ok(1))
        } else {
            Poll::Pending
        }
    }));
    let polls = Arc::new(AtomicUsize::new(0));
    let second = group.spawn(pending_once(&polls));
    let mut first_task = held.take(0);
    let mut second_task = held.take(0);
    let counted = Arc::new(Counted::default());
    let waker = counted.waker();
    assert_eq!(poll(&mut second_task, &waker), Poll::Pending);
    assert_eq!(polls.load(Ordering::SeqCst), 0, "it holds no slot yet");

    let mut first = Box::pin(first);
    let panicking = Waker::from(Arc::new(PanicOnWake));
    assert!(first
        .as_mut()
        .poll(&mut Context::from_waker(&panicking))
        .is_pending());
    let settled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        if finishes {
            assert_eq!(poll(&mut first_task, &waker), Poll::Ready(()));
        }
        drop(first_task);
    }));
    assert!(
        settled.is_err(),
        "finishes = {finishes}: the waker's panic was lost"
    );

    assert_eq!(
        counted.wakes(),
        1,
        "finishes = {finishes}: the queued task was not given the slot"
    );
    assert_eq!(poll(&mut second_task, &waker), Poll::Pending);
    assert_eq!(
        polls.load(Ordering::SeqCst),
        1,
        "finishes = {finishes}: the queued task never ran"
    );
    group.cancel();
    assert_eq!(poll(&mut second_task, &waker), Poll::Ready(()));
    drop(second_task);
    drop(second);
    drop(first);
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| block_on(group.join())));
}

#[test]
fn an_executor_that_polls_a_task_from_inside_its_waker() {
    watchdog("polled from inside wake", LIMIT, polled_inside_wake);
}

/// A waker that polls its task at once, inside `wake`, as some executors do.
struct PollsInsideWake {
    task: Mutex<Option<Task>>,
    polls: AtomicUsize,
}

impl Wake for PollsInsideWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let waker = Waker::from(Arc::clone(self));
        let mut task = self.task.lock().unwrap();
        if let Some(mut running) = task.take() {
            self.polls.fetch_add(1, Ordering::SeqCst);
            if poll(&mut running, &waker).is_pending() {
                *task = Some(running);
            }
        }
    }
}

impl PollsInsideWake {
    /// Takes task `index` of `held` and polls it once, with a waker that polls it again.
    fn run(held: &Held, index: usize) -> Arc<Self> {
        let this = Arc::new(PollsInsideWake {
            task: Mutex::new(Some(held.take(index))),
            polls: AtomicUsize::new(0),
        });
        this.wake_by_ref();
        this
    }

    fn finished(&self) -> bool {
        self.task.lock().unwrap().is_none()
    }
}

/// The group's stop and a slot's hand-over wake a task, and the executor polls it inside that
/// wake-up: the stop drops the task's future there, before the token is cancelled (no cleanup
/// runs), and the slot's new holder runs there, while the task that gave the slot finishes.
fn polled_inside_wake() {
    // The hard stop.
    let held = Held::default();
    let mut group = TaskGroup::<_, ()>::new(held.clone());
    let cleanups = Arc::new(AtomicUsize::new(0));
    spawn_cleaner(&mut group, &cleanups);
    let task = PollsInsideWake::run(&held, 0);
    assert!(!task.finished());
    group.cancel();
    assert!(task.finished(), "the stop did not reach the task");
    assert_eq!(task.polls.load(Ordering::SeqCst), 2);
    assert_eq!(
        cleanups.load(Ordering::SeqCst),
        0,
        "the task ran its cleanup"
    );
    assert_eq!(block_on(group.join()), Ok(()));

    // The slot's hand-over.
    let held = Held::default();
    let mut group = TaskGroup::<_, ()>::new(held.clone()).with_limit(1);
    let polls = Arc::new(AtomicUsize::new(0));
    let first = group.spawn(pending_once(&polls));
    let second = group.spawn(async { Ok(()) });
    let mut first_task = held.take(0);
    assert_eq!(
        poll(&mut first_task, &Arc::new(Counted::default()).waker()),
        Poll::Pending
    );
    let second_task = PollsInsideWake::run(&held, 0);
    assert!(!second_task.finished(), "ran without a slot");
    assert_eq!(
        poll(&mut first_task, &Arc::new(Counted::default()).waker()),
        Poll::Ready(())
    );
    assert!(
        second_task.finished(),
        "the slot's new holder did not run inside its wake-up"
    );
    drop(first_task);
    assert_eq!(block_on(group.join()), Ok(()));
    assert_eq!((block_on(first), block_on(second)), (Some(()), Some(())));
}
