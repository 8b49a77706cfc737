//! Ten futures under `try_join_all_cancel`: the fifth fails, and the nine others are dropped in
//! the poll that sees the error, so none of them prints `done`.
//!
//! After the error the example waits as long as the others would have needed, to show that none
//! of them runs on. No runtime: `async-io`'s `block_on` and timers.
//!
//! Replays asyncio's `gather(*coros)` followed by a `cancel()` of the finished `gather`.

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
