//! Defects found in review, each shown by a test that fails on the code it was written against.
//! Hand-polled where possible, with a watchdog (or a bounded wait) where a lost wake-up would
//! otherwise hang the test.
//!
//! Run as `cargo test -p cancel-cascade --features tokio,tokio-util --test review_findings`:
//! the timer-thread test needs a build without `async-io`, which the other workspace members
//! turn on when the package is not selected alone.
#![cfg(all(feature = "std", not(loom)))]

#[allow(dead_code)]
mod support;

use std::thread;
use std::time::Duration;

use cancel_cascade::CancelToken;

/// A cancellation of a token that races with the cancellation of an ancestor returns before
/// the token's subtree is cancelled: the ancestor's walk marked the token first, so the second
/// `cancel` finds it marked and returns at once, while its descendants still read not
/// cancelled. `cancel` promises that the token and every child token are cancelled.
#[test]
fn cancel_returns_only_once_the_whole_subtree_reads_cancelled_even_when_racing_an_ancestor() {
    const DEPTH: usize = 200_000;
    const ATTEMPTS: usize = 10;
    let body = || {
        for attempt in 0..ATTEMPTS {
            let root = CancelToken::new();
            let middle = root.child_token();
            // Only the leaf is kept: it keeps every token between it and `middle` alive.
            let mut leaf = middle.child_token();
            for _ in 0..DEPTH {
                leaf = leaf.child_token();
            }
            let cancelling = {
                let root = root.clone();
                thread::spawn(move || root.cancel())
            };
            while !middle.is_cancelled() {
                std::hint::spin_loop();
            }
            middle.cancel();
            let leaf_cancelled = leaf.is_cancelled();
            cancelling.join().unwrap();
            assert!(
                leaf_cancelled,
                "attempt {attempt}: `cancel` returned while a descendant of the token still \
                 read not cancelled (another thread's cancellation of an ancestor was under way)"
            );
        }
    };
    support::watchdog("racing cancels", Duration::from_secs(120), body);
}

/// The timer thread (no `async-io`): a sleep polled again with a new waker whose clone takes a
/// while. The poll reads the time before it clones the waker; meanwhile the deadline passes, the
/// timer thread fires the entry (waking the old waker) and goes back to wait. The poll then puts
/// the entry back, with the new waker, through the `Some(key)` path, which never notifies the
/// timer thread: the poll returns `Pending` past the deadline and the new waker is never woken.
#[cfg(not(feature = "async-io"))]
#[allow(unsafe_code)]
mod timer_thread {
    use std::future::{pending, Future};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::{Context, RawWaker, RawWakerVTable, Waker};
    use std::thread;
    use std::time::{Duration, Instant};

    use cancel_cascade::time::timeout_at;

    use super::support::WakeCounter;

    /// A waker whose every clone first sleeps for `delay`; counts its wake-ups.
    struct SlowClone {
        delay: Duration,
        wakes: AtomicUsize,
    }

    const VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);

    fn raw(state: Arc<SlowClone>) -> RawWaker {
        RawWaker::new(Arc::into_raw(state).cast(), &VTABLE)
    }

    unsafe fn clone(data: *const ()) -> RawWaker {
        // SAFETY: `data` comes from `Arc::into_raw` in `raw`, and the waker holds that count.
        let state = unsafe {
            Arc::increment_strong_count(data.cast::<SlowClone>());
            Arc::from_raw(data.cast::<SlowClone>())
        };
        thread::sleep(state.delay);
        raw(state)
    }

    unsafe fn wake(data: *const ()) {
        // SAFETY: as in `clone`; this takes the waker's count.
        let state = unsafe { Arc::from_raw(data.cast::<SlowClone>()) };
        state.wakes.fetch_add(1, Ordering::SeqCst);
    }

    unsafe fn wake_by_ref(data: *const ()) {
        // SAFETY: as in `clone`; the count stays with the waker.
        let state = unsafe { &*data.cast::<SlowClone>() };
        state.wakes.fetch_add(1, Ordering::SeqCst);
    }

    unsafe fn drop_waker(data: *const ()) {
        // SAFETY: as in `clone`; this gives back the waker's count.
        drop(unsafe { Arc::from_raw(data.cast::<SlowClone>()) });
    }

    #[test]
    fn a_sleep_polled_again_as_its_deadline_passes_wakes_its_latest_waker() {
        let deadline = Instant::now() + Duration::from_millis(100);
        let mut timeout = Box::pin(timeout_at(deadline, pending::<()>()));
        let first = WakeCounter::new();
        let first_waker = first.waker();
        assert!(timeout
            .as_mut()
            .poll(&mut Context::from_waker(&first_waker))
            .is_pending());
        let latest = Arc::new(SlowClone {
            delay: Duration::from_millis(500),
            wakes: AtomicUsize::new(0),
        });
        // SAFETY: `VTABLE`'s functions keep the contract of a `RawWaker` around an `Arc`.
        let latest_waker = unsafe { Waker::from_raw(raw(Arc::clone(&latest))) };
        let second = timeout
            .as_mut()
            .poll(&mut Context::from_waker(&latest_waker));
        if second.is_ready() {
            return;
        }
        // The first waker was woken by the timer thread while the clone slept: it no longer
        // counts, the latest poll's waker does.
        let start = Instant::now();
        while latest.wakes.load(Ordering::SeqCst) == 0 && start.elapsed() < Duration::from_secs(3)
        {
            thread::sleep(Duration::from_millis(10));
        }
        assert!(
            latest.wakes.load(Ordering::SeqCst) > 0,
            "the waker of the latest poll was never woken, {:?} past the deadline (the poll \
             returned `Pending` after the deadline; the earlier waker was woken {} time(s))",
            Instant::now() - deadline,
            first.wakes(),
        );
    }
}

