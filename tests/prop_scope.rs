//! Random schedules for `scope`. Each script gives up to 16 tasks a spawner (the body at its
//! first poll, another task at that task's first poll, or the test from outside, between
//! polls) and a fate (complete, or fail), then runs steps: openings, spurious wakes, spawns
//! from outside, scope polls, and drops the scope at a random step.
//!
//! After every scope poll the scope must keep its contract: each task is polled at most once
//! per scope poll, never unless woken or just spawned, and always if it was (unless the poll
//! failed); a task spawned in a poll (by the body or a task) is polled in that poll; a task
//! that fails ends the scope in that poll with its error and every task spawned so far
//! dropped; `Ok` comes only when every spawned task completed; a wake of a pending task, or a
//! spawn from outside, wakes the scope. Once the scope has ended nothing is polled again, and a
//! spawn drops its task unpolled. At the end every task's future was dropped exactly once.

#[allow(dead_code)]
mod support;

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use cancel_cascade::{scope, Scope, ScopeSpawner};
use futures::future::{BoxFuture, FutureExt};
use proptest::prelude::*;
use support::{Log, Opener, WakeCounter};

type Task = BoxFuture<'static, Result<(), usize>>;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Spawner {
    Body,
    Outside,
    /// Spawned by an earlier task, at that task's first poll.
    Task(usize),
}

#[derive(Debug, Clone, Copy)]
enum Step {
    Open(usize),
    Wake(usize),
    SpawnOutside(usize),
    Poll,
}

#[derive(Debug, Clone)]
struct Script {
    tasks: Vec<(Spawner, bool)>,
    steps: Vec<Step>,
    drop_at: usize,
}

fn script() -> impl Strategy<Value = Script> {
    (1..16usize)
        .prop_flat_map(|n| {
            let tasks = (0..n)
                .map(|i| {
                    let spawner = if i == 0 {
                        prop_oneof![Just(Spawner::Body), Just(Spawner::Outside)].boxed()
                    } else {
                        prop_oneof![
                            2 => Just(Spawner::Body),
                            1 => Just(Spawner::Outside),
                            3 => (0..i).prop_map(Spawner::Task),
                        ]
                        .boxed()
                    };
                    (spawner, prop::bool::weighted(0.15))
                })
                .collect::<Vec<_>>();
            let step = prop_oneof![
                4 => (0..n).prop_map(Step::Open),
                1 => (0..n).prop_map(Step::Wake),
                1 => (0..n).prop_map(Step::SpawnOutside),
                4 => Just(Step::Poll),
            ];
            (tasks, prop::collection::vec(step, 1..60), 0..70usize)
        })
        .prop_map(|(tasks, steps, drop_at)| Script {
            tasks,
            steps,
            drop_at,
        })
}

type TestScope = Scope<BoxFuture<'static, Result<(), usize>>, Task>;

/// Builds the scope: every task's future (with its gate), the body that spawns the body's
/// tasks, the tasks that spawn theirs; the outside tasks and a spawner go to `outside`.
fn build(tasks: &[(Spawner, bool)], log: &Arc<Log>) -> (TestScope, Vec<Opener>, OutsideTasks) {
    let n = tasks.len();
    let mut gates = Vec::new();
    let mut openers = Vec::new();
    for (i, &(_, fails)) in tasks.iter().enumerate() {
        let (gate, opener) = log.gate(i, if fails { Err(i) } else { Ok(()) });
        gates.push(Some(gate));
        openers.push(opener);
    }
    let outside: OutsideTasks = Arc::new(Mutex::new((None, (0..n).map(|_| None).collect())));
    let outside_in = Arc::clone(&outside);
    let tasks = tasks.to_vec();
    let scope = scope(move |s: ScopeSpawner<Task>| {
        // From the last task to the first, so that each task's children exist before it.
        let mut futures: Vec<Option<Task>> = (0..n).map(|_| None).collect();
        for i in (0..n).rev() {
            let children: Vec<Task> = (i + 1..n)
                .filter(|&c| tasks[c].0 == Spawner::Task(i))
                .map(|c| futures[c].take().expect("built once"))
                .collect();
            let gate = gates[i].take().expect("one gate per task");
            let spawner = s.clone();
            futures[i] = Some(
                async move {
                    for child in children {
                        spawner.spawn(child);
                    }
                    gate.await
                }
                .boxed(),
            );
        }
        let mut body_tasks = Vec::new();
        {
            let mut outside = outside_in.lock().unwrap();
            outside.0 = Some(s.clone());
            for (i, future) in futures.iter_mut().enumerate() {
                match tasks[i].0 {
                    Spawner::Body => body_tasks.push(future.take().expect("a body task")),
                    Spawner::Outside => outside.1[i] = future.take(),
                    Spawner::Task(_) => {}
                }
            }
        }
        async move {
            for task in body_tasks {
                s.spawn(task);
            }
            Ok(())
        }
        .boxed()
    });
    (scope, openers, outside)
}

type OutsideTasks = Arc<Mutex<(Option<ScopeSpawner<Task>>, Vec<Option<Task>>)>>;

/// What the test knows of each task.
#[derive(Debug, Clone, Copy, Default)]
struct Known {
    spawned: bool,
    opened: bool,
    completed: bool,
    /// Woken (or opened) since its last poll, after it started.
    woken: bool,
}

