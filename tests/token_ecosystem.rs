//! `CancelToken` meets the ecosystem: equality by identity (clones are equal, a child or an
//! independent token is not), `drop_guard` / `DropGuard::disarm` with tokio-util's meaning, and
//! (feature `tokio-util`) conversions to and from tokio-util's `CancellationToken`.
#![cfg(all(feature = "std", not(loom)))]

#[allow(dead_code)]
mod support;

use std::collections::HashSet;

use cancel_cascade::CancelToken;

// A token's state changes, but its hash and equality are its identity, which never does.
#[allow(clippy::mutable_key_type)]
#[test]
fn clones_are_equal_and_hash_alike_children_and_strangers_are_not() {
    let token = CancelToken::new();
    let clone = token.clone();
    let child = token.child_token();
    let stranger = CancelToken::new();
    assert_eq!(token, clone);
    assert_ne!(token, child);
    assert_ne!(token, stranger);
    let set: HashSet<CancelToken> = [token.clone(), clone, child.clone(), stranger.clone()]
        .into_iter()
        .collect();
    assert_eq!(set.len(), 3);
    assert!(set.contains(&token) && set.contains(&child) && set.contains(&stranger));
}

#[test]
fn a_drop_guard_cancels_when_dropped_and_not_once_disarmed() {
    let token = CancelToken::new();
    let guard = token.clone().drop_guard();
    assert!(!token.is_cancelled());
    drop(guard);
    assert!(token.is_cancelled());

    let token = CancelToken::new();
    let guard = token.clone().drop_guard();
    let back = guard.disarm();
    assert_eq!(back, token);
    assert!(!token.is_cancelled());
}

