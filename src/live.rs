//! Liveness along the spawn tree: when has a task *and everything it spawned* stopped?
//!
//! Every task spawned through this crate runs inside a [`Tracked`] future that owns a [`Node`].
//! A node counts one for its own future while that future is alive, plus one for each live
//! child node. While a `Tracked` future is polled, its node is the thread's *current* node, and
//! a task spawned (or a [`TaskGroup`](crate::TaskGroup) created) during that poll becomes its
//! child. When a task's future is dropped, its node gives up its own count; when the count
//! reaches zero (the future is gone and so is every descendant), the node gives up its count in
//! its parent. So a node reaches zero exactly when its whole subtree has stopped, destructors
//! included, whichever threads they ran on.
//!
//! A task group's node starts at one for the group itself: its `join` waits for the count to
//! come down to one, which is when every task of the group has stopped, transitively.
//! Detaching a task unlinks its node from its parent: a detached task is no longer part of its
//! spawner's lifetime.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::PoisonError;
use std::task::{Context, Poll, Waker};

use pin_project::{pin_project, pinned_drop};

use crate::sync::{Arc, AtomicUsize, AtomicWaker, Mutex, Ordering};

#[cfg(not(loom))]
std::thread_local! {
    /// The node of the task being polled on this thread, if it was spawned through the crate.
    static CURRENT: RefCell<Option<Arc<Node>>> = const { RefCell::new(None) };
}

// loom runs every model thread on one OS thread: std's thread-local would be shared by all of
// them. loom's macro takes no `const` initialiser.
#[cfg(loom)]
loom::thread_local! {
    static CURRENT: RefCell<Option<Arc<Node>>> = RefCell::new(None);
}

/// One task (or task group) in the spawn tree.
pub(crate) struct Node {
    /// One for the node's own future (or group) while it is alive, plus one per live child.
    live: AtomicUsize,
    /// Taken once: by the last release, or by `unlink`.
    parent: Mutex<Option<Arc<Node>>>,
    /// Woken when the count comes down to one (a group waiting for its tasks).
    idle: AtomicWaker,
}

// Groups, the only users of some of these, do not exist under loom.
#[cfg_attr(loom, allow(dead_code))]
impl Node {
    /// A node counting one for its owner, child of `parent`.
    pub(crate) fn new(parent: Option<Arc<Node>>) -> Arc<Node> {
        if let Some(parent) = &parent {
            parent.live.fetch_add(1, Ordering::Relaxed);
        }
        Arc::new(Node {
            live: AtomicUsize::new(1),
            parent: Mutex::new(parent),
            idle: AtomicWaker::new(),
        })
    }

    /// A node counting one for its owner, child of the thread's current node.
    pub(crate) fn new_child_of_current() -> Arc<Node> {
        Node::new(current())
    }

    /// Gives up one count; at zero, gives up the node's count in its parent.
    pub(crate) fn release(&self) {
        match self.live.fetch_sub(1, Ordering::AcqRel) {
            1 => {
                self.unlink();
                // Whoever waits for this whole subtree to stop (a group task's `cancel`).
                self.idle.wake();
            }
            2 => self.idle.wake(),
            _ => {}
        }
    }

    /// Stops counting in the parent (at zero, or when the task is detached).
    pub(crate) fn unlink(&self) {
        let parent = self
            .parent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(parent) = parent {
            parent.release();
        }
    }

    /// Whether only the owner's own count is left: every child has stopped.
    pub(crate) fn only_owner_left(&self) -> bool {
        self.live.load(Ordering::Acquire) <= 1
    }

