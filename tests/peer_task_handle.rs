//! The behaviours that async-task (`cancel.rs`, `panic.rs`, `join.rs`, `waker_*.rs`) and tokio
//! (`task_abort.rs`, `task_join_set.rs`, `rt_common.rs`) test for their own task handles, asked
//! of `TaskHandle` on tokio (multi-thread), smol and async-std.
//!
//! The scenarios at the top run on every runtime, each inside a watchdog; what only one runtime
//! can show (a runtime that shuts down, an executor one can hold still) follows in that
//! runtime's module. Where a peer leaves a choice open, the test asserts what our contract
//! promises: a task's future is gone when `cancel().await` returns, an output is never leaked,
//! a runtime that drops a task makes its handle panic with a message instead of hanging.
#![cfg(all(
    not(loom),
    any(feature = "tokio", feature = "smol", feature = "async-std")
))]

#[allow(dead_code)]
#[path = "support/inline.rs"]
mod inline;
#[allow(dead_code)]
mod support;
#[allow(dead_code)]
#[path = "support/tasks.rs"]
mod tasks;

use std::future::Future;
use std::future::{pending, poll_fn};
use std::panic::{panic_any, AssertUnwindSafe};
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::Duration;

use cancel_cascade::rt::Spawn;
use cancel_cascade::select_first;
use futures::channel::oneshot;
use futures::future::FusedFuture;
use futures::FutureExt;
use inline::InlineExecutor;
use support::{panic_message, quiet_panics_containing};
use tasks::{eventually, Alive};

const LIMIT: Duration = Duration::from_secs(30);

/// tokio `test_join_error_display`: the task's panic payload reaches the awaiter unchanged,
/// whether a `String`, a `&'static str` or not a string at all.
async fn panic_payloads_pass_through_unchanged<S: Spawn>(spawner: &S) {
    quiet_panics_containing("peer test");
    let value = 1234;
    let task = spawner.spawn_task(async move {
        if value > 0 {
            panic!("peer test: formatted {value}");
        }
    });
    let payload = AssertUnwindSafe(task).catch_unwind().await.unwrap_err();
    assert_eq!(
        payload.downcast_ref::<String>().map(String::as_str),
        Some("peer test: formatted 1234")
    );

    let task = spawner.spawn_task(async move {
        if value > 0 {
            panic!("peer test: constant");
        }
    });
    let payload = AssertUnwindSafe(task).catch_unwind().await.unwrap_err();
    assert_eq!(
        payload.downcast_ref::<&'static str>(),
        Some(&"peer test: constant")
    );

    let task = spawner.spawn_task(async move {
        if value > 0 {
            panic_any(value);
        }
    });
    let payload = AssertUnwindSafe(task).catch_unwind().await.unwrap_err();
    assert_eq!(payload.downcast_ref::<i32>(), Some(&1234));
}

/// async-task `panic::cancel_during_run` / `try_join_during_run`: the handle of a task that
/// panicked can be dropped without a sound, and the runtime goes on.
async fn dropping_the_handle_of_a_panicked_task_is_quiet<S: Spawn>(spawner: &S) {
    quiet_panics_containing("peer test");
    let task = spawner.spawn_task(async { panic!("peer test: nobody awaits this") });
    eventually("the task to panic", || task.is_finished()).await;
    drop(task);
    assert_eq!(spawner.spawn_task(async { 5 }).await, 5);
}

/// async-task `panic::detach_during_run`: a detached task that panics disturbs nobody, and the
/// runtime goes on.
async fn a_detached_task_that_panics_disturbs_nobody<S: Spawn>(spawner: &S) {
    quiet_panics_containing("peer test");
    let alive = Alive::new();
    let guard = alive.guard();
    let (release, released) = oneshot::channel::<()>();
    spawner
        .spawn_task(async move {
            let _guard = guard;
            released.await.unwrap();
            panic!("peer test: a detached task panics");
        })
        .detach();
    release.send(()).unwrap();
    alive.reaches(0).await;
    assert_eq!(spawner.spawn_task(async { 6 }).await, 6);
}

