//! The bounded forms, `try_join_all_cancel_limit` and `as_completed_limit`: futures are created
//! only as slots free up, exactly `limit` are in flight whenever `poll` returns while inputs
//! remain (no batching), outputs keep their input order or index, and the first error drops
//! everything in flight and creates nothing more; an endless iterator of ready futures does not
//! keep one `poll` busy forever. Polled by hand, children woken in a seeded random order.

#[allow(dead_code)]
mod support;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::Duration;

use cancel_cascade::{as_completed_limit, try_join_all_cancel_limit};
use futures::future::FusedFuture;
use futures::stream::{FusedStream, Stream};
use support::{watchdog, Rng, WakeCounter};

const CHILDREN: usize = if cfg!(miri) { 300 } else { 200_000 };
const LIMIT: usize = if cfg!(miri) { 8 } else { 64 };

/// What the children of one run share with the test: how many exist, which are waiting, which
/// the test opened, and how often each was polled.
#[derive(Default)]
struct Shared {
    created: AtomicUsize,
    live: AtomicUsize,
    max_live: AtomicUsize,
    /// `(index, waker)` of each child that went pending, for the test to open and wake.
    waiting: Mutex<Vec<(usize, Waker)>>,
    opened: Mutex<Vec<bool>>,
    polls: AtomicUsize,
    fails: Mutex<Option<usize>>,
}

impl Shared {
    fn new(n: usize) -> Arc<Self> {
        let shared = Shared::default();
        *shared.opened.lock().unwrap() = vec![false; n];
        Arc::new(shared)
    }

    /// The inputs: each future is created (and counted) only when the iterator is pulled.
    fn inputs(self: &Arc<Self>, n: usize) -> impl Iterator<Item = Child> {
        let shared = Arc::clone(self);
        (0..n).map(move |index| {
            shared.created.fetch_add(1, SeqCst);
            let live = shared.live.fetch_add(1, SeqCst) + 1;
            shared.max_live.fetch_max(live, SeqCst);
            Child {
                index,
                shared: Arc::clone(&shared),
            }
        })
    }

    fn live(&self) -> usize {
        self.live.load(SeqCst)
    }

    /// Opens one waiting child, picked by `rng`, and wakes it; false if none is waiting.
    fn open_one(&self, rng: &mut Rng) -> bool {
        let mut waiting = self.waiting.lock().unwrap();
        if waiting.is_empty() {
            return false;
        }
        let at = rng.below(waiting.len());
        let (index, waker) = waiting.swap_remove(at);
        drop(waiting);
        self.opened.lock().unwrap()[index] = true;
        waker.wake();
        true
    }
}

struct Child {
    index: usize,
    shared: Arc<Shared>,
}

impl Future for Child {
    type Output = Result<usize, usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.shared.polls.fetch_add(1, SeqCst);
        if self.shared.opened.lock().unwrap()[self.index] {
            if *self.shared.fails.lock().unwrap() == Some(self.index) {
                return Poll::Ready(Err(self.index));
            }
            return Poll::Ready(Ok(self.index));
        }
        let mut waiting = self.shared.waiting.lock().unwrap();
        waiting.push((self.index, cx.waker().clone()));
        Poll::Pending
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        self.shared.live.fetch_sub(1, SeqCst);
    }
}

#[test]
fn a_join_runs_every_input_through_the_limit_with_exactly_limit_in_flight() {
    let shared = Shared::new(CHILDREN);
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut cx = Context::from_waker(&waker);
    let mut join = try_join_all_cancel_limit(shared.inputs(CHILDREN), LIMIT);
    assert_eq!(
        shared.created.load(SeqCst),
        0,
        "lazy: nothing created before the first poll"
    );
    let mut rng = Rng::new(64);
    let mut parent_polls = 0;
    let outputs = loop {
        parent_polls += 1;
        if let Poll::Ready(outputs) = Pin::new(&mut join).poll(&mut cx) {
            break outputs;
        }
        let remaining = CHILDREN - shared.created.load(SeqCst);
        if remaining > 0 {
            assert_eq!(
                shared.live(),
                LIMIT,
                "exactly the limit in flight while inputs remain"
            );
        }
        assert!(shared.open_one(&mut rng), "pending with no child waiting");
    };
    assert_eq!(
        outputs,
        Ok((0..CHILDREN).collect::<Vec<_>>()),
        "input order"
    );
    assert!(join.is_terminated());
    assert_eq!(
        shared.max_live.load(SeqCst),
        LIMIT,
        "never more than the limit"
    );
    assert_eq!(shared.live(), 0);
    assert_eq!(
        shared.polls.load(SeqCst),
        2 * CHILDREN,
        "two polls per child woken once"
    );
    assert_eq!(parent_polls, CHILDREN + 1, "one parent poll per wake");
}

