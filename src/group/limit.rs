//! The concurrency limit of a group: at most `limit` tasks run at once, the others wait in
//! spawn order, and whoever produces tasks can wait for a free slot.
//!
//! Every task that entered counts in `active` (running or queued) until it leaves. A task that
//! leaves hands its slot to the first queued one, if any, in the same critical section: the
//! number running never goes above the limit, and a queued task never waits while a slot is
//! free. Once closed (the group is cancelling), nothing more enters or starts and the queue is
//! handed back for its tasks to be stopped. The models in `tests/loom_limit.rs` check the
//! hand-over.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::PoisonError;
use std::task::{Context, Poll, Waker};
use std::vec::Vec;

use crate::sync::Mutex;

pub(crate) struct Slots<T> {
    inner: Mutex<Inner<T>>,
}

struct Inner<T> {
    limit: usize,
    /// Tasks that entered and have not left: running, or in `queue`.
    active: usize,
    queue: VecDeque<T>,
    closed: bool,
    /// The [`WaitReady`] futures waiting for a free slot, each under its own key, so that one
    /// dropped while it waits takes its waker out. Looked through from end to end: there are
    /// as many as producers waiting at once.
    waiters: Vec<(u64, Waker)>,
    /// The key of the next waiter; never reused, so a stale key finds nothing.
    next_key: u64,
}

/// What [`Slots::enter`] did with a task.
// `pub` for the loom models, which reach it through `loom_access`.
#[allow(unreachable_pub)]
#[derive(Debug, PartialEq, Eq)]
pub enum Entry {
    /// A slot was free: start the task now.
    Start,
    /// Queued: it starts when a running task leaves.
    Queued,
    /// Closed: drop the task.
    Refused,
}

impl<T> Slots<T> {
    /// `limit` must be at least one.
    pub(crate) fn new(limit: usize) -> Self {
        assert!(limit > 0, "a limit of zero tasks could never run any");
        Slots {
            inner: Mutex::new(Inner {
                limit,
                active: 0,
                queue: VecDeque::new(),
                closed: false,
                waiters: Vec::new(),
                next_key: 0,
            }),
        }
    }

    fn inner(&self) -> crate::sync::MutexGuard<'_, Inner<T>> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes a slot for a new task, or queues it (`queued()` makes the queue entry, only when
    /// one is needed).
    pub(crate) fn enter(&self, queued: impl FnOnce() -> T) -> Entry {
        let mut inner = self.inner();
        if inner.closed {
            return Entry::Refused;
        }
        let running = inner.active - inner.queue.len();
        inner.active += 1;
        if running < inner.limit {
            Entry::Start
        } else {
            inner.queue.push_back(queued());
            Entry::Queued
        }
    }

    /// A task that entered has stopped (or was dropped from the queue): gives back its slot.
    /// Returns the queued task that takes the slot over, to be started by the caller.
    pub(crate) fn leave(&self) -> Option<T> {
        let mut inner = self.inner();
        if inner.closed {
            return None;
        }
        inner.active -= 1;
        let running = inner.active - inner.queue.len();
        if running < inner.limit {
            if let Some(next) = inner.queue.pop_front() {
                return Some(next);
            }
        }
        let waiters = std::mem::take(&mut inner.waiters);
        drop(inner);
        for (_, waiter) in waiters {
            crate::sync::wake(waiter);
        }
        None
    }

    /// Sets a new limit, and returns the queued tasks that a higher limit lets start now, in
    /// spawn order, to be started by the caller. A lower limit stops nothing: the running
    /// tasks run on, and the queue moves again once fewer than the new limit run.
    // The loom models do not change the limit.
    #[cfg_attr(loom, allow(dead_code))]
    pub(crate) fn set_limit(&self, limit: usize) -> Vec<T> {
        assert!(limit > 0, "a limit of zero tasks could never run any");
        let mut inner = self.inner();
        inner.limit = limit;
        let mut started = Vec::new();
        if inner.closed {
            return started;
        }
        while inner.active - inner.queue.len() < inner.limit {
            match inner.queue.pop_front() {
                Some(next) => started.push(next),
                None => break,
            }
        }
        let waiters = if inner.is_ready() {
            std::mem::take(&mut inner.waiters)
        } else {
            Vec::new()
        };
        drop(inner);
        for (_, waiter) in waiters {
            crate::sync::wake(waiter);
        }
        started
    }

