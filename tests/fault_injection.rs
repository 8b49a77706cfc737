//! Faults injected where the combinators hand control to foreign code: a child whose destructor
//! panics (while its siblings are being cancelled, as it completes, or as the combinator is
//! dropped), a parent waker that panics when woken or cloned, and child wakers kept alive by a
//! sleeping thread or by an `async-io` timer after the combinator is gone. Each scenario allows one panic
//! only: a second panic during unwinding aborts the process, which two scenarios show in a
//! child process.
//!
//! Already covered elsewhere: a child that panics in `poll` (`panic.rs`, and at random points in
//! `prop_combinators.rs`), a child that wakes itself in every poll (`poll_counts.rs`), wakes
//! after completion (`late_wake.rs`).

#[allow(dead_code)]
mod support;

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Wake, Waker};
use std::thread;
use std::time::Duration;

use cancel_cascade::{select_cancel, select_first, select_first_ok, try_join_all_cancel, wait_any};
use futures::future::FusedFuture;
use support::{panic_message, watchdog, Gate, Log, Opener, Token, WakeCounter};

/// A gate that can be told to panic in its destructor (after the gate inside is dropped and
/// logged, so the log shows every child whatever happens) or in `poll` once it is opened.
struct Child<T> {
    gate: Gate<T>,
    index: usize,
    panics_in_drop: bool,
    panics_in_poll: bool,
}

impl<T> Future for Child<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let (index, panics) = (self.index, self.panics_in_poll);
        match Pin::new(&mut self.gate).poll(cx) {
            Poll::Ready(_) if panics => panic!("child {index} panicked in poll"),
            outcome => outcome,
        }
    }
}

impl<T> Drop for Child<T> {
    fn drop(&mut self) {
        if self.panics_in_drop {
            panic!("child {} panicked in drop", self.index);
        }
    }
}

const CHILDREN: usize = 8;

/// `CHILDREN` children named by index, with the given one panicking in its destructor.
fn children<T>(
    log: &Arc<Log>,
    panics_in_drop: usize,
    value: impl Fn(usize) -> T,
) -> (Vec<Child<T>>, Vec<Opener>) {
    let (gates, openers) = log.gates((0..CHILDREN).map(value));
    let children = gates
        .into_iter()
        .enumerate()
        .map(|(index, gate)| Child {
            gate,
            index,
            panics_in_drop: index == panics_in_drop,
            panics_in_poll: false,
        })
        .collect();
    (children, openers)
}

fn poll<F: Future + Unpin>(combinator: &mut F, waker: &Waker) -> Poll<F::Output> {
    Pin::new(combinator).poll(&mut Context::from_waker(waker))
}

/// Polls inside `catch_unwind` and returns the panic's message.
fn poll_panics<F: Future + Unpin>(combinator: &mut F, waker: &Waker) -> String {
    match catch_unwind(AssertUnwindSafe(|| poll(combinator, waker).is_ready())) {
        Ok(ready) => panic!("the injected panic was swallowed (ready: {ready})"),
        Err(payload) => panic_message(payload),
    }
}

/// Once every clone of the children's wakers is gone, the shared wake-up state is freed, and
/// with it the parent's waker it held: the parent's count falls back to the test's own.
fn assert_shared_state_freed(openers: &[Opener], parent: &Arc<WakeCounter>) {
    openers.iter().for_each(Opener::forget_waker);
    assert_eq!(
        Arc::strong_count(parent),
        1,
        "the shared wake-up state was leaked"
    );
}

/// The outcome is decided (child 5 fails, wins, or completes) and the siblings are dropped in
/// index order; child 2's destructor panics on the way. The panic leaves `poll` in place of
/// `Ready`, yet children 3 to 7 are still dropped, each once; the outcome was kept in the
/// combinator, so the next poll returns it (and polls no child), and only then is the
/// combinator terminated: polling it once more panics, dropping it drops nothing more.
fn destructor_panics_while_siblings_are_cancelled<T, F>(
    name: &str,
    value: impl Fn(usize) -> T,
    combine: impl FnOnce(Vec<Child<T>>) -> F,
    check: impl FnOnce(F::Output),
) where
    F: FusedFuture + Unpin,
{
    let log = Log::new();
    let (children, openers) = children(&log, 2, value);
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut combinator = combine(children);
    assert!(poll(&mut combinator, &waker).is_pending());

    openers[5].open();
    assert_eq!(
        poll_panics(&mut combinator, &waker),
        "child 2 panicked in drop"
    );

    assert_eq!(
        log.drop_order(),
        [5, 0, 1, 2, 3, 4, 6, 7],
        "{name}: the siblings after the panicking one were still dropped, each once"
    );
    assert!(
        !combinator.is_terminated(),
        "{name}: not terminated before the outcome is returned"
    );
    let polls = log.polls();
    match poll(&mut combinator, &waker) {
        Poll::Ready(outcome) => check(outcome),
        Poll::Pending => panic!("{name}: the decided outcome was lost with the panic"),
    }
    assert_eq!(
        log.polls(),
        polls,
        "{name}: no child polled after the decision"
    );
    assert!(combinator.is_terminated(), "{name}");
    let again = poll_panics(&mut combinator, &waker);
    assert!(
        again.contains(&format!("`{name}` polled after completion")),
        "{name}: {again}"
    );
    drop(combinator);
    assert!(openers.iter().all(|opener| opener.drops() == 1), "{name}");
    drop(waker);
    assert_shared_state_freed(&openers, &parent);
}

