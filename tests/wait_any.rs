//! `wait_any` semantics: every child that completed during the parent poll in which the first
//! completion was seen, as `(index, output)` in ascending index order; never empty.

#[allow(dead_code)]
mod support;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use cancel_cascade::{wait_any, WaitAny};
use support::{Log, WakeCounter};

#[test]
fn reports_every_child_done_in_the_deciding_pass_in_ascending_order() {
    let log = Log::new();
    let (gates, openers) = log.gates((0..12).map(|index| format!("output {index}")));
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut cx = Context::from_waker(&waker);
    let mut wait = wait_any(gates);
    assert!(Pin::new(&mut wait).poll(&mut cx).is_pending());

    for index in [9, 2, 7] {
        openers[index].open();
    }
    let outcome = Pin::new(&mut wait).poll(&mut cx);

    let expected: Vec<(usize, String)> = [2, 7, 9]
        .into_iter()
        .map(|index| (index, format!("output {index}")))
        .collect();
    assert_eq!(outcome, Poll::Ready(expected));
    assert_eq!(&log.poll_order()[12..], [2, 7, 9]);
    assert_eq!(log.drops(), 12);
}

#[test]
fn children_ready_on_the_first_poll_are_all_reported() {
    let log = Log::new();
    let (gates, openers) = log.gates(0..6);
    for index in [5, 1, 3] {
        openers[index].open();
    }
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut cx = Context::from_waker(&waker);
    let mut wait: WaitAny<_> = gates.into_iter().collect();

    assert_eq!(
        Pin::new(&mut wait).poll(&mut cx),
        Poll::Ready(vec![(1, 1), (3, 3), (5, 5)])
    );
    // Unlike `select_first`, the deciding pass goes on to the last woken child.
    assert_eq!(log.poll_order(), [0, 1, 2, 3, 4, 5]);
}

#[test]
fn a_woken_child_still_pending_in_the_deciding_pass_is_dropped_not_reported() {
    let log = Log::new();
    let (gates, openers) = log.gates(0..10);
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut cx = Context::from_waker(&waker);
    let mut wait = wait_any(gates);
    assert!(Pin::new(&mut wait).poll(&mut cx).is_pending());

    openers[4].open();
    openers[8].wake();
    let outcome = Pin::new(&mut wait).poll(&mut cx);
    let dropped_at_ready = log.drop_order();

    assert_eq!(outcome, Poll::Ready(vec![(4, 4)]));
    assert_eq!(openers[8].polls(), 2, "polled in the deciding pass");
    assert_eq!(dropped_at_ready, [4, 0, 1, 2, 3, 5, 6, 7, 8, 9]);
}

#[test]
fn never_ready_with_an_empty_vec() {
    let log = Log::new();
    let (gates, openers) = log.gates(0..3);
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut cx = Context::from_waker(&waker);
    let mut wait = wait_any(gates);

    assert!(Pin::new(&mut wait).poll(&mut cx).is_pending());
    assert!(
        Pin::new(&mut wait).poll(&mut cx).is_pending(),
        "a parent poll with no wake"
    );
    for opener in &openers {
        opener.wake();
    }
    assert!(
        Pin::new(&mut wait).poll(&mut cx).is_pending(),
        "wakes without completion"
    );
    assert_eq!(log.drops(), 0);

    openers[1].open();
    assert_eq!(Pin::new(&mut wait).poll(&mut cx), Poll::Ready(vec![(1, 1)]));
}
