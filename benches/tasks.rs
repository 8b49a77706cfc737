//! Spawned tasks: `TaskHandle` against each runtime's own ways of stopping a set of tasks, one
//! criterion group per case and runtime, one `BenchmarkId` per implementation.
//!
//! The fail-fast groups run on two threads: a multi-thread tokio runtime with 2 workers, smol's
//! global executor with 2 threads (`SMOL_THREADS`).
//!
//! * `fail_fast_tokio`, `fail_fast_smol`: spawn N tasks. Task 0 fails as soon as every other
//!   task has started; the N - 1 others hold a drop guard and stay pending. Timed: from the
//!   first spawn until the error is back *and* every other task's guard has been dropped. The
//!   peers: tokio's `JoinSet` (`join_next` until the error, then `shutdown().await`); a
//!   `Vec<JoinHandle>` watched by futures' `try_join_all` until the error, then `abort()` on
//!   each and awaiting them; the same `Vec` awaited in index order instead; and smol `Task`s
//!   under futures' `try_join_all`. The failing task is at index 0 because futures'
//!   `try_join_all` over more than 30 futures returns an error only once every lower index has
//!   completed. For the in-order loop, index 0 is more than a best case: it polls one handle
//!   before the error, where every other entry watches all N (as fail-fast code must when it
//!   does not know which task fails), and with the failure at any other index it would wait
//!   forever. It is there as a floor.
//! * `group_fail_fast_tokio`: the same N tasks in a `TaskGroup` on tokio, until `join()`
//!   returns the error, which it does only once every other task has stopped; the peer is
//!   tokio's `JoinSet` (`join_next` until the error, then `shutdown().await`, which, unlike the
//!   group, does not wait for tasks spawned by the aborted ones).
//! * `set_join_next_tokio`: spawn N tasks that each yield once and return their index, then read
//!   every output in completion order. Ours: a `TaskSet` and `join_next`; the peer: tokio's
//!   `JoinSet` and `join_next`.
//! * `limited_group_tokio`: spawn N tasks that each yield once, at most 16 running at once,
//!   and wait for all of them; `spawn` never blocks on either side. Ours: `TaskGroup` with
//!   `with_limit(16)` and `join()`; the peer: `JoinSet` whose tasks first acquire a permit of
//!   a tokio `Semaphore` of 16, drained with `join_next`.
//! * `spawn_await_tokio`, `spawn_await_smol`, `spawn_await_async_std`: spawn one task that
//!   returns at once and await it, in a loop. The peer is the runtime's own spawn and handle.
//!   These run on one thread (a current-thread tokio runtime, a `smol::Executor` run by the
//!   bench thread, async-std with `ASYNC_STD_THREAD_COUNT=1`): what is measured is the cost of
//!   the handle, which on two threads drowns in the noise of cross-thread wake-ups (runs there
//!   land anywhere between 0.8 and 1.4 µs, for the runtime's own handle and ours alike).
//!
//! Each group also has `TaskHandle (supervised)`: the crate's runtime-agnostic mechanism on the
//! same runtime (a plain detached spawn through `Spawn`). The tokio adapter uses the runtime's
//! own handle instead, and this entry shows what that choice saves; the smol adapter is the
//! supervised mechanism too (smol's `Task` loses outputs to a cancel), and differs from this
//! entry only by a `catch_unwind` around the drop of a task its executor drops unfinished.
//!
//! Before the timed groups, a census that times nothing (`census`, in `tasks/census.rs`): the
//! heap bytes and allocations per live idle task, ours and the runtime's own side by side, for
//! 100 000 tasks, and what is left once they are stopped. `TASKS_GROUPS=census` runs it alone.
//!
//! Before criterion measures a group, the bench prints the ratio of each of our entries to each
//! peer, from paired runs (see [`compare`]): the numbers to quote.
//!
//! To profile one entry alone, name its groups in `TASKS_GROUPS`, skip the paired runs with
//! `TASKS_NO_PAIRS=1`, and give criterion a filter for the entry, for example
//! `TASKS_NO_PAIRS=1 TASKS_GROUPS=limited_group_tokio perf record -g <bench binary> --bench
//! --profile-time=5 'with_limit/1000'`.

