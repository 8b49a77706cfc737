//! A `TaskGroup` on tokio: `bar1` fails inside `bar`, the group stops everything (`foo`, `bar2`,
//! and a task `bar2` spawned), waits until all of it has stopped, and only then the rollback runs,
//! followed by `baz` alone.
//!
//! `join()` returns the error only once every task of the group, and every task they spawned
//! through the crate, has stopped: their destructors (which print `... stopped`) have all finished
//! before `One task failed` is printed. Needs `--features tokio`.
//!
//! Replays asyncio's rollback after a failed `gather`, then with `asyncio.TaskGroup`.

use std::time::Duration;

use cancel_cascade::rt::tokio::{spawn, Tokio};
use cancel_cascade::TaskGroup;
use tokio::time::sleep;

const TICK: Duration = Duration::from_millis(100);

/// Prints when dropped: the moment a task's future has really gone.
struct Stopped(&'static str);

impl Drop for Stopped {
    fn drop(&mut self) {
        // A destructor that takes a while, to show the group waits for it.
        std::thread::sleep(Duration::from_millis(30));
        println!("{} stopped", self.0);
    }
}

async fn ticker(name: &'static str) {
    let _stopped = Stopped(name);
    for i in 0.. {
        println!("{name} {i}");
        sleep(TICK).await;
    }
}

async fn bar() -> Result<(), String> {
    let mut inner = TaskGroup::new(Tokio);
    inner.spawn(async {
        sleep(TICK * 2 + TICK / 2).await;
        Err::<(), _>("Boom!".to_string())
    });
    inner.spawn(async {
        // A helper that bar2 spawns and owns: stopped with bar2, and waited for too.
        let _heartbeat = spawn(ticker("Bar2's heartbeat"));
        ticker("Bar2").await;
        Ok(())
    });
    inner.join().await
}

async fn rollback(step: &str) {
    sleep(TICK / 2).await;
    println!("rolled back {step}");
}

#[tokio::main]
async fn main() {
    let mut group = TaskGroup::new(Tokio);
    group.spawn(async {
        ticker("Foo").await;
        Ok(())
    });
    group.spawn(bar());
    if let Err(error) = group.join().await {
        println!("One task failed ({error}); every task has stopped. Rolling back");
        // The rollback coroutines, concurrently, in a group of their own.
        let mut rollbacks = TaskGroup::<_, String>::new(Tokio);
        for step in ["foo", "bar"] {
            rollbacks.spawn(async move {
                rollback(step).await;
                Ok(())
            });
        }
        rollbacks.join().await.expect("rollbacks do not fail");
    }
    println!("Now we want baz");
    for i in 0..3 {
        println!("Baz {i}");
        sleep(TICK).await;
    }
}
