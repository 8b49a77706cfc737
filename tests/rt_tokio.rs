//! `TaskHandle` on tokio: every spawned-task scenario on a two-worker runtime that stays alive
//! for the whole check, then what is tokio's own: spawning through a runtime `Handle`, and
//! shutdown.
#![cfg(all(feature = "tokio", not(loom)))]

#[allow(dead_code)]
mod support;
#[allow(dead_code)]
#[path = "support/tasks.rs"]
mod tasks;

use std::future::{pending, Future};
use std::panic::AssertUnwindSafe;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use cancel_cascade::rt::tokio::Tokio;
use cancel_cascade::rt::{self, Spawn};
use futures::executor::block_on;
use futures::FutureExt;
use support::{panic_message, watchdog};
use tasks::Alive;
use tokio::runtime::{Builder, Runtime};

const LIMIT: Duration = Duration::from_secs(60);

fn runtime() -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("build a tokio runtime")
}

/// Runs `scenario`, handed the spawner, on a fresh runtime that outlives every check in it,
/// under a watchdog.
fn on_tokio<F>(what: &str, scenario: impl FnOnce(Tokio) -> F + Send + 'static)
where
    F: Future<Output = ()>,
{
    watchdog(what, LIMIT, move || runtime().block_on(scenario(Tokio)));
}

tasks::spawned_task_tests!(on_tokio);

#[test]
fn the_module_spawn_and_a_runtime_handle_spawn_the_same_tasks() {
    watchdog("spawn paths", LIMIT, || {
        let runtime = runtime();
        let inside = runtime.block_on(async { rt::tokio::spawn(async { 1 }).await });
        // From a thread outside the runtime, awaited by another executor.
        let outside = block_on(runtime.handle().spawn_task(async { 2 }));
        assert_eq!((inside, outside), (1, 2));
    });
}

#[test]
fn shutdown_makes_an_awaiting_handle_panic() {
    watchdog("shutdown", LIMIT, || {
        let runtime = runtime();
        let handle = runtime.handle().clone();
        let alive = Alive::new();
        let guard = alive.guard();
        let (started, has_started) = mpsc::channel();
        let task = handle.spawn_task(async move {
            let _guard = guard;
            started.send(()).unwrap();
            pending::<()>().await
        });
        has_started.recv().unwrap();
        let awaiter = thread::spawn(move || block_on(task));
        // Dropping a runtime shuts it down and waits for its workers, which drop their tasks.
        drop(runtime);
        assert_eq!(alive.count(), 0, "the shutdown dropped the task's future");
        let panic = awaiter
            .join()
            .expect_err("awaiting a task lost in a shutdown panics");
        assert!(
            panic_message(panic).contains("runtime dropped it before it finished"),
            "the panic says why"
        );

        // A task spawned after the shutdown is dropped at once.
        let late = handle.spawn_task(async { 3 });
        let panic = thread::spawn(move || block_on(late)).join().unwrap_err();
        assert!(panic_message(panic).contains("runtime dropped it before it finished"));
    });
}

#[test]
fn a_destructor_that_panics_during_cancel_resumes_in_cancel() {
    on_tokio("destructor panics during cancel", |_| async {
        let (started, has_started) = mpsc::channel();
        let task = rt::tokio::spawn(async move {
            let _bomb = PanicsOnDrop;
            started.send(()).unwrap();
            pending::<()>().await
        });
        tasks::eventually("the task to start", || has_started.try_recv().is_ok()).await;
        let cancelled = AssertUnwindSafe(task.cancel()).catch_unwind().await;
        assert_eq!(
            panic_message(cancelled.unwrap_err()),
            "boom in a destructor"
        );
    });
}

struct PanicsOnDrop;

impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        panic!("boom in a destructor");
    }
}
