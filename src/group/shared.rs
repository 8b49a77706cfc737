//! What a group, its spawners and its tasks share: the spawn-tree node, the two tokens, and the
//! state that says whether the group still admits tasks and what went wrong.

use std::any::Any;
use std::boxed::Box;
use std::panic::Location;
use std::sync::{Arc, MutexGuard, OnceLock, Weak};
use std::time::{Duration, Instant};
use std::vec::Vec;

use super::hard_stop::{self, Nested};
use super::limit::{Entry, Slots};
use super::phase::{Gate, Grace, Locked, Phase, Signals, Unwinding};
use crate::live::{Enclosing, Node};
use crate::token::CancelToken;
use crate::TaskId;

/// A group's concurrency limit: the nodes of the tasks waiting for a slot, in spawn order.
///
/// Every task is on its runtime from its spawn; one that has to wait for a slot does so at its
/// first poll, before its future is polled (see [`Node::poll_slot`]), and the task that hands
/// its slot on wakes it (see [`Node::grant_slot`]). Nothing is boxed or spawned late.
pub(super) struct Limit {
    slots: Slots<Arc<Node>>,
}

impl Limit {
    pub(super) fn new(limit: usize) -> Self {
        Limit {
            slots: Slots::new(limit),
        }
    }

    /// Sets a new limit; the waiting tasks that a higher one lets run are woken to start.
    pub(super) fn set_limit(&self, limit: usize) {
        // Granted outside the limit's lock: a grant wakes the task.
        for next in self.slots.set_limit(limit) {
            next.grant_slot();
        }
    }

    /// Takes the task of `node` out of the queue, if it still waits for a slot there.
    pub(super) fn withdraw(&self, node: &Arc<Node>) {
        let queued = self.slots.withdraw(|queued| Arc::ptr_eq(queued, node));
        // A node's last reference may go here: not under the limit's lock.
        drop(queued);
    }
}

/// Asks the task of each node to stop, outside any lock (the wake-ups run foreign code). A
/// waker that panics (or a node's last reference, dropping one) must not keep the later tasks
/// running: each is asked, and the panics are kept in `unwinding`.
fn stop_each<'a>(nodes: impl IntoIterator<Item = &'a Arc<Node>>, unwinding: &mut Unwinding) {
    for node in nodes {
        unwinding.run(|| node.request_stop());
    }
}

/// Moves the nodes that have stopped out of `members` into `swept`, and makes room for as many
/// new ones as are left: the cost of a sweep is paid for by the pushes that filled the room.
fn sweep(members: &mut Vec<Arc<Node>>, swept: &mut Vec<Arc<Node>>) {
    let mut index = 0;
    while index < members.len() {
        if members[index].is_stopped() {
            swept.push(members.swap_remove(index));
        } else {
            index += 1;
        }
    }
    let live = members.len();
    members.reserve(live.max(4));
}

/// The message of the panic that reports a task its runtime dropped before it finished.
pub(super) const LOST_TASK: &str = "a task of the `TaskGroup` was dropped unfinished by its \
     runtime (did the runtime shut down?): the group cannot report its outcome";

pub(super) struct Core<E> {
    /// The group's own count plus one per live task (transitively).
    pub(super) node: Arc<Node>,
    /// Cancelled first, for cooperative cleanup; handed out by `token()`.
    pub(super) token: CancelToken,
    /// Set once, by `with_limit`.
    pub(super) limit: OnceLock<Arc<Limit>>,
    /// The phase (whether tasks are admitted) and the grace period, with the rest of `State`.
    state: Gate<State<E>>,
    /// The span current where the group was created: its cancellation is an event there.
    #[cfg(feature = "tracing")]
    span: tracing::Span,
}

