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
    use std::pin::Pin;
    use std::task::{Context, Poll};
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
}
