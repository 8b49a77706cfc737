//! `select_first_ok` under every point of the contract, polled by hand: the first `Ok` wins with
//! its index, errors are kept while the race goes on, every error comes back when all fail, and
//! a destructor panicking during the decision cannot lose the decided outcome.

#[allow(dead_code)]
mod support;
#[allow(dead_code)]
#[path = "support/traits.rs"]
mod traits;

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::marker::PhantomPinned;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::Duration;

use cancel_cascade::{select_first_ok, AllFailed, SelectFirstOk};
use futures::future::FusedFuture;
use support::{panic_message, watchdog, Gate, Log, Opener, Rng, Token, WakeCounter};
use traits::{
    assert_debug, assert_fused, assert_not_impl, assert_send, assert_unpin, Immovable, ThreadBound,
};

type Outcome<T, E> = Result<(T, usize), AllFailed<E>>;

fn poll<F: Future + Unpin>(combinator: &mut F, waker: &Waker) -> Poll<F::Output> {
    Pin::new(combinator).poll(&mut Context::from_waker(waker))
}

/// Polls inside `catch_unwind` and returns the panic's message.
fn poll_panics<F: Future + Unpin>(combinator: &mut F, waker: &Waker) -> String {
    match catch_unwind(AssertUnwindSafe(|| poll(combinator, waker).is_ready())) {
        Ok(ready) => panic!("the expected panic did not happen (ready: {ready})"),
        Err(payload) => panic_message(payload),
    }
}

/// `n` gates named by index: child `i` completes with `fate(i)`.
fn gates<T, E>(
    log: &Arc<Log>,
    n: usize,
    fate: impl Fn(usize) -> Result<T, E>,
) -> (Vec<Gate<Result<T, E>>>, Vec<Opener>) {
    log.gates((0..n).map(fate))
}

#[test]
fn nothing_is_polled_before_the_first_poll_then_every_child_once_in_index_order() {
    let log = Log::new();
    let (gates, _openers) = gates(&log, 6, Ok::<usize, ()>);
    let parent = WakeCounter::new();
    let mut select = select_first_ok(gates);
    assert_eq!(log.polls(), 0, "lazy");
    assert!(poll(&mut select, &parent.waker()).is_pending());
    assert_eq!(log.poll_order(), [0, 1, 2, 3, 4, 5]);
}

#[test]
fn the_first_ok_wins_and_the_others_are_dropped_in_index_order_before_ready() {
    let log = Log::new();
    let (gates, openers) = gates(&log, 8, |i| if i % 2 == 0 { Err(i) } else { Ok(i) });
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut select = select_first_ok(gates);
    assert!(poll(&mut select, &waker).is_pending());

    // Two failures first: each is dropped as it fails, and the race goes on.
    openers[6].open();
    assert!(poll(&mut select, &waker).is_pending());
    openers[2].open();
    assert!(poll(&mut select, &waker).is_pending());
    assert_eq!(log.drop_order(), [6, 2]);

    openers[5].open();
    assert_eq!(poll(&mut select, &waker), Poll::Ready(Ok((5, 5))));
    assert_eq!(
        log.drop_order(),
        [6, 2, 5, 0, 1, 3, 4, 7],
        "the winner, then every other child in index order, inside the deciding poll"
    );
    assert!(select.is_terminated());
    drop(select);
    assert!(openers.iter().all(|opener| opener.drops() == 1));
}

#[test]
fn no_child_is_polled_after_the_winner_not_even_one_woken_in_the_same_pass() {
    let log = Log::new();
    let (gates, openers) = gates(&log, 10, Ok::<usize, usize>);
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut select = select_first_ok(gates);
    assert!(poll(&mut select, &waker).is_pending());

    openers[1].wake();
    openers[3].open();
    openers[8].open();
    openers[9].wake();
    assert_eq!(poll(&mut select, &waker), Poll::Ready(Ok((3, 3))));
    assert_eq!(&log.poll_order()[10..], [1, 3]);
    assert_eq!(
        openers[8].polls(),
        1,
        "child 8 was woken, but the race was decided"
    );
}

