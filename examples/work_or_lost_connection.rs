//! Work or lost connection, whichever comes first: `select_cancel` races two futures of different
//! output types, drops the loser, and dropping the race drops both.
//!
//! The outputs keep their own types (a report, an `io::Error`): the `OneOf2` variant says which one
//! won, with no `Either` or common event type. Three rounds: the work wins, the lost connection
//! wins, and the whole wait loses to a timer, which drops it and with it both racers. Each
//! future prints when it is dropped unfinished. No runtime: `async-io`'s `block_on` and timers.
//!
//! Replays asyncio's `wait({work, conn_lost}, return_when=FIRST_COMPLETED)` and `if work in done:`.

use std::future::pending;
use std::io;
use std::time::Duration;

use async_io::Timer;
use cancel_cascade::one_of::OneOf2;
use cancel_cascade::select_cancel;

const WORK_TAKES: Duration = Duration::from_millis(500);
const SOON: Duration = Duration::from_millis(200);

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

/// What the work produced.
struct Report {
    items: usize,
}

async fn work() -> Report {
    let guard = OnCancel::new("work");
    Timer::after(WORK_TAKES).await;
    guard.finished();
    Report { items: 42 }
}

/// Resolves with the reason when the connection is lost: after `after`, or never.
async fn connection_lost(after: Option<Duration>) -> io::Error {
    let guard = OnCancel::new("waiting for connection lost");
    match after {
        Some(after) => Timer::after(after).await,
        None => pending().await,
    };
    guard.finished();
    io::Error::new(io::ErrorKind::ConnectionReset, "peer went away")
}

async fn wait_for_work_or_lost_connection(
    lost_after: Option<Duration>,
) -> OneOf2<Report, io::Error> {
    select_cancel((work(), connection_lost(lost_after))).await
}

fn report(done: OneOf2<Report, io::Error>) {
    match done {
        OneOf2::First(report) => println!("waiting is done: work finished, {} items", report.items),
        OneOf2::Second(error) => println!("waiting is done: connection lost ({error})"),
    }
}

fn main() {
    async_io::block_on(async {
        println!("Work done\n-------------------");
        report(wait_for_work_or_lost_connection(None).await);

        println!("\nConnection lost\n-------------------");
        report(wait_for_work_or_lost_connection(Some(SOON)).await);

        println!("\nCancel waiting\n-------------------");
        let waiting = wait_for_work_or_lost_connection(None);
        match select_cancel((waiting, Timer::after(SOON))).await {
            OneOf2::First(done) => report(done),
            OneOf2::Second(_) => println!("waiting is cancelled"),
        }
    });
}
