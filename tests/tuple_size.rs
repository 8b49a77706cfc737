//! The tuple forms store each future at its own size, side by side in one allocation, as
//! `futures::try_join!` does inline: one large future among small ones costs its own size, not
//! its size once per position. Measured on the storage the tuple traits name (the futures live
//! on the heap, so that the combinator is `Unpin`), and by a race over such a tuple on the
//! default 2 MiB test stack, in a child process since a stack overflow ends it.

#[allow(dead_code)]
mod support;

use std::future::{pending, ready, Future, Pending, Ready};
use std::mem::size_of;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use cancel_cascade::one_of::OneOf12;
use cancel_cascade::{select_cancel, SelectCancel, SelectTuple, TryJoinCancel, TryJoinTuple};
use futures::executor::block_on;

const BIG: usize = 64 * 1024;

/// A future of 64 KiB that never completes.
struct Big([u8; BIG]);

impl Big {
    fn new() -> Self {
        Big([7; BIG])
    }
}

impl Future for Big {
    type Output = Result<u8, ()>;

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Self::Output> {
        // The bytes are all 7: pending for ever (read, so that they are really there).
        match self.0[BIG - 1] {
            0 => Poll::Ready(Ok(0)),
            _ => Poll::Pending,
        }
    }
}

type Small = Ready<Result<u8, ()>>;
type Never = Pending<Result<u8, ()>>;

fn small(value: u8) -> Small {
    ready(Ok(value))
}

/// One big future and eleven small ones, the big one first.
fn one_big_and_eleven_small() -> OneBigAndElevenSmall {
    (
        Big::new(),
        pending(),
        pending(),
        pending(),
        pending(),
        pending(),
        pending(),
        pending(),
        pending(),
        pending(),
        pending(),
        small(11),
    )
}

/// The futures' own sizes added up, and the room allowed on top (a tag per position, and
/// their alignment).
fn sum_and_slack() -> (usize, usize) {
    let sum = size_of::<Big>() + 10 * size_of::<Never>() + size_of::<Small>();
    (sum, 12 * 16)
}

type OneBigAndElevenSmall = (
    Big,
    Never,
    Never,
    Never,
    Never,
    Never,
    Never,
    Never,
    Never,
    Never,
    Never,
    Small,
);

#[test]
fn a_race_over_one_big_future_and_eleven_small_ones_stores_about_their_sum() {
    let stored = size_of::<<OneBigAndElevenSmall as SelectTuple>::Slots>();
    let (sum, slack) = sum_and_slack();
    assert!(
        stored <= sum + slack,
        "select_cancel stores {stored} bytes for futures of {sum} bytes together"
    );
    assert!(
        size_of::<SelectCancel<OneBigAndElevenSmall>>() <= 128,
        "the futures are not inline in the combinator, which stays `Unpin`"
    );
    let winner = block_on(select_cancel(one_big_and_eleven_small()));
    assert!(matches!(winner, OneOf12::Twelfth(Ok(11))));
}

#[test]
fn a_join_over_one_big_future_and_eleven_small_ones_stores_about_their_sum() {
    let stored = size_of::<<OneBigAndElevenSmall as TryJoinTuple>::Slots>();
    let (sum, slack) = sum_and_slack();
    assert!(
        stored <= sum + slack,
        "try_join_cancel stores {stored} bytes for futures of {sum} bytes together"
    );
    assert!(size_of::<TryJoinCancel<OneBigAndElevenSmall>>() <= 128);
}

#[test]
fn a_race_over_one_big_future_and_eleven_small_ones_fits_the_default_test_stack() {
    support::in_child_process(
        "a_race_over_one_big_future_and_eleven_small_ones_fits_the_default_test_stack",
        Duration::from_secs(60),
        || {
            let winner = block_on(select_cancel(one_big_and_eleven_small()));
            assert!(matches!(winner, OneOf12::Twelfth(Ok(11))));
        },
    );
}
