//! The library's groups run on each runtime its user may pick, on that runtime's own timer:
//! tokio's (its paused test clock included), smol's and async-std's (`async-io`'s), and for an
//! executor without a timer, the crate's own timer thread.

use std::future::Future;
use std::time::Duration;

use cancel_cascade::rt::Spawn;
use cancel_cascade::GroupOutcome;
use example_library::fetch_within;

/// Items 0 to 3 take a few milliseconds; items 4 and up take an hour.
fn latency(item: u32) -> Duration {
    if item < 4 {
        Duration::from_millis(5 * u64::from(item))
    } else {
        Duration::from_secs(3600)
    }
}

const FETCHED_IN_TIME: [u32; 4] = [0, 1, 2, 3];

#[tokio::test(start_paused = true)]
async fn on_tokio_with_its_paused_clock() {
    let start = tokio::time::Instant::now();
    let (fetched, outcome) = fetch_within(
        cancel_cascade::rt::tokio::Tokio,
        8,
        latency,
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(fetched, FETCHED_IN_TIME);
    assert_eq!(outcome, GroupOutcome::DeadlinePassed);
    // Virtual time: exactly the deadline passed on tokio's clock.
    assert_eq!(start.elapsed(), Duration::from_secs(10));
}

#[test]
fn on_smol() {
    let (fetched, outcome) = smol::block_on(fetch_within(
        cancel_cascade::rt::smol::Smol,
        8,
        latency,
        Duration::from_millis(200),
    ));
    assert_eq!(fetched, FETCHED_IN_TIME);
    assert_eq!(outcome, GroupOutcome::DeadlinePassed);
}

#[test]
fn on_async_std() {
    let (fetched, outcome) = async_std::task::block_on(fetch_within(
        cancel_cascade::rt::async_std::AsyncStd,
        8,
        latency,
        Duration::from_millis(200),
    ));
    assert_eq!(fetched, FETCHED_IN_TIME);
    assert_eq!(outcome, GroupOutcome::DeadlinePassed);
}

/// futures' thread pool has no timer: the default `sleep_until` serves.
#[derive(Clone)]
struct Pool(futures::executor::ThreadPool);

impl Spawn for Pool {
    fn spawn_detached<F: Future<Output = ()> + Send + 'static>(&self, future: F) {
        self.0.spawn_ok(future);
    }
}

#[test]
fn on_an_executor_without_a_timer() {
    let pool = Pool(futures::executor::ThreadPool::new().unwrap());
    let (fetched, outcome) =
        futures::executor::block_on(fetch_within(pool, 8, latency, Duration::from_millis(200)));
    assert_eq!(fetched, FETCHED_IN_TIME);
    assert_eq!(outcome, GroupOutcome::DeadlinePassed);
}