/// A slow first child holds its own slot only: the other slots keep turning over behind it
/// (futures' `buffered` would let the in-flight count fall towards 1).
#[test]
fn a_slow_child_holds_only_its_own_slot() {
    let shared = Shared::new(1000);
    let waker = WakeCounter::new().waker();
    let mut cx = Context::from_waker(&waker);
    let mut join = try_join_all_cancel_limit(shared.inputs(1000), 4);
    assert!(Pin::new(&mut join).poll(&mut cx).is_pending());
    for _ in 0..500 {
        let waiting = shared.waiting.lock().unwrap().clone();
        let (index, child) = waiting
            .into_iter()
            .find(|&(index, _)| index != 0)
            .expect("a child other than 0 waits");
        shared.waiting.lock().unwrap().retain(|&(i, _)| i != index);
        shared.opened.lock().unwrap()[index] = true;
        child.wake();
        assert!(Pin::new(&mut join).poll(&mut cx).is_pending());
        assert_eq!(shared.live(), 4);
    }
    assert_eq!(shared.created.load(SeqCst), 504);
}

#[test]
fn the_first_error_drops_everything_in_flight_and_creates_nothing_more() {
    let shared = Shared::new(CHILDREN);
    *shared.fails.lock().unwrap() = Some(1000.min(CHILDREN / 2));
    let waker = WakeCounter::new().waker();
    let mut cx = Context::from_waker(&waker);
    let mut join = try_join_all_cancel_limit(shared.inputs(CHILDREN), LIMIT);
    let mut rng = Rng::new(7);
    let error = loop {
        match Pin::new(&mut join).poll(&mut cx) {
            Poll::Ready(outcome) => break outcome.expect_err("one child fails"),
            Poll::Pending => assert!(shared.open_one(&mut rng)),
        }
    };
    assert_eq!(error, 1000.min(CHILDREN / 2));
    assert_eq!(
        shared.live(),
        0,
        "everything in flight dropped inside that poll"
    );
    let created = shared.created.load(SeqCst);
    assert!(created < CHILDREN);
    drop(join);
    assert_eq!(
        shared.created.load(SeqCst),
        created,
        "no future created after the error"
    );
}

#[test]
fn a_stream_yields_every_index_through_the_limit() {
    let shared = Shared::new(CHILDREN);
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut cx = Context::from_waker(&waker);
    let mut stream = as_completed_limit(shared.inputs(CHILDREN), LIMIT);
    let mut rng = Rng::new(3);
    let mut seen = vec![false; CHILDREN];
    loop {
        match Pin::new(&mut stream).poll_next(&mut cx) {
            Poll::Ready(Some((index, output))) => {
                assert_eq!(output, Ok(index));
                assert!(
                    !std::mem::replace(&mut seen[index], true),
                    "{index} yielded twice"
                );
            }
            Poll::Ready(None) => break,
            Poll::Pending => {
                if CHILDREN > shared.created.load(SeqCst) {
                    assert_eq!(shared.live(), LIMIT);
                }
                assert!(shared.open_one(&mut rng));
            }
        }
    }
    assert!(seen.iter().all(|&seen| seen));
    assert!(stream.is_terminated());
    assert_eq!(shared.max_live.load(SeqCst), LIMIT);
    assert_eq!(shared.polls.load(SeqCst), 2 * CHILDREN);
}

#[test]
fn dropping_a_stream_drops_the_children_in_flight_and_the_iterator() {
    let shared = Shared::new(100);
    let waker = WakeCounter::new().waker();
    let mut stream = as_completed_limit(shared.inputs(100), 10);
    assert!(Pin::new(&mut stream)
        .poll_next(&mut Context::from_waker(&waker))
        .is_pending());
    assert_eq!(shared.live(), 10);
    drop(stream);
    assert_eq!(shared.live(), 0);
    assert_eq!(shared.created.load(SeqCst), 10);
    assert_eq!(Arc::strong_count(&shared), 1, "the iterator went too");
}

