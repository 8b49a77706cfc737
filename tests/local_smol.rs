//! `!Send` tasks on smol: the local scenarios (see `local_scenarios`) on a `LocalExecutor`,
//! shared in an `Rc` (so that the group's tasks can hold its spawner), and the free function
//! on an executor by reference.
#![cfg(all(feature = "smol", not(loom)))]

#[allow(dead_code)]
mod local_scenarios;
#[allow(dead_code)]
mod support;

use std::future::{pending, Future};
use std::rc::Rc;
use std::time::Duration;

use cancel_cascade::rt::smol as cc_smol;
use cancel_cascade::TaskGroup;
use local_scenarios::Census;
use smol::LocalExecutor;
use support::watchdog;

const LIMIT: Duration = Duration::from_secs(60);

/// Runs `scenario` on a fresh `LocalExecutor`, under a watchdog.
fn run<F: Future<Output = ()>>(
    what: &str,
    scenario: impl FnOnce(Rc<LocalExecutor<'static>>) -> F + Send + 'static,
) {
    watchdog(what, LIMIT, move || {
        let executor = Rc::new(LocalExecutor::new());
        smol::block_on(executor.run(scenario(Rc::clone(&executor))));
    });
}

local_scenarios::local_tests!(run);

/// `rt::smol::spawn_local` and a group on the executor by reference: the same guarantees.
#[test]
fn the_free_function_and_a_borrowed_executor() {
    watchdog("borrowed executor", LIMIT, || {
        let executor = LocalExecutor::new();
        smol::block_on(executor.run(async {
            let census = Census::new();
            let guard = census.guard();
            let task = cc_smol::spawn_local(&executor, async move {
                let _guard = guard;
                pending::<()>().await
            });
            assert_eq!(task.cancel().await, None);
            assert_eq!(census.dropped(), 1);

            let mut group = TaskGroup::<_, &str>::new(&executor);
            let guard = census.guard();
            group.spawn_local(async move {
                let _guard = guard;
                pending::<Result<(), &str>>().await
            });
            group.spawn_local(async { Err::<(), _>("boom") });
            assert_eq!(group.join().await, Err("boom"));
            assert_eq!(census.dropped(), 2);
        }));
    });
}

/// A `LocalExecutor` dropped with a task still in it drops the task's future; a handle
/// awaiting it panics rather than wait forever.
#[test]
fn a_dropped_executor_makes_the_awaiting_handle_panic() {
    let executor = LocalExecutor::new();
    let census = Census::new();
    let guard = census.guard();
    let task = cc_smol::spawn_local(&executor, async move {
        let _guard = guard;
        pending::<()>().await
    });
    drop(executor);
    assert_eq!(census.dropped(), 1);
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| smol::block_on(task)))
        .expect_err("the task was lost");
    assert!(support::panic_message(panic).contains("runtime dropped it before it finished"));
}
