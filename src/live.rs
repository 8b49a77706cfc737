//! Liveness along the spawn tree: when has a task *and everything it let go of* stopped?
//!
//! Every task spawned through this crate runs inside a [`Tracked`] future that owns a [`Node`].
//! A node counts one for its own future while that future is alive, plus one for each node it
//! *holds*: a node reaches zero exactly when its future is gone and so is everything counted in
//! it, destructors included, whichever threads they ran on. While a `Tracked` future is polled,
//! or dropped, its node is the thread's *current* node.
//!
//! # Who waits for whom
//!
//! A task's children count against it while its future is alive; whatever leaves in its output,
//! or is sent away, belongs to whoever receives it. In counts:
//!
//! * A task's node is counted by nobody while its [`TaskHandle`](crate::TaskHandle) lives: the
//!   holder of the handle answers for it (awaiting it, `cancel().await`, or dropping it).
//! * When a handle is dropped (which cancels its task) or after it gave its output, the task's
//!   node, if it has not reached zero, is *handed over* to the current node: the task doing the
//!   drop now counts it, and does not count as stopped until it has stopped. A task that drops
//!   the handles its future holds (because it is cancelled, or simply returns) so waits for
//!   them; a handle that left in the output, or over a channel, is handed over where it is
//!   finally dropped. Dropped outside any tracked task, nobody counts it: awaiting
//!   [`cancel`](crate::TaskHandle::cancel) is the way to wait there.
//! * A [`TaskGroup`](crate::TaskGroup) is the same: counted by nobody while it lives, handed
//!   over when it is dropped with tasks still running. Its own tasks count against its node
//!   from their spawn, whatever becomes of their `GroupTask`s.
//! * A detached task is handed over to nobody.
//! * A task's output holds a count of the task's node until it is received (see
//!   [`Delivered`]): an output that nobody receives (its handle was dropped as the task
//!   finished) is dropped as part of the task, and what it holds is handed over to the task.
//!
//! So `cancel().await` on a handle, which waits until the task's node reaches zero, waits for
//! everything the cancelled task dropped on its way out (the tasks of a group it ran, the tasks
//! whose handles it held), at any depth; and a group task that returns a handle or a group it
//! created does not make the group's `join` wait for it.
//!
//! # The enclosing group's token
//!
//! A node also carries the token of the nearest [`TaskGroup`](crate::TaskGroup) its task runs
//! under (through any depth of `TaskHandle`s): a group created inside that task takes a child of
//! that token, so the outer group's cancellation reaches the inner group's tasks at once. It
//! also carries that group itself ([`Enclosing`]): the inner group is handed to it, so that the
//! outer group's hard stop stops the inner group's tasks too, before the outer token reaches
//! them.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe, Location};
use std::pin::Pin;
use std::sync::{PoisonError, Weak};
use std::task::{Context, Poll, Waker};
use std::vec::Vec;

use pin_project::{pin_project, pinned_drop};

use crate::sync::{Arc, AtomicU32, AtomicU8, AtomicWaker, Mutex, Ordering};
use crate::{CancelToken, TaskId};

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

/// In [`Node::signals`]: the task must stop (its group's hard stop, or its `GroupTask::cancel`).
const STOP: u8 = 1;
/// In [`Node::signals`]: the task holds a slot of its group's concurrency limit and may run.
const SLOT: u8 = 2;

/// A task group, as the groups created inside its tasks see it.
// Groups, its only implementors, need a timer, which a build with `std` alone (or loom) lacks.
#[cfg_attr(loom, allow(dead_code))]
pub(crate) trait Enclosing: Send + Sync {
    /// A group was created inside one of this group's tasks (or a task spawned under one): this
    /// group's hard stop is to stop it too, wherever it goes. Returns `true` if the hard stop
    /// came already (the new group is to stop now).
    fn adopt(&self, nested: Weak<dyn Enclosing>) -> bool;

    /// The group enclosing this one stops its tasks now: this group stops its own.
    fn stop_with_enclosing(&self);

    /// The nodes of this group's tasks that may still run (some may have stopped), for
    /// [`Node::walk_running`]: a group lists its own tasks, so that a spawn into it does not
    /// list the task a second time in the group's node.
    #[cfg(not(loom))]
    fn members(&self) -> Vec<Arc<Node>>;
}

/// The group a new group was created in, if any.
pub(crate) type Enclosed = Option<std::sync::Arc<dyn Enclosing>>;

/// The nearest task group a node's task runs under: its token and the group itself. Made once
/// per group and shared by the nodes under it (a node holds an `Arc`, not a copy: a node is
/// made per task, and kept small).
struct Scope {
    token: CancelToken,
    group: Weak<dyn Enclosing>,
}

