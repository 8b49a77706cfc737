//! Spawned-task scenarios that every runtime must pass, written once over [`Spawn`], and the
//! instruments they use: guards counting the task futures still alive, and a ticking loop.
//!
//! Included by the runtime test files (`rt_*.rs`, next to `mod support;`), which run each
//! scenario on their runtime, inside a watchdog, with the runtime alive for the whole check: a
//! runtime that shuts down drops every task, so a check made after that proves nothing.

use std::future::{pending, Future};
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use async_io::Timer;
use cancel_cascade::rt::Spawn;
use cancel_cascade::{select_first, try_join_all_cancel, wait_any, CancelToken, TaskHandle};
use futures::future::BoxFuture;
use futures::FutureExt;

use crate::support::panic_message;

/// Runs `scenario` on a fresh multi-thread tokio runtime (two workers, timers on) that lives
/// until the scenario is done, inside a watchdog of `limit`.
pub(crate) fn on_tokio<F>(
    what: &str,
    limit: Duration,
    scenario: impl FnOnce() -> F + Send + 'static,
) where
    F: std::future::Future<Output = ()>,
{
    crate::support::watchdog(what, limit, move || {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
            .block_on(scenario());
    });
}

/// `millis` milliseconds, for scenarios that sleep a lot.
pub(crate) fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

/// How long a scenario waits for something the runtime does "soon" (drop a cancelled future):
/// generous, since the machine may be busy; the usual wait is well under a millisecond.
pub(crate) const SOON: Duration = Duration::from_secs(5);

/// Counts the guards alive. A task holds a guard in its future, so the count is the number of
/// those futures not dropped yet.
#[derive(Debug, Default)]
pub(crate) struct Alive(AtomicUsize);

impl Alive {
    pub(crate) fn new() -> Arc<Self> {
        Arc::default()
    }

    pub(crate) fn guard(self: &Arc<Self>) -> Guard {
        self.slow_guard(Duration::ZERO)
    }

    /// A guard whose drop takes `delay` before it counts: a slow destructor, to widen the window
    /// in which a wait for it could return too early.
    pub(crate) fn slow_guard(self: &Arc<Self>, delay: Duration) -> Guard {
        self.0.fetch_add(1, Ordering::SeqCst);
        Guard {
            alive: Arc::clone(self),
            delay,
        }
    }

    pub(crate) fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }

    /// Waits until `expected` guards are alive.
    ///
    /// # Panics
    ///
    /// If that takes longer than [`SOON`].
    pub(crate) async fn reaches(&self, expected: usize) {
        let what = format!("{expected} live guards (now {})", self.count());
        eventually(&what, || self.count() == expected).await;
    }
}

/// Alive until dropped; see [`Alive`].
#[derive(Debug)]
pub(crate) struct Guard {
    alive: Arc<Alive>,
    delay: Duration,
}

