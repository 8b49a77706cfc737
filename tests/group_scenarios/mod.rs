//! The task-group scenarios, written once and run on every runtime by `tests/group_<rt>.rs`.
//!
//! Each scenario takes the runtime's spawner and a `block_on` that drives a future on that
//! runtime, so the group's tasks run on the runtime's worker threads while the test waits.
//! Destructors that sleep make "stopped" observable: a counter is bumped only once a drop has
//! finished, and every check reads it at the moment `join()` (or `shutdown()`) returns.

use std::convert::Infallible;
use std::future::{pending, Future};
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::{Duration, Instant};

use async_io::Timer;
use cancel_cascade::rt::Spawn;
use cancel_cascade::time::{timeout, Elapsed};
use cancel_cascade::TaskGroup;

/// Drives a future to completion on the runtime under test.
pub(crate) type BlockOn = fn(Pin<Box<dyn Future<Output = ()> + Send>>);

/// Every scenario must finish well within this; a lost wake-up fails instead of hanging.
const WATCHDOG: Duration = Duration::from_secs(30);

/// Runs `scenario` on `block_on` with a watchdog.
pub(crate) fn run(block_on: BlockOn, scenario: impl Future<Output = ()> + Send + 'static) {
    let (done, finished) = mpsc::channel();
    let runner = thread::spawn(move || {
        block_on(Box::pin(scenario));
        let _ = done.send(());
    });
    match finished.recv_timeout(WATCHDOG) {
        Ok(()) => runner.join().unwrap(),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            // The scenario panicked: show its message.
            if let Err(panic) = runner.join() {
                std::panic::resume_unwind(panic);
            }
        }
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("scenario still running after {WATCHDOG:?}: a lost wake-up or a leaked task")
        }
    }
}

/// Counts live task futures and destructors that have finished.
#[derive(Default)]
pub(crate) struct Census {
    live: AtomicUsize,
    dropped: AtomicUsize,
}

impl Census {
    pub(crate) fn new() -> Arc<Self> {
        Arc::default()
    }

    /// A guard counted live until its destructor, which takes `drop_takes`, has finished.
    pub(crate) fn guard(self: &Arc<Self>, drop_takes: Duration) -> Guard {
        self.live.fetch_add(1, Ordering::SeqCst);
        Guard {
            census: Arc::clone(self),
            drop_takes,
        }
    }

    pub(crate) fn live(&self) -> usize {
        self.live.load(Ordering::SeqCst)
    }

    pub(crate) fn dropped(&self) -> usize {
        self.dropped.load(Ordering::SeqCst)
    }
}

pub(crate) struct Guard {
    census: Arc<Census>,
    drop_takes: Duration,
}

impl Drop for Guard {
    fn drop(&mut self) {
        thread::sleep(self.drop_takes);
        self.census.dropped.fetch_add(1, Ordering::SeqCst);
        self.census.live.fetch_sub(1, Ordering::SeqCst);
    }
}

const SLOW_DROP: Duration = Duration::from_millis(30);
const SOON: Duration = Duration::from_millis(20);

async fn fail_soon(message: &'static str) -> Result<Infallible, &'static str> {
    Timer::after(SOON).await;
    Err(message)
}

/// 20 tasks whose guards take 30 ms to drop; one fails: when `join()` returns, all 19 other
/// guards have finished dropping.
pub(crate) async fn quiescence_with_slow_destructors<S: Spawn + Send + Sync + 'static>(spawner: S) {
    let census = Census::new();
    let mut group = TaskGroup::new(spawner);
    for _ in 0..19 {
        let guard = census.guard(SLOW_DROP);
        group.spawn(async move {
            let _guard = guard;
            pending::<Result<(), &str>>().await
        });
    }
    group.spawn(async { fail_soon("boom").await.map(|_| ()) });
    assert_eq!(group.join().await, Err("boom"));
    assert_eq!(
        census.dropped(),
        19,
        "join returned before every destructor finished"
    );
    assert_eq!(census.live(), 0);
}

/// Each task holds a `TaskHandle` of a child that holds one of a grandchild, with slow guards
/// at both levels: `join()` waits for the whole tree.
pub(crate) async fn transitive_two_levels<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    let census = Census::new();
    let mut group = TaskGroup::new(spawner.clone());
    for _ in 0..5 {
        let (census, spawner) = (Arc::clone(&census), spawner.clone());
        group.spawn(async move {
            let child_census = Arc::clone(&census);
            let child_spawner = spawner.clone();
            let child = spawner.spawn_task(async move {
                let guard = child_census.guard(SLOW_DROP);
                let grandchild_guard = child_census.guard(SLOW_DROP);
                let grandchild = child_spawner.spawn_task(async move {
                    let _guard = grandchild_guard;
                    pending::<()>().await
                });
                let _keep = (guard, grandchild);
                pending::<()>().await
            });
            let _keep = child;
            pending::<Result<(), &str>>().await
        });
    }
    // Let the children and grandchildren start before the failure.
    group.spawn(async {
        Timer::after(Duration::from_millis(100)).await;
        Err::<(), _>("boom")
    });
    assert_eq!(group.join().await, Err("boom"));
    assert_eq!(
        census.dropped(),
        10,
        "a child or grandchild was still stopping"
    );
    assert_eq!(census.live(), 0);
}

/// With a grace period, tasks that await the token run their async cleanup before `join()`
/// returns; without one, they are dropped at once and the cleanup never runs.
pub(crate) async fn graceful_cleanup_only_with_a_grace_period<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    for grace_period in [Some(Duration::from_secs(5)), None] {
        let cleaned = Arc::new(AtomicUsize::new(0));
        let mut group = TaskGroup::new(spawner.clone());
        if let Some(grace_period) = grace_period {
            group = group.with_grace_period(grace_period);
        }
        for _ in 0..5 {
            let (token, cleaned) = (group.token(), Arc::clone(&cleaned));
            group.spawn(async move {
                token.cancelled().await;
                // The "rollback coroutine": async work after the cancellation.
                Timer::after(Duration::from_millis(10)).await;
                cleaned.fetch_add(1, Ordering::SeqCst);
                Ok(())
            });
        }
        group.spawn(async { fail_soon("boom").await.map(|_| ()) });
        let started = Instant::now();
        assert_eq!(group.join().await, Err("boom"));
        let expected = if grace_period.is_some() { 5 } else { 0 };
        assert_eq!(cleaned.load(Ordering::SeqCst), expected, "{grace_period:?}");
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "the cleanup did not end the wait"
        );
    }
}