#[test]
fn an_error_then_an_ok_in_one_pass_the_ok_wins() {
    let log = Log::new();
    let (gates, openers) = gates(&log, 4, |i| if i == 1 { Err("down") } else { Ok(i) });
    let mut select = select_first_ok(gates);
    let parent = WakeCounter::new();
    let waker = parent.waker();
    assert!(poll(&mut select, &waker).is_pending());
    openers[1].open();
    openers[2].open();
    assert_eq!(poll(&mut select, &waker), Poll::Ready(Ok((2, 2))));
}

/// An error type that implements `std::error::Error` and records its drop.
#[derive(Debug)]
struct Refused(Token);

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "replica {} refused", self.0.index())
    }
}

impl Error for Refused {}

#[test]
fn when_every_child_fails_every_error_comes_back_with_its_index_in_index_order() {
    let log = Log::new();
    let errors = Log::new();
    let (gates, openers) = gates(&log, 4, |i| Err::<(), _>(Refused(errors.token(i))));
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut select = select_first_ok(gates);
    assert!(poll(&mut select, &waker).is_pending());

    for index in [2, 0, 3] {
        openers[index].open();
        assert!(poll(&mut select, &waker).is_pending());
    }
    assert_eq!(errors.drops(), 0, "the errors are kept");
    openers[1].open();
    let Poll::Ready(Err(failed)) = poll(&mut select, &waker) else {
        panic!("every child failed")
    };
    assert!(select.is_terminated());
    let indices: Vec<usize> = failed.errors().iter().map(|(index, _)| *index).collect();
    assert_eq!(indices, [0, 1, 2, 3]);
    let reported: Vec<usize> = failed.errors().iter().map(|(_, e)| e.0.index()).collect();
    assert_eq!(reported, [0, 1, 2, 3], "each error beside its own index");
    assert_eq!(
        failed.to_string(),
        "all 4 futures failed: #0: replica 0 refused; #1: replica 1 refused; \
         #2: replica 2 refused; #3: replica 3 refused"
    );
    let boxed: Box<dyn Error + Send + Sync> = Box::new(failed);
    drop(boxed);
    assert_eq!(
        errors.drops(),
        4,
        "each error dropped once, with the outcome"
    );
}

#[test]
fn a_single_child_that_fails_ends_the_race_on_its_first_poll() {
    let mut select = select_first_ok([std::future::ready(Err::<(), _>("refused"))]);
    let parent = WakeCounter::new();
    let outcome = poll(&mut select, &parent.waker());
    let Poll::Ready(Err(failed)) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(failed.into_errors(), [(0, "refused")]);
}

#[test]
fn dropping_it_drops_every_remaining_child_in_index_order_and_every_kept_error() {
    let log = Log::new();
    let errors = Log::new();
    let (gates, openers) = gates(&log, 6, |i| Err::<(), _>(errors.token(i)));
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut select = select_first_ok(gates);
    assert!(poll(&mut select, &waker).is_pending());
    openers[4].open();
    openers[1].open();
    assert!(poll(&mut select, &waker).is_pending());
    assert_eq!(log.drop_order(), [1, 4]);
    assert_eq!(errors.drops(), 0, "the errors of children 1 and 4 are kept");

    drop(select);
    assert_eq!(log.drop_order(), [1, 4, 0, 2, 3, 5]);
    // Slot by slot: the kept errors of 1 and 4 among the unused ones of the gates.
    assert_eq!(errors.drop_order(), [0, 1, 2, 3, 4, 5]);
}