impl Drop for Guard {
    fn drop(&mut self) {
        if !self.delay.is_zero() {
            std::thread::sleep(self.delay);
        }
        self.alive.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Waits, on any runtime, until `condition` holds.
///
/// # Panics
///
/// If it does not hold within [`SOON`], naming `what`.
pub(crate) async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let start = Instant::now();
    while !condition() {
        assert!(start.elapsed() < SOON, "waited {SOON:?} for {what}");
        Timer::after(Duration::from_millis(1)).await;
    }
}

/// Sleeps on any runtime.
pub(crate) async fn sleep(duration: Duration) {
    Timer::after(duration).await;
}

/// Counts up every millisecond, forever.
pub(crate) async fn tick_forever(ticks: Arc<AtomicUsize>) {
    loop {
        ticks.fetch_add(1, Ordering::SeqCst);
        Timer::after(Duration::from_millis(1)).await;
    }
}

/// Fail-fast over 50 spawned tasks: one fails, the 49 others hold guards and tick. All 49 are
/// dropped soon after the error comes back, and the ticking stops.
pub(crate) async fn fail_fast_over_50_tasks<S: Spawn>(spawner: &S) {
    const FAILING: usize = 31;
    let alive = Alive::new();
    let started = Arc::new(AtomicUsize::new(0));
    let ticks = Arc::new(AtomicUsize::new(0));
    let handles: Vec<TaskHandle<Result<(), String>>> = (0..50)
        .map(|i| {
            if i == FAILING {
                let started = Arc::clone(&started);
                return spawner.spawn_task(async move {
                    // Fail only once every sibling runs, so that each has something to stop.
                    eventually("the siblings to start", || {
                        started.load(Ordering::SeqCst) == 49
                    })
                    .await;
                    Err(format!("task {i} failed"))
                });
            }
            let guard = alive.guard();
            let started = Arc::clone(&started);
            let ticks = Arc::clone(&ticks);
            spawner.spawn_task(async move {
                let _guard = guard;
                started.fetch_add(1, Ordering::SeqCst);
                tick_forever(ticks).await;
                Ok(())
            })
        })
        .collect();
    let outcome = try_join_all_cancel(handles).await;
    assert_eq!(outcome, Err(format!("task {FAILING} failed")));
    alive.reaches(0).await;
    let stopped_at = ticks.load(Ordering::SeqCst);
    sleep(Duration::from_millis(30)).await;
    assert_eq!(
        ticks.load(Ordering::SeqCst),
        stopped_at,
        "a cancelled sibling kept ticking"
    );
}

/// `cancel().await` returns only once the task's future has been dropped, slow destructor
/// included; some rounds cancel before the task started, some while it runs.
pub(crate) async fn cancel_waits_for_the_drop<S: Spawn>(spawner: &S, rounds: usize) {
    let alive = Alive::new();
    for round in 0..rounds {
        let guard = alive.slow_guard(Duration::from_micros((round % 4) as u64 * 50));
        let started = Arc::new(AtomicBool::new(false));
        let running = Arc::clone(&started);
        let task = spawner.spawn_task(async move {
            let _guard = guard;
            running.store(true, Ordering::SeqCst);
            pending::<()>().await
        });
        if round % 2 == 1 {
            eventually("the task to start", || started.load(Ordering::SeqCst)).await;
        }
        assert_eq!(task.cancel().await, None);
        assert_eq!(
            alive.count(),
            0,
            "round {round}: `cancel().await` returned before the task's destructors ran"
        );
    }
}

/// A task that finished gives its output to `cancel()`.
pub(crate) async fn cancel_after_finish_gives_the_output<S: Spawn>(spawner: &S) {
    let task = spawner.spawn_task(async { 7 });
    eventually("the task to finish", || task.is_finished()).await;
    assert_eq!(task.cancel().await, Some(7));
}

/// Dropping a handle cancels its task.
pub(crate) async fn drop_cancels<S: Spawn>(spawner: &S) {
    let alive = Alive::new();
    let ticks = Arc::new(AtomicUsize::new(0));
    let guard = alive.guard();
    let ticking = Arc::clone(&ticks);
    let task = spawner.spawn_task(async move {
        let _guard = guard;
        tick_forever(ticking).await
    });
    eventually("the task to tick", || ticks.load(Ordering::SeqCst) > 0).await;
    assert!(!task.is_finished());
    drop(task);
    alive.reaches(0).await;
}

/// A detached task runs to the end.
pub(crate) async fn detach_lets_it_finish<S: Spawn>(spawner: &S) {
    let alive = Alive::new();
    let guard = alive.guard();
    let (sender, receiver) = mpsc::channel();
    spawner
        .spawn_task(async move {
            let _guard = guard;
            sleep(Duration::from_millis(20)).await;
            sender.send("finished").unwrap();
        })
        .detach();
    alive.reaches(0).await;
    assert_eq!(receiver.try_recv(), Ok("finished"));
}

/// A panic inside a task resumes in whoever awaits its handle, with the task's payload; and in
/// `cancel()`, if the task panicked before it was cancelled.
pub(crate) async fn panic_resumes_in_the_awaiter<S: Spawn>(spawner: &S) {
    let task = spawner.spawn_task(async {
        sleep(Duration::from_millis(5)).await;
        panic!("boom in the task");
    });
    let panic = AssertUnwindSafe(task).catch_unwind().await.unwrap_err();
    assert_eq!(panic_message(panic), "boom in the task");

    let task = spawner.spawn_task(async { panic!("boom before the cancel") });
    eventually("the task to panic", || task.is_finished()).await;
    let panic = AssertUnwindSafe(task.cancel())
        .catch_unwind()
        .await
        .unwrap_err();
    assert_eq!(panic_message(panic), "boom before the cancel");
}

/// `select_first` and `wait_any` over handles: the losers' tasks are cancelled.
pub(crate) async fn select_first_and_wait_any_over_handles<S: Spawn>(spawner: &S) {
    let alive = Alive::new();
    let stuck = |alive: &Arc<Alive>| {
        let guard = alive.guard();
        spawner.spawn_task(async move {
            let _guard = guard;
            pending::<u32>().await
        })
    };
    let quick = spawner.spawn_task(async {
        sleep(Duration::from_millis(5)).await;
        3
    });
    let handles = vec![stuck(&alive), quick, stuck(&alive)];
    assert_eq!(select_first(handles).await, (3, 1));
    alive.reaches(0).await;

    let done = spawner.spawn_task(async { 4 });
    eventually("the task to finish", || done.is_finished()).await;
    let handles = vec![stuck(&alive), stuck(&alive), done];
    assert_eq!(wait_any(handles).await, vec![(2, 4)]);
    alive.reaches(0).await;
}

/// A task whose future holds its children's handles, each holding its own children's:
/// cancelling the top cancels the whole tree.
pub(crate) async fn grandchildren_cancelled_with_their_parent<S>(spawner: &S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    let alive = Alive::new();
    let parent = spawner.spawn_task(family(spawner.clone(), Arc::clone(&alive), 2));
    // 1 parent, 3 children, 9 grandchildren.
    alive.reaches(13).await;
    assert_eq!(parent.cancel().await, None);
    alive.reaches(0).await;
}

/// A task that spawns three tasks like itself, `depth` levels down, and waits forever.
fn family<S>(spawner: S, alive: Arc<Alive>, depth: usize) -> BoxFuture<'static, ()>
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    async move {
        let _guard = alive.guard();
        let _children: Vec<TaskHandle<()>> = if depth == 0 {
            Vec::new()
        } else {
            (0..3)
                .map(|_| spawner.spawn_task(family(spawner.clone(), Arc::clone(&alive), depth - 1)))
                .collect()
        };
        pending::<()>().await
    }
    .boxed()
}