use std::future::{pending, poll_fn, Future};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::task::Poll;
use std::time::{Duration, Instant};

use cancel_cascade::rt::{self, Spawn};
use cancel_cascade::{try_join_all_cancel, TaskGroup, TaskSet};
use criterion::{BenchmarkId, Criterion};
use futures::task::AtomicWaker;
use smol::Executor;
use tokio::runtime::Runtime;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

// The counting allocator of the combinator benches, for the census of live tasks; the poll
// counters in it are the combinator benches' own.
#[allow(dead_code)]
#[path = "support/counting.rs"]
mod counting;

#[path = "tasks/census.rs"]
mod census;

const SIZES: [usize; 2] = [1000, 10_000];

const OURS: &str = "cancel-cascade TaskHandle";
const SUPERVISED: &str = "cancel-cascade TaskHandle (supervised)";

/// The floor entries: the runtime's own handle plus one allocation per task that the task and
/// its caller share (as large as our task's own state), written by the task and released by
/// both. No handle that keeps any state of its own beside the runtime's, or any count that
/// outlives the task, can cost less; our ratio to this entry is what our guarantees cost beyond
/// that one allocation.
/// The shared allocation of a floor entry.
struct FloorCell {
    _room: [u64; 14],
    written: AtomicUsize,
}

impl FloorCell {
    fn new() -> Arc<Self> {
        Arc::new(FloorCell {
            _room: [0; 14],
            written: AtomicUsize::new(0),
        })
    }

    /// The task's side: `value` written in the cell the task keeps until it ends.
    fn write(self: Arc<Self>, value: u64) -> u64 {
        self.written.store(value as usize, Ordering::Release);
        value
    }
}

/// The task of a floor entry's round trip: writes its value into the cell it shares with the
/// caller, and returns it.
struct FloorTask {
    cell: Option<Arc<FloorCell>>,
    value: u64,
}

impl Future for FloorTask {
    type Output = u64;

    fn poll(mut self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> Poll<u64> {
        let cell = self.cell.take().expect("polled after completion");
        Poll::Ready(cell.write(black_box(self.value)))
    }
}

/// One round trip of a floor entry: `spawn` runs a [`FloorTask`] for `i`, `output` gets the
/// value out of what its handle gives, and the caller lets go of the cell once it has it.
fn floor_round_trip<H: Future>(
    i: u64,
    spawn: impl FnOnce(FloorTask) -> H,
    output: fn(H::Output) -> u64,
) -> impl Future<Output = u64> {
    let cell = FloorCell::new();
    let handle = spawn(FloorTask {
        cell: Some(Arc::clone(&cell)),
        value: i,
    });
    async move {
        let value = output(handle.await);
        drop(cell);
        value
    }
}

/// The error of the failing task.
#[derive(Debug)]
struct Failed;

/// The tasks that must stop: how many started, how many are alive, and the failing task's
/// waker, woken when the last one starts.
struct Siblings {
    expected: usize,
    started: AtomicUsize,
    alive: AtomicUsize,
    all_started: AtomicWaker,
    lock: Mutex<()>,
    all_stopped: Condvar,
}

impl Siblings {
    fn new(expected: usize) -> Arc<Self> {
        Arc::new(Siblings {
            expected,
            started: AtomicUsize::new(0),
            alive: AtomicUsize::new(0),
            all_started: AtomicWaker::new(),
            lock: Mutex::new(()),
            all_stopped: Condvar::new(),
        })
    }

    /// The future of task `index`: task 0 fails once every other task started, the others
    /// hold a guard (alive from creation, so a task never polled counts too) and stay pending.
    fn task(self: &Arc<Self>, index: usize) -> impl Future<Output = Result<(), Failed>> {
        let siblings = Arc::clone(self);
        let guard = (index != 0).then(|| Guard::new(Arc::clone(self)));
        async move {
            match guard {
                None => {
                    poll_fn(|cx| {
                        siblings.all_started.register(cx.waker());
                        if siblings.started.load(Ordering::Acquire) == siblings.expected {
                            Poll::Ready(())
                        } else {
                            Poll::Pending
                        }
                    })
                    .await;
                    Err(Failed)
                }
                Some(_guard) => {
                    if siblings.started.fetch_add(1, Ordering::AcqRel) + 1 == siblings.expected {
                        siblings.all_started.wake();
                    }
                    pending().await
                }
            }
        }
    }

