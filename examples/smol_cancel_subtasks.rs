//! On smol: a main task spawns a sub-task, which spawns workers of its own; cancelling the main
//! task cancels the whole tree.
//!
//! A task's future owns the `TaskHandle`s of the tasks it spawned, so dropping that future (which
//! is what cancelling does) drops them, which cancels those tasks, and so on down. The example
//! cancels only the top task; `cancel().await` waits for that task's own future, and the tasks
//! below, cancelled in the same moment, stop right after on the executor's thread: the workers
//! two levels down print it. Needs `--features smol`.
//!
//! Replays asyncio's `sub_task.cancel()`, which leaves the tasks the sub-task created running.

use std::time::Duration;

use cancel_cascade::rt::smol::spawn;
use cancel_cascade::TaskHandle;
use smol::Timer;

const STEP: Duration = Duration::from_millis(300);

/// Prints when dropped: every task of the tree holds one.
struct Stopped(String);

impl Drop for Stopped {
    fn drop(&mut self) {
        println!("{} stopped", self.0);
    }
}

async fn worker(name: String) {
    let _stopped = Stopped(name.clone());
    loop {
        println!("{name} working");
        Timer::after(STEP).await;
    }
}

async fn sub_coroutine() {
    let _stopped = Stopped("Sub-coroutine".into());
    println!("Sub-coroutine started");
    let _workers: Vec<TaskHandle<()>> = (1..=2)
        .map(|i| spawn(worker(format!("Worker {i}"))))
        .collect();
    Timer::after(STEP * 10).await;
    println!("Sub-coroutine finished");
}

async fn main_coroutine() {
    let _stopped = Stopped("Main coroutine".into());
    println!("Main coroutine started");
    let sub_task = spawn(sub_coroutine());
    sub_task.await;
    println!("Main coroutine finished");
}

fn main() {
    smol::block_on(async {
        let main_task = spawn(main_coroutine());
        Timer::after(STEP * 2).await;
        println!("Cancelling the main coroutine...");
        main_task.cancel().await;
        println!("Main coroutine cancelled");
        // The workers are cancelled by now or in a moment, on the executor's thread; give them
        // the time to run, to show that none does.
        Timer::after(STEP * 2).await;
        println!("(nobody is working any more)");
    });
}
