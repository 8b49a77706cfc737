//! Property test over random spawn trees: tasks that hold their children's handles, run groups
//! of them, return them in their output, join or abandon their groups, fail, finish or wait
//! forever, with slow or panicking destructors. Whatever the tree and whenever the root is
//! cancelled, `cancel().await` returns (no hang, under a watchdog) and nothing of the tree
//! outlives it, on tokio, smol and async-std (the supervised path).
#![cfg(all(feature = "tokio", feature = "smol", feature = "async-std", not(loom)))]

#[allow(dead_code)]
mod support;

use std::future::pending;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_io::Timer;
use cancel_cascade::rt::async_std::AsyncStd;
use cancel_cascade::rt::smol::Smol;
use cancel_cascade::rt::tokio::Tokio;
use cancel_cascade::rt::Spawn;
use cancel_cascade::{GroupTask, TaskGroup, TaskHandle};
use futures::future::BoxFuture;
use futures::FutureExt;
use proptest::prelude::*;
use proptest::test_runner::Config;
use support::{quiet_panics_containing, watchdog};

const MARKER: &str = "tree destructor panics on purpose";

/// How a task was started by its parent.
#[derive(Debug, Clone, Copy)]
enum Start {
    /// `spawn_task`: the parent holds the handle.
    Handle,
    /// A task of a group the parent runs.
    InGroup,
}

/// What a task does once it has started its children.
#[derive(Debug, Clone, Copy)]
enum End {
    Pending,
    /// Returns after this many milliseconds, its children's handles in its output.
    ReturnChildren(u8),
    /// Joins its group (if any), then returns.
    JoinThenReturn,
    /// Fails after this many milliseconds (a group task returns `Err`; a spawned one returns).
    Fail(u8),
}

#[derive(Debug, Clone)]
struct Plan {
    start: Start,
    end: End,
    drop_takes_ms: u8,
    panics_on_drop: bool,
    children: Vec<Plan>,
}

fn plan() -> impl Strategy<Value = Plan> {
    let start = prop_oneof![Just(Start::Handle), Just(Start::InGroup)];
    let end = prop_oneof![
        Just(End::Pending),
        (0u8..4).prop_map(End::ReturnChildren),
        Just(End::JoinThenReturn),
        (0u8..4).prop_map(End::Fail),
    ];
    let leaf = (
        start.clone(),
        end.clone(),
        0u8..3,
        proptest::bool::weighted(0.15),
    )
        .prop_map(|(start, end, drop_takes_ms, panics_on_drop)| Plan {
            start,
            end,
            drop_takes_ms,
            panics_on_drop,
            children: Vec::new(),
        });
    leaf.prop_recursive(3, 24, 4, move |child| {
        (
            start.clone(),
            end.clone(),
            0u8..3,
            proptest::bool::weighted(0.15),
            proptest::collection::vec(child, 1..4),
        )
            .prop_map(
                |(start, end, drop_takes_ms, panics_on_drop, children)| Plan {
                    start,
                    end,
                    drop_takes_ms,
                    panics_on_drop,
                    children,
                },
            )
    })
}