/// async-task `join::try_join_and_cancel_and_run` and `try_join_and_run_and_join`: a handle
/// polled once (its waker registered) can still be cancelled, or awaited to the end.
async fn polled_once_then_cancelled_or_finished<S: Spawn>(spawner: &S) {
    let alive = Alive::new();
    let guard = alive.guard();
    let mut task = spawner.spawn_task(async move {
        let _guard = guard;
        pending::<u8>().await
    });
    assert!(poll_once(&mut task).await.is_pending());
    assert!(!task.is_terminated());
    assert_eq!(task.cancel().await, None);
    assert_eq!(alive.count(), 0, "the future is gone when `cancel` returns");

    let (release, released) = oneshot::channel();
    let mut task = spawner.spawn_task(async move { released.await.unwrap() });
    assert!(poll_once(&mut task).await.is_pending());
    release.send(9).unwrap();
    assert_eq!(task.await, 9);
}

/// async-task `cancel::cancel_during_run`: a cancel requested while the task is inside its
/// poll waits for that poll to end, then for the future to be dropped.
async fn cancel_during_a_running_poll_waits_for_it<S: Spawn>(spawner: &S) {
    let alive = Alive::new();
    let guard = alive.guard();
    let (entered, inside) = mpsc::channel();
    let (release, released) = mpsc::channel::<()>();
    let task = spawner.spawn_task(async move {
        let _guard = guard;
        entered.send(()).unwrap();
        // Blocks the poll (and its worker thread) until the test lets it go.
        released.recv().unwrap();
        pending::<()>().await
    });
    eventually("the task to be inside its poll", || {
        inside.try_recv().is_ok()
    })
    .await;
    let mut cancel = pin!(task.cancel());
    assert!(
        poll_once(cancel.as_mut()).await.is_pending(),
        "`cancel` cannot be done while the future is being polled"
    );
    assert_eq!(alive.count(), 1);
    release.send(()).unwrap();
    assert_eq!(cancel.await, None);
    assert_eq!(alive.count(), 0, "the future is gone when `cancel` returns");
}

/// async-task `cancel::cancel_during_run` where the interrupted poll completes. async-task
/// drops that output; our contract is "`Some(output)` if the task had finished, so no output
/// is lost": the future finished, so `cancel` hands the output over.
async fn cancel_during_the_last_poll_hands_the_output_over<S: Spawn>(spawner: &S) {
    let alive = Alive::new();
    let output = alive.guard();
    let (entered, inside) = mpsc::channel();
    let (release, released) = mpsc::channel::<()>();
    let task = spawner.spawn_task(async move {
        entered.send(()).unwrap();
        released.recv().unwrap();
        output
    });
    eventually("the task to be inside its poll", || {
        inside.try_recv().is_ok()
    })
    .await;
    let mut cancel = pin!(task.cancel());
    assert!(poll_once(cancel.as_mut()).await.is_pending());
    release.send(()).unwrap();
    let outcome = cancel.await;
    assert!(
        outcome.is_some(),
        "the task finished: `cancel` gives its output (it was dropped unseen instead)"
    );
    assert_eq!(alive.count(), 1, "the output is alive, in our hands");
    drop(outcome);
    assert_eq!(alive.count(), 0);
}

/// A waker that panics when the task completes and wakes its awaiter: the panic stays on the
/// runtime's side, the runtime goes on, and the output is not lost: the next poll, with a
/// working waker, gets it.
async fn a_panicking_awaiter_waker_loses_no_output<S: Spawn>(spawner: &S) {
    quiet_panics_containing("peer test");
    let (release, released) = oneshot::channel();
    let mut task = spawner.spawn_task(async move { released.await.unwrap() });
    let bad = Waker::from(Arc::new(PanickingWaker));
    assert!(Pin::new(&mut task)
        .poll(&mut Context::from_waker(&bad))
        .is_pending());
    release.send(4).unwrap();
    eventually("the task to finish", || task.is_finished()).await;
    assert_eq!(task.await, 4);
    assert_eq!(spawner.spawn_task(async { 1 }).await, 1);
}

struct PanickingWaker;

impl Wake for PanickingWaker {
    fn wake(self: Arc<Self>) {
        panic!("peer test: the awaiter's waker panics");
    }
}

