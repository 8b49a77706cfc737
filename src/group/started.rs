//! [`Started`]: the handshake of [`TaskGroup::start`](super::TaskGroup::start), trio's
//! `task_status.started(value)`.

use std::fmt;
use std::sync::{Arc, PoisonError};
use std::task::{Context, Poll};

use crate::sync::{AtomicWaker, Mutex};

/// Handed to a task spawned with [`TaskGroup::start`](super::TaskGroup::start): the task calls
/// [`started`](Self::started) once it is ready (a server bound its port), which resumes the
/// `start` call with the value it passes.
///
/// # Cancellation
///
/// Dropping it without calling `started` (the task failed, returned or was cancelled first)
/// makes `start` give `None` once the task has stopped.
#[must_use = "`TaskGroup::start` waits until `started` is called or the task stops"]
pub struct Started<V> {
    slot: Arc<StartSlot<V>>,
}

impl<V> Started<V> {
    /// Reports that the task is ready, with `value` for whoever awaits `start`.
    pub fn started(self, value: V) {
        *self
            .slot
            .value
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(value);
        self.slot.waker.wake();
    }
}

impl<V> fmt::Debug for Started<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Started").finish_non_exhaustive()
    }
}

/// Where `started` leaves its value for `start`.
pub(super) struct StartSlot<V> {
    value: Mutex<Option<V>>,
    waker: AtomicWaker,
}

impl<V> StartSlot<V> {
    /// A slot, and the `Started` that fills it.
    pub(super) fn new() -> (Arc<Self>, Started<V>) {
        let slot = Arc::new(StartSlot {
            value: Mutex::new(None),
            waker: AtomicWaker::new(),
        });
        let started = Started {
            slot: Arc::clone(&slot),
        };
        (slot, started)
    }

    pub(super) fn take(&self) -> Option<V> {
        self.value
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    pub(super) fn poll_take(&self, cx: &mut Context<'_>) -> Poll<V> {
        if let Some(value) = self.take() {
            return Poll::Ready(value);
        }
        self.waker.register(cx.waker());
        match self.take() {
            Some(value) => Poll::Ready(value),
            None => Poll::Pending,
        }
    }
}
