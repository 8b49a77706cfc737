//! `!Send` tasks on tokio: the local scenarios (see `local_scenarios`) on a `LocalSet`, both in
//! a multi-thread runtime and in a current-thread one; a deadline on tokio's paused clock;
//! and `spawn_local` outside a `LocalSet`, which panics as tokio's does.
#![cfg(all(feature = "tokio", not(loom)))]

#[allow(dead_code)]
mod local_scenarios;
#[allow(dead_code)]
mod support;

use std::cell::Cell;
use std::future::{pending, Future};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::time::Duration;

use cancel_cascade::rt::tokio::{self as cc_tokio, TokioLocal};
use cancel_cascade::rt::{LocalSpawn, Spawn};
use cancel_cascade::{GroupOutcome, TaskGroup};
use local_scenarios::Census;
use support::{panic_message, watchdog};
use tokio::runtime::{Builder, Runtime};
use tokio::task::LocalSet;

const LIMIT: Duration = Duration::from_secs(60);

/// Runs `scenario` on a `LocalSet` driven by `runtime`, under a watchdog.
fn on_local_set<F>(
    what: &str,
    runtime: fn() -> Runtime,
    scenario: impl FnOnce(TokioLocal) -> F + Send + 'static,
) where
    F: Future<Output = ()>,
{
    watchdog(what, LIMIT, move || {
        LocalSet::new().block_on(&runtime(), scenario(TokioLocal));
    });
}

mod multi_thread {
    use super::*;

    fn runtime() -> Runtime {
        Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    }

    fn run<F: Future<Output = ()>>(
        what: &str,
        scenario: impl FnOnce(TokioLocal) -> F + Send + 'static,
    ) {
        on_local_set(what, runtime, scenario);
    }

    crate::local_scenarios::local_tests!(run);
}

mod current_thread {
    use super::*;

    fn runtime() -> Runtime {
        Builder::new_current_thread().enable_all().build().unwrap()
    }

    fn run<F: Future<Output = ()>>(
        what: &str,
        scenario: impl FnOnce(TokioLocal) -> F + Send + 'static,
    ) {
        on_local_set(what, runtime, scenario);
    }

    crate::local_scenarios::local_tests!(run);
}

/// The same scenarios with `Tokio` (tokio's `JoinSet::spawn_local` model): inside a
/// `LocalSet`, its local tasks run on the `LocalSet`'s thread.
mod tokio_spawner {
    use super::*;
    use cancel_cascade::rt::tokio::Tokio;

    fn run<F: Future<Output = ()>>(what: &str, scenario: impl FnOnce(Tokio) -> F + Send + 'static) {
        watchdog(what, LIMIT, move || {
            let runtime = Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            LocalSet::new().block_on(&runtime, scenario(Tokio));
        });
    }

    crate::local_scenarios::local_tests!(run);

    /// A group on `Tokio` runs its `Send` tasks on the runtime's workers and its local ones on
    /// the `LocalSet`'s thread; the first failure, local or not, stops both kinds, and `join`
    /// returns once both have stopped.
    #[test]
    fn send_tasks_on_the_workers_local_tasks_here_one_failure_stops_both() {
        run("tokio spawner: both kinds", |_| async {
            let here = std::thread::current().id();
            let mut group = TaskGroup::<_, &str>::new(Tokio);
            let sent = group.spawn(async { Ok(std::thread::current().id()) });
            let local = group.spawn_local(async {
                let _held = Rc::new(());
                tokio::task::yield_now().await;
                Ok(std::thread::current().id())
            });
            group.join().await.unwrap();
            assert_ne!(
                sent.await,
                Some(here),
                "a Send task ran on the LocalSet's thread"
            );
            assert_eq!(local.await, Some(here));

            let dropped = Rc::new(Cell::new(0));
            let mut group = TaskGroup::<_, &str>::new(Tokio);
            let sent_gone = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            struct Flag(std::sync::Arc<std::sync::atomic::AtomicBool>);
            impl Drop for Flag {
                fn drop(&mut self) {
                    self.0.store(true, std::sync::atomic::Ordering::SeqCst);
                }
            }
            // Made here, not in the tasks: a task stopped before its first poll drops them too.
            let flag = Flag(std::sync::Arc::clone(&sent_gone));
            group.spawn(async move {
                let _flag = flag;
                pending::<Result<(), &str>>().await
            });
            let guard = CountOnDrop(Rc::clone(&dropped));
            group.spawn_local(async move {
                let _guard = guard;
                pending::<Result<(), &str>>().await
            });
            group.spawn_local(async {
                tokio::task::yield_now().await;
                Err::<(), _>("local failure")
            });
            assert_eq!(group.join().await, Err("local failure"));
            assert_eq!(dropped.get(), 1, "the pending local task was not dropped");
            assert!(
                sent_gone.load(std::sync::atomic::Ordering::SeqCst),
                "the pending Send task was not dropped"
            );
        });
    }

    /// Counts its drop.
    struct CountOnDrop(Rc<Cell<usize>>);

    impl Drop for CountOnDrop {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }

