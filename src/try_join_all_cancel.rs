//! `try_join_all_cancel`: every output in input order, or the first error with the rest dropped.

use alloc::vec::Vec;
use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use futures_core::future::{FusedFuture, TryFuture};

use crate::children::{ChildSet, Children, Completion, PollSlots, Slots};

/// Runs every future of `iter` concurrently and collects their `Ok` outputs in input order, or
/// returns the first error and drops every other future at once.
///
/// Unlike futures' `try_join_all`, which over more than 30 futures reports an error only once
/// every future before it has completed, it returns the first error in the `poll` that sees it,
/// at any size; and a child that was not started yet is never started.
///
/// # Cancellation
///
/// * On the first `Err`, every child that has not completed is dropped, exactly once, in index
///   order, inside the `poll` that saw the error and before it returns `Ready`; no child is
///   polled after the error, not even one already woken in the same pass.
/// * On success, each child was dropped as soon as it completed.
/// * Dropping the `TryJoinAllCancel` drops every remaining child, in index order.
///
/// The error is the first one observed: children are polled in index order within a parent
/// poll, so of two children that fail in the same pass, the lower index wins. It is returned
/// unchanged.
///
/// # Examples
///
/// ```
/// use cancel_cascade::try_join_all_cancel;
/// use futures::executor::block_on;
/// use std::future::{pending, ready, Future};
/// use std::pin::Pin;
///
/// # block_on(async {
/// let fetched = try_join_all_cancel([ready(Ok::<u32, String>(1)), ready(Ok(2))]).await;
/// assert_eq!(fetched, Ok(vec![1, 2]));
///
/// // The first child never completes, yet the error returns at once and the child is dropped.
/// type Fetch = Pin<Box<dyn Future<Output = Result<u32, String>>>>;
/// let stuck: Fetch = Box::pin(pending());
/// let failed: Fetch = Box::pin(ready(Err("lost".to_string())));
/// let joined = try_join_all_cancel(vec![stuck, failed]).await;
/// assert_eq!(joined, Err("lost".to_string()));
/// # });
/// ```
///
/// An empty input completes with `Ok(vec![])` on the first poll.
///
/// # Panics
///
/// Polling the returned future again after it returned `Ready` panics (check
/// [`FusedFuture::is_terminated`] first). A panic inside a child passes through `poll`; the
/// other children are then dropped with the combinator.
pub fn try_join_all_cancel<I>(iter: I) -> TryJoinAllCancel<I::Item>
where
    I: IntoIterator,
    I::Item: TryFuture,
{
    let children = Children::new(iter);
    TryJoinAllCancel {
        outputs: Vec::new(),
        children,
        decided: None,
    }
}

/// Future of [`try_join_all_cancel`]: `Ok` with every output in input order, or the first error.
///
/// `Unpin` whatever the children are, `Send` when they and their outputs are.
#[must_use = "futures do nothing unless polled; dropping this one drops (cancels) every child"]
pub struct TryJoinAllCancel<F: TryFuture> {
    children: Children<F, F::Ok>,
    /// The outputs of children `0..outputs.len()`, which have all completed. A child that
    /// completes ahead of a lower index keeps its output in its slot until the gap closes.
    outputs: Vec<F::Ok>,
    /// The outcome once decided, kept here until `poll` returns it (a destructor may panic
    /// between the decision and `Ready`).
    decided: Option<Result<Vec<F::Ok>, F::Error>>,
}

// The outputs are never pinned (the children are, in their own allocation).
impl<F: TryFuture> Unpin for TryJoinAllCancel<F> {}

impl<F: TryFuture> fmt::Debug for TryJoinAllCancel<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.children.debug(f, "TryJoinAllCancel")
    }
}

impl<F: TryFuture> Future for TryJoinAllCancel<F> {
    type Output = Result<Vec<F::Ok>, F::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let join = Join {
            children: &mut this.children,
            outputs: &mut this.outputs,
            decided: &mut this.decided,
        };
        join.poll(cx, "try_join_all_cancel", F::try_poll)
    }
}

/// The join policy, over any places `S` whose children give `Result<S::Kept, E>`: the state
/// of [`TryJoinAllCancel`] and of the tuple form, borrowed for one `poll`.
pub(crate) struct Join<'a, S: ?Sized + Slots, E> {
    pub(crate) children: &'a mut ChildSet<S>,
    /// The outputs of children `0..outputs.len()`, which have all completed. A child that
    /// completes ahead of a lower index keeps its output in its place until the gap closes.
    pub(crate) outputs: &'a mut Vec<S::Kept>,
    /// The outcome once decided, kept until `poll` returns it (a destructor may panic between
    /// the decision and `Ready`).
    pub(crate) decided: &'a mut Option<Result<Vec<S::Kept>, E>>,
}

impl<S: ?Sized + Slots, E> Join<'_, S, E> {
    pub(crate) fn poll<P>(
        self,
        cx: &mut Context<'_>,
        combinator: &str,
        poll_child: P,
    ) -> Poll<Result<Vec<S::Kept>, E>>
    where
        S: PollSlots<P, Output = Result<<S as Slots>::Kept, E>>,
    {
        let Join {
            children,
            outputs,
            decided,
        } = self;
        if decided.is_none() {
            let len = children.len();
            children.poll_woken(cx, combinator, poll_child, |index, output| match output {
                Ok(value) if index == outputs.len() => {
                    push(outputs, len, value);
                    Completion::Next
                }
                Ok(value) => Completion::Keep(value),
                Err(e) => {
                    *decided = Some(Err(e));
                    Completion::Stop
                }
            });
            if decided.is_none() {
                while let Some(value) = children.take_done(outputs.len()) {
                    push(outputs, len, value);
                }
                if children.running() > 0 {
                    return Poll::Pending;
                }
                *decided = Some(Ok(core::mem::take(outputs)));
            }
        }
        // The outputs of a failed join go first (taken out before they are dropped, so that a
        // panicking one is not dropped again), then the children.
        drop(core::mem::take(outputs));
        children.deliver(decided)
    }
}

/// Appends `value`; the first output reserves room for all `len`, so that a join that fails
/// before any output allocates nothing for them.
fn push<T>(outputs: &mut Vec<T>, len: usize, value: T) {
    if outputs.capacity() == 0 {
        outputs.reserve_exact(len);
    }
    outputs.push(value);
}

impl<F: TryFuture> FusedFuture for TryJoinAllCancel<F> {
    fn is_terminated(&self) -> bool {
        self.children.is_terminated()
    }
}

impl<F: TryFuture> FromIterator<F> for TryJoinAllCancel<F> {
    fn from_iter<I: IntoIterator<Item = F>>(iter: I) -> Self {
        try_join_all_cancel(iter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use core::future::{pending, ready};
    use futures_util::task::noop_waker_ref;

    #[test]
    fn an_error_behind_a_pending_child_returns_at_once() {
        use futures_util::future::Either;
        let mut cx = Context::from_waker(noop_waker_ref());
        let children = [
            Either::Left(pending()),
            Either::Right(ready(Err::<u8, u8>(7))),
        ];
        let mut join = try_join_all_cancel(children);
        assert_eq!(Pin::new(&mut join).poll(&mut cx), Poll::Ready(Err(7)));
        assert!(join.is_terminated());
    }

    #[test]
    fn empty_input_gives_an_empty_vec() {
        let mut cx = Context::from_waker(noop_waker_ref());
        let mut join =
            try_join_all_cancel(core::iter::empty::<core::future::Ready<Result<u8, ()>>>());
        assert_eq!(Pin::new(&mut join).poll(&mut cx), Poll::Ready(Ok(vec![])));
    }
}
