//! `select_cancel`, the tuple form of `select_first`, under every point of the contract, polled
//! by hand: futures of different output types race, the winner comes back in the variant named
//! after its position, and a destructor panicking during the decision cannot lose it.

#[allow(dead_code)]
mod support;
#[allow(dead_code)]
#[path = "support/traits.rs"]
mod traits;

use std::fmt;
use std::future::{pending, ready, Future};
use std::marker::PhantomPinned;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::Duration;

use cancel_cascade::one_of::{OneOf12, OneOf2, OneOf3, OneOf4};
use cancel_cascade::{select_cancel, SelectCancel};
use futures::future::FusedFuture;
use support::{panic_message, watchdog, Gate, Log, Opener, WakeCounter};
use traits::{
    assert_debug, assert_fused, assert_not_impl, assert_send, assert_unpin, Immovable, ThreadBound,
};

fn poll<F: Future + Unpin>(combinator: &mut F, waker: &Waker) -> Poll<F::Output> {
    Pin::new(combinator).poll(&mut Context::from_waker(waker))
}

fn poll_panics<F: Future + Unpin>(combinator: &mut F, waker: &Waker) -> String {
    match catch_unwind(AssertUnwindSafe(|| poll(combinator, waker).is_ready())) {
        Ok(ready) => panic!("the expected panic did not happen (ready: {ready})"),
        Err(payload) => panic_message(payload),
    }
}