    /// Ready once only the owner's own count is left.
    pub(crate) fn poll_only_owner_left(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.only_owner_left() {
            return Poll::Ready(());
        }
        self.idle.register(cx.waker());
        // Read again: the last child may have stopped before the waker was in place.
        if self.only_owner_left() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    /// Ready once the count is zero: the owner and every descendant have stopped.
    pub(crate) fn poll_stopped(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.live.load(Ordering::Acquire) == 0 {
            return Poll::Ready(());
        }
        self.idle.register(cx.waker());
        if self.live.load(Ordering::Acquire) == 0 {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    /// Wakes whoever waits in [`poll_only_owner_left`](Self::poll_only_owner_left), to look at
    /// something else that changed (a task of the group failed).
    pub(crate) fn wake_owner(&self) {
        self.idle.wake();
    }

    /// Registers `waker` to be woken by [`wake_owner`](Self::wake_owner) or when the children
    /// are gone.
    pub(crate) fn register_owner(&self, waker: &Waker) {
        self.idle.register(waker);
    }
}

impl fmt::Debug for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Node")
            .field("live", &self.live.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// The node of the task being polled on this thread.
pub(crate) fn current() -> Option<Arc<Node>> {
    CURRENT.with(|current| current.borrow().clone())
}

/// A spawned task's future with its node: the node is current while the future is polled, and
/// gives up its own count once the future has been dropped.
#[pin_project(PinnedDrop)]
pub(crate) struct Tracked<F> {
    #[pin]
    future: Option<F>,
    node: Option<Arc<Node>>,
}

impl<F> Tracked<F> {
    /// Wraps `future` with `node`, which counts one for it.
    pub(crate) fn new(node: Option<Arc<Node>>, future: F) -> Self {
        Tracked {
            future: Some(future),
            node,
        }
    }

    /// Wraps `future` in a new child of the thread's current node; also returns the node.
    ///
    /// Outside any tracked task there is no node: nothing waits for such a task, so nothing
    /// needs to count it, and its spawn costs no allocation. (It is still polled with no node
    /// current, so what it spawns is untracked too.)
    pub(crate) fn child_of_current(future: F) -> (Self, Option<Arc<Node>>) {
        let node = current().map(|parent| Node::new(Some(parent)));
        (Tracked::new(node.clone(), future), node)
    }
}

impl<F: Future> Future for Tracked<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let future = this
            .future
            .as_pin_mut()
            .expect("a tracked task polled after completion");
        // The node moves into the thread-local for the poll and back out after it, also when
        // the poll unwinds: no reference count changes on this path.
        let _current = Current::enter(this.node);
        future.poll(cx)
    }
}

#[pinned_drop]
impl<F> PinnedDrop for Tracked<F> {
    fn drop(self: Pin<&mut Self>) {
        let mut this = self.project();
        // The future first: its destructors (and the handles they drop) belong to this task.
        this.future.set(None);
        if let Some(node) = this.node.take() {
            node.release();
        }
    }
}

/// Makes a node current for the lifetime of the guard, then hands it back.
struct Current<'a> {
    slot: &'a mut Option<Arc<Node>>,
    previous: Option<Arc<Node>>,
}

impl<'a> Current<'a> {
    fn enter(slot: &'a mut Option<Arc<Node>>) -> Self {
        let previous = CURRENT.with(|current| current.replace(slot.take()));
        Current { slot, previous }
    }
}

impl Drop for Current<'_> {
    fn drop(&mut self) {
        *self.slot = CURRENT.with(|current| current.replace(self.previous.take()));
    }
}

/// The spawn tree, opened to the loom models (`tests/loom_live.rs`): they cannot reach it through
/// a task group, which needs timers, and loom builds leave timers out. Not part of the API.
#[cfg(loom)]
pub mod loom_access {
    use std::task::{Context, Poll};

    use crate::sync::{Arc, Ordering};

    /// A node of the spawn tree, counting one for its owner.
    #[derive(Debug)]
    pub struct Node(Arc<super::Node>);

    impl Node {
        /// A node with no parent.
        pub fn root() -> Self {
            Node(super::Node::new(None))
        }

        /// A node counting in `parent`.
        pub fn child_of(parent: &Node) -> Self {
            Node(super::Node::new(Some(Arc::clone(&parent.0))))
        }

        /// See the crate's `Node::release`.
        pub fn release(&self) {
            self.0.release();
        }

        /// See the crate's `Node::unlink`.
        pub fn unlink(&self) {
            self.0.unlink();
        }

        /// See the crate's `Node::poll_only_owner_left`.
        pub fn poll_only_owner_left(&self, cx: &mut Context<'_>) -> Poll<()> {
            self.0.poll_only_owner_left(cx)
        }

        /// The count: one for the owner while it lives, plus one per live child.
        pub fn live(&self) -> usize {
            self.0.live.load(Ordering::SeqCst)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::task::noop_waker_ref;
    use std::boxed::Box;

    #[test]
    fn a_node_reaches_zero_only_after_its_children() {
        let root = Node::new(None);
        let child = Node::new(Some(Arc::clone(&root)));
        let grandchild = Node::new(Some(Arc::clone(&child)));
        assert!(!root.only_owner_left());
        child.release();
        assert!(!root.only_owner_left(), "the grandchild still runs");
        grandchild.release();
        assert!(root.only_owner_left());
    }

    #[test]
    fn a_task_spawned_while_polling_is_a_child_of_the_polled_task() {
        let root = Node::new(None);
        let mut spawned = None;
        let mut parent = Box::pin(Tracked::new(
            Some(Node::new(Some(Arc::clone(&root)))),
            std::future::poll_fn(|_| {
                spawned = Some(Node::new_child_of_current());
                Poll::Ready(())
            }),
        ));
        let mut cx = Context::from_waker(noop_waker_ref());
        assert!(parent.as_mut().poll(&mut cx).is_ready());
        assert!(
            current().is_none(),
            "the node is handed back after the poll"
        );
        drop(parent);
        assert!(
            !root.only_owner_left(),
            "the spawned child keeps its parent alive"
        );
        spawned.unwrap().release();
        assert!(root.only_owner_left());
    }

    #[test]
    fn an_unlinked_child_no_longer_counts() {
        let root = Node::new(None);
        let child = Node::new(Some(Arc::clone(&root)));
        child.unlink();
        assert!(root.only_owner_left());
        child.release();
        assert!(root.only_owner_left());
    }
}