/// An executor that polls inside `wake`, running a race of handles: the winner's completion
/// wakes it on the runtime's thread, and the race drops the losers' handles right there,
/// inside the runtime's `wake`. The losers' tasks are cancelled all the same.
async fn a_race_of_handles_decided_inside_the_runtimes_wake<S: Spawn>(spawner: &S) {
    let alive = Alive::new();
    let stuck = |alive: &Arc<Alive>| {
        let guard = alive.guard();
        spawner.spawn_task(async move {
            let _guard = guard;
            pending::<u8>().await
        })
    };
    let (release, released) = oneshot::channel();
    let winner = spawner.spawn_task(async move { released.await.unwrap() });
    let race = select_first(vec![stuck(&alive), winner, stuck(&alive)]);
    let awaiter = InlineExecutor::start(race);
    release.send(7).unwrap();
    let mut output = None;
    eventually("the race to be decided", || {
        output = output.or_else(|| awaiter.take_output());
        output.is_some()
    })
    .await;
    assert_eq!(output, Some((7, 1)));
    alive.reaches(0).await;
}

/// An executor that polls from inside `wake`, awaiting a `cancel`: the runtime drops the
/// future and wakes the awaiter, which polls the cancel to its end right there.
async fn a_cancel_awaited_inside_the_runtimes_wake<S: Spawn>(spawner: &S) {
    let alive = Alive::new();
    let guard = alive.guard();
    let (started, has_started) = mpsc::channel();
    let task = spawner.spawn_task(async move {
        let _guard = guard;
        started.send(()).unwrap();
        pending::<u8>().await
    });
    eventually("the task to start", || has_started.try_recv().is_ok()).await;
    let awaiter = InlineExecutor::start(Box::pin(task.cancel()));
    let mut output = None;
    eventually("the cancel to end", || {
        output = output.or_else(|| awaiter.take_output());
        output.is_some()
    })
    .await;
    assert_eq!(output, Some(None));
    assert_eq!(alive.count(), 0);
}

/// A handle polled by one executor, then moved to another and awaited there: the wake-up
/// reaches the waker of the latest poll, not the first one.
async fn a_handle_moved_between_executors_mid_await<S: Spawn>(spawner: &S) {
    let (release, released) = oneshot::channel();
    let mut task = spawner.spawn_task(async move { released.await.unwrap() });
    let first = support::WakeCounter::new();
    assert!(Pin::new(&mut task)
        .poll(&mut Context::from_waker(&first.waker()))
        .is_pending());
    let second = thread::spawn(move || futures::executor::block_on(task));
    release.send(11).unwrap();
    assert_eq!(second.join().unwrap(), 11);
}

/// tokio `task_join_set::task_panics`, for a race of handles: a task that panics makes the
/// race panic with its payload, and the race, dropped as the panic unwinds, cancels the
/// other tasks.
async fn a_panicking_task_cancels_its_race<S: Spawn>(spawner: &S) {
    quiet_panics_containing("peer test");
    let alive = Alive::new();
    let stuck = |alive: &Arc<Alive>| {
        let guard = alive.guard();
        spawner.spawn_task(async move {
            let _guard = guard;
            pending::<u8>().await
        })
    };
    let (release, released) = oneshot::channel::<()>();
    let panicking = spawner.spawn_task(async move {
        released.await.unwrap();
        panic!("peer test: a task in the race panics");
    });
    let race = select_first(vec![stuck(&alive), panicking, stuck(&alive)]);
    release.send(()).unwrap();
    let panic = AssertUnwindSafe(race).catch_unwind().await.unwrap_err();
    assert_eq!(panic_message(panic), "peer test: a task in the race panics");
    alive.reaches(0).await;
}

/// `cancel` is a future: dropped unpolled, or dropped while it waits, it still cancels the
/// task (it only stops waiting).
async fn a_dropped_cancel_still_cancels<S: Spawn>(spawner: &S) {
    let alive = Alive::new();
    let stuck = |alive: &Arc<Alive>| {
        let guard = alive.guard();
        spawner.spawn_task(async move {
            let _guard = guard;
            pending::<u8>().await
        })
    };
    drop(stuck(&alive).cancel());
    alive.reaches(0).await;

    let (started, has_started) = mpsc::channel();
    // A slow destructor keeps `cancel` waiting for a while.
    let guard = alive.slow_guard(Duration::from_millis(20));
    let task = spawner.spawn_task(async move {
        let _guard = guard;
        started.send(()).unwrap();
        pending::<u8>().await
    });
    eventually("the task to start", || has_started.try_recv().is_ok()).await;
    let mut cancel = Box::pin(task.cancel());
    let _ = poll_once(cancel.as_mut()).await;
    drop(cancel);
    alive.reaches(0).await;
}