    /// Blocks the bench thread until every guard has been dropped.
    fn wait_all_stopped(&self) {
        let mut lock = self.lock.lock().unwrap();
        while self.alive.load(Ordering::Acquire) != 0 {
            lock = self.all_stopped.wait(lock).unwrap();
        }
    }
}

struct Guard(Arc<Siblings>);

impl Guard {
    fn new(siblings: Arc<Siblings>) -> Self {
        siblings.alive.fetch_add(1, Ordering::AcqRel);
        Guard(siblings)
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if self.0.alive.fetch_sub(1, Ordering::AcqRel) == 1 {
            // Under the lock, so that the waiter either sees zero or is already waiting.
            let _lock = self.0.lock.lock().unwrap();
            self.0.all_stopped.notify_all();
        }
    }
}

/// tokio through the supervised mechanism: a plain detached spawn.
struct TokioDetached;

impl Spawn for TokioDetached {
    fn spawn_detached<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        drop(tokio::spawn(future));
    }
}

/// smol through the supervised mechanism: a plain detached spawn.
struct SmolDetached;

impl Spawn for SmolDetached {
    fn spawn_detached<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        smol::spawn(future).detach();
    }
}

fn tokio_runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap()
}

/// Times `iters` runs of `run` over N tasks, each until the error is back and every sibling
/// has stopped. `run` returns once the error is back.
fn time_fail_fast(iters: u64, n: usize, mut run: impl FnMut(Arc<Siblings>)) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let siblings = Siblings::new(n - 1);
        let start = Instant::now();
        run(Arc::clone(&siblings));
        siblings.wait_all_stopped();
        total += start.elapsed();
    }
    total
}

fn fail_fast_tokio(c: &mut Criterion) {
    let runtime = tokio_runtime();
    for n in SIZES {
        compare(
            c,
            "fail_fast_tokio",
            Some(n),
            FAIL_FAST_PAIRS,
            1,
            &mut [
                (OURS, &mut |iters| {
                    time_fail_fast(iters, n, |siblings| {
                        runtime.block_on(async {
                            let handles = (0..n).map(|i| rt::tokio::spawn(siblings.task(i)));
                            try_join_all_cancel(handles).await.unwrap_err();
                        })
                    })
                }),
                (SUPERVISED, &mut |iters| {
                    time_fail_fast(iters, n, |siblings| {
                        runtime.block_on(async {
                            let handles =
                                (0..n).map(|i| TokioDetached.spawn_task(siblings.task(i)));
                            try_join_all_cancel(handles).await.unwrap_err();
                        })
                    })
                }),
                ("tokio JoinSet", &mut |iters| {
                    time_fail_fast(iters, n, |siblings| {
                        runtime.block_on(join_set_until_error(n, &siblings))
                    })
                }),
                (
                    "tokio Vec<JoinHandle> + try_join_all + abort",
                    &mut |iters| {
                        time_fail_fast(iters, n, |siblings| {
                            runtime.block_on(async {
                                let mut handles: Vec<_> =
                                    (0..n).map(|i| tokio::spawn(siblings.task(i))).collect();
                                // Siblings never complete here; the failed one is not awaited twice.
                                let watched = handles.iter_mut().enumerate().map(
                                    |(index, handle)| async move {
                                        handle.await.unwrap().map_err(|_| index)
                                    },
                                );
                                let failed_at =
                                    futures::future::try_join_all(watched).await.unwrap_err();
                                for handle in &handles {
                                    handle.abort();
                                }
                                handles.remove(failed_at);
                                for handle in handles {
                                    let _ = handle.await;
                                }
                            })
                        })
                    },
                ),
                ("tokio Vec<JoinHandle> in order + abort", &mut |iters| {
                    time_fail_fast(iters, n, |siblings| {
                        runtime.block_on(async {
                            let mut handles: Vec<_> =
                                (0..n).map(|i| tokio::spawn(siblings.task(i))).collect();
                            let mut failed_at = n;
                            for (index, handle) in handles.iter_mut().enumerate() {
                                if handle.await.unwrap().is_err() {
                                    failed_at = index;
                                    break;
                                }
                            }
                            for handle in &handles[failed_at..] {
                                handle.abort();
                            }
                            for handle in handles.drain(failed_at + 1..) {
                                let _ = handle.await;
                            }
                        })
                    })
                }),
            ],
        );
    }
}

