//! An executor that polls its future inside `wake`, on whichever thread wakes it, as some
//! embedded and callback-driven executors do: the case where a waker re-enters the future it
//! belongs to.
//!
//! Included by the test files that need it with `#[path = "support/inline.rs"] mod inline;`.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

/// An executor that polls its future inside `wake`, on whichever thread wakes it. A wake that
/// arrives while a poll runs (a child waking itself, re-entrantly) is noted, and the running
/// poll loop polls again once it returns.
pub(crate) struct InlineExecutor<F: Future> {
    future: Mutex<Option<F>>,
    output: Mutex<Option<F::Output>>,
    notified: AtomicBool,
    polls: AtomicUsize,
}

impl<F> InlineExecutor<F>
where
    F: Future + Unpin + Send + 'static,
    F::Output: Send,
{
    /// Wraps `future` and polls it once, here; later polls run inside its waker's `wake`.
    pub(crate) fn start(future: F) -> Arc<Self> {
        let executor = Arc::new(InlineExecutor {
            future: Mutex::new(Some(future)),
            output: Mutex::new(None),
            notified: AtomicBool::new(false),
            polls: AtomicUsize::new(0),
        });
        Waker::from(Arc::clone(&executor)).wake();
        executor
    }

    /// Parent polls so far.
    pub(crate) fn polls(&self) -> usize {
        self.polls.load(Ordering::SeqCst)
    }

    /// The output, once the future completed (taken out: `None` after the first call).
    pub(crate) fn take_output(&self) -> Option<F::Output> {
        self.output.lock().unwrap().take()
    }
}

impl<F> Wake for InlineExecutor<F>
where
    F: Future + Unpin + Send + 'static,
    F::Output: Send,
{
    fn wake(self: Arc<Self>) {
        self.notified.store(true, Ordering::SeqCst);
        loop {
            // Someone else is polling (maybe us, further up the stack): they will see the flag.
            let Ok(mut slot) = self.future.try_lock() else {
                return;
            };
            let waker = Waker::from(Arc::clone(&self));
            while self.notified.swap(false, Ordering::SeqCst) {
                let Some(future) = slot.as_mut() else { break };
                self.polls.fetch_add(1, Ordering::SeqCst);
                if let Poll::Ready(output) = Pin::new(future).poll(&mut Context::from_waker(&waker))
                {
                    *slot = None;
                    *self.output.lock().unwrap() = Some(output);
                }
            }
            drop(slot);
            // A wake between the last check and the unlock found the lock taken: look again.
            if !self.notified.load(Ordering::SeqCst) {
                return;
            }
        }
    }
}
