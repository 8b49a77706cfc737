//! The census of live idle tasks: what 100 000 tasks cost in memory while they wait, ours and
//! the runtime's own side by side, and whether it all goes once they are stopped.
//!
//! Each task is pending forever on a future that holds nothing (a zero-sized `poll_fn`; its
//! one poll counts itself in a static). One side at a time: read the live bytes and
//! allocations, spawn N tasks, let every one of them reach its first `Pending` (so the runtime
//! has allocated what it allocates for a task), read again: the difference over N is the cost
//! of one live task. The handles go in a `Vec` reserved before the first reading, so the heap
//! figures leave out the handles themselves; their size is printed beside them. Then stop them
//! all (abort, cancel, drop or shut down, as the side's own API does it), wait until the live
//! counts come back (at most a few seconds) and print what is left.
//!
//! Then, in a census build of the crate (`RUSTFLAGS="--cfg cancel_cascade_census"`, see the
//! README), the synchronisations of the crate's own code per task: atomic read-modify-writes,
//! lock acquisitions and wakes, for a task that completes at once, from spawn to join.
//!
//! Each side runs once unreported first, so that what a runtime or the crate sets up once, or
//! grows to its size for N tasks (queues, thread-locals, a slab of tasks), counts against
//! neither side; what a set or group holds per task is fresh for every set or group, and
//! counts.

use std::future::{poll_fn, Future};
use std::mem::size_of;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use cancel_cascade::rt::tokio::Tokio;
use cancel_cascade::rt::{self, LocalSpawn, Spawn};
use cancel_cascade::{TaskGroup, TaskHandle, TaskSet};
use smol::{Executor, LocalExecutor};
use tokio::task::{JoinHandle, JoinSet, LocalSet};

use crate::counting::{self, Memory};
use crate::Failed;

const TASKS: usize = 100_000;

/// First polls of idle tasks, all sides together; reset before each side.
static FIRST_POLLS: AtomicUsize = AtomicUsize::new(0);

/// A task that waits forever and holds nothing.
fn idle<T>() -> impl Future<Output = T> + Send + 'static {
    poll_fn(|_: &mut Context<'_>| {
        FIRST_POLLS.fetch_add(1, Relaxed);
        Poll::Pending
    })
}

