//! The `!Send` task scenarios, written once and run on every runtime's local executor by
//! `tests/local_<rt>.rs`: handles and groups of tasks that hold an `Rc` across an `.await`.
//!
//! Every task holds a [`Guard`], an `Rc` into the scenario's [`Census`]: the futures cannot be
//! `Send`, and the census (a `Cell`, on the one thread everything runs on) counts the futures
//! whose destructors have run. Each check reads it at the moment the awaited call returns.
//!
//! On one thread, a cancelled task is often dropped in the same turn of the executor that
//! wakes whoever waits for it, before the waiter runs: a wait that returned too early would go
//! unseen. So each scenario that checks a wait runs beside [`Noise`], more busy tasks than an
//! executor runs in one turn: a task woken after the waiter is then queued behind them, and
//! the waiter runs first.

use std::cell::Cell;
use std::future::{pending, poll_fn, Future};
use std::rc::Rc;
use std::task::Poll;
use std::time::{Duration, Instant};

use cancel_cascade::rt::{LocalSpawn, Spawn};
use cancel_cascade::{GroupOutcome, TaskGroup, TaskSet, TaskStatus};

/// How long a scenario waits for something the executor does "soon"; the usual wait is a few
/// polls.
const SOON: Duration = Duration::from_secs(5);

/// What a local spawner of the scenarios must be.
pub(crate) trait Local: Spawn + LocalSpawn + Clone + 'static {}
impl<S: Spawn + LocalSpawn + Clone + 'static> Local for S {}

/// Counts the guards made, and those dropped.
#[derive(Default)]
pub(crate) struct Census {
    made: Cell<usize>,
    dropped: Cell<usize>,
}

impl Census {
    pub(crate) fn new() -> Rc<Self> {
        Rc::default()
    }

    pub(crate) fn guard(self: &Rc<Self>) -> Guard {
        self.made.set(self.made.get() + 1);
        Guard(Rc::clone(self))
    }

    pub(crate) fn dropped(&self) -> usize {
        self.dropped.get()
    }

    pub(crate) fn live(&self) -> usize {
        self.made.get() - self.dropped.get()
    }
}

/// Counted dropped by its [`Census`] once its destructor ran. Holds an `Rc`: not `Send`.
pub(crate) struct Guard(Rc<Census>);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.dropped.set(self.0.dropped.get() + 1);
    }
}

/// Gives the executor one turn: pending once, waking itself.
pub(crate) async fn yield_once() {
    let mut yielded = false;
    poll_fn(|cx| {
        if yielded {
            return Poll::Ready(());
        }
        yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    })
    .await;
}

/// Yields until `condition` holds.
///
/// # Panics
///
/// If that takes longer than [`SOON`].
pub(crate) async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let start = Instant::now();
    while !condition() {
        assert!(start.elapsed() < SOON, "waited {SOON:?} for {what}");
        yield_once().await;
    }
}

/// Busy local tasks that yield until the scenario ends (the value is dropped): see the module
/// docs. 300 is more than one turn of tokio's `LocalSet` (61 tasks) and of async-executor's
/// runner (200).
pub(crate) struct Noise(Rc<Cell<bool>>);

impl Noise {
    pub(crate) fn start<S: LocalSpawn>(spawner: &S) -> Noise {
        let stop = Rc::new(Cell::new(false));
        for _ in 0..300 {
            let stop = Rc::clone(&stop);
            spawner.spawn_local_detached(async move {
                while !stop.get() {
                    yield_once().await;
                }
            });
        }
        Noise(stop)
    }
}

impl Drop for Noise {
    fn drop(&mut self) {
        self.0.set(true);
    }
}

/// A task that holds a guard across an `.await` that never ends, and says when it started.
fn stuck(guard: Guard, started: &Rc<Cell<usize>>) -> impl Future<Output = ()> + 'static {
    let started = Rc::clone(started);
    async move {
        let _guard = guard;
        started.set(started.get() + 1);
        pending::<()>().await
    }
}

