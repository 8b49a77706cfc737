//! `select_cancel`: the tuple form of `select_first`, for futures of different output types.

use core::convert::Infallible;
use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use futures_core::future::FusedFuture;

use crate::children::tuples::{PollSlots, Select};
use crate::children::{ChildSet, Completion};

/// Runs a tuple of futures with different output types concurrently and resolves to the output
/// of the first one to complete, as the variant of a [`one_of`] enum that names its position;
/// every other future is dropped at once.
///
/// It is [`select_first`](crate::select_first) for a tuple of 2 to 12 futures, without boxing
/// and without a macro: the futures are stored inline, each at its own size, side by side in
/// one allocation.
///
/// # Cancellation
///
/// * When a future completes, every other future is dropped, exactly once, in tuple order,
///   inside that `poll` and before it returns `Ready`; no future is polled after the winner,
///   not even one already woken in the same pass.
/// * Dropping the `SelectCancel` drops every future, in tuple order.
///
/// Of two futures ready in the same parent poll, the first in the tuple wins. If a destructor
/// panics while the losers are dropped (or the winner's own destructor panics), the panic comes
/// out of `poll` and the winner's output stays in the future: the next `poll` drops what
/// remains and returns it.
///
/// # Examples
///
/// ```
/// use cancel_cascade::one_of::OneOf2;
/// use cancel_cascade::select_cancel;
/// use futures::executor::block_on;
/// use std::future::{pending, ready};
///
/// async fn work() -> u64 {
///     pending().await
/// }
///
/// async fn connection_lost() -> std::io::Error {
///     std::io::Error::other("peer reset")
/// }
///
/// # block_on(async {
/// match select_cancel((work(), connection_lost())).await {
///     OneOf2::First(result) => println!("work done: {result}"),
///     OneOf2::Second(error) => assert_eq!(error.to_string(), "peer reset"),
/// }
/// // Three futures, three types.
/// let winner = select_cancel((pending::<u8>(), ready("text"), pending::<()>())).await;
/// assert!(matches!(winner, cancel_cascade::one_of::OneOf3::Second("text")));
/// # });
/// ```
///
/// # Panics
///
/// Polling the returned future again after it returned `Ready` panics (check
/// [`FusedFuture::is_terminated`] first). A panic inside a future passes through `poll`; the
/// others are then dropped with the combinator.
pub fn select_cancel<T: SelectTuple>(futures: T) -> SelectCancel<T> {
    SelectCancel {
        children: ChildSet::from_slots(futures.into_slots()),
        decided: None,
    }
}

/// A tuple of futures, accepted by [`select_cancel`].
///
/// Implemented for tuples of 2 to 12 futures (each a [`Future`]) of any output types; it cannot
/// be implemented outside this crate.
pub trait SelectTuple: sealed::Sealed {
    /// The output: a [`one_of`] enum with one variant per position, holding that future's
    /// output.
    type Output;
    #[doc(hidden)]
    type Slots: PollSlots<Select, Output = Self::Output>;
    #[doc(hidden)]
    fn into_slots(self) -> Self::Slots;
}

mod sealed {
    pub trait Sealed {}
}

/// Future of [`select_cancel`]: the output of the first future to complete, in the variant
/// named after its position.
///
/// `Unpin` whatever the futures are, `Send` when they and their outputs are.
#[must_use = "futures do nothing unless polled; dropping this one drops (cancels) every future"]
pub struct SelectCancel<T: SelectTuple> {
    children: ChildSet<T::Slots>,
    /// The winner's output once decided and until returned, kept here so that a destructor
    /// panicking while the losers are dropped cannot lose it.
    decided: Option<T::Output>,
}

// The futures are pinned in their own allocation; the output is never pinned.
impl<T: SelectTuple> Unpin for SelectCancel<T> {}

impl<T: SelectTuple> fmt::Debug for SelectCancel<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.children.debug(f, "SelectCancel")
    }
}

impl<T: SelectTuple> Future for SelectCancel<T> {
    type Output = T::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if this.decided.is_none() {
            let decided = &mut this.decided;
            this.children
                .poll_woken(cx, "select_cancel", Select, |_, output| {
                    *decided = Some(output);
                    Completion::Stop
                });
        }
        // Lets go of the parent's waker too, also when a destructor panicked on a former call.
        this.children.deliver(&mut this.decided)
    }
}

impl<T: SelectTuple> FusedFuture for SelectCancel<T> {
    fn is_terminated(&self) -> bool {
        self.children.is_terminated() && self.decided.is_none()
    }
}

macro_rules! one_of {
    ($OneOf:ident, $arity:literal: $($F:ident $Position:ident),+) => {
        #[doc = concat!(
            "The output of [`select_cancel`](crate::select_cancel) over ", $arity,
            " futures: the variant names the position of the future that completed first and",
            " holds its output."
        )]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $OneOf<$($F),+> {
            $(
                /// The future in this position completed first, with this output.
                $Position($F),
            )+
        }
    };
}