    /// Takes out of the queue the first task that `is_it` recognises, to be dropped unstarted
    /// (the task was cancelled, or dropped by its runtime, while waiting for a slot). Its drop must then `leave`, as any
    /// task that entered does: until then it still counts as active, which only delays a
    /// hand-over to that `leave`, never loses one.
    pub(crate) fn withdraw(&self, is_it: impl Fn(&T) -> bool) -> Option<T> {
        let mut inner = self.inner();
        let position = inner.queue.iter().position(is_it)?;
        inner.queue.remove(position)
    }

    /// Refuses every new task from now on; returns the queued ones, to be dropped unstarted.
    pub(crate) fn close(&self) -> VecDeque<T> {
        let mut inner = self.inner();
        inner.closed = true;
        let queue = std::mem::take(&mut inner.queue);
        let waiters = std::mem::take(&mut inner.waiters);
        drop(inner);
        for (_, waiter) in waiters {
            crate::sync::wake(waiter);
        }
        queue
    }

    /// Waits until a new task would start at once (a slot is free and nobody is queued), or
    /// the limit is closed. Dropping the future takes its waker out.
    pub(crate) fn ready(&self) -> WaitReady<'_, T> {
        WaitReady {
            slots: self,
            key: None,
        }
    }

    /// See [`WaitReady`]: `key` is the waiter's registration, if it has one.
    fn poll_ready(&self, cx: &mut Context<'_>, key: &mut Option<u64>) -> Poll<()> {
        {
            let mut inner = self.inner();
            if inner.is_ready() {
                let stale = inner.unregister(key);
                drop(inner);
                drop(stale);
                return Poll::Ready(());
            }
            if let Some(waker) = inner.registered(*key) {
                if waker.will_wake(cx.waker()) {
                    return Poll::Pending;
                }
            }
        }
        // Cloned outside the lock: a waker's clone is foreign code, which may re-enter the group.
        let waker = cx.waker().clone();
        let mut inner = self.inner();
        if inner.is_ready() {
            // A slot freed up meanwhile.
            let stale = inner.unregister(key);
            drop(inner);
            drop((stale, waker));
            return Poll::Ready(());
        }
        let replaced = inner.register(key, waker);
        // A waker's drop is foreign code too.
        drop(inner);
        drop(replaced);
        Poll::Pending
    }

    /// A [`WaitReady`] future is dropped: its waker, if still registered, goes.
    fn forget_waiter(&self, key: &mut Option<u64>) {
        if key.is_none() {
            return;
        }
        let mut inner = self.inner();
        let stale = inner.unregister(key);
        drop(inner);
        drop(stale);
    }
}

impl<T> Inner<T> {
    fn is_ready(&self) -> bool {
        self.closed || self.active < self.limit
    }

    /// The waker registered under `key`, unless a wake-up took it since.
    fn registered(&self, key: Option<u64>) -> Option<&Waker> {
        let key = key?;
        self.waiters
            .iter()
            .find(|(registered, _)| *registered == key)
            .map(|(_, waker)| waker)
    }

    /// Registers `waker` under `key`, or under a new key if the old one was taken by a
    /// wake-up (or there was none); returns the waker it replaces, to be dropped unlocked.
    fn register(&mut self, key: &mut Option<u64>, waker: Waker) -> Option<Waker> {
        if let Some(key) = *key {
            if let Some((_, registered)) = self
                .waiters
                .iter_mut()
                .find(|(registered, _)| *registered == key)
            {
                return Some(std::mem::replace(registered, waker));
            }
        }
        let new_key = self.next_key;
        self.next_key += 1;
        self.waiters.push((new_key, waker));
        *key = Some(new_key);
        None
    }