/// A task that ignores the token is dropped when the grace period is over, not before.
pub(crate) async fn ignoring_the_token_ends_with_the_grace_period<S>(spawner: S)
where
    S: Spawn + Send + Sync + 'static,
{
    let grace_period = Duration::from_millis(150);
    let census = Census::new();
    let mut group = TaskGroup::new(spawner).with_grace_period(grace_period);
    let guard = census.guard(Duration::ZERO);
    group.spawn(async move {
        let _guard = guard;
        pending::<Result<(), &str>>().await
    });
    let failed_at = Arc::new(std::sync::Mutex::new(None));
    let failure_time = Arc::clone(&failed_at);
    group.spawn(async move {
        Timer::after(SOON).await;
        *failure_time.lock().unwrap() = Some(Instant::now());
        Err::<(), _>("boom")
    });
    assert_eq!(group.join().await, Err("boom"));
    let waited = failed_at.lock().unwrap().unwrap().elapsed();
    assert_eq!(census.dropped(), 1);
    assert!(
        waited >= grace_period,
        "dropped after {waited:?}, before the grace period"
    );
}

/// `shutdown()` cancels every task and returns once they all stopped; outputs of tasks that
/// finished before are kept.
pub(crate) async fn shutdown_cancels_and_waits<S: Spawn + Send + Sync + 'static>(spawner: S) {
    let census = Census::new();
    let mut group = TaskGroup::<S, &str>::new(spawner);
    let ran = Arc::new(AtomicUsize::new(0));
    let ran_in_task = Arc::clone(&ran);
    let finished = group.spawn(async move {
        ran_in_task.store(1, Ordering::SeqCst);
        Ok(7)
    });
    for _ in 0..10 {
        let guard = census.guard(SLOW_DROP);
        group.spawn(async move {
            let _guard = guard;
            pending::<Result<(), &str>>().await
        });
    }
    // Other tests' slow destructors may hold the executor's threads: wait until it ran.
    while ran.load(Ordering::SeqCst) == 0 {
        Timer::after(Duration::from_millis(1)).await;
    }
    group.shutdown().await.unwrap();
    assert_eq!(census.dropped(), 10);
    assert_eq!(finished.await, Some(7));
}

/// Dropping the group cancels its tasks without waiting for them.
pub(crate) async fn dropping_the_group_cancels<S: Spawn + Send + Sync + 'static>(spawner: S) {
    let census = Census::new();
    let mut group = TaskGroup::<S, &str>::new(spawner);
    let mut outputs = Vec::new();
    for _ in 0..10 {
        let guard = census.guard(Duration::ZERO);
        outputs.push(group.spawn(async move {
            let _guard = guard;
            pending::<Result<(), &str>>().await
        }));
    }
    Timer::after(SOON).await;
    drop(group);
    let deadline = Instant::now() + Duration::from_secs(10);
    while census.dropped() < 10 {
        assert!(
            Instant::now() < deadline,
            "tasks still alive after the group was dropped"
        );
        Timer::after(Duration::from_millis(5)).await;
    }
    for output in outputs {
        assert_eq!(output.await, None, "a cancelled task has no output");
    }
}

/// A task runs a group of its own whose task fails: the inner group stops its tasks, the outer
/// task fails with that error, and the outer group stops everything, at both levels.
pub(crate) async fn nested_groups_where_the_inner_one_fails<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    let census = Census::new();
    let mut outer = TaskGroup::new(spawner.clone());
    for _ in 0..3 {
        let guard = census.guard(SLOW_DROP);
        outer.spawn(async move {
            let _guard = guard;
            pending::<Result<(), &str>>().await
        });
    }
    let (inner_census, inner_spawner) = (Arc::clone(&census), spawner.clone());
    outer.spawn(async move {
        let mut inner = TaskGroup::new(inner_spawner);
        for _ in 0..3 {
            let guard = inner_census.guard(SLOW_DROP);
            inner.spawn(async move {
                let _guard = guard;
                pending::<Result<(), &str>>().await
            });
        }
        inner.spawn(async { fail_soon("inner boom").await.map(|_| ()) });
        inner.join().await?;
        Ok(())
    });
    assert_eq!(outer.join().await, Err("inner boom"));
    assert_eq!(census.dropped(), 6);
    assert_eq!(census.live(), 0);
}

/// A successful join: every output is there, and no task (nor anything it spawned) is alive.
pub(crate) async fn no_task_outlives_a_group_that_returned<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    let census = Census::new();
    let mut group = TaskGroup::<S, &str>::new(spawner.clone());
    let mut outputs = Vec::new();
    for i in 0..20u32 {
        let (census, spawner) = (Arc::clone(&census), spawner.clone());
        outputs.push(group.spawn(async move {
            let guard = census.guard(SLOW_DROP);
            // A helper task whose handle is dropped when this task returns: cancelled, and
            // waited for by the group.
            let helper_guard = census.guard(SLOW_DROP);
            let _helper = spawner.spawn_task(async move {
                let _guard = helper_guard;
                pending::<()>().await
            });
            Timer::after(Duration::from_millis(u64::from(i % 5))).await;
            drop(guard);
            Ok(i)
        }));
    }
    assert_eq!(group.join().await, Ok(()));
    assert_eq!(census.live(), 0, "a task or its helper outlived the group");
    assert_eq!(census.dropped(), 40);
    for (i, output) in outputs.into_iter().enumerate() {
        assert_eq!(output.await, Some(i as u32));
    }
}

/// A panicking task: the others are stopped, then `join()` resumes the panic.
pub(crate) async fn a_panic_resumes_in_join_after_the_others_stopped<S>(spawner: S)
where
    S: Spawn + Send + Sync + 'static,
{
    let census = Census::new();
    let mut group = TaskGroup::<S, &str>::new(spawner);
    for _ in 0..5 {
        let guard = census.guard(SLOW_DROP);
        group.spawn(async move {
            let _guard = guard;
            pending::<Result<(), &str>>().await
        });
    }
    group.spawn(async {
        Timer::after(SOON).await;
        panic!("task panicked on purpose");
        #[allow(unreachable_code)]
        Ok(())
    });
    let joined = AssertUnwindSafe(group.join());
    let panic = futures::FutureExt::catch_unwind(joined)
        .await
        .expect_err("join resumes the task's panic");
    assert_eq!(
        panic.downcast_ref::<&str>(),
        Some(&"task panicked on purpose")
    );
    assert_eq!(
        census.dropped(),
        5,
        "the panic came back before the others stopped"
    );
}

/// Timeouts that fire drop the inner future before returning; timeouts that do not fire give
/// the output.
pub(crate) async fn timeouts_fire_and_do_not() {
    let census = Census::new();
    let guard = census.guard(Duration::ZERO);
    let slow = async move {
        let _guard = guard;
        pending::<()>().await
    };
    assert_eq!(timeout(Duration::from_millis(30), slow).await, Err(Elapsed));
    assert_eq!(census.dropped(), 1, "the timed-out future was not dropped");
    let quick = timeout(Duration::from_secs(10), async {
        Timer::after(Duration::from_millis(5)).await;
        "in time"
    });
    assert_eq!(quick.await, Ok("in time"));
}