#[test]
fn a_destructor_panicking_among_cancelled_siblings_leaves_no_child_behind() {
    let outputs = Log::new();
    destructor_panics_while_siblings_are_cancelled(
        "try_join_all_cancel",
        |index| {
            if index == 5 {
                Err(index)
            } else {
                Ok(outputs.token(index))
            }
        },
        try_join_all_cancel,
        |outcome| assert_eq!(outcome.err(), Some(5)),
    );
    assert_eq!(
        outputs.drop_order(),
        [0, 1, 2, 3, 4, 6, 7],
        "the outputs inside the children went with them"
    );
    destructor_panics_while_siblings_are_cancelled(
        "select_first",
        |index| index,
        select_first,
        |outcome| assert_eq!(outcome, (5, 5)),
    );
    destructor_panics_while_siblings_are_cancelled(
        "wait_any",
        |index| index,
        wait_any,
        |outcome| assert_eq!(outcome, [(5, 5)]),
    );
}

#[test]
fn a_join_keeps_going_when_a_completed_childs_destructor_panics() {
    let log = Log::new();
    let outputs = Log::new();
    let (children, openers) = children(&log, 4, |index| Ok::<Token, ()>(outputs.token(index)));
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut join = try_join_all_cancel(children);
    assert!(poll(&mut join, &waker).is_pending());

    // Child 4 completes and is dropped at once, before the join decides anything.
    openers[4].open();
    assert_eq!(poll_panics(&mut join, &waker), "child 4 panicked in drop");
    assert!(!join.is_terminated());
    assert_eq!(log.drop_order(), [4]);

    // Its output was kept: the join still completes with every output, child 4's included.
    openers.iter().for_each(Opener::open);
    let Poll::Ready(Ok(joined)) = poll(&mut join, &waker) else {
        panic!("the join did not complete");
    };
    let indices: Vec<usize> = joined.iter().map(Token::index).collect();
    assert_eq!(indices, (0..CHILDREN).collect::<Vec<_>>());
    assert_eq!(
        openers[4].polls(),
        2,
        "child 4 was not polled after it completed"
    );
    drop((joined, join, waker));
    assert_eq!(outputs.drops(), CHILDREN, "every output dropped, each once");
    assert_shared_state_freed(&openers, &parent);
}

#[test]
fn a_winner_whose_destructor_panics_is_still_returned() {
    let log = Log::new();
    let (children, openers) = children(&log, 4, |index| index);
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut select = select_first(children);
    assert!(poll(&mut select, &waker).is_pending());

    // Child 4 wins, but its destructor panics before the outcome is returned: the win was
    // kept in the combinator, so the next poll returns it and drops the losers (child 6,
    // woken in the same pass, is not polled again).
    openers[4].open();
    openers[6].open();
    assert_eq!(poll_panics(&mut select, &waker), "child 4 panicked in drop");
    assert!(!select.is_terminated());
    assert_eq!(log.drop_order(), [4]);

    assert_eq!(poll(&mut select, &waker), Poll::Ready((4, 4)));
    assert_eq!(log.drop_order(), [4, 0, 1, 2, 3, 5, 6, 7]);
    assert_eq!(openers[6].polls(), 1, "no child polled after the decision");
    assert!(openers.iter().all(|opener| opener.drops() == 1));
    drop((select, waker));
    assert_shared_state_freed(&openers, &parent);
}

