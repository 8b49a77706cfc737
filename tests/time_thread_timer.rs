//! Without a runtime's timer (the `std` feature alone: no tokio, no `async-io`), deadlines run
//! on the crate's own timer thread: a group's deadline and grace period over an executor that
//! has no timer, and `time::timeout` outside any runtime.
#![cfg(all(feature = "std", not(feature = "async-io"), not(loom)))]

use std::future::{pending, Future};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cancel_cascade::rt::Spawn;
use cancel_cascade::time::{timeout, Elapsed};
use cancel_cascade::{GroupOutcome, TaskGroup};
use futures::executor::{block_on, ThreadPool};

/// futures' thread pool: an executor without a timer.
struct Pool(ThreadPool);

impl Spawn for Pool {
    fn spawn_detached<F: Future<Output = ()> + Send + 'static>(&self, future: F) {
        self.0.spawn_ok(future);
    }
}

#[test]
fn a_timeout_outside_any_runtime_runs_on_the_timer_thread() {
    let start = Instant::now();
    assert_eq!(
        block_on(timeout(Duration::from_millis(30), pending::<()>())),
        Err(Elapsed)
    );
    assert!(start.elapsed() >= Duration::from_millis(30));
    assert_eq!(block_on(timeout(Duration::MAX, async { 5 })), Ok(5));
}

#[test]
fn a_groups_deadline_and_grace_period_run_on_the_timer_thread() {
    let cleaned_up = Arc::new(AtomicBool::new(false));
    let mut group = TaskGroup::<_, ()>::new(Pool(ThreadPool::new().unwrap()))
        .with_timeout(Duration::from_millis(30))
        .with_grace_period(Duration::from_secs(5));
    let (token, cleaned) = (group.token(), Arc::clone(&cleaned_up));
    group.spawn(async move {
        token.cancelled().await;
        cleaned.store(true, Ordering::SeqCst);
        Ok(())
    });
    let start = Instant::now();
    assert_eq!(
        block_on(group.join_outcome()),
        Ok(GroupOutcome::DeadlinePassed)
    );
    assert!(start.elapsed() >= Duration::from_millis(30));
    assert!(
        cleaned_up.load(Ordering::SeqCst),
        "the task cleaned up within its grace period"
    );
}