fn run(script: &Script) -> Result<(), TestCaseError> {
    let n = script.tasks.len();
    let log = Log::new();
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let (scope, openers, outside) = build(&script.tasks, &log);
    let mut scope = Some(scope);
    let mut ended = false;
    let mut known = vec![Known::default(); n];
    let mut polled_once = false;
    let mut wakes_at_poll = 0;
    let mut owes_wake = false;
    for (at, &step) in script.steps.iter().enumerate() {
        if at == script.drop_at {
            scope = None;
            ended = true;
        }
        let live = scope.is_some() && !ended;
        let polls_before: Vec<usize> = openers.iter().map(Opener::polls).collect();
        match step {
            Step::Open(i) => {
                known[i].opened = true;
                openers[i].open();
                if live && polls_before[i] > 0 && !known[i].completed {
                    known[i].woken = true;
                    owes_wake = true;
                }
            }
            Step::Wake(i) => {
                openers[i].wake();
                if live && polls_before[i] > 0 && !known[i].completed {
                    known[i].woken = true;
                    owes_wake = true;
                }
            }
            Step::SpawnOutside(i) => {
                let (spawner, task) = {
                    let mut outside = outside.lock().unwrap();
                    (outside.0.clone(), outside.1[i].take())
                };
                if let (Some(spawner), Some(task)) = (spawner, task) {
                    spawner.spawn(task);
                    if live {
                        known[i].spawned = true;
                        // A scope never polled has no waker to wake; its first poll starts it.
                        owes_wake |= polled_once;
                    } else {
                        prop_assert_eq!(openers[i].drops(), 1, "a late spawn drops its task");
                    }
                }
            }
            Step::Poll => {
                if let (Some(running), false) = (scope.as_mut(), ended) {
                    if owes_wake {
                        prop_assert!(parent.wakes() > wakes_at_poll, "a wake-up was lost");
                    }
                    let polled = Pin::new(running).poll(&mut Context::from_waker(&waker));
                    wakes_at_poll = parent.wakes();
                    owes_wake = false;
                    check_poll(
                        &script.tasks,
                        &openers,
                        &polls_before,
                        &mut known,
                        !polled_once,
                        &polled,
                    )?;
                    polled_once = true;
                    if polled.is_ready() {
                        ended = true;
                    }
                }
            }
        }
        if !matches!(step, Step::Poll) {
            let polls_after: Vec<usize> = openers.iter().map(Opener::polls).collect();
            prop_assert_eq!(&polls_after, &polls_before, "polled outside a scope poll");
        }
    }
    drop(scope);
    drop(outside);
    for (i, opener) in openers.iter().enumerate() {
        prop_assert_eq!(opener.drops(), 1, "task {} dropped once", i);
    }
    Ok(())
}

/// The contract of one scope poll, from the poll counts before and after it.
fn check_poll(
    tasks: &[(Spawner, bool)],
    openers: &[Opener],
    before: &[usize],
    known: &mut [Known],
    first: bool,
    polled: &Poll<Result<(), usize>>,
) -> Result<(), TestCaseError> {
    let n = tasks.len();
    let after: Vec<usize> = openers.iter().map(Opener::polls).collect();
    let failed = matches!(polled, Poll::Ready(Err(_)));
    // Spawned in this poll: by the body at its first poll, by a task at its first poll.
    for i in 0..n {
        match tasks[i].0 {
            Spawner::Body if first => known[i].spawned = true,
            Spawner::Task(p) if before[p] == 0 && after[p] > 0 => known[i].spawned = true,
            _ => {}
        }
    }
    let mut failures = Vec::new();
    for i in 0..n {
        let delta = after[i] - before[i];
        prop_assert!(
            delta <= 1,
            "task {} polled {} times in one scope poll",
            i,
            delta
        );
        let due = known[i].spawned && !known[i].completed && (before[i] == 0 || known[i].woken);
        if delta == 1 {
            prop_assert!(due, "task {} polled without a wake", i);
            known[i].woken = false;
            if known[i].opened {
                known[i].completed = true;
                if tasks[i].1 {
                    failures.push(i);
                }
            }
        } else if !failed {
            prop_assert!(!due, "task {} was due and not polled", i);
        }
    }
    match *polled {
        Poll::Ready(Err(error)) => {
            prop_assert_eq!(failures, vec![error], "the failing task is the one seen");
            for i in (0..n).filter(|&i| known[i].spawned) {
                prop_assert_eq!(openers[i].drops(), 1, "task {} not dropped at the error", i);
            }
        }
        Poll::Ready(Ok(())) => {
            prop_assert!(failures.is_empty());
            for i in (0..n).filter(|&i| known[i].spawned) {
                prop_assert!(known[i].completed, "Ok while task {} runs", i);
            }
        }
        Poll::Pending => {
            prop_assert!(failures.is_empty(), "a failure did not end the scope");
            let running = (0..n).any(|i| known[i].spawned && !known[i].completed);
            prop_assert!(running, "pending with nothing running");
        }
    }
    Ok(())
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: if cfg!(miri) { 4 } else { 512 },
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn scope_keeps_its_contract(script in script()) {
        run(&script)?;
    }
}

/// Not a property, a pin: the scope polled by hand through a script that grows it past a
/// chunk (150 tasks at once; the first chunk holds at most 64) from inside a task.
#[test]
fn a_task_that_spawns_many_grows_the_set() {
    let mut tasks = vec![(Spawner::Body, false)];
    tasks.extend((1..150).map(|_| (Spawner::Task(0), false)));
    let script = Script {
        steps: (0..150)
            .map(Step::Open)
            .chain([Step::Poll])
            .chain([Step::Poll])
            .collect(),
        drop_at: 100,
        tasks,
    };
    run(&script).unwrap();
}
