//! Runtime soak: thousands of rounds of "spawn 50 tasks, one fails, the others are cancelled"
//! on a tokio multi-thread runtime, smol's global executor and async-std, counting the task
//! futures still alive.
//!
//! A round either joins `TaskHandle`s with `try_join_all_cancel`, after which every cancelled
//! task must be gone soon (the handles' drops only request it), or runs a `TaskGroup`, whose
//! `join()` must not return before every task has stopped. Some rounds give tasks a grandchild:
//! a task of their own, whose handle they hold, cancelled with them.
//!
//! Ignored in the usual test run; `.ci/run` soaks each runtime for a fixed time with
//! `cargo test --all-features --test soak -- --ignored` (add `--release` for more rounds).
#![cfg(all(feature = "tokio", feature = "smol", feature = "async-std"))]

#[allow(dead_code)]
mod support;
#[allow(dead_code)]
#[path = "support/tasks.rs"]
mod tasks;

use std::future::{pending, Future};
use std::panic::resume_unwind;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::task::{Context, Poll};
use std::thread;
use std::time::{Duration, Instant};

use cancel_cascade::rt::async_std::AsyncStd;
use cancel_cascade::rt::smol::Smol;
use cancel_cascade::rt::tokio::Tokio;
use cancel_cascade::rt::Spawn;
use cancel_cascade::{try_join_all_cancel, TaskGroup, TaskHandle};
use support::Rng;
use tasks::Alive;

/// Tasks per round.
const TASKS: usize = 50;
/// Each runtime keeps starting rounds until this much time has passed (the harness runs two of
/// the three soaks at a time on two cores: about half a minute in all)...
const SOAK_FOR: Duration = Duration::from_secs(15);
/// ...and runs at least this many, however slow the machine.
const MIN_ROUNDS: usize = 300;
/// A round that has not finished after this long is stuck: a lost wake-up, or a task that was
/// never cancelled.
const STALL: Duration = Duration::from_secs(30);

#[test]
#[ignore = "soak: run by .ci/run"]
fn soak_tokio_multi_thread() {
    watched("tokio", 0x70c1, |progress| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .expect("build a tokio runtime");
        runtime.block_on(soak(Tokio, progress));
    });
}

#[test]
#[ignore = "soak: run by .ci/run"]
fn soak_smol() {
    watched("smol", 0x5301, |progress| {
        smol::block_on(soak(Smol, progress))
    });
}

#[test]
#[ignore = "soak: run by .ci/run"]
fn soak_async_std() {
    watched("async-std", 0xa57d, |progress| {
        async_std::task::block_on(soak(AsyncStd, progress));
    });
}

/// How far a soak got, for the watchdog's message.
struct Progress {
    /// Seeds the rounds' plans, so that a failing soak can be replayed round for round.
    seed: u64,
    rounds: AtomicUsize,
    current: Mutex<String>,
}

/// Runs `soak` on a thread of its own; fails the test, naming the round, if no round finishes
/// for [`STALL`]. A panic in `soak` passes through.
fn watched(runtime: &str, seed: u64, soak: impl FnOnce(Arc<Progress>) + Send + 'static) {
    let progress = Arc::new(Progress {
        seed,
        rounds: AtomicUsize::new(0),
        current: Mutex::new(String::from("before the first round")),
    });
    let (done, finished) = mpsc::channel();
    let soaking = {
        let progress = Arc::clone(&progress);
        thread::spawn(move || {
            soak(progress);
            // The receiver is gone only if the watchdog already failed the test.
            let _ = done.send(());
        })
    };
    let start = Instant::now();
    let mut seen = 0;
    let mut seen_at = start;
    loop {
        match finished.recv_timeout(Duration::from_secs(1)) {
            Ok(()) => {
                soaking.join().unwrap();
                let rounds = progress.rounds.load(Ordering::SeqCst);
                let elapsed = start.elapsed();
                println!("{runtime}: {rounds} rounds of {TASKS} tasks in {elapsed:.1?}");
                return;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => match soaking.join() {
                Err(panic) => resume_unwind(panic),
                Ok(()) => unreachable!("the soak thread reports before it ends"),
            },
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let rounds = progress.rounds.load(Ordering::SeqCst);
                if rounds != seen {
                    (seen, seen_at) = (rounds, Instant::now());
                } else if seen_at.elapsed() > STALL {
                    let current = progress.current.lock().unwrap();
                    panic!(
                        "{runtime}: {current} still running after {STALL:?}: a lost wake-up, \
                         or a task that was never cancelled"
                    );
                }
            }
        }
    }
}

