//! Two tasks in a restart loop; when one fails, restart both, without leaking a
//! `foo` per round.
//!
//! asyncio pattern it replaces: `while True: await gather(foo_task, bar_task)` with
//! `except ValueError: foo_task.cancel()`. `gather` does not cancel `foo` when `bar` raises,
//! and cancelling the finished `gather` does nothing, so every round leaves one more `foo`
//! running (`foo` printed twice, then three times per tick). The usual asyncio fix is the idiom
//! "cancel each task, then `await gather(*tasks, return_exceptions=True)`", or a hand-written
//! `advanced_gather(cancel_on_exception=True)`.
//!
//! What differs here: `try_join_cancel` is that `advanced_gather`: when `bar` fails, `foo` is
//! dropped before the error comes back, so each round starts from zero running `foo`s, which
//! the example counts and prints.

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_io::Timer;
use cancel_cascade::try_join_cancel;

const TICK: Duration = Duration::from_millis(100);

/// How many `foo`s are alive right now.
static LIVE_FOOS: AtomicUsize = AtomicUsize::new(0);

struct Alive;

impl Alive {
    fn new() -> Self {
        LIVE_FOOS.fetch_add(1, Ordering::SeqCst);
        Alive
    }
}

impl Drop for Alive {
    fn drop(&mut self) {
        LIVE_FOOS.fetch_sub(1, Ordering::SeqCst);
    }
}

#[derive(Debug)]
struct ValueError;

async fn foo() -> Result<Infallible, ValueError> {
    let _alive = Alive::new();
    loop {
        Timer::after(TICK).await;
        println!("foo (live foos: {})", LIVE_FOOS.load(Ordering::SeqCst));
    }
}

async fn bar() -> Result<Infallible, ValueError> {
    for _ in 0..3 {
        Timer::after(TICK).await;
        println!("bar");
    }
    Err(ValueError)
}

fn main() {
    async_io::block_on(async {
        for round in 1..=3 {
            println!("round {round}");
            let Err(error) = try_join_cancel((foo(), bar())).await;
            let live = LIVE_FOOS.load(Ordering::SeqCst);
            println!("caught {error:?}; live foos after the error: {live}");
            assert_eq!(live, 0, "a foo leaked");
        }
    });
}
