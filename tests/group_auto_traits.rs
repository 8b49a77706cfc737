//! What the group types promise at compile time: spawners that cross threads, handles and
//! futures that can be spawned, an error type that is an `Error` when its errors are.
#![cfg(feature = "tokio")]

use std::error::Error;
use std::fmt::Debug;

#[allow(dead_code)]
mod support;
#[allow(dead_code)]
#[path = "support/traits.rs"]
mod traits;

use std::rc::Rc;

use cancel_cascade::rt::tokio::{Tokio, TokioLocal};
use cancel_cascade::{
    GroupErrors, GroupSpawner, GroupTask, SetSpawner, TaskGroup, TaskHandle, TaskSet,
};
use traits::assert_not_impl;

fn assert_send<T: Send>(_: &T) {}
fn assert_spawner<T: Clone + Send + Sync + Debug + 'static>() {}
fn assert_handle<T: Send + Sync + Unpin + Debug + 'static>() {}
fn assert_error<T: Error + Send + Sync + 'static>() {}

#[test]
fn spawners_are_clone_send_and_sync() {
    assert_spawner::<GroupSpawner<Tokio, std::io::Error>>();
    assert_spawner::<SetSpawner<Tokio, u32, std::io::Error>>();
}

/// A group on `TokioLocal` crosses threads like one on `Tokio` (its spawner is the thread's
/// `LocalSet`, wherever it is used); its local tasks' handles do when their outputs do.
#[test]
fn local_groups_and_their_send_outputs_cross_threads() {
    assert_spawner::<GroupSpawner<TokioLocal, std::io::Error>>();
    assert_spawner::<SetSpawner<TokioLocal, u32, std::io::Error>>();
    assert_handle::<TaskGroup<TokioLocal, std::io::Error>>();
    assert_handle::<TaskSet<TokioLocal, u32, std::io::Error>>();
    assert_handle::<TaskHandle<u32>>();
}

// The output of a local task need not be `Send`; then what hands it over is not `Send` either.
assert_not_impl!(TaskHandle<Rc<u32>>: Send);
assert_not_impl!(TaskHandle<Rc<u32>>: Sync);
assert_not_impl!(GroupTask<Rc<u32>>: Send);
assert_not_impl!(TaskSet<TokioLocal, Rc<u32>, String>: Send);
assert_not_impl!(SetSpawner<TokioLocal, Rc<u32>, String>: Send);
#[cfg(feature = "smol")]
assert_not_impl!(GroupSpawner<Rc<smol::LocalExecutor<'static>>, String>: Send);

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