/// One task (or task group) in the spawn tree.
pub(crate) struct Node {
    /// One for the node's own future (or group) while it is alive, plus one per node it holds.
    /// 32 bits, beside `signals` and `is_group` in one word: a node is made per task, and kept
    /// small (see [`hold`](Self::hold) for the limit).
    live: AtomicU32,
    /// The node that counts this one, and the nodes this one lists (see [`Links`]).
    links: Mutex<Links>,
    /// Woken when the count comes down to one (a group waiting for its tasks) and to zero (a
    /// handle waiting for its task).
    idle: AtomicWaker,
    /// The nearest enclosing task group, for the groups created under this node.
    scope: Option<std::sync::Arc<Scope>>,
    /// What the node's group told its task ([`STOP`], [`SLOT`]); only group tasks look at it.
    signals: AtomicU8,
    /// The waker of the node's task while it waits, for `signals`.
    task: AtomicWaker,
    /// The task's id; a group's node has one too.
    id: TaskId,
    /// Where the task was spawned (or the group created).
    // Read by the wait dump, which loom builds leave out.
    #[cfg_attr(loom, allow(dead_code))]
    spawned_at: &'static Location<'static>,
    /// Whether the node is a task group's.
    // Read by the wait dump, which loom builds leave out.
    #[cfg_attr(loom, allow(dead_code))]
    is_group: bool,
}

/// A node's links in the tree, under one lock.
struct Links {
    /// The node that counts this one, if any: set at most once (at creation, or by a hand-over
    /// while the count is not zero), taken once by the release that brings the count to zero.
    parent: Option<Arc<Node>>,
    /// The nodes this one spawned or counts, for [`Node::walk_running`]: stale entries are
    /// swept when the list is full. Allocated at the first: most tasks list none (a group's
    /// tasks are listed by the group). (loom's `Arc` has no `Weak`; nothing in the loom models
    /// reads the list.)
    #[cfg(not(loom))]
    children: Option<std::boxed::Box<Children>>,
}

/// A node's list of the nodes it spawned or counts, boxed in [`Links`] so that a node that
/// lists none (most) spends one word on it, not three.
#[cfg(not(loom))]
#[derive(Default)]
struct Children(Vec<std::sync::Weak<Node>>);

// Groups, the only users of some of these, do not exist under loom.
#[cfg_attr(loom, allow(dead_code))]
impl Node {
    fn build(
        parent: Option<Arc<Node>>,
        scope: Option<std::sync::Arc<Scope>>,
        is_group: bool,
        spawned_at: &'static Location<'static>,
    ) -> Arc<Node> {
        Arc::new(Node {
            live: AtomicU32::new(1),
            links: Mutex::new(Links {
                parent,
                #[cfg(not(loom))]
                children: None,
            }),
            idle: AtomicWaker::new(),
            scope,
            signals: AtomicU8::new(0),
            task: AtomicWaker::new(),
            id: TaskId::next(),
            spawned_at,
            is_group,
        })
    }

    /// A node counting one for its owner, counted by `parent` from the start (the task of a
    /// group, counted by the group) and running under the same enclosing group's token; its
    /// task was spawned at `spawned_at`.
    pub(crate) fn new(
        parent: Option<Arc<Node>>,
        spawned_at: &'static Location<'static>,
    ) -> Arc<Node> {
        let scope = parent.as_ref().and_then(|parent| parent.scope.clone());
        if let Some(parent) = &parent {
            parent.hold();
        }
        // Not listed in the parent's children: the group that counts it lists its own tasks.
        Node::build(parent, scope, false, spawned_at)
    }

    /// The node of a task spawned with a `TaskHandle`: counted by nobody until the handle lets
    /// go of it (see [`hand_over`](Self::hand_over)); under the current task's enclosing group,
    /// and listed among the current task's children.
    #[track_caller]
    pub(crate) fn for_task() -> Arc<Node> {
        let node = Node::build(None, current_scope(), false, Location::caller());
        Node::under_current(&node);
        node
    }

    /// The node of the new task group `group`, counting one for the group, and the group's
    /// token: a child of the enclosing group's token when the group is created inside a task of
    /// another group (at any depth of spawned tasks), a new token otherwise. In the first case
    /// it also gives the enclosing group, for the new group to hand itself over (see
    /// [`Enclosing::adopt`]) once it is built. The group was created at `created_at`.
    pub(crate) fn for_group(
        group: Weak<dyn Enclosing>,
        created_at: &'static Location<'static>,
    ) -> (Arc<Node>, CancelToken, Enclosed) {
        let outer = current_scope();
        let token = outer
            .as_ref()
            .map_or_else(CancelToken::new, |outer| outer.token.child_token());
        let enclosed = outer.and_then(|outer| outer.group.upgrade());
        let scope = Some(std::sync::Arc::new(Scope {
            token: token.clone(),
            group,
        }));
        let node = Node::build(None, scope, true, created_at);
        Node::under_current(&node);
        (node, token, enclosed)
    }

    /// Lists this new node among the children of the task being polled on this thread, which
    /// spawned it: what that task waits for shows its own spawns, before it counts them.
    // An associated function, not a method: loom's `Arc` cannot be a receiver.
    fn under_current(this: &Arc<Node>) {
        #[cfg(not(loom))]
        let _ = CURRENT.try_with(|current| {
            if let Some(current) = &*current.borrow() {
                current.add_child(this);
            }
        });
        #[cfg(loom)]
        let _ = this;
    }

