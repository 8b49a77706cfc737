//! The bounded forms, `try_join_all_cancel_limit` and `as_completed_limit`, keep the contract
//! the other combinators keep although they reuse their slots: a child is polled only when it
//! was woken (a waker its slot's earlier child left behind wakes no one), the children in
//! flight are dropped in input order whatever slots they hold, and the first error drops the
//! iterator even if the failing child's destructor panics. Polled by hand.

#[allow(dead_code)]
mod support;

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll};

use cancel_cascade::{as_completed_limit, try_join_all_cancel_limit};
use futures::stream::Stream;
use support::{quiet_panics_containing, Gate, Log, Opener, WakeCounter};

const DESTRUCTOR_PANIC: &str = "a failed child's destructor panicked";

/// Fails once its gate opens (at once without a gate); its destructor panics.
struct FailsAndPanicsOnDrop(Option<Gate<()>>);

impl Future for FailsAndPanicsOnDrop {
    type Output = Result<u8, &'static str>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(gate) = &mut self.0 {
            std::task::ready!(Pin::new(gate).poll(cx));
        }
        Poll::Ready(Err("failed"))
    }
}

impl Drop for FailsAndPanicsOnDrop {
    fn drop(&mut self) {
        panic!("{DESTRUCTOR_PANIC}");
    }
}

type Child = Pin<Box<dyn Future<Output = Result<u8, &'static str>>>>;

/// An iterator over `items` that records when it is dropped.
struct Inputs<I> {
    items: I,
    dropped: Arc<AtomicBool>,
}

impl<I: Iterator> Iterator for Inputs<I> {
    type Item = I::Item;

    fn next(&mut self) -> Option<I::Item> {
        self.items.next()
    }
}

impl<I> Drop for Inputs<I> {
    fn drop(&mut self) {
        self.dropped.store(true, SeqCst);
    }
}

fn inputs<I: IntoIterator>(items: I) -> (Inputs<I::IntoIter>, Arc<AtomicBool>) {
    let dropped = Arc::new(AtomicBool::new(false));
    let inputs = Inputs {
        items: items.into_iter(),
        dropped: Arc::clone(&dropped),
    };
    (inputs, dropped)
}

/// The error is decided when the child fails; the panic of its destructor must not keep the
/// iterator alive past that decision (no future may be created after the error, and none is
/// kept).
fn the_iterator_goes_with_the_error(failing_is_woken_later: bool) {
    quiet_panics_containing(DESTRUCTOR_PANIC);
    let (gate, opener) = Log::new().gate(0, ());
    // Pending at its first poll and failing once opened, or failing at once.
    let failing = FailsAndPanicsOnDrop(failing_is_woken_later.then_some(gate));
    let pending = || -> Child { Box::pin(std::future::pending()) };
    let ready = || -> Child { Box::pin(async { Ok(0) }) };
    let children = [Box::pin(failing), pending(), pending()]
        .into_iter()
        .chain(std::iter::repeat_with(ready).take(10));
    let (children, dropped) = inputs(children);
    let waker = WakeCounter::new().waker();
    let mut cx = Context::from_waker(&waker);
    let mut join = try_join_all_cancel_limit(children, 3);
    if failing_is_woken_later {
        assert!(Pin::new(&mut join).poll(&mut cx).is_pending());
        opener.open();
    }
    let caught = catch_unwind(AssertUnwindSafe(|| Pin::new(&mut join).poll(&mut cx)));
    assert!(caught.is_err(), "the destructor's panic passes through");
    assert!(
        dropped.load(SeqCst),
        "the iterator is dropped in the poll that saw the error"
    );
    assert_eq!(
        Pin::new(&mut join).poll(&mut cx),
        Poll::Ready(Err("failed"))
    );
    assert!(dropped.load(SeqCst));
}

#[test]
fn an_error_at_a_childs_first_poll_drops_the_iterator_though_its_destructor_panics() {
    the_iterator_goes_with_the_error(false);
}

#[test]
fn an_error_at_a_later_poll_drops_the_iterator_though_its_destructor_panics() {
    the_iterator_goes_with_the_error(true);
}

