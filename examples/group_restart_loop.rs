//! A `TaskGroup` on smol in a restart loop: when one task fails, both restart, and no `foo` is left
//! over from the last round.
//!
//! `join()` cancels `foo` when `bar` fails and returns only once `foo` has stopped, so the next
//! round starts with zero running `foo`s (the example counts them). Runs on smol's global
//! executor; needs `--features smol`.
//!
//! Replays asyncio's `footask.cancel()`, then `gather(*tasks, return_exceptions=True)`, per round.

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_io::Timer;
use cancel_cascade::rt::smol::Smol;
use cancel_cascade::TaskGroup;

const TICK: Duration = Duration::from_millis(100);

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
    smol::block_on(async {
        for round in 1..=3 {
            println!("round {round}");
            let mut group = TaskGroup::new(Smol);
            group.spawn(foo());
            group.spawn(bar());
            let error = group.join().await.expect_err("bar always fails");
            let live = LIVE_FOOS.load(Ordering::SeqCst);
            println!("caught {error:?}; live foos after join: {live}");
            assert_eq!(live, 0, "a foo outlived its group");
        }
    });
}
