//! Timers follow the runtime: under tokio's paused test clock, `time::timeout`, `timeout_at`
//! and a `TaskGroup<Tokio, _>`'s grace period run on tokio's timer, so they elapse after the
//! right amount of *virtual* time. (On another timer, the paused clock would jump an hour
//! ahead for the task's sleep while the timeout had not fired: `Ok` at once.)
#![cfg(all(feature = "tokio", not(loom)))]

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use cancel_cascade::rt::tokio::Tokio;
use cancel_cascade::rt::Spawn;
use cancel_cascade::time::{timeout, timeout_at, Elapsed};
use cancel_cascade::TaskGroup;
use tokio::time::{sleep, Instant};

const HOUR: Duration = Duration::from_secs(3600);

/// Virtual time passed since `start`, checked to be `expected` give or take tokio's 1 ms timer
/// resolution (and the real time between two clock readings, for a deadline).
fn assert_took(start: Instant, expected: Duration) {
    let took = start.elapsed();
    let slack = Duration::from_millis(5);
    assert!(
        took + slack >= expected && took <= expected + slack,
        "took {took:?} of virtual time, expected {expected:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_3_s_timeout_of_a_1_h_sleep_elapses_after_3_s_of_virtual_time() {
    let start = Instant::now();
    let outcome = timeout(Duration::from_secs(3), sleep(HOUR)).await;
    assert_eq!(outcome, Err(Elapsed));
    assert_took(start, Duration::from_secs(3));
}

#[tokio::test(start_paused = true)]
async fn a_deadline_3_s_ahead_elapses_after_3_s_of_virtual_time() {
    let start = Instant::now();
    let deadline = std::time::Instant::now() + Duration::from_secs(3);
    assert_eq!(timeout_at(deadline, sleep(HOUR)).await, Err(Elapsed));
    assert_took(start, Duration::from_secs(3));
}

#[tokio::test(start_paused = true)]
async fn a_future_that_finishes_first_wins_on_virtual_time() {
    let start = Instant::now();
    let outcome = timeout(HOUR, async {
        sleep(Duration::from_secs(2)).await;
        5
    })
    .await;
    assert_eq!(outcome, Ok(5));
    assert_took(start, Duration::from_secs(2));
}

/// Holds one count while alive.
struct Guard(Arc<AtomicUsize>);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// One task fails at once, another ignores the token and sleeps an hour: the group drops it
/// when its 5 s grace period is over, by tokio's clock, and `join` returns then.
async fn grace_period_on_virtual_time<S: Spawn>(spawner: S) {
    let alive = Arc::new(AtomicUsize::new(1));
    let guard = Guard(Arc::clone(&alive));
    let start = Instant::now();
    let mut group = TaskGroup::new(spawner).with_grace_period(Duration::from_secs(5));
    group.spawn(async move {
        let _guard = guard;
        sleep(HOUR).await;
        Ok(())
    });
    group.spawn(async { Err::<(), _>("failed") });
    assert_eq!(group.join().await, Err("failed"));
    assert_eq!(alive.load(Ordering::SeqCst), 0, "the sleeper was dropped");
    assert_took(start, Duration::from_secs(5));
}

#[tokio::test(start_paused = true)]
async fn a_tokio_groups_grace_period_runs_on_virtual_time() {
    grace_period_on_virtual_time(Tokio).await;
}

#[tokio::test(start_paused = true)]
async fn a_group_on_a_runtime_handle_takes_the_runtimes_timer() {
    grace_period_on_virtual_time(tokio::runtime::Handle::current()).await;
}

/// A spawner of its own that keeps the default timer: inside a tokio runtime, tokio's.
#[derive(Clone, Copy)]
struct OnTokio;

impl Spawn for OnTokio {
    fn spawn_detached<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        drop(tokio::spawn(future));
    }
}

#[tokio::test(start_paused = true)]
async fn a_custom_spawner_inside_tokio_takes_tokios_timer_by_default() {
    grace_period_on_virtual_time(OnTokio).await;
}
