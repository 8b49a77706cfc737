//! The completion queue of a [`TaskSet`](super::TaskSet): outputs in the order the tasks
//! completed, one lock and one wake-up per completion.
//!
//! The tasks push from any thread; one consumer pops, registering its waker before it looks a
//! second time, so a push that lands between the two looks is never missed. The models in
//! `tests/loom_queue.rs` check that.

use std::collections::VecDeque;
use std::sync::PoisonError;
use std::task::{Context, Poll};

use crate::sync::{AtomicWaker, Mutex};

pub(crate) struct Completed<T> {
    outputs: Mutex<VecDeque<T>>,
    consumer: AtomicWaker,
}

impl<T> Completed<T> {
    pub(crate) fn new() -> Self {
        Completed {
            outputs: Mutex::new(VecDeque::new()),
            consumer: AtomicWaker::new(),
        }
    }

    /// A task completed with `output`.
    pub(crate) fn push(&self, output: T) {
        self.outputs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push_back(output);
        self.consumer.wake();
    }

    /// The oldest output not taken yet.
    pub(crate) fn try_pop(&self) -> Option<T> {
        self.outputs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop_front()
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