#[test]
fn each_child_woken_once_is_polled_twice() {
    const N: usize = 200;
    let log = Log::new();
    let (gates, openers) = gates(&log, N, |i| if i == N - 1 { Ok(i) } else { Err(i) });
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut select = select_first_ok(gates);
    assert!(poll(&mut select, &waker).is_pending());

    // Every child but the last fails, one wake each, in a random order; then the last wins.
    let mut order: Vec<usize> = (0..N - 1).collect();
    Rng::new(11).shuffle(&mut order);
    for index in order {
        openers[index].open();
        assert!(poll(&mut select, &waker).is_pending());
    }
    openers[N - 1].open();
    assert_eq!(poll(&mut select, &waker), Poll::Ready(Ok((N - 1, N - 1))));
    assert!(openers.iter().all(|opener| opener.polls() == 2));
    assert_eq!(log.polls(), 2 * N);
}

#[test]
fn the_wake_reaches_the_latest_parent_waker() {
    let log = Log::new();
    let (gates, openers) = gates(&log, 50, Ok::<usize, ()>);
    let parents: Vec<_> = (0..3).map(|_| WakeCounter::new()).collect();
    let mut select = select_first_ok(gates);
    for parent in &parents {
        assert!(poll(&mut select, &parent.waker()).is_pending());
    }
    // Child 30 holds the waker of the first pass (it was not polled since): its wake still
    // reaches the third parent.
    openers[30].wake();
    let wakes: Vec<usize> = parents.iter().map(|parent| parent.wakes()).collect();
    assert_eq!(wakes, [0, 0, 1]);
}

#[test]
fn cross_thread_failures_then_a_success_under_block_on() {
    watchdog(
        "select_first_ok under block_on",
        Duration::from_secs(30),
        || {
            let log = Log::new();
            let n = if cfg!(miri) { 8 } else { 64 };
            let (gates, openers) = gates(&log, n, |i| if i == n / 2 { Ok(i) } else { Err(i) });
            let outcome = futures::executor::block_on(async move {
                // Each thread fails a few children, then the winner is opened.
                let failing: Vec<Opener> = openers
                    .iter()
                    .enumerate()
                    .filter(|(index, _)| index % 3 == 0 && *index != n / 2)
                    .map(|(_, opener)| opener.clone())
                    .collect();
                let winner = openers[n / 2].clone();
                let opening = thread::spawn(move || {
                    while winner.polls() == 0 {
                        thread::yield_now();
                    }
                    let threads: Vec<_> = failing
                        .chunks(4)
                        .map(|chunk| {
                            let chunk = chunk.to_vec();
                            thread::spawn(move || chunk.iter().for_each(Opener::open))
                        })
                        .collect();
                    threads.into_iter().for_each(|t| t.join().unwrap());
                    winner.open();
                });
                let outcome = select_first_ok(gates).await;
                opening.join().unwrap();
                outcome
            });
            assert_eq!(outcome, Ok((n / 2, n / 2)));
            assert_eq!(log.drops(), n);
        },
    );
}

#[test]
fn every_child_failing_from_other_threads_still_ends_the_race() {
    watchdog(
        "select_first_ok, all failing",
        Duration::from_secs(30),
        || {
            let log = Log::new();
            let n = if cfg!(miri) { 6 } else { 40 };
            let (gates, openers) = gates(&log, n, Err::<(), usize>);
            let outcome: Outcome<(), usize> = futures::executor::block_on(async move {
                let first = openers[0].clone();
                let opening = thread::spawn(move || {
                    while first.polls() == 0 {
                        thread::yield_now();
                    }
                    let threads: Vec<_> = openers
                        .chunks(n / 2)
                        .map(|chunk| {
                            let chunk = chunk.to_vec();
                            thread::spawn(move || chunk.iter().rev().for_each(Opener::open))
                        })
                        .collect();
                    threads.into_iter().for_each(|t| t.join().unwrap());
                });
                let outcome = select_first_ok(gates).await;
                opening.join().unwrap();
                outcome
            });
            let errors = outcome.expect_err("all failed").into_errors();
            assert_eq!(errors, (0..n).map(|i| (i, i)).collect::<Vec<_>>());
        },
    );
}

