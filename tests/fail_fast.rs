//! `try_join_all_cancel` stops at the first error: no child is polled after it, not even one
//! already woken in the same pass, a child not yet started never starts, and the error comes
//! back unchanged.

#[allow(dead_code)]
mod support;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use cancel_cascade::try_join_all_cancel;
use support::{Log, WakeCounter};

#[test]
fn no_child_is_polled_after_the_error_not_even_one_woken_in_the_same_pass() {
    let log = Log::new();
    let (gates, openers) = log.gates((0..10).map(|index| {
        if index == 4 {
            Err("child 4 failed")
        } else {
            Ok(index)
        }
    }));
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut cx = Context::from_waker(&waker);
    let mut join = try_join_all_cancel(gates);
    assert!(Pin::new(&mut join).poll(&mut cx).is_pending());
    assert_eq!(log.polls(), 10);

    // Woken before the failing child in the same pass: polled. Woken after it: never.
    openers[2].wake();
    openers[7].open();
    openers[4].open();
    openers[9].wake();
    let outcome = Pin::new(&mut join).poll(&mut cx);

    assert_eq!(outcome, Poll::Ready(Err("child 4 failed")));
    assert_eq!(
        &log.poll_order()[10..],
        [2, 4],
        "the pass stopped at the error"
    );
    assert_eq!(
        openers[7].polls(),
        1,
        "child 7 completed, yet was never polled again"
    );
    assert_eq!(openers[9].polls(), 1);
    assert!(openers.iter().all(|opener| opener.drops() == 1));
}

#[test]
fn a_child_not_yet_started_never_starts() {
    let log = Log::new();
    let (gates, openers) = log.gates((0..100).map(|index| {
        if index == 0 {
            Err(format!("child {index} failed"))
        } else {
            Ok(index)
        }
    }));
    openers[0].open();
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut cx = Context::from_waker(&waker);
    let mut join = try_join_all_cancel(gates);

    let outcome = Pin::new(&mut join).poll(&mut cx);

    assert_eq!(outcome, Poll::Ready(Err("child 0 failed".to_owned())));
    assert_eq!(log.poll_order(), [0], "children 1 to 99 were never started");
    assert_eq!(log.drop_order(), (0..100).collect::<Vec<_>>());
}

#[test]
fn a_pending_child_ahead_of_the_error_does_not_hold_it_back() {
    // futures-util's `try_join_all` with more than 30 children withholds an error until every
    // lower-index child completed; here child 0 never completes.
    let log = Log::new();
    let n = 50;
    let (gates, openers) =
        log.gates((0..n).map(|index| if index == 40 { Err(index) } else { Ok(index) }));
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut cx = Context::from_waker(&waker);
    let mut join = try_join_all_cancel(gates);
    assert!(Pin::new(&mut join).poll(&mut cx).is_pending());

    openers[40].open();
    assert_eq!(
        parent.wakes(),
        1,
        "the failing child's wake reached the parent"
    );
    assert_eq!(Pin::new(&mut join).poll(&mut cx), Poll::Ready(Err(40)));
    assert_eq!(openers[0].polls(), 1);
    assert_eq!(log.drops(), n);
}

/// An error that cannot be rebuilt by the combinator: not `Clone`, and its payload has an
/// address that a copy would not share.
#[derive(Debug)]
struct Failure {
    child: usize,
    payload: Box<[u8; 16]>,
}

#[test]
fn the_error_is_returned_unchanged() {
    let log = Log::new();
    let failure = Failure {
        child: 1,
        payload: Box::new([7; 16]),
    };
    let payload_address = std::ptr::from_ref::<[u8; 16]>(&failure.payload);
    let values: [Result<u32, Failure>; 3] = [Ok(10), Err(failure), Ok(30)];
    let (gates, openers) = log.gates(values);
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut cx = Context::from_waker(&waker);
    let mut join = try_join_all_cancel(gates);
    assert!(Pin::new(&mut join).poll(&mut cx).is_pending());

    openers[1].open();
    let Poll::Ready(Err(error)) = Pin::new(&mut join).poll(&mut cx) else {
        panic!("the error did not end the join");
    };

    assert_eq!(error.child, 1);
    assert_eq!(*error.payload, [7; 16]);
    assert!(
        std::ptr::eq(&*error.payload, payload_address),
        "the error was moved out as is, not rebuilt"
    );
}

#[test]
fn the_lowest_index_error_wins_within_a_pass() {
    let log = Log::new();
    let (gates, openers) = log.gates((0..8).map(Err::<(), usize>));
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut cx = Context::from_waker(&waker);
    let mut join = try_join_all_cancel(gates);
    assert!(Pin::new(&mut join).poll(&mut cx).is_pending());

    // Opened in descending order: the order of the wakes must not matter, only the indices.
    for index in [6, 5, 2] {
        openers[index].open();
    }
    assert_eq!(Pin::new(&mut join).poll(&mut cx), Poll::Ready(Err(2)));
    assert_eq!(&log.poll_order()[8..], [2]);
}

#[test]
fn the_outputs_kept_before_the_error_are_dropped_before_ready() {
    let log = Log::new();
    let outputs = Log::new();
    let (gates, openers) = log.gates((0..6).map(|index| {
        if index == 5 {
            Err("child 5 failed")
        } else {
            Ok(outputs.token(index))
        }
    }));
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut cx = Context::from_waker(&waker);
    let mut join = try_join_all_cancel(gates);
    assert!(Pin::new(&mut join).poll(&mut cx).is_pending());

    for index in [3, 1] {
        openers[index].open();
    }
    assert!(Pin::new(&mut join).poll(&mut cx).is_pending());
    assert_eq!(outputs.drops(), 0, "outputs are kept while the join runs");

    openers[5].open();
    let outcome = Pin::new(&mut join).poll(&mut cx);
    let outputs_dropped_at_ready = outputs.drop_order();

    assert!(matches!(outcome, Poll::Ready(Err("child 5 failed"))));
    // Kept outputs (1, 3) and the values still inside unfinished gates go alike, in index order.
    assert_eq!(outputs_dropped_at_ready, [0, 1, 2, 3, 4]);
    assert_eq!(log.drops(), 6);
    drop(join);
    assert_eq!(outputs.drops(), 5, "no output dropped twice");
}