#[cfg(feature = "tokio-util")]
mod tokio_util_tokens {
    use super::*;
    use std::future::Future;
    use std::panic::{catch_unwind, AssertUnwindSafe};
    use std::pin::Pin;
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};
    use std::time::Duration;
    use support::WakeCounter;
    use tokio_util::sync::CancellationToken;

    fn poll(
        future: Pin<&mut impl Future<Output = ()>>,
        counter: &std::sync::Arc<WakeCounter>,
    ) -> Poll<()> {
        let waker = counter.waker();
        future.poll(&mut Context::from_waker(&waker))
    }

    #[test]
    fn a_token_from_a_tokio_util_token_is_cancelled_with_it_and_its_children_follow() {
        let theirs = CancellationToken::new();
        let ours = CancelToken::from(theirs.clone());
        let child = ours.child_token();
        let counter = WakeCounter::new();
        let mut waiting = Box::pin(child.cancelled());
        assert_eq!(poll(waiting.as_mut(), &counter), Poll::Pending);
        theirs.cancel();
        assert!(ours.is_cancelled() && child.is_cancelled());
        assert_eq!(counter.wakes(), 1, "our waiter is woken by their cancel");
        assert_eq!(poll(waiting.as_mut(), &counter), Poll::Ready(()));
    }

    #[test]
    fn cancelling_a_token_made_from_a_tokio_util_token_cancels_that_token() {
        let theirs = CancellationToken::new();
        let ours = CancelToken::from(theirs.clone());
        let their_child = theirs.child_token();
        let counter = WakeCounter::new();
        let mut waiting = Box::pin(theirs.clone().cancelled_owned());
        assert_eq!(poll(waiting.as_mut(), &counter), Poll::Pending);
        ours.cancel();
        assert!(theirs.is_cancelled() && their_child.is_cancelled());
        assert_eq!(counter.wakes(), 1);
    }

    #[test]
    fn converting_a_cancelled_token_either_way_gives_a_cancelled_token() {
        let theirs = CancellationToken::new();
        theirs.cancel();
        assert!(CancelToken::from(theirs).is_cancelled());
        let ours = CancelToken::new();
        ours.cancel();
        assert!(CancellationToken::from(ours).is_cancelled());
    }

    #[test]
    fn a_tokio_util_token_from_ours_is_a_child_cancelled_with_it() {
        let ours = CancelToken::new();
        let theirs = CancellationToken::from(ours.clone());
        let sibling = CancellationToken::from(ours.clone());
        theirs.cancel();
        assert!(
            !ours.is_cancelled(),
            "a child's cancel does not reach the parent"
        );
        assert!(!sibling.is_cancelled());
        let counter = WakeCounter::new();
        let mut waiting = Box::pin(sibling.clone().cancelled_owned());
        assert_eq!(poll(waiting.as_mut(), &counter), Poll::Pending);
        ours.cancel();
        assert!(sibling.is_cancelled());
        assert_eq!(counter.wakes(), 1);
    }

    #[test]
    fn bridges_across_threads() {
        for _ in 0..200 {
            let theirs = CancellationToken::new();
            let ours = CancelToken::from(theirs.clone());
            let canceller = std::thread::spawn(move || theirs.cancel());
            futures::executor::block_on(ours.cancelled());
            canceller.join().unwrap();
        }
    }

    struct Panics;

    impl Wake for Panics {
        fn wake(self: Arc<Self>) {
            panic!("a waiter's waker panics on purpose");
        }
    }

    /// Our token's watch cancels ours from inside the tokio-util token's wake-ups: a waker of
    /// ours that panics there must not keep tokio-util's own waiters asleep.
    #[test]
    fn a_panicking_waiter_of_ours_does_not_keep_tokio_utils_own_waiters_asleep() {
        support::quiet_panics_containing("a waiter's waker panics on purpose");
        let theirs = CancellationToken::new();
        let ours = CancelToken::from(theirs.clone());
        let mut ours_waiting = Box::pin(ours.cancelled());
        let panics = Waker::from(Arc::new(Panics));
        assert!(ours_waiting
            .as_mut()
            .poll(&mut Context::from_waker(&panics))
            .is_pending());
        // tokio-util's own waiters, registered after our watch, on the token and on a child.
        let counter = WakeCounter::new();
        let waker = counter.waker();
        let child = theirs.child_token();
        let mut waiting: Vec<Pin<Box<dyn Future<Output = ()>>>> = Vec::new();
        for _ in 0..4 {
            waiting.push(Box::pin(theirs.clone().cancelled_owned()));
            waiting.push(Box::pin(child.clone().cancelled_owned()));
        }
        for future in &mut waiting {
            assert!(future
                .as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_pending());
        }
        let cancelled = catch_unwind(AssertUnwindSafe(|| theirs.cancel()));
        assert!(ours.is_cancelled());
        assert_eq!(
            counter.wakes(),
            waiting.len(),
            "tokio-util's waiters woken by `cancel` (which {}): a panic of a waker of ours, \
             resumed inside tokio's notification, left the others asleep",
            if cancelled.is_err() {
                "panicked"
            } else {
                "returned"
            },
        );
        drop(ours_waiting);
    }

    /// A chain that goes back and forth between the two kinds of token (ours, a child of it, a
    /// tokio-util token made from that child, ours made from that, ...) is cancelled in a loop,
    /// not one nested `cancel` per link. Run in a child process, where a stack overflow aborts
    /// only the child.
    #[test]
    fn a_chain_through_tokio_util_tokens_is_cancelled_without_recursion() {
        support::in_child_process(
            "tokio_util_tokens::a_chain_through_tokio_util_tokens_is_cancelled_without_recursion",
            Duration::from_secs(120),
            || {
                const LINKS: usize = 20_000;
                let run = || {
                    let first = CancelToken::new();
                    let mut kept = vec![first.clone()];
                    let mut link = first.clone();
                    for _ in 0..LINKS {
                        let child = link.child_token();
                        let theirs = CancellationToken::from(child.clone());
                        link = CancelToken::from(theirs);
                        kept.push(child);
                        kept.push(link.clone());
                    }
                    first.cancel();
                    assert!(link.is_cancelled());
                    // Dropped one at a time from the far end, not through the chain.
                    while kept.pop().is_some() {}
                };
                std::thread::Builder::new()
                    .stack_size(1 << 20)
                    .spawn(run)
                    .unwrap()
                    .join()
                    .unwrap();
            },
        );
    }
}
