//! `CancelToken` and wakers that run code of their own: a waker whose drop, clone or wake calls
//! back into the same token must neither deadlock nor lose a wake-up, because the token never
//! runs a waker (clone, drop, wake) while it holds its lock.
#![cfg(not(loom))]

#[allow(dead_code)]
mod support;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};
use std::time::Duration;

use cancel_cascade::{CancelToken, Cancelled};
use support::{panic_message, watchdog};

const LIMIT: Duration = Duration::from_secs(20);

fn poll(cancelled: &mut Cancelled, waker: &Waker) -> Poll<()> {
    Pin::new(cancelled).poll(&mut Context::from_waker(waker))
}

/// What a [`hook_waker`] does when it is cloned, woken, or dropped for the last time.
#[derive(Default)]
struct Hooks {
    on_clone: Option<Box<dyn Fn() + Send + Sync>>,
    on_wake: Option<Box<dyn Fn() + Send + Sync>>,
    on_drop: Option<Box<dyn Fn() + Send + Sync>>,
    clones: AtomicUsize,
    wakes: AtomicUsize,
}

/// A waker made by hand, so that each of its operations can run a hook: the hooks of a waker
/// built with `std::task::Wake` cannot see its clones and drops.
#[allow(unsafe_code)]
fn hook_waker(hooks: Arc<Hooks>) -> Waker {
    fn clone(data: *const ()) -> RawWaker {
        // SAFETY: `data` came from `Arc::into_raw` on an `Arc<Hooks>` kept alive by this waker.
        let hooks = unsafe { Arc::from_raw(data as *const Hooks) };
        hooks.clones.fetch_add(1, Ordering::SeqCst);
        if let Some(hook) = &hooks.on_clone {
            hook();
        }
        let copy = Arc::clone(&hooks);
        std::mem::forget(hooks);
        RawWaker::new(Arc::into_raw(copy) as *const (), &VTABLE)
    }
    fn wake(data: *const ()) {
        /// Gives the waker's reference back also when the hook panics.
        struct GiveBack(*const ());
        impl Drop for GiveBack {
            fn drop(&mut self) {
                drop_waker(self.0);
            }
        }
        let _give_back = GiveBack(data);
        wake_by_ref(data);
    }
    fn wake_by_ref(data: *const ()) {
        // SAFETY: as in `clone`; the reference is not kept.
        let hooks = unsafe { &*(data as *const Hooks) };
        hooks.wakes.fetch_add(1, Ordering::SeqCst);
        if let Some(hook) = &hooks.on_wake {
            hook();
        }
    }
    fn drop_waker(data: *const ()) {
        // SAFETY: as in `clone`; this waker's reference is given back here, once.
        let hooks = unsafe { Arc::from_raw(data as *const Hooks) };
        if Arc::strong_count(&hooks) > 1 {
            return;
        }
        if let Some(hook) = &hooks.on_drop {
            hook();
        }
    }
    static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);
    // SAFETY: the vtable above keeps the `Arc` count balanced: one per live waker.
    unsafe { Waker::from_raw(RawWaker::new(Arc::into_raw(hooks) as *const (), &VTABLE)) }
}

#[test]
fn a_replaced_waker_whose_drop_cancels_the_token_does_not_deadlock() {
    watchdog("replaced waker cancels", LIMIT, || {
        let token = CancelToken::new();
        let cancelling = token.clone();
        let first = hook_waker(Arc::new(Hooks {
            on_drop: Some(Box::new(move || cancelling.cancel())),
            ..Hooks::default()
        }));
        let second = hook_waker(Arc::new(Hooks::default()));
        let mut cancelled = token.cancelled();
        assert!(poll(&mut cancelled, &first).is_pending());
        // Polled again with another waker: the stored clone of `first` is replaced and dropped,
        // and its drop cancels the token.
        drop(first);
        assert!(poll(&mut cancelled, &second).is_pending());
        assert!(token.is_cancelled());
        assert!(poll(&mut cancelled, &second).is_ready());
    });
}