    /// Lists `child` among this node's children, sweeping the entries of dropped nodes when
    /// the list is full: the sweep is paid for by the pushes that filled the room it makes.
    #[cfg_attr(loom, allow(unused_variables))]
    fn add_child(&self, child: &Arc<Node>) {
        #[cfg(not(loom))]
        {
            let mut links = self.links.lock().unwrap_or_else(PoisonError::into_inner);
            let children = &mut links.children.get_or_insert_with(Default::default).0;
            if children.len() == children.capacity() {
                // A `Weak` runs no destructor of what it points to: safe under the lock.
                children.retain(|child| child.strong_count() > 0);
                let live = children.len();
                children.reserve(live.max(4));
            }
            children.push(Arc::downgrade(child));
        }
    }

    /// The task's id.
    pub(crate) fn id(&self) -> TaskId {
        self.id
    }

    /// Where the task was spawned (or the group created).
    pub(crate) fn spawned_at(&self) -> &'static Location<'static> {
        self.spawned_at
    }

    /// Gives up one count; at zero, gives up the node's count in its parent, and so on up.
    ///
    /// The walk up is a loop, not a recursion: a chain of any depth (a task holding the handle
    /// of a task holding the handle of ...) comes down on any stack. Every count on the way
    /// comes down before the first waiter is woken, the topmost waiter first (so a group task's
    /// `cancel`, woken last, finds its group's count down already), and every waiter is woken
    /// even if a waker panics: the first such panic resumes once all are woken (unless the
    /// thread is unwinding already: then it is dropped, as a second panic would abort).
    pub(crate) fn release(&self) {
        let (wake_self, mut next) = self.count_down();
        // The nodes above this one whose waiters are to be woken, lowest first; only a walk
        // that reaches a waiting node above this one allocates.
        let mut above = Vec::new();
        while let Some(node) = next {
            let (wake, parent) = node.count_down();
            if wake {
                above.push(node);
            }
            next = parent;
        }
        let mut first_panic = None;
        let wakes = above.iter().rev().map(|node| &**node);
        for node in wakes.chain(wake_self.then_some(self)) {
            if let Err(panic) = catch_unwind(AssertUnwindSafe(|| node.idle.wake())) {
                first_panic.get_or_insert(panic);
            }
        }
        drop(above);
        if let Some(panic) = first_panic {
            if !std::thread::panicking() {
                std::panic::resume_unwind(panic);
            }
        }
    }

    /// Gives up one count. Says whether the node's waiter is to be woken: at zero (a handle,
    /// or a group task's `cancel`) and at one (a group's `join`). At zero, also unlinks the
    /// node and returns its parent, whose count it held, for the caller to count down next.
    fn count_down(&self) -> (bool, Option<Arc<Node>>) {
        match self.live.fetch_sub(1, Ordering::AcqRel) {
            1 => {
                let parent = self
                    .links
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .parent
                    .take();
                (true, parent)
            }
            2 => (true, None),
            _ => (false, None),
        }
    }

    /// The owner of a group lets go of it: the group's node is handed over to the current task
    /// if tasks still run in it, then gives up the group's own count.
    pub(crate) fn release_owner(this: &Arc<Node>) {
        if this.live.load(Ordering::Acquire) > 1 {
            Node::hand_over(this);
        }
        this.release();
    }

    /// The holder lets go of this node: if it has not stopped yet, the task being polled (or
    /// dropped) on this thread counts it from now on, so that task does not count as stopped
    /// before this node has. Nothing happens outside any tracked task, or if this node is
    /// already counted by someone.
    pub(crate) fn hand_over(this: &Arc<Node>) {
        if this.is_stopped() {
            return;
        }
        let receiver = CURRENT.try_with(|current| current.borrow().clone());
        if let Ok(Some(receiver)) = receiver {
            Node::count_in(this, receiver);
        }
    }

    /// Makes `receiver` count this node, unless it is counted already or has reached zero.
    ///
    /// The count is read under the parent lock, and the release that brings it to zero takes
    /// the parent under that lock after its decrement: either this sees zero and links nothing,
    /// or the final release finds `receiver` and releases it. Never both, never neither.
    fn count_in(this: &Arc<Node>, receiver: Arc<Node>) {
        if Arc::ptr_eq(this, &receiver) {
            return;
        }
        let mut links = this.links.lock().unwrap_or_else(PoisonError::into_inner);
        if links.parent.is_some() || this.live.load(Ordering::Acquire) == 0 {
            return;
        }
        receiver.hold();
        links.parent = Some(Arc::clone(&receiver));
        drop(links);
        receiver.add_child(this);
    }

    /// Whether the node has reached zero: its future is gone, and so is everything counted in
    /// it.
    pub(crate) fn is_stopped(&self) -> bool {
        self.live.load(Ordering::Acquire) == 0
    }

