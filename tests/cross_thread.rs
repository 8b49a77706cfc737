//! Wakes from other threads, under stress: many rounds, thousands of children, several waking
//! threads, the parent's waker changing between polls. A lost wake-up would hang the driver, so
//! every run sits under a watchdog that turns a hang into a failure.

#[allow(dead_code)]
mod support;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::thread;
use std::time::Duration;

use cancel_cascade::{select_first, try_join_all_cancel, wait_any};
use support::{watchdog, Log, Opener, Rng, WakeCounter};

// Under miri, where each child costs milliseconds and threads are interleaved by the
// interpreter itself, a few rounds of a few words of children.
const ROUNDS: usize = if cfg!(miri) { 2 } else { 60 };
const CHILDREN: usize = if cfg!(miri) { 100 } else { 4000 };
const WAKING_THREADS: usize = 4;
// Generous: the machine may be busy compiling; a lost wake-up fails long before anyone waits
// this long for a green run.
const LIMIT: Duration = Duration::from_secs(120);
const WAIT_FOR_WAKE: Duration = Duration::from_secs(30);

/// Polls `combinator` to completion by hand, alternating between two parent wakers and
/// sleeping between polls until the current one is woken.
fn drive<F: Future + Unpin>(combinator: &mut F) -> F::Output {
    let parents = [WakeCounter::new(), WakeCounter::new()];
    for poll in 0.. {
        let parent = &parents[poll % 2];
        // Read before polling, so a wake that lands during the poll is not waited for.
        let seen = parent.wakes();
        let waker = parent.waker();
        if let Poll::Ready(output) =
            Pin::new(&mut *combinator).poll(&mut Context::from_waker(&waker))
        {
            return output;
        }
        parent.wait_past(seen, WAIT_FOR_WAKE);
    }
    unreachable!("the loop only ends by returning")
}

/// The first poll, before any gate opens, so that every completion arrives through a wake.
fn poll_first<F: Future + Unpin>(combinator: &mut F) {
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let first = Pin::new(combinator).poll(&mut Context::from_waker(&waker));
    assert!(first.is_pending());
}

/// Opens the gates of `order` from `WAKING_THREADS` threads, each taking every
/// `WAKING_THREADS`-th gate, yielding now and then to shuffle the interleaving.
fn open_from_threads(
    openers: &[Opener],
    order: &[usize],
    seed: u64,
) -> Vec<thread::JoinHandle<()>> {
    (0..WAKING_THREADS)
        .map(|thread_index| {
            let mine: Vec<Opener> = order
                .iter()
                .skip(thread_index)
                .step_by(WAKING_THREADS)
                .map(|&index| openers[index].clone())
                .collect();
            let mut rng = Rng::new(seed ^ ((thread_index as u64) << 32));
            thread::spawn(move || {
                for opener in mine {
                    opener.open();
                    if rng.below(16) == 0 {
                        thread::yield_now();
                    }
                }
            })
        })
        .collect()
}

#[test]
fn try_join_all_cancel_survives_wakes_from_many_threads() {
    watchdog("try_join_all_cancel stress", LIMIT, || {
        for round in 0..ROUNDS {
            let log = Log::new();
            let (gates, openers) = log.gates((0..CHILDREN).map(Ok::<usize, ()>));
            let mut join = try_join_all_cancel(gates);
            poll_first(&mut join);

            let mut order: Vec<usize> = (0..CHILDREN).collect();
            Rng::new(round as u64).shuffle(&mut order);
            let threads = open_from_threads(&openers, &order, round as u64);
            let outcome = drive(&mut join);
            threads
                .into_iter()
                .for_each(|thread| thread.join().unwrap());

            assert_eq!(outcome, Ok((0..CHILDREN).collect()), "round {round}");
            // Each child is woken exactly once, after its first poll: one more poll each.
            assert_eq!(log.polls(), 2 * CHILDREN, "round {round}");
            assert_eq!(log.drops(), CHILDREN, "round {round}");
        }
    });
}

