//! `try_join_cancel`: the tuple form of `try_join_all_cancel`, for futures of different types
//! that share one error type.

use alloc::vec::Vec;
use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use futures_core::future::{FusedFuture, TryFuture};
use pin_project::pin_project;

use crate::try_join_all_cancel::{try_join_all_cancel, TryJoinAllCancel};

/// Runs a tuple of futures of different types concurrently and collects their `Ok` outputs
/// into a tuple, or returns the first error and drops the other futures at once.
///
/// It is [`try_join_all_cancel`] for a tuple of up to 12 fallible futures with one error type,
/// without boxing: the futures are stored inline, side by side in one allocation.
///
/// # Cancellation
///
/// As for [`try_join_all_cancel`]: on the first `Err`, every future that has not completed is
/// dropped, in tuple order, inside that `poll` and before it returns `Ready`; dropping the
/// `TryJoinCancel` drops every remaining future.
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
        inner: try_join_all_cancel(futures.into_children()),
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
    type Child: TryFuture<Ok = Self::Output, Error = Self::Error>;
    #[doc(hidden)]
    type Output;
    #[doc(hidden)]
    fn into_children(self) -> Vec<Self::Child>;
    #[doc(hidden)]
    fn from_outputs(outputs: Vec<Self::Output>) -> Self::Ok;
}

mod sealed {
    pub trait Sealed {}
}

/// Future of [`try_join_cancel`]: `Ok` with a tuple of outputs, or the first error.
#[must_use = "futures do nothing unless polled; dropping this one drops (cancels) every child"]
pub struct TryJoinCancel<T: TryJoinTuple> {
    inner: TryJoinAllCancel<T::Child>,
}

impl<T: TryJoinTuple> fmt::Debug for TryJoinCancel<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TryJoinCancel").field(&self.inner).finish()
    }
}

impl<T: TryJoinTuple> Future for TryJoinCancel<T> {
    type Output = Result<T::Ok, T::Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // Checked here so that the message names the function the caller used, not the inner
        // `try_join_all_cancel`.
        assert!(
            !self.inner.is_terminated(),
            "`try_join_cancel` polled after completion: it already returned `Ready`"
        );
        Pin::new(&mut self.inner)
            .poll(cx)
            .map(|outcome| outcome.map(T::from_outputs))
    }
}

impl<T: TryJoinTuple> FusedFuture for TryJoinCancel<T> {
    fn is_terminated(&self) -> bool {
        self.inner.is_terminated()
    }
}

macro_rules! tuple {
    ($arity:ident, $Child:ident, $Output:ident: $($F:ident),+) => {
        mod $arity {
        use super::*;

        /// One future of a tuple, stored beside its siblings of other types.
        #[doc(hidden)]
        #[pin_project(project = ChildProj)]
        pub enum $Child<$($F),+> {
            $($F(#[pin] $F)),+
        }

        /// The output of one future of a tuple.
        #[doc(hidden)]
        #[derive(Debug)]
        pub enum $Output<$($F),+> {
            $($F($F)),+
        }

        impl<$($F),+> fmt::Debug for $Child<$($F),+> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($Child)).finish_non_exhaustive()
            }
        }

        impl<Error, $($F: TryFuture<Error = Error>),+> Future for $Child<$($F),+> {
            type Output = Result<$Output<$($F::Ok),+>, Error>;

            fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
                match self.project() {
                    $(ChildProj::$F(child) => child
                        .try_poll(cx)
                        .map(|outcome| outcome.map($Output::$F)),)+
                }
            }
        }

        impl<Error, $($F: TryFuture<Error = Error>),+> sealed::Sealed for ($($F,)+) {}

        impl<Error, $($F: TryFuture<Error = Error>),+> TryJoinTuple for ($($F,)+) {
            type Ok = ($($F::Ok,)+);
            type Error = Error;
            type Child = $Child<$($F),+>;
            type Output = $Output<$($F::Ok),+>;

            #[allow(non_snake_case)]
            fn into_children(self) -> Vec<Self::Child> {
                let ($($F,)+) = self;
                alloc::vec![$($Child::$F($F)),+]
            }

            fn from_outputs(outputs: Vec<Self::Output>) -> Self::Ok {
                let mut outputs = outputs.into_iter();
                ($(match outputs.next() {
                    Some($Output::$F(value)) => value,
                    _ => unreachable!("outputs come back in tuple order"),
                },)+)
            }
        }
        }
        pub use $arity::{$Child, $Output};
    };
}

/// The per-arity child and output enums; public only so that `TryJoinTuple` can name them.
#[doc(hidden)]
pub mod tuples {
    use super::*;

    tuple!(arity1, Child1, Output1: A);
    tuple!(arity2, Child2, Output2: A, B);
    tuple!(arity3, Child3, Output3: A, B, C);
    tuple!(arity4, Child4, Output4: A, B, C, D);
    tuple!(arity5, Child5, Output5: A, B, C, D, E);
    tuple!(arity6, Child6, Output6: A, B, C, D, E, F);
    tuple!(arity7, Child7, Output7: A, B, C, D, E, F, G);
    tuple!(arity8, Child8, Output8: A, B, C, D, E, F, G, H);
    tuple!(arity9, Child9, Output9: A, B, C, D, E, F, G, H, I);
    tuple!(arity10, Child10, Output10: A, B, C, D, E, F, G, H, I, J);
    tuple!(arity11, Child11, Output11: A, B, C, D, E, F, G, H, I, J, K);
    tuple!(arity12, Child12, Output12: A, B, C, D, E, F, G, H, I, J, K, L);
}