/// A task's output whose destructor panics, dropped with the handle of the finished task:
/// the panic, wherever it surfaces, takes nothing else down; the runtime goes on.
async fn an_output_that_panics_when_dropped_with_its_handle<S: Spawn>(spawner: &S) {
    quiet_panics_containing("peer test");
    let task = spawner.spawn_task(async { PanicsOnDrop });
    eventually("the task to finish", || task.is_finished()).await;
    let _ = std::panic::catch_unwind(AssertUnwindSafe(|| drop(task)));
    assert_eq!(spawner.spawn_task(async { 1 }).await, 1);
}

/// A handle that leaves the task that made it: returned as that task's output (or sent out of
/// it), it still awaits, cancels and detaches as any other, after its maker is gone.
async fn a_handle_returned_by_the_task_that_made_it<S>(spawner: &S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    let alive = Alive::new();
    let (release, released) = oneshot::channel();
    let inner = spawner.clone();
    // Yielding the handle unawaited is the point: it leaves its maker.
    #[allow(clippy::async_yields_async)]
    let maker = spawner
        .spawn_task(async move { inner.spawn_task(async move { released.await.unwrap() + 1 }) });
    let made = maker.await;
    release.send(9).unwrap();
    assert_eq!(made.await, 10);

    let inner = spawner.clone();
    let guard = alive.guard();
    let (sender, receiver) = oneshot::channel();
    let maker = spawner.spawn_task(async move {
        let made = inner.spawn_task(async move {
            let _guard = guard;
            pending::<()>().await
        });
        sender.send(made).unwrap();
        pending::<()>().await
    });
    let made = receiver.await.unwrap();
    assert_eq!(maker.cancel().await, None, "the maker is gone");
    assert!(
        !made.is_finished(),
        "the task it made runs on: its handle is ours"
    );
    assert_eq!(made.cancel().await, None);
    assert_eq!(alive.count(), 0);
}

/// async-task `waker_pending::cancel_last_task` / `drop_last_waker`: a task whose waker is
/// kept elsewhere is still dropped when cancelled (or its handle dropped); waking and dropping
/// the kept waker afterwards is harmless.
async fn a_kept_waker_outlives_the_cancelled_task<S: Spawn>(spawner: &S) {
    let alive = Alive::new();
    let kept: Arc<Mutex<Option<Waker>>> = Arc::default();
    let keeper = |alive: &Arc<Alive>| {
        let guard = alive.guard();
        let kept = Arc::clone(&kept);
        spawner.spawn_task(async move {
            let _guard = guard;
            poll_fn(|cx| {
                *kept.lock().unwrap() = Some(cx.waker().clone());
                Poll::<()>::Pending
            })
            .await
        })
    };
    let task = keeper(&alive);
    eventually("the task to keep its waker", || {
        kept.lock().unwrap().is_some()
    })
    .await;
    assert_eq!(task.cancel().await, None);
    assert_eq!(alive.count(), 0);
    let waker = kept.lock().unwrap().take().unwrap();
    waker.wake_by_ref();
    waker.wake();

    let task = keeper(&alive);
    eventually("the task to keep its waker", || {
        kept.lock().unwrap().is_some()
    })
    .await;
    drop(task);
    alive.reaches(0).await;
    let waker = kept.lock().unwrap().take().unwrap();
    waker.wake();
    assert_eq!(spawner.spawn_task(async { 1 }).await, 1);
}

