//! Nothing keeps a task's memory once its group, set or handle is joined or dropped: after N
//! tasks (each of which spawned a child task of its own) have been joined, or dropped while
//! pending, and the runtime has settled, the live allocations are back where they were before
//! the first spawn, within a small constant, the same for N = 1000 as for N = 10 000. A list
//! of the crate's own that kept tasks (their handles, their nodes in the spawn tree) for
//! later, per thread or global, would leave allocations behind in proportion to N.
//!
//! The test binary counts through a global allocator of its own, so the cases run one at a
//! time (a lock). Each runs first over a few tasks, unmeasured, for what a runtime or the crate
//! sets up once (thread-locals, worker state); few, so that a list that kept tasks up to some
//! cap is far from full when the measured runs start. The bytes are checked only on a second
//! run at the large N: what a runtime keeps for reuse (a slab of tasks, its run queues) grows
//! to its size in the first, and stays.
#![cfg(all(feature = "tokio", feature = "smol", not(loom)))]
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::future::{pending, poll_fn};
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering::Relaxed};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::Poll;
use std::time::{Duration, Instant};

use cancel_cascade::rt::smol::Smol;
use cancel_cascade::rt::tokio::Tokio;
use cancel_cascade::rt::Spawn;
use cancel_cascade::{TaskGroup, TaskHandle, TaskSet};

static LIVE_ALLOCATIONS: AtomicIsize = AtomicIsize::new(0);
static LIVE_BYTES: AtomicIsize = AtomicIsize::new(0);

/// `System`, counting what is allocated and not yet freed.
struct Counting;

// SAFETY: every method passes its arguments unchanged to `System`, so the allocator keeps
// `System`'s guarantees; counting touches only atomics and never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE_ALLOCATIONS.fetch_add(1, Relaxed);
        LIVE_BYTES.fetch_add(layout.size() as isize, Relaxed);
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which `System` shares.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE_ALLOCATIONS.fetch_add(1, Relaxed);
        LIVE_BYTES.fetch_add(layout.size() as isize, Relaxed);
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE_BYTES.fetch_add(new_size as isize - layout.size() as isize, Relaxed);
        // SAFETY: `ptr` came from this allocator, hence from `System`, with `layout`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_ALLOCATIONS.fetch_sub(1, Relaxed);
        LIVE_BYTES.fetch_sub(layout.size() as isize, Relaxed);
        // SAFETY: `ptr` came from this allocator, hence from `System`, with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const WARM_UP: usize = 10;
const SMALL: usize = 1000;
const LARGE: usize = 10_000;
/// What a runtime may still hold after it settled, whatever N: a few buffers of its own (and
/// of the test harness, which prints while a case runs).
const SLACK_ALLOCATIONS: isize = 64;
const SLACK_BYTES: isize = 64 * 1024;

/// Live allocations and bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Live {
    allocations: isize,
    bytes: isize,
}

impl Live {
    fn now() -> Live {
        Live {
            allocations: LIVE_ALLOCATIONS.load(Relaxed),
            bytes: LIVE_BYTES.load(Relaxed),
        }
    }

    fn since(self, baseline: Live) -> Live {
        Live {
            allocations: self.allocations - baseline.allocations,
            bytes: self.bytes - baseline.bytes,
        }
    }
}

fn one_at_a_time() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Tasks that have started, so that a case can drop its tasks while they are pending.
static STARTED: AtomicUsize = AtomicUsize::new(0);

/// Lets the executor run something else: pending once, woken at once.
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

async fn all_started(n: usize) {
    while STARTED.load(Relaxed) < n {
        yield_once().await;
        std::thread::yield_now();
    }
}

/// Until the live allocations are back to `baseline`, or have not moved for 100 ms; at most
/// 10 s. Runs on the runtime, which may have to run the tasks it was told to drop.
async fn settled(baseline: Live) -> Live {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut last = Live::now().since(baseline);
    let mut still_since = Instant::now();
    loop {
        yield_once().await;
        std::thread::sleep(Duration::from_micros(200));
        let now = Live::now().since(baseline);
        if now.allocations <= 0 && now.bytes <= 0 {
            return now;
        }
        if now != last {
            last = now;
            still_since = Instant::now();
        } else if still_since.elapsed() > Duration::from_millis(100) || Instant::now() > deadline {
            return now;
        }
    }
}

/// A task of a case: it spawns a child through the crate (a node in the spawn tree), then
/// either finishes with the child's output or waits forever, the child waiting too.
async fn task<S: Spawn>(spawner: S, finish: bool) -> Result<(), String> {
    STARTED.fetch_add(1, Relaxed);
    if finish {
        spawner.spawn_task(yield_once()).await;
        Ok(())
    } else {
        let _child: TaskHandle<()> = spawner.spawn_task(pending());
        pending().await
    }
}

