//! Points 1 and 2 of the contract: lazy; the first poll polls every child in index order; after
//! that a child is polled only if it was woken since its last poll, at most once per parent
//! poll. So N children woken once each cost exactly 2N child polls.

#[allow(dead_code)]
mod support;

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use cancel_cascade::{select_first, try_join_all_cancel, wait_any, SelectFirst, WaitAny};
use support::{watchdog, Gate, Log, Opener, Rng, WakeCounter};

// Several ready-set words of children, and outside miri several summary words too. Under
// miri each child costs milliseconds: fewer (the unit tests of `readiness` cross summary words
// there).
const MEDIUM: usize = if cfg!(miri) { 100 } else { 1000 };
const LARGE: usize = if cfg!(miri) { 200 } else { 10_000 };

#[test]
fn nothing_is_polled_before_the_first_poll() {
    let log = Log::new();
    let (gates, _openers) = log.gates((0..10).map(Ok::<usize, ()>));
    let join = try_join_all_cancel(gates);
    let (gates, _openers) = log.gates(0..10);
    let select = select_first(gates);
    let (gates, _openers) = log.gates(0..10);
    let wait = wait_any(gates);
    let (gates, _openers) = log.gates(0..10);
    let collected: SelectFirst<Gate<usize>> = gates.into_iter().collect();

    assert_eq!(log.polls(), 0);
    drop((join, select, wait, collected));
    assert_eq!(
        log.polls(),
        0,
        "dropping an unpolled combinator polls nothing"
    );
    assert_eq!(log.drops(), 40);
}

#[test]
fn the_first_poll_polls_every_child_once_in_index_order() {
    let n = if cfg!(miri) { MEDIUM } else { 300 };
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut cx = Context::from_waker(&waker);

    let log = Log::new();
    let (gates, _openers) = log.gates((0..n).map(Ok::<usize, ()>));
    let mut join = try_join_all_cancel(gates);
    assert!(Pin::new(&mut join).poll(&mut cx).is_pending());
    assert_eq!(log.poll_order(), (0..n).collect::<Vec<_>>());

    let log = Log::new();
    let (gates, _openers) = log.gates(0..n);
    let mut select = select_first(gates);
    assert!(Pin::new(&mut select).poll(&mut cx).is_pending());
    assert_eq!(log.poll_order(), (0..n).collect::<Vec<_>>());

    let log = Log::new();
    let (gates, _openers) = log.gates(0..n);
    let mut wait = wait_any(gates);
    assert!(Pin::new(&mut wait).poll(&mut cx).is_pending());
    assert_eq!(log.poll_order(), (0..n).collect::<Vec<_>>());

    // Parent polls that no child asked for poll no child.
    for _ in 0..3 {
        assert!(Pin::new(&mut join).poll(&mut cx).is_pending());
        assert!(Pin::new(&mut select).poll(&mut cx).is_pending());
        assert!(Pin::new(&mut wait).poll(&mut cx).is_pending());
    }
    assert_eq!(
        log.polls(),
        n,
        "the last log still holds the first pass only"
    );
    assert_eq!(parent.wakes(), 0);
}

/// Opens (or only wakes) every gate once in a seeded random order, polling the parent after
/// batches of 1 to 8, and returns the parent's last poll.
fn touch_each_once<F: Future + Unpin>(
    combinator: &mut F,
    openers: &[Opener],
    seed: u64,
    open: bool,
) -> Poll<F::Output> {
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut cx = Context::from_waker(&waker);
    assert!(Pin::new(&mut *combinator).poll(&mut cx).is_pending());

    let mut rng = Rng::new(seed);
    let mut order: Vec<usize> = (0..openers.len()).collect();
    rng.shuffle(&mut order);
    let mut remaining = &order[..];
    loop {
        let (batch, rest) = remaining.split_at((1 + rng.below(8)).min(remaining.len()));
        for &index in batch {
            if open {
                openers[index].open();
            } else {
                openers[index].wake();
            }
        }
        remaining = rest;
        let outcome = Pin::new(&mut *combinator).poll(&mut cx);
        if remaining.is_empty() {
            return outcome;
        }
        assert!(outcome.is_pending(), "completed with gates still closed");
    }
}