/// Children woken from other threads, with the parent waiting for each wake.
#[test]
fn wakes_from_other_threads_reach_a_bounded_join() {
    const N: usize = if cfg!(miri) { 60 } else { 5000 };
    watchdog(
        "a bounded join across threads",
        Duration::from_secs(120),
        || {
            let shared = Shared::new(N);
            let parent = WakeCounter::new();
            let waker = parent.waker();
            let mut cx = Context::from_waker(&waker);
            let mut join = try_join_all_cancel_limit(shared.inputs(N), 16);
            let stop = Arc::new(AtomicBool::new(false));
            let opener = {
                let (shared, stop) = (Arc::clone(&shared), Arc::clone(&stop));
                thread::spawn(move || {
                    let mut rng = Rng::new(99);
                    while !stop.load(SeqCst) {
                        if !shared.open_one(&mut rng) {
                            thread::yield_now();
                        }
                    }
                })
            };
            let outputs = loop {
                let seen = parent.wakes();
                if let Poll::Ready(outputs) = Pin::new(&mut join).poll(&mut cx) {
                    break outputs;
                }
                parent.wait_past(seen, Duration::from_secs(30));
            };
            stop.store(true, SeqCst);
            opener.join().unwrap();
            assert_eq!(outputs, Ok((0..N).collect::<Vec<_>>()));
            assert_eq!(shared.max_live.load(SeqCst), 16);
        },
    );
}

/// A wake reaches the waker of the latest parent poll, for a child started in an earlier poll
/// and for one started in the latest.
#[test]
fn wakes_reach_the_latest_parent_waker() {
    let shared = Shared::new(10);
    let (first, second) = (WakeCounter::new(), WakeCounter::new());
    let mut join = try_join_all_cancel_limit(shared.inputs(10), 2);
    fn poll<F: Future + Unpin>(join: &mut F, parent: &Arc<WakeCounter>) -> Poll<F::Output> {
        Pin::new(join).poll(&mut Context::from_waker(&parent.waker()))
    }
    assert!(poll(&mut join, &first).is_pending());
    let mut rng = Rng::new(1);
    assert!(shared.open_one(&mut rng));
    assert_eq!(first.wakes(), 1);
    // Child 2 starts in this poll, in the freed slot.
    assert!(poll(&mut join, &second).is_pending());
    assert_eq!(shared.created.load(SeqCst), 3);
    for _ in 0..2 {
        assert!(shared.open_one(&mut rng));
    }
    assert_eq!(
        (first.wakes(), second.wakes()),
        (1, 2),
        "each wake reaches the latest waker only"
    );
}

/// An endless iterator of futures that are ready at their first poll, counting how many it
/// made: `(created, iterator)`.
fn endless_ready<T: Clone + Send + 'static>(
    output: impl Fn(usize) -> T + Send + 'static,
) -> (
    Arc<AtomicUsize>,
    impl Iterator<Item = std::future::Ready<T>> + Send,
) {
    let created = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&created);
    let inputs = (0..).map(move |i| {
        counter.fetch_add(1, SeqCst);
        std::future::ready(output(i))
    });
    (created, inputs)
}

/// Children that all complete at their first poll must not keep one `poll_next` refilling
/// forever: it hands back what one round of `limit` of them gave, pulling nothing more.
#[test]
fn a_stream_over_endless_ready_children_yields_after_one_round() {
    watchdog("endless ready stream", Duration::from_secs(30), || {
        let (created, inputs) = endless_ready(|i| i);
        let waker = WakeCounter::new().waker();
        let mut cx = Context::from_waker(&waker);
        let mut stream = as_completed_limit(inputs, 4);
        for expected in 0..10 {
            let polled = Pin::new(&mut stream).poll_next(&mut cx);
            assert_eq!(polled, Poll::Ready(Some((expected, expected))));
        }
        // Two rounds of 4 for the first 8 items, a third for items 8 and 9.
        assert_eq!(created.load(SeqCst), 12);
        assert!(!stream.is_terminated());
    });
}

/// The same for a join: after a round of children ready at their first poll (`limit`, at least
/// 128), `poll` returns `Pending` having woken its own waker, so that a timeout or a sibling
/// gets a turn; the join still ends with the first error.
#[test]
fn a_join_over_endless_ready_children_yields_to_the_executor() {
    watchdog("endless ready join", Duration::from_secs(30), || {
        let (created, inputs) = endless_ready(|i| if i == 300 { Err(i) } else { Ok(i) });
        let parent = WakeCounter::new();
        let waker = parent.waker();
        let mut cx = Context::from_waker(&waker);
        let mut join = try_join_all_cancel_limit(inputs, 4);
        assert!(Pin::new(&mut join).poll(&mut cx).is_pending());
        assert_eq!(created.load(SeqCst), 128);
        assert_eq!(parent.wakes(), 1, "it woke itself to go on");
        let mut polls = 1;
        let outcome = loop {
            polls += 1;
            if let Poll::Ready(outcome) = Pin::new(&mut join).poll(&mut cx) {
                break outcome;
            }
            assert_eq!(parent.wakes(), polls);
        };
        assert_eq!(outcome, Err(300));
        assert_eq!(polls, 3, "300 inputs before the error, 128 a poll");
        assert_eq!(created.load(SeqCst), 301);
        assert!(join.is_terminated());
    });
}
