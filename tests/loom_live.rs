//! Loom models of the spawn tree's liveness count, what a `TaskGroup`'s `join` waits on: the
//! crate's real `Node` (reached through a hidden loom-only module, since groups need timers
//! and loom builds have none), whose count, parent mutex and waker come from loom.
//!
//! Run with `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release --test
//! loom_live`. A lost wake-up leaves `block_on` parked for good, which loom reports as a
//! deadlock; a leaked node fails the model too.
#![cfg(loom)]

use std::future::poll_fn;

use cancel_cascade::loom_live::Node;
use loom::future::block_on;
use loom::sync::atomic::{AtomicBool, Ordering};
use loom::sync::Arc;
use loom::thread;

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    // Every broken variant these models were seen to catch fails at 2 already; 3 keeps a margin
    // and still runs in well under a second.
    builder.preemption_bound = Some(3);
    builder.check(f);
}

/// A task's destructors, as far as the owner can tell: set before the task's node gives up its
/// count. `Relaxed` on purpose, so that only the count's own ordering can make it visible.
#[derive(Debug, Default)]
struct Destructors(AtomicBool);

impl Destructors {
    fn run(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    fn have_run(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// The last child stops on another thread while the owner registers its waker: the owner is
/// woken (no lost wake-up), and it sees everything the child did before it stopped.
#[test]
fn the_last_child_stopping_wakes_the_owner() {
    model(|| {
        let owner = Arc::new(Node::root());
        let child = Node::child_of(&owner);
        let destructors = Arc::new(Destructors::default());
        let stopping = {
            let destructors = Arc::clone(&destructors);
            thread::spawn(move || {
                destructors.run();
                child.release();
            })
        };
        block_on(poll_fn(|cx| owner.poll_only_owner_left(cx)));
        assert!(
            destructors.have_run(),
            "woken before the child's destructors"
        );
        stopping.join().unwrap();
        assert_eq!(owner.live(), 1);
    });
}

/// Two children stop on two threads at once: whichever is last, the owner is woken, and only
/// once both have stopped.
#[test]
fn two_children_stopping_together_wake_the_owner_once_both_are_gone() {
    model(|| {
        let owner = Arc::new(Node::root());
        let destructors = Arc::new([Destructors::default(), Destructors::default()]);
        let stopping: Vec<_> = (0..2)
            .map(|i| {
                let child = Node::child_of(&owner);
                let destructors = Arc::clone(&destructors);
                thread::spawn(move || {
                    destructors[i].run();
                    child.release();
                })
            })
            .collect();
        block_on(poll_fn(|cx| owner.poll_only_owner_left(cx)));
        assert!(destructors.iter().all(Destructors::have_run));
        for thread in stopping {
            thread.join().unwrap();
        }
        assert_eq!(owner.live(), 1);
    });
}

/// A task is detached while its future is dropped on the runtime's thread, so the node's final
/// release races with its unlink: the owner's count goes down exactly once, whichever of the
/// two takes the parent link.
#[test]
fn a_detach_racing_with_the_final_release_releases_the_parent_once() {
    model(|| {
        let owner = Arc::new(Node::root());
        let child = Arc::new(Node::child_of(&owner));
        let stopping = {
            let child = Arc::clone(&child);
            thread::spawn(move || child.release())
        };
        child.unlink();
        stopping.join().unwrap();
        assert_eq!(owner.live(), 1, "the owner was released twice, or never");
        assert_eq!(child.live(), 0);
    });
}

/// A grandchild stops on another thread after its parent's own future is gone: the stop goes
/// up the tree to the owner, which is woken and sees the grandchild's destructors.
#[test]
fn a_grandchild_stopping_last_wakes_the_owner() {
    model(|| {
        let owner = Arc::new(Node::root());
        let child = Node::child_of(&owner);
        let grandchild = Node::child_of(&child);
        let destructors = Arc::new(Destructors::default());
        let stopping = {
            let destructors = Arc::clone(&destructors);
            thread::spawn(move || {
                destructors.run();
                grandchild.release();
            })
        };
        // The child's future is dropped here; only the grandchild keeps the child alive.
        child.release();
        block_on(poll_fn(|cx| owner.poll_only_owner_left(cx)));
        assert!(
            destructors.have_run(),
            "woken before the grandchild's destructors"
        );
        stopping.join().unwrap();
        assert_eq!(owner.live(), 1);
        assert_eq!(child.live(), 0);
    });
}
