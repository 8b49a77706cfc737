//! Point 3 of the contract: once the outcome is decided, every child that has not completed is
//! dropped, exactly once, in index order, inside the `poll` that returns `Ready`. The drop log
//! is read the moment `poll` returns, while the combinator is still alive, so a drop deferred
//! to the combinator's destructor shows up as missing.

#[allow(dead_code)]
mod support;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use cancel_cascade::{select_first, try_join_all_cancel, wait_any};
use support::{Log, WakeCounter};

// futures-util's `try_join_all` switches strategy above 30 children; 1000 spans several
// ready-set words and 4097 more than one summary word. Under miri, where each child costs
// milliseconds, 65 and 130 still span several words (the unit tests of `readiness` cross
// summary words there).
const SIZES: [usize; 5] = if cfg!(miri) {
    [1, 2, 31, 65, 130]
} else {
    [1, 2, 31, 1000, 4097]
};

/// Checks the drop log read at `Ready`: every child dropped once, and apart from the children
/// that completed (dropped as they completed), in ascending index order.
fn assert_all_dropped_in_index_order(drop_order: &[usize], n: usize, completed: &[usize]) {
    let mut once_each = drop_order.to_vec();
    once_each.sort_unstable();
    assert_eq!(
        once_each,
        (0..n).collect::<Vec<_>>(),
        "N = {n}: every child dropped exactly once before `Ready`"
    );
    let siblings: Vec<usize> = drop_order
        .iter()
        .copied()
        .filter(|index| !completed.contains(index))
        .collect();
    let ascending: Vec<usize> = (0..n).filter(|index| !completed.contains(index)).collect();
    assert_eq!(
        siblings, ascending,
        "N = {n}: siblings dropped in index order"
    );
}

#[test]
fn try_join_all_cancel_drops_the_siblings_of_an_error_before_ready() {
    for n in SIZES {
        let log = Log::new();
        let failing = n / 2;
        let (gates, openers) = log.gates((0..n).map(|index| {
            if index == failing {
                Err(format!("child {index} failed"))
            } else {
                Ok(index)
            }
        }));
        let parent = WakeCounter::new();
        let waker = parent.waker();
        let mut cx = Context::from_waker(&waker);
        let mut join = try_join_all_cancel(gates);

        assert!(Pin::new(&mut join).poll(&mut cx).is_pending());
        assert_eq!(log.drops(), 0, "N = {n}: nothing dropped while pending");

        openers[failing].open();
        let outcome = Pin::new(&mut join).poll(&mut cx);
        let dropped_at_ready = log.drop_order();

        assert_eq!(outcome, Poll::Ready(Err(format!("child {failing} failed"))));
        assert_all_dropped_in_index_order(&dropped_at_ready, n, &[failing]);
        drop(join);
        assert!(
            openers.iter().all(|opener| opener.drops() == 1),
            "N = {n}: dropping the finished combinator drops no child again"
        );
    }
}

#[test]
fn select_first_drops_the_losers_before_ready() {
    for n in SIZES {
        let log = Log::new();
        let (gates, openers) = log.gates(0..n);
        let parent = WakeCounter::new();
        let waker = parent.waker();
        let mut cx = Context::from_waker(&waker);
        let mut select = select_first(gates);

        assert!(Pin::new(&mut select).poll(&mut cx).is_pending());
        let winner = n - 1;
        openers[winner].open();
        let outcome = Pin::new(&mut select).poll(&mut cx);
        let dropped_at_ready = log.drop_order();

        assert_eq!(outcome, Poll::Ready((winner, winner)));
        assert_all_dropped_in_index_order(&dropped_at_ready, n, &[winner]);
        drop(select);
        assert!(openers.iter().all(|opener| opener.drops() == 1), "N = {n}");
    }
}

