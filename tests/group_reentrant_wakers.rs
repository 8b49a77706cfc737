//! A waiter on a group's token whose waker panics when the failure of a task cancels the token:
//! the panic does not keep the group from finishing its bookkeeping.
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