/// Dropping a handle cancels its local task: the task's future, `Rc` and all, is dropped on
/// the executor's thread.
pub(crate) async fn dropping_a_handle_cancels<S: Local>(spawner: S) {
    let _noise = Noise::start(&spawner);
    let census = Census::new();
    let started = Rc::new(Cell::new(0));
    let task = spawner.spawn_local_task(stuck(census.guard(), &started));
    eventually("the task to start", || started.get() == 1).await;
    assert_eq!(census.dropped(), 0);
    drop(task);
    eventually("the task's future to be dropped", || census.dropped() == 1).await;

    // Dropped before its first poll, it never runs.
    let task = spawner.spawn_local_task(stuck(census.guard(), &started));
    drop(task);
    eventually("the unstarted task to be dropped", || census.dropped() == 2).await;
    assert_eq!(started.get(), 1, "a task cancelled unpolled ran");
}

/// `cancel().await` returns only once the task's future has been dropped, and the future of
/// the local task it spawned (whose handle it held) too.
pub(crate) async fn cancel_waits_for_a_local_grandchild<S: Local>(spawner: S) {
    let _noise = Noise::start(&spawner);
    let census = Census::new();
    let started = Rc::new(Cell::new(0));
    let (child_guard, grandchild_guard) = (census.guard(), census.guard());
    let (inner, started_inner) = (spawner.clone(), Rc::clone(&started));
    let task = spawner.spawn_local_task(async move {
        let grandchild = inner.spawn_local_task(stuck(grandchild_guard, &started_inner));
        let _keep = (child_guard, grandchild);
        pending::<()>().await
    });
    eventually("the grandchild to start", || started.get() == 1).await;
    assert_eq!(task.cancel().await, None);
    assert_eq!(
        census.dropped(),
        2,
        "cancel returned before the grandchild stopped"
    );

    // A finished task gives its output, an `Rc`, to `cancel` too.
    let task = spawner.spawn_local_task(async { Rc::new(7) });
    eventually("the task to finish", || task.is_finished()).await;
    assert_eq!(task.cancel().await.as_deref(), Some(&7));
}

/// Awaiting a handle gives its output (not `Send`); a detached task runs to the end; a panic
/// resumes in the awaiter.
pub(crate) async fn outputs_detach_and_panics<S: Local>(spawner: S) {
    let shared = Rc::new(Cell::new(0));
    let counter = Rc::clone(&shared);
    let task = spawner.spawn_local_task(async move {
        yield_once().await;
        counter.set(counter.get() + 1);
        counter
    });
    let output = task.await;
    assert_eq!(output.get(), 1);
    assert!(Rc::ptr_eq(&output, &shared));

    let counter = Rc::clone(&shared);
    spawner
        .spawn_local_task(async move {
            yield_once().await;
            counter.set(counter.get() + 1);
        })
        .detach();
    eventually("the detached task to finish", || shared.get() == 2).await;

    let task = spawner.spawn_local_task(async move {
        let _held = Rc::new(());
        yield_once().await;
        panic!("boom in a local task");
    });
    let payload = futures::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(task))
        .await
        .expect_err("the task's panic resumes in the awaiter");
    assert_eq!(
        payload.downcast_ref::<&str>(),
        Some(&"boom in a local task")
    );
}

/// The first error cancels every other local task, and `join` returns it only once their
/// futures have been dropped.
pub(crate) async fn a_group_fails_fast_and_waits<S: Local>(spawner: S) {
    let _noise = Noise::start(&spawner);
    let census = Census::new();
    let started = Rc::new(Cell::new(0));
    let mut group = TaskGroup::<S, &str>::new(spawner);
    for _ in 0..5 {
        let task = stuck(census.guard(), &started);
        group.spawn_local(async move {
            task.await;
            Ok(())
        });
    }
    let all_started = Rc::clone(&started);
    let failing = group.spawn_local(async move {
        eventually("the others to start", || all_started.get() == 5).await;
        Err::<(), _>("boom")
    });
    assert_eq!(group.join().await, Err("boom"));
    assert_eq!(
        census.dropped(),
        5,
        "join returned before every future was dropped"
    );
    assert_eq!(census.live(), 0);
    assert_eq!(failing.status(), TaskStatus::Failed);
}

