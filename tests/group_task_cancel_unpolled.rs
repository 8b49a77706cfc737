//! `GroupTask::cancel` asks its task to stop when it is called: a `cancel()` future dropped
//! before its first poll (the losing branch of a `biased` `select!`) still stops the task, and
//! `join` returns.
#![cfg(all(feature = "tokio", not(loom)))]

use std::future::pending;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use cancel_cascade::rt::tokio::Tokio;
use cancel_cascade::TaskGroup;

/// Holds one count while alive.
struct Guard(Arc<AtomicUsize>);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The clock is paused: an hour of virtual time passes only if `join` waits on a task that
/// nothing stopped, so the timeout tells a lost stop without a real wait.
#[tokio::test(start_paused = true)]
async fn a_cancel_dropped_unpolled_by_a_biased_select_still_stops_the_task() {
    let alive = Arc::new(AtomicUsize::new(1));
    let guard = Guard(Arc::clone(&alive));
    let mut group = TaskGroup::<_, ()>::new(Tokio);
    let stuck = group.spawn(async move {
        let _guard = guard;
        pending::<Result<(), ()>>().await
    });
    tokio::task::yield_now().await;
    let branch = tokio::select! {
        biased;
        () = std::future::ready(()) => "ready",
        _ = stuck.cancel() => "cancel",
    };
    assert_eq!(
        branch, "ready",
        "the `cancel()` future was dropped unpolled"
    );
    let joined = tokio::time::timeout(Duration::from_secs(3600), group.join()).await;
    assert_eq!(
        joined,
        Ok(Ok(())),
        "`join` waited for a task nothing stopped"
    );
    assert_eq!(alive.load(Ordering::SeqCst), 0);
}

/// The same through a task still waiting for a slot of a limited group: it leaves the queue
/// and is dropped unpolled.
#[tokio::test(start_paused = true)]
async fn a_cancel_dropped_unpolled_withdraws_a_queued_task() {
    let alive = Arc::new(AtomicUsize::new(1));
    let guard = Guard(Arc::clone(&alive));
    let mut group = TaskGroup::<_, ()>::new(Tokio).with_limit(1);
    let running = group.spawn(async { Ok(()) });
    let queued = group.spawn(async move {
        let _guard = guard;
        pending::<Result<(), ()>>().await
    });
    drop(queued.cancel());
    let joined = tokio::time::timeout(Duration::from_secs(3600), group.join()).await;
    assert_eq!(
        joined,
        Ok(Ok(())),
        "`join` waited for a task nothing stopped"
    );
    assert_eq!(alive.load(Ordering::SeqCst), 0);
    assert_eq!(running.await, Some(()));
}