/// async-task `waker_*::wake_and_cancel_during_run`: a task that wakes itself in every poll
/// (it is always scheduled) is still cancelled, by `cancel` and by a drop.
async fn a_task_that_always_wakes_itself_is_cancelled<S: Spawn>(spawner: &S) {
    let alive = Alive::new();
    let polls = Arc::new(AtomicUsize::new(0));
    let spinner = |alive: &Arc<Alive>| {
        let guard = alive.guard();
        let polls = Arc::clone(&polls);
        spawner.spawn_task(async move {
            let _guard = guard;
            poll_fn(|cx| {
                polls.fetch_add(1, Ordering::SeqCst);
                cx.waker().wake_by_ref();
                Poll::<()>::Pending
            })
            .await
        })
    };
    let task = spinner(&alive);
    eventually("the task to spin", || polls.load(Ordering::SeqCst) > 10).await;
    assert_eq!(task.cancel().await, None);
    assert_eq!(alive.count(), 0);

    let task = spinner(&alive);
    let seen = polls.load(Ordering::SeqCst);
    eventually("the task to spin", || {
        polls.load(Ordering::SeqCst) > seen + 10
    })
    .await;
    drop(task);
    alive.reaches(0).await;
}

/// An executor that polls from inside `wake`: the runtime's thread that completes the task
/// wakes the awaiter, which polls the handle right there, inside that `wake`.
async fn a_handle_polled_inside_the_runtimes_wake<S: Spawn>(spawner: &S) {
    let (release, released) = oneshot::channel();
    let task = spawner.spawn_task(async move { released.await.unwrap() * 2 });
    let awaiter = InlineExecutor::start(task);
    assert_eq!(awaiter.polls(), 1);
    release.send(21).unwrap();
    let mut output = None;
    eventually("the handle to give its output", || {
        output = output.or_else(|| awaiter.take_output());
        output.is_some()
    })
    .await;
    assert_eq!(output, Some(42));
}

/// tokio `test_abort_without_panic_3662`: a handle moved to another thread and dropped there
/// cancels its task; one moved to a plain thread can be awaited or cancelled there.
async fn a_handle_that_leaves_its_thread<S: Spawn>(spawner: &S) {
    let alive = Alive::new();
    let stuck = |alive: &Arc<Alive>| {
        let guard = alive.guard();
        spawner.spawn_task(async move {
            let _guard = guard;
            pending::<()>().await
        })
    };
    let task = stuck(&alive);
    thread::spawn(move || drop(task)).join().unwrap();
    alive.reaches(0).await;

    let task = spawner.spawn_task(async { 8 });
    let output = thread::spawn(move || futures::executor::block_on(task));
    assert_eq!(output.join().unwrap(), 8);

    let task = stuck(&alive);
    let cancelled = thread::spawn(move || futures::executor::block_on(task.cancel()));
    assert_eq!(cancelled.join().unwrap(), None);
    assert_eq!(alive.count(), 0);
}

/// futures' `FusedFuture` contract, which tokio's and smol's handles do not offer: once the
/// output is given, the handle says so, a further poll panics with a message, a drop is a
/// no-op.
async fn a_spent_handle_is_terminated<S: Spawn>(spawner: &S) {
    let mut task = spawner.spawn_task(async { 3 });
    assert_eq!((&mut task).await, 3);
    assert!(task.is_terminated());
    assert!(task.is_finished());
    let again = AssertUnwindSafe(poll_fn(|cx| task.poll_unpin(cx)))
        .catch_unwind()
        .await;
    assert!(panic_message(again.unwrap_err()).contains("polled after it gave its output"));
    drop(task);
}

/// tokio `test_abort_task_that_panics_on_drop_contained`: dropping the handle of a task whose
/// destructor panics keeps the panic inside the runtime, which goes on; the rest of the
/// future is still dropped.
async fn a_destructor_panic_on_drop_is_contained<S: Spawn>(spawner: &S) {
    quiet_panics_containing("peer test");
    let alive = Alive::new();
    let guard = alive.guard();
    let (started, has_started) = mpsc::channel();
    let task = spawner.spawn_task(async move {
        let _guard = guard;
        let _bomb = PanicsOnDrop;
        started.send(()).unwrap();
        pending::<()>().await
    });
    eventually("the task to start", || has_started.try_recv().is_ok()).await;
    drop(task);
    alive.reaches(0).await;
    assert_eq!(spawner.spawn_task(async { 2 }).await, 2);
}

struct PanicsOnDrop;

impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        panic!("peer test: a destructor panics");
    }
}