#[derive(Clone, Copy, Debug)]
enum Case {
    GroupJoined,
    GroupDropped,
    SetJoined,
    SetDropped,
    HandlesAwaited,
    HandlesDropped,
}

const CASES: [Case; 6] = [
    Case::GroupJoined,
    Case::GroupDropped,
    Case::SetJoined,
    Case::SetDropped,
    Case::HandlesAwaited,
    Case::HandlesDropped,
];

/// Runs `case` over `n` tasks on `spawner`, inside its runtime, and returns what is left
/// alive, after the runtime settled, of what was allocated from the first spawn on.
async fn leftover<S>(spawner: S, case: Case, n: usize) -> Live
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    STARTED.store(0, Relaxed);
    let baseline = Live::now();
    match case {
        Case::GroupJoined => {
            let mut group = TaskGroup::<_, String>::new(spawner.clone());
            for _ in 0..n {
                group.spawn(task(spawner.clone(), true));
            }
            group.join().await.unwrap();
        }
        Case::GroupDropped => {
            let mut group = TaskGroup::<_, String>::new(spawner.clone());
            for _ in 0..n {
                group.spawn(task(spawner.clone(), false));
            }
            all_started(n).await;
            drop(group);
        }
        Case::SetJoined => {
            let mut set = TaskSet::<_, (), String>::new(spawner.clone());
            for _ in 0..n {
                set.spawn(task(spawner.clone(), true));
            }
            let mut joined = 0;
            while let Some(result) = set.join_next().await {
                result.unwrap();
                joined += 1;
            }
            assert_eq!(joined, n);
        }
        Case::SetDropped => {
            let mut set = TaskSet::<_, (), String>::new(spawner.clone());
            for _ in 0..n {
                set.spawn(task(spawner.clone(), false));
            }
            all_started(n).await;
            drop(set);
        }
        Case::HandlesAwaited => {
            let handles: Vec<_> = (0..n)
                .map(|_| spawner.spawn_task(task(spawner.clone(), true)))
                .collect();
            for handle in handles {
                handle.await.unwrap();
            }
        }
        Case::HandlesDropped => {
            let handles: Vec<_> = (0..n)
                .map(|_| spawner.spawn_task(task(spawner.clone(), false)))
                .collect();
            all_started(n).await;
            drop(handles);
        }
    }
    settled(baseline).await
}

/// Each case over a few tasks unmeasured, then at both sizes (the large one twice); asserts
/// that what is left is within the slack and does not grow with N.
fn check_every_case(runtime: &str, mut run: impl FnMut(Case, usize) -> Live) {
    for case in CASES {
        run(case, WARM_UP);
        let small = run(case, SMALL);
        let large_first = run(case, LARGE);
        let large = run(case, LARGE);
        for (n, left) in [(SMALL, small), (LARGE, large_first), (LARGE, large)] {
            assert!(
                left.allocations <= SLACK_ALLOCATIONS,
                "{runtime}, {case:?}, N = {n}: {left:?} still allocated after the runtime \
                 settled (slack: {SLACK_ALLOCATIONS} allocations)"
            );
        }
        // Bytes with no allocation left over are a buffer that existed before the case and
        // grew (smol's executor keeps a slot per task alive at once, and the peak varies from
        // run to run): the runtime's own capacity, not a task's memory. A list that keeps
        // tasks keeps their allocations too, which the check above catches.
        for (n, left) in [(SMALL, small), (LARGE, large)] {
            assert!(
                left.bytes <= SLACK_BYTES || left.allocations <= 0,
                "{runtime}, {case:?}, N = {n}: {left:?} still allocated after the runtime \
                 settled (slack: {SLACK_BYTES} bytes)"
            );
        }
        assert!(
            large.allocations - small.allocations.max(0) <= SLACK_ALLOCATIONS / 2,
            "{runtime}, {case:?}: what is left grows with N: {small:?} at N = {SMALL}, \
             {large:?} at N = {LARGE}"
        );
    }
}

#[test]
fn tokio_multi_thread() {
    let _one = one_at_a_time();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    check_every_case("tokio multi-thread", |case, n| {
        runtime.block_on(leftover(Tokio, case, n))
    });
}

#[test]
fn tokio_current_thread() {
    let _one = one_at_a_time();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    check_every_case("tokio current-thread", |case, n| {
        runtime.block_on(leftover(Tokio, case, n))
    });
}

#[test]
fn smol_global_executor() {
    let _one = one_at_a_time();
    check_every_case("smol", |case, n| smol::block_on(leftover(Smol, case, n)));
}
