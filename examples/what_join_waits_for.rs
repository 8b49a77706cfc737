//! A `join` that hangs, and how to see why: `TaskGroup::waiting_for` lists every task the join
//! still waits for, at any depth of the spawn tree, with its id and where it was spawned.
//!
//! Here a group task awaits a task of its own (a `TaskHandle`) that is stuck, so the join never
//! returns. A watchdog prints the tree after a while, then cancels the group: dropping the
//! stuck task's handle cancels it, and the join returns.
//!
//! Run with `cargo run --example what_join_waits_for --features tokio`.

use std::time::Duration;

use cancel_cascade::rt::tokio::{self as rt, Tokio};
use cancel_cascade::TaskGroup;

#[tokio::main]
async fn main() {
    let mut group = TaskGroup::<_, String>::new(Tokio);

    // Finishes at once: not in the tree.
    group.spawn(async { Ok(()) });

    // Waits for a task that never ends, as a lost reply would.
    let worker = group.spawn(async {
        let reply = rt::spawn(async {
            std::future::pending::<()>().await;
            "reply"
        });
        let reply = reply.await;
        Ok(reply.len())
    });

    let spawner = group.spawner();
    let watchdog = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let waiting = spawner.waiting_for();
        println!("the join still waits for {} tasks:", waiting.len());
        println!("{waiting}");
        spawner.cancel();
    });

    group.join().await.expect("no task failed");
    watchdog.await.expect("the watchdog did not panic");
    println!("task {} was cancelled; the join returned", worker.id());
}
