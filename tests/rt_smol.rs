//! `TaskHandle` on smol: every spawned-task scenario on smol's global executor (which never
//! shuts down), then what is smol's own: spawning on an `Executor` of one's own, and dropping
//! that executor.
#![cfg(all(feature = "smol", not(loom)))]

#[allow(dead_code)]
mod support;
#[allow(dead_code)]
#[path = "support/tasks.rs"]
mod tasks;

use std::future::{pending, Future};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use cancel_cascade::rt::smol::Smol;
use cancel_cascade::rt::{self, Spawn};
use futures::FutureExt;
use smol::Executor;
use support::{panic_message, watchdog};
use tasks::Alive;

const LIMIT: Duration = Duration::from_secs(60);

/// Runs `scenario`, handed the spawner, to completion under a watchdog; its tasks run on the
/// global executor.
fn on_smol<F>(what: &str, scenario: impl FnOnce(Smol) -> F + Send + 'static)
where
    F: Future<Output = ()>,
{
    watchdog(what, LIMIT, move || smol::block_on(scenario(Smol)));
}

tasks::spawned_task_tests!(on_smol);

#[test]
fn the_module_spawn_and_an_executor_spawn_the_same_tasks() {
    watchdog("spawn paths", LIMIT, || {
        let global = smol::block_on(rt::smol::spawn(async { 1 }));
        // Shared as smol programs usually share their executor; supervised all the same.
        let executor = Arc::new(Executor::new());
        let own = executor.spawn_task(async { 2 });
        assert!(format!("{own:?}").contains(r#"kind: Some("supervised")"#));
        assert_eq!(smol::block_on(executor.run(own)), 2);
        assert_eq!(global, 1);
    });
}

#[test]
fn a_dropped_executor_makes_an_awaiting_handle_panic() {
    watchdog("executor dropped", LIMIT, || {
        let executor = Executor::new();
        let alive = Alive::new();
        let guard = alive.guard();
        let started = Arc::new(AtomicBool::new(false));
        let running = Arc::clone(&started);
        let task = executor.spawn_task(async move {
            let _guard = guard;
            running.store(true, Ordering::SeqCst);
            pending::<()>().await
        });
        assert!(executor.try_tick(), "the task ran once");
        assert!(started.load(Ordering::SeqCst));
        let awaiter = thread::spawn(move || smol::block_on(task));
        // A dropped executor drops every task it holds.
        drop(executor);
        assert_eq!(alive.count(), 0, "the executor dropped the task's future");
        let panic = awaiter
            .join()
            .expect_err("awaiting a task its executor dropped panics");
        assert!(
            panic_message(panic).contains("runtime dropped it before it finished"),
            "the panic says why"
        );
    });
}

/// As on tokio and async-std, the panic resumes in `cancel`; the executor thread goes on.
#[test]
fn a_destructor_that_panics_during_cancel_resumes_in_cancel() {
    on_smol("destructor panics during cancel", |_| async {
        support::quiet_panics_containing("boom in a destructor");
        let started = Arc::new(AtomicBool::new(false));
        let running = Arc::clone(&started);
        let task = rt::smol::spawn(async move {
            let _bomb = PanicsOnDrop;
            running.store(true, Ordering::SeqCst);
            pending::<()>().await
        });
        tasks::eventually("the task to start", || started.load(Ordering::SeqCst)).await;
        let cancelled = AssertUnwindSafe(task.cancel()).catch_unwind().await;
        assert_eq!(
            panic_message(cancelled.unwrap_err()),
            "boom in a destructor"
        );
        // The executor thread survived it.
        assert_eq!(rt::smol::spawn(async { 1 }).await, 1);
    });
}

struct PanicsOnDrop;

impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        panic!("boom in a destructor");
    }
}

/// An executor dropped while it holds a task whose destructor panics: the drop of the executor
/// does not unwind, the executor's other tasks are dropped too, and the handle reports that
/// the runtime dropped the task.
#[test]
fn a_destructor_that_panics_when_the_executor_drops_the_task_is_contained() {
    watchdog(
        "executor dropped with a panicking destructor",
        LIMIT,
        || {
            support::quiet_panics_containing("boom in a destructor");
            let executor = Executor::new();
            let alive = Alive::new();
            let guard = alive.guard();
            let doomed = executor.spawn_task(async move {
                let _bomb = PanicsOnDrop;
                pending::<()>().await
            });
            let other = executor.spawn_task(async move {
                let _guard = guard;
                pending::<()>().await
            });
            while executor.try_tick() {}
            drop(executor);
            assert_eq!(alive.count(), 0, "the other task was dropped as well");
            let panic = AssertUnwindSafe(doomed)
                .catch_unwind()
                .now_or_never()
                .expect("the task is gone: the handle does not wait")
                .expect_err("awaiting a task its executor dropped panics");
            assert!(panic_message(panic).contains("runtime dropped it before it finished"));
            assert_eq!(smol::block_on(other.cancel()), None);
        },
    );
}