struct State<E> {
    deadline: Option<Instant>,
    /// A failure does not cancel the other tasks.
    supervised: bool,
    /// What started the cancellation, if anything did.
    stopped_by: Option<StopReason>,
    /// Which failure `join` reports: the first one, except that in a supervised group a
    /// panic wins over errors (a panic or a lost task is not an `E`).
    first: Option<FailureKind>,
    /// The task whose failure is `first`.
    failed: Option<TaskId>,
    /// Every error, in the order the tasks returned them.
    errors: Vec<E>,
    /// The first panic of a task.
    panic: Option<Box<dyn Any + Send + 'static>>,
    /// Whether a runtime dropped a task before it finished.
    lost: bool,
    /// The groups created inside this group's tasks (at any depth of spawned tasks), wherever
    /// they went since: this group's hard stop stops them. Swept of dropped groups whenever it
    /// is full.
    nested: Vec<Weak<dyn Enclosing>>,
    /// The nodes of the tasks admitted and not yet known to have stopped: the hard stop asks
    /// each of them to stop. Swept of stopped nodes when it is full and at least half of them
    /// have stopped (see `admit`), so it holds at most about four nodes per running task.
    members: Vec<Arc<Node>>,
    /// Whether the hard stop came: every task admitted has been asked to stop.
    tasks_stopped: bool,
}

/// What started a group's cancellation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum StopReason {
    /// A task failed.
    Failure,
    /// `cancel`, `shutdown`, or the group was dropped.
    Cancel,
    /// The group's deadline passed.
    Deadline,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum FailureKind {
    Error,
    Panic,
    Lost,
}

/// How a task failed.
pub(super) enum Cause<E> {
    Error(E),
    Panic(Box<dyn Any + Send + 'static>),
    /// Its runtime dropped it before it finished.
    Lost,
}

/// What the waiting side should do next.
pub(super) enum Progress {
    /// Tasks still run and nothing asked them to stop.
    Running,
    /// Every task stopped while the group was open: the group is finished.
    Idle,
    /// The cancellation started; the tasks get `grace` from there.
    Cancelling { grace: Grace },
}

/// Everything that went wrong, taken once every task has stopped.
pub(super) struct Report<E> {
    pub(super) stopped_by: Option<StopReason>,
    pub(super) first: Option<FailureKind>,
    /// The task whose failure is `first`.
    pub(super) failed: Option<TaskId>,
    pub(super) errors: Vec<E>,
    pub(super) panic: Option<Box<dyn Any + Send + 'static>>,
    pub(super) lost: bool,
}

impl<E: Send + 'static> Core<E> {
    /// A new group's core; created inside a task of another group, it is handed to that group,
    /// whose hard stop stops it too (and at once if that came already).
    #[track_caller]
    pub(super) fn new() -> Arc<Self> {
        let created_at = Location::caller();
        let mut enclosed = None;
        // Built knowing itself, for the groups that its own tasks will create.
        let core = Arc::new_cyclic(|core: &Weak<Self>| {
            let (node, token, outer) =
                Node::for_group(Weak::clone(core) as Weak<dyn Enclosing>, created_at);
            enclosed = outer;
            Core::with_node(node, token)
        });
        // Handed over only now that it is built: a hard stop of the outer group from now on
        // reaches it (its `Weak` upgrades), and one that came before is the answer here.
        if let Some(outer) = enclosed {
            let nested = Arc::downgrade(&core) as Weak<dyn Enclosing>;
            if outer.adopt(nested) {
                core.abandon();
            }
        }
        core
    }
}

