//! The claims of the README's comparison table marked as checked: each gap in Rust's own tools
//! is shown against the tool itself, next to what this crate does instead. If a peer closes a
//! gap, its test here fails, and the README must change with it.
//!
//! Nothing is timed: "still running" is shown by a round trip to the task (it answers), and
//! "stopped" by a message its drop guard sends (awaited, under a watchdog).
#![cfg(all(feature = "tokio", not(loom)))]

#[allow(dead_code)]
mod support;

use std::future::{pending, Future};
use std::pin::pin;
use std::task::{Context, Poll};
use std::time::Duration;

use cancel_cascade::rt::tokio::{spawn as spawn_task, Tokio};
use cancel_cascade::{try_join_all_cancel, TaskGroup};
use futures::task::noop_waker_ref;
use support::watchdog;
use tokio::runtime::{Builder, Runtime};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

const LIMIT: Duration = Duration::from_secs(30);

fn runtime() -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("build a tokio runtime")
}

/// Child `failing` fails at its first poll; every other child stays pending.
async fn child(index: usize, failing: usize) -> Result<usize, &'static str> {
    if index == failing {
        Err("failed")
    } else {
        pending().await
    }
}

fn poll_once<F: Future>(future: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(noop_waker_ref()))
}

#[test]
fn futures_try_join_all_over_30_futures_reports_an_error_only_in_input_order() {
    // Up to 30 futures it polls them all and returns the first error it sees.
    let small = (0..30).map(|i| child(i, 29));
    let mut small = pin!(futures::future::try_join_all(small));
    assert_eq!(poll_once(small.as_mut()), Poll::Ready(Err("failed")));

    // From 31 on it is a `FuturesOrdered`: the error of child 30 waits until children 0 to 29
    // have completed, which here is never.
    let large = (0..31).map(|i| child(i, 30));
    let mut large = pin!(futures::future::try_join_all(large));
    for _ in 0..3 {
        assert!(poll_once(large.as_mut()).is_pending());
    }

    // Ours, at any size: the first error, in the poll that sees it, the siblings dropped.
    let ours = (0..31).map(|i| child(i, 30));
    let mut ours = pin!(try_join_all_cancel(ours));
    assert_eq!(poll_once(ours.as_mut()), Poll::Ready(Err("failed")));
}

/// A task that answers every `ping` until its future is dropped, and says so when it is.
struct Echo {
    pings: mpsc::Sender<oneshot::Sender<()>>,
    dropped: oneshot::Receiver<()>,
}

impl Echo {
    /// The task's future and the test's side of it.
    fn new() -> (impl Future<Output = ()> + Send + 'static, Echo) {
        let (pings, mut inbox) = mpsc::channel::<oneshot::Sender<()>>(1);
        let (on_drop, dropped) = oneshot::channel();
        // Made outside the future, so that it reports a drop even before the first poll.
        let guard = SendOnDrop(Some(on_drop));
        let task = async move {
            let _guard = guard;
            while let Some(reply) = inbox.recv().await {
                let _ = reply.send(());
            }
            pending::<()>().await;
        };
        (task, Echo { pings, dropped })
    }

    /// Whether the task still runs: it answers.
    async fn answers(&self) -> bool {
        let (reply, answer) = oneshot::channel();
        self.pings.send(reply).await.is_ok() && answer.await.is_ok()
    }

    /// Returns once the task's future has been dropped.
    async fn stopped(self) {
        self.dropped.await.expect("the guard sends before it goes");
    }
}

struct SendOnDrop(Option<oneshot::Sender<()>>);

impl Drop for SendOnDrop {
    fn drop(&mut self) {
        let _ = self.0.take().map(|sender| sender.send(()));
    }
}

#[test]
fn a_dropped_tokio_join_handle_detaches_its_task() {
    watchdog("dropped JoinHandle", LIMIT, || {
        runtime().block_on(async {
            let (task, echo) = Echo::new();
            drop(tokio::spawn(task));
            assert!(echo.answers().await, "the task runs on, detached");

            // Ours: dropping the handle cancels the task.
            let (task, echo) = Echo::new();
            drop(spawn_task(task));
            echo.stopped().await;
        });
    });
}

#[test]
fn tokio_abort_does_not_reach_what_the_task_spawned() {
    watchdog("abort of a parent task", LIMIT, || {
        runtime().block_on(async {
            let (grandchild, echo) = Echo::new();
            let parent = tokio::spawn(async move {
                let _held = tokio::spawn(grandchild);
                pending::<()>().await;
            });
            assert!(echo.answers().await);
            parent.abort();
            assert!(parent.await.unwrap_err().is_cancelled());
            assert!(echo.answers().await, "the grandchild runs on");

            // Ours: the parent's future holds the grandchild's handle; cancelling the parent
            // drops it, which cancels the grandchild.
            let (grandchild, echo) = Echo::new();
            let parent = spawn_task(async move {
                let _held = spawn_task(grandchild);
                pending::<()>().await;
            });
            assert!(echo.answers().await);
            assert_eq!(parent.cancel().await, None);
            echo.stopped().await;
        });
    });
}

#[test]
fn join_set_shutdown_returns_while_what_its_tasks_spawned_still_runs() {
    watchdog("JoinSet shutdown", LIMIT, || {
        runtime().block_on(async {
            // One task fails; the other spawned a task of its own.
            let (grandchild, echo) = Echo::new();
            let mut set = JoinSet::new();
            set.spawn(async move {
                let _held = tokio::spawn(grandchild);
                pending::<Result<(), &str>>().await
            });
            assert!(echo.answers().await);
            set.spawn(async { Err("failed") });
            let first = set.join_next().await.expect("a task").expect("not a panic");
            assert_eq!(first, Err("failed"));
            set.shutdown().await;
            assert!(echo.answers().await, "the grandchild outlives the shutdown");

            // Ours: `join()` returns the error once the grandchild has stopped too, so its
            // guard has sent by then.
            let (grandchild, mut echo) = Echo::new();
            let mut group = TaskGroup::new(Tokio);
            group.spawn(async move {
                let _held = spawn_task(grandchild);
                pending::<Result<(), &str>>().await
            });
            assert!(echo.answers().await);
            group.spawn(async { Err::<(), _>("failed") });
            assert_eq!(group.join().await, Err("failed"));
            assert_eq!(
                echo.dropped.try_recv(),
                Ok(()),
                "stopped before join returned"
            );
        });
    });
}
