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

use cancel_cascade::try_join_all_cancel_limit;
use support::{quiet_panics_containing, Gate, WakeCounter};

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
    let (gate, opener) = support::Log::new().gate(0, ());
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