/// Lets the executor run something else: pending once, woken at once. Allocates nothing.
async fn yield_once() {
    let mut yielded = false;
    poll_fn(|cx| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await;
}

/// Until every one of `n` tasks has been polled once.
async fn all_polled(n: usize) {
    while FIRST_POLLS.load(Relaxed) < n {
        yield_once().await;
    }
}

/// Until the live allocations are back to `baseline` or have stayed where they are for 200 ms
/// (a runtime's caches), at most 5 s.
async fn settled(baseline: Memory) -> Memory {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut last = Memory::now().since(baseline);
    let mut unchanged_since = Instant::now();
    loop {
        yield_once().await;
        let now = Memory::now().since(baseline);
        if now.live_allocations <= 0 {
            return now;
        }
        if now.live_allocations != last.live_allocations || now.live_bytes != last.live_bytes {
            last = now;
            unchanged_since = Instant::now();
        } else if unchanged_since.elapsed() > Duration::from_millis(200)
            || Instant::now() > deadline
        {
            return now;
        }
    }
}

/// One side of one row, at N tasks.
#[derive(Clone, Copy, Debug, Default)]
struct Side {
    n: usize,
    /// While the N tasks wait.
    live: Memory,
    /// After they were stopped and the runtime settled.
    left: Memory,
    /// The size of the handle a user holds per task (0 for a set or group, which holds it).
    handle: usize,
}

impl Side {
    fn bytes(&self) -> f64 {
        self.live.live_bytes as f64 / self.n as f64
    }

    fn allocations(&self) -> f64 {
        self.live.live_allocations as f64 / self.n as f64
    }
}

/// How one side spawns its N idle tasks and stops them, inside its executor.
trait Contender {
    type Held;
    const HANDLE: usize;

    fn spawn_all(&mut self, n: usize, held: &mut Self::Held);

    fn stop(&mut self, held: &mut Self::Held) -> impl Future<Output = ()>;

    fn fresh(n: usize) -> Self::Held;
}

/// Spawns, measures and stops one side at `n` tasks, inside its executor.
async fn measure<C: Contender>(contender: &mut C, n: usize) -> Side {
    let mut held = C::fresh(n);
    FIRST_POLLS.store(0, Relaxed);
    let baseline = Memory::now();
    contender.spawn_all(n, &mut held);
    all_polled(n).await;
    let live = Memory::now().since(baseline);
    contender.stop(&mut held).await;
    let left = settled(baseline).await;
    // The `Vec` of handles, emptied but not freed, was reserved before the baseline.
    drop(held);
    Side {
        n,
        live,
        left,
        handle: C::HANDLE,
    }
}

/// Runs each side once unreported, then measures each: the runtime's own structures (run
/// queues, a slab of tasks) have then grown to their size for N tasks on both sides, and
/// neither pays for the other's growth.
async fn warm_then_measure<A: Contender, B: Contender>(mut ours: A, mut peer: B) -> (Side, Side) {
    measure(&mut ours, TASKS).await;
    measure(&mut peer, TASKS).await;
    (
        measure(&mut ours, TASKS).await,
        measure(&mut peer, TASKS).await,
    )
}

struct Group;

impl Contender for Group {
    type Held = Option<TaskGroup<Tokio, Failed>>;
    const HANDLE: usize = 0;

    fn fresh(_: usize) -> Self::Held {
        None
    }

    fn spawn_all(&mut self, n: usize, held: &mut Self::Held) {
        let group = held.insert(TaskGroup::new(Tokio));
        for _ in 0..n {
            group.spawn(idle::<Result<(), Failed>>());
        }
    }

    async fn stop(&mut self, held: &mut Self::Held) {
        let mut group = held.take().unwrap();
        group.shutdown().await.unwrap();
    }
}

struct Set;

impl Contender for Set {
    type Held = Option<TaskSet<Tokio, (), Failed>>;
    const HANDLE: usize = 0;

    fn fresh(_: usize) -> Self::Held {
        None
    }

    fn spawn_all(&mut self, n: usize, held: &mut Self::Held) {
        let set = held.insert(TaskSet::new(Tokio));
        for _ in 0..n {
            set.spawn(idle::<Result<(), Failed>>());
        }
    }

    async fn stop(&mut self, held: &mut Self::Held) {
        held.take().unwrap().shutdown().await.unwrap();
    }
}

struct TokioJoinSet;

impl Contender for TokioJoinSet {
    type Held = Option<JoinSet<()>>;
    const HANDLE: usize = 0;

    fn fresh(_: usize) -> Self::Held {
        None
    }

    fn spawn_all(&mut self, n: usize, held: &mut Self::Held) {
        let set = held.insert(JoinSet::new());
        for _ in 0..n {
            set.spawn(idle::<()>());
        }
    }

    async fn stop(&mut self, held: &mut Self::Held) {
        held.take().unwrap().shutdown().await;
    }
}

/// `TaskHandle`s from a spawn function; dropped to stop them.
struct Handles<F>(F);

impl<F: FnMut() -> TaskHandle<()>> Contender for Handles<F> {
    type Held = Vec<TaskHandle<()>>;
    const HANDLE: usize = size_of::<TaskHandle<()>>();

    fn fresh(n: usize) -> Self::Held {
        Vec::with_capacity(n)
    }

    fn spawn_all(&mut self, n: usize, held: &mut Self::Held) {
        held.extend((0..n).map(|_| (self.0)()));
    }

    async fn stop(&mut self, held: &mut Self::Held) {
        held.clear();
    }
}

/// tokio's `JoinHandle`s from a spawn function; aborted to stop them (dropping one detaches).
struct JoinHandles<F>(F);

impl<F: FnMut() -> JoinHandle<()>> Contender for JoinHandles<F> {
    type Held = Vec<JoinHandle<()>>;
    const HANDLE: usize = size_of::<JoinHandle<()>>();

    fn fresh(n: usize) -> Self::Held {
        Vec::with_capacity(n)
    }

    fn spawn_all(&mut self, n: usize, held: &mut Self::Held) {
        held.extend((0..n).map(|_| (self.0)()));
    }

    async fn stop(&mut self, held: &mut Self::Held) {
        for handle in held.drain(..) {
            handle.abort();
        }
    }
}

/// smol's `Task`s from a spawn function; dropped to stop them.
struct SmolTasks<F>(F);

impl<F: FnMut() -> smol::Task<()>> Contender for SmolTasks<F> {
    type Held = Vec<smol::Task<()>>;
    const HANDLE: usize = size_of::<smol::Task<()>>();

    fn fresh(n: usize) -> Self::Held {
        Vec::with_capacity(n)
    }

    fn spawn_all(&mut self, n: usize, held: &mut Self::Held) {
        held.extend((0..n).map(|_| (self.0)()));
    }

    async fn stop(&mut self, held: &mut Self::Held) {
        held.clear();
    }
}

fn print_header() {
    println!(
        "Census of live idle tasks: {TASKS} tasks per side, each pending forever on a future \
         that holds nothing; heap bytes and allocations per task while they wait (handles \
         held in a Vec reserved beforehand: their size is the `handle` column), and what is \
         left once they are stopped (negative: freed more than the tasks took)."
    );
    println!(
        "{:<30} {:<34} {:>9} {:>7} {:>6} {:>8} {:>12} {:>12}",
        "case", "side", "B/task", "allocs", "handle", "B ratio", "left B", "left allocs"
    );
}

fn print_row(case: &str, ours: (&str, Side), peer: (&str, Side)) {
    for (name, side) in [ours, peer] {
        let ratio = if name == ours.0 {
            format!("{:.2}", ours.1.bytes() / peer.1.bytes())
        } else {
            String::new()
        };
        println!(
            "{case:<30} {name:<34} {:>9.1} {:>7.2} {:>6} {ratio:>8} {:>12} {:>12}",
            side.bytes(),
            side.allocations(),
            side.handle,
            side.left.live_bytes,
            side.left.live_allocations,
        );
    }
}

/// Runs the census and prints it.
pub(crate) fn run() {
    counting::set_enabled(true);
    print_header();

    let runtime = crate::tokio_runtime();
    let (group, join_set) =
        runtime.block_on(async { warm_then_measure(Group, TokioJoinSet).await });
    print_row(
        "TaskGroup / JoinSet",
        ("TaskGroup (Tokio), shutdown", group),
        ("tokio JoinSet, shutdown", join_set),
    );
    let (set, join_set) = runtime.block_on(async { warm_then_measure(Set, TokioJoinSet).await });
    print_row(
        "TaskSet / JoinSet",
        ("TaskSet (Tokio), shutdown", set),
        ("tokio JoinSet, shutdown", join_set),
    );
    let (ours, theirs) = runtime.block_on(async {
        warm_then_measure(
            Handles(|| rt::tokio::spawn(idle())),
            JoinHandles(|| tokio::spawn(idle())),
        )
        .await
    });
    print_row(
        "TaskHandle tokio / JoinHandle",
        ("rt::tokio::spawn, dropped", ours),
        ("tokio::spawn, aborted", theirs),
    );
    drop(runtime);

    let executor: &'static Executor<'static> = Box::leak(Box::new(Executor::new()));
    let (ours, theirs) = smol::block_on(executor.run(async {
        warm_then_measure(
            Handles(|| executor.spawn_task(idle())),
            SmolTasks(|| executor.spawn(idle())),
        )
        .await
    }));
    print_row(
        "TaskHandle smol / Task",
        ("Executor::spawn_task, dropped", ours),
        ("Executor::spawn, dropped", theirs),
    );

    let current = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let local = LocalSet::new();
    let (ours, theirs) = local.block_on(&current, async {
        warm_then_measure(
            Handles(|| rt::tokio::spawn_local(idle())),
            JoinHandles(|| tokio::task::spawn_local(idle())),
        )
        .await
    });
    print_row(
        "local TaskHandle tokio",
        ("rt::tokio::spawn_local, dropped", ours),
        ("tokio::task::spawn_local, aborted", theirs),
    );
    drop(local);
    drop(current);

    let local_executor: &'static LocalExecutor<'static> = Box::leak(Box::new(LocalExecutor::new()));
    let (ours, theirs) = smol::block_on(local_executor.run(async {
        warm_then_measure(
            Handles(|| local_executor.spawn_local_task(idle())),
            SmolTasks(|| local_executor.spawn(idle())),
        )
        .await
    }));
    print_row(
        "local TaskHandle smol",
        ("LocalExecutor::spawn_local_task", ours),
        ("LocalExecutor::spawn, dropped", theirs),
    );
    counting::set_enabled(false);
    println!();
    synchronisations::run();
    println!();
}

#[cfg(not(cancel_cascade_census))]
mod synchronisations {
    pub(crate) fn run() {
        println!(
            "Synchronisations per task: not counted in this build (RUSTFLAGS=\"--cfg \
             cancel_cascade_census\", see benches/README.md)."
        );
    }
}

/// The crate's own synchronisations per task, in a census build.
#[cfg(cancel_cascade_census)]
mod synchronisations {
    use std::future::Future;

    use cancel_cascade::census::{counts, Counts};
    use cancel_cascade::rt::tokio::Tokio;
    use cancel_cascade::rt::{self, Spawn};
    use cancel_cascade::{TaskGroup, TaskSet};
    use smol::Executor;

    use super::yield_once;
    use crate::Failed;

    const TASKS: usize = 1000;

    /// The counts over `run`, which handles `TASKS` tasks, per task.
    async fn per_task(run: impl Future<Output = ()>) -> [f64; 3] {
        let before = counts();
        run.await;
        let Counts {
            atomic_rmws,
            locks,
            wakes,
        } = counts() - before;
        [atomic_rmws, locks, wakes].map(|count| count as f64 / TASKS as f64)
    }

    fn print(case: &str, [atomic_rmws, locks, wakes]: [f64; 3]) {
        println!("{case:<58} {atomic_rmws:>10.2} {locks:>7.2} {wakes:>7.2}");
    }

    pub(crate) fn run() {
        println!(
            "Synchronisations per task of the crate's own code ({TASKS} tasks that complete at \
             once, on one thread; a group's or set's creation and drop included; Arc reference \
             counts and the runtimes' own not counted):"
        );
        println!(
            "{:<58} {:>10} {:>7} {:>7}",
            "case", "atomic RMW", "locks", "wakes"
        );
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(async {
            print(
                "TaskHandle on tokio: rt::tokio::spawn + await",
                per_task(async {
                    for _ in 0..TASKS {
                        rt::tokio::spawn(async {}).await;
                    }
                })
                .await,
            );
            print(
                "TaskGroup on tokio: spawn .. join",
                per_task(async {
                    let mut group = TaskGroup::<_, Failed>::new(Tokio);
                    for _ in 0..TASKS {
                        group.spawn(async { Ok(()) });
                    }
                    group.join().await.unwrap();
                })
                .await,
            );
            print(
                "TaskSet on tokio: spawn .. join_next",
                per_task(async {
                    let mut set = TaskSet::<_, (), Failed>::new(Tokio);
                    for _ in 0..TASKS {
                        set.spawn(async { Ok(()) });
                    }
                    while let Some(result) = set.join_next().await {
                        result.unwrap();
                    }
                })
                .await,
            );
            print(
                "TaskGroup::with_limit(16) on tokio, tasks yield once",
                per_task(async {
                    let mut group = TaskGroup::<_, Failed>::new(Tokio).with_limit(16);
                    for _ in 0..TASKS {
                        group.spawn(async {
                            yield_once().await;
                            Ok(())
                        });
                    }
                    group.join().await.unwrap();
                })
                .await,
            );
        });
        let executor = Executor::new();
        smol::block_on(executor.run(async {
            print(
                "TaskHandle on smol: Executor::spawn_task + await",
                per_task(async {
                    for _ in 0..TASKS {
                        (&executor).spawn_task(async {}).await;
                    }
                })
                .await,
            );
        }));
    }
}