/// A future that counts its polls and never completes, holding a guard.
pub(crate) fn counted_pending<T>(
    polls: &Arc<AtomicUsize>,
    guard: Guard,
) -> impl Future<Output = Result<T, &'static str>> + Send + 'static {
    let polls = Arc::clone(polls);
    std::future::poll_fn(move |_| {
        let _keep = &guard;
        polls.fetch_add(1, Ordering::SeqCst);
        Poll::Pending
    })
}

/// A waker that runs `on_wake` (once) on the thread that wakes it: code that re-enters the
/// group from inside the token's cancellation.
struct ReenteringWaker(Mutex<Option<Box<dyn FnOnce() + Send>>>);

impl Wake for ReenteringWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let on_wake = self.0.lock().unwrap().take();
        if let Some(on_wake) = on_wake {
            on_wake();
        }
    }
}

/// Issue 9, point 2: a task spawned when the group's token wakes its waiters after a failure
/// (no grace period) is never polled. The spawn happens inside the token's wake-up, on the
/// failing task's thread, and the waker then lingers, so a task admitted there would have all
/// the time it needs to run before the group stops it.
pub(crate) async fn a_task_spawned_after_a_failure_is_never_polled<S>(spawner: S)
where
    S: Spawn + Send + Sync + 'static,
{
    const LATE_TASKS: usize = 3;
    let group = Arc::new(Mutex::new(Some(TaskGroup::<S, &str>::new(spawner))));
    let token = group.lock().unwrap().as_ref().unwrap().token();
    let census = Census::new();
    let late_polls = Arc::new(AtomicUsize::new(0));
    let late_output = Arc::new(Mutex::new(Vec::new()));
    let on_wake = {
        let (group, census) = (Arc::clone(&group), Arc::clone(&census));
        let (late_polls, late_output) = (Arc::clone(&late_polls), Arc::clone(&late_output));
        move || {
            // Several: a runtime may keep the latest spawn in a slot other workers cannot
            // steal from, while this thread is busy here.
            for _ in 0..LATE_TASKS {
                let late = counted_pending::<()>(&late_polls, census.guard(Duration::ZERO));
                let output = group.lock().unwrap().as_mut().unwrap().spawn(late);
                late_output.lock().unwrap().push(output);
            }
            // Time for another worker to poll a late task, were it admitted.
            thread::sleep(Duration::from_millis(30));
        }
    };
    let reentering = Waker::from(Arc::new(ReenteringWaker(Mutex::new(Some(Box::new(
        on_wake,
    ))))));
    let mut first_waiter = Box::pin(token.cancelled());
    assert!(first_waiter
        .as_mut()
        .poll(&mut Context::from_waker(&reentering))
        .is_pending());
    group
        .lock()
        .unwrap()
        .as_mut()
        .unwrap()
        .spawn(async { fail_soon("boom").await.map(|_| ()) });
    // Woken after the re-entering waker, which registered first.
    token.cancelled().await;
    let mut group = group.lock().unwrap().take().unwrap();
    assert_eq!(group.join().await, Err("boom"));
    assert_eq!(
        late_polls.load(Ordering::SeqCst),
        0,
        "the late task was polled"
    );
    assert_eq!(
        census.dropped(),
        LATE_TASKS,
        "a late future was not dropped"
    );
    let outputs = std::mem::take(&mut *late_output.lock().unwrap());
    assert_eq!(outputs.len(), LATE_TASKS, "the late spawns ran");
    for output in outputs {
        assert_eq!(output.await, None);
    }
    drop(first_waiter);
}

/// A crawler: each task spawns more tasks into its own group through a `GroupSpawner`, three
/// levels deep, and returns before they do; `join` waits for every one of them.
pub(crate) async fn tasks_spawned_from_inside_are_waited_for<S>(spawner: S)
where
    S: Spawn + Send + Sync + 'static,
{
    // Not an `async fn`: a recursive spawn needs the future's `Send` spelled out.
    #[allow(clippy::manual_async_fn)]
    fn crawl<S: Spawn + Send + Sync + 'static>(
        spawner: cancel_cascade::GroupSpawner<S, &'static str>,
        census: Arc<Census>,
        depth: u32,
    ) -> impl Future<Output = Result<(), &'static str>> + Send + 'static {
        async move {
            let guard = census.guard(SLOW_DROP);
            if depth < 3 {
                for _ in 0..2 {
                    spawner.spawn(crawl(spawner.clone(), Arc::clone(&census), depth + 1));
                }
            }
            Timer::after(Duration::from_millis(5)).await;
            drop(guard);
            Ok(())
        }
    }
    let census = Census::new();
    let mut group = TaskGroup::new(spawner);
    let root = crawl(group.spawner(), Arc::clone(&census), 0);
    group.spawn(root);
    assert_eq!(group.join().await, Ok(()));
    // 1 + 2 + 4 + 8 tasks.
    assert_eq!(
        census.dropped(),
        15,
        "join returned before a spawned task stopped"
    );
    assert_eq!(census.live(), 0);
}

/// A `GroupSpawner` into a group that is cancelling, or that has finished, drops the future
/// unpolled, and its `GroupTask` gives `None`.
pub(crate) async fn spawning_into_a_closed_group_drops_the_future_unpolled<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    let census = Census::new();
    let polls = Arc::new(AtomicUsize::new(0));

    let mut group = TaskGroup::<S, &str>::new(spawner.clone());
    let inside = group.spawner();
    assert!(inside.is_open());
    group.spawn(async { Ok(()) });
    assert_eq!(group.join().await, Ok(()));
    assert!(!inside.is_open());
    let late = inside.spawn(counted_pending::<()>(&polls, census.guard(Duration::ZERO)));
    assert_eq!(census.dropped(), 1, "dropped at once, by spawn");
    assert_eq!(late.await, None);

    let mut group = TaskGroup::<S, &str>::new(spawner).with_grace_period(Duration::from_secs(10));
    let inside = group.spawner();
    group.spawn(async { Err::<(), _>("boom") });
    group.token().cancelled().await;
    let late = inside.spawn(counted_pending::<()>(&polls, census.guard(Duration::ZERO)));
    assert_eq!(
        census.dropped(),
        2,
        "dropped at once, even during the grace period"
    );
    assert_eq!(late.await, None);
    assert_eq!(group.join().await, Err("boom"));
    assert_eq!(polls.load(Ordering::SeqCst), 0);
}

