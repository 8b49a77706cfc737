//! `try_join_cancel`, the tuple form for futures of different types with one error type, and
//! arrays through `try_join_all_cancel([a, b])`: same fail-fast and drop semantics as the Vec
//! form.

#[allow(dead_code)]
mod support;

use std::future::{ready, Future};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use cancel_cascade::{try_join_all_cancel, try_join_cancel};
use support::{Log, WakeCounter};

#[test]
fn a_tuple_of_different_types_joins_into_a_tuple() {
    let log = Log::new();
    let (number, number_opener) = log.gate(0, Ok::<u8, String>(1));
    let (text, text_opener) = log.gate(1, Ok::<String, String>("two".to_owned()));
    let (list, list_opener) = log.gate(2, Ok::<Vec<u16>, String>(vec![3]));
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut cx = Context::from_waker(&waker);
    let mut join = try_join_cancel((number, text, list));
    assert!(Pin::new(&mut join).poll(&mut cx).is_pending());
    assert_eq!(log.poll_order(), [0, 1, 2]);

    list_opener.open();
    text_opener.open();
    assert!(Pin::new(&mut join).poll(&mut cx).is_pending());
    number_opener.open();

    assert_eq!(
        Pin::new(&mut join).poll(&mut cx),
        Poll::Ready(Ok((1, "two".to_owned(), vec![3])))
    );
    assert_eq!(log.polls(), 6, "two polls per child");
    assert_eq!(log.drop_order(), [1, 2, 0], "each dropped as it completed");
}

#[test]
fn the_first_error_drops_the_other_members_before_ready() {
    let log = Log::new();
    let (number, _) = log.gate(0, Ok::<u8, String>(1));
    let (text, text_opener) = log.gate(1, Err::<String, String>("text failed".to_owned()));
    let (list, list_opener) = log.gate(2, Ok::<Vec<u16>, String>(vec![3]));
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut cx = Context::from_waker(&waker);
    let mut join = try_join_cancel((number, text, list));
    assert!(Pin::new(&mut join).poll(&mut cx).is_pending());

    text_opener.open();
    list_opener.open();
    let outcome = Pin::new(&mut join).poll(&mut cx);
    let dropped_at_ready = log.drop_order();

    assert_eq!(outcome, Poll::Ready(Err("text failed".to_owned())));
    assert_eq!(dropped_at_ready, [1, 0, 2]);
    assert_eq!(list_opener.polls(), 1, "no member polled after the error");
}

async fn size() -> Result<u64, io::Error> {
    Ok(42)
}

async fn name(fail: bool) -> Result<String, io::Error> {
    if fail {
        Err(io::Error::new(io::ErrorKind::NotFound, "no name"))
    } else {
        Ok("crate".to_owned())
    }
}

#[test]
fn async_fns_of_different_types_join_without_boxing() {
    let joined = futures::executor::block_on(try_join_cancel((size(), name(false))));
    assert_eq!(joined.unwrap(), (42, "crate".to_owned()));

    let failed = futures::executor::block_on(try_join_cancel((size(), name(true))));
    let error = failed.unwrap_err();
    assert_eq!(
        (error.kind(), error.to_string()),
        (io::ErrorKind::NotFound, "no name".to_owned())
    );
}

#[test]
fn one_and_twelve_members() {
    let one = futures::executor::block_on(try_join_cancel((ready(Ok::<_, ()>('a')),)));
    assert_eq!(one, Ok(('a',)));

    let twelve = futures::executor::block_on(try_join_cancel((
        ready(Ok::<_, ()>(1_u8)),
        ready(Ok(2_u16)),
        ready(Ok(3_u32)),
        ready(Ok(4_u64)),
        ready(Ok(5_i8)),
        ready(Ok(6_i16)),
        ready(Ok(7_i32)),
        ready(Ok(8_i64)),
        ready(Ok('9')),
        ready(Ok("10")),
        ready(Ok(11.0_f32)),
        ready(Ok(vec![12])),
    )));
    assert_eq!(
        twelve,
        Ok((1, 2, 3, 4, 5, 6, 7, 8, '9', "10", 11.0, vec![12]))
    );
}

#[test]
fn arrays_join_through_try_join_all_cancel() {
    let log = Log::new();
    let (first, first_opener) = log.gate(0, Ok::<u8, &str>(1));
    let (second, second_opener) = log.gate(1, Ok::<u8, &str>(2));
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut cx = Context::from_waker(&waker);
    let mut join = try_join_all_cancel([first, second]);
    assert!(Pin::new(&mut join).poll(&mut cx).is_pending());
    second_opener.open();
    first_opener.open();
    assert_eq!(
        Pin::new(&mut join).poll(&mut cx),
        Poll::Ready(Ok(vec![1, 2]))
    );

    let log = Log::new();
    let (first, _) = log.gate(0, Ok::<u8, &str>(1));
    let (second, second_opener) = log.gate(1, Err::<u8, &str>("second failed"));
    let mut join = try_join_all_cancel([first, second]);
    assert!(Pin::new(&mut join).poll(&mut cx).is_pending());
    second_opener.open();
    let outcome = Pin::new(&mut join).poll(&mut cx);
    assert_eq!(
        (outcome, log.drop_order()),
        (Poll::Ready(Err("second failed")), vec![1, 0])
    );
}
