//! A server-like loop that drains on shutdown: a `TaskGroup` with a grace period gives workers time
//! to finish the job in hand and say goodbye, then drops whatever still runs.
//!
//! The cleanup is ordinary async code after `token.cancelled()`, the grace period is one builder
//! call, and `shutdown()` returns once every worker has stopped, the straggler (which ignores the
//! token) included. Needs `--features tokio`.
//!
//! Replays asyncio's `except CancelledError:` cleanup per worker, then a second `cancel()` round.

use std::time::Duration;

use cancel_cascade::rt::tokio::Tokio;
use cancel_cascade::{select_first, CancelToken, TaskGroup};
use futures::future::{Either, FutureExt};
use tokio::time::sleep;

/// Handles jobs until the token is cancelled, then finishes its current job and flushes.
async fn worker(id: u32, token: CancelToken, job_takes: Duration) -> Result<(), String> {
    let mut done = 0;
    loop {
        let job = sleep(job_takes).map(|_| true);
        let stop = token.cancelled().map(|_| false);
        let (job_done, _) = select_first([Either::Left(job), Either::Right(stop)]).await;
        if !job_done {
            break;
        }
        done += 1;
    }
    println!("worker {id}: draining after {done} jobs");
    sleep(Duration::from_millis(50)).await; // flush, say goodbye...
    println!("worker {id}: drained");
    Ok(())
}

/// Ignores the token: it will be dropped when the grace period is over.
async fn straggler() -> Result<(), String> {
    struct Dropped;
    impl Drop for Dropped {
        fn drop(&mut self) {
            println!("straggler: dropped at the end of the grace period");
        }
    }
    let _dropped = Dropped;
    std::future::pending().await
}

#[tokio::main]
async fn main() {
    let mut group = TaskGroup::new(Tokio).with_grace_period(Duration::from_millis(300));
    for id in 0..3 {
        group.spawn(worker(
            id,
            group.token(),
            Duration::from_millis(40 + 10 * u64::from(id)),
        ));
    }
    group.spawn(straggler());
    sleep(Duration::from_millis(200)).await;
    println!("shutting down");
    group.shutdown().await.unwrap();
    println!("every worker has stopped");
}
