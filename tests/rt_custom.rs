//! `TaskHandle` on an executor the crate does not know, through `Spawn`: every spawned-task
//! scenario on futures' `ThreadPool`, where the tasks run supervised; then what only the
//! supervised mechanism has to get right on its own: an executor that drops its tasks, a task
//! cancelled before it ever ran, a destructor that panics while the task is cancelled.
#![cfg(all(feature = "std", not(loom)))]

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

use cancel_cascade::rt::Spawn;
use cancel_cascade::TaskHandle;
use futures::executor::{block_on, LocalPool, LocalSpawner, ThreadPool};
use futures::task::SpawnExt;
use futures::FutureExt;
use support::{panic_message, watchdog};
use tasks::Alive;

const LIMIT: Duration = Duration::from_secs(60);

/// futures' `ThreadPool`, plugged in: the trait and the pool both live in other crates, hence
/// the newtype.
#[derive(Clone)]
struct Pool(ThreadPool);

impl Spawn for Pool {
    fn spawn_detached<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.0.spawn_ok(future);
    }
}

/// A `LocalPool` runs its tasks only inside `run*` calls, and drops them when it is dropped:
/// each step of a task's life can be driven by hand, on the test's thread, with nothing that
/// could wait forever (`run_until_stalled`, `now_or_never`).
struct Local(LocalSpawner);

impl Spawn for Local {
    fn spawn_detached<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.0.spawn(future).expect("the pool is alive");
    }
}

/// Runs `scenario` on a fresh two-thread pool, awaited from the test's own thread.
fn on_pool<F>(what: &str, scenario: impl FnOnce(Pool) -> F + Send + 'static)
where
    F: Future<Output = ()>,
{
    watchdog(what, LIMIT, move || {
        let pool = ThreadPool::builder()
            .pool_size(2)
            .create()
            .expect("build a thread pool");
        block_on(scenario(Pool(pool)));
    });
}

tasks::spawned_task_tests!(on_pool);

#[test]
fn a_dropped_executor_makes_an_awaiting_handle_panic() {
    watchdog("executor dropped", LIMIT, || {
        let mut pool = LocalPool::new();
        let alive = Alive::new();
        let guard = alive.guard();
        let task = Local(pool.spawner()).spawn_task(async move {
            let _guard = guard;
            pending::<()>().await
        });
        pool.run_until_stalled();
        assert_eq!(alive.count(), 1, "the task is running");
        let awaiter = thread::spawn(move || block_on(task));
        drop(pool);
        assert_eq!(alive.count(), 0, "the pool dropped the task's future");
        let panic = awaiter
            .join()
            .expect_err("awaiting a task its executor dropped panics");
        assert!(
            panic_message(panic).contains("runtime dropped it before it finished"),
            "the panic says why"
        );
    });
}

#[test]
fn a_task_cancelled_before_its_first_poll_never_runs() {
    let mut pool = LocalPool::new();
    let alive = Alive::new();
    let guard = alive.guard();
    let ran = Arc::new(AtomicBool::new(false));
    let running = Arc::clone(&ran);
    let task = Local(pool.spawner()).spawn_task(async move {
        let _guard = guard;
        running.store(true, Ordering::SeqCst);
    });
    assert!(!task.is_finished());
    drop(task);
    pool.run_until_stalled();
    assert!(!ran.load(Ordering::SeqCst), "a cancelled task never starts");
    assert_eq!(alive.count(), 0, "its future was dropped");
}

#[test]
fn cancel_gives_none_only_once_the_future_is_dropped() {
    let mut pool = LocalPool::new();
    let alive = Alive::new();
    let guard = alive.guard();
    let task = Local(pool.spawner()).spawn_task(async move {
        let _guard = guard;
        pending::<()>().await
    });
    pool.run_until_stalled();
    let mut cancel = Box::pin(task.cancel());
    // Polled outside the pool: the request is made, but nothing has dropped the future yet.
    assert!(cancel.as_mut().now_or_never().is_none());
    assert_eq!(alive.count(), 1);
    // The request woke the task; the pool drops its future on its next poll.
    pool.run_until_stalled();
    assert_eq!(alive.count(), 0);
    assert_eq!(cancel.now_or_never(), Some(None));
}

#[test]
fn a_destructor_that_panics_during_cancel_resumes_in_cancel() {
    struct PanicsOnDrop;
    impl Drop for PanicsOnDrop {
        fn drop(&mut self) {
            panic!("boom in a destructor");
        }
    }
    let mut pool = LocalPool::new();
    let task = Local(pool.spawner()).spawn_task(async move {
        let _bomb = PanicsOnDrop;
        pending::<()>().await
    });
    pool.run_until_stalled();
    let mut cancel = Box::pin(AssertUnwindSafe(task.cancel()).catch_unwind());
    assert!(cancel.as_mut().now_or_never().is_none());
    pool.run_until_stalled();
    let cancelled = cancel.now_or_never().expect("the task stopped");
    assert_eq!(
        panic_message(cancelled.unwrap_err()),
        "boom in a destructor"
    );
}

#[test]
fn is_finished_once_the_output_is_ready_and_after_it_was_taken() {
    let mut pool = LocalPool::new();
    let mut task = Local(pool.spawner()).spawn_task(async { 5 });
    assert!(!task.is_finished());
    pool.run_until_stalled();
    assert!(task.is_finished());
    assert_eq!((&mut task).now_or_never(), Some(5));
    assert!(task.is_finished());
}

#[test]
#[should_panic(expected = "`TaskHandle` polled after it gave its output")]
fn polling_after_the_output_panics() {
    let mut pool = LocalPool::new();
    let mut task = Local(pool.spawner()).spawn_task(async { 5 });
    pool.run_until_stalled();
    assert_eq!((&mut task).now_or_never(), Some(5));
    let _ = (&mut task).now_or_never();
}

#[test]
fn handles_are_send_sync_unpin_and_debug_whatever_the_output() {
    fn send_sync_unpin<T: Send + Sync + Unpin>(_: &T) {}
    struct NotDebug;
    let mut pool = LocalPool::new();
    let task: TaskHandle<NotDebug> = Local(pool.spawner()).spawn_task(async { NotDebug });
    send_sync_unpin(&task);
    assert_eq!(
        format!("{task:?}"),
        format!(
            r#"TaskHandle {{ id: Some({:?}), kind: Some("supervised"), finished: false }}"#,
            task.id()
        )
    );
    pool.run_until_stalled();
    let NotDebug = task.now_or_never().expect("the task finished");
}
