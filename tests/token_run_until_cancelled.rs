//! `CancelToken::run_until_cancelled`: the future's output if it completes first; `None`, with
//! the future dropped inside the poll that sees the cancellation, otherwise. Cancelled before
//! the first poll, while pending, and after the future completed.
#![cfg(not(loom))]

#[allow(dead_code)]
mod support;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use cancel_cascade::CancelToken;
use futures::future::FusedFuture;
use futures::task::noop_waker_ref;
use support::{Log, WakeCounter};

fn poll<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
    Pin::new(future).poll(&mut Context::from_waker(noop_waker_ref()))
}

#[test]
fn a_token_cancelled_before_the_first_poll_drops_the_future_unpolled() {
    let log = Log::new();
    let (gate, _opener) = log.gate(0, 7);
    let token = CancelToken::new();
    let mut run = token.run_until_cancelled(gate);
    token.cancel();
    assert_eq!(poll(&mut run), Poll::Ready(None));
    assert_eq!((log.polls(), log.drops()), (0, 1), "dropped, never polled");
    assert!(run.is_terminated());
}

#[test]
fn a_cancellation_while_pending_wakes_and_drops_the_future_in_that_poll() {
    let log = Log::new();
    let (gate, _opener) = log.gate(0, 7);
    let token = CancelToken::new();
    let mut run = token.run_until_cancelled(gate);
    let wakes = WakeCounter::new();
    let waker = wakes.waker();
    assert_eq!(
        Pin::new(&mut run).poll(&mut Context::from_waker(&waker)),
        Poll::Pending
    );
    assert_eq!((log.polls(), log.drops()), (1, 0));
    token.cancel();
    assert_eq!(wakes.wakes(), 1, "the cancellation wakes the waiter");
    assert_eq!(
        log.drops(),
        0,
        "dropped by the poll that sees it, not by `cancel`"
    );
    assert_eq!(poll(&mut run), Poll::Ready(None));
    assert_eq!(
        (log.polls(), log.drops()),
        (1, 1),
        "dropped before `Ready`, not polled again"
    );
    drop(run);
    assert_eq!(log.drops(), 1, "dropped exactly once");
}

#[test]
fn a_future_that_completes_first_gives_its_output_and_a_later_cancel_changes_nothing() {
    let log = Log::new();
    let (gate, opener) = log.gate(0, 7);
    let token = CancelToken::new();
    let mut run = token.run_until_cancelled(gate);
    assert_eq!(poll(&mut run), Poll::Pending);
    opener.open();
    assert_eq!(poll(&mut run), Poll::Ready(Some(7)));
    assert_eq!(log.drops(), 1, "the finished future is dropped at once");
    token.cancel();
    drop(run);
    assert_eq!(log.drops(), 1);
}

#[test]
fn dropping_it_unfinished_drops_the_future_once() {
    let log = Log::new();
    let (gate, _opener) = log.gate(0, ());
    let token = CancelToken::new();
    let mut run = token.run_until_cancelled(gate);
    assert_eq!(poll(&mut run), Poll::Pending);
    drop(run);
    assert_eq!(log.drops(), 1);
    token.cancel();
    assert_eq!(log.drops(), 1);
}

#[test]
#[should_panic(expected = "`run_until_cancelled` polled after completion")]
fn polling_after_completion_panics() {
    let token = CancelToken::new();
    let mut run = token.run_until_cancelled(std::future::ready(1));
    assert_eq!(poll(&mut run), Poll::Ready(Some(1)));
    let _ = poll(&mut run);
}