    /// Ready once the node has reached zero. One waiter at a time (the task's handle).
    pub(crate) fn poll_stopped(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.is_stopped() {
            return Poll::Ready(());
        }
        self.idle.register(cx.waker());
        // Read again: the last count may have gone before the waker was in place.
        if self.is_stopped() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    /// The node's count: one for its own future (or group) while it is alive, plus one per live
    /// node it holds. A snapshot, for heuristics.
    pub(crate) fn count(&self) -> usize {
        self.live.load(Ordering::Relaxed) as usize
    }

    /// Counts one more holder of this node (the caller knows the count is not zero). Half of
    /// `u32::MAX` holders of one node at once (each a task or node, each a hundred bytes or
    /// more) cannot be reached short of a leak; past that the process aborts, as `Arc` does
    /// past its own limit, rather than let the count wrap.
    fn hold(&self) {
        if self.live.fetch_add(1, Ordering::Relaxed) > u32::MAX / 2 {
            std::process::abort();
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

    /// Asks the node's task to stop, and wakes it if it waits: it drops its future at its next
    /// poll. The flag is set before the wake-up, so a task woken by it always sees it.
    pub(crate) fn request_stop(&self) {
        self.signals.fetch_or(STOP, Ordering::AcqRel);
        self.task.wake();
    }

    /// Whether the node's task was asked to stop.
    pub(crate) fn stop_requested(&self) -> bool {
        self.signals.load(Ordering::Acquire) & STOP != 0
    }

    /// Whether the node's task was asked to stop; if not, registers `cx`'s waker for
    /// [`request_stop`](Self::request_stop). Only the task itself calls it.
    pub(crate) fn poll_stop(&self, cx: &mut Context<'_>) -> bool {
        if self.stop_requested() {
            return true;
        }
        self.task.register(cx.waker());
        // Again: a request may have come before the waker was in place.
        self.stop_requested()
    }

    /// Gives the node's task a slot of its group's limit, and wakes it if it waits for one.
    pub(crate) fn grant_slot(&self) {
        self.signals.fetch_or(SLOT, Ordering::AcqRel);
        self.task.wake();
    }

    /// Whether the node's task holds a slot of its group's limit.
    pub(crate) fn holds_slot(&self) -> bool {
        self.signals.load(Ordering::Acquire) & SLOT != 0
    }

    /// For a task waiting for a slot: `Ready(true)` once it must stop (whether or not it got a
    /// slot meanwhile), `Ready(false)` once it holds a slot, and otherwise registers `cx`'s
    /// waker for either. Only the task itself calls it.
    pub(crate) fn poll_slot(&self, cx: &mut Context<'_>) -> Poll<bool> {
        let ready = |signals: u8| match signals {
            _ if signals & STOP != 0 => Poll::Ready(true),
            _ if signals & SLOT != 0 => Poll::Ready(false),
            _ => Poll::Pending,
        };
        if let Poll::Ready(stop) = ready(self.signals.load(Ordering::Acquire)) {
            return Poll::Ready(stop);
        }
        self.task.register(cx.waker());
        // Again: a signal may have come before the waker was in place.
        ready(self.signals.load(Ordering::Acquire))
    }

    /// The task has stopped: the waker it registered is let go of here, on the task's thread,
    /// rather than with the node (which its group may hold for a while).
    pub(crate) fn forget_task_waker(&self) {
        drop(self.task.take());
    }
}

/// One node of the spawn tree not yet stopped, as [`Node::walk_running`] finds it.
#[cfg(not(loom))]
#[derive(Clone, Copy, Debug)]
pub(crate) struct Running {
    /// How far below the node walked from: 0 for its own children.
    pub(crate) depth: usize,
    pub(crate) id: TaskId,
    pub(crate) spawned_at: &'static Location<'static>,
    pub(crate) is_group: bool,
}

#[cfg(not(loom))]
impl Node {
    /// Every node under this one that has not stopped, depth first, each under the node that
    /// spawned or counts it, each once (a node spawned by one task and counted by another is
    /// listed under the first met). A loop, not a recursion: a chain of any depth is walked on
    /// any stack.
    pub(crate) fn walk_running(&self) -> Vec<Running> {
        let mut seen = std::collections::HashSet::new();
        seen.insert(std::ptr::from_ref(self) as usize);
        let mut running = Vec::new();
        let mut stack: Vec<(usize, Arc<Node>)> = Vec::new();
        let push_children = |node: &Node, depth: usize, stack: &mut Vec<(usize, Arc<Node>)>| {
            let children = node.running_children();
            stack.extend(children.into_iter().rev().map(|child| (depth, child)));
        };
        push_children(self, 0, &mut stack);
        while let Some((depth, node)) = stack.pop() {
            if !seen.insert(Arc::as_ptr(&node) as usize) {
                continue;
            }
            running.push(Running {
                depth,
                id: node.id,
                spawned_at: node.spawned_at,
                is_group: node.is_group,
            });
            push_children(&node, depth + 1, &mut stack);
        }
        running
    }

    /// The children of this node that have not stopped, in the order they were listed: a
    /// group's own tasks first.
    fn running_children(&self) -> Vec<Arc<Node>> {
        let mut listed = match (&self.scope, self.is_group) {
            (Some(scope), true) => scope
                .group
                .upgrade()
                .map_or_else(Vec::new, |group| group.members()),
            _ => Vec::new(),
        };
        if let Some(children) = &self
            .links
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .children
        {
            listed.extend(children.0.iter().filter_map(std::sync::Weak::upgrade));
        }
        // Outside the lock: the last reference to a node may go here, and its wakers with it.
        listed
            .into_iter()
            .filter(|child| !child.is_stopped())
            .collect()
    }
}

impl fmt::Debug for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Node")
            .field("live", &self.live.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// A count in the node of the task being polled on this thread (if it was spawned through the
/// crate), for work that runs outside the task's future: the task does not count as stopped
/// until the guard is dropped, even once its future is gone.
// Groups, its only users, do not exist under loom.
#[cfg_attr(loom, allow(dead_code))]
pub(crate) struct Held(Option<Arc<Node>>);

#[cfg_attr(loom, allow(dead_code))]
impl Held {
    /// Holds a count in the current task's node; nothing outside a tracked task.
    pub(crate) fn current() -> Held {
        let node = CURRENT
            .try_with(|current| current.borrow().clone())
            .ok()
            .flatten();
        if let Some(node) = &node {
            // The node's future is being polled: its own count is held, so it is not at zero.
            node.hold();
        }
        Held(node)
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Some(node) = self.0.take() {
            node.release();
        }
    }
}

/// The group that the task being polled on this thread runs under, if any.
fn current_scope() -> Option<std::sync::Arc<Scope>> {
    CURRENT
        .try_with(|current| {
            current
                .borrow()
                .as_ref()
                .and_then(|node| node.scope.clone())
        })
        .ok()
        .flatten()
}

/// A spawned task's future with its node: the node is current while the future is polled or
/// dropped, and gives up its own count once the future has been dropped, also when a destructor
/// of the future panics.
#[pin_project(PinnedDrop)]
pub(crate) struct Tracked<F> {
    #[pin]
    future: Option<F>,
    node: Option<Arc<Node>>,
    /// The span current where the task was spawned: entered around each poll and the drop.
    #[cfg(feature = "tracing")]
    span: tracing::Span,
}

impl<F> Tracked<F> {
    /// Wraps `future` with `node`, which counts one for it.
    pub(crate) fn new(node: Option<Arc<Node>>, future: F) -> Self {
        Tracked {
            future: Some(future),
            node,
            #[cfg(feature = "tracing")]
            span: tracing::Span::current(),
        }
    }
}

impl<F: Future> Tracked<F> {
    /// Wraps `future` in the node of a task spawned with a `TaskHandle`, its output delivered
    /// with a count of the node; also returns the node, for the handle.
    #[track_caller]
    pub(crate) fn for_task(future: F) -> (Delivering<F>, Arc<Node>) {
        let node = Node::for_task();
        let tracked = Tracked::new(Some(Arc::clone(&node)), future);
        let delivering = Delivering {
            tracked,
            node: Arc::clone(&node),
        };
        (delivering, node)
    }
}

/// A task's [`Tracked`] future whose output comes out as a [`Delivered`]: the output holds a
/// count of the task's node until it is received, so an output that nobody receives (its
/// handle was dropped while the task completed, or the runtime drops it) is dropped as part of
/// the task, with the task's node current, and the node does not reach zero before that.
#[pin_project]
pub(crate) struct Delivering<F> {
    #[pin]
    tracked: Tracked<F>,
    node: Arc<Node>,
}

impl<F: Future> Future for Delivering<F> {
    type Output = Delivered<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let value = std::task::ready!(this.tracked.poll(cx));
        // An output without drop glue holds no handle to hand over: it needs no count.
        let node = std::mem::needs_drop::<F::Output>().then(|| {
            // The future's own count is still held (it goes when the future is dropped, after
            // this returns), so the node cannot be at zero here.
            this.node.hold();
            Arc::clone(this.node)
        });
        Poll::Ready(Delivered {
            value: Some(value),
            node,
        })
    }
}

/// A task's output on its way to the handle, holding a count of the task's node.
pub(crate) struct Delivered<T> {
    value: Option<T>,
    node: Option<Arc<Node>>,
}

impl<T> Delivered<T> {
    /// The output, now the receiver's; the node's count goes.
    pub(crate) fn receive(mut self) -> T {
        self.value
            .take()
            .expect("a delivered output is received once")
    }
}

impl<T> Drop for Delivered<T> {
    fn drop(&mut self) {
        let mut release = ReleaseOnDrop(self.node.take());
        if self.value.is_some() {
            // Not received: what the output holds is let go of by the task itself.
            let _current = Current::enter(&mut release.0);
            self.value = None;
        }
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
        #[cfg(feature = "tracing")]
        let _entered = this.span.enter();
        future.poll(cx)
    }
}

#[pinned_drop]
impl<F> PinnedDrop for Tracked<F> {
    fn drop(self: Pin<&mut Self>) {
        let mut this = self.project();
        // Dropped after `_current` (locals go in reverse order), on unwind too: a destructor
        // that panics must not keep the node, and every node above it, alive for good.
        let mut release = ReleaseOnDrop(this.node.take());
        // The node is current while the future is dropped: the handles and groups that its
        // destructors let go of are handed over to this task.
        let _current = Current::enter(&mut release.0);
        #[cfg(feature = "tracing")]
        let _entered = this.span.enter();
        this.future.set(None);
    }
}

/// Gives up the node's own count when dropped.
struct ReleaseOnDrop(Option<Arc<Node>>);

impl Drop for ReleaseOnDrop {
    fn drop(&mut self) {
        if let Some(node) = self.0.take() {
            node.release();
        }
    }
}

/// Makes a node current for the lifetime of the guard, then hands it back.
///
/// A task may be dropped while the thread's locals are being torn down (a runtime kept in one
/// of them): then the node is not made current, rather than panic in a destructor.
struct Current<'a> {
    slot: &'a mut Option<Arc<Node>>,
    /// The node that was current before, if the thread-local could be reached.
    previous: Option<Option<Arc<Node>>>,
}

impl<'a> Current<'a> {
    fn enter(slot: &'a mut Option<Arc<Node>>) -> Self {
        let previous = CURRENT
            .try_with(|current| current.replace(slot.take()))
            .ok();
        Current { slot, previous }
    }
}

impl Drop for Current<'_> {
    fn drop(&mut self) {
        if let Some(previous) = self.previous.take() {
            if let Ok(node) = CURRENT.try_with(|current| current.replace(previous)) {
                *self.slot = node;
            }
        }
    }
}

/// The spawn tree, opened to the loom models (`tests/loom_live.rs`): they cannot reach it through
/// a task group, which needs timers, and loom builds leave timers out. Not part of the API.
#[cfg(loom)]
pub mod loom_access {
    use std::task::{Context, Poll};

