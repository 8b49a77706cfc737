//! `ready()` is cancel safe: a `ready()` future dropped while it waited for a slot takes its
//! waker out of the group. (A producer that races `ready()` against a timeout per request
//! would otherwise leave one waker behind per request, until a slot freed with nobody queued.)
#![cfg(all(feature = "tokio", not(loom)))]

use std::future::{pending, Future};
use std::pin::pin;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll, Wake, Waker};

use cancel_cascade::rt::tokio::Tokio;
use cancel_cascade::{TaskGroup, TaskSet};

/// A waker of its own per poll: whether its last clone is gone tells whether the group kept it.
struct Noop;

impl Wake for Noop {
    fn wake(self: Arc<Self>) {}
}

/// Polls `future` once with a new waker, expecting it to wait, and drops it; returns a handle
/// that tells whether anything still holds that waker.
fn poll_once_then_drop(future: impl Future<Output = ()>) -> Weak<Noop> {
    let noop = Arc::new(Noop);
    let kept = Arc::downgrade(&noop);
    let waker = Waker::from(noop);
    let mut future = pin!(future);
    let polled = future.as_mut().poll(&mut Context::from_waker(&waker));
    assert_eq!(polled, Poll::Pending, "no slot is free: `ready` waits");
    kept
}

fn wakers_kept(kept: &[Weak<Noop>]) -> usize {
    kept.iter().filter(|waker| waker.strong_count() > 0).count()
}

#[test]
fn dropped_ready_futures_leave_no_waker_behind() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let _inside = runtime.enter();
    let mut group = TaskGroup::<_, ()>::new(Tokio).with_limit(1);
    let spawner = group.spawner();
    group.spawn(pending::<Result<(), ()>>());
    let mut kept = Vec::new();
    for _ in 0..1_000 {
        kept.push(poll_once_then_drop(group.ready()));
        kept.push(poll_once_then_drop(spawner.ready()));
    }
    assert_eq!(wakers_kept(&kept), 0, "wakers of dropped `ready()` futures");
    drop(group);
}

#[test]
fn dropped_ready_futures_of_a_set_leave_no_waker_behind() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let _inside = runtime.enter();
    let mut set = TaskSet::<_, (), ()>::new(Tokio).with_limit(1);
    let spawner = set.spawner();
    set.spawn(pending());
    let mut kept = Vec::new();
    for _ in 0..1_000 {
        kept.push(poll_once_then_drop(set.ready()));
        kept.push(poll_once_then_drop(spawner.ready()));
    }
    assert_eq!(wakers_kept(&kept), 0, "wakers of dropped `ready()` futures");
    drop(set);
}

/// A `ready()` future polled again with the same waker keeps one registration, and one that
/// waits on when another is dropped is still woken when a slot frees.
#[test]
fn a_waiting_ready_future_is_still_woken_after_another_was_dropped() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let _inside = runtime.enter();
    let mut group = TaskGroup::<_, ()>::new(Tokio).with_limit(1);
    let (release, released) = tokio::sync::oneshot::channel::<()>();
    group.spawn(async move {
        let _ = released.await;
        Ok(())
    });
    let waiting = Arc::new(Counter::default());
    let waker = Waker::from(Arc::clone(&waiting));
    let mut cx = Context::from_waker(&waker);
    let mut ready = Box::pin(group.ready());
    assert_eq!(ready.as_mut().poll(&mut cx), Poll::Pending);
    assert_eq!(ready.as_mut().poll(&mut cx), Poll::Pending);
    let dropped = poll_once_then_drop(group.ready());
    assert_eq!(wakers_kept(&[dropped]), 0);
    release.send(()).unwrap();
    runtime.block_on(async {
        while waiting.wakes() == 0 {
            tokio::task::yield_now().await;
        }
    });
    assert_eq!(ready.as_mut().poll(&mut cx), Poll::Ready(()));
    assert_eq!(waiting.wakes(), 1);
    drop(ready);
    runtime.block_on(group.join()).unwrap();
}

#[derive(Default)]
struct Counter(std::sync::atomic::AtomicUsize);

impl Counter {
    fn wakes(&self) -> usize {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}
