//! On tokio: `TaskHandle::cancel().await` cancels a task and returns once its future has been
//! dropped; then the same for several tasks at once.
//!
//! The destructors (which print `... cancelled`) have run by the time `cancel().await` returns. If
//! the task had already finished, its output comes back instead. Dropping a handle cancels too,
//! without the wait; tokio's own `JoinHandle` would let the task run on. Needs `--features tokio`.
//!
//! Replays asyncio's `task.cancel()` then `await task`, and a `cancel()` loop then `gather(...)`.

use std::time::Duration;

use cancel_cascade::rt::tokio::spawn;
use cancel_cascade::TaskHandle;
use futures::future::join_all;
use tokio::time::sleep;

const STEP: Duration = Duration::from_millis(300);

/// Prints that its task was cancelled when it is dropped before the task finished: the
/// visible sign that a cancelled task's future is gone.
struct CancelNote {
    name: &'static str,
    finished: bool,
}

impl Drop for CancelNote {
    fn drop(&mut self) {
        if !self.finished {
            println!("{} cancelled", self.name);
        }
    }
}

async fn coroutine(name: &'static str) -> &'static str {
    let mut note = CancelNote {
        name,
        finished: false,
    };
    println!("{name} started");
    sleep(STEP * 2).await;
    println!("{name} finished");
    note.finished = true;
    name
}

#[tokio::main]
async fn main() {
    // 1. Cancel one task.
    let task = spawn(coroutine("Coroutine"));
    sleep(STEP).await;
    println!("Cancelling the task...");
    match task.cancel().await {
        None => println!("Task cancelled (its future is gone)"),
        Some(name) => println!("{name} had finished before the cancel"),
    }

    // 4. Cancel several, and wait until every one has stopped.
    let tasks: Vec<TaskHandle<&str>> = ["Task-1", "Task-2", "Task-3"]
        .into_iter()
        .map(|name| spawn(coroutine(name)))
        .collect();
    sleep(STEP).await;
    println!("Cancelling all tasks...");
    let outcomes = join_all(tasks.into_iter().map(TaskHandle::cancel)).await;
    println!("All stopped: {outcomes:?}");
}