impl<E> Core<E> {
    fn with_node(node: Arc<Node>, token: CancelToken) -> Self {
        Core {
            node,
            token,
            limit: OnceLock::new(),
            #[cfg(feature = "tracing")]
            span: tracing::Span::current(),
            state: Gate::new(State {
                deadline: None,
                supervised: false,
                stopped_by: None,
                first: None,
                failed: None,
                errors: Vec::new(),
                panic: None,
                lost: false,
                members: Vec::new(),
                nested: Vec::new(),
                tasks_stopped: false,
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, Locked<State<E>>> {
        self.state.lock()
    }

    pub(super) fn set_grace_period(&self, grace_period: Option<Duration>) {
        self.state().grace_period = grace_period;
    }

    pub(super) fn grace_period(&self) -> Option<Duration> {
        self.state().grace_period
    }

    pub(super) fn set_deadline(&self, deadline: Option<Instant>) {
        self.state().deadline = deadline;
    }

    pub(super) fn set_supervised(&self) {
        self.state().supervised = true;
    }

    pub(super) fn deadline(&self) -> Option<Instant> {
        self.state().deadline
    }

    /// What started the cancellation, if anything did.
    pub(super) fn stopped_by(&self) -> Option<StopReason> {
        self.state().stopped_by
    }

    /// A node for a new task, counted in the group's, if the group still admits tasks.
    ///
    /// Checked and counted under the state's lock, so that a task is either admitted before
    /// the group is cancelled or finished, and then waited for, or refused.
    pub(super) fn admit(&self, spawned_at: &'static Location<'static>) -> Option<Arc<Node>> {
        let mut swept = Vec::new();
        let node = self.state.admit(|state| {
            let node = Node::new(Some(Arc::clone(&self.node)), spawned_at);
            // Swept only when at least half the nodes kept are those of stopped tasks (read in
            // the group's own count): a sweep reads every node kept, each last written by the
            // task's thread, so one that would free little is not worth it. The list then
            // grows instead, and holds at most about four nodes per running task.
            let kept = state.members.len();
            if kept == state.members.capacity() && self.node.count() <= kept / 2 {
                sweep(&mut state.members, &mut swept);
            }
            state.members.push(Arc::clone(&node));
            node
        });
        // A node's last reference may go here, and with it a waker: never under the lock.
        drop(swept);
        node
    }

    /// Asks every task admitted to stop now (the hard stop): each drops its future at its next
    /// poll, or at once if it waits. Only the first call does anything.
    ///
    /// The groups created inside the tasks stop first, and theirs, at any depth (see
    /// [`hard_stop`]), so that no task of theirs sees a token before its own hard stop: then
    /// the tasks of this group (whose token comes after this).
    pub(super) fn stop_tasks(&self) {
        let (mut members, nested, first) = {
            let mut state = self.state();
            let first = !std::mem::replace(&mut state.tasks_stopped, true);
            // Asked once: the group admits no task after its hard stop.
            let members = if first {
                std::mem::take(&mut state.members)
            } else {
                Vec::new()
            };
            (members, std::mem::take(&mut state.nested), first)
        };
        if first {
            self.trace("stops its tasks", "hard stop");
        }
        let mut unwinding = Unwinding::default();
        match hard_stop::hand_over(nested) {
            // A walk under way on this thread visits the nested groups; their tokens, and
            // this group's, wait for its end.
            Nested::Handed => stop_each(&members, &mut unwinding),
            Nested::Lead(walker) => {
                walker.visit_all(&mut unwinding);
                stop_each(&members, &mut unwinding);
                // A task that its executor dropped inside the wake-up may have dropped a
                // group of its own, handed to the walk meanwhile.
                walker.visit_all(&mut unwinding);
                walker.finish(&mut unwinding);
            }
        }
        // The tasks still running stay listed, for `waiting_for`; the others go (a node's last
        // reference may go here, and a waker with it: outside the lock, and caught).
        unwinding.run(|| members.retain(|node| !node.is_stopped()));
        self.state().members.append(&mut members);
        unwinding.resume();
    }

    /// Whether the hard stop came.
    pub(super) fn tasks_stopped(&self) -> bool {
        self.state().tasks_stopped
    }

    /// Whether the group no longer admits tasks.
    pub(super) fn is_closed(&self) -> bool {
        !self.state.is_open()
    }

    /// Records the failure of the task `id` and, if it is the first thing to stop the group
    /// (and the group is not supervised), starts the cancellation.
    pub(super) fn fail(&self, id: TaskId, cause: Cause<E>) {
        let mut state = self.state();
        let mut later_panic = None;
        let kind = match cause {
            Cause::Error(error) => {
                state.errors.push(error);
                FailureKind::Error
            }
            Cause::Panic(panic) => {
                if state.panic.is_none() {
                    state.panic = Some(panic);
                } else {
                    later_panic = Some(panic);
                }
                FailureKind::Panic
            }
            Cause::Lost => {
                state.lost = true;
                FailureKind::Lost
            }
        };
        match state.first {
            None => {
                state.first = Some(kind);
                state.failed = Some(id);
            }
            // A supervised group cancelled nothing on the error, so a later panic is a bug of
            // its own, not a side effect of a cancellation: `join` resumes it (never drops it).
            Some(FailureKind::Error) if state.supervised && kind == FailureKind::Panic => {
                state.first = Some(kind);
                state.failed = Some(id);
            }
            Some(_) => {}
        }
        if state.supervised {
            drop(state);
        } else {
            // Read on the task's thread, so on the clock of the runtime it runs on.
            let started = self.state.start_cancelling(
                state,
                crate::timer::runtime_now,
                |state| state.stopped_by = Some(StopReason::Failure),
                self,
            );
            if started {
                self.trace("cancelled", "a task failed");
            }
        }
        // A payload's destructor is foreign code (it may use the group): never under the
        // lock, which is released on both paths above.
        drop(later_panic);
    }

    /// Starts the cancellation without recording a failure (`cancel`, `shutdown`, deadline),
    /// at `now` on the clock of the group's spawner (see `Spawn::now`): the grace period counts
    /// from there.
    pub(super) fn cancel(&self, reason: StopReason, now: Instant) {
        let started = self.state.start_cancelling(
            self.state(),
            || now,
            |state| state.stopped_by = Some(reason),
            self,
        );
        if started {
            let why = match reason {
                StopReason::Failure => "a task failed",
                StopReason::Cancel => "cancel",
                StopReason::Deadline => "deadline",
            };
            self.trace("cancelled", why);
        }
    }

    /// With the feature `tracing`, a `DEBUG` event in the group's span: the group `what`
    /// (cancelled, stops its tasks) because of `why`. Without it, nothing.
    #[inline(always)]
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    fn trace(&self, what: &'static str, why: &'static str) {
        #[cfg(feature = "tracing")]
        self.span.in_scope(|| {
            tracing::debug!(group = %self.node.id(), reason = why, "task group {what}");
        });
    }

    /// Starts `task` on its runtime; in a limited group, first takes a slot for it, or queues
    /// its node for one (the task then waits at its first poll), or drops it unpolled (the
    /// limit closed since the task was admitted).
    pub(super) fn start_within_limit<F>(
        limit: Option<&Arc<Limit>>,
        node: &Arc<Node>,
        task: F,
        start: impl FnOnce(F),
    ) {
        let Some(limit) = limit else {
            start(task);
            return;
        };
        match limit.slots.enter(|| Arc::clone(node)) {
            Entry::Start => {
                node.grant_slot();
                start(task);
            }
            Entry::Queued => start(task),
            // Closed since the task was admitted: dropped unpolled, as if it had been queued.
            Entry::Refused => drop(task),
        }
    }

    /// Ready once a task spawned now would start at once (or the group is cancelling).
    pub(super) async fn ready(&self) {
        if let Some(limit) = self.limit.get() {
            limit.slots.ready().await;
        }
    }

    /// The task of `node`, in a limited group, stopped: its slot, if it held one, goes to the
    /// first queued task. One that stopped while it still waited leaves the queue instead.
    pub(super) fn leave_limit(&self, node: &Arc<Node>) {
        let Some(limit) = self.limit.get() else {
            return;
        };
        if !node.holds_slot() {
            // Stopped (or dropped by its runtime) while it waited. Given a slot since it looked,
            // it is no longer queued, and `leave` hands that slot on like any other.
            limit.withdraw(node);
        }
        if let Some(next) = limit.slots.leave() {
            next.grant_slot();
        }
    }

    /// The grace the tasks got when the cancellation started, if it has started.
    pub(super) fn cancelling(&self) -> Option<Grace> {
        // The usual case, asked at every `join_next`: no lock.
        if self.state.is_open() {
            return None;
        }
        match self.state().phase() {
            Phase::Cancelling { grace } => Some(grace),
            Phase::Open | Phase::Finished => None,
        }
    }

    /// Where the group stands; marks an open group whose tasks have all stopped as finished.
    pub(super) fn progress(&self) -> Progress {
        let mut state = self.state();
        match state.phase() {
            Phase::Cancelling { grace } => Progress::Cancelling { grace },
            Phase::Finished => Progress::Idle,
            Phase::Open if self.node.only_owner_left() => {
                self.state.finish(&mut state);
                Progress::Idle
            }
            Phase::Open => Progress::Running,
        }
    }

    /// Closes the group for good (every task has stopped) and takes what went wrong.
    pub(super) fn take_report(&self) -> Report<E> {
        let mut state = self.state();
        self.state.finish(&mut state);
        Report {
            stopped_by: state.stopped_by,
            first: state.first.take(),
            failed: state.failed.take(),
            errors: std::mem::take(&mut state.errors),
            panic: state.panic.take(),
            lost: std::mem::replace(&mut state.lost, false),
        }
    }

    /// Cancels everything at once (the group was dropped): nothing more is admitted.
    pub(super) fn abandon(&self) {
        let moved = self.state.abandon(
            |state| state.stopped_by = Some(StopReason::Cancel),
            self,
            false,
        );
        // A group dropped once its tasks have all stopped cancels nothing.
        if moved && !self.node.only_owner_left() {
            self.trace("cancelled", "dropped");
        }
    }
}

impl<E: Send + 'static> Enclosing for Core<E> {
    fn adopt(&self, nested: Weak<dyn Enclosing>) -> bool {
        let mut state = self.state();
        if state.tasks_stopped {
            return true;
        }
        if state.nested.len() == state.nested.capacity() {
            // A `Weak` runs no destructor of what it points to: safe under the lock.
            state.nested.retain(|group| group.strong_count() > 0);
            let live = state.nested.len();
            state.nested.reserve(live.max(4));
        }
        state.nested.push(nested);
        false
    }

    #[cfg(not(loom))]
    fn members(&self) -> Vec<Arc<Node>> {
        self.state().members.clone()
    }

    fn stop_with_enclosing(&self) {
        // Everything under the enclosing group stops, the groups made in this group's tasks
        // too, even if none of this group's own tasks still runs.
        let moved = self.state.abandon(
            |state| state.stopped_by = Some(StopReason::Cancel),
            self,
            true,
        );
        if moved {
            self.trace("cancelled", "the enclosing group stopped its tasks");
        }
        // Whoever waits on this group (its `join`, its `start`) looks again: at the end of the
        // walk this stop is part of, after the token (see `cancel_token`).
        if !hard_stop::under_way() {
            self.node.wake_owner();
        }
    }
}

/// A group tells its tasks through its limit's queue, its two tokens and its spawn-tree node.
impl<E> Signals for Core<E> {
    /// Closes the limit, if there is one, and stops the tasks still waiting for a slot: each
    /// drops its future at once, unpolled.
    fn drop_queued(&self) {
        if let Some(limit) = self.limit.get() {
            let mut unwinding = Unwinding::default();
            stop_each(&limit.slots.close(), &mut unwinding);
            unwinding.resume();
        }
    }

    fn stop_tasks(&self) {
        Core::stop_tasks(self);
    }

    fn cancel_token(&self) {
        // Within a walk, once every hard stop under it is raised.
        if !hard_stop::defer_token(&self.token, &self.node) {
            self.token.cancel();
        }
    }

    fn wake_owner(&self) {
        self.node.wake_owner();
    }

    fn idle(&self) -> bool {
        self.node.only_owner_left()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A long-lived group whose tasks come and go keeps the nodes of the running ones, not of
    /// every task it ever had.
    #[test]
    fn the_nodes_kept_for_the_hard_stop_stay_bounded_by_the_running_tasks() {
        let core = Core::<()>::new();
        let running: Vec<_> = (0..10)
            .map(|_| core.admit(Location::caller()).unwrap())
            .collect();
        for _ in 0..2_000 {
            let node = core.admit(Location::caller()).unwrap();
            node.release();
        }
        let state = core.state();
        assert!(
            state.members.capacity() <= 64,
            "{} nodes kept for 10 running tasks",
            state.members.capacity()
        );
        assert!(running
            .iter()
            .all(|node| state.members.iter().any(|kept| Arc::ptr_eq(kept, node))));
        drop(state);
        for node in running {
            node.release();
        }
    }

    /// The hard stop reaches every task admitted, once.
    #[test]
    fn the_hard_stop_asks_every_running_task_to_stop() {
        let core = Core::<()>::new();
        let nodes: Vec<_> = (0..100)
            .map(|_| core.admit(Location::caller()).unwrap())
            .collect();
        for node in &nodes[..50] {
            node.release();
        }
        core.stop_tasks();
        assert!(core.tasks_stopped());
        assert!(nodes[50..].iter().all(|node| node.stop_requested()));
        // Those still running stay listed (for `waiting_for`), the others go.
        let state = core.state();
        assert_eq!(state.members.len(), 50);
        assert!(state
            .members
            .iter()
            .zip(&nodes[50..])
            .all(|(kept, node)| Arc::ptr_eq(kept, node)));
        drop(state);
        for node in &nodes[50..] {
            node.release();
        }
    }
}
