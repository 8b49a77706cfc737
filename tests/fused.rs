//! Point 6 of the contract, first half: `is_terminated()` turns true once `Ready` was returned,
//! and polling again after that panics with a message naming the combinator, without touching
//! the children again.

#[allow(dead_code)]
mod support;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::Context;

use cancel_cascade::{select_first, try_join_all_cancel, try_join_cancel, wait_any};
use futures::future::FusedFuture;
use support::{panic_message, Log, Opener, WakeCounter};

/// Polls the combinator to `Ready` (opening `to_open` after the first pass), watching
/// `is_terminated`, then polls once more and returns the panic message of that poll.
fn poll_after_ready<F: FusedFuture + Unpin>(
    mut combinator: F,
    to_open: &[Opener],
    log: &Log,
) -> String {
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut cx = Context::from_waker(&waker);

    assert!(
        !combinator.is_terminated(),
        "terminated before the first poll"
    );
    assert!(Pin::new(&mut combinator).poll(&mut cx).is_pending());
    assert!(!combinator.is_terminated(), "terminated while pending");
    to_open.iter().for_each(Opener::open);
    assert!(Pin::new(&mut combinator).poll(&mut cx).is_ready());
    assert!(combinator.is_terminated(), "not terminated after `Ready`");

    let polls = log.polls();
    let drops = log.drops();
    let again = catch_unwind(AssertUnwindSafe(|| {
        Pin::new(&mut combinator).poll(&mut cx).is_ready()
    }));
    let message = match again {
        Ok(ready) => panic!("polling after `Ready` did not panic (ready: {ready})"),
        Err(payload) => panic_message(payload),
    };
    assert!(
        combinator.is_terminated(),
        "still terminated after the bad poll"
    );
    assert_eq!(log.polls(), polls, "the bad poll polled a child");
    drop(combinator);
    assert_eq!(log.drops(), drops, "no child dropped twice");
    message
}

fn assert_names(message: &str, combinator: &str) {
    assert!(
        message.contains(&format!("`{combinator}`")) && message.contains("after completion"),
        "the message names `{combinator}` and the cause: {message:?}"
    );
}

#[test]
fn try_join_all_cancel_terminates_on_success_and_on_error() {
    for fail in [false, true] {
        let log = Log::new();
        let (gates, openers) =
            log.gates((0..3).map(|index| if fail { Err(index) } else { Ok(index) }));
        let to_open = if fail { &openers[1..2] } else { &openers[..] };
        let message = poll_after_ready(try_join_all_cancel(gates), to_open, &log);
        assert_names(&message, "try_join_all_cancel");
    }
}

#[test]
fn select_first_terminates_with_its_winner() {
    let log = Log::new();
    let (gates, openers) = log.gates(0..3);
    let message = poll_after_ready(select_first(gates), &openers[2..], &log);
    assert_names(&message, "select_first");
}

#[test]
fn wait_any_terminates_after_its_deciding_pass() {
    let log = Log::new();
    let (gates, openers) = log.gates(0..3);
    let message = poll_after_ready(wait_any(gates), &openers[..1], &log);
    assert_names(&message, "wait_any");
}

#[test]
fn try_join_cancel_terminates_and_names_itself() {
    let log = Log::new();
    let (first, _) = log.gate(0, Ok::<u8, String>(1));
    let (second, opener) = log.gate(1, Err::<String, String>("failed".to_owned()));
    let message = poll_after_ready(try_join_cancel((first, second)), &[opener], &log);
    assert_names(&message, "try_join_cancel");
}
