//! `try_join_all_cancel_limit`: `try_join_all_cancel` with at most `limit` children in flight,
//! pulled from the iterator as slots free up.

use alloc::vec::Vec;
use core::convert::Infallible;
use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use futures_core::future::{FusedFuture, TryFuture};

use crate::children::{Children, Completion, Intake};

const NAME: &str = "try_join_all_cancel_limit";

/// How many children completing at their first poll one `poll` starts, at the least, before it
/// hands the executor its turn back (`limit` if larger): enough that a join of mostly ready
/// futures through a small limit is not one executor round trip per input.
const READY_PER_POLL: usize = 128;

/// Like [`try_join_all_cancel`](crate::try_join_all_cancel), with at most `limit` futures of
/// `iter` in flight: every output in input order, or the first error with everything in
/// flight dropped at once.
///
/// Futures are pulled from the iterator lazily, one as each slot frees up: at most `limit` of
/// them exist at any time (a million inputs never become a million futures), and while inputs
/// remain, exactly `limit` are in flight whenever `poll` returns; a slow child holds only its
/// own slot, never a batch. A future pulled in a `poll` is polled at once, in that `poll`.
/// (One exception: once a `poll` has started a round of `limit` children, or 128 if that is
/// more, that all completed at their first poll, it wakes its own waker and returns `Pending`,
/// so that an endless
/// iterator of ready futures does not hold the executor, or a timeout around the join, forever;
/// the next `poll` goes on pulling.)
///
/// Go's `errgroup` with `SetLimit(limit)`, where the first error cancels the rest.
///
/// # Cancellation
///
/// * On the first `Err`, the iterator is dropped (no future is created after the error), then
///   every child in flight, exactly once, in input order, inside the `poll` that saw the error
///   and before it returns `Ready`.
/// * On success, each child was dropped as soon as it completed.
/// * Dropping the `TryJoinAllCancelLimit` drops every child in flight, in input order, then
///   the iterator.
///
/// # Examples
///
/// ```
/// use cancel_cascade::try_join_all_cancel_limit;
/// use futures::executor::block_on;
///
/// async fn fetch(id: u32) -> Result<u32, String> {
///     Ok(id * 10)
/// }
///
/// # block_on(async {
/// // 10 000 fetches, at most 64 at a time.
/// let fetched = try_join_all_cancel_limit((0..10_000).map(fetch), 64).await?;
/// assert_eq!(fetched.len(), 10_000);
/// assert_eq!(fetched[9_999], 99_990);
/// # Ok::<(), String>(())
/// # }).unwrap();
/// ```
///
/// # Panics
///
/// At construction if `limit` is 0 (no child could ever run) or above `u32::MAX`. The slots
/// (and their wakers) for `limit` children are allocated at construction, fewer if the
/// iterator's size hint says it holds fewer. Polling the returned future again
/// after it returned `Ready` panics. A panic inside a child, or in the iterator, passes through
/// `poll`; the children in flight are then dropped with the combinator.
pub fn try_join_all_cancel_limit<I>(iter: I, limit: usize) -> TryJoinAllCancelLimit<I::IntoIter>
where
    I: IntoIterator,
    I::Item: TryFuture,
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
    TryJoinAllCancelLimit {
        children: Children::with_capacity(capacity),
        intake,
        outputs: Vec::new(),
        decided: None,
    }
}

/// Future of [`try_join_all_cancel_limit`]: `Ok` with every output in input order, or the
/// first error.
///
/// `Unpin` whatever the children are, `Send` when they, their outputs and the iterator are.
#[must_use = "futures do nothing unless polled; dropping this one drops (cancels) every child"]
pub struct TryJoinAllCancelLimit<I>
where
    I: Iterator,
    I::Item: TryFuture,
{
    children: Children<I::Item, Infallible>,
    intake: Intake<I>,
    /// One entry per input pulled so far, filled as each completes.
    outputs: Vec<Option<<I::Item as TryFuture>::Ok>>,
    decided: Option<Joined<I::Item>>,
}

/// The output of a bounded join over children of type `F`.
type Joined<F> = Result<Vec<<F as TryFuture>::Ok>, <F as TryFuture>::Error>;

// Neither the outputs nor the iterator are pinned (the children are, in their own allocation).
impl<I> Unpin for TryJoinAllCancelLimit<I>
where
    I: Iterator,
    I::Item: TryFuture,
{
}

impl<I> fmt::Debug for TryJoinAllCancelLimit<I>
where
    I: Iterator,
    I::Item: TryFuture,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TryJoinAllCancelLimit")
            .field("running", &self.children.running())
            .field("pulled", &self.intake.pulled())
            .field("terminated", &self.children.is_terminated())
            .finish()
    }
}

impl<I> Future for TryJoinAllCancelLimit<I>
where
    I: Iterator,
    I::Item: TryFuture,
{
    type Output = Joined<I::Item>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let TryJoinAllCancelLimit {
            children,
            intake,
            outputs,
            decided,
        } = self.get_mut();
        if decided.is_none() {
            children.poll_woken(cx, NAME, I::Item::try_poll, |input, output| {
                match output {
                    Ok(value) => {
                        outputs[input] = Some(value);
                        Completion::Next
                    }
                    Err(e) => {
                        *decided = Some(Err(e));
                        // Before the engine drops the failed child, whose destructor may panic.
                        intake.stop();
                        Completion::Stop
                    }
                }
            });
            // Refill every free slot; a child that completes at its first poll frees its slot
            // for the next input at once. After a round of such children, this poll gives the
            // executor its turn back (it would never return with an endless iterator of ready
            // futures, and no timeout around it could fire).
            let mut ready_at_start = 0;
            let round = children.len().max(READY_PER_POLL);
            while decided.is_none() {
                if ready_at_start == round {
                    crate::sync::wake_by_ref(cx.waker());
                    return Poll::Pending;
                }
                let Some((input, future)) = intake.pull(children.has_room()) else {
                    break;
                };
                outputs.push(None);
                let ready =
                    children.start(input, future, I::Item::try_poll, |output| match output {
                        Ok(value) => outputs[input] = Some(value),
                        Err(e) => {
                            *decided = Some(Err(e));
                            intake.stop();
                        }
                    });
                ready_at_start += usize::from(ready);
            }
            // An error stopped the intake when it was seen.
            if decided.is_none() {
                if children.running() > 0 || !intake.is_exhausted() {
                    return Poll::Pending;
                }
                let all = core::mem::take(outputs).into_iter();
                *decided = Some(Ok(all
                    .map(|output| output.expect("every child completed"))
                    .collect()));
            }
        }
        drop(core::mem::take(outputs));
        children.deliver(decided)
    }
}

impl<I> FusedFuture for TryJoinAllCancelLimit<I>
where
    I: Iterator,
    I::Item: TryFuture,
{
    fn is_terminated(&self) -> bool {
        self.children.is_terminated()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::future::ready;
    use futures_util::task::noop_waker_ref;

    #[test]
    #[should_panic(expected = "`try_join_all_cancel_limit` called with a limit of 0")]
    fn a_zero_limit_panics_at_construction() {
        drop(try_join_all_cancel_limit([ready(Ok::<u8, u8>(1))], 0));
    }

    #[test]
    fn ready_children_join_in_input_order_through_a_small_limit() {
        let mut cx = Context::from_waker(noop_waker_ref());
        let mut join = try_join_all_cancel_limit((0..100).map(|i| ready(Ok::<_, ()>(i))), 3);
        assert_eq!(
            Pin::new(&mut join).poll(&mut cx),
            Poll::Ready(Ok((0..100).collect()))
        );
    }
}