#[test]
fn a_waker_whose_drop_cancels_the_token_can_be_dropped_with_its_future() {
    watchdog("dropped waker cancels", LIMIT, || {
        let token = CancelToken::new();
        let cancelling = token.clone();
        let waker = hook_waker(Arc::new(Hooks {
            on_drop: Some(Box::new(move || cancelling.cancel())),
            ..Hooks::default()
        }));
        let mut cancelled = token.cancelled();
        assert!(poll(&mut cancelled, &waker).is_pending());
        drop(waker);
        // The future's drop lets go of the last clone, which cancels the token.
        drop(cancelled);
        assert!(token.is_cancelled());
    });
}

#[test]
fn a_waker_whose_clone_touches_the_token_does_not_deadlock() {
    watchdog("clone re-enters", LIMIT, || {
        let token = CancelToken::new();
        let reentrant = token.clone();
        let children = Arc::new(Mutex::new(Vec::new()));
        let made = Arc::clone(&children);
        let hooks = Arc::new(Hooks {
            on_clone: Some(Box::new(move || {
                made.lock().unwrap().push(reentrant.child_token());
            })),
            ..Hooks::default()
        });
        let waker = hook_waker(Arc::clone(&hooks));
        let mut cancelled = token.cancelled();
        assert!(poll(&mut cancelled, &waker).is_pending());
        assert!(poll(&mut cancelled, &waker).is_pending());
        token.cancel();
        assert_eq!(hooks.wakes.load(Ordering::SeqCst), 1, "woken exactly once");
        assert!(children
            .lock()
            .unwrap()
            .iter()
            .all(CancelToken::is_cancelled));
        assert!(poll(&mut cancelled, &waker).is_ready());
    });
}

#[test]
fn a_waker_whose_wake_polls_and_cancels_again_is_woken_once() {
    watchdog("wake re-enters", LIMIT, || {
        let token = CancelToken::new();
        let child = token.child_token();
        let reentrant = token.clone();
        let observed = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&observed);
        let hooks = Arc::new(Hooks {
            on_wake: Some(Box::new(move || {
                // Inside `cancel`: the token reads cancelled, and cancelling again does nothing.
                reentrant.cancel();
                let mut late = reentrant.cancelled();
                let noop = futures::task::noop_waker();
                if poll(&mut late, &noop).is_ready() && reentrant.child_token().is_cancelled() {
                    seen.fetch_add(1, Ordering::SeqCst);
                }
            })),
            ..Hooks::default()
        });
        let waker = hook_waker(Arc::clone(&hooks));
        let mut on_child = child.cancelled();
        assert!(poll(&mut on_child, &waker).is_pending());
        token.cancel();
        assert_eq!(hooks.wakes.load(Ordering::SeqCst), 1);
        assert_eq!(observed.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn a_waker_that_panics_does_not_stop_the_others_from_being_woken() {
    support::quiet_panics_containing("waker panics on purpose");
    let token = CancelToken::new();
    let child = token.child_token();
    let panicking = hook_waker(Arc::new(Hooks {
        on_wake: Some(Box::new(|| panic!("waker panics on purpose"))),
        ..Hooks::default()
    }));
    let counted = Arc::new(Hooks::default());
    let counting = hook_waker(Arc::clone(&counted));
    let mut first = token.cancelled();
    let mut second = token.cancelled();
    let mut on_child = child.cancelled();
    assert!(poll(&mut first, &panicking).is_pending());
    assert!(poll(&mut second, &counting).is_pending());
    assert!(poll(&mut on_child, &counting).is_pending());
    let panic = std::panic::catch_unwind(|| token.cancel()).expect_err("the waker's panic");
    assert!(panic_message(panic).contains("on purpose"));
    assert!(child.is_cancelled(), "the child is cancelled all the same");
    assert_eq!(
        counted.wakes.load(Ordering::SeqCst),
        2,
        "both other waiters woken"
    );
}