/// Rounds on `spawner` until [`SOAK_FOR`] has passed and [`MIN_ROUNDS`] have run; every other
/// round over a task group, one in two of each with grandchildren.
async fn soak<S>(spawner: S, progress: Arc<Progress>)
where
    S: Spawn + Copy + Send + Sync + 'static,
{
    let start = Instant::now();
    let alive = Alive::new();
    let mut rng = Rng::new(progress.seed);
    let mut round = 0;
    while round < MIN_ROUNDS || start.elapsed() < SOAK_FOR {
        let group = round % 2 == 1;
        let grandchildren = round % 4 >= 2;
        let plan = Plan::draw(&mut rng, grandchildren);
        let what = format!(
            "round {round} ({}, {}, seed {:#x})",
            if group { "TaskGroup" } else { "TaskHandles" },
            if grandchildren {
                "with grandchildren"
            } else {
                "no grandchildren"
            },
            progress.seed,
        );
        *progress.current.lock().unwrap() = what.clone();
        if group {
            group_round(spawner, &plan, &alive, &what).await;
        } else {
            handles_round(spawner, &plan, &alive, &what).await;
        }
        round += 1;
        progress.rounds.store(round, Ordering::SeqCst);
    }
}

/// `try_join_all_cancel` over the tasks' handles: the error comes back, and the cancelled
/// tasks (and their grandchildren) are gone soon after.
async fn handles_round<S>(spawner: S, plan: &Plan, alive: &Arc<Alive>, what: &str)
where
    S: Spawn + Copy + Send + Sync + 'static,
{
    let handles: Vec<TaskHandle<Result<(), String>>> = plan
        .tasks
        .iter()
        .enumerate()
        .map(|(index, &part)| spawner.spawn_task(task(spawner, index, part, alive)))
        .collect();
    assert_eq!(
        try_join_all_cancel(handles).await,
        Err(plan.error()),
        "{what}"
    );
    let dropped = format!("the cancelled tasks of {what} to be dropped");
    tasks::eventually(&dropped, || alive.count() == 0).await;
}

/// A task group: `join()` gives the error only once every task, grandchildren included, has
/// stopped.
async fn group_round<S>(spawner: S, plan: &Plan, alive: &Arc<Alive>, what: &str)
where
    S: Spawn + Copy + Send + Sync + 'static,
{
    let mut group = TaskGroup::new(spawner);
    for (index, &part) in plan.tasks.iter().enumerate() {
        group.spawn(task(spawner, index, part, alive));
    }
    assert_eq!(group.join().await, Err(plan.error()), "{what}");
    assert_eq!(
        alive.count(),
        0,
        "{what}: `join()` returned while task futures were still alive"
    );
}

/// What the tasks of one round do.
struct Plan {
    tasks: Vec<Part>,
    failing: usize,
}

#[derive(Debug, Clone, Copy)]
struct Part {
    run: Run,
    grandchild: bool,
}

#[derive(Debug, Clone, Copy)]
enum Run {
    /// Yields this many times, then fails.
    Fail(usize),
    /// Yields this many times, then succeeds.
    Succeed(usize),
    /// Pending until cancelled.
    Hang,
}

impl Plan {
    /// One failing task; the others hang or succeed after a few yields, so that the failure
    /// lands before, among or after their starts and completions. With `grandchildren`, about
    /// one task in four spawns one.
    fn draw(rng: &mut Rng, grandchildren: bool) -> Plan {
        let failing = rng.below(TASKS);
        let tasks = (0..TASKS)
            .map(|index| Part {
                run: match (index == failing, rng.below(2)) {
                    (true, _) => Run::Fail(rng.below(4)),
                    (false, 0) => Run::Hang,
                    (false, _) => Run::Succeed(rng.below(4)),
                },
                grandchild: grandchildren && rng.below(4) == 0,
            })
            .collect();
        Plan { tasks, failing }
    }

    fn error(&self) -> String {
        format!("task {} failed", self.failing)
    }
}

/// A task's future, holding a guard from its spawn until it is dropped; its grandchild, if it
/// has one, is spawned on its first poll (so that it belongs to the task) and holds a guard too.
fn task<S>(
    spawner: S,
    index: usize,
    part: Part,
    alive: &Arc<Alive>,
) -> impl Future<Output = Result<(), String>> + Send + 'static
where
    S: Spawn + Send + 'static,
{
    let guard = alive.guard();
    let alive = Arc::clone(alive);
    async move {
        let _guard = guard;
        let _grandchild = part.grandchild.then(|| {
            let guard = alive.guard();
            spawner.spawn_task(async move {
                let _guard = guard;
                pending::<()>().await
            })
        });
        match part.run {
            Run::Fail(yields) => {
                YieldNow(yields).await;
                Err(format!("task {index} failed"))
            }
            Run::Succeed(yields) => {
                YieldNow(yields).await;
                Ok(())
            }
            Run::Hang => pending().await,
        }
    }
}

/// Pending this many times, waking itself each time: back to the executor, then polled again.
struct YieldNow(usize);

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 == 0 {
            return Poll::Ready(());
        }
        self.0 -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
