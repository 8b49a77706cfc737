//! A group's deadlines under tokio's paused clock: the deadline, the grace period and its
//! start are all read on the runtime's clock, so the virtual time that passes before a `join`
//! counts; an unbounded duration (`Duration::MAX`) means no limit; and the grace period that
//! counts is the one in force when the cancellation starts.
#![cfg(all(feature = "tokio", not(loom)))]

use std::future::pending;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use cancel_cascade::rt::tokio::Tokio;
use cancel_cascade::{GroupOutcome, TaskGroup, TaskSet};
use tokio::time::{sleep, Instant};

const HOUR: Duration = Duration::from_secs(3600);

/// Holds one count while alive.
struct Guard(Arc<AtomicUsize>);

impl Guard {
    fn new(alive: &Arc<AtomicUsize>) -> Self {
        alive.fetch_add(1, Ordering::SeqCst);
        Guard(Arc::clone(alive))
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The virtual time since `start`, in whole milliseconds (the paused clock moves only when
/// every task waits, to the next timer).
fn millis_since(start: Instant) -> u128 {
    start.elapsed().as_millis()
}

#[tokio::test(start_paused = true)]
async fn a_join_that_starts_after_the_deadline_cancels_at_once() {
    let start = Instant::now();
    let alive = Arc::new(AtomicUsize::new(0));
    let guard = Guard::new(&alive);
    let mut group = TaskGroup::<_, ()>::new(Tokio).with_timeout(Duration::from_secs(1));
    let slow = group.spawn(async move {
        let _guard = guard;
        sleep(Duration::from_millis(2_500)).await;
        Ok(())
    });
    sleep(Duration::from_secs(2)).await;
    assert_eq!(group.join_outcome().await, Ok(GroupOutcome::DeadlinePassed));
    assert_eq!(
        millis_since(start),
        2_000,
        "the join waited past the deadline"
    );
    assert_eq!(slow.await, None);
    assert_eq!(alive.load(Ordering::SeqCst), 0);
}

#[tokio::test(start_paused = true)]
async fn a_deadline_reached_while_joining_counts_from_with_timeout() {
    let start = Instant::now();
    let mut group = TaskGroup::<_, ()>::new(Tokio).with_timeout(Duration::from_secs(3));
    group.spawn(pending::<Result<(), ()>>());
    sleep(Duration::from_secs(1)).await;
    assert_eq!(group.join_outcome().await, Ok(GroupOutcome::DeadlinePassed));
    assert_eq!(millis_since(start), 3_000);
}

/// One task fails at once; another ignores the token. The grace period (5 s) counts from the
/// failure: a `join` that starts 10 s later drops the straggler at once.
#[tokio::test(start_paused = true)]
async fn the_grace_period_counts_from_the_cancellation_not_from_the_join() {
    let start = Instant::now();
    let alive = Arc::new(AtomicUsize::new(0));
    let guard = Guard::new(&alive);
    let mut group = TaskGroup::new(Tokio).with_grace_period(Duration::from_secs(5));
    group.spawn(async move {
        let _guard = guard;
        sleep(HOUR).await;
        Ok(())
    });
    group.spawn(async { Err::<(), _>("failed") });
    sleep(Duration::from_secs(10)).await;
    assert_eq!(
        alive.load(Ordering::SeqCst),
        1,
        "only `join` ends a grace period"
    );
    assert_eq!(group.join().await, Err("failed"));
    assert_eq!(
        millis_since(start),
        10_000,
        "the grace period restarted at the join"
    );
    assert_eq!(alive.load(Ordering::SeqCst), 0);
}

#[tokio::test(start_paused = true)]
async fn a_sets_grace_period_counts_from_the_cancellation_not_from_join_next() {
    let start = Instant::now();
    let alive = Arc::new(AtomicUsize::new(0));
    let guard = Guard::new(&alive);
    let mut set = TaskSet::<_, (), &str>::new(Tokio).with_grace_period(Duration::from_secs(5));
    set.spawn(async move {
        let _guard = guard;
        sleep(HOUR).await;
        Ok(())
    });
    set.spawn(async { Err("failed") });
    sleep(Duration::from_secs(10)).await;
    assert_eq!(set.join_next().await, Some(Err("failed")));
    assert_eq!(
        millis_since(start),
        10_000,
        "the grace period restarted at `join_next`"
    );
    assert_eq!(alive.load(Ordering::SeqCst), 0);
}

/// A task that cleans up for 1 s after the token: the grace period of the cancellation (5 s)
/// lets it, whatever the group's grace period is by the time of the `join`.
#[tokio::test(start_paused = true)]
async fn the_grace_period_in_force_at_the_cancellation_counts() {
    let start = Instant::now();
    let mut group = TaskGroup::<_, ()>::new(Tokio).with_grace_period(Duration::from_secs(5));
    let token = group.token();
    let cleaner = group.spawn(async move {
        token.cancelled().await;
        sleep(Duration::from_secs(1)).await;
        Ok("cleaned up")
    });
    tokio::task::yield_now().await;
    group.cancel();
    let mut group = group.with_grace_period(Duration::ZERO);
    assert_eq!(group.join_outcome().await, Ok(GroupOutcome::Cancelled));
    assert_eq!(cleaner.await, Some("cleaned up"));
    assert_eq!(millis_since(start), 1_000);
}

/// `Duration::MAX` as a grace period: no limit, the tasks finish their cleanup.
#[tokio::test(start_paused = true)]
async fn an_unbounded_grace_period_waits_for_the_cleanup() {
    let mut group = TaskGroup::new(Tokio).with_grace_period(Duration::MAX);
    let token = group.token();
    let cleaner = group.spawn(async move {
        token.cancelled().await;
        sleep(HOUR).await;
        Ok("cleaned up")
    });
    group.spawn(async { Err::<&str, _>("failed") });
    assert_eq!(group.join().await, Err("failed"));
    assert_eq!(cleaner.await, Some("cleaned up"));

    let mut set = TaskSet::<_, (), &str>::new(Tokio).with_grace_period(Duration::MAX);
    let token = set.token();
    set.spawn(async move {
        token.cancelled().await;
        sleep(HOUR).await;
        Ok(())
    });
    set.cancel();
    assert_eq!(set.join_next().await, Some(Ok(())));
    assert_eq!(set.join_next().await, None);
}

/// `Duration::MAX` as a timeout: no deadline.
#[tokio::test(start_paused = true)]
async fn an_unbounded_timeout_sets_no_deadline() {
    let mut group = TaskGroup::<_, ()>::new(Tokio).with_timeout(Duration::MAX);
    group.spawn(async {
        sleep(HOUR).await;
        Ok(())
    });
    group.ready().await;
    assert_eq!(group.join_outcome().await, Ok(GroupOutcome::Finished));
}
