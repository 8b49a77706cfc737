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

/// Runs `scenario` to completion under a watchdog; its tasks run on the global executor.
fn on_async_std<F>(what: &str, scenario: impl FnOnce() -> F + Send + 'static)
where
    F: Future<Output = ()>,
{
    watchdog(what, LIMIT, move || block_on(scenario()));
}

#[test]
fn fail_fast_over_50_tasks() {
    on_async_std("fail_fast_over_50_tasks", || {
        tasks::fail_fast_over_50_tasks(&AsyncStd)
    });
}

#[test]
fn cancel_waits_for_the_drop() {
    on_async_std("cancel_waits_for_the_drop", || {
        tasks::cancel_waits_for_the_drop(&AsyncStd, 500)
    });
}

#[test]
fn cancel_after_finish_gives_the_output() {
    on_async_std("cancel_after_finish_gives_the_output", || {
        tasks::cancel_after_finish_gives_the_output(&AsyncStd)
    });
}

#[test]
fn drop_cancels() {
    on_async_std("drop_cancels", || tasks::drop_cancels(&AsyncStd));
}

#[test]
fn detach_lets_it_finish() {
    on_async_std("detach_lets_it_finish", || {
        tasks::detach_lets_it_finish(&AsyncStd)
    });
}

#[test]
fn panic_resumes_in_the_awaiter() {
    on_async_std("panic_resumes_in_the_awaiter", || {
        tasks::panic_resumes_in_the_awaiter(&AsyncStd)
    });
}

#[test]
fn select_first_and_wait_any_over_handles() {
    on_async_std("select_first_and_wait_any_over_handles", || {
        tasks::select_first_and_wait_any_over_handles(&AsyncStd)
    });
}

#[test]
fn grandchildren_cancelled_with_their_parent() {
    on_async_std("grandchildren_cancelled_with_their_parent", || {
        tasks::grandchildren_cancelled_with_their_parent(&AsyncStd)
    });
}

#[test]
fn tasks_are_async_std_tasks() {
    on_async_std("tasks_are_async_std_tasks", || async {
        // `task::current()` panics outside an async-std task: the supervised wrapper runs
        // inside one, task-locals and all.
        let id = rt::async_std::spawn(async { async_std::task::current().id() }).await;
        assert_ne!(id, async_std::task::current().id());
    });
}
