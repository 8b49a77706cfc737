//! `as_completed`: every child's output as it completes, as a stream; dropping it drops the rest.

use alloc::collections::VecDeque;
use core::convert::Infallible;
use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use futures_core::stream::{FusedStream, Stream};

use crate::children::{Children, Completion};

/// Runs every future of `iter` concurrently and yields `(index, output)` for each one as it
/// completes.
///
/// Items come in completion order: those of children that completed in the same parent poll
/// come in ascending index order. The stream ends (`None`) once every child has completed.
/// It does the job of a `FuturesUnordered` drained in a loop, over a fixed set of children,
/// with the index of each output; dropping the stream drops the children still running, so
/// leaving the loop early (`break`, `?`) cancels them.
///
/// # Cancellation
///
/// * Each child is dropped as soon as it completes, inside the poll that saw it complete.
/// * Dropping the `AsCompleted` drops every child that has not completed, exactly once, in
///   index order, then the outputs of completed children that it did not yield yet. Stopping early
///   (`take`, `take_while`, a `break` out of a `while let`) therefore cancels the rest.
///
/// # Examples
///
/// ```
/// use cancel_cascade::as_completed;
/// use futures::executor::block_on;
/// use futures::future::{pending, ready, Either};
/// use futures::StreamExt;
///
/// # block_on(async {
/// let children = [Either::Left(ready("a")), Either::Right(pending()), Either::Left(ready("c"))];
/// let mut results = as_completed(children);
/// assert_eq!(results.next().await, Some((0, "a")));
/// assert_eq!(results.next().await, Some((2, "c")));
/// // Child 1 never completes; dropping the stream drops it.
/// drop(results);
/// # });
/// ```
///
/// # Panics
///
/// A panic inside a child passes through `poll_next`; the other children are then dropped with
/// the stream. Once the stream has ended, `poll_next` keeps returning `None` (it is a
/// [`FusedStream`]).
pub fn as_completed<I>(iter: I) -> AsCompleted<I::Item>
where
    I: IntoIterator,
    I::Item: Future,
{
    AsCompleted {
        children: Children::new(iter),
        completed: VecDeque::new(),
    }
}

/// Stream of [`as_completed`]: `(index, output)` of each child, in completion order.
///
/// `Unpin` whatever the children are, `Send` when they and their outputs are.
#[must_use = "streams do nothing unless polled; dropping this one drops (cancels) every child"]
pub struct AsCompleted<F: Future> {
    children: Children<F, Infallible>,
    /// Outputs of the latest parent poll not yielded yet, in ascending index order. Each is
    /// stored here before its child is dropped, so a panicking destructor cannot lose it.
    completed: VecDeque<(usize, F::Output)>,
}

// The outputs are never pinned (the children are, in their own allocation).
impl<F: Future> Unpin for AsCompleted<F> {}

impl<F: Future> fmt::Debug for AsCompleted<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompleted")
            .field("running", &self.children.running())
            .field("completed", &self.completed.len())
            .field("terminated", &self.children.is_terminated())
            .finish()
    }
}

impl<F: Future> Stream for AsCompleted<F> {
    type Item = (usize, F::Output);

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let AsCompleted {
            children,
            completed,
        } = self.get_mut();
        if let Some(item) = completed.pop_front() {
            return Poll::Ready(Some(item));
        }
        if children.is_terminated() {
            return Poll::Ready(None);
        }
        if children.running() > 0 {
            children.poll_woken(cx, "as_completed", F::poll, |index, output| {
                completed.push_back((index, output));
                Completion::Next
            });
        }
        if let Some(item) = completed.pop_front() {
            return Poll::Ready(Some(item));
        }
        if children.running() > 0 {
            return Poll::Pending;
        }
        children.finish();
        Poll::Ready(None)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.completed.len() + self.children.running();
        (left, Some(left))
    }
}

impl<F: Future> FusedStream for AsCompleted<F> {
    fn is_terminated(&self) -> bool {
        self.children.is_terminated()
    }
}

impl<F: Future> FromIterator<F> for AsCompleted<F> {
    fn from_iter<I: IntoIterator<Item = F>>(iter: I) -> Self {
        as_completed(iter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;
    use core::future::ready;
    use futures_util::task::noop_waker_ref;

    #[test]
    fn ready_children_come_in_index_order_then_none_for_good() {
        let mut cx = Context::from_waker(noop_waker_ref());
        let mut stream = as_completed((0..5).map(ready));
        let mut seen = Vec::new();
        while let Poll::Ready(Some(item)) = Pin::new(&mut stream).poll_next(&mut cx) {
            seen.push(item);
        }
        assert_eq!(seen, [(0, 0), (1, 1), (2, 2), (3, 3), (4, 4)]);
        assert!(stream.is_terminated());
        assert_eq!(Pin::new(&mut stream).poll_next(&mut cx), Poll::Ready(None));
    }

    #[test]
    fn empty_input_ends_at_once() {
        let mut cx = Context::from_waker(noop_waker_ref());
        let mut stream = as_completed(core::iter::empty::<core::future::Ready<u8>>());
        assert_eq!(stream.size_hint(), (0, Some(0)));
        assert_eq!(Pin::new(&mut stream).poll_next(&mut cx), Poll::Ready(None));
        assert!(stream.is_terminated());
    }
}
