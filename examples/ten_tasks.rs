//! Ten tasks run as a group, task 5 fails, and no other task gets to print `done`.
//!
//! asyncio pattern it replaces: `group = gather(*coros)`, then `group.cancel()` in the
//! `except` block. That does nothing, since the `gather` future is already done when its
//! exception reaches the caller, so the nine others print `done` a second later. The usual
//! fixes cancel each task by hand, or every task of the loop through `all_tasks()`.
//!
//! What differs here: the group is `try_join_all_cancel`, which drops the nine others inside
//! the poll that sees task 5 fail. After the error, the example waits as long as the tasks
//! would have needed, to show that none of them runs.

use std::time::Duration;

use async_io::Timer;
use cancel_cascade::try_join_all_cancel;

const STEP: Duration = Duration::from_millis(200);

async fn task(value: u32) -> Result<u32, String> {
    println!(">task {value} executing");
    Timer::after(STEP).await;
    if value == 5 {
        println!(">task {value} failing");
        return Err("Something bad happened".to_string());
    }
    Timer::after(STEP).await;
    println!(">task {value} done");
    Ok(value)
}

fn main() {
    async_io::block_on(async {
        match try_join_all_cancel((0..10).map(task)).await {
            Ok(values) => println!("all done: {values:?}"),
            Err(error) => println!("A task failed with: {error}; the other nine are already gone"),
        }
        Timer::after(STEP * 2).await;
        println!("(waited long enough: nobody printed done)");
    });
}