type Four = (Gate<u8>, Gate<&'static str>, Gate<String>, Gate<()>);

/// Four gates of four output types, named 0 to 3.
fn four(log: &Arc<Log>) -> (Four, [Opener; 4]) {
    let (a, open_a) = log.gate(0, 7u8);
    let (b, open_b) = log.gate(1, "one");
    let (c, open_c) = log.gate(2, "two".to_string());
    let (d, open_d) = log.gate(3, ());
    ((a, b, c, d), [open_a, open_b, open_c, open_d])
}

#[test]
fn lazy_then_every_future_polled_once_in_tuple_order() {
    let log = Log::new();
    let (futures, _openers) = four(&log);
    let parent = WakeCounter::new();
    let mut select = select_cancel(futures);
    assert_eq!(log.polls(), 0, "lazy");
    assert!(poll(&mut select, &parent.waker()).is_pending());
    assert_eq!(log.poll_order(), [0, 1, 2, 3]);
}

#[test]
fn the_winner_comes_back_in_its_positions_variant_and_the_rest_are_dropped_before_ready() {
    let log = Log::new();
    let (futures, openers) = four(&log);
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut select = select_cancel(futures);
    assert!(poll(&mut select, &waker).is_pending());

    openers[2].open();
    assert_eq!(
        poll(&mut select, &waker),
        Poll::Ready(OneOf4::Third("two".to_string()))
    );
    assert_eq!(log.drop_order(), [2, 0, 1, 3], "inside the deciding poll");
    assert!(select.is_terminated());
    assert_eq!(parent.wakes(), 1);
}

#[test]
fn no_future_is_polled_after_the_winner_the_first_in_the_tuple_wins() {
    let log = Log::new();
    let (futures, openers) = four(&log);
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut select = select_cancel(futures);
    assert!(poll(&mut select, &waker).is_pending());

    openers[3].open();
    openers[0].wake();
    openers[1].open();
    assert_eq!(
        poll(&mut select, &waker),
        Poll::Ready(OneOf4::Second("one"))
    );
    assert_eq!(&log.poll_order()[4..], [0, 1]);
    assert_eq!(openers[3].polls(), 1, "woken, but the race was decided");
}

#[test]
fn the_first_poll_stops_at_the_first_ready_future() {
    let log = Log::new();
    let (gate, opener) = log.gate(2, 'c');
    let mut select = select_cancel((pending::<u8>(), ready(1.5f32), gate));
    let parent = WakeCounter::new();
    assert_eq!(
        poll(&mut select, &parent.waker()),
        Poll::Ready(OneOf3::Second(1.5))
    );
    assert_eq!(opener.polls(), 0, "never started");
    assert_eq!(opener.drops(), 1);
}

#[test]
fn dropping_it_drops_every_future_in_tuple_order() {
    let log = Log::new();
    let (futures, openers) = four(&log);
    let parent = WakeCounter::new();
    let mut select = select_cancel(futures);
    assert!(poll(&mut select, &parent.waker()).is_pending());
    drop(select);
    assert_eq!(log.drop_order(), [0, 1, 2, 3]);
    assert!(openers.iter().all(|opener| opener.drops() == 1));
}

#[test]
fn each_future_woken_once_is_polled_twice() {
    let log = Log::new();
    let (futures, openers) = four(&log);
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut select = select_cancel(futures);
    assert!(poll(&mut select, &waker).is_pending());
    for index in [2, 0, 1] {
        openers[index].wake();
        assert!(poll(&mut select, &waker).is_pending());
    }
    openers[3].open();
    assert_eq!(poll(&mut select, &waker), Poll::Ready(OneOf4::Fourth(())));
    assert!(openers.iter().all(|opener| opener.polls() == 2));
}

#[test]
fn twelve_futures_of_twelve_types() {
    let log = Log::new();
    let (last, opener) = log.gate(11, [1u8; 3]);
    let mut select = select_cancel((
        pending::<u8>(),
        pending::<u16>(),
        pending::<u32>(),
        pending::<u64>(),
        pending::<i8>(),
        pending::<i16>(),
        pending::<i32>(),
        pending::<i64>(),
        pending::<char>(),
        pending::<bool>(),
        pending::<String>(),
        last,
    ));
    let parent = WakeCounter::new();
    let waker = parent.waker();
    assert!(poll(&mut select, &waker).is_pending());
    opener.open();
    assert_eq!(
        poll(&mut select, &waker),
        Poll::Ready(OneOf12::Twelfth([1; 3]))
    );
}

#[test]
fn the_wake_reaches_the_latest_parent_waker() {
    let log = Log::new();
    let (futures, openers) = four(&log);
    let parents: Vec<_> = (0..3).map(|_| WakeCounter::new()).collect();
    let mut select = select_cancel(futures);
    for parent in &parents {
        assert!(poll(&mut select, &parent.waker()).is_pending());
    }
    openers[1].wake();
    let wakes: Vec<usize> = parents.iter().map(|parent| parent.wakes()).collect();
    assert_eq!(wakes, [0, 0, 1]);
}

#[test]
fn a_wake_from_another_thread_under_block_on() {
    watchdog(
        "select_cancel under block_on",
        Duration::from_secs(30),
        || {
            let log = Log::new();
            let (futures, openers) = four(&log);
            let [_, spurious, winner, _] = openers;
            let outcome = futures::executor::block_on(async move {
                let opening = thread::spawn(move || {
                    while winner.polls() == 0 {
                        thread::yield_now();
                    }
                    spurious.wake();
                    winner.open();
                });
                let outcome = select_cancel(futures).await;
                opening.join().unwrap();
                outcome
            });
            assert_eq!(outcome, OneOf4::Third("two".to_string()));
            assert_eq!(log.drops(), 4);
        },
    );
}

/// A gate that panics in its destructor when told to, after the gate inside was dropped.
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

fn child<T>(log: &Arc<Log>, index: usize, value: T, panics_in_drop: bool) -> (Child<T>, Opener) {
    let (gate, opener) = log.gate(index, value);
    let child = Child {
        gate,
        index,
        panics_in_drop,
    };
    (child, opener)
}

#[test]
fn a_loser_panicking_in_its_destructor_cannot_lose_the_winner() {
    support::quiet_panics_containing("panicked in drop");
    let log = Log::new();
    let (a, _) = child(&log, 0, 0u8, false);
    let (b, _) = child(&log, 1, "one", true);
    let (c, open_c) = child(&log, 2, 2.5f64, false);
    let (d, _) = child(&log, 3, 'd', false);
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut select = select_cancel((a, b, c, d));
    assert!(poll(&mut select, &waker).is_pending());

    open_c.open();
    assert_eq!(poll_panics(&mut select, &waker), "child 1 panicked in drop");
    assert_eq!(log.drop_order(), [2, 0, 1, 3], "every loser dropped once");
    assert!(
        !select.is_terminated(),
        "the winner is still to be returned"
    );
    assert_eq!(poll(&mut select, &waker), Poll::Ready(OneOf4::Third(2.5)));
    assert!(select.is_terminated());
    let again = poll_panics(&mut select, &waker);
    assert!(
        again.contains("`select_cancel` polled after completion"),
        "{again}"
    );
    assert_eq!(log.drops(), 4);
}

#[test]
fn a_winner_panicking_in_its_destructor_still_wins_on_the_next_poll() {
    support::quiet_panics_containing("panicked in drop");
    let log = Log::new();
    let (a, _) = child(&log, 0, 0u8, false);
    let (b, open_b) = child(&log, 1, "one", true);
    let (c, open_c) = child(&log, 2, 2.5f64, false);
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut select = select_cancel((a, b, c));
    assert!(poll(&mut select, &waker).is_pending());

    open_b.open();
    open_c.open();
    assert_eq!(poll_panics(&mut select, &waker), "child 1 panicked in drop");
    assert_eq!(log.drop_order(), [1]);
    assert_eq!(
        poll(&mut select, &waker),
        Poll::Ready(OneOf3::Second("one"))
    );
    assert_eq!(log.drop_order(), [1, 0, 2]);
    assert_eq!(open_c.polls(), 1, "no future polled after the winner");
}

// Point 6 of the contract, at compile time (the ambiguity trick of `auto_traits.rs`).

assert_not_impl!(Immovable<u8>: Unpin);
assert_not_impl!(ThreadBound<u8>: Send);
assert_not_impl!(ThreadBound<u8>: fmt::Debug);
assert_not_impl!(SelectCancel<(Gate<u8>, ThreadBound<u8>)>: Send);
assert_not_impl!(SelectCancel<(Gate<u8>, Gate<Rc<u8>>)>: Send);

#[test]
fn unpin_send_fused_and_debug() {
    assert_unpin::<SelectCancel<(Immovable<u8>, Immovable<PhantomPinned>)>>();
    assert_send::<SelectCancel<(Gate<u8>, Immovable<String>)>>();
    assert_fused::<SelectCancel<(ThreadBound<u8>, ThreadBound<()>)>>();
    assert_debug::<SelectCancel<(ThreadBound<u8>, Immovable<u8>)>>();
    assert_send::<OneOf2<u8, String>>();

    let log = Log::new();
    let select = select_cancel((
        ThreadBound::new(log.gate(0, 1u8).0),
        ThreadBound::new(log.gate(1, ()).0),
    ));
    assert!(format!("{select:?}").starts_with("SelectCancel"));
    drop(select);
    assert_eq!(log.drops(), 2);
}
