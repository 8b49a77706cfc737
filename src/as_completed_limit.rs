//! `as_completed_limit`: `as_completed` with at most `limit` children in flight, pulled from the
//! iterator as slots free up.

use alloc::collections::VecDeque;
use core::convert::Infallible;
use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use futures_core::stream::{FusedStream, Stream};

use crate::children::{Children, Completion, Intake};

const NAME: &str = "as_completed_limit";

/// Like [`as_completed`](crate::as_completed), with at most `limit` futures of `iter` in
/// flight: yields `(index, output)` for each one as it completes, `index` being its position
/// in `iter`.
///
/// Futures are pulled from the iterator lazily, one as each slot frees up: at most `limit` of
/// them exist at any time, and while inputs remain, exactly `limit` are in flight whenever
/// `poll_next` returns; a slow child holds only its own slot. (One exception: once a call has
/// started a round of `limit` children that all completed at their first poll, it pulls no
/// more and returns, so an endless iterator of ready futures still yields; the slots are
/// refilled when those outputs have been taken.) Items come in completion order,
/// those that completed in the same parent poll in ascending index order. This is
/// `buffer_unordered(limit)` over an iterator of futures, with each child's index, a waker per
/// child, and the rest cancelled when the stream is dropped.
///
/// # Cancellation
///
/// * Each child is dropped as soon as it completes, inside the poll that saw it complete.
/// * Dropping the `AsCompletedLimit` drops every child in flight, in input order, then the
///   outputs it did not yield yet and the iterator: no future is created after that.
///
/// # Examples
///
/// ```
/// use cancel_cascade::as_completed_limit;
/// use futures::executor::block_on;
/// use futures::StreamExt;
///
/// # block_on(async {
/// let squares = (0..100_u64).map(|i| async move { i * i });
/// let mut sum = 0;
/// let mut results = as_completed_limit(squares, 8);
/// while let Some((index, square)) = results.next().await {
///     assert_eq!(square, (index as u64).pow(2));
///     sum += square;
/// }
/// assert_eq!(sum, 328_350);
/// # });
/// ```
///
/// # Panics
///
/// At construction if `limit` is 0 (no child could ever run) or above `u32::MAX`. The slots
/// (and their wakers) for `limit` children are allocated at construction, fewer if the
/// iterator's size hint says it holds fewer. A panic inside a child, or in the
/// iterator, passes through `poll_next`; the children in flight are then dropped with the
/// stream. Once the stream has ended, `poll_next` keeps returning `None`.
pub fn as_completed_limit<I>(iter: I, limit: usize) -> AsCompletedLimit<I::IntoIter>
where
    I: IntoIterator,
    I::Item: Future,
{
    assert!(
        limit > 0,
        "`{NAME}` called with a limit of 0: no child could ever run"
    );
    assert!(
        u32::try_from(limit).is_ok(),
        "`{NAME}` called with a limit of {limit}: at most u32::MAX children can be in flight"
    );
    let (intake, capacity) = Intake::new(iter.into_iter(), limit);
    AsCompletedLimit {
        children: Children::with_capacity(capacity),
        intake,
        completed: VecDeque::new(),
    }
}

/// Stream of [`as_completed_limit`]: `(index, output)` of each child, in completion order.
///
/// `Unpin` whatever the children are, `Send` when they, their outputs and the iterator are.
#[must_use = "streams do nothing unless polled; dropping this one drops (cancels) every child"]
pub struct AsCompletedLimit<I>
where
    I: Iterator,
    I::Item: Future,
{
    children: Children<I::Item, Infallible>,
    /// Outputs of the latest parent poll not yielded yet, in ascending index order (dropped
    /// after the children, before the iterator).
    completed: VecDeque<(usize, <I::Item as Future>::Output)>,
    intake: Intake<I>,
}

// Neither the outputs nor the iterator are pinned (the children are, in their own allocation).
impl<I> Unpin for AsCompletedLimit<I>
where
    I: Iterator,
    I::Item: Future,
{
}

impl<I> fmt::Debug for AsCompletedLimit<I>
where
    I: Iterator,
    I::Item: Future,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompletedLimit")
            .field("running", &self.children.running())
            .field("pulled", &self.intake.pulled())
            .field("completed", &self.completed.len())
            .field("terminated", &self.children.is_terminated())
            .finish()
    }
}

impl<I> Stream for AsCompletedLimit<I>
where
    I: Iterator,
    I::Item: Future,
{
    type Item = (usize, <I::Item as Future>::Output);

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let AsCompletedLimit {
            children,
            intake,
            completed,
        } = self.get_mut();
        if let Some(item) = completed.pop_front() {
            return Poll::Ready(Some(item));
        }
        if children.is_terminated() {
            return Poll::Ready(None);
        }
        children.poll_woken(cx, NAME, I::Item::poll, |input, output| {
            completed.push_back((input, output));
            Completion::Next
        });
        // Slots are reused in any order: the pass saw them by slot, the stream promises them
        // by index. (A pass of a stream read as it goes most often completes one child, or
        // none: nothing to sort.)
        if completed.len() > 1 {
            completed
                .make_contiguous()
                .sort_unstable_by_key(|&(index, _)| index);
        }
        // Every child pulled now has a higher index than any before it. A child that completes
        // at its first poll frees its slot at once; after a round of as many such children as
        // there are slots, this poll stops pulling and yields what they gave (with an endless
        // iterator of ready futures it would otherwise never return).
        let mut ready_at_start = 0;
        while ready_at_start < children.len() {
            let Some((input, future)) = intake.pull(children.has_room()) else {
                break;
            };
            let ready = children.start(input, future, I::Item::poll, |output| {
                completed.push_back((input, output));
            });
            ready_at_start += usize::from(ready);
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
        let known = self.completed.len() + self.children.running();
        (known, None)
    }
}

impl<I> FusedStream for AsCompletedLimit<I>
where
    I: Iterator,
    I::Item: Future,
{
    fn is_terminated(&self) -> bool {
        self.children.is_terminated()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;
    use core::future::ready;
    use futures_util::task::noop_waker_ref;

    #[test]
    #[should_panic(expected = "`as_completed_limit` called with a limit of 0")]
    fn a_zero_limit_panics_at_construction() {
        drop(as_completed_limit([ready(1)], 0));
    }

    #[test]
    fn ready_children_come_in_index_order_through_a_small_limit() {
        let mut cx = Context::from_waker(noop_waker_ref());
        let mut stream = as_completed_limit((0..50).map(ready), 4);
        let mut seen = Vec::new();
        while let Poll::Ready(Some((index, output))) = Pin::new(&mut stream).poll_next(&mut cx) {
            assert_eq!(index, output);
            seen.push(index);
        }
        assert_eq!(seen, (0..50).collect::<Vec<_>>());
        assert!(stream.is_terminated());
    }
}