/// One `#[test]` per scenario above, run by `$run(name, |spawner| scenario)`.
macro_rules! peer_scenarios {
    ($run:ident: $($name:ident,)*) => {
        $(
            #[test]
            fn $name() {
                $run(stringify!($name), |spawner| async move {
                    super::$name(&spawner).await;
                });
            }
        )*
    };
    ($run:ident) => {
        peer_scenarios!($run:
            panic_payloads_pass_through_unchanged,
            dropping_the_handle_of_a_panicked_task_is_quiet,
            a_detached_task_that_panics_disturbs_nobody,
            polled_once_then_cancelled_or_finished,
            cancel_during_a_running_poll_waits_for_it,
            a_kept_waker_outlives_the_cancelled_task,
            a_task_that_always_wakes_itself_is_cancelled,
            a_handle_polled_inside_the_runtimes_wake,
            a_handle_that_leaves_its_thread,
            a_spent_handle_is_terminated,
            a_destructor_panic_on_drop_is_contained,
            a_race_of_handles_decided_inside_the_runtimes_wake,
            a_handle_returned_by_the_task_that_made_it,
            a_cancel_awaited_inside_the_runtimes_wake,
            a_handle_moved_between_executors_mid_await,
            a_panicking_task_cancels_its_race,
            a_dropped_cancel_still_cancels,
            an_output_that_panics_when_dropped_with_its_handle,
            cancel_during_the_last_poll_hands_the_output_over,
            a_panicking_awaiter_waker_loses_no_output,
        );
    };
}

#[cfg(feature = "tokio")]
mod on_tokio {
    use super::*;

    use cancel_cascade::rt::tokio::Tokio;
    use cancel_cascade::rt::{self};
    use tokio::runtime::{Builder, Runtime};

    fn runtime() -> Runtime {
        Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .expect("build a tokio runtime")
    }

