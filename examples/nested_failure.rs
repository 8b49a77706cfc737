//! A failure deep in a tree of inline futures stops the whole tree before the error comes back.
//!
//! `foo` runs beside `bar`, and `bar` runs `bar1` beside `bar2`, each level a `try_join_cancel`.
//! When `bar1` fails, every level drops its other futures inside the poll that sees the error, so
//! `bar2` and `foo` are gone (their destructors print it) before `One task failed` is printed;
//! then the rollback runs, and `baz` runs alone. No runtime: `async-io`'s `block_on` and timers.
//!
//! Replays asyncio's nested `gather(foo(), bar())`, where `bar2` runs on after `bar1` raises.

use std::time::Duration;

use async_io::Timer;
use cancel_cascade::try_join_cancel;

/// Prints when the future that owns it is dropped before it finished: the visible sign of a
/// cancellation.
struct OnCancel(&'static str, bool);

impl OnCancel {
    fn new(name: &'static str) -> Self {
        OnCancel(name, false)
    }

    fn finished(mut self) {
        self.1 = true;
    }
}

impl Drop for OnCancel {
    fn drop(&mut self) {
        if !self.1 {
            println!("{} cancelled", self.0);
        }
    }
}

const TICK: Duration = Duration::from_millis(100);

async fn foo() -> Result<(), String> {
    let guard = OnCancel::new("Foo");
    for i in 0..5 {
        println!("Foo {i}");
        Timer::after(TICK).await;
    }
    println!("Foo done");
    guard.finished();
    Ok(())
}

async fn bar() -> Result<(), String> {
    try_join_cancel((bar1(), bar2())).await?;
    Ok(())
}

async fn bar1() -> Result<(), String> {
    Timer::after(TICK * 2 + TICK / 2).await;
    Err("Boom!".to_string())
}

async fn bar2() -> Result<(), String> {
    let guard = OnCancel::new("Bar2");
    for i in 0..5 {
        println!("Bar2 {i}");
        Timer::after(TICK).await;
    }
    println!("Bar2 done");
    guard.finished();
    Ok(())
}

async fn baz() {
    for i in 0..5 {
        println!("Baz {i}");
        Timer::after(TICK).await;
    }
}

async fn rollback() {
    println!("Rolling back");
    Timer::after(TICK).await;
    println!("Rolled back");
}

fn main() {
    async_io::block_on(async {
        if let Err(error) = try_join_cancel((foo(), bar())).await {
            println!("One task failed ({error}); everything under it has already stopped");
            rollback().await;
        }
        println!("Now we want baz");
        baz().await;
    });
}