/// The only child completes and its destructor panics: nobody is left to wake the parent, so
/// the win must come back from the very next poll.
#[test]
fn the_last_running_child_panicking_in_its_destructor_still_wins() {
    let log = Log::new();
    let (gate, opener) = log.gate(0, 7_usize);
    let child = Child {
        gate,
        index: 0,
        panics_in_drop: true,
        panics_in_poll: false,
    };
    let mut select = select_first([child]);
    let waker = WakeCounter::new().waker();
    opener.open();
    assert_eq!(poll_panics(&mut select, &waker), "child 0 panicked in drop");
    assert_eq!(poll(&mut select, &waker), Poll::Ready((7, 0)));
    assert!(select.is_terminated());
}

/// A child fails and its destructor panics as it is dropped at once: the error is kept in the
/// join, and the next poll returns it, not `Ok` with the failed child's output missing.
#[test]
fn an_error_whose_destructor_panics_is_returned_by_the_next_poll() {
    let log = Log::new();
    let outputs = Log::new();
    let (children, openers) = children(&log, 3, |index| {
        if index == 3 {
            Err(index)
        } else {
            Ok(outputs.token(index))
        }
    });
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut join = try_join_all_cancel(children);
    assert!(poll(&mut join, &waker).is_pending());
    for index in [0, 1, 3, 4] {
        openers[index].open();
    }
    assert_eq!(poll_panics(&mut join, &waker), "child 3 panicked in drop");
    assert!(!join.is_terminated());
    openers.iter().for_each(Opener::open);
    let polls = log.polls();
    let Poll::Ready(outcome) = poll(&mut join, &waker) else {
        panic!("the kept error was not returned");
    };
    assert_eq!(outcome.err(), Some(3));
    assert_eq!(log.polls(), polls, "no child polled after the error");
    assert_eq!(log.drop_order(), [0, 1, 3, 2, 4, 5, 6, 7]);
    assert_eq!(outputs.drop_order(), [0, 1, 2, 4, 5, 6, 7]);
    drop((join, waker));
    assert_shared_state_freed(&openers, &parent);
}

/// The tuple form over the same join: before the fix, the next poll hit `unreachable!`.
#[test]
fn a_tuple_join_returns_an_error_whose_destructor_panicked() {
    let log = Log::new();
    let (ok_gate, ok_opener) = log.gate(0, Ok::<u8, usize>(1));
    let (err_gate, err_opener) = log.gate(1, Err::<String, usize>(1));
    let failing = Child {
        gate: err_gate,
        index: 1,
        panics_in_drop: true,
        panics_in_poll: false,
    };
    let mut join = cancel_cascade::try_join_cancel((ok_gate, failing));
    let waker = WakeCounter::new().waker();
    assert!(poll(&mut join, &waker).is_pending());
    err_opener.open();
    assert_eq!(poll_panics(&mut join, &waker), "child 1 panicked in drop");
    ok_opener.open();
    assert_eq!(poll(&mut join, &waker), Poll::Ready(Err(1)));
    assert_eq!(log.drop_order(), [1, 0]);
}

/// Children 1, 3 and 5 complete in one pass and child 3's destructor panics: the outputs of
/// the pass so far stay in the combinator, and the next poll returns them; child 5, not
/// reached by the interrupted pass, is dropped with the rest.
#[test]
fn a_wait_keeps_the_outputs_of_a_pass_interrupted_by_a_destructor_panic() {
    let log = Log::new();
    let (children, openers) = children(&log, 3, |index| index);
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut wait = wait_any(children);
    assert!(poll(&mut wait, &waker).is_pending());
    for index in [1, 3, 5] {
        openers[index].open();
    }
    assert_eq!(poll_panics(&mut wait, &waker), "child 3 panicked in drop");
    assert_eq!(poll(&mut wait, &waker), Poll::Ready(vec![(1, 1), (3, 3)]));
    assert_eq!(log.drop_order(), [1, 3, 0, 2, 4, 5, 6, 7]);
    assert!(wait.is_terminated());
    drop((wait, waker));
    assert_shared_state_freed(&openers, &parent);
}

#[test]
fn a_destructor_panicking_while_the_combinator_is_dropped_leaves_no_child_behind() {
    let log = Log::new();
    let (children, openers) = children(&log, 3, |index| index);
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut wait = wait_any(children);
    assert!(poll(&mut wait, &waker).is_pending());
    let kept = openers[6].waker();

    let dropped = catch_unwind(AssertUnwindSafe(move || drop(wait)));

    assert_eq!(
        panic_message(dropped.expect_err("the destructor's panic passed through")),
        "child 3 panicked in drop"
    );
    assert_eq!(log.drop_order(), (0..CHILDREN).collect::<Vec<_>>());
    // A clone kept past the combinator is still safe to use, and the last one frees the state.
    kept.wake();
    drop(waker);
    assert_shared_state_freed(&openers, &parent);
}