/// A task's output: the handles it hands on.
struct Out(#[allow(dead_code)] Vec<TaskHandle<Out>>);

/// Alive until dropped; its drop takes a while, and may panic if the task is cancelled (a task
/// that returns disarms it first: a local's destructor panicking after the return value is
/// built leaks that value, handles included, which is the language's doing, not the crate's).
struct Guard {
    alive: Arc<AtomicUsize>,
    takes: Duration,
    panics: bool,
}

impl Drop for Guard {
    fn drop(&mut self) {
        std::thread::sleep(self.takes);
        self.alive.fetch_sub(1, Ordering::SeqCst);
        // Never during an unwind: a second panic would abort the process.
        if self.panics && !std::thread::panicking() {
            panic!("{MARKER}");
        }
    }
}

fn task<S>(plan: Plan, spawner: S, alive: Arc<AtomicUsize>) -> BoxFuture<'static, Result<Out, ()>>
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    alive.fetch_add(1, Ordering::SeqCst);
    // A task that may see a group's panic resumed in its own poll must not panic again while
    // its future is dropped during that unwind.
    let runs_group = plan
        .children
        .iter()
        .any(|c| matches!(c.start, Start::InGroup));
    let guard = Guard {
        alive: Arc::clone(&alive),
        takes: Duration::from_millis(plan.drop_takes_ms.into()),
        panics: plan.panics_on_drop && !runs_group,
    };
    async move {
        let mut guard = guard;
        let mut handles = Vec::new();
        let mut group = None;
        let mut outputs: Vec<GroupTask<Out>> = Vec::new();
        for child in plan.children {
            let future = task(child.clone(), spawner.clone(), Arc::clone(&alive));
            match child.start {
                Start::Handle => handles
                    .push(spawner.spawn_task(future.map(|out| out.unwrap_or(Out(Vec::new()))))),
                Start::InGroup => outputs.push(
                    group
                        .get_or_insert_with(|| TaskGroup::new(spawner.clone()))
                        .spawn(future),
                ),
            }
        }
        let outcome = match plan.end {
            End::Pending => pending().await,
            End::ReturnChildren(ms) => {
                Timer::after(Duration::from_millis(ms.into())).await;
                Ok(Out(handles))
            }
            End::JoinThenReturn => {
                if let Some(mut group) = group {
                    let _ = group.join().await;
                }
                Ok(Out(Vec::new()))
            }
            End::Fail(ms) => {
                Timer::after(Duration::from_millis(ms.into())).await;
                Err(())
            }
        };
        guard.panics = false;
        outcome
    }
    .boxed()
}

async fn cancel_the_root<S>(spawner: S, plan: Plan, cancel_after_ms: u8)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    let alive = Arc::new(AtomicUsize::new(0));
    let root =
        spawner.spawn_task(task(plan, spawner.clone(), Arc::clone(&alive)).map(|out| out.ok()));
    Timer::after(Duration::from_millis(cancel_after_ms.into())).await;
    // A destructor's panic may come back through `cancel` (tokio): not what is checked here.
    if let Ok(Some(Some(handed_on))) = AssertUnwindSafe(root.cancel()).catch_unwind().await {
        // The root finished first: what it handed on in its output is the receiver's to stop.
        cancel_all(handed_on).await;
    }
    assert_eq!(
        alive.load(Ordering::SeqCst),
        0,
        "a task of the tree outlived `cancel().await`"
    );
}

/// Cancels every task handed on in `out`, and what they handed on in turn.
fn cancel_all(out: Out) -> BoxFuture<'static, ()> {
    async move {
        for handle in out.0 {
            if let Ok(Some(more)) = AssertUnwindSafe(handle.cancel()).catch_unwind().await {
                cancel_all(more).await;
            }
        }
    }
    .boxed()
}

proptest! {
    #![proptest_config(Config { cases: 24, failure_persistence: None, ..Config::default() })]

    #[test]
    fn nothing_outlives_cancel_on_tokio(plan in plan(), cancel_after_ms in 0u8..6) {
        quiet_panics_containing(MARKER);
        watchdog("tokio tree", Duration::from_secs(30), move || {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap()
                .block_on(cancel_the_root(Tokio, plan, cancel_after_ms))
        });
    }

    #[test]
    fn nothing_outlives_cancel_on_smol(plan in plan(), cancel_after_ms in 0u8..6) {
        quiet_panics_containing(MARKER);
        watchdog("smol tree", Duration::from_secs(30), move || {
            smol::block_on(cancel_the_root(Smol, plan, cancel_after_ms))
        });
    }

    #[test]
    fn nothing_outlives_cancel_on_async_std(plan in plan(), cancel_after_ms in 0u8..6) {
        quiet_panics_containing(MARKER);
        watchdog("async-std tree", Duration::from_secs(30), move || {
            async_std::task::block_on(cancel_the_root(AsyncStd, plan, cancel_after_ms))
        });
    }
}
