//! Loom models of how a task group stops its tasks (the crate's real phase and admission,
//! reached through a hidden loom-only module, with the real spawn-tree `Node` counting the
//! tasks): a failure races spawns from another thread and from inside the token's waker, and
//! tasks woken by the token. Without a grace period:
//!
//! * a task admitted after the failure is never polled: it is refused, never counted, and its
//!   future is dropped where it was spawned;
//! * a task admitted before it is stopped: at its next poll it finds the hard stop raised and
//!   drops its future, even when the token woke it (the hard stop comes before the token), and
//!   even when an executor polls it from inside the token's waker.
//!
//! With a grace period the token alone is cancelled: a task it wakes runs its cleanup, and a
//! spawn from there is still refused.
//!
//! The group's two tokens are modelled by loom-aware flags, so that every point between the
//! phase change, the hard stop and the token is a point where loom may switch threads.
//!
//! Run with `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release --test
//! loom_group_stop`.
#![cfg(loom)]

use std::future::poll_fn;
use std::task::{Context, Poll, Wake, Waker};

use cancel_cascade::loom_group_stop::{Gate, Signals};
use cancel_cascade::loom_live::Node;
use loom::future::{block_on, AtomicWaker};
use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::sync::{Arc, Mutex};
use loom::thread;

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    // No preemption bound: the models are small enough to explore every interleaving (about a
    // second for the four). Each broken order they were checked against fails at 3 already.
    builder.preemption_bound = None;
    builder.check(f);
}

/// A one-way signal a task can await: the model's `CancelToken`.
#[derive(Debug, Default)]
struct Flag {
    raised: AtomicBool,
    waiter: AtomicWaker,
}

impl Flag {
    fn raise(&self) {
        self.raised.store(true, Ordering::Release);
        self.waiter.wake();
    }

    fn is_raised(&self) -> bool {
        self.raised.load(Ordering::Acquire)
    }