/// A group's `join` waits for what its local tasks spawned: handles they held (two levels
/// down), and tasks spawned into the group from inside, with the group's spawner.
pub(crate) async fn a_group_waits_transitively<S: Local>(spawner: S) {
    let _noise = Noise::start(&spawner);
    let census = Census::new();
    let started = Rc::new(Cell::new(0));
    let mut group = TaskGroup::<S, &str>::new(spawner.clone());
    for _ in 0..3 {
        let (inner, started) = (spawner.clone(), Rc::clone(&started));
        let (child_guard, grandchild_guard) = (census.guard(), census.guard());
        group.spawn_local(async move {
            let child_spawner = inner.clone();
            let child = inner.spawn_local_task(async move {
                let grandchild = child_spawner.spawn_local_task(stuck(grandchild_guard, &started));
                let _keep = (child_guard, grandchild);
                pending::<()>().await
            });
            let _keep = child;
            pending::<Result<(), &str>>().await
        });
    }
    let all_started = Rc::clone(&started);
    group.spawn_local(async move {
        eventually("the grandchildren to start", || all_started.get() == 3).await;
        Err::<(), _>("boom")
    });
    assert_eq!(group.join().await, Err("boom"));
    assert_eq!(
        census.dropped(),
        6,
        "a child or grandchild was still stopping"
    );

    // Spawned from inside, with the group's spawner: waited for, though their spawner returned.
    let finished = Rc::new(Cell::new(0));
    let mut group = TaskGroup::<S, &str>::new(spawner);
    let group_spawner = group.spawner();
    let counter = Rc::clone(&finished);
    group.spawn_local(async move {
        for _ in 0..3 {
            let counter = Rc::clone(&counter);
            group_spawner.spawn_local(async move {
                for _ in 0..3 {
                    yield_once().await;
                }
                counter.set(counter.get() + 1);
                Ok(())
            });
        }
        Ok(())
    });
    assert_eq!(group.join().await, Ok(()));
    assert_eq!(
        finished.get(),
        3,
        "join returned before a task spawned from inside"
    );
}

/// Dropping the group cancels its local tasks; `GroupTask::cancel` stops one and waits for it,
/// and spares the group.
pub(crate) async fn dropping_a_group_cancels<S: Local>(spawner: S) {
    let _noise = Noise::start(&spawner);
    let census = Census::new();
    let started = Rc::new(Cell::new(0));
    let mut group = TaskGroup::<S, &str>::new(spawner.clone());
    for _ in 0..4 {
        let task = stuck(census.guard(), &started);
        group.spawn_local(async move {
            task.await;
            Ok(())
        });
    }
    eventually("the tasks to start", || started.get() == 4).await;
    drop(group);
    eventually("the dropped group's tasks to stop", || {
        census.dropped() == 4
    })
    .await;

    let mut group = TaskGroup::<S, &str>::new(spawner);
    let task = stuck(census.guard(), &started);
    let one = group.spawn_local(async move {
        task.await;
        Ok(())
    });
    let other = group.spawn_local(async {
        yield_once().await;
        Ok(Rc::new("other"))
    });
    eventually("the task to start", || started.get() == 5).await;
    assert_eq!(one.cancel().await, None);
    assert_eq!(
        census.dropped(),
        5,
        "GroupTask::cancel returned before the drop"
    );
    assert_eq!(group.join().await, Ok(()));
    assert_eq!(other.await.as_deref(), Some(&"other"));
}