/// A parent waker that panics when woken, as a broken executor's might.
struct PanickingWaker;

impl Wake for PanickingWaker {
    fn wake(self: Arc<Self>) {
        panic!("the parent's waker panicked");
    }
}

/// The panic comes out of the child's `wake` call, on whichever thread made it, and again out
/// of every wake that reaches the parent until it polls again (its waker stays registered).
/// Each child's mark is already in the ready set by then, so nothing is lost, and the panicking
/// wake leaves no trace in the parent waker's slot: polled again with a working waker, the
/// combinator registers it, finds the woken children, and later wakes reach the new waker.
#[test]
fn a_parent_waker_that_panics_on_wake_leaves_the_combinator_usable() {
    let log = Log::new();
    let (gates, openers) = log.gates(0..CHILDREN);
    let mut wait = wait_any(gates);
    assert!(poll(&mut wait, &Waker::from(Arc::new(PanickingWaker))).is_pending());

    let opener = openers[2].clone();
    let woke = thread::spawn(move || opener.wake()).join();
    assert_eq!(
        panic_message(woke.expect_err("the waker's panic reaches the child's wake call")),
        "the parent's waker panicked"
    );
    let woke = catch_unwind(AssertUnwindSafe(|| openers[4].wake()));
    assert_eq!(
        panic_message(woke.expect_err("the waker is still registered")),
        "the parent's waker panicked"
    );

    let parent = WakeCounter::new();
    let waker = parent.waker();
    assert!(poll(&mut wait, &waker).is_pending());
    assert_eq!(&log.poll_order()[CHILDREN..], [2, 4], "no wake-up was lost");
    assert_eq!(parent.wakes(), 0, "registered at once, with no retry");
    openers[6].open();
    assert_eq!(parent.wakes(), 1, "the wake reached the new waker");
    assert_eq!(poll(&mut wait, &waker), Poll::Ready(vec![(6, 6)]));
    assert!(openers.iter().all(|opener| opener.drops() == 1));
    drop((wait, waker));
    assert_shared_state_freed(&openers, &parent);
}

/// A parent waker whose clone panics, made by hand: `Wake` cannot hook `clone`.
#[allow(unsafe_code)]
fn waker_panicking_on_clone() -> Waker {
    fn clone(_: *const ()) -> RawWaker {
        panic!("the parent's waker panicked on clone");
    }
    fn ignore(_: *const ()) {}
    static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, ignore, ignore, ignore);
    // SAFETY: no function of the vtable touches the data pointer, and none has state, so any
    // pointer and any thread will do.
    unsafe { Waker::from_raw(RawWaker::new(std::ptr::null(), &VTABLE)) }
}

/// The combinator keeps a clone of the parent's waker, so a waker whose clone panics makes the
/// poll panic, before any child is polled. Nothing is left half-registered: the next poll, with
/// a working waker, registers it, and wakes reach it.
#[test]
fn a_parent_waker_that_panics_on_clone_leaves_the_combinator_usable() {
    let log = Log::new();
    let (gates, openers) = log.gates((0..CHILDREN).map(Ok::<usize, ()>));
    let mut join = try_join_all_cancel(gates);

    assert_eq!(
        poll_panics(&mut join, &waker_panicking_on_clone()),
        "the parent's waker panicked on clone"
    );
    assert_eq!(log.polls(), 0);

    let parent = WakeCounter::new();
    let waker = parent.waker();
    assert!(poll(&mut join, &waker).is_pending());
    assert_eq!(log.polls(), CHILDREN, "the first pass polled every child");
    assert_eq!(parent.wakes(), 0, "registered at once, with no retry");
    openers[3].open();
    assert_eq!(parent.wakes(), 1, "the wake reached the working waker");
    openers.iter().for_each(Opener::open);
    assert_eq!(
        poll(&mut join, &waker),
        Poll::Ready(Ok((0..CHILDREN).collect()))
    );
    drop((join, waker));
    assert_shared_state_freed(&openers, &parent);
}

/// A child that, on its first poll, hands a clone of its waker to a thread that sleeps, then
/// wakes and drops it: a timer in miniature that outlives its combinator.
struct SleeperChild {
    sleep: Duration,
    sleeper: Arc<Mutex<Option<thread::JoinHandle<()>>>>,
}

impl Future for SleeperChild {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut sleeper = self.sleeper.lock().unwrap();
        if sleeper.is_none() {
            let waker = cx.waker().clone();
            let sleep = self.sleep;
            *sleeper = Some(thread::spawn(move || {
                thread::sleep(sleep);
                waker.wake();
            }));
        }
        Poll::Pending
    }
}

