//! `scope`'s contract, polled by hand: tasks that borrow from the caller, tasks spawned from
//! inside tasks (and polled in the poll that spawned them), the first error dropping every
//! other task inside the poll that sees it, a panic passing through, nothing running after
//! the scope returned, dropping the scope mid-way; then wakers that re-enter the scope (one
//! that polls it, one that spawns into it) and destructors that panic.

#[allow(dead_code)]
mod support;

#[path = "support/inline.rs"]
mod inline;

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use cancel_cascade::{scope, Scope, ScopeSpawner};
use futures::executor::block_on;
use futures::future::{pending, BoxFuture, FusedFuture, FutureExt, LocalBoxFuture};
use inline::InlineExecutor;
use support::{panic_message, Gate, Log, Opener, WakeCounter};

type Task = BoxFuture<'static, Result<(), u32>>;

fn poll<F: Future + Unpin>(future: &mut F, parent: &Arc<WakeCounter>) -> Poll<F::Output> {
    let waker = parent.waker();
    Pin::new(future).poll(&mut Context::from_waker(&waker))
}

/// A gate named `index` that completes with `value`, boxed as a task.
fn gate(log: &Arc<Log>, index: usize, value: Result<(), u32>) -> (Task, Opener) {
    let (gate, opener) = log.gate(index, value);
    (gate.boxed(), opener)
}

/// A task that records its polls and drops in `log` as `index`, and spawns `spawn` at its
/// first poll (through `s`), then completes with `value` once opened.
fn spawning(
    s: &ScopeSpawner<Task>,
    log: &Arc<Log>,
    index: usize,
    spawn: Vec<Task>,
    value: Result<(), u32>,
) -> (Task, Opener) {
    let (gate, opener) = log.gate(index, value);
    let s = s.clone();
    let task = async move {
        for task in spawn {
            s.spawn(task);
        }
        gate.await
    };
    (task.boxed(), opener)
}

async fn fill(half: &mut [u8], byte: u8, stats: &RefCell<Vec<u8>>) -> Result<(), String> {
    half.fill(byte);
    stats.borrow_mut().push(byte);
    Ok(())
}

#[test]
fn tasks_borrow_a_request_and_halves_of_a_local_buffer() {
    let request = String::from("GET /a /b /c");
    let mut buffer = [0u8; 8];
    let stats = RefCell::new(Vec::new());
    let (left, right) = buffer.split_at_mut(4);
    let (request_ref, stats_ref) = (request.as_str(), &stats);
    let outcome = block_on(scope(|s| async move {
        s.spawn(fill(left, 1, stats_ref));
        s.spawn(fill(right, 2, stats_ref));
        Ok(request_ref.split(' ').count())
    }));
    assert_eq!(outcome, Ok(4));
    assert_eq!(buffer, [1, 1, 1, 1, 2, 2, 2, 2]);
    assert_eq!(stats.into_inner(), [1, 2], "started in spawn order");
}

#[test]
fn a_task_spawned_in_a_poll_is_polled_in_that_poll() {
    let log = Log::new();
    let (a, opener_a) = gate(&log, 0, Ok(()));
    let (b, opener_b) = gate(&log, 1, Ok(()));
    let parent = WakeCounter::new();
    let tasks = Mutex::new(Some((a, b)));
    let mut scope = scope(|s: ScopeSpawner<Task>| async move {
        let (a, b) = tasks.lock().unwrap().take().unwrap();
        s.spawn(a);
        s.spawn(b);
        Ok(7)
    });
    assert_eq!(log.polls(), 0, "nothing runs before the scope is polled");
    assert!(poll(&mut scope, &parent).is_pending());
    assert_eq!(
        log.poll_order(),
        [0, 1],
        "both polled in the poll that spawned them"
    );
    assert_eq!(
        parent.wakes(),
        0,
        "a spawn inside the poll needs no wake-up"
    );
    opener_b.open();
    assert_eq!(parent.wakes(), 1);
    assert!(poll(&mut scope, &parent).is_pending());
    assert_eq!(log.poll_order(), [0, 1, 1], "only the woken task is polled");
    assert_eq!(opener_b.drops(), 1, "a task is dropped as it completes");
    opener_a.open();
    assert_eq!(poll(&mut scope, &parent), Poll::Ready(Ok(7)));
    assert!(scope.is_terminated());
    assert_eq!(log.drop_order(), [1, 0]);
}