macro_rules! tuple {
    ($Tuple:ident, $OneOf:ident: $($i:literal $field:ident $F:ident $Position:ident),+) => {
        impl<$($F: Future),+> PollSlots<Select>
            for crate::children::tuples::$Tuple<$($F),+, $(never!($F)),+>
        {
            type Output = $OneOf<$($F::Output),+>;

            fn poll_at(
                self: Pin<&mut Self>,
                i: usize,
                _: &mut Select,
                cx: &mut Context<'_>,
            ) -> Option<Poll<Self::Output>> {
                let places = self.project();
                match i {
                    $($i => places.$field.poll_with(cx, |child, cx| {
                        child.poll(cx).map($OneOf::$Position)
                    }),)+
                    _ => None,
                }
            }
        }

        impl<$($F: Future),+> sealed::Sealed for ($($F,)+) {}

        impl<$($F: Future),+> SelectTuple for ($($F,)+) {
            type Output = $OneOf<$($F::Output),+>;
            type Slots = crate::children::tuples::$Tuple<$($F),+, $(never!($F)),+>;

            fn into_slots(self) -> Self::Slots {
                crate::children::tuples::$Tuple::new(self)
            }
        }
    };
}

/// `Infallible` once per future: a race keeps no output in its places.
macro_rules! never {
    ($F:ident) => {
        Infallible
    };
}

/// The outputs of [`select_cancel`](crate::select_cancel): one enum per tuple length, one
/// variant per position (`First`, `Second`, ...), holding the output of the future that
/// completed first.
pub mod one_of {
    one_of!(OneOf2, 2: A First, B Second);
    one_of!(OneOf3, 3: A First, B Second, C Third);
    one_of!(OneOf4, 4: A First, B Second, C Third, D Fourth);
    one_of!(OneOf5, 5: A First, B Second, C Third, D Fourth, E Fifth);
    one_of!(OneOf6, 6: A First, B Second, C Third, D Fourth, E Fifth, F Sixth);
    one_of!(OneOf7, 7: A First, B Second, C Third, D Fourth, E Fifth, F Sixth, G Seventh);
    one_of!(OneOf8, 8: A First, B Second, C Third, D Fourth, E Fifth, F Sixth, G Seventh,
        H Eighth);
    one_of!(OneOf9, 9: A First, B Second, C Third, D Fourth, E Fifth, F Sixth, G Seventh,
        H Eighth, I Ninth);
    one_of!(OneOf10, 10: A First, B Second, C Third, D Fourth, E Fifth, F Sixth, G Seventh,
        H Eighth, I Ninth, J Tenth);
    one_of!(OneOf11, 11: A First, B Second, C Third, D Fourth, E Fifth, F Sixth, G Seventh,
        H Eighth, I Ninth, J Tenth, K Eleventh);
    one_of!(OneOf12, 12: A First, B Second, C Third, D Fourth, E Fifth, F Sixth, G Seventh,
        H Eighth, I Ninth, J Tenth, K Eleventh, L Twelfth);

    use super::*;

    tuple!(Tuple2, OneOf2: 0 a A First, 1 b B Second);
    tuple!(Tuple3, OneOf3: 0 a A First, 1 b B Second, 2 c C Third);
    tuple!(Tuple4, OneOf4: 0 a A First, 1 b B Second, 2 c C Third, 3 d D Fourth);
    tuple!(Tuple5, OneOf5: 0 a A First, 1 b B Second, 2 c C Third, 3 d D Fourth, 4 e E Fifth);
    tuple!(Tuple6, OneOf6: 0 a A First, 1 b B Second, 2 c C Third, 3 d D Fourth, 4 e E Fifth,
        5 f F Sixth);
    tuple!(Tuple7, OneOf7: 0 a A First, 1 b B Second, 2 c C Third, 3 d D Fourth, 4 e E Fifth,
        5 f F Sixth, 6 g G Seventh);
    tuple!(Tuple8, OneOf8: 0 a A First, 1 b B Second, 2 c C Third, 3 d D Fourth, 4 e E Fifth,
        5 f F Sixth, 6 g G Seventh, 7 h H Eighth);
    tuple!(Tuple9, OneOf9: 0 a A First, 1 b B Second, 2 c C Third, 3 d D Fourth, 4 e E Fifth,
        5 f F Sixth, 6 g G Seventh, 7 h H Eighth, 8 i I Ninth);
    tuple!(Tuple10, OneOf10: 0 a A First, 1 b B Second, 2 c C Third, 3 d D Fourth,
        4 e E Fifth, 5 f F Sixth, 6 g G Seventh, 7 h H Eighth, 8 i I Ninth, 9 j J Tenth);
    tuple!(Tuple11, OneOf11: 0 a A First, 1 b B Second, 2 c C Third, 3 d D Fourth,
        4 e E Fifth, 5 f F Sixth, 6 g G Seventh, 7 h H Eighth, 8 i I Ninth, 9 j J Tenth,
        10 k K Eleventh);
    tuple!(Tuple12, OneOf12: 0 a A First, 1 b B Second, 2 c C Third, 3 d D Fourth,
        4 e E Fifth, 5 f F Sixth, 6 g G Seventh, 7 h H Eighth, 8 i I Ninth, 9 j J Tenth,
        10 k K Eleventh, 11 l L Twelfth);
}

#[cfg(test)]
mod tests {
    use super::one_of::OneOf3;
    use super::*;
    use core::future::{pending, ready};

    #[test]
    fn the_winner_is_named_by_its_position() {
        let mut select = select_cancel((pending::<u8>(), ready("text"), ready(())));
        let mut cx = Context::from_waker(futures_util::task::noop_waker_ref());
        assert_eq!(
            Pin::new(&mut select).poll(&mut cx),
            Poll::Ready(OneOf3::Second("text"))
        );
        assert!(select.is_terminated());
    }
}