fn fail_fast_smol(c: &mut Criterion) {
    for n in SIZES {
        compare(
            c,
            "fail_fast_smol",
            Some(n),
            FAIL_FAST_PAIRS,
            1,
            &mut [
                (OURS, &mut |iters| {
                    time_fail_fast(iters, n, |siblings| {
                        smol::block_on(async {
                            let handles = (0..n).map(|i| rt::smol::spawn(siblings.task(i)));
                            try_join_all_cancel(handles).await.unwrap_err();
                        })
                    })
                }),
                (SUPERVISED, &mut |iters| {
                    time_fail_fast(iters, n, |siblings| {
                        smol::block_on(async {
                            let handles = (0..n).map(|i| SmolDetached.spawn_task(siblings.task(i)));
                            try_join_all_cancel(handles).await.unwrap_err();
                        })
                    })
                }),
                ("smol Task + futures::try_join_all", &mut |iters| {
                    time_fail_fast(iters, n, |siblings| {
                        smol::block_on(async {
                            let tasks = (0..n).map(|i| smol::spawn(siblings.task(i)));
                            futures::future::try_join_all(tasks).await.unwrap_err();
                        })
                    })
                }),
            ],
        );
    }
}

/// Times `iters` spawn-and-await round trips of a task that returns at once.
async fn round_trips<H: Future<Output = u64>>(iters: u64, spawn: impl Fn(u64) -> H) -> Duration {
    let start = Instant::now();
    for i in 0..iters {
        black_box(spawn(i).await);
    }
    start.elapsed()
}

/// An implementation's name, and how it times `iters` runs.
type Entry<'a> = (&'a str, &'a mut dyn FnMut(u64) -> Duration);

/// Paired runs per fail-fast size and per `spawn_await` group, and round trips per
/// `spawn_await` run.
const FAIL_FAST_PAIRS: usize = 21;
/// tokio's `JoinSet` over the N tasks: `join_next` until the error, then `shutdown().await`.
async fn join_set_until_error(n: usize, siblings: &Arc<Siblings>) {
    let mut set = JoinSet::new();
    for i in 0..n {
        set.spawn(siblings.task(i));
    }
    while let Some(joined) = set.join_next().await {
        if joined.unwrap().is_err() {
            break;
        }
    }
    set.shutdown().await;
}

/// `join_set_until_error` plus one allocation per task that the task and the caller share,
/// released by both: the floor entry of the fail-fast group.
async fn join_set_until_error_with_cells(n: usize, siblings: &Arc<Siblings>) {
    let mut set = JoinSet::new();
    let mut cells = Vec::with_capacity(n);
    for i in 0..n {
        let cell = FloorCell::new();
        cells.push(Arc::clone(&cell));
        let task = siblings.task(i);
        set.spawn(async move {
            let output = task.await;
            cell.write(i as u64);
            output
        });
    }
    while let Some(joined) = set.join_next().await {
        if joined.unwrap().is_err() {
            break;
        }
    }
    set.shutdown().await;
    drop(cells);
}

/// A task group on tokio against `JoinSet`: the same N tasks, until `join()` returns the error
/// (it returns only once every other task has stopped, so `wait_all_stopped` finds them gone)
/// or until `JoinSet::shutdown().await` returns after the error.
fn group_fail_fast_tokio(c: &mut Criterion) {
    let runtime = tokio_runtime();
    for n in SIZES {
        compare(
            c,
            "group_fail_fast_tokio",
            Some(n),
            FAIL_FAST_PAIRS,
            1,
            &mut [
                ("cancel-cascade TaskGroup", &mut |iters| {
                    time_fail_fast(iters, n, |siblings| {
                        runtime.block_on(async {
                            let mut group = TaskGroup::new(rt::tokio::Tokio);
                            for i in 0..n {
                                group.spawn(siblings.task(i));
                            }
                            group.join().await.unwrap_err();
                        })
                    })
                }),
                ("tokio JoinSet + shutdown", &mut |iters| {
                    time_fail_fast(iters, n, |siblings| {
                        runtime.block_on(join_set_until_error(n, &siblings))
                    })
                }),
                (
                    "floor: JoinSet + shutdown + one shared allocation",
                    &mut |iters| {
                        time_fail_fast(iters, n, |siblings| {
                            runtime.block_on(join_set_until_error_with_cells(n, &siblings))
                        })
                    },
                ),
            ],
        );
    }
}