#[test]
fn select_first_and_wait_any_survive_racing_winners() {
    watchdog("select_first / wait_any stress", LIMIT, || {
        for round in 0..ROUNDS {
            let mut rng = Rng::new(1000 + round as u64);
            let mut order: Vec<usize> = (0..CHILDREN).collect();
            rng.shuffle(&mut order);
            // A handful of winners race each other from different threads.
            let racers = &order[..WAKING_THREADS * 2];

            let log = Log::new();
            let (gates, openers) = log.gates(0..CHILDREN);
            let mut select = select_first(gates);
            poll_first(&mut select);
            let threads = open_from_threads(&openers, racers, round as u64);
            let (output, index) = drive(&mut select);
            threads
                .into_iter()
                .for_each(|thread| thread.join().unwrap());
            assert_eq!(output, index);
            assert!(
                racers.contains(&index),
                "round {round}: {index} never opened"
            );
            assert_eq!(log.drops(), CHILDREN, "round {round}");

            let log = Log::new();
            let (gates, openers) = log.gates(0..CHILDREN);
            let mut wait = wait_any(gates);
            poll_first(&mut wait);
            let threads = open_from_threads(&openers, racers, round as u64);
            let done = drive(&mut wait);
            threads
                .into_iter()
                .for_each(|thread| thread.join().unwrap());
            assert!(!done.is_empty(), "round {round}");
            assert!(
                done.windows(2).all(|pair| pair[0].0 < pair[1].0),
                "round {round}: {done:?}"
            );
            assert!(
                done.iter()
                    .all(|&(index, output)| index == output && racers.contains(&index)),
                "round {round}: {done:?}"
            );
            assert_eq!(log.drops(), CHILDREN, "round {round}");
        }
    });
}

#[test]
fn block_on_drives_a_join_woken_from_other_threads() {
    watchdog("block_on stress", LIMIT, || {
        for round in 0..ROUNDS {
            let log = Log::new();
            let (gates, openers) = log.gates((0..CHILDREN).map(Ok::<usize, ()>));
            let mut order: Vec<usize> = (0..CHILDREN).collect();
            Rng::new(2000 + round as u64).shuffle(&mut order);
            // The threads may open gates before `block_on` first polls: those children then
            // complete on their first poll.
            let threads = open_from_threads(&openers, &order, round as u64);
            let outcome = futures::executor::block_on(try_join_all_cancel(gates));
            threads
                .into_iter()
                .for_each(|thread| thread.join().unwrap());

            assert_eq!(outcome, Ok((0..CHILDREN).collect()), "round {round}");
            assert!(
                log.polls() <= 2 * CHILDREN,
                "round {round}: {} polls",
                log.polls()
            );
            assert_eq!(log.drops(), CHILDREN, "round {round}");
        }
    });
}

#[test]
fn a_join_polled_from_several_runtime_threads_completes() {
    watchdog("tokio multi-thread stress", LIMIT, || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        for round in 0..ROUNDS.div_ceil(3) {
            let log = Log::new();
            let (gates, openers) = log.gates((0..CHILDREN).map(Ok::<usize, ()>));
            let outcome = runtime.block_on(async {
                let join = tokio::spawn(try_join_all_cancel(gates));
                // Give the task its first poll before the wakes start, most of the time.
                tokio::task::yield_now().await;
                let mut order: Vec<usize> = (0..CHILDREN).collect();
                Rng::new(3000 + round as u64).shuffle(&mut order);
                let threads = open_from_threads(&openers, &order, round as u64);
                let outcome = join.await.unwrap();
                threads
                    .into_iter()
                    .for_each(|thread| thread.join().unwrap());
                outcome
            });

            assert_eq!(outcome, Ok((0..CHILDREN).collect()), "round {round}");
            assert_eq!(log.drops(), CHILDREN, "round {round}");
        }
    });
}