#[test]
fn tasks_spawn_tasks_that_spawn_tasks_and_the_scope_waits_for_all() {
    let log = Log::new();
    let parent = WakeCounter::new();
    let openers = Arc::new(Mutex::new(Vec::new()));
    let (log2, openers2) = (Arc::clone(&log), Arc::clone(&openers));
    let mut scope = scope(move |s: ScopeSpawner<Task>| {
        let (grandchild, g) = gate(&log2, 2, Ok(()));
        let (child, c) = spawning(&s, &log2, 1, vec![grandchild], Ok(()));
        let (top, t) = spawning(&s, &log2, 0, vec![child], Ok(()));
        openers2.lock().unwrap().extend([t, c, g]);
        async move {
            s.spawn(top);
            Ok(())
        }
    });
    assert!(poll(&mut scope, &parent).is_pending());
    assert_eq!(
        log.poll_order(),
        [0, 1, 2],
        "each spawned task polled in the same scope poll"
    );
    let openers = openers.lock().unwrap().clone();
    openers[0].open();
    openers[2].open();
    assert!(poll(&mut scope, &parent).is_pending(), "task 1 still runs");
    assert_eq!(log.drop_order(), [0, 2]);
    openers[1].open();
    assert_eq!(poll(&mut scope, &parent), Poll::Ready(Ok(())));
    assert_eq!(log.poll_order(), [0, 1, 2, 0, 2, 1]);
}

/// Six tasks pending; task 3 fails. In the poll that sees it, every other task is dropped,
/// once, in spawn order, before `Ready`; a task woken in the same pass after it is not polled.
#[test]
fn the_first_error_drops_every_other_task_in_the_poll_that_sees_it() {
    let log = Log::new();
    let parent = WakeCounter::new();
    let mut openers = Vec::new();
    let mut tasks = Vec::new();
    for index in 0..6 {
        let value = if index == 3 { Err(33) } else { Ok(()) };
        let (task, opener) = gate(&log, index, value);
        tasks.push(task);
        openers.push(opener);
    }
    let mut scope = scope(|s| async move {
        for task in tasks {
            s.spawn(task);
        }
        pending::<Result<(), u32>>().await
    });
    assert!(poll(&mut scope, &parent).is_pending());
    assert_eq!(log.polls(), 6);
    openers[5].wake();
    openers[3].open();
    assert_eq!(poll(&mut scope, &parent), Poll::Ready(Err(33)));
    assert_eq!(
        log.drop_order(),
        [3, 0, 1, 2, 4, 5],
        "the failed task as it fails, then the rest in spawn order"
    );
    assert_eq!(
        log.polls(),
        7,
        "task 5, woken in the same pass, was not polled"
    );
    assert!(openers.iter().all(|opener| opener.drops() == 1));
    drop(scope);
    assert_eq!(log.drops(), 6, "nothing dropped twice");
}

#[test]
fn an_error_of_a_task_at_its_first_poll_leaves_the_tasks_spawned_after_it_unpolled() {
    let log = Log::new();
    let parent = WakeCounter::new();
    let (first, _a) = gate(&log, 0, Ok(()));
    let (failing, f) = gate(&log, 1, Err(5));
    let (last, _c) = gate(&log, 2, Ok(()));
    f.open();
    let mut scope = scope(|s| async move {
        s.spawn(first);
        s.spawn(failing);
        s.spawn(last);
        pending::<Result<(), u32>>().await
    });
    assert_eq!(poll(&mut scope, &parent), Poll::Ready(Err(5)));
    assert_eq!(log.poll_order(), [0, 1], "task 2 never started");
    assert_eq!(log.drop_order(), [1, 0, 2]);
}