#[test]
fn n_children_woken_once_each_in_random_order_cost_exactly_2n_polls() {
    for (n, seed) in [(1, 1), (2, 2), (64, 3), (MEDIUM, 4), (LARGE, 5)] {
        let log = Log::new();
        let (gates, openers) = log.gates((0..n).map(Ok::<usize, ()>));
        let mut join = try_join_all_cancel(gates);

        let outcome = touch_each_once(&mut join, &openers, seed, true);

        assert_eq!(outcome, Poll::Ready(Ok((0..n).collect())), "N = {n}");
        assert_eq!(log.polls(), 2 * n, "N = {n}");
        assert!(openers.iter().all(|opener| opener.polls() == 2), "N = {n}");
    }
}

#[test]
fn spurious_wakes_cost_one_poll_each_for_select_first_and_wait_any() {
    for (n, seed) in [(1, 11), (70, 12), (LARGE / 2, 13)] {
        let log = Log::new();
        let (gates, openers) = log.gates(0..n);
        let mut select = select_first(gates);
        assert!(touch_each_once(&mut select, &openers, seed, false).is_pending());
        assert_eq!(log.polls(), 2 * n, "select_first, N = {n}");

        let log = Log::new();
        let (gates, openers) = log.gates(0..n);
        let mut wait = wait_any(gates);
        assert!(touch_each_once(&mut wait, &openers, seed, false).is_pending());
        assert_eq!(log.polls(), 2 * n, "wait_any, N = {n}");

        let parent = WakeCounter::new();
        let waker = parent.waker();
        let mut cx = Context::from_waker(&waker);
        openers[n / 2].open();
        assert_eq!(
            Pin::new(&mut wait).poll(&mut cx),
            Poll::Ready(vec![(n / 2, n / 2)])
        );
        assert_eq!(log.polls(), 2 * n + 1, "only the opened child was polled");
    }
}

#[test]
fn a_child_woken_many_times_between_parent_polls_is_polled_once() {
    let log = Log::new();
    let (gates, openers) = log.gates(0..10);
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut cx = Context::from_waker(&waker);
    let mut wait: WaitAny<_> = gates.into_iter().collect();
    assert!(Pin::new(&mut wait).poll(&mut cx).is_pending());

    for _ in 0..10 {
        openers[3].wake();
    }
    assert!(parent.wakes() >= 1);
    assert!(Pin::new(&mut wait).poll(&mut cx).is_pending());
    assert_eq!(&log.poll_order()[10..], [3]);
}

/// A gate that, each time it is polled, wakes another gate (or itself).
struct Nudger {
    gate: Gate<usize>,
    nudge: Option<Opener>,
}

impl Future for Nudger {
    type Output = usize;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        let outcome = Pin::new(&mut self.gate).poll(cx);
        if let Some(nudge) = &self.nudge {
            nudge.wake();
        }
        outcome
    }
}

