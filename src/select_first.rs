//! `select_first`: the first child to complete, with the others dropped.

use core::convert::Infallible;
use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use futures_core::future::FusedFuture;

use crate::children::{Children, Completion};

/// Runs every future of `iter` concurrently and resolves to the output of the first one to
/// complete, with its index; every other future is dropped at once.
///
/// # Cancellation
///
/// * When a child completes, every other child is dropped, exactly once, in index order, inside
///   that `poll` and before it returns `Ready`; no child is polled after the winner, not even
///   one already woken in the same pass.
/// * Dropping the `SelectFirst` drops every child, in index order.
///
/// Of two children ready in the same parent poll, the lower index wins (children are polled
/// in index order).
///
/// # Examples
///
/// ```
/// use cancel_cascade::select_first;
/// use futures::executor::block_on;
/// use futures::future::{pending, ready, Either};
///
/// # block_on(async {
/// let slow = Either::Left(pending::<&str>());
/// let fast = Either::Right(ready("reply"));
/// assert_eq!(select_first([slow, fast]).await, ("reply", 1));
/// # });
/// ```
///
/// # Panics
///
/// At construction if `iter` is empty: an empty set of futures could never complete. Polling
/// the returned future again after it returned `Ready` panics (check
/// [`FusedFuture::is_terminated`] first). A panic inside a child passes through `poll`; the
/// other children are then dropped with the combinator.
pub fn select_first<I>(iter: I) -> SelectFirst<I::Item>
where
    I: IntoIterator,
    I::Item: Future,
{
    let children = Children::new(iter);
    assert!(
        children.running() > 0,
        "`select_first` called with an empty set of futures: it could never complete"
    );
    SelectFirst {
        children,
        decided: None,
    }
}

/// Future of [`select_first`]: `(output, index)` of the first child to complete.
///
/// `Unpin` whatever the children are, `Send` when they and their outputs are (the decided
/// output is kept in it until `poll` returns it).
#[must_use = "futures do nothing unless polled; dropping this one drops (cancels) every child"]
pub struct SelectFirst<F: Future> {
    children: Children<F, Infallible>,
    /// The winner once decided, kept here until `poll` returns it.
    decided: Option<(F::Output, usize)>,
}

// The winner's output is never pinned (the children are, in their own allocation).
impl<F: Future> Unpin for SelectFirst<F> {}

impl<F: Future> fmt::Debug for SelectFirst<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.children.debug(f, "SelectFirst")
    }
}

impl<F: Future> Future for SelectFirst<F> {
    type Output = (F::Output, usize);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let SelectFirst { children, decided } = self.get_mut();
        if decided.is_none() {
            children.poll_woken(cx, "select_first", F::poll, |index, output| {
                *decided = Some((output, index));
                Completion::Stop
            });
        }
        children.deliver(decided)
    }
}

impl<F: Future> FusedFuture for SelectFirst<F> {
    fn is_terminated(&self) -> bool {
        self.children.is_terminated()
    }
}

/// # Panics
///
/// If the iterator is empty, like [`select_first`].
impl<F: Future> FromIterator<F> for SelectFirst<F> {
    fn from_iter<I: IntoIterator<Item = F>>(iter: I) -> Self {
        select_first(iter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "`select_first` called with an empty set of futures")]
    fn empty_input_panics_at_construction() {
        drop(select_first(core::iter::empty::<core::future::Ready<()>>()));
    }
}