#[cfg(feature = "tokio-util")]
mod tokio_util_bridge {
    use std::future::Future;
    use std::panic::{catch_unwind, AssertUnwindSafe};
    use std::pin::Pin;
    use std::sync::Arc;
    use std::task::{Context, Wake, Waker};
    use std::time::Duration;

    use cancel_cascade::CancelToken;
    use tokio_util::sync::CancellationToken;

    use super::support::{self, WakeCounter};

    struct Panics;

    impl Wake for Panics {
        fn wake(self: Arc<Self>) {
            panic!("review: a waiter's waker panics");
        }
    }

    /// A token made from a tokio-util token registers a watch (a waker) with it. When the
    /// tokio-util token is cancelled, the watch cancels ours from inside tokio's
    /// `notify_waiters`, and a panic of one of our waiters' wakers resumes right there: tokio
    /// drops the wakers left in its batch without waking them, and tokio-util skips the
    /// notifications left in its loop. Waiters that have nothing to do with ours are never
    /// woken; our own token promises that a panicking waker keeps no other waiter asleep.
    #[test]
    fn a_panicking_waiter_of_ours_does_not_keep_tokio_utils_own_waiters_asleep() {
        support::quiet_panics_containing("review: a waiter's waker panics");
        let theirs = CancellationToken::new();
        let ours = CancelToken::from(theirs.clone());
        let mut ours_waiting = Box::pin(ours.cancelled());
        let panics = Waker::from(Arc::new(Panics));
        assert!(ours_waiting
            .as_mut()
            .poll(&mut Context::from_waker(&panics))
            .is_pending());
        // tokio-util's own waiters, registered after our watch, on the token and on a child.
        let counter = WakeCounter::new();
        let waker = counter.waker();
        let child = theirs.child_token();
        let mut waiting: Vec<Pin<Box<dyn Future<Output = ()>>>> = Vec::new();
        for _ in 0..4 {
            waiting.push(Box::pin(theirs.clone().cancelled_owned()));
            waiting.push(Box::pin(child.clone().cancelled_owned()));
        }
        for future in &mut waiting {
            assert!(future
                .as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_pending());
        }
        let cancelled = catch_unwind(AssertUnwindSafe(|| theirs.cancel()));
        assert!(ours.is_cancelled());
        assert_eq!(
            counter.wakes(),
            waiting.len(),
            "tokio-util's waiters woken by `cancel` (which {}): a panic of a waker of ours, \
             resumed inside tokio's notification, left the others asleep",
            if cancelled.is_err() { "panicked" } else { "returned" },
        );
        drop(ours_waiting);
    }

    /// A chain that goes back and forth between the two kinds of token: ours, a child of it,
    /// a tokio-util token made from that child, ours made from that, and so on. Each link's
    /// cancellation reaches the next through a tokio-util `cancel`, whose notification wakes
    /// the next watch, which cancels the next token of ours, inside the previous one's call:
    /// one nested `cancel` per link, where a chain of child tokens is cancelled in a loop.
    /// Run in a child process, where a stack overflow aborts only the child.
    #[test]
    fn a_chain_through_tokio_util_tokens_is_cancelled_without_recursion() {
        support::in_child_process(
            "tokio_util_bridge::a_chain_through_tokio_util_tokens_is_cancelled_without_recursion",
            Duration::from_secs(120),
            || {
                const LINKS: usize = 20_000;
                let run = || {
                    let first = CancelToken::new();
                    let mut kept = vec![first.clone()];
                    let mut link = first.clone();
                    for _ in 0..LINKS {
                        let child = link.child_token();
                        let theirs = CancellationToken::from(child.clone());
                        link = CancelToken::from(theirs);
                        kept.push(child);
                        kept.push(link.clone());
                    }
                    eprintln!("the chain is built");
                    first.cancel();
                    eprintln!("the chain is cancelled");
                    assert!(link.is_cancelled());
                    // Dropped one at a time from the far end, not through the chain.
                    while kept.pop().is_some() {}
                };
                std::thread::Builder::new()
                    .stack_size(1 << 20)
                    .spawn(run)
                    .unwrap()
                    .join()
                    .unwrap();
            },
        );
    }
}
