//! A group's phase (open, cancelling, finished) and the two decisions that hang on it: whether
//! a new task is admitted, and in which order a cancellation tells the tasks to stop.
//!
//! A task is admitted, and counted, under the lock that a cancellation takes to leave `Open`:
//! it is either admitted before the cancellation started, and then stopped by it, or refused
//! and dropped unpolled. The phase changes before anyone is told. Without a grace period the
//! hard stop comes before the token: a task the token wakes (or an executor that polls from
//! inside the token's waker) finds the hard stop already raised and drops its future instead of
//! running its cleanup. The models in `tests/loom_group_stop.rs` check both.

use std::ops::{Deref, DerefMut};
use std::sync::PoisonError;
use std::time::{Duration, Instant};

use crate::sync::{AtomicU8, Mutex, MutexGuard, Ordering};

/// How a cancellation tells a group's tasks to stop: a group's are its limit's queue, the
/// nodes of its tasks (the hard stop) and its token.
// `pub` for the loom models, which reach it through `loom_access`.
#[allow(unreachable_pub)]
pub trait Signals {
    /// Stops the tasks still waiting for a slot: they drop their futures at once, unpolled.
    fn drop_queued(&self);
    /// Raises the hard stop: every task drops its future at its next poll.
    fn stop_tasks(&self);
    /// Cancels the group's token, which tasks await for their cleanup.
    fn cancel_token(&self);
    /// Wakes whoever waits for the group's tasks.
    fn wake_owner(&self);

    /// Whether no task of the group runs (none is admitted and not yet stopped).
    fn idle(&self) -> bool {
        false
    }
}

/// Where the group is in its life: admitting tasks, stopping them, or done.
// The loom models never finish a group.
#[cfg_attr(loom, allow(dead_code))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    Open,
    /// Cancelled (by a failure, `cancel`, `shutdown`, the deadline or a drop), with the grace
    /// period that was in force then.
    Cancelling {
        grace: Grace,
    },
    /// Every task stopped while the group was open; nothing more is admitted.
    Finished,
}

/// How long a cancelling group's tasks may run on after its token, fixed when the
/// cancellation starts (from the grace period in force then, on the runtime's clock).
// The loom models never read it.
#[cfg_attr(loom, allow(dead_code))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Grace {
    /// No grace period: the hard stop came with the cancellation.
    None,
    /// Until this instant, then the stragglers are dropped.
    Until(Instant),
    /// A grace period too long to end (`Duration::MAX`): the tasks finish on their own.
    Unbounded,
}

impl Grace {
    /// The grace of a cancellation that starts at `since` with `grace_period` in force.
    fn starting(since: Instant, grace_period: Option<Duration>) -> Grace {
        match grace_period {
            None => Grace::None,
            Some(grace_period) => since
                .checked_add(grace_period)
                .map_or(Grace::Unbounded, Grace::Until),
        }
    }
}

/// The phase and the rest of a group's state `S`, behind one lock.
pub(crate) struct Gate<S> {
    state: Mutex<Locked<S>>,
    /// One while the phase is `Open`: whether the group is open, read without the lock. Set
    /// to zero under the lock, where the phase leaves `Open`, before anyone is told.
    open: AtomicU8,
}

/// The locked state: the phase, the grace period, and `S` (reached through `Deref`).
pub(crate) struct Locked<S> {
    phase: Phase,
    pub(crate) grace_period: Option<Duration>,
    rest: S,
}

impl<S> Locked<S> {
    pub(crate) fn phase(&self) -> Phase {
        self.phase
    }
}

impl<S> Deref for Locked<S> {
    type Target = S;

    fn deref(&self) -> &S {
        &self.rest
    }
}

impl<S> DerefMut for Locked<S> {
    fn deref_mut(&mut self) -> &mut S {
        &mut self.rest
    }
}

