//! The completion queue of a [`TaskSet`](super::TaskSet): outputs in the order the tasks
//! completed, one lock and one wake-up per completion.
//!
//! The tasks push from any thread; one consumer pops, registering its waker before it looks a
//! second time, so a push that lands between the two looks is never missed. The models in
//! `tests/loom_queue.rs` check that.
//!
//! A look at an empty queue takes no lock: the queue's length is published in `queued` (written
//! under the lock), and the consumer reads it first. A push stores the new length before it
//! wakes the consumer; the consumer reads the length again after registering its waker, so
//! either that read sees the push or the push's wake comes after the registration.

use std::collections::VecDeque;
use std::sync::PoisonError;
use std::task::{Context, Poll};

use crate::sync::{AtomicUsize, AtomicWaker, Mutex, Ordering};

pub(crate) struct Completed<T> {
    outputs: Mutex<VecDeque<T>>,
    /// The length of `outputs`, stored under its lock at each change: read without the lock,
    /// a zero means there is nothing to take (or a push is on its way, and will wake).
    queued: AtomicUsize,
    consumer: AtomicWaker,
}

impl<T> Completed<T> {
    pub(crate) fn new() -> Self {
        Completed {
            outputs: Mutex::new(VecDeque::new()),
            queued: AtomicUsize::new(0),
            consumer: AtomicWaker::new(),
        }
    }

    /// A task completed with `output`.
    pub(crate) fn push(&self, output: T) {
        {
            let mut outputs = self.outputs.lock().unwrap_or_else(PoisonError::into_inner);
            outputs.push_back(output);
            self.queued.store(outputs.len(), Ordering::Release);
        }
        self.consumer.wake();
    }

    /// The oldest output not taken yet.
    pub(crate) fn try_pop(&self) -> Option<T> {
        // Nothing queued, or a push not yet published (it wakes the consumer once it is).
        if self.queued.load(Ordering::Acquire) == 0 {
            return None;
        }
        let mut outputs = self.outputs.lock().unwrap_or_else(PoisonError::into_inner);
        let output = outputs.pop_front();
        self.queued.store(outputs.len(), Ordering::Release);
        output
    }

    /// How many outputs wait to be taken.
    #[cfg_attr(loom, allow(dead_code))]
    pub(crate) fn len(&self) -> usize {
        self.outputs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// The oldest output, or `Pending` until a push wakes the consumer.
    pub(crate) fn poll_pop(&self, cx: &mut Context<'_>) -> Poll<T> {
        if let Some(output) = self.try_pop() {
            return Poll::Ready(output);
        }
        self.consumer.register(cx.waker());
        // Again: a push may have landed before the waker was in place.
        match self.try_pop() {
            Some(output) => Poll::Ready(output),
            None => Poll::Pending,
        }
    }
}

/// The queue, opened to the loom models (`tests/loom_queue.rs`). Not part of the API.
#[cfg(loom)]
pub mod loom_access {
    use std::task::{Context, Poll};

    /// See the crate's `Completed`.
    pub struct Completed<T>(super::Completed<T>);

    impl<T> std::fmt::Debug for Completed<T> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("Completed")
        }
    }

    impl<T> Default for Completed<T> {
        fn default() -> Self {
            Completed(super::Completed::new())
        }
    }

    impl<T> Completed<T> {
        /// See the crate's `Completed::push`.
        pub fn push(&self, output: T) {
            self.0.push(output);
        }

        /// See the crate's `Completed::poll_pop`.
        pub fn poll_pop(&self, cx: &mut Context<'_>) -> Poll<T> {
            self.0.poll_pop(cx)
        }
    }
}
