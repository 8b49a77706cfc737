//! `select_first` semantics: `(output, index)` of the first child to complete; of children
//! ready in the same pass the lowest index wins, and no child is polled after the winner.

#[allow(dead_code)]
mod support;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use cancel_cascade::{select_first, SelectFirst};
use support::{watchdog, Log, WakeCounter};

#[test]
fn returns_the_output_and_the_index_of_the_first_child_to_complete() {
    let log = Log::new();
    let (gates, openers) = log.gates(["zero", "one", "two", "three", "four", "five"]);
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut cx = Context::from_waker(&waker);
    let mut select = select_first(gates);
    assert!(Pin::new(&mut select).poll(&mut cx).is_pending());

    openers[5].open();
    assert_eq!(
        Pin::new(&mut select).poll(&mut cx),
        Poll::Ready(("five", 5))
    );
    assert_eq!(parent.wakes(), 1);
}

#[test]
fn the_lowest_index_wins_and_no_child_is_polled_after_it() {
    let log = Log::new();
    let (gates, openers) = log.gates(0..10);
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut cx = Context::from_waker(&waker);
    let mut select = select_first(gates);
    assert!(Pin::new(&mut select).poll(&mut cx).is_pending());

    openers[8].open();
    openers[1].wake();
    openers[3].open();
    openers[9].wake();
    let outcome = Pin::new(&mut select).poll(&mut cx);

    assert_eq!(outcome, Poll::Ready((3, 3)));
    assert_eq!(&log.poll_order()[10..], [1, 3]);
    assert_eq!(log.drops(), 10);
}

#[test]
fn the_first_poll_stops_at_the_first_ready_child() {
    let log = Log::new();
    let (gates, openers) = log.gates(0..8);
    openers[6].open();
    openers[4].open();
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut cx = Context::from_waker(&waker);
    let mut select: SelectFirst<_> = gates.into_iter().collect();

    assert_eq!(Pin::new(&mut select).poll(&mut cx), Poll::Ready((4, 4)));
    assert_eq!(log.poll_order(), [0, 1, 2, 3, 4]);
    assert_eq!(openers[6].polls(), 0, "child 6 never started");
}

#[test]
fn awaited_like_any_future() {
    // `block_on` sleeps until woken: a lost wake-up would hang it.
    watchdog(
        "select_first under block_on",
        Duration::from_secs(60),
        || {
            let log = Log::new();
            let (gates, openers) = log.gates(0..50);
            let opener = openers[33].clone();
            let winner = futures::executor::block_on(async move {
                let select = select_first(gates);
                // Opened from another thread once the select is waiting.
                let opening = std::thread::spawn(move || {
                    while opener.polls() == 0 {
                        std::thread::yield_now();
                    }
                    opener.open();
                });
                let winner = select.await;
                opening.join().unwrap();
                winner
            });
            assert_eq!(winner, (33, 33));
            assert_eq!(log.drops(), 50);
        },
    );
}