    /// Takes the waker registered under `key` out, if a wake-up did not take it; returns it,
    /// to be dropped unlocked.
    fn unregister(&mut self, key: &mut Option<u64>) -> Option<Waker> {
        let key = key.take()?;
        let position = self
            .waiters
            .iter()
            .position(|(registered, _)| *registered == key)?;
        Some(self.waiters.swap_remove(position).1)
    }
}

/// Future of [`Slots::ready`]: ready once a new task would start at once, or the limit is
/// closed. Registered at most once among the waiters; dropping it unregisters it, so a
/// producer that gives up on a wait (a timeout, a `select!`) leaves nothing behind.
#[must_use = "futures do nothing unless polled"]
pub(crate) struct WaitReady<'a, T> {
    slots: &'a Slots<T>,
    /// Its registration among the waiters, if it has one.
    key: Option<u64>,
}

impl<T> Future for WaitReady<'_, T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        this.slots.poll_ready(cx, &mut this.key)
    }
}

impl<T> Drop for WaitReady<'_, T> {
    fn drop(&mut self) {
        self.slots.forget_waiter(&mut self.key);
    }
}

/// The limit, opened to the loom models (`tests/loom_limit.rs`). Not part of the API.
#[cfg(loom)]
pub mod loom_access {
    use std::collections::VecDeque;
    use std::future::Future;

    pub use super::Entry;

    /// See the crate's `Slots`.
    pub struct Slots<T>(super::Slots<T>);

    impl<T> std::fmt::Debug for Slots<T> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("Slots")
        }
    }

    impl<T> Slots<T> {
        /// See the crate's `Slots::new`.
        pub fn new(limit: usize) -> Self {
            Slots(super::Slots::new(limit))
        }

        /// See the crate's `Slots::enter`.
        pub fn enter(&self, queued: impl FnOnce() -> T) -> Entry {
            self.0.enter(queued)
        }

        /// See the crate's `Slots::leave`.
        pub fn leave(&self) -> Option<T> {
            self.0.leave()
        }

        /// See the crate's `Slots::withdraw`.
        pub fn withdraw(&self, is_it: impl Fn(&T) -> bool) -> Option<T> {
            self.0.withdraw(is_it)
        }

        /// See the crate's `Slots::close`.
        pub fn close(&self) -> VecDeque<T> {
            self.0.close()
        }

        /// See the crate's `Slots::ready`.
        pub fn ready(&self) -> impl Future<Output = ()> + '_ {
            self.0.ready()
        }

        /// How many wakers wait for a free slot.
        pub fn waiters(&self) -> usize {
            self.0.inner().waiters.len()
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn queued_tasks_take_freed_slots_in_order() {
        let slots = Slots::new(2);
        assert_eq!(slots.enter(|| 0), Entry::Start);
        assert_eq!(slots.enter(|| 1), Entry::Start);
        assert_eq!(slots.enter(|| 2), Entry::Queued);
        assert_eq!(slots.enter(|| 3), Entry::Queued);
        assert_eq!(slots.leave(), Some(2));
        assert_eq!(slots.leave(), Some(3));
        assert_eq!(slots.leave(), None);
        // One still runs: one more starts, the next waits.
        assert_eq!(slots.enter(|| 4), Entry::Start);
        assert_eq!(slots.enter(|| 5), Entry::Queued);
        assert_eq!(slots.enter(|| 7), Entry::Queued);
        assert_eq!(slots.withdraw(|&task| task == 7), Some(7));
        assert_eq!(slots.withdraw(|&task| task == 7), None);
        // The withdrawn task's drop leaves: nothing to hand over, it held no slot.
        assert_eq!(slots.leave(), None);
        assert_eq!(slots.close(), [5]);
        assert_eq!(slots.enter(|| 6), Entry::Refused);
        assert_eq!(slots.leave(), None);
    }
}