/// One `#[test]` per shared scenario above, named after it: `$run(name, |spawner| scenario)`
/// runs the scenario on the test file's runtime, handing it that runtime's spawner. (Unused by
/// the soak, which includes this file for its instruments only.)
#[allow(unused_macros)]
macro_rules! spawned_task_tests {
    ($run:ident) => {
        $crate::tasks::spawned_task_tests!(@each $run:
            fail_fast_over_50_tasks(),
            cancel_waits_for_the_drop(500),
            cancel_after_finish_gives_the_output(),
            drop_cancels(),
            detach_lets_it_finish(),
            panic_resumes_in_the_awaiter(),
            select_first_and_wait_any_over_handles(),
            grandchildren_cancelled_with_their_parent(),
        );
    };
    (@each $run:ident: $($name:ident($($arg:expr),*),)*) => {
        $(
            #[test]
            fn $name() {
                $run(stringify!($name), |spawner| async move {
                    $crate::tasks::$name(&spawner $(, $arg)*).await
                });
            }
        )*
    };
}

#[allow(unused_imports)]
pub(crate) use spawned_task_tests;

/// One poll with a waker that does nothing: what the branch that lost a `select!` got.
pub(crate) fn poll_once<F: Future>(future: Pin<&mut F>) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(futures::task::noop_waker_ref()))
}

/// A task that waits for `release` and then returns `outcome`, holding a guard of `alive`.
pub(crate) fn waiting_task<T: Send + 'static>(
    alive: &Arc<Alive>,
    release: &CancelToken,
    outcome: Result<T, String>,
) -> impl Future<Output = Result<T, String>> + Send + 'static {
    let (guard, release) = (alive.guard(), release.clone());
    async move {
        let _guard = guard;
        release.cancelled().await;
        outcome
    }
}
