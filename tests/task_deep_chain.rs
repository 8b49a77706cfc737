//! A chain of 100 000 tasks, each awaiting the handle of the next, comes down on a 2 MiB stack
//! when the first is cancelled: every level is counted down, without recursion, and
//! `cancel().await` on the first returns once the last future is gone.
//!
//! Run in a child process: a stack overflow aborts the process instead of failing the test.
#![cfg(all(feature = "tokio", not(loom)))]

#[allow(dead_code)]
mod support;

use std::future::pending;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use cancel_cascade::rt::Spawn;
use cancel_cascade::TaskHandle;
use futures::future::BoxFuture;
use futures::FutureExt;
use support::in_child_process;

const DEPTH: usize = 100_000;

/// Counts the levels whose future started and the ones that were dropped.
#[derive(Default)]
struct Counts {
    started: AtomicUsize,
    dropped: AtomicUsize,
}

struct CountDrop(Arc<Counts>);

impl Drop for CountDrop {
    fn drop(&mut self) {
        self.0.dropped.fetch_add(1, Ordering::SeqCst);
    }
}

/// A task that spawns the next level and awaits its handle; the last level waits forever.
fn level<S: Spawn + Clone + Send + Sync + 'static>(
    spawner: S,
    counts: Arc<Counts>,
    below: usize,
) -> BoxFuture<'static, ()> {
    async move {
        let _guard = CountDrop(Arc::clone(&counts));
        counts.started.fetch_add(1, Ordering::SeqCst);
        if below == 0 {
            return pending().await;
        }
        let next: TaskHandle<()> =
            spawner.spawn_task(level(spawner.clone(), Arc::clone(&counts), below - 1));
        next.await
    }
    .boxed()
}

async fn cancel_the_first_of_a_chain<S: Spawn + Clone + Send + Sync + 'static>(spawner: S) {
    let counts = Arc::new(Counts::default());
    let first = spawner.spawn_task(level(spawner.clone(), Arc::clone(&counts), DEPTH - 1));
    while counts.started.load(Ordering::SeqCst) < DEPTH {
        spawner
            .sleep_until(std::time::Instant::now() + Duration::from_millis(5))
            .await;
    }
    assert_eq!(first.cancel().await, None);
    assert_eq!(
        counts.dropped.load(Ordering::SeqCst),
        DEPTH,
        "`cancel` returned before every level of the chain was dropped"
    );
}

#[test]
fn cancelling_a_chain_of_100_000_tokio_tasks_comes_down_on_a_2_mib_stack() {
    in_child_process(
        "cancelling_a_chain_of_100_000_tokio_tasks_comes_down_on_a_2_mib_stack",
        Duration::from_secs(240),
        || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_stack_size(2 << 20)
                .enable_time()
                .build()
                .unwrap();
            let handle = runtime.handle().clone();
            runtime.block_on(cancel_the_first_of_a_chain(handle));
        },
    );
}

#[cfg(feature = "smol")]
#[test]
fn cancelling_a_chain_of_100_000_smol_tasks_comes_down_on_a_2_mib_stack() {
    in_child_process(
        "cancelling_a_chain_of_100_000_smol_tasks_comes_down_on_a_2_mib_stack",
        Duration::from_secs(240),
        || smol::block_on(cancel_the_first_of_a_chain(cancel_cascade::rt::smol::Smol)),
    );
}