/// `with_limit(2)`: never more than two local tasks run at once, and all of them run.
pub(crate) async fn a_limit_bounds_the_local_tasks_running<S: Local>(spawner: S) {
    let _noise = Noise::start(&spawner);
    let (running, most, done) = (
        Rc::new(Cell::new(0)),
        Rc::new(Cell::new(0)),
        Rc::new(Cell::new(0)),
    );
    let mut group = TaskGroup::<S, &str>::new(spawner.clone()).with_limit(2);
    for _ in 0..8 {
        let (running, most, done) = (Rc::clone(&running), Rc::clone(&most), Rc::clone(&done));
        group.spawn_local(async move {
            running.set(running.get() + 1);
            most.set(most.get().max(running.get()));
            for _ in 0..3 {
                yield_once().await;
            }
            running.set(running.get() - 1);
            done.set(done.get() + 1);
            Ok(())
        });
    }
    assert_eq!(group.join().await, Ok(()));
    assert_eq!(done.get(), 8);
    assert_eq!(most.get(), 2, "the limit was not used, or not kept");

    // `ready` waits for a free slot; a task waiting for a slot is dropped unpolled on cancel.
    let census = Census::new();
    let started = Rc::new(Cell::new(0));
    let mut group = TaskGroup::<S, &str>::new(spawner).with_limit(1);
    group.ready().await;
    let first = stuck(census.guard(), &started);
    group.spawn_local(async move {
        first.await;
        Ok(())
    });
    let queued = stuck(census.guard(), &started);
    let mut waiting = group.spawn_local(async move {
        queued.await;
        Ok(())
    });
    eventually("the first task to start", || started.get() == 1).await;
    group.cancel();
    assert_eq!(group.join().await, Ok(()));
    assert_eq!(census.dropped(), 2);
    assert_eq!(started.get(), 1, "a queued task ran");
    assert_eq!((&mut waiting).await, None);
    assert_eq!(waiting.status(), TaskStatus::NeverStarted);
}

/// With a grace period, local tasks that await the token run their async cleanup before
/// `join` returns.
pub(crate) async fn a_grace_period_lets_local_tasks_clean_up<S: Local>(spawner: S) {
    let _noise = Noise::start(&spawner);
    let cleaned = Rc::new(Cell::new(0));
    let mut group = TaskGroup::<S, &str>::new(spawner).with_grace_period(Duration::from_secs(30));
    for _ in 0..4 {
        let (token, cleaned) = (group.token(), Rc::clone(&cleaned));
        group.spawn_local(async move {
            token.cancelled().await;
            yield_once().await; // async cleanup, holding the `Rc`
            cleaned.set(cleaned.get() + 1);
            Ok(())
        });
    }
    group.spawn_local(async {
        yield_once().await;
        Err::<(), _>("boom")
    });
    assert_eq!(group.join().await, Err("boom"));
    assert_eq!(cleaned.get(), 4, "the grace period was skipped");
}

/// A deadline cancels the local tasks (and what they spawned), waits for them and says so;
/// on the spawner's clock and timer.
pub(crate) async fn a_deadline_cancels_local_tasks<S: Local>(spawner: S) {
    let _noise = Noise::start(&spawner);
    let census = Census::new();
    let started = Rc::new(Cell::new(0));
    let begun = Spawn::now(&spawner);
    let mut group =
        TaskGroup::<S, &str>::new(spawner.clone()).with_timeout(Duration::from_millis(50));
    for _ in 0..3 {
        let (inner, task) = (spawner.clone(), stuck(census.guard(), &started));
        let child_guard = census.guard();
        group.spawn_local(async move {
            let _child = inner.spawn_local_task(async move {
                let _guard = child_guard;
                pending::<()>().await
            });
            task.await;
            Ok(())
        });
    }
    assert_eq!(group.join_outcome().await, Ok(GroupOutcome::DeadlinePassed));
    assert!(
        Spawn::now(&spawner) - begun >= Duration::from_millis(50),
        "cancelled before the deadline"
    );
    assert_eq!(
        census.dropped(),
        6,
        "a task or its child outlived the group"
    );
}

