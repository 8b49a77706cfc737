//! The crate's own timer, for builds with neither tokio's timer nor `async-io`'s: one thread,
//! started at the first use, that wakes each sleep at its deadline. Deadlines are kept in order
//! in one map, and a sleep dropped before its deadline takes its entry out: nothing stays
//! behind it.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Instant;
use std::vec::Vec;

/// The timer thread's state: every pending sleep's waker, by deadline (ties broken by a
/// number given at registration).
struct Timer {
    sleeps: Mutex<Sleeps>,
    /// Told when a sleep with a deadline earlier than every other one was registered.
    earlier: Condvar,
}

#[derive(Default)]
struct Sleeps {
    pending: BTreeMap<(Instant, u64), Waker>,
    next_key: u64,
}

impl Timer {
    /// The timer, its thread started at the first call.
    fn get() -> &'static Timer {
        static TIMER: OnceLock<Timer> = OnceLock::new();
        static THREAD: OnceLock<()> = OnceLock::new();
        let timer = TIMER.get_or_init(|| Timer {
            sleeps: Mutex::default(),
            earlier: Condvar::new(),
        });
        THREAD.get_or_init(|| {
            std::thread::Builder::new()
                .name("cancel-cascade-timer".into())
                .spawn(move || timer.run())
                .expect("cancel_cascade: could not start the timer thread");
        });
        timer
    }

    fn sleeps(&self) -> MutexGuard<'_, Sleeps> {
        self.sleeps.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Wakes each sleep at its deadline, forever. Wakers run outside the lock, and one that
    /// panics does not stop the thread.
    fn run(&self) {
        let mut sleeps = self.sleeps();
        loop {
            let now = Instant::now();
            let mut due = Vec::new();
            while let Some(entry) = sleeps.pending.first_entry() {
                if entry.key().0 > now {
                    break;
                }
                due.push(entry.remove());
            }
            if !due.is_empty() {
                drop(sleeps);
                for waker in due {
                    let _ = catch_unwind(AssertUnwindSafe(|| crate::sync::wake(waker)));
                }
                sleeps = self.sleeps();
                continue;
            }
            sleeps = match sleeps.pending.keys().next() {
                Some(&(deadline, _)) => {
                    let wait = deadline.saturating_duration_since(now);
                    self.earlier
                        .wait_timeout(sleeps, wait)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
                None => self
                    .earlier
                    .wait(sleeps)
                    .unwrap_or_else(PoisonError::into_inner),
            };
        }
    }
}

/// Completes at its deadline, on the crate's timer thread; never, without one.
pub(crate) struct Sleep {
    deadline: Option<Instant>,
    /// The key of its entry, while one is registered.
    key: Option<(Instant, u64)>,
}

impl Sleep {
    pub(crate) fn until(deadline: Option<Instant>) -> Sleep {
        Sleep {
            deadline,
            key: None,
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let Some(deadline) = self.deadline else {
            return Poll::Pending;
        };
        if Instant::now() >= deadline {
            self.unregister();
            return Poll::Ready(());
        }
        let timer = Timer::get();
        // Cloned before the lock is taken; the waker replaced is dropped after it is released.
        let waker = cx.waker().clone();
        let replaced = {
            let mut sleeps = timer.sleeps();
            match self.key {
                Some(key) => match sleeps.pending.get_mut(&key) {
                    Some(kept) => Some(std::mem::replace(kept, waker)),
                    // The timer took the entry out: its deadline passed since the check above
                    // (and the waker it woke was the one before this poll's).
                    None => {
                        drop(sleeps);
                        self.key = None;
                        drop(waker);
                        return Poll::Ready(());
                    }
                },
                None => {
                    let key = (deadline, sleeps.next_key);
                    sleeps.next_key += 1;
                    let earliest = sleeps
                        .pending
                        .keys()
                        .next()
                        .map_or(true, |first| key < *first);
                    sleeps.pending.insert(key, waker);
                    self.key = Some(key);
                    if earliest {
                        timer.earlier.notify_one();
                    }
                    None
                }
            }
        };
        drop(replaced);
        Poll::Pending
    }
}

impl Sleep {
    /// Takes this sleep's entry out of the timer, if it has one.
    fn unregister(&mut self) {
        if let Some(key) = self.key.take() {
            let removed = Timer::get().sleeps().pending.remove(&key);
            drop(removed);
        }
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.unregister();
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::boxed::Box;
    use std::time::Duration;

    // The timer thread runs on after the test, which miri reports as an error.
    #[cfg_attr(miri, ignore)]
    #[test]
    fn sleeps_complete_in_deadline_order_and_dropped_ones_leave_nothing() {
        let start = Instant::now();
        let late = Sleep::until(Some(start + Duration::from_millis(40)));
        let mut dropped = Box::pin(Sleep::until(Some(start + Duration::from_secs(3600))));
        let waker = futures_util::task::noop_waker();
        assert!(dropped
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
        let key = dropped.key.unwrap();
        drop(dropped);
        assert!(!Timer::get().sleeps().pending.contains_key(&key));
        block_on(late);
        assert!(start.elapsed() >= Duration::from_millis(40));
    }

    /// The timer thread fired the entry (its deadline passed) between a poll's look at the
    /// clock and its lock: the poll must see it gone and complete, not put the entry back
    /// where nothing would wake its waker again.
    // The timer thread runs on after the test, which miri reports as an error.
    #[cfg_attr(miri, ignore)]
    #[test]
    fn a_poll_that_finds_its_entry_fired_completes() {
        let mut sleep = Box::pin(Sleep::until(Some(
            Instant::now() + Duration::from_secs(3600),
        )));
        let waker = futures_util::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        assert!(sleep.as_mut().poll(&mut cx).is_pending());
        let key = sleep.key.unwrap();
        // What the timer thread does at the deadline.
        let fired = Timer::get().sleeps().pending.remove(&key);
        assert!(fired.is_some());
        assert!(sleep.as_mut().poll(&mut cx).is_ready());
        assert!(
            !Timer::get().sleeps().pending.contains_key(&key),
            "the entry was put back"
        );
    }

    /// A minimal `block_on`, so the unit test needs no executor crate.
    fn block_on<F: Future>(future: F) -> F::Output {
        struct Unpark(std::thread::Thread);
        impl std::task::Wake for Unpark {
            fn wake(self: std::sync::Arc<Self>) {
                self.0.unpark();
            }
        }
        let waker = Waker::from(std::sync::Arc::new(Unpark(std::thread::current())));
        let mut future = Box::pin(future);
        loop {
            if let Poll::Ready(output) = future.as_mut().poll(&mut Context::from_waker(&waker)) {
                return output;
            }
            std::thread::park();
        }
    }
}
