//! `select_first_ok`: the first child to succeed, with the others dropped; every error if none
//! does.

use alloc::vec::Vec;
use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use futures_core::future::{FusedFuture, TryFuture};

use crate::children::{Children, Completion};

/// Runs every future of `iter` concurrently and resolves to the first `Ok` output, with its
/// index; every other future is dropped at once. A child that fails is set aside and the race
/// goes on; if every child fails, the result is [`AllFailed`] with every error.
///
/// This is the hedged request: send the same query to several replicas and keep the first
/// good answer, not the first answer.
///
/// # Cancellation
///
/// * When a child completes with `Ok`, every child that has not completed is dropped, exactly
///   once, in index order, inside that `poll` and before it returns `Ready`; no child is polled
///   after the winner, not even one already woken in the same pass.
/// * A child that completes with `Err` is dropped at once; its error is kept until the end.
/// * Dropping the `SelectFirstOk` drops every remaining child, in index order, and every error
///   kept so far.
///
/// Of two children that succeed in the same parent poll, the lower index wins (children are
/// polled in index order). If the decision is interrupted by a panicking destructor (of the
/// winner, or of a loser being dropped), the panic comes out of `poll` and the decided outcome
/// stays in the future: the next `poll` drops what remains and returns it.
///
/// # Examples
///
/// ```
/// use cancel_cascade::select_first_ok;
/// use futures::executor::block_on;
/// use futures::future::{pending, ready, Either};
///
/// # block_on(async {
/// let replicas = [
///     Either::Left(ready(Err::<&str, _>("replica 0 is down"))),
///     Either::Right(pending()),
///     Either::Left(ready(Ok("reply"))),
/// ];
/// assert_eq!(select_first_ok(replicas).await, Ok(("reply", 2)));
///
/// let outcome = select_first_ok([ready(Err::<(), _>("refused")), ready(Err("timed out"))]).await;
/// let failed = outcome.unwrap_err();
/// assert_eq!(failed.errors(), [(0, "refused"), (1, "timed out")]);
/// assert_eq!(failed.to_string(), "all 2 futures failed: #0: refused; #1: timed out");
/// # });
/// ```
///
/// # Panics
///
/// At construction if `iter` is empty: an empty set of futures could never complete. Polling
/// the returned future again after it returned `Ready` panics (check
/// [`FusedFuture::is_terminated`] first). A panic inside a child passes through `poll`; the
/// other children are then dropped with the combinator.
pub fn select_first_ok<I>(iter: I) -> SelectFirstOk<I::Item>
where
    I: IntoIterator,
    I::Item: TryFuture,
{
    let children = Children::new(iter);
    assert!(
        children.running() > 0,
        "`select_first_ok` called with an empty set of futures: it could never complete"
    );
    SelectFirstOk {
        children,
        decided: None,
    }
}

/// Future of [`select_first_ok`]: `Ok((output, index))` of the first child to succeed, or
/// [`AllFailed`] with every error.
///
/// `Unpin` whatever the children are, `Send` when they and their outputs are.
#[must_use = "futures do nothing unless polled; dropping this one drops (cancels) every child"]
pub struct SelectFirstOk<F: TryFuture> {
    /// A failed child keeps its error in its slot: no allocation until every child failed.
    children: Children<F, F::Error>,
    /// The outcome once decided and until returned. It lives here, not in a local of `poll`,
    /// so that a destructor panicking while the losers are dropped cannot lose it.
    decided: Option<SelectedOk<F>>,
}

type SelectedOk<F> = Result<(<F as TryFuture>::Ok, usize), AllFailed<<F as TryFuture>::Error>>;

// The children are pinned in their own allocation; the outcome is never pinned.
impl<F: TryFuture> Unpin for SelectFirstOk<F> {}

impl<F: TryFuture> fmt::Debug for SelectFirstOk<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.children.debug(f, "SelectFirstOk")
    }
}

