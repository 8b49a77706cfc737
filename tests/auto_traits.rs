//! Point 6 of the contract, second half: the combinators are `Unpin` whatever the children
//! are, `Send` when the children and their outputs are (and not otherwise), `FusedFuture`, and
//! `Debug` without requiring `F: Debug`. Checked at compile time; the negative checks use the ambiguity trick:
//! `<T as AmbiguousIfImpl<_>>::some_item` names one impl when `T` lacks the trait and two (a
//! compile error) when it has it.

#[allow(dead_code)]
mod support;
#[allow(dead_code)]
#[path = "support/traits.rs"]
mod traits;

use std::fmt::Debug;

use cancel_cascade::{
    as_completed, as_completed_limit, select_first, try_join_all_cancel, try_join_all_cancel_limit,
    try_join_cancel, wait_any, AsCompleted, AsCompletedLimit, SelectFirst, TryJoinAllCancel,
    TryJoinAllCancelLimit, TryJoinCancel, WaitAny,
};
use futures::stream::FusedStream;
use support::{Gate, Log};
use traits::{
    assert_debug, assert_fused, assert_not_impl, assert_send, assert_unpin, Immovable, ThreadBound,
};

type Fallible = Result<u8, String>;

// The test children really lack what the combinators provide, or the checks below prove
// nothing.
assert_not_impl!(Immovable<Fallible>: Unpin);
assert_not_impl!(ThreadBound<Fallible>: Send);
assert_not_impl!(ThreadBound<Fallible>: Debug);

#[test]
fn unpin_whatever_the_children_are() {
    assert_unpin::<TryJoinAllCancel<Immovable<Fallible>>>();
    assert_unpin::<SelectFirst<Immovable<u8>>>();
    assert_unpin::<WaitAny<Immovable<u8>>>();
    assert_unpin::<AsCompleted<Immovable<u8>>>();
    assert_unpin::<AsCompletedLimit<std::vec::IntoIter<Immovable<u8>>>>();
    assert_unpin::<TryJoinAllCancelLimit<std::vec::IntoIter<Immovable<Fallible>>>>();
    assert_unpin::<TryJoinCancel<(Immovable<Fallible>, Gate<Fallible>)>>();
}

#[test]
fn send_when_the_children_are() {
    assert_send::<TryJoinAllCancel<Gate<Fallible>>>();
    assert_send::<SelectFirst<Gate<u8>>>();
    assert_send::<WaitAny<Gate<u8>>>();
    assert_send::<AsCompleted<Gate<u8>>>();
    assert_send::<AsCompletedLimit<std::vec::IntoIter<Gate<u8>>>>();
    assert_send::<TryJoinAllCancelLimit<std::vec::IntoIter<Gate<Fallible>>>>();
    assert_send::<TryJoinCancel<(Gate<Fallible>, Gate<Result<String, String>>)>>();
    assert_send::<TryJoinAllCancel<Immovable<Fallible>>>();
}

assert_not_impl!(TryJoinAllCancel<ThreadBound<Fallible>>: Send);
assert_not_impl!(SelectFirst<ThreadBound<u8>>: Send);
assert_not_impl!(WaitAny<ThreadBound<u8>>: Send);
assert_not_impl!(AsCompleted<ThreadBound<u8>>: Send);
assert_not_impl!(AsCompletedLimit<std::vec::IntoIter<ThreadBound<u8>>>: Send);
assert_not_impl!(TryJoinAllCancelLimit<std::vec::IntoIter<ThreadBound<Fallible>>>: Send);
assert_not_impl!(TryJoinCancel<(Gate<Fallible>, ThreadBound<Fallible>)>: Send);

// A child that may move to another thread but whose output may not: the combinators that keep
// a decided output until `poll` returns it are not `Send` over it.
type SendWithThreadBoundOutput = std::future::Pending<std::rc::Rc<u8>>;
const _: fn() = || assert_send::<SendWithThreadBoundOutput>();
assert_not_impl!(SelectFirst<SendWithThreadBoundOutput>: Send);
assert_not_impl!(WaitAny<SendWithThreadBoundOutput>: Send);
assert_not_impl!(AsCompleted<SendWithThreadBoundOutput>: Send);

#[test]
fn fused_futures() {
    assert_fused::<TryJoinAllCancel<Immovable<Fallible>>>();
    assert_fused::<SelectFirst<ThreadBound<u8>>>();
    assert_fused::<WaitAny<ThreadBound<u8>>>();
    assert_fused::<TryJoinCancel<(ThreadBound<Fallible>,)>>();
    assert_fused_stream::<AsCompleted<ThreadBound<u8>>>();
    assert_fused_stream::<AsCompletedLimit<std::vec::IntoIter<ThreadBound<u8>>>>();
    assert_fused::<TryJoinAllCancelLimit<std::vec::IntoIter<ThreadBound<Fallible>>>>();
}

fn assert_fused_stream<T: FusedStream>() {}

#[test]
fn debug_without_children_that_are_debug() {
    assert_debug::<TryJoinAllCancel<ThreadBound<Fallible>>>();
    assert_debug::<SelectFirst<ThreadBound<u8>>>();
    assert_debug::<WaitAny<ThreadBound<u8>>>();
    assert_debug::<AsCompleted<ThreadBound<u8>>>();
    assert_debug::<AsCompletedLimit<std::vec::IntoIter<ThreadBound<u8>>>>();
    assert_debug::<TryJoinCancel<(ThreadBound<Fallible>, Immovable<Fallible>)>>();

    let log = Log::new();
    let bound = |index| ThreadBound::new(log.gate(index, Ok::<u8, String>(0)).0);
    let formatted = [
        format!("{:?}", try_join_all_cancel([bound(0)])),
        format!("{:?}", select_first([bound(1)])),
        format!("{:?}", wait_any([bound(2)])),
        format!("{:?}", try_join_cancel((bound(3), bound(4)))),
        format!("{:?}", as_completed([bound(5)])),
        format!("{:?}", as_completed_limit([bound(6)], 1)),
        format!("{:?}", try_join_all_cancel_limit([bound(7)], 1)),
    ];
    for (text, name) in formatted.iter().zip([
        "TryJoinAllCancel",
        "SelectFirst",
        "WaitAny",
        "TryJoinCancel",
        "AsCompleted",
        "AsCompletedLimit",
        "TryJoinAllCancelLimit",
    ]) {
        assert!(text.starts_with(name), "{text:?} names {name}");
    }
    assert_eq!(log.drops(), 8);
}