    fn run<F>(what: &str, scenario: impl FnOnce(Tokio) -> F + Send + 'static)
    where
        F: Future<Output = ()>,
    {
        support::watchdog(what, LIMIT, move || runtime().block_on(scenario(Tokio)));
    }

    peer_scenarios!(run);

    /// tokio `task_join_set::runtime_gone`: a runtime dropped before its task ran; the handle,
    /// awaited on another runtime, panics with a message; `cancel` gives `None`.
    #[test]
    fn a_handle_awaited_on_another_runtime_after_its_runtime_is_gone() {
        support::watchdog("runtime gone", LIMIT, || {
            let gone = Builder::new_current_thread().build().unwrap();
            let alive = Alive::new();
            let (first, second) = (alive.guard(), alive.guard());
            let awaited = gone.handle().spawn_task(async move {
                let _guard = first;
                1
            });
            let cancelled = gone.handle().spawn_task(async move {
                let _guard = second;
                2
            });
            drop(gone);
            assert_eq!(alive.count(), 0, "the shutdown dropped both futures");
            assert!(awaited.is_finished() && cancelled.is_finished());
            let other = runtime();
            let panic = other
                .block_on(AssertUnwindSafe(awaited).catch_unwind())
                .unwrap_err();
            assert!(panic_message(panic).contains("runtime dropped it before it finished"));
            assert_eq!(other.block_on(cancelled.cancel()), None);
        });
    }

    /// The runtime shuts down while a task of another runtime awaits the handle: that task
    /// panics with the message, nothing hangs.
    #[test]
    fn a_runtime_shut_down_under_an_awaiting_task_of_another_runtime() {
        support::watchdog("shutdown under an awaiter", LIMIT, || {
            let doomed = runtime();
            let (started, has_started) = mpsc::channel();
            let task = doomed.handle().spawn_task(async move {
                started.send(()).unwrap();
                pending::<u8>().await
            });
            has_started.recv().unwrap();
            let other = runtime();
            let (awaiting, is_awaiting) = mpsc::channel();
            let awaiter = other.spawn(async move {
                let mut task = task;
                assert!(poll_once(&mut task).await.is_pending());
                awaiting.send(()).unwrap();
                task.await
            });
            is_awaiting.recv().unwrap();
            drop(doomed);
            let error = other.block_on(awaiter).unwrap_err();
            assert!(error.is_panic());
            assert!(
                panic_message(error.into_panic()).contains("runtime dropped it before it finished")
            );
        });
    }

    /// A cancel awaited on another thread while the runtime shuts down: it ends with `None`
    /// (the future is gone), it does not hang.
    #[test]
    fn a_cancel_awaited_while_the_runtime_shuts_down() {
        support::watchdog("cancel during shutdown", LIMIT, || {
            let doomed = Builder::new_current_thread().build().unwrap();
            let alive = Alive::new();
            let guard = alive.guard();
            let task = doomed.handle().spawn_task(async move {
                let _guard = guard;
                pending::<()>().await
            });
            let (polled, was_polled) = mpsc::channel();
            let canceller = thread::spawn(move || {
                futures::executor::block_on(async move {
                    let mut cancel = pin!(task.cancel());
                    assert!(poll_once(cancel.as_mut()).await.is_pending());
                    polled.send(()).unwrap();
                    cancel.await
                })
            });
            was_polled.recv().unwrap();
            drop(doomed);
            assert_eq!(canceller.join().unwrap(), None);
            assert_eq!(alive.count(), 0);
        });
    }

    /// async-task `cancel::cancel_and_run`: a task cancelled before its first poll never
    /// runs. A current-thread runtime that is not driven holds the task still.
    #[test]
    fn a_task_cancelled_before_its_first_poll_never_runs() {
        support::watchdog("cancel before run", LIMIT, || {
            let runtime = Builder::new_current_thread().build().unwrap();
            let alive = Alive::new();
            let guard = alive.guard();
            let polls = Arc::new(AtomicUsize::new(0));
            let counted = Arc::clone(&polls);
            let task = runtime.handle().spawn_task(async move {
                let _guard = guard;
                counted.fetch_add(1, Ordering::SeqCst);
                pending::<()>().await
            });
            assert_eq!(runtime.block_on(task.cancel()), None);
            assert_eq!(polls.load(Ordering::SeqCst), 0, "never polled");
            assert_eq!(alive.count(), 0);
        });
    }

    /// tokio `rt_common::wake_while_rt_is_dropping`: tasks that hold each other's handles, all
    /// dropped by a shutdown, cancel each other on the way out without a panic or a hang.
    #[test]
    fn handles_dropped_by_a_shutdown_cancel_quietly() {
        support::watchdog("shutdown with nested handles", LIMIT, || {
            let runtime = runtime();
            let alive = Alive::new();
            let (outer_guard, inner_guard) = (alive.guard(), alive.guard());
            runtime.block_on(async move {
                rt::tokio::spawn(async move {
                    let _guard = outer_guard;
                    let _inner = rt::tokio::spawn(async move {
                        let _guard = inner_guard;
                        pending::<()>().await
                    });
                    pending::<()>().await
                })
                .detach();
            });
            runtime.block_on(alive.reaches(2));
            drop(runtime);
            assert_eq!(alive.count(), 0);
        });
    }

    /// A handle made on one runtime, moved into a task of another and dropped there, cancels.
    #[test]
    fn a_handle_dropped_inside_another_runtime_cancels() {
        support::watchdog("dropped in another runtime", LIMIT, || {
            let home = runtime();
            let alive = Alive::new();
            let guard = alive.guard();
            let task = home.handle().spawn_task(async move {
                let _guard = guard;
                pending::<()>().await
            });
            let away = runtime();
            away.block_on(away.spawn(async move { drop(task) }))
                .unwrap();
            home.block_on(alive.reaches(0));
        });
    }
}

#[cfg(feature = "smol")]
mod on_smol {
    use super::*;

    use cancel_cascade::rt::smol::Smol;
    use smol::Executor;