/// A gate that panics in its destructor (after the gate inside is dropped and logged) when
/// told to.
struct Child<T> {
    gate: Gate<T>,
    index: usize,
    panics_in_drop: bool,
}

impl<T> Future for Child<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        Pin::new(&mut self.gate).poll(cx)
    }
}

impl<T> Drop for Child<T> {
    fn drop(&mut self) {
        if self.panics_in_drop {
            panic!("child {} panicked in drop", self.index);
        }
    }
}

fn children<T>(
    log: &Arc<Log>,
    n: usize,
    panics_in_drop: usize,
    fate: impl Fn(usize) -> T,
) -> (Vec<Child<T>>, Vec<Opener>) {
    let (gates, openers) = log.gates((0..n).map(fate));
    let children = gates
        .into_iter()
        .enumerate()
        .map(|(index, gate)| Child {
            gate,
            index,
            panics_in_drop: index == panics_in_drop,
        })
        .collect();
    (children, openers)
}

#[test]
fn a_loser_panicking_in_its_destructor_cannot_lose_the_winner() {
    support::quiet_panics_containing("panicked in drop");
    let log = Log::new();
    let outputs = Log::new();
    let (children, openers) = children(&log, 8, 2, |i| Ok::<_, ()>(outputs.token(i)));
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut select = select_first_ok(children);
    assert!(poll(&mut select, &waker).is_pending());

    openers[5].open();
    assert_eq!(poll_panics(&mut select, &waker), "child 2 panicked in drop");
    assert_eq!(
        log.drop_order(),
        [5, 0, 1, 2, 3, 4, 6, 7],
        "the losers after the panicking one were still dropped, each once"
    );
    assert!(
        !select.is_terminated(),
        "the outcome is still to be returned"
    );
    assert!(
        !outputs.drop_order().contains(&5),
        "the winner's output is kept"
    );

    let Poll::Ready(Ok((output, 5))) = poll(&mut select, &waker) else {
        panic!("the next poll returns the decided outcome")
    };
    assert_eq!(output.index(), 5);
    assert!(select.is_terminated());
    assert!(poll_panics(&mut select, &waker).contains("`select_first_ok` polled after completion"));
    drop((select, output));
    assert!(openers.iter().all(|opener| opener.drops() == 1));
    assert_eq!(
        outputs.drops(),
        8,
        "every output (the losers' unused ones) dropped once"
    );
}

#[test]
fn a_winner_panicking_in_its_destructor_still_wins_on_the_next_poll() {
    support::quiet_panics_containing("panicked in drop");
    let log = Log::new();
    let (children, openers) = children(&log, 8, 4, Ok::<usize, ()>);
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut select = select_first_ok(children);
    assert!(poll(&mut select, &waker).is_pending());

    openers[4].open();
    openers[6].open();
    assert_eq!(poll_panics(&mut select, &waker), "child 4 panicked in drop");
    assert_eq!(log.drop_order(), [4], "the losers are still there");

    assert_eq!(poll(&mut select, &waker), Poll::Ready(Ok((4, 4))));
    assert_eq!(log.drop_order(), [4, 0, 1, 2, 3, 5, 6, 7]);
    assert_eq!(openers[6].polls(), 1, "no child polled after the winner");
}

#[test]
fn the_last_failure_panicking_in_its_destructor_still_ends_the_race() {
    support::quiet_panics_containing("panicked in drop");
    let log = Log::new();
    let (children, openers) = children(&log, 4, 3, Err::<(), usize>);
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut select = select_first_ok(children);
    assert!(poll(&mut select, &waker).is_pending());
    openers[..3].iter().for_each(Opener::open);
    assert!(poll(&mut select, &waker).is_pending());

    openers[3].open();
    assert_eq!(poll_panics(&mut select, &waker), "child 3 panicked in drop");
    // Nobody will wake the parent again: the next poll must end the race by itself.
    let Poll::Ready(Err(failed)) = poll(&mut select, &waker) else {
        panic!("every child failed")
    };
    assert_eq!(failed.into_errors(), [(0, 0), (1, 1), (2, 2), (3, 3)]);
    assert!(openers.iter().all(|opener| opener.drops() == 1));
}