/// Children 0, 1, 2 start in slots 0, 1, 2; child 0 completes and child 3 takes slot 0. The
/// children in flight are 1, 2 and 3, in slots 1, 2 and 0.
fn with_slot_0_reused<T>(
    start: impl FnOnce(Vec<Gate<Result<usize, usize>>>) -> T,
    poll: impl Fn(&mut T, &mut Context<'_>) -> bool,
) -> (T, Arc<Log>, Vec<Opener>) {
    let log = Log::new();
    let (gates, openers) = log.gates((0..6).map(Ok));
    let waker = WakeCounter::new().waker();
    let mut cx = Context::from_waker(&waker);
    let mut bounded = start(gates);
    assert!(!poll(&mut bounded, &mut cx));
    openers[0].open();
    assert!(!poll(&mut bounded, &mut cx));
    assert_eq!(log.poll_order(), [0, 1, 2, 0, 3]);
    assert_eq!(log.drop_order(), [0]);
    (bounded, log, openers)
}

fn poll_join<F: Future + Unpin>(join: &mut F, cx: &mut Context<'_>) -> bool {
    Pin::new(join).poll(cx).is_ready()
}

fn poll_stream<S: Stream + Unpin>(stream: &mut S, cx: &mut Context<'_>) -> bool {
    // The output of child 0 is yielded at once; only `Pending` means nothing was ready.
    while let Poll::Ready(item) = Pin::new(&mut *stream).poll_next(cx) {
        if item.is_none() {
            return true;
        }
    }
    false
}

#[test]
fn dropping_a_join_drops_the_children_in_flight_in_input_order() {
    let (join, log, _openers) =
        with_slot_0_reused(|gates| try_join_all_cancel_limit(gates, 3), poll_join);
    drop(join);
    // The children in flight, then the inputs not pulled yet, with the iterator.
    assert_eq!(log.drop_order(), [0, 1, 2, 3, 4, 5]);
}

#[test]
fn an_error_drops_the_children_in_flight_in_input_order() {
    let (mut join, log, openers) = with_slot_0_reused(
        |gates| {
            let failing = gates.into_iter().map(|gate| async move {
                // Child 1 fails.
                gate.await.and_then(|i| if i == 1 { Err(i) } else { Ok(i) })
            });
            try_join_all_cancel_limit(failing.map(Box::pin), 3)
        },
        poll_join,
    );
    openers[1].open();
    let waker = WakeCounter::new().waker();
    let outcome = Pin::new(&mut join).poll(&mut Context::from_waker(&waker));
    assert_eq!(outcome, Poll::Ready(Err(1)));
    // The failed child, the iterator as the error is seen, then the children in flight.
    assert_eq!(log.drop_order(), [0, 1, 4, 5, 2, 3]);
}

#[test]
fn dropping_a_stream_drops_the_children_in_flight_in_input_order() {
    let (stream, log, _openers) =
        with_slot_0_reused(|gates| as_completed_limit(gates, 3), poll_stream);
    drop(stream);
    assert_eq!(log.drop_order(), [0, 1, 2, 3, 4, 5]);
}

/// A child whose destructor may panic.
struct Exploding<F>(F, bool);

impl<F: Future + Unpin> Future for Exploding<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        Pin::new(&mut self.0).poll(cx)
    }
}

impl<F> Drop for Exploding<F> {
    fn drop(&mut self) {
        if self.1 {
            panic!("{DESTRUCTOR_PANIC}");
        }
    }
}

#[test]
fn a_panicking_destructor_leaves_the_rest_of_the_children_in_flight_dropped_in_input_order() {
    quiet_panics_containing(DESTRUCTOR_PANIC);
    let (join, log, _openers) = with_slot_0_reused(
        |gates| {
            let children = gates.into_iter().enumerate();
            try_join_all_cancel_limit(children.map(|(i, gate)| Exploding(gate, i == 2)), 3)
        },
        poll_join,
    );
    assert!(catch_unwind(AssertUnwindSafe(move || drop(join))).is_err());
    assert_eq!(log.drop_order(), [0, 1, 2, 3, 4, 5]);
}

/// Child 0 completes in the only slot, and child 1 takes it; the waker child 0 left behind (a
/// timer's, say) ticks ten times. Child 1 was never woken: it is not polled again, and its
/// own wake still reaches it.
fn a_stale_waker_wakes_no_one<T>(
    start: impl FnOnce(Vec<Gate<Result<usize, usize>>>) -> T,
    poll: impl Fn(&mut T, &mut Context<'_>) -> bool,
) {
    let log = Log::new();
    let (gates, openers) = log.gates((0..2).map(Ok));
    let waker = WakeCounter::new().waker();
    let mut cx = Context::from_waker(&waker);
    let mut bounded = start(gates);
    assert!(!poll(&mut bounded, &mut cx));
    let left_behind = openers[0].waker();
    openers[0].open();
    assert!(!poll(&mut bounded, &mut cx));
    assert_eq!(log.poll_order(), [0, 0, 1]);
    for _ in 0..10 {
        left_behind.wake_by_ref();
        assert!(!poll(&mut bounded, &mut cx));
    }
    assert_eq!(openers[1].polls(), 1, "child 1 was polled without a wake");
    openers[1].open();
    assert!(poll(&mut bounded, &mut cx));
    assert_eq!(log.poll_order(), [0, 0, 1, 1]);
}

#[test]
fn a_stale_waker_of_a_slots_earlier_child_does_not_poll_a_joins_new_child() {
    a_stale_waker_wakes_no_one(|gates| try_join_all_cancel_limit(gates, 1), poll_join);
}

#[test]
fn a_stale_waker_of_a_slots_earlier_child_does_not_poll_a_streams_new_child() {
    a_stale_waker_wakes_no_one(|gates| as_completed_limit(gates, 1), poll_stream);
}