/// Issue 9, point 2, through a `GroupSpawner`, over many rounds: tasks woken by the token
/// after a failure spawn into the group; none of those late tasks is ever polled.
pub(crate) async fn tasks_woken_by_the_failure_never_get_a_late_task_polled<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    let rounds = if cfg!(miri) { 2 } else { 100 };
    let late_polls = Arc::new(AtomicUsize::new(0));
    for _ in 0..rounds {
        let census = Census::new();
        let mut group = TaskGroup::<S, &str>::new(spawner.clone());
        for _ in 0..4 {
            let (token, inside) = (group.token(), group.spawner());
            let (late_polls, census) = (Arc::clone(&late_polls), Arc::clone(&census));
            group.spawn(async move {
                token.cancelled().await;
                inside.spawn(counted_pending::<()>(
                    &late_polls,
                    census.guard(Duration::ZERO),
                ));
                Ok(())
            });
        }
        group.spawn(async { Err::<(), _>("boom") });
        assert_eq!(group.join().await, Err("boom"));
        assert_eq!(census.live(), 0);
    }
    assert_eq!(
        late_polls.load(Ordering::SeqCst),
        0,
        "a late task was polled"
    );
}

/// `cancel()` starts the cancellation without waiting and without an error: tasks clean up
/// within the grace period and `join` returns `Ok(())`, unless a task fails while cancelling.
pub(crate) async fn cancel_then_join_reports_no_error<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    let census = Census::new();
    let cleaned = Arc::new(AtomicUsize::new(0));
    let mut group =
        TaskGroup::<S, &str>::new(spawner.clone()).with_grace_period(Duration::from_secs(10));
    for _ in 0..5 {
        let (token, cleaned, guard) =
            (group.token(), Arc::clone(&cleaned), census.guard(SLOW_DROP));
        group.spawn(async move {
            let _guard = guard;
            token.cancelled().await;
            Timer::after(Duration::from_millis(5)).await;
            cleaned.fetch_add(1, Ordering::SeqCst);
            Ok(())
        });
    }
    group.cancel();
    group.cancel();
    assert!(group.token().is_cancelled(), "cancel starts at once");
    assert_eq!(group.join().await, Ok(()));
    assert_eq!(cleaned.load(Ordering::SeqCst), 5);
    assert_eq!(census.dropped(), 5);

    let mut group = TaskGroup::<S, &str>::new(spawner).with_grace_period(Duration::from_secs(10));
    let token = group.token();
    group.spawn(async move {
        token.cancelled().await;
        Err::<(), _>("rollback failed")
    });
    group.cancel();
    assert_eq!(group.join().await, Err("rollback failed"));
}

/// `shutdown()` returns the first error, whether a task returned it before the shutdown or
/// during its grace period.
pub(crate) async fn shutdown_returns_the_first_error<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    let mut group = TaskGroup::<S, &str>::new(spawner.clone());
    let failed = group.token();
    group.spawn(async { Err::<(), _>("before") });
    failed.cancelled().await;
    assert_eq!(group.shutdown().await, Err("before"));

    let mut group = TaskGroup::<S, &str>::new(spawner).with_grace_period(Duration::from_secs(10));
    let token = group.token();
    group.spawn(async move {
        token.cancelled().await;
        Err::<(), _>("during")
    });
    group.spawn(async { Ok(()) });
    assert_eq!(group.shutdown().await, Err("during"));
}

/// `join_all_errors` gives every error: the first one first, then those returned during the
/// grace period; a panic still resumes.
pub(crate) async fn every_error_first_one_first<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    let mut group =
        TaskGroup::<S, String>::new(spawner.clone()).with_grace_period(Duration::from_secs(10));
    for i in 0..3 {
        let token = group.token();
        group.spawn(async move {
            token.cancelled().await;
            Timer::after(Duration::from_millis(10 * (i + 1))).await;
            Err::<(), _>(format!("cleanup {i}"))
        });
    }
    group.spawn(async { Ok(()) });
    group.spawn(async {
        Timer::after(SOON).await;
        Err::<(), _>("first".to_string())
    });
    let errors = group.join_all_errors().await.unwrap_err();
    assert_eq!(errors.first(), "first");
    assert_eq!(errors.len(), 4);
    let mut errors = errors.into_vec();
    assert_eq!(errors[0], "first");
    // The cleanups' timers are only spread out: on a busy machine two may fire together.
    errors[1..].sort();
    assert_eq!(errors, ["first", "cleanup 0", "cleanup 1", "cleanup 2"]);

    let mut group = TaskGroup::<S, String>::new(spawner.clone());
    group.spawn(async { Ok(()) });
    assert_eq!(group.join_all_errors().await, Ok(()));

    let mut group = TaskGroup::<S, String>::new(spawner);
    group.spawn(async { Err::<(), _>("an error".to_string()) });
    group.spawn(async {
        Timer::after(SOON).await;
        panic!("a panic after the error");
        #[allow(unreachable_code)]
        Ok(())
    });
    // Without a grace period the panicking task may be dropped before it panics: only check
    // that whatever comes back is one of the two.
    match futures::FutureExt::catch_unwind(AssertUnwindSafe(group.join_all_errors())).await {
        Ok(errors) => assert_eq!(errors.unwrap_err().into_vec(), ["an error"]),
        Err(panic) => assert_eq!(
            panic.downcast_ref::<&str>(),
            Some(&"a panic after the error")
        ),
    }
}

/// `GroupTask::cancel` stops one task and everything it spawned, without failing the group,
/// and resolves only once they have stopped; dropping a `GroupTask` cancels nothing.
pub(crate) async fn cancelling_one_task_waits_for_it_and_spares_the_group<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    let census = Census::new();
    let mut group = TaskGroup::<S, &str>::new(spawner.clone());
    let (task_census, task_spawner) = (Arc::clone(&census), spawner.clone());
    let started = Arc::new(AtomicUsize::new(0));
    let task_started = Arc::clone(&started);
    let victim = group.spawn(async move {
        let guard = task_census.guard(SLOW_DROP);
        let child_guard = task_census.guard(SLOW_DROP);
        let _child = task_spawner.spawn_task(async move {
            let _guard = child_guard;
            pending::<()>().await
        });
        task_started.store(1, Ordering::SeqCst);
        let _keep = guard;
        pending::<Result<u32, &str>>().await
    });
    let survivor = group.spawn(async move {
        Timer::after(Duration::from_millis(50)).await;
        Ok(2)
    });
    // Dropped: the task runs on.
    let finished_early = group.spawn(async { Ok(3) });
    let dropped_handle = group.spawn(async {
        Timer::after(Duration::from_millis(20)).await;
        Ok(4)
    });
    drop(dropped_handle);
    while started.load(Ordering::SeqCst) == 0 {
        Timer::after(Duration::from_millis(1)).await;
    }
    assert_eq!(victim.cancel().await, None);
    assert_eq!(
        census.dropped(),
        2,
        "cancel returned before the task and its child stopped"
    );
    Timer::after(Duration::from_millis(30)).await;
    assert_eq!(
        finished_early.cancel().await,
        Some(3),
        "an output already there is kept"
    );
    assert!(!group.token().is_cancelled(), "the group goes on");
    assert_eq!(group.join().await, Ok(()));
    assert_eq!(survivor.await, Some(2));
    assert_eq!(census.live(), 0);
}

