//! What the group types promise at compile time: spawners that cross threads, handles and
//! futures that can be spawned, an error type that is an `Error` when its errors are.
#![cfg(feature = "tokio")]

use std::error::Error;
use std::fmt::Debug;

use cancel_cascade::rt::tokio::Tokio;
use cancel_cascade::{GroupErrors, GroupSpawner, GroupTask, SetSpawner, TaskGroup, TaskSet};

fn assert_send<T: Send>(_: &T) {}
fn assert_spawner<T: Clone + Send + Sync + Debug + 'static>() {}
fn assert_handle<T: Send + Sync + Unpin + Debug + 'static>() {}
fn assert_error<T: Error + Send + Sync + 'static>() {}

#[test]
fn spawners_are_clone_send_and_sync() {
    assert_spawner::<GroupSpawner<Tokio, std::io::Error>>();
    assert_spawner::<SetSpawner<Tokio, u32, std::io::Error>>();
}

#[test]
fn groups_sets_and_task_handles_cross_threads() {
    assert_handle::<TaskGroup<Tokio, std::io::Error>>();
    assert_handle::<TaskSet<Tokio, u32, std::io::Error>>();
    assert_handle::<GroupTask<String>>();
}

#[test]
fn every_error_is_an_error_when_its_errors_are() {
    assert_error::<GroupErrors<std::io::Error>>();
}

/// The futures of the waiting methods can be spawned (on a multi-thread runtime, say).
#[test]
fn waiting_futures_are_send() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let _guard = runtime.enter();
    let mut group = TaskGroup::<_, String>::new(Tokio);
    let task = group.spawn(async { Ok(1) });
    assert_send(&task.cancel());
    assert_send(&group.ready());
    assert_send(&group.start(|started| async move {
        started.started(());
        Ok(())
    }));
    assert_send(&group.join());
    let mut set = TaskSet::<_, u32, String>::new(Tokio);
    assert_send(&set.join_next());
    let mut group = TaskGroup::<_, String>::new(Tokio);
    assert_send(&group.join_all_errors());
    let mut group = TaskGroup::<_, String>::new(Tokio);
    assert_send(&group.join_outcome());
    let mut group = TaskGroup::<_, String>::new(Tokio);
    assert_send(&group.shutdown());
}