#[test]
fn wait_any_drops_the_pending_children_before_ready() {
    for n in SIZES {
        let log = Log::new();
        let (gates, openers) = log.gates(0..n);
        let parent = WakeCounter::new();
        let waker = parent.waker();
        let mut cx = Context::from_waker(&waker);
        let mut wait = wait_any(gates);

        assert!(Pin::new(&mut wait).poll(&mut cx).is_pending());
        let mut done = vec![n / 2, 0];
        done.dedup();
        for &index in &done {
            openers[index].open();
        }
        let outcome = Pin::new(&mut wait).poll(&mut cx);
        let dropped_at_ready = log.drop_order();

        done.sort_unstable();
        let expected: Vec<(usize, usize)> = done.iter().map(|&index| (index, index)).collect();
        assert_eq!(outcome, Poll::Ready(expected));
        assert_all_dropped_in_index_order(&dropped_at_ready, n, &done);
        drop(wait);
        assert!(openers.iter().all(|opener| opener.drops() == 1), "N = {n}");
    }
}

#[test]
fn an_outcome_decided_on_the_first_poll_drops_the_children_never_polled() {
    for n in SIZES {
        let log = Log::new();
        let (gates, openers) = log.gates(0..n);
        openers[0].open();
        let parent = WakeCounter::new();
        let waker = parent.waker();
        let mut cx = Context::from_waker(&waker);
        let mut select = select_first(gates);

        let outcome = Pin::new(&mut select).poll(&mut cx);
        let dropped_at_ready = log.drop_order();

        assert_eq!(outcome, Poll::Ready((0, 0)));
        assert_eq!(dropped_at_ready, (0..n).collect::<Vec<_>>(), "N = {n}");
        assert_eq!(log.polls(), 1, "N = {n}: only the winner was ever polled");
    }
}

#[test]
fn try_join_all_cancel_drops_each_child_as_it_completes() {
    let log = Log::new();
    let (gates, openers) = log.gates((0..5).map(Ok::<usize, String>));
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut cx = Context::from_waker(&waker);
    let mut join = try_join_all_cancel(gates);
    assert!(Pin::new(&mut join).poll(&mut cx).is_pending());

    openers[3].open();
    assert!(Pin::new(&mut join).poll(&mut cx).is_pending());
    assert_eq!(log.drop_order(), [3]);

    for index in [0, 4, 1] {
        openers[index].open();
    }
    assert!(Pin::new(&mut join).poll(&mut cx).is_pending());
    assert_eq!(
        log.drop_order(),
        [3, 0, 1, 4],
        "completed children dropped in pass order"
    );

    openers[2].open();
    assert_eq!(
        Pin::new(&mut join).poll(&mut cx),
        Poll::Ready(Ok(vec![0, 1, 2, 3, 4]))
    );
    assert_eq!(log.drop_order(), [3, 0, 1, 4, 2]);
}

#[test]
fn a_decision_cascades_through_nested_combinators_before_ready() {
    let log = Log::new();
    let mut openers = Vec::new();
    let mut inner_joins = Vec::new();
    for group in 0..3 {
        let mut gates = Vec::new();
        for member in 0..4 {
            let index = group * 4 + member;
            let value = if index == 6 {
                Err(format!("child {index} failed"))
            } else {
                Ok(index)
            };
            let (gate, opener) = log.gate(index, value);
            gates.push(gate);
            openers.push(opener);
        }
        inner_joins.push(try_join_all_cancel(gates));
    }
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut cx = Context::from_waker(&waker);
    let mut outer = try_join_all_cancel(inner_joins);
    assert!(Pin::new(&mut outer).poll(&mut cx).is_pending());

    openers[6].open();
    let outcome = Pin::new(&mut outer).poll(&mut cx);
    let dropped_at_ready = log.drop_order();

    assert_eq!(outcome, Poll::Ready(Err("child 6 failed".to_owned())));
    // The failing child goes first, then its siblings in the inner join, then the other inner
    // joins, each dropping its own children in order.
    assert_eq!(dropped_at_ready, [6, 4, 5, 7, 0, 1, 2, 3, 8, 9, 10, 11]);
    assert_eq!(parent.wakes(), 1, "one wake-up travelled up two levels");
}