/// A deadline for the whole group: when it passes the group cancels (grace period included),
/// waits until every task and what it spawned has stopped, and says the deadline passed.
pub(crate) async fn a_deadline_cancels_waits_and_says_so<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    let census = Census::new();
    let cleaned = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_millis(50);
    let mut group = TaskGroup::<S, &str>::new(spawner.clone())
        .with_deadline(deadline)
        .with_grace_period(Duration::from_secs(10));
    for _ in 0..3 {
        let (token, cleaned) = (group.token(), Arc::clone(&cleaned));
        let (guard, child_guard) = (census.guard(SLOW_DROP), census.guard(SLOW_DROP));
        let child_spawner = spawner.clone();
        group.spawn(async move {
            let _guard = guard;
            let _child = child_spawner.spawn_task(async move {
                let _guard = child_guard;
                pending::<()>().await
            });
            token.cancelled().await;
            Timer::after(Duration::from_millis(5)).await;
            cleaned.fetch_add(1, Ordering::SeqCst);
            Ok(())
        });
    }
    let quick = group.spawn(async { Ok(1) });
    assert_eq!(
        group.join_outcome().await,
        Ok(cancel_cascade::GroupOutcome::DeadlinePassed)
    );
    assert!(Instant::now() >= deadline, "cancelled before the deadline");
    assert_eq!(
        cleaned.load(Ordering::SeqCst),
        3,
        "the grace period was skipped"
    );
    assert_eq!(
        census.dropped(),
        6,
        "a task or its child outlived the group"
    );
    assert_eq!(quick.await, Some(1));

    // A deadline that does not pass changes nothing; `cancel` is told apart.
    let mut group =
        TaskGroup::<S, &str>::new(spawner.clone()).with_timeout(Duration::from_secs(60));
    group.spawn(async { Ok(()) });
    assert_eq!(
        group.join_outcome().await,
        Ok(cancel_cascade::GroupOutcome::Finished)
    );
    let mut group = TaskGroup::<S, &str>::new(spawner.clone());
    group.spawn(pending::<Result<(), &str>>());
    group.cancel();
    assert_eq!(
        group.join_outcome().await,
        Ok(cancel_cascade::GroupOutcome::Cancelled)
    );

    // An error during the grace period that the deadline started wins; `join` says `Ok` for a
    // deadline without an error.
    let mut group = TaskGroup::<S, &str>::new(spawner.clone())
        .with_timeout(Duration::from_millis(20))
        .with_grace_period(Duration::from_secs(10));
    let token = group.token();
    group.spawn(async move {
        token.cancelled().await;
        Err::<(), _>("rollback failed")
    });
    assert_eq!(group.join_outcome().await, Err("rollback failed"));
    let mut group = TaskGroup::<S, &str>::new(spawner).with_timeout(Duration::from_millis(20));
    group.spawn(pending::<Result<(), &str>>());
    assert_eq!(group.join().await, Ok(()));
}

/// Counts the tasks running at once and the most ever seen.
#[derive(Default)]
pub(crate) struct Concurrency {
    running: AtomicUsize,
    most: AtomicUsize,
}

impl Concurrency {
    pub(crate) fn enter(self: &Arc<Self>) -> impl Drop {
        struct Leave(Arc<Concurrency>);
        impl Drop for Leave {
            fn drop(&mut self) {
                self.0.running.fetch_sub(1, Ordering::SeqCst);
            }
        }
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
        Leave(Arc::clone(self))
    }

    pub(crate) fn most(&self) -> usize {
        self.most.load(Ordering::SeqCst)
    }
}

/// `with_limit(n)`: `spawn` never blocks, at most `n` tasks run at once, and with a limit of
/// one they run in spawn order.
pub(crate) async fn a_limit_bounds_the_tasks_running_at_once<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    let concurrency = Arc::new(Concurrency::default());
    let mut group = TaskGroup::<S, &str>::new(spawner.clone()).with_limit(3);
    let outputs: Vec<_> = (0..30u32)
        .map(|i| {
            let concurrency = Arc::clone(&concurrency);
            group.spawn(async move {
                let _running = concurrency.enter();
                Timer::after(Duration::from_millis(2)).await;
                Ok(i)
            })
        })
        .collect();
    assert_eq!(group.join().await, Ok(()));
    assert!(
        concurrency.most() <= 3,
        "{} ran at once",
        concurrency.most()
    );
    for (i, output) in outputs.into_iter().enumerate() {
        assert_eq!(output.await, Some(i as u32));
    }

    let order = Arc::new(Mutex::new(Vec::new()));
    let mut group = TaskGroup::<S, &str>::new(spawner).with_limit(1);
    for i in 0..10 {
        let order = Arc::clone(&order);
        group.spawn(async move {
            order.lock().unwrap().push(i);
            Timer::after(Duration::from_millis(1)).await;
            Ok(())
        });
    }
    assert_eq!(group.join().await, Ok(()));
    assert_eq!(*order.lock().unwrap(), (0..10).collect::<Vec<_>>());
}

/// Tasks waiting for a slot when the group cancels are dropped unpolled, at once (woken to drop
/// their futures, long before the grace period ends); a failing task starts none of them.
pub(crate) async fn tasks_waiting_for_a_slot_are_dropped_unpolled_on_cancel<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    for grace_period in [None, Some(Duration::from_secs(10))] {
        let census = Census::new();
        let polls = Arc::new(AtomicUsize::new(0));
        let mut group = TaskGroup::<S, &str>::new(spawner.clone()).with_limit(2);
        if let Some(grace_period) = grace_period {
            group = group.with_grace_period(grace_period);
        }
        let token = group.token();
        let running_census = Census::new();
        let running_guard = running_census.guard(Duration::ZERO);
        group.spawn(async move {
            let _guard = running_guard;
            // Stops as soon as the group cancels, grace period or not.
            token.cancelled().await;
            Ok(())
        });
        group.spawn(async { fail_soon("boom").await.map(|_| ()) });
        let queued: Vec<_> = (0..10)
            .map(|_| group.spawn(counted_pending::<()>(&polls, census.guard(SLOW_DROP))))
            .collect();
        let token = group.token();
        token.cancelled().await;
        // Woken by the cancellation, each drops its future at its next poll, unpolled: well
        // before the grace period is over (and before `join` is called).
        let cancelled = Instant::now();
        while census.dropped() < 10 {
            assert!(
                cancelled.elapsed() < Duration::from_secs(5),
                "{grace_period:?}: {} of the 10 queued tasks dropped after the group cancelled",
                census.dropped()
            );
            Timer::after(Duration::from_millis(1)).await;
        }
        assert_eq!(group.join().await, Err("boom"));
        assert_eq!(polls.load(Ordering::SeqCst), 0, "{grace_period:?}");
        assert_eq!(census.live() + running_census.live(), 0);
        for output in queued {
            assert_eq!(output.await, None);
        }
    }
}

