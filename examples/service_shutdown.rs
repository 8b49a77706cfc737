//! A service's main loop: a `TaskGroup` of connection handlers whose `join()` is raced against a
//! shutdown signal in `tokio::select!`.
//!
//! `join` borrows the group and is cancel safe, so the branch that loses gives nothing up: when
//! the signal wins, `cancel()` starts the grace period (the handlers see `token.cancelled()` and
//! drain), and a second `join()` returns once every handler, and every task a handler spawned
//! through the crate, has stopped. When a handler fails first, the `join` branch returns its
//! error, after the others were cancelled and waited for. Needs `--features tokio`.
//!
//! Replays asyncio's `asyncio.wait({group_done, shutdown.wait()}, return_when=FIRST_COMPLETED)`
//! followed by cancelling the group's tasks and awaiting them.

use std::time::Duration;

use cancel_cascade::rt::tokio::Tokio;
use cancel_cascade::{CancelToken, TaskGroup};
use tokio::time::sleep;

/// Serves one connection until the group stops, then flushes what it holds.
async fn handler(id: u32, token: CancelToken) -> Result<(), String> {
    let mut requests = 0;
    while token
        .run_until_cancelled(sleep(Duration::from_millis(30)))
        .await
        .is_some()
    {
        requests += 1;
    }
    println!("handler {id}: draining after {requests} requests");
    sleep(Duration::from_millis(50)).await; // flush, close the connection...
    println!("handler {id}: closed");
    Ok(())
}

#[tokio::main]
async fn main() {
    // In a real service: cancelled by a task that awaits `tokio::signal::ctrl_c()`.
    let shutdown = CancelToken::new();
    let signal = shutdown.clone();
    tokio::spawn(async move {
        sleep(Duration::from_millis(200)).await;
        println!("signal: shutting down");
        signal.cancel();
    });

    let mut group = TaskGroup::new(Tokio).with_grace_period(Duration::from_secs(5));
    for id in 0..3 {
        group.spawn(handler(id, group.token()));
    }

    let outcome = tokio::select! {
        // Every handler finished, or one failed (the others then cancelled and waited for).
        outcome = group.join() => outcome,
        // The signal won: the dropped `join` cancelled nothing. Cancel, then join again.
        _ = shutdown.cancelled() => {
            group.cancel();
            group.join().await
        }
    };
    match outcome {
        Ok(()) => println!("every handler has stopped"),
        Err(error) => println!("a handler failed: {error}"),
    }
}
