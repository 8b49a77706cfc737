//! `CancelToken`: a cooperative cancellation signal, shared by clones, inherited by child tokens.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{Context, Poll, Waker};
use std::vec::Vec;

/// A cancellation signal that tasks check or await, for cleanup that must run before they stop.
///
/// Dropping a future cancels it at once, with no chance to run async code. A `CancelToken` is
/// the other, cooperative, half: whoever holds it can ask, with [`cancel`](Self::cancel), and a
/// task that awaits [`cancelled`](Self::cancelled) can then roll back, flush or say goodbye
/// before it returns. A [`TaskGroup`](crate::TaskGroup) with a grace period cancels its token
/// first and drops the tasks only when the grace period is over.
///
/// Clones share one signal and are cheap (one reference count). [`cancel`](Self::cancel) is
/// idempotent. A [child token](Self::child_token) is cancelled with its parent, never the other
/// way round.
///
/// # Examples
///
/// ```
/// use cancel_cascade::CancelToken;
/// use futures::executor::block_on;
///
/// let token = CancelToken::new();
/// let child = token.child_token();
/// let waiting = child.cancelled();
/// token.cancel();
/// block_on(waiting); // resolves: the parent's cancellation reached the child
/// assert!(child.is_cancelled());
/// ```
#[derive(Clone, Default)]
pub struct CancelToken {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    cancelled: AtomicBool,
    waiting: Mutex<Waiting>,
}

/// Who to tell when the token is cancelled.
#[derive(Default)]
struct Waiting {
    /// Wakers of pending `Cancelled` futures, by key; `None` marks a free key.
    wakers: Vec<Option<Waker>>,
    free: Vec<usize>,
    children: Vec<Weak<Inner>>,
}

impl Inner {
    fn waiting(&self) -> MutexGuard<'_, Waiting> {
        // The lists stay consistent even if a waker panicked while the lock was held.
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn cancel(&self) {
        if self.cancelled.swap(true, Ordering::AcqRel) {
            return;
        }
        let Waiting {
            wakers, children, ..
        } = std::mem::take(&mut *self.waiting());
        for waker in wakers.into_iter().flatten() {
            waker.wake();
        }
        for child in children.iter().filter_map(Weak::upgrade) {
            child.cancel();
        }
    }
}

impl CancelToken {
    /// A new token, not cancelled, with no parent.
    pub fn new() -> Self {
        CancelToken::default()
    }

    /// Cancels this token and every child token, at any depth, and wakes every
    /// [`cancelled`](Self::cancelled) future waiting on them. Calling it again does nothing.
    pub fn cancel(&self) {
        self.inner.cancel();
    }

    /// Whether [`cancel`](Self::cancel) was called on this token or on an ancestor.
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancelled.load(Ordering::Acquire)
    }

    /// A token cancelled when this one is (or at once, if this one already is), and that can
    /// also be cancelled on its own without affecting this one.
    pub fn child_token(&self) -> CancelToken {
        let child = CancelToken::new();
        let mut waiting = self.inner.waiting();
        if self.is_cancelled() {
            drop(waiting);
            child.cancel();
            return child;
        }
        // Dropped children leave dead entries; sweep them before the list doubles.
        if waiting.children.len() == waiting.children.capacity() {
            waiting.children.retain(|child| child.strong_count() > 0);
        }
        waiting.children.push(Arc::downgrade(&child.inner));
        child
    }

    /// A future that resolves once the token is cancelled. It owns a clone of the token, so it
    /// is `'static` and can be spawned, stored or raced with [`select_first`](crate::select_first).
    ///
    /// # Cancel safety
    ///
    /// Dropping it before it resolves only unregisters its waker.
    pub fn cancelled(&self) -> Cancelled {
        Cancelled {
            token: self.clone(),
            key: None,
        }
    }
}

impl fmt::Debug for CancelToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelToken")
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

/// Future of [`CancelToken::cancelled`]: resolves once the token is cancelled.
#[must_use = "futures do nothing unless polled"]
pub struct Cancelled {
    token: CancelToken,
    key: Option<usize>,
}

impl fmt::Debug for Cancelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Cancelled").field(&self.token).finish()
    }
}

impl Future for Cancelled {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.token.is_cancelled() {
            return Poll::Ready(());
        }
        let inner = Arc::clone(&self.token.inner);
        let mut waiting = inner.waiting();
        // Checked again under the lock: `cancel` sets the flag before it takes the wakers.
        if self.token.is_cancelled() {
            return Poll::Ready(());
        }
        let waker = Some(cx.waker().clone());
        match self.key {
            Some(key) => waiting.wakers[key] = waker,
            None => {
                let key = match waiting.free.pop() {
                    Some(key) => {
                        waiting.wakers[key] = waker;
                        key
                    }
                    None => {
                        waiting.wakers.push(waker);
                        waiting.wakers.len() - 1
                    }
                };
                self.key = Some(key);
            }
        }
        Poll::Pending
    }
}

impl Drop for Cancelled {
    fn drop(&mut self) {
        let Some(key) = self.key else { return };
        let mut waiting = self.token.inner.waiting();
        // After a cancellation the lists were emptied: the key is gone already.
        if key < waiting.wakers.len() {
            waiting.wakers[key] = None;
            waiting.free.push(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::task::noop_waker_ref;

    fn poll(cancelled: &mut Cancelled) -> Poll<()> {
        Pin::new(cancelled).poll(&mut Context::from_waker(noop_waker_ref()))
    }

    #[test]
    fn a_child_follows_its_parent_but_not_the_other_way() {
        let parent = CancelToken::new();
        let child = parent.child_token();
        let grandchild = child.child_token();
        child.cancel();
        assert!(!parent.is_cancelled());
        assert!(grandchild.is_cancelled());
        let sibling = parent.child_token();
        parent.cancel();
        assert!(sibling.is_cancelled());
        assert!(parent.child_token().is_cancelled());
    }

    #[test]
    fn waiters_are_woken_and_keys_reused() {
        let token = CancelToken::new();
        let mut first = token.cancelled();
        assert!(poll(&mut first).is_pending());
        drop(first);
        let mut second = token.cancelled();
        assert!(poll(&mut second).is_pending());
        assert_eq!(token.inner.waiting().wakers.len(), 1);
        token.cancel();
        token.cancel();
        assert!(poll(&mut second).is_ready());
        assert!(poll(&mut token.cancelled()).is_ready());
    }
}