/// A producer that awaits `ready()` before each spawn never queues: at most `n` run, and
/// `ready` returns at once in a cancelled group.
pub(crate) async fn a_producer_waits_for_a_free_slot<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    let concurrency = Arc::new(Concurrency::default());
    let mut group = TaskGroup::<S, &str>::new(spawner.clone()).with_limit(2);
    let spawner_inside = group.spawner();
    let produced = Arc::new(AtomicUsize::new(0));
    let (producer_concurrency, producer_count) = (Arc::clone(&concurrency), Arc::clone(&produced));
    // The producer is a task of the group, and takes a slot of its own.
    group.spawn(async move {
        for _ in 0..20 {
            spawner_inside.ready().await;
            let concurrency = Arc::clone(&producer_concurrency);
            spawner_inside.spawn(async move {
                let _running = concurrency.enter();
                Timer::after(Duration::from_millis(1)).await;
                Ok(())
            });
            producer_count.fetch_add(1, Ordering::SeqCst);
        }
        Ok(())
    });
    assert_eq!(group.join().await, Ok(()));
    assert_eq!(produced.load(Ordering::SeqCst), 20);
    assert!(
        concurrency.most() <= 1,
        "the producer holds one of the two slots"
    );

    let mut group = TaskGroup::<S, &str>::new(spawner).with_limit(1);
    group.spawn(pending::<Result<(), &str>>());
    group.cancel();
    group.ready().await;
    assert_eq!(group.join().await, Ok(()));
}

/// A `TaskSet` gives outputs in the order the tasks completed, while tasks keep being added;
/// `None` once nothing runs, and more spawns after that are read too. Nothing is lost.
pub(crate) async fn a_set_gives_outputs_as_they_complete<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    use futures::channel::oneshot;
    let mut set = cancel_cascade::TaskSet::<S, u32, &str>::new(spawner.clone());
    let mut openers = Vec::new();
    for i in 0..4u32 {
        let (open, opened) = oneshot::channel::<()>();
        openers.push(open);
        set.spawn(async move {
            opened.await.unwrap();
            Ok(i)
        });
    }
    for i in [2, 0, 3, 1] {
        openers[i].take_ok_send();
        assert_eq!(set.join_next().await, Some(Ok(i as u32)));
        // Added while reading.
        set.spawn(async move { Ok(100 + i as u32) });
        assert_eq!(set.join_next().await, Some(Ok(100 + i as u32)));
    }
    assert_eq!(set.join_next().await, None);
    set.spawn(async { Ok(7) });
    assert_eq!(set.join_next().await, Some(Ok(7)));
    assert_eq!(set.join_next().await, None);

    // Many at once, from many threads: each output exactly once.
    let mut set = cancel_cascade::TaskSet::<S, u32, &str>::new(spawner);
    for i in 0..200 {
        set.spawn(async move { Ok(i) });
    }
    let mut seen = Vec::new();
    while let Some(output) = set.join_next().await {
        seen.push(output.unwrap());
    }
    seen.sort_unstable();
    assert_eq!(seen, (0..200).collect::<Vec<_>>());
}

trait TakeOkSend {
    fn take_ok_send(&mut self);
}

impl TakeOkSend for futures::channel::oneshot::Sender<()> {
    fn take_ok_send(&mut self) {
        let (replacement, _) = futures::channel::oneshot::channel();
        let sender = std::mem::replace(self, replacement);
        sender.send(()).unwrap();
    }
}

/// A failing task in a `TaskSet`: the others are cancelled, outputs read before stay read,
/// outputs that completed before come first, the error comes once every task (and child) has
/// stopped, then `None`; a spawn after that is dropped unpolled.
pub(crate) async fn a_set_fails_fast_and_waits<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    let census = Census::new();
    let mut set = cancel_cascade::TaskSet::<S, u32, &str>::new(spawner.clone());
    set.spawn(async { Ok(1) });
    assert_eq!(set.join_next().await, Some(Ok(1)));
    for _ in 0..5 {
        let (guard, child_guard) = (census.guard(SLOW_DROP), census.guard(SLOW_DROP));
        let child_spawner = spawner.clone();
        set.spawn(async move {
            let _guard = guard;
            let _child = child_spawner.spawn_task(async move {
                let _guard = child_guard;
                pending::<()>().await
            });
            pending().await
        });
    }
    set.spawn(async { Ok(2) });
    set.spawn(async {
        Timer::after(Duration::from_millis(50)).await;
        Err("boom")
    });
    assert_eq!(set.join_next().await, Some(Ok(2)));
    assert_eq!(set.join_next().await, Some(Err("boom")));
    assert_eq!(
        census.dropped(),
        10,
        "the error came before every task stopped"
    );
    assert_eq!(set.join_next().await, None);
    let polls = Arc::new(AtomicUsize::new(0));
    set.spawn(counted_pending(&polls, census.guard(Duration::ZERO)));
    assert_eq!(set.join_next().await, None);
    assert_eq!(polls.load(Ordering::SeqCst), 0);
    assert_eq!(census.live(), 0);
}

/// `TaskSet::cancel` with a grace period: the workers drain and their last outputs are read,
/// then `None`; dropping a set cancels its tasks.
pub(crate) async fn a_set_drains_on_cancel_and_cancels_on_drop<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    let mut set = cancel_cascade::TaskSet::<S, &str, &str>::new(spawner.clone())
        .with_grace_period(Duration::from_secs(10));
    for _ in 0..3 {
        let token = set.token();
        set.spawn(async move {
            token.cancelled().await;
            Timer::after(Duration::from_millis(5)).await;
            Ok("drained")
        });
    }
    set.cancel();
    for _ in 0..3 {
        assert_eq!(set.join_next().await, Some(Ok("drained")));
    }
    assert_eq!(set.join_next().await, None);

    let census = Census::new();
    let mut set = cancel_cascade::TaskSet::<S, (), &str>::new(spawner);
    for _ in 0..5 {
        let guard = census.guard(Duration::ZERO);
        set.spawn(async move {
            let _guard = guard;
            pending().await
        });
    }
    drop(set);
    let deadline = Instant::now() + Duration::from_secs(10);
    while census.dropped() < 5 {
        assert!(
            Instant::now() < deadline,
            "tasks alive after the set was dropped"
        );
        Timer::after(Duration::from_millis(5)).await;
    }
}

