//! Loom models of the spawn tree's liveness count, what a `TaskGroup`'s `join` and a
//! `TaskHandle`'s `cancel` wait on: the crate's real `Node` (reached through a hidden loom-only
//! module, since groups need timers and loom builds have none), whose count, parent mutex and
//! waker come from loom.
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

/// A handle is dropped inside a task (handing its node over to that task) while the handle's
/// task stops on the runtime's thread, so the hand-over races with the final release: the
/// receiver's count goes up and down exactly once, or not at all, and the receiver is woken
/// only after the handed-over task's destructors have run.
#[test]
fn a_hand_over_racing_with_the_final_release_counts_once() {
    model(|| {
        let receiver = Arc::new(Node::root());
        let handed = Arc::new(Node::root());
        let destructors = Arc::new(Destructors::default());
        let stopping = {
            let (handed, destructors) = (Arc::clone(&handed), Arc::clone(&destructors));
            thread::spawn(move || {
                destructors.run();
                handed.release();
            })
        };
        handed.hand_over_to(&receiver);
        // The receiver's own future is gone: only the handed-over task can keep it alive.
        receiver.release();
        block_on(poll_fn(|cx| receiver.poll_stopped(cx)));
        assert!(
            destructors.have_run(),
            "the receiver stopped before the handed-over task"
        );
        stopping.join().unwrap();
        assert_eq!(
            receiver.live(),
            0,
            "the receiver was released twice, or never"
        );
        assert_eq!(handed.live(), 0);
    });
}

/// A group task's future panics in its destructor on another thread (the runtime catches the
/// panic): the task still gives back its place, and the group waiting on it is woken.
#[test]
fn a_destructor_that_panics_still_releases_the_task() {
    model(|| {
        let group = Arc::new(Node::root());
        let task = Node::child_of(&group);
        let stopping = thread::spawn(move || {
            let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                Node::drop_task_whose_destructor_panics(&task)
            }));
            assert!(panicked.is_err());
        });
        block_on(poll_fn(|cx| group.poll_only_owner_left(cx)));
        stopping.join().unwrap();
        assert_eq!(group.live(), 1);
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

/// A task of a limited group waits at its first poll for a slot that another thread's task hands
/// it, while a third thread may cancel it: the waiting task is always woken (no lost wake-up),
/// and it drops its future unpolled whenever the stop came, slot or no slot.
#[test]
fn a_task_waiting_for_its_slot_is_woken_by_the_slot_or_by_a_stop() {
    for cancelled in [false, true] {
        model(move || {
            let task = Arc::new(Node::root());
            let handing_on = {
                let task = Arc::clone(&task);
                thread::spawn(move || task.grant_slot())
            };
            let cancelling = cancelled.then(|| {
                let task = Arc::clone(&task);
                thread::spawn(move || task.request_stop())
            });
            // What the task does at its first poll: wait for the slot, or for a stop.
            let stop = block_on(poll_fn(|cx| task.poll_slot(cx)));
            if !stop && cancelled {
                // Started with its slot: the stop reaches it while its future waits.
                block_on(poll_fn(|cx| {
                    if task.poll_stop(cx) {
                        std::task::Poll::Ready(())
                    } else {
                        std::task::Poll::Pending
                    }
                }));
            }
            handing_on.join().unwrap();
            if let Some(cancelling) = cancelling {
                cancelling.join().unwrap();
            }
            task.release();
        });
    }
}

/// The middle of a chain (root <- middle <- leaf) and its leaf stop on two threads at once: the
/// walk up from whichever is last counts the middle and then the root down, and wakes both the
/// middle's waiter (a handle's `cancel`) and the root's (a group's `join`).
#[test]
fn a_chain_stopping_from_both_ends_wakes_every_waiter_on_the_way_up() {
    model(|| {
        let root = Node::root();
        let middle = Arc::new(Node::child_of(&root));
        let leaf = Node::child_of(&middle);
        let middle_stops = {
            let middle = Arc::clone(&middle);
            thread::spawn(move || middle.release())
        };
        let leaf_stops = thread::spawn(move || leaf.release());
        block_on(poll_fn(|cx| middle.poll_stopped(cx)));
        block_on(poll_fn(|cx| root.poll_only_owner_left(cx)));
        middle_stops.join().unwrap();
        leaf_stops.join().unwrap();
        assert_eq!((root.live(), middle.live()), (1, 0));
    });
}