/// A supervised group: a failing local task cancels nobody; every error is reported.
pub(crate) async fn a_supervised_group_spares_the_others<S: Local>(spawner: S) {
    let mut group = TaskGroup::<S, &str>::new(spawner).supervised();
    group.spawn_local(async { Err::<(), _>("first") });
    let slow = group.spawn_local(async {
        for _ in 0..3 {
            yield_once().await;
        }
        Ok(Rc::new("done"))
    });
    group.spawn_local(async { Err::<(), _>("second") });
    let errors = group.join_all_errors().await.unwrap_err();
    assert_eq!(errors.len(), 2);
    assert_eq!(slow.await.as_deref(), Some(&"done"));
}

/// A set of local tasks with `Rc` outputs, read as they complete; its first error cancels the
/// rest and comes after they stopped.
pub(crate) async fn a_set_of_local_tasks<S: Local>(spawner: S) {
    let _noise = Noise::start(&spawner);
    let mut set = TaskSet::<S, Rc<usize>, &str>::new(spawner.clone());
    for i in 0..3 {
        set.spawn_local(async move {
            for _ in 0..i {
                yield_once().await;
            }
            Ok(Rc::new(i))
        });
    }
    let mut outputs = Vec::new();
    while let Some(output) = set.join_next().await {
        outputs.push(*output.unwrap());
    }
    outputs.sort_unstable();
    assert_eq!(outputs, [0, 1, 2]);

    let census = Census::new();
    let started = Rc::new(Cell::new(0));
    let mut set = TaskSet::<S, Rc<usize>, &str>::new(spawner);
    let set_spawner = set.spawner();
    for _ in 0..3 {
        let task = stuck(census.guard(), &started);
        set_spawner.spawn_local(async move {
            task.await;
            Ok(Rc::new(0))
        });
    }
    let all_started = Rc::clone(&started);
    set.spawn_local(async move {
        eventually("the others to start", || all_started.get() == 3).await;
        Err("boom")
    });
    assert_eq!(set.join_next().await, Some(Err("boom")));
    assert_eq!(
        census.dropped(),
        3,
        "the error came before the others stopped"
    );
    assert_eq!(set.join_next().await, None);
}

/// Local tasks have ids of their own, and `waiting_for` lists them while they run.
pub(crate) async fn waiting_for_lists_local_tasks<S: Local>(spawner: S) {
    let _noise = Noise::start(&spawner);
    let census = Census::new();
    let started = Rc::new(Cell::new(0));
    let mut group = TaskGroup::<S, &str>::new(spawner);
    let tasks: Vec<_> = (0..2)
        .map(|_| {
            let task = stuck(census.guard(), &started);
            group.spawn_local(async move {
                task.await;
                Ok(())
            })
        })
        .collect();
    eventually("the tasks to start", || started.get() == 2).await;
    assert_ne!(tasks[0].id(), tasks[1].id());
    let waiting: Vec<_> = group.waiting_for().task_ids().collect();
    assert_eq!(waiting, [tasks[0].id(), tasks[1].id()]);
    assert_eq!(group.len(), 2);
    assert_eq!(group.shutdown().await, Ok(()));
    assert!(group.waiting_for().is_empty());
    assert_eq!(census.dropped(), 2);
}

/// One `#[test]` per scenario, each run by `$run(name, scenario)`: `$run` builds the local
/// executor on a watched thread and hands the scenario its spawner.
macro_rules! local_tests {
    ($run:path) => {
        $crate::local_scenarios::local_tests!(@each $run;
            dropping_a_handle_cancels,
            cancel_waits_for_a_local_grandchild,
            outputs_detach_and_panics,
            a_group_fails_fast_and_waits,
            a_group_waits_transitively,
            dropping_a_group_cancels,
            a_limit_bounds_the_local_tasks_running,
            a_grace_period_lets_local_tasks_clean_up,
            a_deadline_cancels_local_tasks,
            a_supervised_group_spares_the_others,
            a_set_of_local_tasks,
            waiting_for_lists_local_tasks,
        );
    };
    (@each $run:path; $($scenario:ident,)*) => {
        $(
            #[test]
            fn $scenario() {
                $run(stringify!($scenario), $crate::local_scenarios::$scenario);
            }
        )*
    };
}
pub(crate) use local_tests;
