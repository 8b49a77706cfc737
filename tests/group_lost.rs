//! Issue 9, point 3: a group task that its runtime drops before it finished (the runtime shut
//! down, or a `Spawn` refused it) never lets the group report success. The group fails: the
//! other tasks are cancelled, and `join` (or `shutdown`, `join_all_errors`) panics once they
//! have stopped, with a message that says what happened.
#![cfg(feature = "tokio")]

#[allow(dead_code)]
mod support;

use std::future::{pending, Future};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use cancel_cascade::rt::Spawn;
use cancel_cascade::TaskGroup;
use futures::executor::block_on;
use futures::FutureExt;
use support::{panic_message, quiet_panics_containing, watchdog};

const LIMIT: Duration = Duration::from_secs(30);
const LOST: &str = "dropped unfinished by its runtime";

/// An executor that drops every future it is given, unpolled.
struct Refuses;

impl Spawn for Refuses {
    fn spawn_detached<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        drop(future);
    }
}

/// Runs `waiting` to the end and returns the message of the panic it must end with.
fn panic_of(waiting: impl Future<Output = ()>) -> String {
    let outcome = block_on(AssertUnwindSafe(waiting).catch_unwind());
    panic_message(outcome.expect_err("the group reported an outcome for a lost task"))
}

#[test]
fn a_refused_task_makes_join_panic() {
    quiet_panics_containing(LOST);
    watchdog("refused task", LIMIT, || {
        let mut group = TaskGroup::<_, ()>::new(Refuses);
        let output = group.spawn(async { Ok(1) });
        let message = panic_of(async move {
            let _ = group.join().await;
        });
        assert!(message.contains("`TaskGroup::join`"), "{message}");
        assert!(message.contains(LOST), "{message}");
        assert_eq!(block_on(output), None);
    });
}

#[test]
fn shutdown_and_join_all_errors_report_a_lost_task_too() {
    quiet_panics_containing(LOST);
    watchdog("refused task, other ways to wait", LIMIT, || {
        let mut group = TaskGroup::<_, ()>::new(Refuses);
        group.spawn(async { Ok(()) });
        let message = panic_of(async move {
            let _ = group.shutdown().await;
        });
        assert!(message.contains("`TaskGroup::shutdown`"), "{message}");

        let mut group = TaskGroup::<_, ()>::new(Refuses);
        group.spawn(async { Ok(()) });
        let message = panic_of(async move {
            let _ = group.join_all_errors().await;
        });
        assert!(
            message.contains("`TaskGroup::join_all_errors`"),
            "{message}"
        );
    });
}

/// Counts futures dropped, and whether the task started.
#[derive(Default)]
struct Watch {
    started: AtomicBool,
    dropped: AtomicUsize,
}

struct DropCount(Arc<Watch>);

impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.dropped.fetch_add(1, Ordering::SeqCst);
    }
}

fn pending_task<E>(watch: &Arc<Watch>) -> impl Future<Output = Result<(), E>> + Send + 'static {
    let guard = DropCount(Arc::clone(watch));
    async move {
        guard.0.started.store(true, Ordering::SeqCst);
        pending::<()>().await;
        drop(guard);
        Ok(())
    }
}

/// A multi-thread tokio runtime with two workers, to shut down under a group.
fn two_workers() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap()
}

fn wait_started(watch: &Watch) {
    while !watch.started.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn a_tokio_runtime_shut_down_under_the_group_makes_join_panic() {
    quiet_panics_containing(LOST);
    watchdog("tokio runtime dropped", LIMIT, || {
        let runtime = two_workers();
        let watch = Arc::new(Watch::default());
        let mut group = TaskGroup::new(runtime.handle().clone());
        let finished = group.spawn(async { Ok(5) });
        let lost = group.spawn(pending_task::<()>(&watch));
        wait_started(&watch);
        drop(runtime);
        assert_eq!(watch.dropped.load(Ordering::SeqCst), 1);
        let message = panic_of(async move {
            let _ = group.join().await;
        });
        assert!(message.contains(LOST), "{message}");
        assert_eq!(block_on(lost), None);
        assert_eq!(
            block_on(finished),
            Some(5),
            "a finished task keeps its output"
        );
    });
}

/// A task the group itself stopped is not lost, even if a runtime drops it afterwards: the
/// group's outcome is its first failure.
#[test]
fn a_runtime_shutting_down_after_the_failure_does_not_change_the_outcome() {
    watchdog("runtime dropped after the failure", LIMIT, || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let watch = Arc::new(Watch::default());
        let mut group =
            TaskGroup::new(runtime.handle().clone()).with_grace_period(Duration::from_secs(60));
        group.spawn(pending_task(&watch));
        group.spawn(async { Err::<(), _>("boom") });
        wait_started(&watch);
        while !group.token().is_cancelled() {
            std::thread::sleep(Duration::from_millis(1));
        }
        drop(runtime);
        assert_eq!(block_on(group.join()), Err("boom"));
    });
}

/// The same for a limited group, whose waiting tasks are on the runtime too (each waits for its
/// slot at its first poll): the runtime's shutdown drops them unpolled, the group reports the
/// lost tasks, and nothing waits for a slot that no task will give back.
#[test]
fn a_runtime_shut_down_under_a_limited_group_drops_the_waiting_tasks_unpolled() {
    quiet_panics_containing(LOST);
    watchdog("tokio runtime dropped, limited group", LIMIT, || {
        let runtime = two_workers();
        let watch = Arc::new(Watch::default());
        let mut group = TaskGroup::new(runtime.handle().clone()).with_limit(1);
        let running = group.spawn(pending_task::<()>(&watch));
        let waiting_watch = Arc::new(Watch::default());
        let waiting: Vec<_> = (0..3)
            .map(|_| group.spawn(pending_task::<()>(&waiting_watch)))
            .collect();
        wait_started(&watch);
        drop(runtime);
        assert_eq!(watch.dropped.load(Ordering::SeqCst), 1);
        assert_eq!(waiting_watch.dropped.load(Ordering::SeqCst), 3);
        assert!(
            !waiting_watch.started.load(Ordering::SeqCst),
            "a task that waited for a slot was polled"
        );
        let message = panic_of(async move {
            let _ = group.join().await;
        });
        assert!(message.contains(LOST), "{message}");
        assert_eq!(block_on(running), None);
        for output in waiting {
            assert_eq!(block_on(output), None);
        }
    });
}
