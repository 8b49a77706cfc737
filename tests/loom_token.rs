//! Loom models of `CancelToken`: the real token, whose lock and flags come from loom in loom
//! builds (its shared state stays in std's `Arc`, for the `Weak` list of children that loom does
//! not have). A lost wake-up leaves `block_on` parked for good, which loom reports as a
//! deadlock.
//!
//! Run with `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test -p cancel-cascade
//! --release --test loom_token`.
#![cfg(loom)]

use cancel_cascade::CancelToken;
use loom::future::block_on;
use loom::thread;

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(3);
    builder.check(f);
}

/// A child made while its parent is being cancelled on another thread is cancelled either way.
#[test]
fn a_child_made_during_the_parents_cancel_is_cancelled() {
    model(|| {
        let parent = CancelToken::new();
        let cancelling = {
            let parent = parent.clone();
            thread::spawn(move || parent.cancel())
        };
        let child = parent.child_token();
        cancelling.join().unwrap();
        assert!(child.is_cancelled());
    });
}

/// The middle of `parent -> middle -> leaf` is dropped on one thread while the parent is
/// cancelled on another: the leaf is cancelled, and its waiter woken.
#[test]
fn dropping_the_middle_during_the_parents_cancel_still_reaches_the_leaf() {
    model(|| {
        let parent = CancelToken::new();
        let middle = parent.child_token();
        let leaf = middle.child_token();
        let dropping = thread::spawn(move || drop(middle));
        let cancelling = {
            let parent = parent.clone();
            thread::spawn(move || parent.cancel())
        };
        block_on(leaf.cancelled());
        dropping.join().unwrap();
        cancelling.join().unwrap();
    });
}

/// A `cancel` of the middle that races with the root's: whichever marks the middle first, the
/// middle's `cancel` returns only once the leaf reads cancelled.
#[test]
fn a_cancel_racing_an_ancestors_returns_once_its_subtree_is_cancelled() {
    model(|| {
        let root = CancelToken::new();
        let middle = root.child_token();
        let leaf = middle.child_token();
        let cancelling = {
            let root = root.clone();
            thread::spawn(move || root.cancel())
        };
        middle.cancel();
        assert!(leaf.is_cancelled());
        cancelling.join().unwrap();
    });
}
