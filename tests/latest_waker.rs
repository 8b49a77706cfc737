//! Point 2 of the contract, last clause: a child's wake reaches the waker of the parent's
//! latest poll, even when that child kept the waker of an older pass (it was not polled since).

#[allow(dead_code)]
mod support;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::thread;

use cancel_cascade::{select_first, try_join_all_cancel, wait_any};
use support::{Log, Opener, WakeCounter};

/// Polls `combinator` with each parent in turn, then wakes the child behind `opener` and
/// returns how many wake-ups each parent has received so far.
fn wakes_per_parent<F: Future + Unpin>(
    combinator: &mut F,
    parents: &[Arc<WakeCounter>],
    opener: &Opener,
) -> Vec<usize> {
    for parent in parents {
        let waker = parent.waker();
        assert!(Pin::new(&mut *combinator)
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
    }
    opener.wake();
    parents.iter().map(|parent| parent.wakes()).collect()
}

#[test]
fn the_wake_reaches_the_latest_parent_waker() {
    let parents: Vec<_> = (0..3).map(|_| WakeCounter::new()).collect();
    let log = Log::new();

    let (gates, openers) = log.gates((0..100).map(Ok::<usize, ()>));
    let mut join = try_join_all_cancel(gates);
    assert_eq!(
        wakes_per_parent(&mut join, &parents, &openers[70]),
        [0, 0, 1]
    );

    let (gates, openers) = log.gates(0..100);
    let mut select = select_first(gates);
    assert_eq!(
        wakes_per_parent(&mut select, &parents, &openers[70]),
        [0, 0, 2]
    );

    let (gates, openers) = log.gates(0..100);
    let mut wait = wait_any(gates);
    assert_eq!(
        wakes_per_parent(&mut wait, &parents, &openers[70]),
        [0, 0, 3]
    );
}

#[test]
fn going_back_to_an_earlier_waker_moves_the_wake_back_too() {
    let first = WakeCounter::new();
    let second = WakeCounter::new();
    let log = Log::new();
    let (gates, openers) = log.gates(0..4);
    let mut wait = wait_any(gates);

    for (round, parent) in [&first, &second, &first, &second, &first]
        .into_iter()
        .enumerate()
    {
        let waker = parent.waker();
        let mut cx = Context::from_waker(&waker);
        assert!(Pin::new(&mut wait).poll(&mut cx).is_pending());
        openers[round % 4].wake();
    }
    assert_eq!((first.wakes(), second.wakes()), (3, 2));
}

#[test]
fn the_winning_wake_after_a_waker_change_completes_the_combinator() {
    let old = WakeCounter::new();
    let new = WakeCounter::new();
    let log = Log::new();
    let (gates, openers) = log.gates(0..10);
    let mut select = select_first(gates);
    let old_waker = old.waker();
    assert!(Pin::new(&mut select)
        .poll(&mut Context::from_waker(&old_waker))
        .is_pending());
    let new_waker = new.waker();
    let mut cx = Context::from_waker(&new_waker);
    assert!(Pin::new(&mut select).poll(&mut cx).is_pending());

    // The child still holds the waker it got in the first pass; its wake must still find the
    // new parent.
    thread::spawn({
        let opener = openers[6].clone();
        move || opener.open()
    })
    .join()
    .unwrap();

    assert_eq!((old.wakes(), new.wakes()), (0, 1));
    assert_eq!(Pin::new(&mut select).poll(&mut cx), Poll::Ready((6, 6)));
}