/// A supervised group: failures cancel nothing, `join` waits for every task and gives the first
/// error, `join_all_errors` every error; a panic still resumes at the end.
pub(crate) async fn a_supervised_group_waits_for_all_and_reports_every_error<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    let census = Census::new();
    let mut group = TaskGroup::<S, String>::new(spawner.clone()).supervised();
    let mut outputs = Vec::new();
    for i in 0..6u64 {
        let guard = census.guard(SLOW_DROP);
        outputs.push(group.spawn(async move {
            let _guard = guard;
            Timer::after(Duration::from_millis(15 * i)).await;
            if i % 2 == 1 {
                Err(format!("task {i}"))
            } else {
                Ok(i)
            }
        }));
    }
    let token = group.token();
    let errors = group.join_all_errors().await.unwrap_err();
    // The timers spread the failures out, but a busy machine may fire two at once: the order
    // in which they are recorded is not what this checks (`every_error_first_one_first` is).
    let mut errors = errors.into_vec();
    errors.sort();
    assert_eq!(errors, ["task 1", "task 3", "task 5"]);
    assert_eq!(
        census.dropped(),
        6,
        "join returned before every task stopped"
    );
    let outputs: Vec<_> = futures::future::join_all(outputs).await;
    assert_eq!(outputs, [Some(0), None, Some(2), None, Some(4), None]);
    drop(token);

    let mut group = TaskGroup::<S, &str>::new(spawner.clone()).supervised();
    group.spawn(async { Err::<(), _>("first") });
    let survivor = group.spawn(async {
        Timer::after(Duration::from_millis(30)).await;
        Ok(1)
    });
    let token = group.token();
    assert_eq!(group.join().await, Err("first"));
    assert_eq!(survivor.await, Some(1), "the failure cancelled a sibling");
    assert!(
        token.is_cancelled(),
        "a finished group's token is cancelled"
    );

    let mut group = TaskGroup::<S, &str>::new(spawner).supervised();
    group.spawn(async {
        panic!("supervised panic");
        #[allow(unreachable_code)]
        Ok(())
    });
    let survivor = group.spawn(async {
        Timer::after(Duration::from_millis(30)).await;
        Ok(2)
    });
    let panic = futures::FutureExt::catch_unwind(AssertUnwindSafe(group.join()))
        .await
        .expect_err("the panic resumes");
    assert_eq!(panic.downcast_ref::<&str>(), Some(&"supervised panic"));
    assert_eq!(survivor.await, Some(2));
}

/// `start`: returns the value the task reports once ready while the task runs on; `None` once
/// the task stopped first (it failed, and the group fails; it returned; the group cancelled it).
pub(crate) async fn start_waits_until_the_task_is_ready_or_stopped<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    let census = Census::new();
    let mut group =
        TaskGroup::<S, &str>::new(spawner.clone()).with_grace_period(Duration::from_secs(10));
    let (token, guard) = (group.token(), census.guard(SLOW_DROP));
    let served = Arc::new(AtomicUsize::new(0));
    let serving = Arc::clone(&served);
    let port = group
        .start(|started| async move {
            let _guard = guard;
            Timer::after(Duration::from_millis(10)).await;
            started.started(8080u16);
            token.cancelled().await;
            serving.store(1, Ordering::SeqCst);
            Ok(())
        })
        .await;
    assert_eq!(port, Some(8080));
    assert_eq!(census.dropped(), 0, "the started task runs on");
    assert_eq!(group.shutdown().await, Ok(()));
    assert_eq!(census.dropped(), 1);
    assert_eq!(
        served.load(Ordering::SeqCst),
        1,
        "served until the shutdown"
    );

    // Fails before it is ready: `None` once it stopped, and the group fails.
    let mut group = TaskGroup::<S, &str>::new(spawner.clone());
    let guard = census.guard(SLOW_DROP);
    let port: Option<u16> = group
        .start(|_started| async move {
            let _guard = guard;
            Timer::after(Duration::from_millis(10)).await;
            Err("address in use")
        })
        .await;
    assert_eq!(port, None);
    assert_eq!(
        census.dropped(),
        2,
        "start returned before the task stopped"
    );
    assert_eq!(group.join().await, Err("address in use"));

    // Returns without reporting: `None`, not a failure.
    let mut group = TaskGroup::<S, &str>::new(spawner.clone());
    let port: Option<u16> = group.start(|_started| async { Ok(()) }).await;
    assert_eq!(port, None);
    assert_eq!(group.join().await, Ok(()));

    // Cancelled by a sibling's failure before it is ready.
    let mut group = TaskGroup::<S, &str>::new(spawner);
    group.spawn(async { fail_soon("sibling").await.map(|_| ()) });
    let port: Option<u16> = group
        .start(|started| async move {
            pending::<()>().await;
            started.started(1);
            Ok(())
        })
        .await;
    assert_eq!(port, None);
    assert_eq!(group.join().await, Err("sibling"));
}

/// `GroupTask::cancel` on a task still waiting for a slot drops it at once, unpolled, and the
/// slot accounting stays right: the tasks behind it still run.
pub(crate) async fn cancelling_a_task_waiting_for_a_slot_drops_it_at_once<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    let census = Census::new();
    let polls = Arc::new(AtomicUsize::new(0));
    let mut group = TaskGroup::<S, &str>::new(spawner).with_limit(1);
    let (open, opened) = futures::channel::oneshot::channel::<()>();
    group.spawn(async move {
        opened.await.unwrap();
        Ok(0)
    });
    let waiting = group.spawn(counted_pending::<u32>(&polls, census.guard(SLOW_DROP)));
    let behind = group.spawn(async { Ok(2) });
    assert_eq!(waiting.cancel().await, None);
    assert_eq!(census.dropped(), 1, "the waiting task was not dropped");
    open.send(()).unwrap();
    assert_eq!(group.join().await, Ok(()));
    assert_eq!(behind.await, Some(2));
    assert_eq!(polls.load(Ordering::SeqCst), 0);
}

/// A producer feeds a `TaskSet` through a `SetSpawner` while `join_next` reads; after `cancel`
/// the spawner refuses and the set drains.
pub(crate) async fn a_set_spawner_feeds_the_set_while_it_is_read<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    let mut set = cancel_cascade::TaskSet::<S, u32, &str>::new(spawner.clone()).with_limit(2);
    let submit = set.spawner();
    // A task of the runtime under test, outside the set.
    let producer = spawner.spawn_task(async move {
        for i in 0..50 {
            submit.ready().await;
            submit.spawn(async move { Ok(i) });
        }
        submit
    });
    let mut seen = Vec::new();
    while seen.len() < 50 {
        match set.join_next().await {
            Some(output) => seen.push(output.unwrap()),
            None => {
                Timer::after(Duration::from_millis(1)).await;
            }
        }
    }
    let submit = producer.await;
    seen.sort_unstable();
    assert_eq!(seen, (0..50).collect::<Vec<_>>());
    set.cancel();
    assert!(!submit.is_open());
    let polls = Arc::new(AtomicUsize::new(0));
    let census = Census::new();
    submit.spawn(counted_pending(&polls, census.guard(Duration::ZERO)));
    assert_eq!(census.dropped(), 1);
    assert_eq!(set.join_next().await, None);
}