    /// Outside a `LocalSet`, a local spawn on `Tokio` panics as tokio's does, and drops the
    /// future.
    #[test]
    fn a_local_spawn_outside_a_local_set_panics() {
        let runtime = Builder::new_multi_thread().build().unwrap();
        let _entered = runtime.enter();
        let dropped = Rc::new(Cell::new(0));
        let guard = CountOnDrop(Rc::clone(&dropped));
        let mut group = TaskGroup::<_, ()>::new(Tokio);
        let panic = catch_unwind(AssertUnwindSafe(|| {
            group.spawn_local(async move {
                let _guard = guard;
                Ok(())
            })
        }))
        .unwrap_err();
        assert!(panic_message(panic).contains("LocalSet"));
        assert_eq!(dropped.get(), 1, "the refused future was leaked");
        let guard = CountOnDrop(Rc::clone(&dropped));
        let panic = catch_unwind(AssertUnwindSafe(|| {
            Tokio.spawn_local_task(async move {
                let _guard = guard;
            })
        }))
        .unwrap_err();
        assert!(panic_message(panic).contains("LocalSet"));
        assert_eq!(dropped.get(), 2);
    }
}

/// The deadline of a group of local tasks is on tokio's clock: paused, a ten-minute timeout
/// passes at once, and every task (and its local child) has stopped when `join` returns.
#[test]
fn a_deadline_on_the_paused_clock() {
    watchdog("paused deadline", LIMIT, || {
        let runtime = Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        LocalSet::new().block_on(&runtime, async {
            let census = Census::new();
            let begun = tokio::time::Instant::now();
            let mut group =
                TaskGroup::<_, ()>::new(TokioLocal).with_timeout(Duration::from_secs(600));
            for _ in 0..3 {
                let (guard, child_guard) = (census.guard(), census.guard());
                group.spawn_local(async move {
                    let _guard = guard;
                    let _child = cc_tokio::spawn_local(async move {
                        let _guard = child_guard;
                        pending::<()>().await
                    });
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    Ok(())
                });
            }
            assert_eq!(group.join_outcome().await, Ok(GroupOutcome::DeadlinePassed));
            assert_eq!(census.dropped(), 6);
            assert!(begun.elapsed() >= Duration::from_secs(600), "tokio's clock");
            assert!(Spawn::now(&TokioLocal) >= begun.into_std() + Duration::from_secs(600));
        });
    });
}

/// The free function, `TokioLocal` and a group's `spawn_local` all panic outside a `LocalSet`,
/// inside a runtime or not, with tokio's message; the future is dropped, not leaked.
#[test]
fn spawn_local_outside_a_local_set_panics() {
    fn assert_panics_as_tokio(what: &str, spawn: impl FnOnce()) {
        let panic = catch_unwind(AssertUnwindSafe(spawn)).expect_err(what);
        let message = panic_message(panic);
        assert!(message.contains("spawn_local"), "{what}: {message}");
    }
    let dropped = Rc::new(Cell::new(false));
    let guarded = |dropped: &Rc<Cell<bool>>| {
        let guard = SetOnDrop(Rc::clone(dropped));
        async move {
            let _guard = guard;
        }
    };

    // Outside any runtime.
    assert_panics_as_tokio("the free function", || {
        drop(cc_tokio::spawn_local(guarded(&dropped)));
    });
    assert!(dropped.replace(false), "the future was dropped");

    // Inside a runtime, outside a `LocalSet`.
    let runtime = Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        assert_panics_as_tokio("the free function", || {
            drop(cc_tokio::spawn_local(guarded(&dropped)));
        });
        assert!(dropped.replace(false));
        assert_panics_as_tokio("TokioLocal", || {
            drop(TokioLocal.spawn_local_task(guarded(&dropped)));
        });
        assert!(dropped.replace(false));
        let mut group = TaskGroup::<_, ()>::new(TokioLocal);
        let task = guarded(&dropped);
        assert_panics_as_tokio("a group's spawn_local", || {
            drop(group.spawn_local(async move {
                task.await;
                Ok(())
            }));
        });
        assert!(dropped.replace(false));
    });
}

struct SetOnDrop(Rc<Cell<bool>>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.set(true);
    }
}

/// A group on `TokioLocal` runs its `Send` tasks on the `LocalSet` too, beside the local ones.
#[test]
fn send_and_local_tasks_share_the_local_set() {
    on_local_set(
        "send and local",
        || {
            Builder::new_multi_thread()
                .worker_threads(2)
                .build()
                .unwrap()
        },
        |_| async {
            let here = std::thread::current().id();
            let mut group = TaskGroup::<_, ()>::new(TokioLocal);
            let sent = group.spawn(async { Ok(std::thread::current().id()) });
            let local = group.spawn_local(async {
                let _held = Rc::new(());
                tokio::task::yield_now().await;
                Ok(std::thread::current().id())
            });
            group.join().await.unwrap();
            assert_eq!(sent.await, Some(here));
            assert_eq!(local.await, Some(here));
        },
    );
}