    use std::panic::Location;

    use crate::sync::{Arc, Ordering};

    /// A node of the spawn tree, counting one for its owner.
    #[derive(Debug)]
    pub struct Node(Arc<super::Node>);

    impl Node {
        /// A node with no parent.
        pub fn root() -> Self {
            Node(super::Node::new(None, Location::caller()))
        }

        /// A node counting in `parent`.
        pub fn child_of(parent: &Node) -> Self {
            Node(super::Node::new(
                Some(Arc::clone(&parent.0)),
                Location::caller(),
            ))
        }

        /// See the crate's `Node::release`.
        pub fn release(&self) {
            self.0.release();
        }

        /// The node's holder lets go of it while `receiver`'s task is current: see the crate's
        /// `Node::hand_over`.
        pub fn hand_over_to(&self, receiver: &Node) {
            super::Node::count_in(&self.0, Arc::clone(&receiver.0));
        }

        /// Drops a task future whose destructor panics, in a tracked task of `node` (which
        /// counts one for it); the panic passes through, as it does to a runtime.
        pub fn drop_task_whose_destructor_panics(node: &Node) {
            struct PanicOnDrop;
            impl Drop for PanicOnDrop {
                fn drop(&mut self) {
                    panic!("a task's destructor panics");
                }
            }
            drop(super::Tracked::new(Some(Arc::clone(&node.0)), PanicOnDrop));
        }