#[test]
fn a_waker_kept_by_a_sleeping_thread_fires_after_the_combinator_is_gone() {
    watchdog(
        "a sleeping thread's late wake",
        Duration::from_secs(60),
        || {
            let log = Log::new();
            let (winner, opener) = log.gate(1, 1);
            opener.open();
            let sleeper = Arc::new(Mutex::new(None));
            let children: Vec<Pin<Box<dyn Future<Output = usize> + Send>>> = vec![
                Box::pin(async {
                    SleeperChild {
                        sleep: Duration::from_millis(50),
                        sleeper: Arc::clone(&sleeper),
                    }
                    .await;
                    0
                }),
                Box::pin(winner),
            ];
            let parent = WakeCounter::new();
            let waker = parent.waker();
            let mut select = select_first(children);

            assert_eq!(poll(&mut select, &waker), Poll::Ready((1, 1)));
            drop((select, waker));
            opener.forget_waker();
            assert_eq!(
                Arc::strong_count(&parent),
                1,
                "the combinator let go of the parent's waker at `Ready`, clone or no clone"
            );

            let sleeper = sleeper.lock().unwrap().take().expect("child 0 was polled");
            sleeper.join().expect("the late wake is harmless");
            assert_eq!(log.polls(), 1);
            assert_eq!(
                Arc::strong_count(&parent),
                1,
                "the late wake reached no parent waker"
            );
        },
    );
}

/// The same with a real timer: each child polls an `async-io` timer once and leaves it in the
/// test's hands, so the timer (and the reactor's copy of the waker) outlive the combinator.
/// The reactor thread wakes the children's wakers after the combinator is gone; the last clone
/// to go, whichever thread drops it, frees the shared state. (`async-io`'s reactor does not run
/// under miri.)
#[cfg(not(miri))]
#[test]
fn wakers_kept_by_async_io_timers_fire_after_the_combinator_is_gone() {
    use async_io::Timer;
    use std::time::Instant;

    /// Polls its timer once, then stays pending; the timer itself lives outside.
    struct TimedChild {
        timer: Arc<Mutex<Timer>>,
        gate: Gate<usize>,
    }

    impl Future for TimedChild {
        type Output = usize;

        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
            let timer_fired = Pin::new(&mut *self.timer.lock().unwrap())
                .poll(cx)
                .is_ready();
            assert!(!timer_fired, "the timers fire after the combinator is gone");
            Pin::new(&mut self.gate).poll(cx)
        }
    }

    watchdog(
        "async-io timers' late wakes",
        Duration::from_secs(60),
        || {
            let deadline = Instant::now() + Duration::from_millis(100);
            let log = Log::new();
            let (gates, openers) = log.gates(0..CHILDREN);
            let timers: Vec<_> = (0..CHILDREN)
                .map(|_| Arc::new(Mutex::new(Timer::at(deadline))))
                .collect();
            let children: Vec<TimedChild> = gates
                .into_iter()
                .zip(&timers)
                .map(|(gate, timer)| TimedChild {
                    timer: Arc::clone(timer),
                    gate,
                })
                .collect();
            let parent = WakeCounter::new();
            let waker = parent.waker();
            let mut join = try_join_all_cancel(
                children
                    .into_iter()
                    .map(|child| async { Ok::<usize, ()>(child.await) }),
            );
            assert!(poll(&mut join, &waker).is_pending());
            drop((join, waker));
            openers.iter().for_each(Opener::forget_waker);
            assert_eq!(log.drops(), CHILDREN);

            // A later timer of our own: once it fires, the reactor has fired the children's
            // timers too (it fires in deadline order).
            futures::executor::block_on(Timer::at(deadline + Duration::from_millis(20)));
            assert!(Instant::now() >= deadline);
            drop(timers);
            // Dropping a timer queues its removal from the reactor: the reactor drops its copies
            // of the waker on its own thread, in its own time.
            while Arc::strong_count(&parent) > 1 {
                thread::sleep(Duration::from_millis(5));
            }
            assert_eq!(
                log.polls(),
                CHILDREN,
                "no child polled after the combinator is gone"
            );
        },
    );
}

/// Scenarios that end the process: a second panic while the first unwinds aborts, as it does
/// anywhere in Rust. They run in a child process (this test binary, filtered to
/// `child_process_scenario`), and the parent test checks that the child aborted, with Rust's
/// message for a panic in a destructor during unwinding.
const SCENARIO: &str = "CANCEL_CASCADE_FAULT_SCENARIO";

