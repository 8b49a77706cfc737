//! Loom models of a task group's concurrency limit (the crate's real `Slots`, reached through
//! a hidden loom-only module): the hand-over of a slot from a task that stops to one that
//! waits, the wake-up of a producer waiting for a free slot, and the queue closing under a
//! spawn or a hand-over.
//!
//! Run with `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release --test
//! loom_limit`. A lost wake-up leaves `block_on` parked for good, which loom reports as a
//! deadlock.
#![cfg(loom)]

use std::future::Future;
use std::task::Context;

use futures::task::noop_waker;

use cancel_cascade::loom_limit::{Entry, Slots};
use loom::future::block_on;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(3);
    builder.check(f);
}

/// Tasks running, as the tasks themselves count them; a start beyond the limit fails.
#[derive(Default)]
struct Running {
    now: AtomicUsize,
    starts: AtomicUsize,
}

impl Running {
    fn start(&self, limit: usize) {
        let before = self.now.fetch_add(1, Ordering::SeqCst);
        assert!(
            before < limit,
            "{} tasks running with a limit of {limit}",
            before + 1
        );
        self.starts.fetch_add(1, Ordering::SeqCst);
    }

    fn stop(&self) {
        self.now.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A task stops on one thread while another spawns: the new task starts exactly once, either
/// at once or handed the slot by the stopping one, and never while the first one runs.
#[test]
fn a_stopping_task_hands_its_slot_to_a_new_one() {
    model(|| {
        let slots = Arc::new(Slots::new(1));
        let running = Arc::new(Running::default());
        assert_eq!(slots.enter(|| "first"), Entry::Start);
        running.start(1);
        let spawning = {
            let (slots, running) = (Arc::clone(&slots), Arc::clone(&running));
            thread::spawn(move || {
                if slots.enter(|| "second") == Entry::Start {
                    running.start(1);
                }
            })
        };
        running.stop();
        if let Some(next) = slots.leave() {
            assert_eq!(next, "second");
            running.start(1);
        }
        spawning.join().unwrap();
        assert_eq!(
            running.starts.load(Ordering::SeqCst),
            2,
            "the second task never started"
        );
    });
}

/// A producer waits for a free slot while the running task stops on another thread: it is
/// woken.
#[test]
fn a_producer_waiting_for_a_slot_is_woken() {
    model(|| {
        let slots = Arc::new(Slots::<()>::new(1));
        assert_eq!(slots.enter(|| ()), Entry::Start);
        let stopping = {
            let slots = Arc::clone(&slots);
            thread::spawn(move || assert!(slots.leave().is_none()))
        };
        block_on(slots.ready());
        stopping.join().unwrap();
    });
}

/// One producer gives up its wait (drops its `ready()` future after one poll) while the running
/// task stops and another producer waits: the other is still woken, and no waker is left
/// behind.
#[test]
fn a_producer_that_gives_up_its_wait_leaves_no_waker_and_takes_no_wake_up() {
    model(|| {
        let slots = Arc::new(Slots::<()>::new(1));
        assert_eq!(slots.enter(|| ()), Entry::Start);
        let giving_up = {
            let slots = Arc::clone(&slots);
            thread::spawn(move || {
                let mut ready = Box::pin(slots.ready());
                let waker = noop_waker();
                let _ = ready.as_mut().poll(&mut Context::from_waker(&waker));
            })
        };
        let stopping = {
            let slots = Arc::clone(&slots);
            thread::spawn(move || assert!(slots.leave().is_none()))
        };
        block_on(slots.ready());
        giving_up.join().unwrap();
        stopping.join().unwrap();
        assert_eq!(slots.waiters(), 0, "a waker was left behind");
    });
}

/// The group cancels while a task is spawned: the task is refused, or it is queued and the
/// closing hands it back to be dropped; it never stays queued.
#[test]
fn closing_never_strands_a_queued_task() {
    model(|| {
        let slots = Arc::new(Slots::new(1));
        assert_eq!(slots.enter(|| "running"), Entry::Start);
        let spawning = {
            let slots = Arc::clone(&slots);
            thread::spawn(move || slots.enter(|| "late"))
        };
        let dropped = slots.close();
        let entry = spawning.join().unwrap();
        match entry {
            Entry::Queued => assert_eq!(dropped, ["late"]),
            Entry::Refused => assert!(dropped.is_empty()),
            Entry::Start => panic!("started past the limit"),
        }
        assert!(slots.close().is_empty());
        assert!(slots.leave().is_none(), "nothing starts once closed");
    });
}

/// A running task stops while the group cancels: the queued task is either handed the slot
/// (started, then cancelled as a running task) or handed back to be dropped, exactly once.
#[test]
fn a_queued_task_is_started_or_dropped_once_when_closing_races_a_hand_over() {
    model(|| {
        let slots = Arc::new(Slots::new(1));
        assert_eq!(slots.enter(|| "running"), Entry::Start);
        assert_eq!(slots.enter(|| "queued"), Entry::Queued);
        let stopping = {
            let slots = Arc::clone(&slots);
            thread::spawn(move || slots.leave())
        };
        let dropped = slots.close();
        let started = stopping.join().unwrap();
        assert_eq!(
            usize::from(started.is_some()) + dropped.len(),
            1,
            "started {started:?}, dropped {dropped:?}"
        );
    });
}
