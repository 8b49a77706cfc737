//! A request handler that fans out one sub-request per line of the request's body, in a
//! [`scope`]: the sub-requests borrow the body (`&str`) and the caller's statistics (`&mut`),
//! with no `Arc`, no clone and no `'static`. A sub-request that fails stops the scope: the
//! others are dropped inside the poll that saw the failure, and `scope` returns the error.
//!
//! Runs under `futures::executor::block_on`; the scope needs no runtime.
//! `cargo run --example scope_fan_out`

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use cancel_cascade::scope;
use futures::executor::block_on;

#[derive(Debug, Default)]
struct Stats {
    started: u32,
    finished: u32,
    failed: u32,
    /// Sub-requests dropped before they finished: cancelled by the first failure.
    cancelled: u32,
    bytes: usize,
}

/// Yields to the executor `turns` times, standing in for a sub-request's network waits.
struct Turns(u32);

impl Future for Turns {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 == 0 {
            return Poll::Ready(());
        }
        self.0 -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// Counts a sub-request as cancelled if it is dropped before it finished or failed.
struct Guard<'a> {
    stats: &'a RefCell<&'a mut Stats>,
    finished: bool,
}

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        if !self.finished {
            self.stats.borrow_mut().cancelled += 1;
        }
    }
}

/// One sub-request: the line is a path and a cost in turns; a path that starts with `!`
/// fails.
async fn fetch<'a>(line: &'a str, stats: &'a RefCell<&'a mut Stats>) -> Result<(), String> {
    stats.borrow_mut().started += 1;
    let mut guard = Guard {
        stats,
        finished: false,
    };
    let (path, cost) = line.split_once(' ').unwrap_or((line, "1"));
    Turns(cost.parse().unwrap_or(1)).await;
    guard.finished = true;
    let mut stats = stats.borrow_mut();
    if let Some(path) = path.strip_prefix('!') {
        stats.failed += 1;
        return Err(format!("sub-request {path} failed"));
    }
    stats.finished += 1;
    stats.bytes += path.len();
    Ok(())
}

/// Fans out one sub-request per line of `body` and returns how many it started.
async fn handle(body: &str, stats: &mut Stats) -> Result<usize, String> {
    let stats = RefCell::new(stats);
    let stats = &stats;
    scope(|s| async move {
        let mut sent = 0;
        for line in body.lines() {
            s.spawn(fetch(line, stats));
            sent += 1;
        }
        Ok(sent)
    })
    .await
}

fn main() {
    let mut stats = Stats::default();
    let body = "/users 2\n/orders 3\n/stock 1";
    let outcome = block_on(handle(body, &mut stats));
    println!("{outcome:?}, {stats:?}");
    assert_eq!(outcome, Ok(3));
    assert_eq!((stats.finished, stats.cancelled), (3, 0));

    let mut stats = Stats::default();
    let body = "/users 2\n/orders 1000000\n!/stock 3\n/prices 1000000";
    let outcome = block_on(handle(body, &mut stats));
    println!("{outcome:?}, {stats:?}");
    assert_eq!(outcome, Err("sub-request /stock failed".to_string()));
    // /users finished before /stock failed; the two slow ones were dropped at the failure.
    assert_eq!(
        (stats.started, stats.finished, stats.failed, stats.cancelled),
        (4, 1, 1, 2)
    );
}