/// Runs the scenario named by `SCENARIO`; without it, does nothing.
#[test]
#[ignore = "run in a child process by the tests that expect an abort"]
fn child_process_scenario() {
    let Ok(scenario) = std::env::var(SCENARIO) else {
        return;
    };
    let log = Log::new();
    let (gates, openers) = log.gates(0..CHILDREN);
    let mut children: Vec<Child<usize>> = gates
        .into_iter()
        .enumerate()
        .map(|(index, gate)| Child {
            gate,
            index,
            panics_in_drop: false,
            panics_in_poll: index == 2,
        })
        .collect();
    let waker = match scenario.as_str() {
        "destructor" => {
            children[5].panics_in_drop = true;
            WakeCounter::new().waker()
        }
        "parent waker" => Waker::from(Arc::new(PanickingWaker)),
        other => panic!("unknown scenario {other:?}"),
    };
    // Opened before the first poll, so that opening it wakes no parent: child 2 panics in the
    // first pass, which puts children 3 to 7 back into the ready set and wakes the parent.
    openers[2].open();
    let mut wait = wait_any(children);
    let _ = catch_unwind(AssertUnwindSafe(move || poll(&mut wait, &waker).is_ready()));
    unreachable!("the scenario aborts the process");
}

#[cfg(unix)]
fn run_scenario(scenario: &str) {
    use std::os::unix::process::ExitStatusExt;
    use std::process::Command;

    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "child_process_scenario",
            "--exact",
            "--ignored",
            "--nocapture",
        ])
        .env(SCENARIO, scenario)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.signal(),
        Some(6),
        "{scenario}: the process aborts (SIGABRT): {stderr}"
    );
    assert!(
        stderr.contains("child 2 panicked in poll")
            && stderr.contains("panic in a destructor during cleanup"),
        "{scenario}: {stderr}"
    );
}

/// Child 2 panics in `poll`; unwinding drops the combinator, and with it child 5, whose
/// destructor panics too.
#[cfg(unix)]
#[test]
#[cfg_attr(miri, ignore = "miri cannot start a process")]
fn a_destructor_panicking_during_a_childs_unwinding_aborts() {
    run_scenario("destructor");
}

/// Child 2 panics in `poll`; during the unwinding the pass puts the children it did not reach
/// back into the ready set and wakes the parent, whose waker panics.
#[cfg(unix)]
#[test]
#[cfg_attr(miri, ignore = "miri cannot start a process")]
fn a_parent_waker_panicking_during_a_childs_unwinding_aborts() {
    run_scenario("parent waker");
}

/// `as_completed`: the output of a child whose destructor panics as it completes is kept and
/// yielded by the next poll, and the pass's other children are not forgotten.
#[test]
fn a_stream_yields_the_output_of_a_child_whose_destructor_panicked() {
    use futures::stream::{FusedStream, Stream};
    let log = Log::new();
    let (children, openers) = children(&log, 1, |index| index);
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut stream = cancel_cascade::as_completed(children);
    let next = |stream: &mut cancel_cascade::AsCompleted<Child<usize>>| {
        Pin::new(stream).poll_next(&mut Context::from_waker(&waker))
    };
    assert!(next(&mut stream).is_pending());
    openers[1].open();
    openers[3].open();
    let panicked = catch_unwind(AssertUnwindSafe(|| next(&mut stream).is_ready()));
    assert_eq!(
        panic_message(panicked.expect_err("the destructor's panic passes through")),
        "child 1 panicked in drop"
    );
    assert_eq!(next(&mut stream), Poll::Ready(Some((1, 1))));
    assert_eq!(next(&mut stream), Poll::Ready(Some((3, 3))));
    assert!(!stream.is_terminated());
    drop(stream);
    assert!(openers.iter().all(|opener| opener.drops() == 1));
}

/// An executor that polls its task from inside `wake_by_ref` (on the waking thread, at once)
/// and hands each poll a waker of its own, which never `will_wake` the previous one. A wake
/// that arrives while the task is being polled asks for one more poll after it.
struct ReentrantTask<F: Future> {
    future: Mutex<Option<F>>,
    again: AtomicBool,
    polls: AtomicUsize,
    output: Mutex<Option<F::Output>>,
}

/// Each poll's waker: a fresh allocation, so no two are the same waker.
struct PerPollWaker<F: Future>(Arc<ReentrantTask<F>>);

impl<F: Future + Unpin + Send + 'static> Wake for PerPollWaker<F>
where
    F::Output: Send,
{
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        ReentrantTask::run(&self.0);
    }
}