impl<S> Gate<S> {
    pub(crate) fn new(rest: S) -> Self {
        Gate {
            state: Mutex::new(Locked {
                phase: Phase::Open,
                grace_period: None,
                rest,
            }),
            open: AtomicU8::new(1),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Locked<S>> {
        // No user code runs under the lock; a poisoned lock still holds consistent state.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the phase is `Open`, without the lock: a phase that left `Open` before whatever
    /// told the caller about it (a wake-up, a token) is seen.
    // Groups, its only callers, do not exist under loom (the models drive the phase alone).
    #[cfg_attr(loom, allow(dead_code))]
    pub(crate) fn is_open(&self) -> bool {
        self.open.load(Ordering::Acquire) != 0
    }

    /// Marks an open group finished (every task has stopped); `state` is this gate's, locked.
    #[cfg_attr(loom, allow(dead_code))]
    pub(crate) fn finish(&self, state: &mut Locked<S>) {
        if state.phase == Phase::Open {
            self.leave_open(state, Phase::Finished);
        }
    }

    /// The one place where the phase leaves `Open` (`state` is this gate's, locked): the
    /// lock-free mirror follows it at once.
    fn leave_open(&self, state: &mut Locked<S>, phase: Phase) {
        state.phase = phase;
        self.open.store(0, Ordering::Release);
    }

    /// Runs `count` (which counts a new task in the group, and may note it in the rest of the
    /// state) and returns what it made, if the group is open; `None` otherwise. Under the lock,
    /// so that the task is either counted before a cancellation starts, and then stopped by it,
    /// or refused.
    pub(crate) fn admit<T>(&self, count: impl FnOnce(&mut S) -> T) -> Option<T> {
        let mut state = self.lock();
        match state.phase {
            Phase::Open => Some(count(&mut state.rest)),
            Phase::Cancelling { .. } | Phase::Finished => None,
        }
    }

    /// Moves an open group to cancelling (`on_close` records why, under the same lock), with
    /// the grace period in force now, counted from `now()` (the runtime's clock, read only if
    /// the group is open; under the lock, so it must run no foreign code), then tells the
    /// tasks: without a grace period, the hard stop first, then the token. Does nothing if the
    /// group is not open. Returns whether it moved the group to cancelling.
    pub(crate) fn start_cancelling(
        &self,
        mut state: MutexGuard<'_, Locked<S>>,
        now: impl FnOnce() -> Instant,
        on_close: impl FnOnce(&mut S),
        signals: &impl Signals,
    ) -> bool {
        if state.phase != Phase::Open {
            return false;
        }
        let grace_period = state.grace_period;
        let grace = Grace::starting(now(), grace_period);
        self.leave_open(&mut state, Phase::Cancelling { grace });
        on_close(&mut state.rest);
        drop(state);
        let mut unwinding = Unwinding::default();
        unwinding.run(|| signals.drop_queued());
        // Stopped before the token tells anyone, so that nothing the token wakes can run a
        // task that should already be gone.
        if grace_period.is_none() {
            unwinding.run(|| signals.stop_tasks());
        }
        unwinding.run(|| signals.cancel_token());
        unwinding.run(|| signals.wake_owner());
        unwinding.resume();
        true
    }

    /// Cancels everything at once, grace period or not (the group was dropped, or the group it
    /// was created in stops its tasks: `forced`): an open group moves to cancelling
    /// (`on_close` records why), and nothing more is admitted. Unless `forced`, a group that
    /// finished, or whose tasks have all stopped, stops nothing (the groups made in its tasks
    /// that still live were handed out, and run on): only its token is cancelled. Returns
    /// whether it moved the group to cancelling.
    pub(crate) fn abandon(
        &self,
        on_close: impl FnOnce(&mut S),
        signals: &impl Signals,
        forced: bool,
    ) -> bool {
        let (finished, moved) = {
            let mut state = self.lock();
            let moved = state.phase == Phase::Open;
            if moved {
                // No grace period: everything is stopped below.
                let grace = Grace::None;
                self.leave_open(&mut state, Phase::Cancelling { grace });
                on_close(&mut state.rest);
            }
            (state.phase == Phase::Finished, moved)
        };
        let mut unwinding = Unwinding::default();
        if forced || !(finished || signals.idle()) {
            unwinding.run(|| signals.drop_queued());
            unwinding.run(|| signals.stop_tasks());
        }
        unwinding.run(|| signals.cancel_token());
        unwinding.resume();
        moved
    }
}

/// Runs every step of a sequence even if one unwinds (a waker that panics, in a token's
/// cancellation, a task's wake-up or a hand-over), then resumes the first panic: a later step is
/// never skipped. A group's stops use it, and so does a task that settles its end.
#[derive(Default)]
pub(crate) struct Unwinding(Option<std::boxed::Box<dyn std::any::Any + Send + 'static>>);

impl Unwinding {
    /// Runs `step`, keeping its panic (if it is the first) instead of unwinding.
    pub(crate) fn run(&mut self, step: impl FnOnce()) {
        if let Err(panic) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(step)) {
            self.0.get_or_insert(panic);
        }
    }

    /// Resumes the first panic kept, if any.
    pub(crate) fn resume(self) {
        if let Some(panic) = self.0 {
            std::panic::resume_unwind(panic);
        }
    }
}

/// The phase, opened to the loom models (`tests/loom_group_stop.rs`). Not part of the API.
#[cfg(loom)]
pub mod loom_access {
    pub use super::Signals;

    /// See the crate's `Gate`, with no other state; no grace period unless asked.
    pub struct Gate(super::Gate<()>);

    impl std::fmt::Debug for Gate {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("Gate")
        }
    }

    impl Default for Gate {
        fn default() -> Self {
            Gate(super::Gate::new(()))
        }
    }

    impl Gate {
        /// Gives the tasks a grace period (its length does not matter here).
        pub fn with_grace_period(self) -> Self {
            self.0.lock().grace_period = Some(std::time::Duration::from_secs(1));
            self
        }

        /// See the crate's `Gate::admit`.
        pub fn admit<T>(&self, count: impl FnOnce() -> T) -> Option<T> {
            self.0.admit(|()| count())
        }

        /// A task failed (or `cancel`): see the crate's `Gate::start_cancelling`.
        pub fn fail(&self, signals: &impl Signals) {
            let now = std::time::Instant::now;
            self.0
                .start_cancelling(self.0.lock(), now, |()| {}, signals);
        }

        /// The group was dropped: see the crate's `Gate::abandon`.
        pub fn abandon(&self, signals: &impl Signals) {
            self.0.abandon(|()| {}, signals, false);
        }

        /// Whether the group still admits tasks.
        pub fn is_open(&self) -> bool {
            self.0.lock().phase() == super::Phase::Open
        }
    }
}
