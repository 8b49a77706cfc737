//! Wait for the work or a lost connection, whichever comes first; cancel the other;
//! and if the waiting itself is cancelled, cancel both.
//!
//! asyncio pattern it replaces: `asyncio.wait({work, conn_lost}, return_when=FIRST_COMPLETED)`
//! wrapped in a `wait_any` helper with `try/except CancelledError/finally` that cancels the
//! pending set by hand, because cancelling `wait()` leaves the waited tasks running (while
//! cancelling `gather()` cancels them).
//!
//! What differs here: `wait_any` owns its children, so both rules come for free: the pending
//! child is dropped before `wait_any` returns, and dropping the `wait_any` future (here: it
//! loses a race against a cancel timer) drops every child. Each child prints when it is
//! cancelled.

use std::future::pending;
use std::time::Duration;

use async_io::Timer;
use cancel_cascade::{select_first, wait_any};
use futures::future::{Either, FutureExt};

const WORK_TAKES: Duration = Duration::from_millis(500);
const SOON: Duration = Duration::from_millis(200);

#[derive(Debug)]
enum Event {
    WorkDone,
    ConnectionLost,
}

/// Prints `<name> is cancelled` if dropped before `finished`.
struct OnCancel(&'static str, bool);

impl OnCancel {
    fn new(name: &'static str) -> Self {
        OnCancel(name, false)
    }

    fn finished(mut self) {
        self.1 = true;
    }
}

impl Drop for OnCancel {
    fn drop(&mut self) {
        if !self.1 {
            println!("{} is cancelled", self.0);
        }
    }
}

async fn work() -> Event {
    let guard = OnCancel::new("work");
    Timer::after(WORK_TAKES).await;
    guard.finished();
    Event::WorkDone
}

/// Resolves when the connection is lost: after `after`, or never.
async fn connection_lost(after: Option<Duration>) -> Event {
    let guard = OnCancel::new("waiting for connection lost");
    match after {
        Some(after) => Timer::after(after).await,
        None => pending().await,
    };
    guard.finished();
    Event::ConnectionLost
}

async fn wait_for_work_or_lost_connection(lost_after: Option<Duration>) -> Vec<(usize, Event)> {
    wait_any([
        Either::Left(work()),
        Either::Right(connection_lost(lost_after)),
    ])
    .await
}

fn main() {
    async_io::block_on(async {
        println!("Work done\n-------------------");
        let done = wait_for_work_or_lost_connection(None).await;
        println!("waiting is done: {done:?}");

        println!("\nConnection lost\n-------------------");
        let done = wait_for_work_or_lost_connection(Some(SOON)).await;
        println!("waiting is done: {done:?}");

        println!("\nCancel waiting\n-------------------");
        let waiting = wait_for_work_or_lost_connection(None).map(Some);
        let cancel_timer = Timer::after(SOON).map(|_| None);
        let (outcome, _) = select_first([Either::Left(waiting), Either::Right(cancel_timer)]).await;
        match outcome {
            Some(done) => println!("waiting is done: {done:?}"),
            None => println!("waiting is cancelled"),
        }
    });
}
