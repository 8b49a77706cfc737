//! Point 5 of the contract: a child's panic propagates out of `poll`; the other children are
//! dropped exactly once (no leak, no double drop) when the combinator is dropped, including
//! during the unwinding itself.

#[allow(dead_code)]
mod support;

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use cancel_cascade::{select_first, try_join_all_cancel, wait_any};
use futures::future::Either;
use support::{panic_message, Gate, Log, Opener, WakeCounter};

/// A gate that panics instead of completing. The gate stays inside, so its drop is counted
/// with the combinator's.
struct Explode<T>(Gate<T>);

impl<T> Future for Explode<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        match Pin::new(&mut self.0).poll(cx) {
            Poll::Ready(_) => panic!("a child exploded"),
            Poll::Pending => Poll::Pending,
        }
    }
}

type Child<T> = Either<Gate<T>, Explode<T>>;

const CHILDREN: usize = 10;
const BOMB: usize = 6;

/// Ten gates, the one at `BOMB` wrapped to panic when opened.
fn children<T>(log: &Arc<Log>, value: impl Fn(usize) -> T) -> (Vec<Child<T>>, Vec<Opener>) {
    let (gates, openers) = log.gates((0..CHILDREN).map(value));
    let children = gates
        .into_iter()
        .enumerate()
        .map(|(index, gate)| {
            if index == BOMB {
                Either::Right(Explode(gate))
            } else {
                Either::Left(gate)
            }
        })
        .collect();
    (children, openers)
}

fn poll<F: Future + Unpin>(combinator: &mut F, parent: &Arc<WakeCounter>) -> Poll<F::Output> {
    let waker = parent.waker();
    Pin::new(combinator).poll(&mut Context::from_waker(&waker))
}

/// Opens the bomb after a first pass, catches its panic out of `poll`, then drops the
/// combinator and checks every child went exactly once, in index order.
fn panic_then_drop<T, F: Future + Unpin>(
    value: impl Fn(usize) -> T,
    combine: impl FnOnce(Vec<Child<T>>) -> F,
) {
    let log = Log::new();
    let (children, openers) = children(&log, value);
    let parent = WakeCounter::new();
    let mut combinator = combine(children);
    assert!(poll(&mut combinator, &parent).is_pending());

    openers[BOMB].open();
    let caught = catch_unwind(AssertUnwindSafe(|| {
        poll(&mut combinator, &parent).is_ready()
    }));

    match caught {
        Ok(ready) => panic!("the child's panic was swallowed (ready: {ready})"),
        Err(payload) => assert_eq!(panic_message(payload), "a child exploded"),
    }
    drop(combinator);
    assert!(openers.iter().all(|opener| opener.drops() == 1));
    assert_eq!(log.drop_order(), (0..CHILDREN).collect::<Vec<_>>());
}

#[test]
fn the_panic_propagates_and_dropping_the_combinator_drops_every_child_once() {
    panic_then_drop(Ok::<usize, ()>, try_join_all_cancel);
    panic_then_drop(|index| index, select_first);
    panic_then_drop(|index| index, wait_any);
}

/// Polls the combinator inside `catch_unwind`, so the unwinding itself drops it.
fn dropped_while_unwinding<T, F: Future + Unpin>(
    value: impl Fn(usize) -> T,
    combine: impl FnOnce(Vec<Child<T>>) -> F,
) {
    let log = Log::new();
    let (children, openers) = children(&log, value);
    openers[BOMB].open();
    let parent = WakeCounter::new();
    let mut combinator = combine(children);

    let caught = catch_unwind(AssertUnwindSafe(move || {
        poll(&mut combinator, &parent).is_ready()
    }));

    assert!(caught.is_err(), "the child's panic passed through");
    assert_eq!(
        log.poll_order(),
        (0..=BOMB).collect::<Vec<_>>(),
        "the panic ended the pass"
    );
    assert!(openers.iter().all(|opener| opener.drops() == 1));
    assert_eq!(log.drop_order(), (0..CHILDREN).collect::<Vec<_>>());
}

#[test]
fn a_combinator_dropped_during_the_unwinding_drops_every_child_once() {
    dropped_while_unwinding(Ok::<usize, ()>, try_join_all_cancel);
    dropped_while_unwinding(|index| index, select_first);
    dropped_while_unwinding(|index| index, wait_any);
}

#[test]
fn polling_again_after_a_caught_panic_loses_no_wake_up() {
    let log = Log::new();
    let (children, openers) = children(&log, |index| index);
    let parent = WakeCounter::new();
    let mut wait = wait_any(children);
    assert!(poll(&mut wait, &parent).is_pending());

    // The pass panics at the bomb before it reaches children 7 and 9, woken with it.
    for index in [BOMB, 7, 9] {
        openers[index].open();
    }
    assert!(catch_unwind(AssertUnwindSafe(|| poll(&mut wait, &parent).is_ready())).is_err());
    assert_eq!(openers[7].polls(), 1);

    // The bomb, not woken again, is not polled again (its gate would panic if it were).
    assert_eq!(poll(&mut wait, &parent), Poll::Ready(vec![(7, 7), (9, 9)]));
    assert_eq!(openers[BOMB].polls(), 2);
    assert_eq!(log.drops(), CHILDREN);
}
