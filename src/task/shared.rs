//! The mechanism behind a [`TaskHandle`](super::TaskHandle) on an executor that only knows how
//! to run a future detached: the runtime runs a [`Supervised`] future, the handle keeps a
//! [`Handle`], and the two meet in one reference-counted [`State`].
//!
//! The supervised future is the only writer of the outcome and the only one that marks the task
//! stopped, and it does both only after the user's future has been dropped. So "stopped" always
//! means "its destructors have run", whichever way the future went: completed, panicked,
//! cancelled by the handle, or dropped by the runtime.

use std::any::Any;
use std::boxed::Box;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::PoisonError;
use std::task::{Context, Poll};

use pin_project::pin_project;

use crate::sync::{Arc, AtomicU8, AtomicWaker, Mutex, Ordering};

pub(crate) type Panic = Box<dyn Any + Send + 'static>;

/// What a stopped task left behind: `None` if its future was dropped before it finished
/// (cancelled, or dropped by its runtime).
pub(crate) type Outcome<T> = Option<Result<T, Panic>>;

/// The handle asked the task to stop.
const CANCEL_REQUESTED: u8 = 0b01;
/// The task's future has been dropped and its outcome (if any) is in `State::outcome`.
const STOPPED: u8 = 0b10;

/// What the runtime's task and its handle share.
struct State<T> {
    flags: AtomicU8,
    outcome: Mutex<Outcome<T>>,
    /// The task's waker, so that a cancel request gets the task polled (and its future dropped)
    /// even when nothing else would wake it.
    task: AtomicWaker,
    /// The waker of whoever awaits the handle.
    awaiter: AtomicWaker,
}

impl<T> State<T> {
    fn is_stopped(&self) -> bool {
        self.flags.load(Ordering::Acquire) & STOPPED != 0
    }

    /// Stores the outcome, marks the task stopped and wakes the awaiter: the one place a task
    /// becomes stopped.
    fn stop(&self, outcome: Outcome<T>) {
        *self.outcome.lock().unwrap_or_else(PoisonError::into_inner) = outcome;
        self.flags.fetch_or(STOPPED, Ordering::AcqRel);
        self.awaiter.wake();
    }
}

/// Wraps `future` for an executor: the executor runs the first half, the caller keeps the second.
pub(crate) fn supervise<F: Future>(future: F) -> (Supervised<F>, Handle<F::Output>) {
    let state = Arc::new(State {
        flags: AtomicU8::new(0),
        outcome: Mutex::new(None),
        task: AtomicWaker::new(),
        awaiter: AtomicWaker::new(),
    });
    let task = Supervised {
        future: Some(future),
        stopper: Stopper(Arc::clone(&state)),
    };
    (task, Handle(state))
}

/// The future a runtime runs for a supervised task: polls the user's future under
/// `catch_unwind`, drops it when asked to, and reports how it stopped.
#[pin_project]
pub(crate) struct Supervised<F: Future> {
    // Declared before `stopper`, so that when the runtime drops this future unfinished, the
    // user's future is dropped before the stop is reported.
    #[pin]
    future: Option<F>,
    stopper: Stopper<F::Output>,
}

impl<F: Future> Future for Supervised<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut this = self.project();
        let state = &this.stopper.0;
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            return Poll::Ready(());
        };
        let cancel_requested = || state.flags.load(Ordering::Acquire) & CANCEL_REQUESTED != 0;
        let outcome = if cancel_requested() {
            None
        } else {
            match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
                Ok(Poll::Pending) => {
                    // Only a pending task needs waking for a cancel request. The flag is read
                    // again after the waker is in place: a request made before is seen here,
                    // one made after finds the waker.
                    state.task.register(cx.waker());
                    if !cancel_requested() {
                        return Poll::Pending;
                    }
                    None
                }
                Ok(Poll::Ready(output)) => Some(Ok(output)),
                Err(panic) => Some(Err(panic)),
            }
        };
        // A destructor that panics is the task's panic too; it replaces an output, not a
        // panic already caught.
        let outcome = match catch_unwind(AssertUnwindSafe(|| this.future.set(None))) {
            Err(panic) if !matches!(outcome, Some(Err(_))) => Some(Err(panic)),
            _ => outcome,
        };
        state.stop(outcome);
        Poll::Ready(())
    }
}

/// Reports the stop of a task that its runtime dropped before it finished.
struct Stopper<T>(Arc<State<T>>);

impl<T> Drop for Stopper<T> {
    fn drop(&mut self) {
        if !self.0.is_stopped() {
            self.0.stop(None);
        }
    }
}

/// The handle's side of a supervised task.
pub(crate) struct Handle<T>(Arc<State<T>>);

impl<T> Handle<T> {
    pub(crate) fn is_stopped(&self) -> bool {
        self.0.is_stopped()
    }

    /// Asks the task to drop its future, without waiting.
    pub(crate) fn request_cancel(&self) {
        let before = self.0.flags.fetch_or(CANCEL_REQUESTED, Ordering::AcqRel);
        if before & STOPPED == 0 {
            self.0.task.wake();
        }
    }

    /// Ready with the outcome once the task's future has been dropped; the outcome is taken, so
    /// only the first `Ready` carries it.
    pub(crate) fn poll_stopped(&self, cx: &mut Context<'_>) -> Poll<Outcome<T>> {
        if !self.0.is_stopped() {
            self.0.awaiter.register(cx.waker());
            // Read again: the task may have stopped before the waker was in place.
            if !self.0.is_stopped() {
                return Poll::Pending;
            }
        }
        Poll::Ready(
            self.0
                .outcome
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take(),
        )
    }
}
