//! The task-group scenarios on smol (see `group_scenarios`).
#![cfg(feature = "smol")]

mod group_scenarios;

use std::future::Future;
use std::pin::Pin;

use cancel_cascade::rt::smol::Smol;
use group_scenarios::*;

fn block_on(future: Pin<Box<dyn Future<Output = ()> + Send>>) {
    // The tasks run on smol's global executor threads; this thread only waits.
    smol::block_on(future);
}

#[test]
fn quiescence_with_slow_destructors() {
    run(
        block_on,
        group_scenarios::quiescence_with_slow_destructors(Smol),
    );
}

#[test]
fn transitive_two_levels() {
    run(block_on, group_scenarios::transitive_two_levels(Smol));
}

#[test]
fn graceful_cleanup_only_with_a_grace_period() {
    run(
        block_on,
        group_scenarios::graceful_cleanup_only_with_a_grace_period(Smol),
    );
}

#[test]
fn ignoring_the_token_ends_with_the_grace_period() {
    run(
        block_on,
        group_scenarios::ignoring_the_token_ends_with_the_grace_period(Smol),
    );
}

#[test]
fn shutdown_cancels_and_waits() {
    run(block_on, group_scenarios::shutdown_cancels_and_waits(Smol));
}

#[test]
fn dropping_the_group_cancels() {
    run(block_on, group_scenarios::dropping_the_group_cancels(Smol));
}

#[test]
fn nested_groups_where_the_inner_one_fails() {
    run(
        block_on,
        group_scenarios::nested_groups_where_the_inner_one_fails(Smol),
    );
}

#[test]
fn no_task_outlives_a_group_that_returned() {
    run(
        block_on,
        group_scenarios::no_task_outlives_a_group_that_returned(Smol),
    );
}

#[test]
fn a_panic_resumes_in_join_after_the_others_stopped() {
    run(
        block_on,
        group_scenarios::a_panic_resumes_in_join_after_the_others_stopped(Smol),
    );
}

#[test]
fn timeouts_fire_and_do_not() {
    run(block_on, group_scenarios::timeouts_fire_and_do_not());
}
