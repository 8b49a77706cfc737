//! Nothing of a group's tasks outlives the group on tokio: once a group is joined or dropped,
//! on whichever thread, its tasks' memory (which holds their runtime's handle: the driver, the
//! timer, the I/O resources) is let go of, so a runtime that is then dropped is gone for good.
//! `#[tokio::test]` makes a runtime per test: a suite must not pile them up.
#![cfg(all(feature = "tokio", not(loom)))]

use std::sync::{Arc, Weak};
use std::thread;
use std::time::{Duration, Instant};

use cancel_cascade::TaskGroup;

const RUNTIMES: usize = 20;
const TASKS: usize = 50;

/// What becomes of a group after its tasks were spawned from the test's thread.
#[derive(Clone, Copy, Debug)]
enum End {
    /// Joined on another thread, after its tasks finished.
    JoinedElsewhere,
    /// Dropped on another thread, its tasks still pending.
    DroppedElsewhere,
    /// Dropped on the spawning thread, its tasks still pending.
    DroppedHere,
}

/// A runtime whose life can be watched: the closure it keeps for the whole of its life holds
/// the returned marker, so the marker's `Weak` dies with the runtime's last part.
fn watched_runtime() -> (tokio::runtime::Runtime, Weak<()>) {
    let marker = Arc::new(());
    let alive = Arc::downgrade(&marker);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .on_thread_park(move || {
            let _ = &marker;
        })
        .build()
        .unwrap();
    (runtime, alive)
}

fn one_runtime(end: End) -> Weak<()> {
    let (runtime, alive) = watched_runtime();
    let handle = runtime.handle().clone();
    let mut group = TaskGroup::<_, ()>::new(handle.clone());
    let (finished, done) = std::sync::mpsc::channel();
    for _ in 0..TASKS {
        let finished = finished.clone();
        group.spawn(async move {
            let _ = finished.send(());
            if matches!(end, End::JoinedElsewhere) {
                return Ok(());
            }
            std::future::pending().await
        });
    }
    for _ in 0..TASKS {
        done.recv_timeout(Duration::from_secs(30)).unwrap();
    }
    match end {
        End::JoinedElsewhere => {
            thread::spawn(move || futures::executor::block_on(group.join()).unwrap())
                .join()
                .unwrap();
        }
        End::DroppedElsewhere => thread::spawn(move || drop(group)).join().unwrap(),
        End::DroppedHere => drop(group),
    }
    drop(handle);
    drop(runtime);
    alive
}

/// Waits (at most a minute) until every watched runtime is gone; says how many are left.
fn runtimes_left(runtimes: &[Weak<()>]) -> usize {
    let start = Instant::now();
    loop {
        let left = runtimes
            .iter()
            .filter(|alive| alive.strong_count() > 0)
            .count();
        if left == 0 || start.elapsed() > Duration::from_secs(60) {
            return left;
        }
        thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn dropped_runtimes_are_gone_whichever_thread_ends_their_groups() {
    for end in [
        End::JoinedElsewhere,
        End::DroppedElsewhere,
        End::DroppedHere,
    ] {
        let runtimes: Vec<_> = (0..RUNTIMES).map(|_| one_runtime(end)).collect();
        assert_eq!(
            runtimes_left(&runtimes),
            0,
            "runtimes kept alive after their groups were {end:?}"
        );
    }
}