#[test]
fn the_bodys_error_drops_every_task() {
    let log = Log::new();
    let parent = WakeCounter::new();
    let (task, _opener) = gate(&log, 0, Ok(()));
    let (body_gate, body) = log.gate(9, Err::<u8, u32>(1));
    let mut scope = scope(|s| async move {
        s.spawn(task);
        body_gate.await
    });
    assert!(poll(&mut scope, &parent).is_pending());
    body.open();
    assert_eq!(poll(&mut scope, &parent), Poll::Ready(Err(1)));
    assert_eq!(log.drop_order(), [9, 0]);
}

#[test]
fn the_scope_returns_only_once_every_task_completed() {
    let log = Log::new();
    let parent = WakeCounter::new();
    let (task, opener) = gate(&log, 0, Ok(()));
    let mut scope = scope(|s| async move {
        s.spawn(task);
        Ok("body")
    });
    assert!(
        poll(&mut scope, &parent).is_pending(),
        "the body is done, task 0 is not"
    );
    assert!(
        poll(&mut scope, &parent).is_pending(),
        "a spurious poll changes nothing"
    );
    assert_eq!(log.polls(), 1);
    opener.open();
    assert_eq!(poll(&mut scope, &parent), Poll::Ready(Ok("body")));
}

#[test]
fn nothing_runs_after_the_scope_returned() {
    let log = Log::new();
    let parent = WakeCounter::new();
    let mut scope = scope(|s: ScopeSpawner<Task>| async move { Ok(s) });
    let Poll::Ready(Ok(escaped)) = poll(&mut scope, &parent) else {
        panic!("the scope completes at once");
    };
    assert!(!escaped.is_open());
    let (late, opener) = gate(&log, 0, Ok(()));
    escaped.spawn(late);
    assert_eq!(opener.drops(), 1, "dropped at the spawn");
    assert_eq!(opener.polls(), 0, "never polled");
    assert_eq!(parent.wakes(), 0);
    let polled = catch_unwind(AssertUnwindSafe(|| poll(&mut scope, &parent)));
    let message = panic_message(polled.expect_err("polling after Ready panics"));
    assert!(
        message.contains("`scope` polled after completion"),
        "{message}"
    );
}

/// Dropped with three tasks running, one queued by a spawn from outside (not started), and
/// the body waiting: each is dropped once, in spawn order, and a spawner kept past the scope
/// spawns into nothing.
#[test]
fn dropping_the_scope_mid_way_drops_every_task_exactly_once() {
    let log = Log::new();
    let parent = WakeCounter::new();
    let (tasks, openers): (Vec<_>, Vec<_>) = (0..3).map(|i| gate(&log, i, Ok(()))).unzip();
    let (body_gate, _body) = log.gate(9, Ok::<(), u32>(()));
    let kept = Arc::new(Mutex::new(None));
    let kept_in = Arc::clone(&kept);
    let mut scope = scope(move |s: ScopeSpawner<Task>| {
        *kept_in.lock().unwrap() = Some(s.clone());
        async move {
            for task in tasks {
                s.spawn(task);
            }
            body_gate.await
        }
    });
    assert!(poll(&mut scope, &parent).is_pending());
    let outside = kept.lock().unwrap().take().unwrap();
    let (queued, queued_opener) = gate(&log, 3, Ok(()));
    outside.spawn(queued);
    assert_eq!(parent.wakes(), 1, "a spawn from outside wakes the scope");
    drop(scope);
    assert_eq!(log.drop_order(), [9, 0, 1, 2, 3]);
    assert_eq!(queued_opener.polls(), 0);
    assert!(openers.iter().all(|opener| opener.drops() == 1));
    let (late, late_opener) = gate(&log, 4, Ok(()));
    outside.spawn(late);
    assert_eq!(late_opener.drops(), 1);
    assert_eq!(log.drops(), 6);
}