/// Times `iters` runs of `run` on `runtime`.
fn time_runs<F: Future<Output = ()>>(
    runtime: &Runtime,
    iters: u64,
    mut run: impl FnMut() -> F,
) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        runtime.block_on(run());
    }
    start.elapsed()
}

/// Results as they complete: a `TaskSet` against `JoinSet`, both read with `join_next`.
fn set_join_next_tokio(c: &mut Criterion) {
    let runtime = tokio_runtime();
    for n in SIZES {
        compare(
            c,
            "set_join_next_tokio",
            Some(n),
            FAIL_FAST_PAIRS,
            1,
            &mut [
                ("cancel-cascade TaskSet::join_next", &mut |iters| {
                    time_runs(&runtime, iters, || async {
                        let mut set = TaskSet::<_, usize, Failed>::new(rt::tokio::Tokio);
                        for i in 0..n {
                            set.spawn(async move {
                                tokio::task::yield_now().await;
                                Ok(i)
                            });
                        }
                        let mut sum = 0;
                        while let Some(output) = set.join_next().await {
                            sum += output.unwrap();
                        }
                        assert_eq!(sum, n * (n - 1) / 2);
                    })
                }),
                ("tokio JoinSet::join_next", &mut |iters| {
                    time_runs(&runtime, iters, || async {
                        let mut set = JoinSet::new();
                        for i in 0..n {
                            set.spawn(async move {
                                tokio::task::yield_now().await;
                                Ok::<_, Failed>(i)
                            });
                        }
                        let mut sum = 0;
                        while let Some(output) = set.join_next().await {
                            sum += output.unwrap().unwrap();
                        }
                        assert_eq!(sum, n * (n - 1) / 2);
                    })
                }),
                (
                    "floor: JoinSet::join_next + one shared allocation",
                    &mut |iters| {
                        time_runs(&runtime, iters, || async {
                            let mut set = JoinSet::new();
                            let mut cells = Vec::with_capacity(n);
                            for i in 0..n {
                                let cell = FloorCell::new();
                                cells.push(Arc::clone(&cell));
                                set.spawn(async move {
                                    tokio::task::yield_now().await;
                                    Ok::<_, Failed>(cell.write(i as u64) as usize)
                                });
                            }
                            let mut sum = 0;
                            while let Some(output) = set.join_next().await {
                                sum += output.unwrap().unwrap();
                            }
                            drop(cells);
                            assert_eq!(sum, n * (n - 1) / 2);
                        })
                    },
                ),
            ],
        );
    }
}

/// How many tasks of the limited groups run at once.
const LIMIT: usize = 16;

/// A limited group against `JoinSet` + `Semaphore`.
fn limited_group_tokio(c: &mut Criterion) {
    let runtime = tokio_runtime();
    for n in SIZES {
        compare(
            c,
            "limited_group_tokio",
            Some(n),
            FAIL_FAST_PAIRS,
            1,
            &mut [
                ("cancel-cascade TaskGroup::with_limit", &mut |iters| {
                    time_runs(&runtime, iters, || async {
                        let mut group =
                            TaskGroup::<_, Failed>::new(rt::tokio::Tokio).with_limit(LIMIT);
                        for _ in 0..n {
                            group.spawn(async {
                                tokio::task::yield_now().await;
                                Ok(())
                            });
                        }
                        group.join().await.unwrap();
                    })
                }),
                ("tokio JoinSet + Semaphore", &mut |iters| {
                    time_runs(&runtime, iters, || async {
                        let permits = Arc::new(Semaphore::new(LIMIT));
                        let mut set = JoinSet::new();
                        for _ in 0..n {
                            let permits = Arc::clone(&permits);
                            set.spawn(async move {
                                let _permit = permits.acquire_owned().await.unwrap();
                                tokio::task::yield_now().await;
                                Ok::<(), Failed>(())
                            });
                        }
                        while let Some(output) = set.join_next().await {
                            output.unwrap().unwrap();
                        }
                    })
                }),
            ],
        );
    }
}

