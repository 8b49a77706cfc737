//! The hard stop of a group reaches the groups created inside its tasks, and theirs, at any
//! depth: one loop on the thread of the outermost stop walks them all, however deep the chain
//! of nested groups.
//!
//! A nested group's stop (`Enclosing::stop_with_enclosing`) raises its own hard stop, which
//! would in turn stop the groups nested in it, one call deeper per level. Instead, while a
//! walk is under way on this thread, a hard stop hands the groups nested in its group to the
//! walk, and the walk visits them one after the other. Every token waits until the walk has
//! raised every hard stop under it, then the tokens are cancelled innermost first: a task
//! woken by any of them finds itself stopped already, and a token's cancellation never has a
//! live chain of child tokens under it to go through.

use std::cell::RefCell;
use std::sync::{Arc, Weak};
use std::vec::Vec;

use super::phase::Unwinding;
use crate::live::{Enclosing, Node};
use crate::token::CancelToken;

/// A walk under way on this thread.
struct Walk {
    /// Groups reached and not visited yet.
    groups: Vec<Weak<dyn Enclosing>>,
    /// The token of each group visited, and its node (whose owner looks again once the token
    /// is cancelled), in the order of the visits: every group comes after the one it is
    /// nested in.
    tokens: Vec<(CancelToken, Arc<Node>)>,
}

std::thread_local! {
    static WALK: RefCell<Option<Walk>> = const { RefCell::new(None) };
}

/// What the hard stop of a group does with the groups nested in it.
pub(super) enum Nested {
    /// Handed to the walk under way on this thread, which visits them.
    Handed,
    /// No walk is under way: the caller leads one, with these groups as its start.
    Lead(Walker),
}

/// Hands `nested` to the walk under way on this thread, if there is one.
pub(super) fn hand_over(nested: Vec<Weak<dyn Enclosing>>) -> Nested {
    let nested = WALK.with(|walk| match walk.borrow_mut().as_mut() {
        Some(walk) => {
            walk.groups.extend(nested);
            None
        }
        None => Some(nested),
    });
    match nested {
        None => Nested::Handed,
        Some(groups) => Nested::Lead(Walker::start(groups)),
    }
}

/// Whether a walk is under way on this thread.
pub(super) fn under_way() -> bool {
    WALK.with(|walk| walk.borrow().is_some())
}

/// Defers the cancellation of `token` (and the wake-up of the owner of `node`) to the end of
/// the walk under way on this thread, if there is one; returns whether it did.
pub(super) fn defer_token(token: &CancelToken, node: &Arc<Node>) -> bool {
    WALK.with(|walk| match walk.borrow_mut().as_mut() {
        Some(walk) => {
            walk.tokens.push((token.clone(), Arc::clone(node)));
            true
        }
        None => false,
    })
}

/// The lead of a walk: it visits every group reached, then cancels the tokens.
pub(super) struct Walker(());

impl Walker {
    fn start(groups: Vec<Weak<dyn Enclosing>>) -> Walker {
        WALK.with(|walk| {
            *walk.borrow_mut() = Some(Walk {
                groups,
                tokens: Vec::new(),
            });
        });
        Walker(())
    }

    /// Visits every group reached, those that the visits reach included: each raises its hard
    /// stop and hands its own nested groups to the walk. A visit that unwinds (a waker that
    /// panics) keeps its panic in `unwinding`; the walk goes on.
    pub(super) fn visit_all(&self, unwinding: &mut Unwinding) {
        loop {
            let next = WALK.with(|walk| walk.borrow_mut().as_mut()?.groups.pop());
            let Some(group) = next else {
                return;
            };
            if let Some(group) = group.upgrade() {
                // A group's last reference may go here, outside the walk's borrow.
                unwinding.run(move || group.stop_with_enclosing());
            }
        }
    }

    /// Ends the walk: the tokens of the groups visited are cancelled, innermost first, each
    /// group's owner woken after its token.
    pub(super) fn finish(self, unwinding: &mut Unwinding) {
        let walk = WALK.with(|walk| walk.borrow_mut().take());
        let tokens = walk.map(|walk| walk.tokens).unwrap_or_default();
        for (token, node) in tokens.into_iter().rev() {
            unwinding.run(|| token.cancel());
            unwinding.run(|| node.wake_owner());
        }
    }
}

impl Drop for Walker {
    /// A walk never outlives its lead, even one that unwinds.
    fn drop(&mut self) {
        let _ = WALK.try_with(|walk| walk.borrow_mut().take());
    }
}