/// A parent that polls more often than this for one child wake is spinning.
const POLL_LIMIT: usize = 1_000;

impl<F: Future + Unpin + Send + 'static> ReentrantTask<F>
where
    F::Output: Send,
{
    fn new(future: F) -> Arc<Self> {
        Arc::new(ReentrantTask {
            future: Mutex::new(Some(future)),
            again: AtomicBool::new(false),
            polls: AtomicUsize::new(0),
            output: Mutex::new(None),
        })
    }

    /// Polls the task now, on this thread, or asks the poll in progress for another one.
    fn run(task: &Arc<Self>) {
        let Ok(mut future) = task.future.try_lock() else {
            task.again.store(true, SeqCst);
            return;
        };
        loop {
            task.again.store(false, SeqCst);
            let Some(pending) = future.as_mut() else {
                return;
            };
            if task.polls.fetch_add(1, SeqCst) >= POLL_LIMIT {
                return;
            }
            let waker = Waker::from(Arc::new(PerPollWaker(Arc::clone(task))));
            if let Poll::Ready(output) = poll(pending, &waker) {
                *task.output.lock().unwrap() = Some(output);
                *future = None;
                return;
            }
            if !task.again.load(SeqCst) {
                return;
            }
        }
    }
}

/// futures' `AtomicWaker` wakes outside its lock; the engine once called the parent's waker
/// while counted as its reader, so the poll that this executor runs inside that call could
/// never register its new waker: each registration failed, woke the new waker to retry, and
/// the executor polled again, forever. One child wake must cost a bounded number of polls,
/// and the wake after it must reach the latest waker.
#[test]
fn an_executor_polling_inside_wake_with_a_new_waker_each_time_does_not_livelock() {
    watchdog("a re-entrant executor", Duration::from_secs(30), || {
        let log = Log::new();
        let (gates, openers) = log.gates(0..CHILDREN);
        let task = ReentrantTask::new(select_first(gates));
        ReentrantTask::run(&task);
        assert_eq!(task.polls.load(SeqCst), 1);

        openers[3].wake();
        let polls = task.polls.load(SeqCst);
        assert!(
            polls <= 3,
            "one spurious child wake cost {polls} parent polls (limit {POLL_LIMIT})"
        );
        assert_eq!(openers[3].polls(), 2);

        openers[5].open();
        assert_eq!(*task.output.lock().unwrap(), Some((5, 5)));
        assert!(openers.iter().all(|opener| opener.drops() == 1));
    });
}

/// A parent waker whose `wake_by_ref` blocks until the test lets it go, to hold a wake in
/// flight while the combinator is dropped.
struct BlockingWaker {
    entered: Mutex<Option<std::sync::mpsc::Sender<()>>>,
    release: Mutex<std::sync::mpsc::Receiver<()>>,
}

impl Wake for BlockingWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if let Some(entered) = self.entered.lock().unwrap().take() {
            entered.send(()).unwrap();
            self.release.lock().unwrap().recv().unwrap();
        }
    }
}

/// The combinator is dropped while a child's wake is inside the parent's waker on another
/// thread: the parent's waker is let go of as soon as that wake returns, although a clone of the
/// child's waker (kept by a timer, say) still holds the shared block.
#[test]
fn the_parent_waker_is_let_go_of_when_a_wake_in_flight_at_drop_returns() {
    watchdog("a wake in flight at drop", Duration::from_secs(30), || {
        let (entered_tx, entered) = std::sync::mpsc::channel();
        let (release, release_rx) = std::sync::mpsc::channel();
        let parent = Arc::new(BlockingWaker {
            entered: Mutex::new(Some(entered_tx)),
            release: Mutex::new(release_rx),
        });
        let waker = Waker::from(Arc::clone(&parent));
        let log = Log::new();
        let (gates, openers) = log.gates(0..CHILDREN);
        let mut wait = wait_any(gates);
        assert!(poll(&mut wait, &waker).is_pending());
        drop(waker);
        let kept = openers[2].waker();
        openers.iter().for_each(Opener::forget_waker);

        let waking = {
            let kept = kept.clone();
            thread::spawn(move || kept.wake_by_ref())
        };
        entered.recv().unwrap();
        drop(wait);
        assert_eq!(log.drops(), CHILDREN);
        release.send(()).unwrap();
        waking.join().unwrap();
        assert_eq!(
            Arc::strong_count(&parent),
            1,
            "the parent's waker outlived the combinator and its last wake"
        );
        drop(kept);
    });
}

