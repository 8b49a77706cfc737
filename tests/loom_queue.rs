//! Loom models of a `TaskSet`'s completion queue (the crate's real queue, reached through a
//! hidden loom-only module): tasks completing on other threads while the reader waits are
//! never missed, and each output is read exactly once, in push order per thread.
//!
//! Run with `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release --test
//! loom_queue`. A lost wake-up leaves `block_on` parked for good, which loom reports as a
//! deadlock.
#![cfg(loom)]

use std::future::poll_fn;

use cancel_cascade::loom_queue::Completed;
use loom::future::block_on;
use loom::sync::Arc;
use loom::thread;

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(3);
    builder.check(f);
}

/// One task completes while the reader registers its waker: the reader is woken.
#[test]
fn a_completion_racing_the_reader_wakes_it() {
    model(|| {
        let queue = Arc::new(Completed::default());
        let task = {
            let queue = Arc::clone(&queue);
            thread::spawn(move || queue.push(1))
        };
        assert_eq!(block_on(poll_fn(|cx| queue.poll_pop(cx))), 1);
        task.join().unwrap();
    });
}

/// Two tasks complete on two threads while the reader reads twice: both outputs, once each.
#[test]
fn two_completions_on_two_threads_are_each_read_once() {
    model(|| {
        let queue = Arc::new(Completed::default());
        let tasks: Vec<_> = (0..2)
            .map(|i| {
                let queue = Arc::clone(&queue);
                thread::spawn(move || queue.push(i))
            })
            .collect();
        let mut read = [
            block_on(poll_fn(|cx| queue.poll_pop(cx))),
            block_on(poll_fn(|cx| queue.poll_pop(cx))),
        ];
        read.sort_unstable();
        assert_eq!(read, [0, 1]);
        for task in tasks {
            task.join().unwrap();
        }
    });
}