/// A destructor that panics, of a task still waiting for a slot when the group drops it: the
/// panic is the task's, reported as any task's panic is, and the group's stop goes on. It
/// stops the running tasks and wakes `join` whether the cancellation came from a failing task,
/// from `cancel`, or from dropping the group (which neither unwinds nor leaves a task running);
/// `GroupTask::cancel` on such a task gives `None` instead of unwinding.
pub(crate) async fn a_queued_task_whose_destructor_panics_does_not_stop_the_cancellation<S>(
    spawner: S,
) where
    S: Spawn + Clone + Send + Sync + 'static,
{
    struct PanicOnDrop;
    impl Drop for PanicOnDrop {
        fn drop(&mut self) {
            panic!("a queued task's destructor panics");
        }
    }
    fn bomb() -> impl Future<Output = Result<(), &'static str>> + Send + 'static {
        let bomb = PanicOnDrop;
        async move {
            let _bomb = bomb;
            Ok(())
        }
    }
    async fn stuck(guard: Guard) -> Result<(), &'static str> {
        let _guard = guard;
        pending().await
    }

    // Another task fails: its error comes first, the panic after it.
    let census = Census::new();
    let mut group = TaskGroup::<S, &str>::new(spawner.clone()).with_limit(2);
    let running = group.spawn(stuck(census.guard(SLOW_DROP)));
    let failing = group.spawn(async { fail_soon("boom").await.map(|_| ()) });
    let queued = group.spawn(bomb());
    assert_eq!(group.join().await, Err("boom"));
    assert_eq!(
        census.live(),
        0,
        "join returned before the running task stopped"
    );
    assert_eq!(running.await, None);
    assert_eq!(failing.await, None);
    assert_eq!(queued.await, None);

    // `cancel`: the panic is the first failure, and resumes in `join`.
    let mut group = TaskGroup::<S, &str>::new(spawner.clone()).with_limit(1);
    let running = group.spawn(stuck(census.guard(SLOW_DROP)));
    let queued = group.spawn(bomb());
    group.cancel();
    let panic = futures::FutureExt::catch_unwind(AssertUnwindSafe(group.join()))
        .await
        .expect_err("the destructor's panic resumes in `join`");
    assert_eq!(
        panic.downcast_ref::<&str>(),
        Some(&"a queued task's destructor panics")
    );
    assert_eq!(census.live(), 0);
    assert_eq!(running.await, None);
    assert_eq!(queued.await, None);

    // `GroupTask::cancel`: the panic fails the group, as a running task's would.
    let mut group = TaskGroup::<S, &str>::new(spawner.clone()).with_limit(1);
    let running = group.spawn(stuck(census.guard(SLOW_DROP)));
    let queued = group.spawn(bomb());
    assert_eq!(queued.cancel().await, None);
    let panic = futures::FutureExt::catch_unwind(AssertUnwindSafe(group.join()))
        .await
        .expect_err("the destructor's panic resumes in `join`");
    assert_eq!(
        panic.downcast_ref::<&str>(),
        Some(&"a queued task's destructor panics")
    );
    assert_eq!(census.live(), 0);
    assert_eq!(running.await, None);

    // Dropping the group: the running task is still stopped.
    let mut group = TaskGroup::<S, &str>::new(spawner).with_limit(1);
    group.spawn(stuck(census.guard(Duration::ZERO)));
    group.spawn(bomb());
    drop(group);
    while census.live() > 0 {
        Timer::after(Duration::from_millis(1)).await;
    }
}

/// A panic payload whose destructor calls back into the group.
struct ReenteringPayload<S: Spawn>(cancel_cascade::GroupSpawner<S, &'static str>);

impl<S: Spawn> Drop for ReenteringPayload<S> {
    fn drop(&mut self) {
        let _ = self.0.is_open();
    }
}

/// A supervised group keeps the first panic and drops the later ones: a payload's destructor
/// is foreign code, which may use the group (here its spawner), and runs outside its lock.
pub(crate) async fn a_later_panic_is_dropped_outside_the_groups_lock<S>(spawner: S)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    let mut group = TaskGroup::<S, &str>::new(spawner).supervised();
    for _ in 0..2 {
        let payload = ReenteringPayload(group.spawner());
        group.spawn(async move {
            std::panic::resume_unwind(Box::new(payload));
            #[allow(unreachable_code)]
            Ok(())
        });
    }
    let panic = futures::FutureExt::catch_unwind(AssertUnwindSafe(group.join()))
        .await
        .expect_err("the first panic resumes in `join`");
    assert!(panic.is::<ReenteringPayload<S>>());
}

/// One `#[test]` per scenario above, named after it, each run by [`run`] on `$block_on` and
/// handed the spawner `$spawner`.
macro_rules! group_tests {
    ($block_on:expr, $spawner:expr) => {
        $crate::group_scenarios::group_tests!(@each $block_on, $spawner;
            quiescence_with_slow_destructors,
            transitive_two_levels,
            graceful_cleanup_only_with_a_grace_period,
            ignoring_the_token_ends_with_the_grace_period,
            shutdown_cancels_and_waits,
            dropping_the_group_cancels,
            nested_groups_where_the_inner_one_fails,
            no_task_outlives_a_group_that_returned,
            a_panic_resumes_in_join_after_the_others_stopped,
            a_task_spawned_after_a_failure_is_never_polled,
            tasks_spawned_from_inside_are_waited_for,
            spawning_into_a_closed_group_drops_the_future_unpolled,
            tasks_woken_by_the_failure_never_get_a_late_task_polled,
            cancel_then_join_reports_no_error,
            shutdown_returns_the_first_error,
            every_error_first_one_first,
            cancelling_one_task_waits_for_it_and_spares_the_group,
            a_deadline_cancels_waits_and_says_so,
            a_limit_bounds_the_tasks_running_at_once,
            tasks_waiting_for_a_slot_are_dropped_unpolled_on_cancel,
            a_producer_waits_for_a_free_slot,
            a_set_gives_outputs_as_they_complete,
            a_set_fails_fast_and_waits,
            a_set_drains_on_cancel_and_cancels_on_drop,
            a_supervised_group_waits_for_all_and_reports_every_error,
            start_waits_until_the_task_is_ready_or_stopped,
            cancelling_a_task_waiting_for_a_slot_drops_it_at_once,
            a_set_spawner_feeds_the_set_while_it_is_read,
            a_queued_task_whose_destructor_panics_does_not_stop_the_cancellation,
            a_later_panic_is_dropped_outside_the_groups_lock,
        );

        #[test]
        fn timeouts_fire_and_do_not() {
            $crate::group_scenarios::run(
                $block_on,
                $crate::group_scenarios::timeouts_fire_and_do_not(),
            );
        }
    };
    (@each $block_on:expr, $spawner:expr; $($name:ident,)*) => {
        $(
            #[test]
            fn $name() {
                $crate::group_scenarios::run($block_on, $crate::group_scenarios::$name($spawner));
            }
        )*
    };
}

pub(crate) use group_tests;
