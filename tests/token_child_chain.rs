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
use support::watchdog;

/// Under miri (which checks the memory accesses of the walk, not its depth), a short chain.
const DEPTH: usize = if cfg!(miri) { 1_000 } else { 200_000 };
const WIDE: usize = if cfg!(miri) { 255 } else { 16_383 };
const CHURN: usize = if cfg!(miri) { 500 } else { 20_000 };

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
    watchdog("deep chain", Duration::from_secs(60), move || {
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(run)
            .unwrap()
            .join()
            .unwrap()
    });
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
