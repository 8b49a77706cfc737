//! A chain of 10 000 nested groups (a group whose task creates a group whose task creates a
//! group, and so on) stops under one hard stop of the outermost group, on a 2 MiB stack: every
//! walk down the chain is a loop, never a recursion per level, in debug builds too.
//!
//! Each test runs in a child process of this binary (a stack overflow aborts the process).
#![cfg(all(feature = "tokio", not(loom)))]

#[allow(dead_code)]
mod support;

use std::future::{pending, Future};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use cancel_cascade::rt::tokio::Tokio;
use cancel_cascade::TaskGroup;
use tokio::sync::Notify;

const DEPTH: usize = 10_000;

/// How long a child process may take (it takes seconds, under AddressSanitizer too).
const LIMIT: Duration = Duration::from_secs(300);

/// Holds one count of the levels alive.
struct Level(Arc<AtomicUsize>);

impl Level {
    fn new(alive: &Arc<AtomicUsize>) -> Self {
        alive.fetch_add(1, Ordering::SeqCst);
        Level(Arc::clone(alive))
    }
}

impl Drop for Level {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

type Task = Pin<Box<dyn Future<Output = Result<(), ()>> + Send>>;

/// The task of one level: it creates the next level's group and joins it; the innermost waits
/// for good once it has told `reached`.
fn level(depth: usize, alive: Arc<AtomicUsize>, reached: Arc<Notify>) -> Task {
    Box::pin(async move {
        let _level = Level::new(&alive);
        if depth == 0 {
            reached.notify_one();
            return pending().await;
        }
        let mut group = TaskGroup::new(Tokio);
        group.spawn(level(depth - 1, alive, reached));
        group.join().await
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// The outermost group of a chain `DEPTH` groups deep, once the innermost task runs.
async fn chain(alive: &Arc<AtomicUsize>) -> TaskGroup<Tokio, ()> {
    let reached = Arc::new(Notify::new());
    let mut outermost = TaskGroup::new(Tokio);
    outermost.spawn(level(DEPTH - 1, Arc::clone(alive), Arc::clone(&reached)));
    reached.notified().await;
    assert_eq!(alive.load(Ordering::SeqCst), DEPTH);
    outermost
}

#[test]
fn cancelling_the_outermost_of_10_000_nested_groups_stops_them_all() {
    support::in_child_process(
        "cancelling_the_outermost_of_10_000_nested_groups_stops_them_all",
        LIMIT,
        || {
            let alive = Arc::new(AtomicUsize::new(0));
            runtime().block_on(async {
                let mut outermost = chain(&alive).await;
                outermost.cancel();
                assert_eq!(outermost.join().await, Ok(()));
            });
            assert_eq!(alive.load(Ordering::SeqCst), 0, "levels still alive");
        },
    );
}

#[test]
fn dropping_the_outermost_of_10_000_nested_groups_stops_them_all() {
    support::in_child_process(
        "dropping_the_outermost_of_10_000_nested_groups_stops_them_all",
        LIMIT,
        || {
            let alive = Arc::new(AtomicUsize::new(0));
            runtime().block_on(async {
                let counted = Arc::clone(&alive);
                let (built, chain_built) = tokio::sync::oneshot::channel();
                // The outermost group lives in a task: cancelling the task drops the group, and
                // waits until everything under it has stopped.
                let holder = cancel_cascade::rt::tokio::spawn(async move {
                    let _outermost = chain(&counted).await;
                    built.send(()).unwrap();
                    pending::<()>().await;
                });
                chain_built.await.unwrap();
                assert_eq!(holder.cancel().await, None);
            });
            assert_eq!(alive.load(Ordering::SeqCst), 0, "levels still alive");
        },
    );
}