    fn run<F>(what: &str, scenario: impl FnOnce(Smol) -> F + Send + 'static)
    where
        F: Future<Output = ()>,
    {
        support::watchdog(what, LIMIT, move || smol::block_on(scenario(Smol)));
    }

    peer_scenarios!(run);

    /// A cancel awaited on another thread while nobody runs the executor, which is then
    /// dropped: the cancel ends with `None`, it does not hang.
    #[test]
    fn a_cancel_awaited_while_the_executor_is_dropped() {
        support::watchdog("cancel during executor drop", LIMIT, || {
            let executor = Executor::new();
            let alive = Alive::new();
            let guard = alive.guard();
            let task = executor.spawn_task(async move {
                let _guard = guard;
                pending::<()>().await
            });
            assert!(executor.try_tick());
            let (polled, was_polled) = mpsc::channel();
            let canceller = thread::spawn(move || {
                futures::executor::block_on(async move {
                    let mut cancel = pin!(task.cancel());
                    assert!(poll_once(cancel.as_mut()).await.is_pending());
                    polled.send(()).unwrap();
                    cancel.await
                })
            });
            was_polled.recv().unwrap();
            drop(executor);
            assert_eq!(canceller.join().unwrap(), None);
            assert_eq!(alive.count(), 0);
        });
    }

    /// tokio `rt_common::wake_while_rt_is_dropping`, on an executor of one's own: a task that
    /// holds the handle of another task on the same executor, both dropped with it, cancels
    /// the other on the way out without a panic or a hang.
    #[test]
    fn handles_dropped_with_their_executor_cancel_quietly() {
        support::watchdog("executor drop with nested handles", LIMIT, || {
            let executor = Executor::new();
            let alive = Alive::new();
            let (outer_guard, inner_guard) = (alive.guard(), alive.guard());
            let inner = executor.spawn_task(async move {
                let _guard = inner_guard;
                pending::<()>().await
            });
            executor
                .spawn_task(async move {
                    let _guard = outer_guard;
                    let _inner = inner;
                    pending::<()>().await
                })
                .detach();
            while executor.try_tick() {}
            assert_eq!(alive.count(), 2);
            drop(executor);
            assert_eq!(alive.count(), 0);
        });
    }

    /// async-task `cancel::cancel_and_run`: a task cancelled before its first poll never
    /// runs. `Executor::run` polls its own future first, so the cancel comes first.
    #[test]
    fn a_task_cancelled_before_its_first_poll_never_runs() {
        support::watchdog("cancel before run", LIMIT, || {
            let executor = Executor::new();
            let alive = Alive::new();
            let guard = alive.guard();
            let polls = Arc::new(AtomicUsize::new(0));
            let counted = Arc::clone(&polls);
            let task = executor.spawn_task(async move {
                let _guard = guard;
                counted.fetch_add(1, Ordering::SeqCst);
                pending::<()>().await
            });
            assert_eq!(smol::block_on(executor.run(task.cancel())), None);
            assert_eq!(polls.load(Ordering::SeqCst), 0, "never polled");
            assert_eq!(alive.count(), 0);
        });
    }
}

#[cfg(feature = "async-std")]
mod on_async_std {
    use super::*;

    use cancel_cascade::rt::async_std::AsyncStd;

    fn run<F>(what: &str, scenario: impl FnOnce(AsyncStd) -> F + Send + 'static)
    where
        F: Future<Output = ()>,
    {
        support::watchdog(what, LIMIT, move || {
            async_std::task::block_on(scenario(AsyncStd))
        });
    }

    peer_scenarios!(run);

    /// tokio `test_abort_task_that_panics_on_drop_returned`: on async-std, as on tokio, a
    /// destructor that panics while `cancel` drops the future resumes in `cancel`.
    #[test]
    fn a_destructor_panic_during_cancel_resumes_in_cancel() {
        run("destructor panics during cancel", |spawner| async move {
            quiet_panics_containing("peer test");
            let (started, has_started) = mpsc::channel();
            let task = spawner.spawn_task(async move {
                let _bomb = PanicsOnDrop;
                started.send(()).unwrap();
                pending::<()>().await
            });
            eventually("the task to start", || has_started.try_recv().is_ok()).await;
            let cancelled = AssertUnwindSafe(task.cancel()).catch_unwind().await;
            assert_eq!(
                panic_message(cancelled.unwrap_err()),
                "peer test: a destructor panics"
            );
            assert_eq!(spawner.spawn_task(async { 1 }).await, 1);
        });
    }
}

/// Polls `future` once, with the waker of the task that awaits this.
async fn poll_once<F: Future + Unpin>(mut future: F) -> Poll<F::Output> {
    poll_fn(|cx| Poll::Ready(Pin::new(&mut future).poll(cx))).await
}
