//! `!Send` tasks on async-std: the local scenarios (see `local_scenarios`) on the executor of
//! the thread that runs `async_std::task::block_on`.
#![cfg(all(feature = "async-std", not(loom)))]

#[allow(dead_code)]
mod local_scenarios;
#[allow(dead_code)]
mod support;

use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

use cancel_cascade::rt::async_std::{self as cc_async_std, AsyncStdLocal};
use support::watchdog;

const LIMIT: Duration = Duration::from_secs(60);

/// Runs `scenario` inside `async_std::task::block_on` on a fresh thread, under a watchdog.
fn run<F: Future<Output = ()>>(
    what: &str,
    scenario: impl FnOnce(AsyncStdLocal) -> F + Send + 'static,
) {
    watchdog(what, LIMIT, move || {
        async_std::task::block_on(scenario(AsyncStdLocal));
    });
}

local_scenarios::local_tests!(run);

/// The free function runs the task on the calling thread.
#[test]
fn the_free_function_runs_on_this_thread() {
    watchdog("free function", LIMIT, || {
        async_std::task::block_on(async {
            let here = std::thread::current().id();
            let task = cc_async_std::spawn_local(async {
                let held = Rc::new(std::thread::current().id());
                async_std::task::yield_now().await;
                *held
            });
            assert_eq!(task.await, here);
        });
    });
}
