//! Deep and wide trees of child tokens: cancelling a chain of 200 000 nested child tokens walks
//! it without recursion, and a parent with many live children hands out more in O(1) amortised
//! (checked by counting in the token's unit tests; here, that the tree stays correct).
#![cfg(not(loom))]

#[allow(dead_code)]
mod support;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use cancel_cascade::CancelToken;
use futures::task::noop_waker_ref;
use support::{watchdog, WakeCounter};

/// Under miri (which checks the memory accesses of the walk, not its depth), a short chain.
const DEPTH: usize = if cfg!(miri) { 1_000 } else { 200_000 };
const WIDE: usize = if cfg!(miri) { 255 } else { 16_383 };
const CHURN: usize = if cfg!(miri) { 500 } else { 20_000 };

/// Runs `run` on a thread with a small stack, where a recursive walk would need hundreds of
/// bytes per level, under a watchdog.
fn on_a_small_stack(what: &str, run: impl FnOnce() + Send + 'static) {
    watchdog(what, Duration::from_secs(60), move || {
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(run)
            .unwrap()
            .join()
            .unwrap()
    });
}

#[test]
fn cancelling_a_chain_of_200_000_child_tokens_does_not_overflow_the_stack() {
    // A thread with a small stack: a recursive walk would need hundreds of bytes per level.
    let run = || {
        let root = CancelToken::new();
        let mut chain = Vec::with_capacity(DEPTH);
        let mut last = root.clone();
        for _ in 0..DEPTH {
            last = last.child_token();
            chain.push(last.clone());
        }
        let mut deepest = last.cancelled();
        let mut cx = Context::from_waker(noop_waker_ref());
        assert_eq!(Pin::new(&mut deepest).poll(&mut cx), Poll::Pending);
        root.cancel();
        assert!(chain.iter().all(CancelToken::is_cancelled));
        assert_eq!(Pin::new(&mut deepest).poll(&mut cx), Poll::Ready(()));
        // Dropping the chain from the root down is not recursive either.
        drop(root);
        drop(chain);
    };
    on_a_small_stack("deep chain", run);
}

#[test]
fn a_wide_tree_with_churn_keeps_every_live_child_and_cancels_it() {
    let parent = CancelToken::new();
    let kept: Vec<CancelToken> = (0..WIDE).map(|_| parent.child_token()).collect();
    for _ in 0..CHURN {
        drop(parent.child_token());
    }
    let late = parent.child_token();
    parent.cancel();
    assert!(kept.iter().all(CancelToken::is_cancelled));
    assert!(late.is_cancelled());
}

#[test]
fn dropping_a_middle_token_keeps_its_children_in_reach_of_the_parent() {
    let parent = CancelToken::new();
    let mid = parent.child_token();
    let leaf = mid.child_token();
    let wakes = WakeCounter::new();
    let waker = wakes.waker();
    let mut waiting = leaf.cancelled();
    let mut cx = Context::from_waker(&waker);
    assert_eq!(Pin::new(&mut waiting).poll(&mut cx), Poll::Pending);
    drop(mid);
    parent.cancel();
    assert!(
        leaf.is_cancelled(),
        "the parent's cancel reaches the grandchild"
    );
    assert_eq!(wakes.wakes(), 1, "the grandchild's waiter is woken");
    assert_eq!(Pin::new(&mut waiting).poll(&mut cx), Poll::Ready(()));
}

#[test]
fn a_leaf_under_200_000_dropped_ancestors_is_cancelled_and_dropped_without_recursion() {
    let run = || {
        let root = CancelToken::new();
        let mut last = root.child_token();
        for _ in 1..DEPTH {
            // Only the root and the newest token are kept: every middle token is dropped.
            last = last.child_token();
        }
        let mut waiting = last.cancelled();
        let mut cx = Context::from_waker(noop_waker_ref());
        assert_eq!(Pin::new(&mut waiting).poll(&mut cx), Poll::Pending);
        root.cancel();
        assert!(last.is_cancelled());
        assert_eq!(Pin::new(&mut waiting).poll(&mut cx), Poll::Ready(()));
        // The leaf is the last to hold the chain of its ancestors: dropping it frees them all.
        drop(root);
        drop(waiting);
        drop(last);

        // The same chain, dropped from the leaf while the root lives on, then the root.
        let root = CancelToken::new();
        let mut last = root.child_token();
        for _ in 1..DEPTH {
            last = last.child_token();
        }
        drop(last);
        let late = root.child_token();
        root.cancel();
        assert!(late.is_cancelled());
    };
    on_a_small_stack("deep chain of dropped tokens", run);
}

#[test]
fn a_child_whose_parent_was_dropped_is_cancelled_only_on_its_own() {
    let parent = CancelToken::new();
    let child = parent.child_token();
    let grandchild = child.child_token();
    drop(parent);
    assert!(!child.is_cancelled());
    child.cancel();
    assert!(grandchild.is_cancelled());
}

/// A `cancel` that races with the cancellation of an ancestor on another thread, which marked
/// this token first, returns only once every descendant reads cancelled too.
#[test]
fn cancel_returns_only_once_the_whole_subtree_reads_cancelled_even_when_racing_an_ancestor() {
    const DEPTH: usize = if cfg!(miri) { 200 } else { 200_000 };
    const ATTEMPTS: usize = if cfg!(miri) { 2 } else { 10 };
    let body = || {
        for attempt in 0..ATTEMPTS {
            let root = CancelToken::new();
            let middle = root.child_token();
            // Only the leaf is kept: it keeps every token between it and `middle` alive.
            let mut leaf = middle.child_token();
            for _ in 0..DEPTH {
                leaf = leaf.child_token();
            }
            let cancelling = {
                let root = root.clone();
                std::thread::spawn(move || root.cancel())
            };
            while !middle.is_cancelled() {
                std::hint::spin_loop();
            }
            middle.cancel();
            let leaf_cancelled = leaf.is_cancelled();
            cancelling.join().unwrap();
            assert!(
                leaf_cancelled,
                "attempt {attempt}: `cancel` returned while a descendant of the token still \
                 read not cancelled (another thread's cancellation of an ancestor was under way)"
            );
        }
    };
    watchdog("racing cancels", Duration::from_secs(120), body);
}