        /// See the crate's `Node::poll_stopped`.
        pub fn poll_stopped(&self, cx: &mut Context<'_>) -> Poll<()> {
            self.0.poll_stopped(cx)
        }

        /// See the crate's `Node::poll_only_owner_left`.
        pub fn poll_only_owner_left(&self, cx: &mut Context<'_>) -> Poll<()> {
            self.0.poll_only_owner_left(cx)
        }

        /// The count: one for the owner while it lives, plus one per live child.
        pub fn live(&self) -> usize {
            self.0.live.load(Ordering::SeqCst) as usize
        }

        /// See the crate's `Node::request_stop`.
        pub fn request_stop(&self) {
            self.0.request_stop();
        }

        /// See the crate's `Node::grant_slot`.
        pub fn grant_slot(&self) {
            self.0.grant_slot();
        }

        /// See the crate's `Node::poll_slot`.
        pub fn poll_slot(&self, cx: &mut Context<'_>) -> Poll<bool> {
            self.0.poll_slot(cx)
        }

        /// See the crate's `Node::poll_stop`.
        pub fn poll_stop(&self, cx: &mut Context<'_>) -> bool {
            self.0.poll_stop(cx)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::task::noop_waker_ref;
    use std::boxed::Box;
    use std::panic::{catch_unwind, AssertUnwindSafe};

    fn current() -> Option<Arc<Node>> {
        CURRENT.with(|current| current.borrow().clone())
    }

    fn poll_once<F: Future>(future: Pin<&mut F>) -> Poll<F::Output> {
        future.poll(&mut Context::from_waker(noop_waker_ref()))
    }

    #[test]
    fn a_node_reaches_zero_only_after_its_children() {
        let root = Node::new(None, Location::caller());
        let child = Node::new(Some(Arc::clone(&root)), Location::caller());
        let grandchild = Node::new(Some(Arc::clone(&child)), Location::caller());
        assert!(!root.only_owner_left());
        child.release();
        assert!(!root.only_owner_left(), "the grandchild still runs");
        grandchild.release();
        assert!(root.only_owner_left());
    }

    #[test]
    fn a_handle_dropped_while_its_holder_is_polled_is_counted_by_the_holder() {
        let holder = Node::for_task();
        let held = Node::for_task();
        let mut task = Box::pin(Tracked::new(
            Some(Arc::clone(&holder)),
            std::future::poll_fn(|_| {
                Node::hand_over(&held);
                Poll::Ready(())
            }),
        ));
        assert!(poll_once(task.as_mut()).is_ready());
        assert!(
            current().is_none(),
            "the node is handed back after the poll"
        );
        drop(task);
        assert!(!holder.is_stopped(), "the dropped task still runs");
        held.release();
        assert!(holder.is_stopped());
    }

    #[test]
    fn a_handle_dropped_with_its_holders_future_is_counted_by_the_holder() {
        struct HandOverOnDrop(Arc<Node>);
        impl Drop for HandOverOnDrop {
            fn drop(&mut self) {
                Node::hand_over(&self.0);
            }
        }
        let holder = Node::for_task();
        let held = Node::for_task();
        drop(Tracked::new(
            Some(Arc::clone(&holder)),
            HandOverOnDrop(Arc::clone(&held)),
        ));
        assert!(!holder.is_stopped());
        held.release();
        assert!(holder.is_stopped());
    }

    #[test]
    fn a_node_that_stopped_or_is_counted_already_is_not_handed_over_again() {
        let first = Node::for_task();
        let second = Node::for_task();
        let held = Node::for_task();
        Node::count_in(&held, Arc::clone(&first));
        Node::count_in(&held, Arc::clone(&second));
        first.release();
        second.release();
        assert!(second.is_stopped(), "counted once, by the first receiver");
        assert!(!first.is_stopped());
        held.release();
        assert!(first.is_stopped());
        let stopped = Node::for_task();
        stopped.release();
        let receiver = Node::for_task();
        Node::count_in(&stopped, Arc::clone(&receiver));
        receiver.release();
        assert!(receiver.is_stopped());
    }

    #[test]
    fn a_destructor_that_panics_still_releases_the_node() {
        struct PanicOnDrop;
        impl Drop for PanicOnDrop {
            fn drop(&mut self) {
                panic!("destructor panics on purpose");
            }
        }
        let group = Node::new(None, Location::caller());
        let task = Node::new(Some(Arc::clone(&group)), Location::caller());
        let tracked = Tracked::new(Some(task), PanicOnDrop);
        assert!(catch_unwind(AssertUnwindSafe(|| drop(tracked))).is_err());
        assert!(group.only_owner_left(), "the task gave back its place");
        assert!(
            current().is_none(),
            "the current node is restored on unwind"
        );
    }

    /// A waker that counts its wake-ups, or panics when woken.
    struct TestWaker {
        wakes: std::sync::atomic::AtomicUsize,
        panics: bool,
    }

    impl std::task::Wake for TestWaker {
        fn wake(self: std::sync::Arc<Self>) {
            self.wake_by_ref();
        }

        fn wake_by_ref(self: &std::sync::Arc<Self>) {
            self.wakes.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            assert!(!self.panics, "a waker panics on purpose");
        }
    }

    fn test_waker(panics: bool) -> (std::sync::Arc<TestWaker>, Waker) {
        let state = std::sync::Arc::new(TestWaker {
            wakes: std::sync::atomic::AtomicUsize::new(0),
            panics,
        });
        (std::sync::Arc::clone(&state), Waker::from(state))
    }

    #[test]
    fn a_release_through_100_000_levels_does_not_recurse() {
        // Under miri, which checks the walk's memory accesses rather than its depth, a short one.
        const DEPTH: usize = if cfg!(miri) { 1_000 } else { 100_000 };
        let run = || {
            let root = Node::new(None, Location::caller());
            let mut chain = std::vec![Arc::clone(&root)];
            for _ in 0..DEPTH {
                let child = Node::new(Some(Arc::clone(chain.last().unwrap())), Location::caller());
                chain.push(child);
            }
            let leaf = chain.pop().unwrap();
            // Every node but the leaf gives up its own count: each still counts its child.
            for node in &chain[1..] {
                node.release();
            }
            drop(chain);
            assert!(!root.only_owner_left());
            // The leaf's last count brings every node above it to zero, one after the other.
            leaf.release();
            assert!(root.only_owner_left());
        };
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(run)
            .unwrap()
            .join()
            .unwrap();
    }

    #[test]
    fn a_panicking_waker_of_the_parent_does_not_keep_the_childs_waiter_asleep() {
        let group = Node::new(None, Location::caller());
        let task = Node::new(Some(Arc::clone(&group)), Location::caller());
        let (_, join_waker) = test_waker(true);
        let (cancel, cancel_waker) = test_waker(false);
        assert!(group
            .poll_only_owner_left(&mut Context::from_waker(&join_waker))
            .is_pending());
        assert!(task
            .poll_stopped(&mut Context::from_waker(&cancel_waker))
            .is_pending());
        let released = catch_unwind(AssertUnwindSafe(|| task.release()));
        assert!(released.is_err(), "the waker's panic passes through");
        assert_eq!(
            cancel.wakes.load(std::sync::atomic::Ordering::SeqCst),
            1,
            "the task's own waiter is woken too"
        );
        assert!(group.only_owner_left() && task.is_stopped());
    }

    #[test]
    fn a_group_tasks_waiter_is_woken_after_the_groups_count_came_down() {
        /// Records, when woken, whether the group counted the task any more.
        struct SeesGroup(Arc<Node>, std::sync::atomic::AtomicBool);
        impl std::task::Wake for SeesGroup {
            fn wake(self: std::sync::Arc<Self>) {
                let down = self.0.only_owner_left();
                self.1.store(down, std::sync::atomic::Ordering::SeqCst);
            }
        }
        let group = Node::new(None, Location::caller());
        let task = Node::new(Some(Arc::clone(&group)), Location::caller());
        let sees = std::sync::Arc::new(SeesGroup(
            Arc::clone(&group),
            std::sync::atomic::AtomicBool::new(false),
        ));
        let waker = Waker::from(std::sync::Arc::clone(&sees));
        assert!(task
            .poll_stopped(&mut Context::from_waker(&waker))
            .is_pending());
        task.release();
        assert!(sees.1.load(std::sync::atomic::Ordering::SeqCst));
    }

    /// A node is made per task and read on every wake-up of the task's stop signals: the
    /// group benches on a multi-thread runtime ran 15 to 20 % slower with a node of 112 or 152
    /// bytes than with one of 104 (the id, spawn location and child list now fit in the 104
    /// through the shared scope, the boxed child list and the 32-bit count).
    #[test]
    #[cfg(all(target_pointer_width = "64", not(cancel_cascade_census)))]
    fn a_node_stays_within_104_bytes() {
        assert!(
            core::mem::size_of::<Node>() <= 104,
            "a node takes {} bytes",
            core::mem::size_of::<Node>()
        );
    }

    /// A group as the groups inside it see it; this test only checks who it is.
    struct Group;

    impl Enclosing for Group {
        fn adopt(&self, _: Weak<dyn Enclosing>) -> bool {
            false
        }

        fn stop_with_enclosing(&self) {}

        #[cfg(not(loom))]
        fn members(&self) -> Vec<Arc<Node>> {
            Vec::new()
        }
    }

    fn no_group() -> Weak<dyn Enclosing> {
        Weak::<Group>::new()
    }

    #[test]
    fn a_group_inside_a_group_task_takes_a_child_of_the_outer_token() {
        let outer_group: std::sync::Arc<dyn Enclosing> = std::sync::Arc::new(Group);
        let (outer, outer_token, enclosed) =
            Node::for_group(std::sync::Arc::downgrade(&outer_group), Location::caller());
        assert!(enclosed.is_none(), "outside any task: no enclosing group");
        let member = Node::new(Some(Arc::clone(&outer)), Location::caller());
        let mut inner = None;
        let mut task = Box::pin(Tracked::new(
            Some(member),
            std::future::poll_fn(|_| {
                // Through a spawned task too: the scope is inherited.
                let spawned = Node::for_task();
                let mut nested = Tracked::new(
                    Some(spawned),
                    std::future::poll_fn(|_| {
                        let (_, token, enclosed) = Node::for_group(no_group(), Location::caller());
                        let group = enclosed.expect("inside a task of a group");
                        assert!(std::sync::Arc::ptr_eq(&group, &outer_group));
                        inner = Some(token);
                        Poll::Ready(())
                    }),
                );
                assert!(poll_once(Pin::new(&mut nested)).is_ready());
                Poll::Ready(())
            }),
        ));
        assert!(poll_once(task.as_mut()).is_ready());
        drop(task);
        let inner = inner.unwrap();
        assert!(!inner.is_cancelled());
        outer_token.cancel();
        assert!(inner.is_cancelled());
        let (_, token, enclosed) = Node::for_group(no_group(), Location::caller());
        assert!(!token.is_cancelled(), "outside any task: a new token");
        assert!(enclosed.is_none());
    }
}