#[test]
fn polling_after_ready_panics_with_a_message_naming_it() {
    let mut select = select_first_ok([std::future::ready(Ok::<u8, ()>(1))]);
    let parent = WakeCounter::new();
    let waker = parent.waker();
    assert!(!select.is_terminated());
    assert_eq!(poll(&mut select, &waker), Poll::Ready(Ok((1, 0))));
    assert!(select.is_terminated());
    let message = poll_panics(&mut select, &waker);
    assert!(
        message.contains("`select_first_ok` polled after completion"),
        "{message}"
    );
}

#[test]
fn an_empty_input_panics_at_construction_saying_so() {
    let built = catch_unwind(|| {
        drop(select_first_ok(
            Vec::<std::future::Ready<Result<(), ()>>>::new(),
        ));
    });
    assert_eq!(
        panic_message(built.expect_err("an empty race panics")),
        "`select_first_ok` called with an empty set of futures: it could never complete"
    );
}

#[test]
fn a_panicking_child_passes_through_and_the_others_are_dropped_with_it() {
    support::quiet_panics_containing("child panicked in poll");
    struct Panicky;
    impl Future for Panicky {
        type Output = Result<usize, usize>;
        fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Self::Output> {
            panic!("child panicked in poll")
        }
    }
    let log = Log::new();
    let (gates, openers) = gates(&log, 3, Ok::<usize, usize>);
    let children: Vec<futures::future::Either<Gate<_>, Panicky>> = gates
        .into_iter()
        .map(futures::future::Either::Left)
        .chain([futures::future::Either::Right(Panicky)])
        .collect();
    let parent = WakeCounter::new();
    let mut select = select_first_ok(children);
    assert_eq!(
        poll_panics(&mut select, &parent.waker()),
        "child panicked in poll"
    );
    drop(select);
    assert!(openers.iter().all(|opener| opener.drops() == 1));
}

// Point 6 of the contract, at compile time: `Unpin` whatever the children are, `Send` when the
// children and their outputs are (and not otherwise), `FusedFuture`, `Debug` without `F: Debug`.

/// An output that must never move once pinned: it never is.
struct ImmovableOutput(PhantomPinned);

type Fallible = Result<u8, String>;

assert_not_impl!(Immovable<Fallible>: Unpin);
assert_not_impl!(ThreadBound<Fallible>: Send);
assert_not_impl!(ThreadBound<Fallible>: fmt::Debug);
assert_not_impl!(SelectFirstOk<ThreadBound<Fallible>>: Send);
assert_not_impl!(SelectFirstOk<Gate<Result<Rc<u8>, String>>>: Send);

#[test]
fn unpin_send_fused_and_debug() {
    assert_unpin::<SelectFirstOk<Immovable<Fallible>>>();
    assert_unpin::<SelectFirstOk<Immovable<Result<ImmovableOutput, String>>>>();
    assert_send::<SelectFirstOk<Gate<Fallible>>>();
    assert_send::<SelectFirstOk<Immovable<Fallible>>>();
    assert_fused::<SelectFirstOk<ThreadBound<Fallible>>>();
    assert_debug::<SelectFirstOk<ThreadBound<Fallible>>>();
    assert_send::<AllFailed<String>>();

    let log = Log::new();
    let select = select_first_ok([ThreadBound::new(log.gate(0, Ok::<u8, ()>(0)).0)]);
    assert!(format!("{select:?}").starts_with("SelectFirstOk"));
    let collected: SelectFirstOk<_> = [std::future::ready(Ok::<u8, ()>(0))].into_iter().collect();
    drop((select, collected));
}