const SPAWN_AWAIT_PAIRS: usize = 101;
const SPAWN_AWAIT_BATCH: u64 = 2000;

/// One criterion group (with `parameter` in each id, if given), after a paired measurement.
///
/// The paired measurement times every entry once per pair, `batch` iterations each, starting
/// with a different entry each time. It prints each entry's median time, then the median over
/// the pairs of each of our entries' time over each peer's: load and clock drift hit both sides
/// of each ratio alike, which criterion's one-entry-after-the-other estimates cannot promise.
fn compare(
    c: &mut Criterion,
    group: &str,
    parameter: Option<usize>,
    pairs: usize,
    batch: u64,
    entries: &mut [Entry<'_>],
) {
    let mut times = vec![Vec::with_capacity(pairs); entries.len()];
    // `TASKS_NO_PAIRS=1` skips the paired runs (when profiling one entry with criterion's
    // `--profile-time`).
    let pairs = if std::env::var_os("TASKS_NO_PAIRS").is_some() {
        0
    } else {
        pairs
    };
    for pair in 0..pairs {
        for k in 0..entries.len() {
            let index = (pair + k) % entries.len();
            times[index].push((entries[index].1)(batch).as_secs_f64());
        }
    }
    let median = |mut values: Vec<f64>| {
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let at = parameter.map_or_else(String::new, |n| format!(" at N = {n}"));
    if pairs == 0 {
        return bench_entries(c, group, parameter, entries);
    }
    println!("{group}{at}, medians of {pairs} paired runs:");
    for (entry, times) in entries.iter().zip(&times) {
        let per_iteration = median(times.clone()) / batch as f64;
        println!("  {:<48} {:>12.3} us", entry.0, per_iteration * 1e6);
    }
    let is_ours = |name: &str| name.starts_with("cancel-cascade");
    for (ours, our_times) in entries.iter().zip(&times).filter(|(e, _)| is_ours(e.0)) {
        for (peer, peer_times) in entries.iter().zip(&times).filter(|(e, _)| !is_ours(e.0)) {
            let ratios = our_times.iter().zip(peer_times).map(|(o, p)| o / p);
            println!(
                "  {} / {} = {:.3}",
                ours.0,
                peer.0,
                median(ratios.collect())
            );
        }
    }
    bench_entries(c, group, parameter, entries);
}

/// Hands each entry to criterion.
fn bench_entries(
    c: &mut Criterion,
    group: &str,
    parameter: Option<usize>,
    entries: &mut [Entry<'_>],
) {
    let mut criterion_group = c.benchmark_group(group);
    if parameter.is_some() {
        criterion_group.sample_size(20);
    }
    for (name, time) in entries.iter_mut() {
        let id = match parameter {
            Some(n) => BenchmarkId::new(*name, n),
            None => BenchmarkId::from_parameter(name),
        };
        criterion_group.bench_function(id, |b| b.iter_custom(&mut **time));
    }
    criterion_group.finish();
}

fn spawn_await_tokio(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    compare(
        c,
        "spawn_await_tokio",
        None,
        SPAWN_AWAIT_PAIRS,
        SPAWN_AWAIT_BATCH,
        &mut [
            ("tokio spawn + JoinHandle", &mut |iters| {
                runtime.block_on(round_trips(iters, |i| async move {
                    tokio::spawn(async move { black_box(i) }).await.unwrap()
                }))
            }),
            (
                "floor: tokio JoinHandle + one shared allocation",
                &mut |iters| {
                    runtime.block_on(round_trips(iters, |i| {
                        floor_round_trip(i, tokio::spawn, Result::unwrap)
                    }))
                },
            ),
            (OURS, &mut |iters| {
                runtime.block_on(round_trips(iters, |i| {
                    rt::tokio::spawn(async move { black_box(i) })
                }))
            }),
            (SUPERVISED, &mut |iters| {
                runtime.block_on(round_trips(iters, |i| {
                    TokioDetached.spawn_task(async move { black_box(i) })
                }))
            }),
        ],
    );
}

/// smol through the supervised mechanism, on an executor of one's own.
struct SmolExecutorDetached<'a>(&'a Executor<'static>);

impl Spawn for SmolExecutorDetached<'_> {
    fn spawn_detached<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.0.spawn(future).detach();
    }
}

fn spawn_await_smol(c: &mut Criterion) {
    let executor = Executor::new();
    let detached = SmolExecutorDetached(&executor);
    compare(
        c,
        "spawn_await_smol",
        None,
        SPAWN_AWAIT_PAIRS,
        SPAWN_AWAIT_BATCH,
        &mut [
            ("smol spawn + Task", &mut |iters| {
                smol::block_on(executor.run(round_trips(iters, |i| {
                    executor.spawn(async move { black_box(i) })
                })))
            }),
            ("floor: smol Task + one shared allocation", &mut |iters| {
                smol::block_on(executor.run(round_trips(iters, |i| {
                    floor_round_trip(i, |task| executor.spawn(task), |value| value)
                })))
            }),
            (OURS, &mut |iters| {
                smol::block_on(executor.run(round_trips(iters, |i| {
                    executor.spawn_task(async move { black_box(i) })
                })))
            }),
            (SUPERVISED, &mut |iters| {
                smol::block_on(executor.run(round_trips(iters, |i| {
                    detached.spawn_task(async move { black_box(i) })
                })))
            }),
        ],
    );
}

fn spawn_await_async_std(c: &mut Criterion) {
    fn on_executor<F>(body: F) -> Duration
    where
        F: Future<Output = Duration> + Send + 'static,
    {
        async_std::task::block_on(async_std::task::spawn(body))
    }
    compare(
        c,
        "spawn_await_async_std",
        None,
        SPAWN_AWAIT_PAIRS,
        SPAWN_AWAIT_BATCH,
        &mut [
            ("async-std spawn + JoinHandle", &mut |iters| {
                on_executor(round_trips(iters, |i| {
                    async_std::task::spawn(async move { black_box(i) })
                }))
            }),
            (
                "floor: async-std JoinHandle + one shared allocation",
                &mut |iters| {
                    on_executor(round_trips(iters, |i| {
                        floor_round_trip(i, async_std::task::spawn, |value| value)
                    }))
                },
            ),
            // async-std's adapter is the supervised mechanism.
            (SUPERVISED, &mut |iters| {
                on_executor(round_trips(iters, |i| {
                    rt::async_std::spawn(async move { black_box(i) })
                }))
            }),
        ],
    );
}

fn main() {
    // Read once, when each global executor starts. smol matches tokio's two workers; async-std
    // runs only `spawn_await`, on one thread like the other `spawn_await` groups.
    std::env::set_var("SMOL_THREADS", "2");
    std::env::set_var("ASYNC_STD_THREAD_COUNT", "1");
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    // The paired runs of `compare` ignore criterion's filter: run only the groups it names.
    // `TASKS_GROUPS` names them instead, so that criterion's filter can pick one entry.
    let filter = std::env::var("TASKS_GROUPS")
        .ok()
        .or_else(|| std::env::args().skip(1).find(|arg| !arg.starts_with('-')));
    // The census first: it prints figures, it times nothing.
    if filter
        .as_deref()
        .is_none_or(|filter| filter.split('|').any(|part| "census".contains(part)))
    {
        census::run();
    }
    type Group = fn(&mut Criterion);
    let groups: [(&str, Group); 8] = [
        ("fail_fast_tokio", fail_fast_tokio),
        ("fail_fast_smol", fail_fast_smol),
        ("group_fail_fast_tokio", group_fail_fast_tokio),
        ("set_join_next_tokio", set_join_next_tokio),
        ("limited_group_tokio", limited_group_tokio),
        ("spawn_await_tokio", spawn_await_tokio),
        ("spawn_await_smol", spawn_await_smol),
        ("spawn_await_async_std", spawn_await_async_std),
    ];
    for (name, group) in groups {
        // Alternatives as in criterion's regex filter: `a|b`.
        if filter
            .as_deref()
            .is_none_or(|filter| filter.split('|').any(|part| name.contains(part)))
        {
            group(&mut criterion);
        }
    }
    criterion.final_summary();
}