impl<F: TryFuture> Future for SelectFirstOk<F> {
    type Output = SelectedOk<F>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if this.decided.is_none() {
            let decided = &mut this.decided;
            this.children
                .poll_woken(
                    cx,
                    "select_first_ok",
                    F::try_poll,
                    |index, outcome| match outcome {
                        Ok(output) => {
                            *decided = Some(Ok((output, index)));
                            Completion::Stop
                        }
                        Err(error) => Completion::Keep(error),
                    },
                );
            // Checked on every poll, not only when a child fails: if the last child's destructor
            // panicked after its error was kept, the next poll still ends the race.
            if decided.is_none() && this.children.running() == 0 {
                // One allocation: every child kept an error (a `filter_map` would grow the vector
                // step by step).
                let children = &mut this.children;
                let mut errors = Vec::with_capacity(children.len());
                for index in 0..children.len() {
                    if let Some(error) = children.take_done(index) {
                        errors.push((index, error));
                    }
                }
                *decided = Some(Err(AllFailed { errors }));
            }
        }
        // Lets go of the parent's waker too, also when a destructor panicked on a former call.
        this.children.deliver(&mut this.decided)
    }
}

impl<F: TryFuture> FusedFuture for SelectFirstOk<F> {
    fn is_terminated(&self) -> bool {
        self.children.is_terminated() && self.decided.is_none()
    }
}

/// # Panics
///
/// If the iterator is empty, like [`select_first_ok`].
impl<F: TryFuture> FromIterator<F> for SelectFirstOk<F> {
    fn from_iter<I: IntoIterator<Item = F>>(iter: I) -> Self {
        select_first_ok(iter)
    }
}

/// The error of [`select_first_ok`] when every child failed: each error with the index of its
/// child, in index order.
///
/// It implements [`Error`](core::error::Error) when the children's error type does; its
/// `Display` names every error with its index.
///
/// # Examples
///
/// ```
/// use cancel_cascade::select_first_ok;
/// use futures::executor::block_on;
/// use std::future::ready;
///
/// let outcome = block_on(select_first_ok((0..3).map(|i| ready(Err::<(), _>(i * 10)))));
/// let failed = outcome.unwrap_err();
/// assert_eq!(failed.len(), 3);
/// let errors: Vec<(usize, i32)> = failed.into_iter().collect();
/// assert_eq!(errors, [(0, 0), (1, 10), (2, 20)]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllFailed<E> {
    errors: Vec<(usize, E)>,
}

impl<E> AllFailed<E> {
    /// Every error with the index of its child, in index order.
    pub fn errors(&self) -> &[(usize, E)] {
        &self.errors
    }

    /// How many children failed: all of them.
    pub fn len(&self) -> usize {
        self.errors.len()
    }

    /// Always `false`: an empty input panics at construction instead.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// Every error with the index of its child, in index order, by value.
    pub fn into_errors(self) -> Vec<(usize, E)> {
        self.errors
    }
}

impl<E> IntoIterator for AllFailed<E> {
    type Item = (usize, E);
    type IntoIter = alloc::vec::IntoIter<(usize, E)>;

    fn into_iter(self) -> Self::IntoIter {
        self.errors.into_iter()
    }
}

impl<E: fmt::Display> fmt::Display for AllFailed<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "all {} futures failed", self.errors.len())?;
        let mut separator = ": ";
        for (index, error) in &self.errors {
            write!(f, "{separator}#{index}: {error}")?;
            separator = "; ";
        }
        Ok(())
    }
}

/// Every error is named in `Display`; none is singled out as the source.
impl<E: core::error::Error> core::error::Error for AllFailed<E> {}

#[cfg(test)]
mod tests {
    use super::*;
    use core::future::Ready;

    #[test]
    #[should_panic(expected = "`select_first_ok` called with an empty set of futures")]
    fn empty_input_panics_at_construction() {
        drop(select_first_ok(core::iter::empty::<Ready<Result<(), ()>>>()));
    }

    #[test]
    fn display_names_every_error_with_its_index() {
        let failed = AllFailed {
            errors: alloc::vec![(0, "refused"), (1, "reset")],
        };
        assert_eq!(
            alloc::format!("{failed}"),
            "all 2 futures failed: #0: refused; #1: reset"
        );
    }
}