#[test]
fn a_spawn_from_outside_is_started_at_the_next_poll() {
    let log = Log::new();
    let parent = WakeCounter::new();
    let kept = Arc::new(Mutex::new(None));
    let kept_in = Arc::clone(&kept);
    let (body_gate, body) = log.gate(9, Ok::<(), u32>(()));
    let mut scope = scope(move |s: ScopeSpawner<Task>| {
        *kept_in.lock().unwrap() = Some(s);
        body_gate
    });
    assert!(poll(&mut scope, &parent).is_pending());
    let outside = kept.lock().unwrap().take().unwrap();
    let (a, opener_a) = gate(&log, 0, Ok(()));
    let (b, _opener_b) = gate(&log, 1, Ok(()));
    outside.spawn(a);
    outside.spawn(b);
    assert_eq!(parent.wakes(), 1, "one wake-up for the two spawns");
    assert!(poll(&mut scope, &parent).is_pending());
    assert_eq!(log.poll_order(), [9, 0, 1]);
    let second = WakeCounter::new();
    assert!(poll(&mut scope, &second).is_pending());
    let (c, _opener_c) = gate(&log, 2, Ok(()));
    outside.spawn(c);
    assert_eq!(
        (parent.wakes(), second.wakes()),
        (1, 1),
        "the latest waker is woken"
    );
    body.open();
    opener_a.open();
    drop(scope);
    assert_eq!(log.drops(), 4);
}

/// A child's panic passes through `poll`; dropping the scope drops the body and every other
/// task, once, in spawn order (here during the unwinding itself).
#[test]
fn a_panic_passes_through_and_the_unwinding_drops_every_task_once() {
    support::quiet_panics_containing("a task exploded");
    let log = Log::new();
    let parent = WakeCounter::new();
    let (a, _a) = gate(&log, 0, Ok(()));
    let (bomb_gate, bomb) = log.gate(1, Ok::<(), u32>(()));
    let (c, _c) = gate(&log, 2, Ok(()));
    let exploding: Task = async move {
        bomb_gate.await?;
        panic!("a task exploded");
    }
    .boxed();
    let mut scope = Some(scope(|s| async move {
        s.spawn(a);
        s.spawn(exploding);
        s.spawn(c);
        pending::<Result<(), u32>>().await
    }));
    assert!(poll(scope.as_mut().unwrap(), &parent).is_pending());
    bomb.open();
    let caught = catch_unwind(AssertUnwindSafe(|| {
        let mut scope = scope.take().unwrap();
        let _ = poll(&mut scope, &parent);
    }));
    assert_eq!(panic_message(caught.unwrap_err()), "a task exploded");
    assert_eq!(log.drop_order(), [1, 0, 2]);
}

/// A waker that polls the scope inside `wake` (an inline executor): a task woken from inside
/// the scope's own poll, a spawn from outside (which wakes, and so polls, inside `spawn`).
#[test]
fn an_executor_that_polls_inside_wake() {
    let log = Log::new();
    let (a, opener_a) = gate(&log, 0, Ok(()));
    let kept = Arc::new(Mutex::new(None));
    let kept_in = Arc::clone(&kept);
    let (body_gate, body) = log.gate(9, Ok::<u8, u32>(3));
    let scope = scope(move |s: ScopeSpawner<Task>| {
        *kept_in.lock().unwrap() = Some(s.clone());
        async move {
            s.spawn(a);
            body_gate.await
        }
    });
    let executor = InlineExecutor::start(scope);
    assert_eq!(log.poll_order(), [9, 0]);
    assert_eq!(executor.polls(), 1);
    let outside = kept.lock().unwrap().take().unwrap();
    let (b, opener_b) = gate(&log, 1, Ok(()));
    outside.spawn(b);
    assert_eq!(
        log.poll_order(),
        [9, 0, 1],
        "polled inside `spawn`, by its wake-up"
    );
    assert_eq!(executor.polls(), 2);
    opener_a.open();
    opener_b.open();
    body.open();
    assert_eq!(executor.take_output(), Some(Ok(3)));
    assert_eq!(log.drops(), 3);
}

/// The scope's waker spawns a task into the scope when woken.
struct SpawnOnWake {
    spawner: Mutex<Option<(ScopeSpawner<Task>, Task)>>,
    wakes: Mutex<usize>,
}

impl Wake for SpawnOnWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        *self.wakes.lock().unwrap() += 1;
        // Taken out first: the spawn wakes this waker again, re-entrantly.
        let spawn = self.spawner.lock().unwrap().take();
        if let Some((spawner, task)) = spawn {
            spawner.spawn(task);
        }
    }
}