/// A parent waker whose destructor panics, made by hand (`Wake` cannot hook `drop`): the
/// clone that the combinator keeps panics when the combinator lets go of it.
#[allow(unsafe_code)]
fn waker_panicking_on_drop() -> Waker {
    fn clone(_: *const ()) -> RawWaker {
        RawWaker::new(std::ptr::null(), &CLONE_VTABLE)
    }
    fn ignore(_: *const ()) {}
    fn panic_on_drop(_: *const ()) {
        panic!("the parent's waker panicked on drop");
    }
    static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, ignore, ignore, ignore);
    static CLONE_VTABLE: RawWakerVTable = RawWakerVTable::new(clone, ignore, ignore, panic_on_drop);
    // SAFETY: no function of either vtable touches the data pointer, and none has state, so
    // any pointer and any thread will do.
    unsafe { Waker::from_raw(RawWaker::new(std::ptr::null(), &VTABLE)) }
}

/// The combinator is dropped and the kept clone of the parent's waker panics in its destructor:
/// the panic passes through, every child is dropped once, and the shared block is freed all the
/// same (miri's leak check sees it if not).
#[test]
fn a_parent_waker_panicking_on_drop_does_not_leak_the_shared_block() {
    let log = Log::new();
    let (gates, openers) = log.gates(0..CHILDREN);
    let mut wait = wait_any(gates);
    assert!(poll(&mut wait, &waker_panicking_on_drop()).is_pending());
    openers.iter().for_each(Opener::forget_waker);
    let dropped = catch_unwind(AssertUnwindSafe(move || drop(wait)));
    assert_eq!(
        panic_message(dropped.expect_err("the waker's panic passes through")),
        "the parent's waker panicked on drop"
    );
    assert_eq!(log.drops(), CHILDREN);

    // At `Ready` too: the panic leaves `poll`, the outcome stays for the next poll.
    let (gates, openers) = log.gates(0..CHILDREN);
    let mut select = select_first(gates);
    assert!(poll(&mut select, &waker_panicking_on_drop()).is_pending());
    openers[1].open();
    openers.iter().for_each(Opener::forget_waker);
    assert_eq!(
        poll_panics(&mut select, &WakeCounter::new().waker()),
        "the parent's waker panicked on drop"
    );
    assert_eq!(
        poll(&mut select, &WakeCounter::new().waker()),
        Poll::Ready((1, 1))
    );
}

/// A race that returns its outcome on the poll after a loser's destructor panicked still lets
/// go of the parent's waker before returning `Ready`: a child's waker kept past the race (here
/// by the losers' gates) then wakes no one, and the executor's task is not kept alive by it.
fn a_race_finished_after_a_destructor_panic_lets_go_of_the_parent_waker<F>(
    make: impl FnOnce(Vec<Child<Result<usize, usize>>>) -> F,
) where
    F: Future + FusedFuture + Unpin,
{
    let log = Log::new();
    let (children, openers) = children(
        &log,
        2,
        |index| {
            if index == 5 {
                Ok(index)
            } else {
                Err(index)
            }
        },
    );
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut race = make(children);
    assert!(poll(&mut race, &waker).is_pending());
    openers[5].open();
    assert_eq!(poll_panics(&mut race, &waker), "child 2 panicked in drop");
    assert!(poll(&mut race, &waker).is_ready());
    assert!(race.is_terminated());
    assert_eq!(
        Arc::strong_count(&parent),
        2,
        "the parent's waker is still held after `Ready`"
    );
    let wakes = parent.wakes();
    openers[7].wake();
    assert_eq!(
        parent.wakes(),
        wakes,
        "a late wake reached the finished race"
    );
    drop((race, waker));
    assert_shared_state_freed(&openers, &parent);
}

#[test]
fn select_first_ok_finished_after_a_destructor_panic_lets_go_of_the_parent_waker() {
    a_race_finished_after_a_destructor_panic_lets_go_of_the_parent_waker(select_first_ok);
}

#[test]
fn select_first_finished_after_a_destructor_panic_lets_go_of_the_parent_waker() {
    a_race_finished_after_a_destructor_panic_lets_go_of_the_parent_waker(select_first);
}

#[test]
fn select_cancel_finished_after_a_destructor_panic_lets_go_of_the_parent_waker() {
    a_race_finished_after_a_destructor_panic_lets_go_of_the_parent_waker(|children| {
        let mut children = children.into_iter();
        let mut next = || children.next().unwrap();
        select_cancel((
            next(),
            next(),
            next(),
            next(),
            next(),
            next(),
            next(),
            next(),
        ))
    });
}
