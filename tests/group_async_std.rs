//! The task-group scenarios on async_std (see `group_scenarios`).
#![cfg(feature = "async-std")]

mod group_scenarios;

use std::future::Future;
use std::pin::Pin;

use cancel_cascade::rt::async_std::AsyncStd;
use group_scenarios::*;

fn block_on(future: Pin<Box<dyn Future<Output = ()> + Send>>) {
    async_std::task::block_on(future);
}

#[test]
fn quiescence_with_slow_destructors() {
    run(
        block_on,
        group_scenarios::quiescence_with_slow_destructors(AsyncStd),
    );
}

#[test]
fn transitive_two_levels() {
    run(block_on, group_scenarios::transitive_two_levels(AsyncStd));
}

#[test]
fn graceful_cleanup_only_with_a_grace_period() {
    run(
        block_on,
        group_scenarios::graceful_cleanup_only_with_a_grace_period(AsyncStd),
    );
}

#[test]
fn ignoring_the_token_ends_with_the_grace_period() {
    run(
        block_on,
        group_scenarios::ignoring_the_token_ends_with_the_grace_period(AsyncStd),
    );
}

#[test]
fn shutdown_cancels_and_waits() {
    run(
        block_on,
        group_scenarios::shutdown_cancels_and_waits(AsyncStd),
    );
}

#[test]
fn dropping_the_group_cancels() {
    run(
        block_on,
        group_scenarios::dropping_the_group_cancels(AsyncStd),
    );
}

#[test]
fn nested_groups_where_the_inner_one_fails() {
    run(
        block_on,
        group_scenarios::nested_groups_where_the_inner_one_fails(AsyncStd),
    );
}

#[test]
fn no_task_outlives_a_group_that_returned() {
    run(
        block_on,
        group_scenarios::no_task_outlives_a_group_that_returned(AsyncStd),
    );
}

#[test]
fn a_panic_resumes_in_join_after_the_others_stopped() {
    run(
        block_on,
        group_scenarios::a_panic_resumes_in_join_after_the_others_stopped(AsyncStd),
    );
}

#[test]
fn timeouts_fire_and_do_not() {
    run(block_on, group_scenarios::timeouts_fire_and_do_not());
}