#[test]
fn a_child_is_polled_at_most_once_per_parent_poll_even_if_woken_while_polled() {
    // A combinator that drained again and again until no child was left woken would spin
    // here forever, inside a single parent poll.
    watchdog("self-waking children", Duration::from_secs(60), || {
        let n = 200;
        let log = Log::new();
        let (gates, openers) = log.gates(0..n);
        // Child 0 wakes itself, and children 3 and 150 wake each other, on every poll.
        let nudges = |index: usize| match index {
            0 => Some(openers[0].clone()),
            3 => Some(openers[150].clone()),
            150 => Some(openers[3].clone()),
            _ => None,
        };
        let children: Vec<Nudger> = gates
            .into_iter()
            .enumerate()
            .map(|(index, gate)| Nudger {
                gate,
                nudge: nudges(index),
            })
            .collect();
        let parent = WakeCounter::new();
        let waker = parent.waker();
        let mut cx = Context::from_waker(&waker);
        let mut select = select_first(children);
        assert!(Pin::new(&mut select).poll(&mut cx).is_pending());

        for pass in 1..=8 {
            let seen = log.polls();
            let wakes = parent.wakes();
            assert!(Pin::new(&mut select).poll(&mut cx).is_pending());
            let polled = log.poll_order()[seen..].to_vec();
            let distinct: HashSet<usize> = polled.iter().copied().collect();

            assert_eq!(
                distinct.len(),
                polled.len(),
                "pass {pass} polled {polled:?}"
            );
            assert!(polled.contains(&0), "pass {pass}: the self-waking child");
            assert!(
                polled.contains(&3) || polled.contains(&150),
                "pass {pass}: the ping-pong pair lost its wake-up: {polled:?}"
            );
            assert!(
                polled.iter().all(|index| [0, 3, 150].contains(index)),
                "pass {pass}: a quiet child was polled: {polled:?}"
            );
            assert!(
                parent.wakes() > wakes,
                "pass {pass}: a child woken during the pass must wake the parent"
            );
        }
    });
}

/// Polls `select` once and returns the children it polled.
fn pass(select: &mut SelectFirst<Nudger>, log: &Log, cx: &mut Context<'_>) -> Vec<usize> {
    let seen = log.polls();
    assert!(Pin::new(select).poll(cx).is_pending());
    log.poll_order()[seen..].to_vec()
}

#[test]
fn a_wake_from_a_sibling_before_the_childs_poll_in_the_same_pass_is_satisfied_by_that_poll() {
    let log = Log::new();
    let (gates, openers) = log.gates(0..4);
    // Child 0 wakes child 1, in the same word of the ready set, on every poll.
    let nudges = [Some(openers[1].clone()), None, None, None];
    let children: Vec<Nudger> = gates
        .into_iter()
        .zip(nudges)
        .map(|(gate, nudge)| Nudger { gate, nudge })
        .collect();
    let waker = WakeCounter::new().waker();
    let mut cx = Context::from_waker(&waker);
    let mut select = select_first(children);
    assert_eq!(pass(&mut select, &log, &mut cx), [0, 1, 2, 3]);

    // Children 0 and 1 woken: 0 wakes 1 again before 1's poll in the same pass.
    openers[0].wake();
    openers[1].wake();
    assert_eq!(pass(&mut select, &log, &mut cx), [0, 1]);
    assert_eq!(
        pass(&mut select, &log, &mut cx),
        [],
        "child 1 was polled after its sibling's wake: nothing woke it since"
    );

    // Child 0 alone: its wake of child 1 comes after 1's turn in the pass, so 1 is polled at
    // the next pass.
    openers[0].wake();
    assert_eq!(pass(&mut select, &log, &mut cx), [0]);
    assert_eq!(pass(&mut select, &log, &mut cx), [1]);
    assert_eq!(pass(&mut select, &log, &mut cx), []);
}

/// A child that wakes itself while it is polled is polled again at the next parent poll: the
/// wake came during its poll, which may have missed what it announces.
#[test]
fn a_wake_during_the_childs_own_poll_polls_it_at_the_next_pass() {
    let log = Log::new();
    let (gates, openers) = log.gates(0..3);
    let nudges = [None, Some(openers[1].clone()), None];
    let children: Vec<Nudger> = gates
        .into_iter()
        .zip(nudges)
        .map(|(gate, nudge)| Nudger { gate, nudge })
        .collect();
    let waker = WakeCounter::new().waker();
    let mut cx = Context::from_waker(&waker);
    let mut select = select_first(children);
    assert_eq!(pass(&mut select, &log, &mut cx), [0, 1, 2]);
    for _ in 0..3 {
        assert_eq!(pass(&mut select, &log, &mut cx), [1]);
    }
}
