//! Wakers kept past the combinator's life: a child may keep (a clone of) its waker after it
//! completed, after the combinator returned `Ready`, and after the combinator was dropped.
//! Waking or dropping such a waker, from any thread, must be harmless and poll nothing; the
//! last one gone releases the shared state, parent waker included.

#[allow(dead_code)]
mod support;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::thread;
use std::time::Duration;

use cancel_cascade::{select_first, try_join_all_cancel, wait_any};
use futures::future::FusedFuture;
use support::{watchdog, Log, Opener, WakeCounter};

#[test]
fn wakes_after_ready_poll_no_child() {
    let log = Log::new();
    let (gates, openers) = log.gates(0..20);
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut cx = Context::from_waker(&waker);
    let mut select = select_first(gates);
    assert!(Pin::new(&mut select).poll(&mut cx).is_pending());
    openers[11].open();
    assert_eq!(Pin::new(&mut select).poll(&mut cx), Poll::Ready((11, 11)));
    let (polls, drops) = (log.polls(), log.drops());

    for opener in &openers {
        opener.open();
    }

    assert!(select.is_terminated());
    assert_eq!(log.polls(), polls);
    drop(select);
    assert_eq!(
        log.drops(),
        drops,
        "dropping the finished combinator drops no child again"
    );
}

#[test]
fn wakes_after_the_combinator_was_dropped_are_harmless_from_any_thread() {
    let log = Log::new();
    let (gates, openers) = log.gates((0..300).map(Ok::<usize, ()>));
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut join = try_join_all_cancel(gates);
    assert!(Pin::new(&mut join)
        .poll(&mut Context::from_waker(&waker))
        .is_pending());
    let kept: Vec<_> = openers.iter().map(|opener| opener.waker()).collect();

    drop(join);
    assert_eq!(log.drops(), 300);
    for opener in &openers[..100] {
        opener.open();
    }
    let elsewhere = thread::spawn(move || {
        for (index, waker) in kept.into_iter().enumerate() {
            if index % 2 == 0 {
                waker.wake();
            } else {
                waker.wake_by_ref();
            }
        }
    });
    elsewhere.join().unwrap();

    assert_eq!(
        log.polls(),
        300,
        "no child polled after the combinator is gone"
    );
    assert_eq!(log.drops(), 300);
}

#[test]
fn dropping_the_combinator_releases_the_parent_waker() {
    let log = Log::new();
    let (gates, openers) = log.gates(0..5);
    let parent = WakeCounter::new();
    let mut wait = wait_any(gates);
    {
        let waker = parent.waker();
        assert!(Pin::new(&mut wait)
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
    }
    assert!(
        Arc::strong_count(&parent) > 1,
        "the combinator holds the parent's waker"
    );

    drop(wait);
    assert_eq!(
        Arc::strong_count(&parent),
        1,
        "dropping the combinator lets go of the parent's waker, though child wakers are kept"
    );
    let last = openers[3].waker();
    for opener in &openers {
        opener.forget_waker();
    }
    // The clone now owns the shared state alone; its wake reaches no parent.
    thread::spawn(move || {
        last.wake_by_ref();
        drop(last);
    })
    .join()
    .unwrap();

    assert_eq!(
        Arc::strong_count(&parent),
        1,
        "the parent's waker was released"
    );
}

/// The last two references to the shared state go on two threads that nothing else orders: a
/// kept clone, woken and dropped on another thread, then the combinator here. Under miri, whose
/// race detector counts the free as a write, this checks that the free happens after the other
/// thread's last use of the state (the reference count's release and acquire order them).
#[test]
fn the_last_two_references_released_on_two_threads() {
    watchdog("two racing releases", Duration::from_secs(60), || {
        let log = Log::new();
        let (gates, openers) = log.gates(0..3);
        let parent = WakeCounter::new();
        let waker = parent.waker();
        let mut select = select_first(gates);
        assert!(Pin::new(&mut select)
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
        let kept = openers[1].waker();
        openers.iter().for_each(Opener::forget_waker);

        let released = Arc::new(AtomicBool::new(false));
        let elsewhere = thread::spawn({
            let released = Arc::clone(&released);
            move || {
                kept.wake();
                // Relaxed on purpose: this flag must not order the two releases.
                released.store(true, Ordering::Relaxed);
            }
        });
        while !released.load(Ordering::Relaxed) {
            thread::yield_now();
        }
        drop(select);
        elsewhere.join().unwrap();

        drop(waker);
        assert_eq!(Arc::strong_count(&parent), 1);
    });
}
