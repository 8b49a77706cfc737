//! Empty inputs: `try_join_all_cancel` completes with `Ok(vec![])` on its first poll;
//! `select_first` and `wait_any` could never complete, so they panic at construction with a
//! message that names the function and says the set is empty.

#[allow(dead_code)]
mod support;

use std::future::Future;
use std::panic::catch_unwind;
use std::pin::Pin;
use std::task::{Context, Poll};

use cancel_cascade::{select_first, try_join_all_cancel, wait_any, SelectFirst, WaitAny};
use futures::future::FusedFuture;
use support::{panic_message, Gate, WakeCounter};

#[test]
fn try_join_all_cancel_of_nothing_is_an_empty_vec_on_the_first_poll() {
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut cx = Context::from_waker(&waker);

    let mut from_vec = try_join_all_cancel(Vec::<Gate<Result<u8, String>>>::new());
    assert!(!from_vec.is_terminated());
    assert_eq!(
        Pin::new(&mut from_vec).poll(&mut cx),
        Poll::Ready(Ok(vec![]))
    );
    assert!(from_vec.is_terminated());

    let empty: [Gate<Result<u8, String>>; 0] = [];
    let mut from_array = try_join_all_cancel(empty);
    assert_eq!(
        Pin::new(&mut from_array).poll(&mut cx),
        Poll::Ready(Ok(vec![]))
    );

    let mut from_iterator = try_join_all_cancel(std::iter::empty::<Gate<Result<u8, String>>>());
    assert_eq!(
        Pin::new(&mut from_iterator).poll(&mut cx),
        Poll::Ready(Ok(vec![]))
    );

    assert_eq!(parent.wakes(), 0, "nothing to wait for, nothing to wake");
    let awaited =
        futures::executor::block_on(try_join_all_cancel(Vec::<Gate<Result<u8, String>>>::new()));
    assert_eq!(awaited, Ok(vec![]));
}

/// Runs `construct` and returns the message it panicked with.
fn construction_panic<T>(construct: impl FnOnce() -> T + std::panic::UnwindSafe) -> String {
    match catch_unwind(construct) {
        Ok(_) => panic!("constructing over an empty set did not panic"),
        Err(payload) => panic_message(payload),
    }
}

fn assert_names_function_and_emptiness(message: &str, function: &str) {
    assert!(
        message.contains(function) && message.contains("empty"),
        "the message names `{function}` and says the set is empty: {message:?}"
    );
}

#[test]
fn select_first_of_nothing_panics_at_construction() {
    let message = construction_panic(|| select_first(Vec::<Gate<u8>>::new()));
    assert_names_function_and_emptiness(&message, "select_first");

    let message = construction_panic(|| std::iter::empty::<Gate<u8>>().collect::<SelectFirst<_>>());
    assert_names_function_and_emptiness(&message, "select_first");
}

#[test]
fn wait_any_of_nothing_panics_at_construction() {
    let message = construction_panic(|| wait_any(Vec::<Gate<u8>>::new()));
    assert_names_function_and_emptiness(&message, "wait_any");

    let message = construction_panic(|| {
        (0..0)
            .map(|_| std::future::pending::<u8>())
            .collect::<WaitAny<_>>()
    });
    assert_names_function_and_emptiness(&message, "wait_any");
}
