//! `wait_any`: every child that completed in the first pass that saw a completion; the rest
//! dropped.

use alloc::vec::Vec;
use core::convert::Infallible;
use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use futures_core::future::FusedFuture;

use crate::children::{Children, Completion};

/// Runs every future of `iter` concurrently until at least one completes, then drops the rest.
///
/// The output holds every child that completed during the parent poll in which the first
/// completion was seen, as `(index, output)` in ascending index order: never empty. Where
/// futures' `select_all` hands the pending futures back to the caller, `wait_any` drops them,
/// and dropping the wait itself drops every child.
///
/// # Cancellation
///
/// * After the pass that saw the first completion has polled every woken child once, every
///   child that has not completed is dropped, exactly once, in index order, before `poll`
///   returns `Ready`.
/// * Dropping the `WaitAny` drops every child, in index order.
///
/// # Examples
///
/// ```
/// use cancel_cascade::wait_any;
/// use futures::executor::block_on;
/// use futures::future::{pending, ready, Either};
///
/// # block_on(async {
/// let children = [Either::Left(ready(1)), Either::Right(pending()), Either::Left(ready(3))];
/// assert_eq!(wait_any(children).await, vec![(0, 1), (2, 3)]);
/// # });
/// ```
///
/// # Panics
///
/// At construction if `iter` is empty: an empty set of futures could never complete. Polling
/// the returned future again after it returned `Ready` panics (check
/// [`FusedFuture::is_terminated`] first). A panic inside a child passes through `poll`; the
/// other children are then dropped with the combinator.
pub fn wait_any<I>(iter: I) -> WaitAny<I::Item>
where
    I: IntoIterator,
    I::Item: Future,
{
    let children = Children::new(iter);
    assert!(
        children.running() > 0,
        "`wait_any` called with an empty set of futures: it could never complete"
    );
    WaitAny {
        children,
        decided: None,
    }
}

/// Future of [`wait_any`]: `(index, output)` of each child done in the deciding pass.
///
/// `Unpin` whatever the children are, `Send` when they and their outputs are (the decided
/// output is kept in it until `poll` returns it).
#[must_use = "futures do nothing unless polled; dropping this one drops (cancels) every child"]
pub struct WaitAny<F: Future> {
    children: Children<F, Infallible>,
    /// The outputs of the deciding pass, kept here until `poll` returns them: a destructor
    /// panic in the middle of the pass must not take the earlier ones with it.
    decided: Option<Vec<(usize, F::Output)>>,
}

// The outputs are never pinned (the children are, in their own allocation).
impl<F: Future> Unpin for WaitAny<F> {}

impl<F: Future> fmt::Debug for WaitAny<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.children.debug(f, "WaitAny")
    }
}

impl<F: Future> Future for WaitAny<F> {
    type Output = Vec<(usize, F::Output)>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let WaitAny { children, decided } = self.get_mut();
        if decided.is_none() {
            children.poll_woken(cx, "wait_any", F::poll, |index, output| {
                decided.get_or_insert_with(Vec::new).push((index, output));
                Completion::Next
            });
        }
        children.deliver(decided)
    }
}

impl<F: Future> FusedFuture for WaitAny<F> {
    fn is_terminated(&self) -> bool {
        self.children.is_terminated()
    }
}

/// # Panics
///
/// If the iterator is empty, like [`wait_any`].
impl<F: Future> FromIterator<F> for WaitAny<F> {
    fn from_iter<I: IntoIterator<Item = F>>(iter: I) -> Self {
        wait_any(iter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "`wait_any` called with an empty set of futures")]
    fn empty_input_panics_at_construction() {
        drop(wait_any(core::iter::empty::<core::future::Ready<()>>()));
    }
}
