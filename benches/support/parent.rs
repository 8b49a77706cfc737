//! The parent task: a waker that raises a flag, and the executor rule every implementation is
//! driven by (poll again only while the last poll left the parent woken, as an executor would).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use super::counting::note_parent_poll;

struct WokenFlag(AtomicBool);

impl Wake for WokenFlag {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.store(true, Relaxed);
    }
}

pub(crate) struct Parent {
    woken: Arc<WokenFlag>,
    waker: Waker,
}

impl Parent {
    pub(crate) fn new() -> Self {
        let woken = Arc::new(WokenFlag(AtomicBool::new(false)));
        let waker = Waker::from(Arc::clone(&woken));
        Parent { woken, waker }
    }

    /// Polls `fut` once, and again for as long as it woke its own parent during the poll
    /// (futures-util's `FuturesUnordered` yields that way after polling every child once).
    pub(crate) fn drive<F: Future + Unpin>(&self, fut: &mut F) -> Poll<F::Output> {
        let mut cx = Context::from_waker(&self.waker);
        loop {
            self.woken.0.store(false, Relaxed);
            note_parent_poll();
            let poll = Pin::new(&mut *fut).poll(&mut cx);
            if poll.is_ready() || !self.woken.0.load(Relaxed) {
                return poll;
            }
        }
    }

    /// Drives `fut`, which must complete without any outside wake, and drops it.
    pub(crate) fn complete<F: Future + Unpin>(&self, mut fut: F) -> F::Output {
        match self.drive(&mut fut) {
            Poll::Ready(output) => output,
            Poll::Pending => panic!("expected the future to complete without an outside wake"),
        }
    }

    pub(crate) fn waker(&self) -> &Waker {
        &self.waker
    }
}