#[test]
fn a_waker_that_spawns_into_the_scope_when_woken() {
    let log = Log::new();
    let (a, opener_a) = gate(&log, 0, Ok(()));
    let (b, opener_b) = gate(&log, 1, Ok(()));
    let kept = Arc::new(Mutex::new(None));
    let kept_in = Arc::clone(&kept);
    let mut scope = scope(move |s: ScopeSpawner<Task>| {
        *kept_in.lock().unwrap() = Some(s.clone());
        async move {
            s.spawn(a);
            Ok(())
        }
    });
    let waker_state = Arc::new(SpawnOnWake {
        spawner: Mutex::new(None),
        wakes: Mutex::new(0),
    });
    let waker = Waker::from(Arc::clone(&waker_state));
    let mut cx = Context::from_waker(&waker);
    assert!(Pin::new(&mut scope).poll(&mut cx).is_pending());
    *waker_state.spawner.lock().unwrap() = Some((kept.lock().unwrap().take().unwrap(), b));
    // Task 0's wake reaches the scope's waker, which spawns task 1 from inside `wake`.
    opener_a.open();
    assert_eq!(opener_b.polls(), 0);
    assert_eq!(
        *waker_state.wakes.lock().unwrap(),
        2,
        "task 0's wake, then the spawn's (from inside the first)"
    );
    assert!(Pin::new(&mut scope).poll(&mut cx).is_pending());
    assert_eq!(log.poll_order(), [0, 0, 1]);
    opener_b.open();
    assert_eq!(Pin::new(&mut scope).poll(&mut cx), Poll::Ready(Ok(())));
    assert_eq!(log.drops(), 2);
}

/// A task whose destructor panics.
struct DropBomb {
    gate: Gate<Result<(), u32>>,
    armed: bool,
}

impl Future for DropBomb {
    type Output = Result<(), u32>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.gate).poll(cx)
    }
}

impl Drop for DropBomb {
    fn drop(&mut self) {
        if self.armed {
            panic!("a task panicked in drop");
        }
    }
}

/// Task 3 fails; task 1's destructor panics while the scope drops the rest. The panic leaves
/// `poll` instead of `Ready`, every other task is still dropped once, and the next poll
/// returns the error without polling anything.
#[test]
fn a_destructor_that_panics_while_the_rest_are_dropped() {
    support::quiet_panics_containing("panicked in drop");
    let log = Log::new();
    let parent = WakeCounter::new();
    let mut openers = Vec::new();
    let mut tasks = Vec::new();
    for index in 0..5 {
        let value = if index == 3 { Err(3) } else { Ok(()) };
        let (gate, opener) = log.gate(index, value);
        tasks.push(DropBomb {
            gate,
            armed: index == 1,
        });
        openers.push(opener);
    }
    let mut scope = scope(|s| async move {
        for task in tasks {
            s.spawn(task);
        }
        pending::<Result<(), u32>>().await
    });
    assert!(poll(&mut scope, &parent).is_pending());
    openers[3].open();
    let caught = catch_unwind(AssertUnwindSafe(|| poll(&mut scope, &parent)));
    assert_eq!(
        panic_message(caught.unwrap_err()),
        "a task panicked in drop"
    );
    assert_eq!(log.drop_order(), [3, 0, 1, 2, 4]);
    assert!(!scope.is_terminated());
    assert_eq!(poll(&mut scope, &parent), Poll::Ready(Err(3)));
    assert!(scope.is_terminated());
    drop(scope);
    assert_eq!(log.drops(), 5);
    assert_eq!(log.polls(), 6);
}

/// The destructor of a task that just completed panics: the panic leaves `poll`, and the
/// scope goes on from there at its next poll.
#[test]
fn a_destructor_that_panics_as_its_task_completes() {
    support::quiet_panics_containing("panicked in drop");
    let log = Log::new();
    let parent = WakeCounter::new();
    let (gate0, opener0) = log.gate(0, Ok(()));
    let (gate1, opener1) = log.gate(1, Ok(()));
    let tasks = vec![
        DropBomb {
            gate: gate0,
            armed: true,
        },
        DropBomb {
            gate: gate1,
            armed: false,
        },
    ];
    let mut scope = scope(|s| async move {
        for task in tasks {
            s.spawn(task);
        }
        Ok(())
    });
    assert!(poll(&mut scope, &parent).is_pending());
    opener0.open();
    let caught = catch_unwind(AssertUnwindSafe(|| poll(&mut scope, &parent)));
    assert_eq!(
        panic_message(caught.unwrap_err()),
        "a task panicked in drop"
    );
    assert_eq!(opener0.drops(), 1);
    opener1.open();
    assert_eq!(poll(&mut scope, &parent), Poll::Ready(Ok(())));
    assert_eq!(log.drops(), 2);
}

