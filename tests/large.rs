//! 200 000 children (300 under miri): every combinator completes, drops every child exactly
//! once, and takes reasonable time even when the children are woken one per parent poll (a
//! ready set scanned whole on every parent poll would take minutes here; the watchdog fails it).

#[allow(dead_code)]
mod support;

use std::future::{ready, Future};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use cancel_cascade::{select_first, try_join_all_cancel, wait_any};
use support::{watchdog, Log, Rng, WakeCounter};

// Under miri, where each child costs milliseconds, a few leaf words (the unit tests of
// `readiness` cross summary words there).
const N: usize = if cfg!(miri) { 300 } else { 200_000 };
// Unoptimised builds on a busy machine: generous, yet far below a quadratic run.
const LIMIT: Duration = Duration::from_secs(120);

#[test]
fn try_join_all_cancel_with_children_woken_one_per_parent_poll() {
    watchdog(&format!("{N} children woken one by one"), LIMIT, || {
        let log = Log::new();
        let (gates, openers) = log.gates((0..N).map(Ok::<usize, ()>));
        let parent = WakeCounter::new();
        let waker = parent.waker();
        let mut cx = Context::from_waker(&waker);
        let mut join = try_join_all_cancel(gates);
        assert!(Pin::new(&mut join).poll(&mut cx).is_pending());

        let mut order: Vec<usize> = (0..N).collect();
        Rng::new(200_000).shuffle(&mut order);
        let (last, rest) = order.split_last().unwrap();
        for &index in rest {
            openers[index].open();
            assert!(Pin::new(&mut join).poll(&mut cx).is_pending());
        }
        openers[*last].open();
        let outcome = Pin::new(&mut join).poll(&mut cx);

        assert!(
            outcome == Poll::Ready(Ok((0..N).collect())),
            "outputs in input order"
        );
        assert_eq!(log.polls(), 2 * N);
        assert_eq!(log.drops(), N);
        assert_eq!(parent.wakes(), N, "one parent wake-up per opened child");
    });
}

#[test]
fn select_first_drops_199_999_losers_in_order_before_ready() {
    watchdog(&format!("select_first over {N} children"), LIMIT, || {
        let log = Log::new();
        let (gates, openers) = log.gates(0..N);
        let parent = WakeCounter::new();
        let waker = parent.waker();
        let mut cx = Context::from_waker(&waker);
        let mut select = select_first(gates);
        assert!(Pin::new(&mut select).poll(&mut cx).is_pending());

        openers[N - 1].open();
        let outcome = Pin::new(&mut select).poll(&mut cx);
        let dropped_at_ready = log.drop_order();

        assert_eq!(outcome, Poll::Ready((N - 1, N - 1)));
        assert_eq!(dropped_at_ready.len(), N);
        assert_eq!(
            dropped_at_ready[0],
            N - 1,
            "the winner went as it completed"
        );
        assert!(
            dropped_at_ready[1..].iter().copied().eq(0..N - 1),
            "the losers went in index order"
        );
        assert_eq!(log.polls(), N + 1);
    });
}

#[test]
fn wait_any_reports_200_000_children_ready_at_once() {
    watchdog(&format!("wait_any over {N} ready children"), LIMIT, || {
        let outputs = Log::new();
        let children: Vec<_> = (0..N).map(|index| ready(outputs.token(index))).collect();
        let parent = WakeCounter::new();
        let waker = parent.waker();
        let mut cx = Context::from_waker(&waker);
        let mut wait = wait_any(children);

        let Poll::Ready(done) = Pin::new(&mut wait).poll(&mut cx) else {
            panic!("every child was ready on the first poll");
        };

        assert_eq!(done.len(), N);
        assert!(done
            .iter()
            .enumerate()
            .all(|(at, (index, token))| at == *index && token.index() == at));
        assert_eq!(outputs.drops(), 0, "the outputs belong to the caller now");
        drop(done);
        assert_eq!(outputs.drops(), N);
    });
}
