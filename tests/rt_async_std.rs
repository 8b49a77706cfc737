//! `TaskHandle` on async-std (legacy): every spawned-task scenario on its global executor, where
//! the tasks run supervised.
//!
//! async-std's global executor never drops a task (it lives until the process exits), so there
//! is no shutdown to test here; the supervised mechanism's answer to an executor that drops a
//! task is tested in `rt_custom.rs`.
#![cfg(all(feature = "async-std", not(loom)))]

#[allow(dead_code)]
mod support;
#[allow(dead_code)]
#[path = "support/tasks.rs"]
mod tasks;

use std::future::Future;
use std::time::Duration;

use async_std::task::block_on;
use cancel_cascade::rt;
use cancel_cascade::rt::async_std::AsyncStd;
use support::watchdog;

const LIMIT: Duration = Duration::from_secs(60);

/// Runs `scenario`, handed the spawner, to completion under a watchdog; its tasks run on the
/// global executor.
fn on_async_std<F>(what: &str, scenario: impl FnOnce(AsyncStd) -> F + Send + 'static)
where
    F: Future<Output = ()>,
{
    watchdog(what, LIMIT, move || block_on(scenario(AsyncStd)));
}

tasks::spawned_task_tests!(on_async_std);

#[test]
fn tasks_are_async_std_tasks() {
    on_async_std("tasks_are_async_std_tasks", |_| async {
        // `task::current()` panics outside an async-std task: the supervised wrapper runs
        // inside one, task-locals and all.
        let id = rt::async_std::spawn(async { async_std::task::current().id() }).await;
        assert_ne!(id, async_std::task::current().id());
    });
}
