//! Wakers that misbehave inside a group: one on the group's token that panics when a task's
//! failure cancels the token (the group still finishes its bookkeeping), and one whose clone
//! spawns into the group while a producer waits for a free slot (no deadlock).
#![cfg(feature = "tokio")]

#[allow(dead_code)]
mod support;

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Wake, Waker};
use std::time::Duration;

use cancel_cascade::rt::tokio::Tokio;
use cancel_cascade::TaskGroup;
use support::{quiet_panics_containing, watchdog};

struct PanicOnWake;

impl Wake for PanicOnWake {
    fn wake(self: Arc<Self>) {
        panic!("a token waiter's waker panics");
    }
}

/// The failing task's cancellation of the token unwinds (the waker's panic goes to the
/// canceller), yet the failing task still fills its `GroupTask` and `join` reports its error.
#[test]
fn a_token_waker_that_panics_does_not_lose_the_failing_tasks_output() {
    quiet_panics_containing("a token waiter's waker panics");
    watchdog("join and the failing task", Duration::from_secs(20), || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let mut group =
                TaskGroup::<Tokio, &str>::new(Tokio).with_grace_period(Duration::from_secs(10));
            let token = group.token();
            let waker = Waker::from(Arc::new(PanicOnWake));
            let mut cancelled = Box::pin(token.cancelled());
            assert!(cancelled
                .as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_pending());
            let failing = group.spawn(async {
                tokio::time::sleep(Duration::from_millis(10)).await;
                Err::<(), _>("boom")
            });
            let waiting = group.token();
            let other = group.spawn(async move {
                waiting.cancelled().await;
                Ok(())
            });
            assert_eq!(failing.await, None);
            assert_eq!(other.await, Some(()));
            assert_eq!(group.join().await, Err("boom"));
        });
    });
}

/// A producer waiting for a free slot of a limited group, with a waker whose clone spawns into
/// that group: the clone runs outside the limit's lock, so the spawn queues instead of
/// deadlocking.
#[test]
fn a_waker_whose_clone_spawns_into_a_full_limited_group() {
    use std::future::pending;
    use std::sync::Mutex;
    use std::task::{RawWaker, RawWakerVTable};

    type Spawner = cancel_cascade::GroupSpawner<Tokio, &'static str>;
    static SPAWNER: Mutex<Option<Spawner>> = Mutex::new(None);

    fn clone(_: *const ()) -> RawWaker {
        if let Some(spawner) = SPAWNER.lock().unwrap().as_ref() {
            drop(spawner.spawn(async { Ok::<(), &str>(()) }));
        }
        RawWaker::new(std::ptr::null(), &VTABLE)
    }
    fn noop(_: *const ()) {}
    static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, noop, noop, noop);

    watchdog("a re-entrant waker clone", Duration::from_secs(20), || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let mut group = TaskGroup::<Tokio, &'static str>::new(Tokio).with_limit(1);
            group.spawn(pending::<Result<(), &str>>());
            *SPAWNER.lock().unwrap() = Some(group.spawner());
            #[allow(unsafe_code)]
            // SAFETY: the vtable's functions ignore the data pointer and never free anything.
            let waker = unsafe { Waker::from_raw(RawWaker::new(std::ptr::null(), &VTABLE)) };
            let mut ready = Box::pin(group.ready());
            assert!(ready
                .as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_pending());
            drop(ready);
            SPAWNER.lock().unwrap().take();
            group.cancel();
            assert_eq!(group.join().await, Ok(()));
        });
    });
}
