//! `try_join_cancel`: the tuple form of `try_join_all_cancel`, for futures of different types
//! that share one error type.

use alloc::vec::Vec;
use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use futures_core::future::{FusedFuture, TryFuture};

use crate::children::tuples::{self, PollSlots, Slots, TryJoin};
use crate::children::ChildSet;
use crate::try_join_all_cancel::Join;

/// Runs a tuple of futures of different types concurrently and collects their `Ok` outputs
/// into a tuple, or returns the first error and drops the other futures at once.
///
/// It is [`try_join_all_cancel`](crate::try_join_all_cancel) for a tuple of up to 12 fallible
/// futures with one error type, without boxing: the futures are stored inline, each at its own
/// size, side by side in one allocation.
///
/// # Cancellation
///
/// As for [`try_join_all_cancel`](crate::try_join_all_cancel): on the first `Err`, every
/// future that has not completed is dropped, in tuple order, inside that `poll` and before it
/// returns `Ready`; dropping the `TryJoinCancel` drops every remaining future.
///
/// # Examples
///
/// ```
/// use cancel_cascade::try_join_cancel;
/// use futures::executor::block_on;
///
/// async fn name() -> Result<String, std::io::Error> { Ok("crate".into()) }
/// async fn size() -> Result<u64, std::io::Error> { Ok(42) }
///
/// # block_on(async {
/// let (name, size) = try_join_cancel((name(), size())).await?;
/// assert_eq!((name.as_str(), size), ("crate", 42));
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
///
/// # Panics
///
/// Polling the returned future again after it returned `Ready` panics. A panic inside a child
/// passes through `poll`.
pub fn try_join_cancel<T: TryJoinTuple>(futures: T) -> TryJoinCancel<T> {
    TryJoinCancel {
        children: ChildSet::from_slots(futures.into_slots()),
        outputs: Vec::new(),
        decided: None,
    }
}

/// A tuple of fallible futures with one error type, accepted by [`try_join_cancel`].
///
/// Implemented for tuples of 1 to 12 fallible futures (each a [`TryFuture`]) whose `Error`
/// types are the same; it cannot be implemented outside this crate.
pub trait TryJoinTuple: sealed::Sealed {
    /// The tuple of the futures' `Ok` types.
    type Ok;
    /// The shared error type.
    type Error;
    #[doc(hidden)]
    type Slots: PollSlots<TryJoin, Output = Result<Kept<Self>, Self::Error>>;
    #[doc(hidden)]
    fn into_slots(self) -> Self::Slots;
    #[doc(hidden)]
    fn from_outputs(outputs: Vec<Kept<Self>>) -> Self::Ok;
}

/// What the places of the tuple `T` keep: one output, named by its position.
type Kept<T> = <<T as TryJoinTuple>::Slots as Slots>::Kept;

mod sealed {
    pub trait Sealed {}
}

/// Future of [`try_join_cancel`]: `Ok` with a tuple of outputs, or the first error.
///
/// `Unpin` whatever the futures are, `Send` when they and their outputs are.
#[must_use = "futures do nothing unless polled; dropping this one drops (cancels) every child"]
pub struct TryJoinCancel<T: TryJoinTuple> {
    children: ChildSet<T::Slots>,
    /// The outputs of the futures before the first one still running, in tuple order.
    outputs: Vec<Kept<T>>,
    decided: Option<Result<Vec<Kept<T>>, T::Error>>,
}

// The futures are pinned in their own allocation; the outputs are never pinned.
impl<T: TryJoinTuple> Unpin for TryJoinCancel<T> {}

impl<T: TryJoinTuple> fmt::Debug for TryJoinCancel<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.children.debug(f, "TryJoinCancel")
    }
}

impl<T: TryJoinTuple> Future for TryJoinCancel<T> {
    type Output = Result<T::Ok, T::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let join = Join {
            children: &mut this.children,
            outputs: &mut this.outputs,
            decided: &mut this.decided,
        };
        join.poll(cx, "try_join_cancel", TryJoin)
            .map(|outcome| outcome.map(T::from_outputs))
    }
}

impl<T: TryJoinTuple> FusedFuture for TryJoinCancel<T> {
    fn is_terminated(&self) -> bool {
        self.children.is_terminated()
    }
}

macro_rules! tuple {
    ($Tuple:ident, $At:ident: $($i:literal $field:ident $F:ident),+) => {
        impl<Error, $($F: TryFuture<Error = Error>),+> PollSlots<TryJoin>
            for tuples::$Tuple<$($F),+, $($F::Ok),+>
        {
            type Output = Result<tuples::$At<$($F::Ok),+>, Error>;

            fn poll_at(
                self: Pin<&mut Self>,
                i: usize,
                _: &mut TryJoin,
                cx: &mut Context<'_>,
            ) -> Option<Poll<Self::Output>> {
                let places = self.project();
                match i {
                    $($i => places.$field.poll_with(cx, |child, cx| {
                        child.try_poll(cx).map(|outcome| outcome.map(tuples::$At::$F))
                    }),)+
                    _ => None,
                }
            }
        }

        impl<Error, $($F: TryFuture<Error = Error>),+> sealed::Sealed for ($($F,)+) {}

        impl<Error, $($F: TryFuture<Error = Error>),+> TryJoinTuple for ($($F,)+) {
            type Ok = ($($F::Ok,)+);
            type Error = Error;
            type Slots = tuples::$Tuple<$($F),+, $($F::Ok),+>;

            fn into_slots(self) -> Self::Slots {
                tuples::$Tuple::new(self)
            }

            fn from_outputs(outputs: Vec<Kept<Self>>) -> Self::Ok {
                let mut outputs = outputs.into_iter();
                ($(match outputs.next() {
                    Some(tuples::$At::$F(value)) => value,
                    _ => unreachable!("outputs come back in tuple order"),
                },)+)
            }
        }
    };
}

tuple!(Tuple1, At1: 0 a A);
tuple!(Tuple2, At2: 0 a A, 1 b B);
tuple!(Tuple3, At3: 0 a A, 1 b B, 2 c C);
tuple!(Tuple4, At4: 0 a A, 1 b B, 2 c C, 3 d D);
tuple!(Tuple5, At5: 0 a A, 1 b B, 2 c C, 3 d D, 4 e E);
tuple!(Tuple6, At6: 0 a A, 1 b B, 2 c C, 3 d D, 4 e E, 5 f F);
tuple!(Tuple7, At7: 0 a A, 1 b B, 2 c C, 3 d D, 4 e E, 5 f F, 6 g G);
tuple!(Tuple8, At8: 0 a A, 1 b B, 2 c C, 3 d D, 4 e E, 5 f F, 6 g G, 7 h H);
tuple!(Tuple9, At9: 0 a A, 1 b B, 2 c C, 3 d D, 4 e E, 5 f F, 6 g G, 7 h H, 8 i I);
tuple!(Tuple10, At10: 0 a A, 1 b B, 2 c C, 3 d D, 4 e E, 5 f F, 6 g G, 7 h H, 8 i I, 9 j J);
tuple!(Tuple11, At11: 0 a A, 1 b B, 2 c C, 3 d D, 4 e E, 5 f F, 6 g G, 7 h H, 8 i I, 9 j J,
    10 k K);
tuple!(Tuple12, At12: 0 a A, 1 b B, 2 c C, 3 d D, 4 e E, 5 f F, 6 g G, 7 h H, 8 i I, 9 j J,
    10 k K, 11 l L);