/// Growth past several chunks: tasks that borrow one local counter, woken in a scrambled
/// order, each polled twice; the slots of completed tasks are reused.
#[test]
fn many_tasks_woken_in_a_scrambled_order() {
    let n = if cfg!(miri) { 200 } else { 5000 };
    let log = Log::new();
    let parent = WakeCounter::new();
    let (tasks, mut openers): (Vec<_>, Vec<_>) = (0..n).map(|i| gate(&log, i, Ok(()))).unzip();
    let mut scope = scope(|s| async move {
        for task in tasks {
            s.spawn(task);
        }
        Ok(())
    });
    assert!(poll(&mut scope, &parent).is_pending());
    support::Rng::new(20).shuffle(&mut openers);
    for (done, opener) in openers.iter().enumerate() {
        opener.open();
        let polled = poll(&mut scope, &parent);
        assert_eq!(polled.is_ready(), done + 1 == n);
    }
    assert_eq!(log.polls(), 2 * n);
    assert_eq!(log.drops(), n);
}

/// A `!Send` task (an `Rc` held across an await) and a borrowed `Cell`: the scope needs
/// neither `Send` nor `'static`.
#[test]
fn tasks_that_are_not_send_and_borrow() {
    let total = Cell::new(0);
    let total_ref = &total;
    let outcome: Result<(), ()> = block_on(scope(|s: ScopeSpawner<LocalBoxFuture<'_, _>>| {
        let inner = s.clone();
        async move {
            let shared = Rc::new(5);
            s.spawn(
                async move {
                    let held = Rc::clone(&shared);
                    futures::future::ready(()).await;
                    total_ref.set(total_ref.get() + *held);
                    inner.spawn(
                        async move {
                            total_ref.set(total_ref.get() + 1);
                            Ok(())
                        }
                        .boxed_local(),
                    );
                    Ok(())
                }
                .boxed_local(),
            );
            Ok(())
        }
    }));
    assert_eq!(outcome, Ok(()));
    assert_eq!(total.get(), 6);
}

#[test]
fn send_and_unpin_when_the_tasks_are() {
    fn assert_send<T: Send>(_: &T) {}
    fn assert_sync<T: Sync>(_: &T) {}
    fn assert_unpin<T: Unpin>(_: &T) {}
    let scope: Scope<_, Task> = scope(|s: ScopeSpawner<Task>| {
        assert_send(&s);
        assert_sync(&s);
        async move {
            drop(s);
            Ok::<(), u32>(())
        }
    });
    assert_send(&scope);
    assert_unpin(&scope);
    assert!(format!("{scope:?}").starts_with("Scope {"));
}

/// Tasks spawned from another thread while the scope runs under `block_on` on this one: each
/// wakes the scope (or is taken by the poll in progress), and the body keeps the scope open
/// until the thread is done.
#[test]
fn spawns_from_another_thread_while_the_scope_runs() {
    let spawns = if cfg!(miri) { 20 } else { 500 };
    let count = std::sync::atomic::AtomicUsize::new(0);
    let count_ref = &count;
    let outcome = std::thread::scope(|threads| {
        block_on(scope(|s: ScopeSpawner<BoxFuture<'_, Result<(), ()>>>| {
            let (done, finished) = futures::channel::oneshot::channel::<()>();
            let remote = s.clone();
            threads.spawn(move || {
                for _ in 0..spawns {
                    remote.spawn(
                        async move {
                            futures::future::ready(()).await;
                            count_ref.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            Ok(())
                        }
                        .boxed(),
                    );
                }
                done.send(()).unwrap();
            });
            async move {
                drop(s);
                finished.await.map_err(drop)
            }
        }))
    });
    assert_eq!(outcome, Ok(()));
    assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), spawns);
}