    fn poll(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.is_raised() {
            return Poll::Ready(());
        }
        self.waiter.register_by_ref(cx.waker());
        if self.is_raised() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

/// A group: its phase, its two tokens and its spawn-tree node.
#[derive(Debug)]
struct Group {
    gate: Gate,
    hard_stop: Flag,
    token: Flag,
    node: Node,
}

impl Signals for Group {
    fn drop_queued(&self) {}

    fn stop_tasks(&self) {
        self.hard_stop.raise();
    }

    fn cancel_token(&self) {
        self.token.raise();
    }

    fn wake_owner(&self) {}
}

impl Group {
    fn new() -> Arc<Self> {
        Arc::new(Group {
            gate: Gate::default(),
            hard_stop: Flag::default(),
            token: Flag::default(),
            node: Node::root(),
        })
    }

    /// A task of the group, if it is admitted: counted in the group's node.
    fn spawn(&self) -> Option<Task> {
        self.gate.admit(|| Task {
            node: Some(Node::child_of(&self.node)),
            polls: 0,
            polls_after_the_token: 0,
        })
    }

    fn with_grace_period() -> Arc<Self> {
        Arc::new(Group {
            gate: Gate::default().with_grace_period(),
            hard_stop: Flag::default(),
            token: Flag::default(),
            node: Node::root(),
        })
    }

    fn fail(&self) {
        self.gate.fail(self);
    }
}

/// A task as the group runs it: each poll looks at the hard stop first and, once it is
/// raised, drops the future (here: gives up the task's count) instead of polling it.
#[derive(Debug)]
struct Task {
    node: Option<Node>,
    /// Polls of the task's own future.
    polls: usize,
    /// Of those, the polls that began after the token was cancelled: without a grace period,
    /// there must be none.
    polls_after_the_token: usize,
}

impl Task {
    /// One poll by the runtime: stops the task, or polls its future.
    fn poll(&mut self, group: &Group) {
        // Read first: the hard stop is raised before the token, so a poll that begins after
        // the token was cancelled must stop.
        let token_cancelled = group.token.is_raised();
        if group.hard_stop.is_raised() {
            if let Some(node) = self.node.take() {
                node.release();
            }
            return;
        }
        assert!(self.node.is_some(), "a stopped task was polled");
        self.polls += 1;
        self.polls_after_the_token += usize::from(token_cancelled);
    }

    /// Asserts that the task stopped, its future polled `polls` times at most and never after
    /// the token was cancelled.
    fn assert_stopped(&self, polls: usize) {
        assert!(
            self.node.is_none(),
            "a task admitted before the failure was not stopped"
        );
        assert!(
            self.polls <= polls,
            "the task was polled {} times",
            self.polls
        );
        assert_eq!(
            self.polls_after_the_token, 0,
            "without a grace period, a task polled after the token was cancelled ran"
        );
    }
}

/// A task waits on the token (`token.cancelled().await`, then its cleanup) while another
/// thread fails the group. Without a grace period every poll that begins after the token was
/// cancelled (the one the token's wake-up brings, say) finds the hard stop and drops the
/// future: the cleanup runs only in a poll already under way when the failure came, and a
/// spawn from there is refused. Fails if the token is cancelled before the hard stop.
#[test]
fn a_task_polled_after_the_token_is_dropped_before_its_cleanup() {
    model(|| {
        let group = Group::new();
        let task = group.spawn().expect("an open group admits a task");
        let failing = {
            let group = Arc::clone(&group);
            thread::spawn(move || group.fail())
        };
        let mut polls_after_the_token = 0;
        // Polled by hand rather than through `Task`, to wait on the token as a task does.
        block_on(poll_fn(|cx| {
            let token_cancelled = group.token.is_raised();
            polls_after_the_token += usize::from(token_cancelled);
            if group.hard_stop.poll(cx).is_ready() {
                return Poll::Ready(());
            }
            assert!(
                !token_cancelled,
                "without a grace period, a task polled after the token was cancelled ran"
            );
            // The task's future: past `token.cancelled().await` it cleans up and spawns. Only
            // a poll under way when the failure came gets here.
            if group.token.poll(cx).is_pending() {
                return Poll::Pending;
            }
            assert!(
                group.spawn().is_none(),
                "a task spawned after the token was cancelled was admitted"
            );
            Poll::Ready(())
        }));
        assert!(
            polls_after_the_token <= 1,
            "the task was polled after it stopped"
        );
        task.node.expect("counted until it stopped").release();
        failing.join().unwrap();
        assert_eq!(group.node.live(), 1, "a task is still counted");
    });
}

/// What the token's waker does when woken, inside `cancel`, on the failing thread: spawn a
/// task into the group (as a task woken by the token may), and poll a task of the group (as an
/// executor that polls from inside `wake` does).
struct ReenteringWaker {
    group: Arc<Group>,
    task: Mutex<Option<Task>>,
    late_spawns_admitted: Arc<AtomicUsize>,
}

impl Wake for ReenteringWaker {
    fn wake(self: std::sync::Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        if self.group.spawn().is_some() {
            self.late_spawns_admitted.fetch_add(1, Ordering::SeqCst);
        }
        if let Some(task) = self.task.lock().unwrap().as_mut() {
            task.poll(&self.group);
        }
    }
}

/// A failure on one thread races a spawn on another, while the token's waker spawns and polls
/// a task admitted before the failure. The spawn from the waker is refused; the task polled
/// from the waker is stopped; the task spawned from the other thread is either admitted (then
/// stopped at its first poll after the failure, and counted until then) or refused (then it
/// saw the group closed). Whatever the interleaving, nothing stays counted.
#[test]
fn spawns_racing_a_failure_are_refused_or_stopped() {
    model(|| {
        let group = Group::new();
        let late_spawns_admitted = Arc::new(AtomicUsize::new(0));
        let first = group.spawn().expect("an open group admits a task");
        let reentering = std::sync::Arc::new(ReenteringWaker {
            group: Arc::clone(&group),
            task: Mutex::new(Some(first)),
            late_spawns_admitted: Arc::clone(&late_spawns_admitted),
        });
        let waker = Waker::from(std::sync::Arc::clone(&reentering));
        // Registered before any other thread runs, so that loom's waker slot is not contended.
        assert!(group
            .token
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
        let spawning = {
            let group = Arc::clone(&group);
            thread::spawn(move || {
                let told = group.token.is_raised() || group.hard_stop.is_raised();
                let spawned = group.spawn();
                if told {
                    assert!(
                        spawned.is_none(),
                        "a task spawned after the failure was told was admitted"
                    );
                }
                spawned.map(|mut task| {
                    // Its runtime polls it once, racing the failure.
                    task.poll(&group);
                    task
                })
            })
        };
        group.fail();
        let polled_from_the_waker = reentering.task.lock().unwrap().take();
        polled_from_the_waker
            .expect("the task polled from the token's waker")
            .assert_stopped(0);
        let second = spawning.join().unwrap();
        if let Some(mut task) = second {
            task.poll(&group);
            task.assert_stopped(1);
        }
        assert_eq!(
            late_spawns_admitted.load(Ordering::SeqCst),
            0,
            "a task spawned from the token's waker was admitted"
        );
        drop((waker, reentering));
        assert_eq!(group.node.live(), 1, "a task is still counted");
    });
}

/// The group is dropped (`abandon`) while another thread spawns and polls: the spawn is either
/// admitted and then stopped (never polled once the token is cancelled), or refused once the
/// group is closed; a spawn that saw the token is refused.
#[test]
fn a_spawn_racing_the_drop_of_the_group_is_refused_or_stopped() {
    model(|| {
        let group = Group::new();
        let spawning = {
            let group = Arc::clone(&group);
            thread::spawn(move || {
                let told = group.token.is_raised();
                let spawned = group.spawn();
                assert!(
                    !(told && spawned.is_some()),
                    "a task spawned after the token was cancelled was admitted"
                );
                spawned.map(|mut task| {
                    // Its runtime polls it once, racing the drop.
                    task.poll(&group);
                    task
                })
            })
        };
        group.gate.abandon(&*group);
        assert!(!group.gate.is_open());
        if let Some(mut task) = spawning.join().unwrap() {
            task.poll(&group);
            task.assert_stopped(1);
        }
        assert_eq!(group.node.live(), 1, "a task is still counted");
    });
}

/// With a grace period the failure cancels the token and leaves the hard stop to the end of
/// the grace period: a task woken by the token runs its cleanup; a spawn from there is still
/// refused.
#[test]
fn with_a_grace_period_a_task_woken_by_the_token_cleans_up() {
    model(|| {
        let group = Group::with_grace_period();
        let task = group.spawn().expect("an open group admits a task");
        let failing = {
            let group = Arc::clone(&group);
            thread::spawn(move || group.fail())
        };
        let cleaned_up = block_on(poll_fn(|cx| {
            if group.hard_stop.poll(cx).is_ready() {
                return Poll::Ready(false);
            }
            if group.token.poll(cx).is_pending() {
                return Poll::Pending;
            }
            assert!(
                group.spawn().is_none(),
                "a task spawned after the token was cancelled was admitted"
            );
            Poll::Ready(true)
        }));
        assert!(cleaned_up, "the hard stop came before the grace period");
        task.node.expect("counted until it stopped").release();
        failing.join().unwrap();
        assert!(!group.hard_stop.is_raised());
        assert_eq!(group.node.live(), 1, "a task is still counted");
    });
}
