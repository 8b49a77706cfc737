//! Feature `tokio-util`: a [`CancelToken`] from tokio-util's `CancellationToken` and back.
//!
//! A token made from a tokio-util token shares its cancellation both ways: a watch registered
//! with the tokio-util token (a waker, no task, no runtime) cancels ours when it is cancelled,
//! and ours cancels it. A tokio-util token made from ours is a child of it: cancelled with it,
//! and cancelled on its own without reaching ours, like [`CancelToken::child_token`].

use std::boxed::Box;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, PoisonError, Weak};
use std::task::{Context, Wake, Waker};

use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

use super::{CancelToken, Inner};
use crate::sync::StdMutex as Mutex;

/// What ties a token of ours to tokio-util's.
#[derive(Default)]
pub(super) struct Bridge {
    /// Cancelled with our token: the tokio-util token ours was made from, or the one whose
    /// children ours hands out as tokio-util tokens.
    tokio_util: Option<CancellationToken>,
    /// The watch on the tokio-util token ours was made from.
    watch: Option<Arc<Watch>>,
}

impl Bridge {
    /// Our token was cancelled (and marked so): stops watching, cancels theirs.
    pub(super) fn cancelled(mut self) {
        self.stop_watching();
        if let Some(token) = self.tokio_util {
            token.cancel();
        }
    }

    /// Drops the watch's registration with the tokio-util token.
    pub(super) fn stop_watching(&mut self) {
        if let Some(watch) = self.watch.take() {
            watch.stop();
        }
    }
}

/// A registration with a tokio-util token, whose wake-up cancels our token.
struct Watch {
    token: Weak<Inner>,
    cancelled: Mutex<Option<Pin<Box<WaitForCancellationFutureOwned>>>>,
}

impl Watch {
    /// Polls the registration with a waker that is this watch: once it is ready, cancels our
    /// token (if it is still alive).
    fn check(self: &Arc<Self>) {
        let waker = Waker::from(Arc::clone(self));
        let done = {
            let mut cancelled = self
                .cancelled
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let Some(future) = cancelled.as_mut() else {
                return;
            };
            if future
                .as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_pending()
            {
                return;
            }
            cancelled.take()
        };
        // The registration (and the waker inside it) is let go of outside the lock.
        drop(done);
        if let Some(token) = self.token.upgrade() {
            // This runs inside the tokio-util token's wake-ups: a panic of one of our waiters
            // must not unwind through them (it would keep the rest of their waiters asleep). It
            // is dropped here; inside a cancellation of ours, ours is queued behind it and a
            // panic resumes there, as for any of our waiters.
            let _ = catch_unwind(AssertUnwindSafe(|| super::cancel_or_queue(token)));
        }
    }

    fn stop(&self) {
        let registration = self
            .cancelled
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        drop(registration);
    }
}

impl Wake for Watch {
    fn wake(self: Arc<Self>) {
        self.check();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.check();
    }
}

/// A token that shares `token`'s cancellation both ways: cancelling either cancels the other,
/// and the child tokens of each follow. No task or runtime is involved: the tokio-util token
/// wakes ours as it is cancelled, on the thread that cancels it.
///
/// # Examples
///
/// ```
/// use cancel_cascade::CancelToken;
/// use tokio_util::sync::CancellationToken;
///
/// let shutdown = CancellationToken::new();
/// let ours = CancelToken::from(shutdown.clone());
/// let child = ours.child_token();
/// shutdown.cancel();
/// assert!(ours.is_cancelled() && child.is_cancelled());
/// ```
impl From<CancellationToken> for CancelToken {
    fn from(token: CancellationToken) -> Self {
        let ours = CancelToken::new();
        let watch = Arc::new(Watch {
            token: Arc::downgrade(&ours.inner),
            cancelled: Mutex::new(Some(Box::pin(token.clone().cancelled_owned()))),
        });
        ours.inner.waiting().bridge = Bridge {
            tokio_util: Some(token),
            watch: Some(Arc::clone(&watch)),
        };
        // Registers, or cancels ours at once if theirs is cancelled already.
        watch.check();
        ours
    }
}

/// A tokio-util token for code that takes one: a child of `token`, cancelled when `token` is
/// (or at once, if it is already), and cancelled on its own without reaching `token`.
///
/// # Examples
///
/// ```
/// use cancel_cascade::CancelToken;
/// use tokio_util::sync::CancellationToken;
///
/// let ours = CancelToken::new();
/// let theirs = CancellationToken::from(ours.clone());
/// ours.cancel();
/// assert!(theirs.is_cancelled());
/// ```
impl From<CancelToken> for CancellationToken {
    fn from(token: CancelToken) -> Self {
        let mut waiting = token.inner.waiting();
        // Read under the lock: `cancel` sets the flag before it takes the bridge.
        if token.is_cancelled() {
            drop(waiting);
            let cancelled = CancellationToken::new();
            cancelled.cancel();
            return cancelled;
        }
        waiting
            .bridge
            .tokio_util
            .get_or_insert_with(CancellationToken::new)
            .child_token()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_token_made_from_a_tokio_util_token_is_freed() {
        let theirs = CancellationToken::new();
        let ours = CancelToken::from(theirs.clone());
        let inner = Arc::downgrade(&ours.inner);
        let watch = Arc::downgrade(ours.inner.waiting().bridge.watch.as_ref().unwrap());
        drop(ours);
        assert!(inner.upgrade().is_none(), "our token was kept");
        assert!(
            watch.upgrade().is_none(),
            "the watch was kept by its own registration"
        );
        theirs.cancel();
    }

    #[test]
    fn a_cancelled_bridge_lets_go_of_its_watch() {
        let theirs = CancellationToken::new();
        let ours = CancelToken::from(theirs.clone());
        let watch = Arc::downgrade(ours.inner.waiting().bridge.watch.as_ref().unwrap());
        theirs.cancel();
        assert!(ours.is_cancelled());
        assert!(watch.upgrade().is_none());
    }
}
