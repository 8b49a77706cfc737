//! On async-std (legacy): three spawned tasks under `try_join_all_cancel`; one fails, and the
//! others are cancelled as soon as the error comes back.
//!
//! `try_join_all_cancel` over the tasks' handles returns the first error and drops the other
//! handles in the same poll, which cancels their tasks: they never print `finished`. async-std is
//! discontinued upstream; the same code runs on tokio or smol with their `spawn`. Needs
//! `--features async-std`.
//!
//! Replays asyncio's `gather(*tasks, return_exceptions=True)` over tasks that log and re-raise.

use std::time::Duration;

use async_std::task::sleep;
use cancel_cascade::rt::async_std::spawn;
use cancel_cascade::try_join_all_cancel;

const STEP: Duration = Duration::from_millis(300);

async fn sub_coroutine(name: &'static str) -> Result<&'static str, String> {
    println!("{name} started");
    sleep(STEP).await;
    if name == "Task-2" {
        let error = format!("An error occurred in {name}");
        println!("Error in {name}: {error}");
        return Err(error);
    }
    sleep(STEP).await;
    println!("{name} finished");
    Ok(name)
}

fn main() {
    async_std::task::block_on(async {
        let tasks = ["Task-1", "Task-2", "Task-3"].map(|name| spawn(sub_coroutine(name)));
        match try_join_all_cancel(tasks).await {
            Ok(names) => println!("All finished: {names:?}"),
            Err(error) => println!("Main coroutine got: {error}; the other tasks are cancelled"),
        }
        sleep(STEP * 2).await;
        println!("(waited long enough: nobody printed finished)");
    });
}
