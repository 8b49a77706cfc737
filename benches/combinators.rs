//! Our combinators against futures-util and futures-concurrency, side by side, N in
//! {10, 100, 1000, 10 000}; one criterion group per case, one `BenchmarkId` per implementation.
//!
//! Every child is a [`Gated`] future: pending until the bench opens its gate, it keeps the waker
//! of its latest pending poll, and counts its own drop. The parent task's waker raises a flag;
//! an implementation is polled again only while its last poll left that flag raised (an
//! executor's rule; futures-util's `FuturesUnordered` yields that way). Wake orders, failing
//! children and winners come from a seeded generator, the same for every implementation.
//!
//! * `all_ready`: every child is ready at its first poll. Timed: construction from a `Vec` of
//!   children, polling to `Ready`, dropping the combinator. `plain loop` polls each child once
//!   with the parent's context and collects the outputs: the floor.
//! * `woken_once`: every child is pending until woken once, in a seeded random order. Not
//!   timed: construction and the first poll (which stores every child's waker). Timed: for each
//!   child in that order, open its gate, wake its stored waker, poll the combinator.
//!   `FuturesUnordered` and `as_completed` (drained into a `Vec` by `try_collect`) collect in
//!   completion order, the others in input order. `oracle` is
//!   the floor: it knows the wake order, so after the first poll it polls the one child just
//!   woken, with the parent's own waker and no ready set; what is left is what every
//!   implementation pays (the wake, one child poll, storing the output).
//! * `fail_fast`: after the first poll (not timed), one child fails, the N - 1 others stay
//!   pending. Timed: from the failing child's wake to `Err` with every child dropped, which
//!   includes dropping the combinator (for every implementation, ours too). The failing index is
//!   seeded random, except for futures-util's `try_join_all` at N > 30: its `FuturesOrdered`
//!   withholds an error until every lower index has completed, so it would never fail fast
//!   there; it gets index 0, its best case.
//! * `race_whole`: the whole race. Timed: building the combinator over N pending children, its
//!   first poll, one seeded random winner's wake, and the output with every loser dropped.
//!   `plain loop` (poll every child with the parent's context at every poll) is a floor with
//!   no per-child wakers.
//! * `limit_64`: the children go through a concurrency limit of 64, each pending until woken
//!   once; the one woken next is drawn (seeded) from those waiting at that moment. Not timed:
//!   construction and the first poll (which starts the first 64). Timed: open and wake one
//!   waiting child, poll, until the output. Before measuring, the bench prints the fewest
//!   children in flight after a poll while inputs remained (`buffered` lets it fall to 1).
//! * `race`: after the first poll (not timed), one seeded random child wins. Timed: from the
//!   winner's wake to the output with every loser dropped (dropping the combinator and, for
//!   `select_all` and `select_ok`, the returned remainder).
//! * `first_ok_half_fail`: after the first poll (not timed), half the children, in a seeded
//!   random order, fail one by one (one wake and one parent poll each), then one more succeeds.
//!   Timed: from the first failure's wake to the winner's output with every loser dropped.
//!   `FuturesUnordered drain` pulls from a `FuturesUnordered`, keeps each error and stops at
//!   the first `Ok`, dropping the set: what a user writes by hand.
//! * `first_ok_all_fail`: the same, but every child fails; timed until the error of the last
//!   one (futures-util's `select_ok` returns only that one; the others keep every error).
//!
//! * `spawn_while_draining`: a set that grows while it is drained. N tasks go in at the start,
//!   each pending until woken once; each even-numbered one, as it completes, adds a follow-up
//!   task (N / 2 of them), pending until woken once too. The task woken next is drawn (seeded)
//!   from those waiting at that moment. Timed: all of it, from building the set and adding the
//!   first N to the last output, with the set dropped. Ours is a [`scope`] whose tasks spawn
//!   their follow-ups themselves; the peers, `FuturesUnordered` and futures-concurrency's
//!   `FutureGroup`, are drained by a loop that pushes each follow-up as the output that asks
//!   for it comes out (they cannot be pushed to from inside a task). Every task is of one
//!   type, unboxed, in all three.
//!
//! Runs are prepared in batches (up to 64 at N = 10, one at a time from N = 1000), then the
//! timed parts of the batch run back to back under one clock, so the clock's own cost stays
//! negligible. Criterion settings (0.5 s warm-up, 1.5 s measurement, 20 samples) keep the whole
//! `cargo bench` to a few minutes on two cores.
//!
//! Before measuring, the bench prints a census: allocations and child polls of one counted run
//! per implementation and N.

mod support;

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use std::cell::RefCell;
use std::num::NonZeroUsize;

use cancel_cascade::{
    as_completed, as_completed_limit, scope, select_first, select_first_ok, try_join_all_cancel,
    try_join_all_cancel_limit, wait_any, ScopeSpawner,
};
use criterion::{BenchmarkId, Criterion, Throughput};
use futures::stream::{FuturesUnordered, Stream, StreamExt, TryStreamExt};
use futures_concurrency::concurrent_stream::ConcurrentStream as _;
use futures_concurrency::future::{FutureGroup, Race as _, RaceOk as _, TryJoin as _};
use futures_concurrency::stream::StreamExt as _;

use support::{
    batch_for, census_header, census_row, Board, Contender, Entry, Failed, Gate, Gated, Parent,
    Scenario, SplitMix64,
};

const SIZES: [usize; 4] = [10, 100, 1000, 10_000];

/// futures-util's `try_join_all` switches from polling every child to `FuturesOrdered` above
/// this many children.
const FUTURES_UTIL_SMALL: usize = 30;

type Joined = Result<Vec<usize>, Failed>;

/// The implementations a group enters at a given N.
type Contenders = fn(usize) -> Vec<Box<dyn Contender>>;

const GROUPS: [(&str, Contenders); 9] = [
    ("all_ready", all_ready),
    ("woken_once", woken_once),
    ("fail_fast", fail_fast),
    ("race", race),
    ("race_whole", race_whole),
    ("first_ok_half_fail", first_ok_half_fail),
    ("first_ok_all_fail", first_ok_all_fail),
    ("limit_64", limit_64),
    ("spawn_while_draining", spawn_while_draining),
];

/// The concurrency limit of group `limit_64`.
const LIMIT: usize = 64;

fn all_ready(n: usize) -> Vec<Box<dyn Contender>> {
    vec![
        Entry::boxed(
            "cancel-cascade::try_join_all_cancel",
            AllReady::new(n, |children, parent| {
                parent.complete(try_join_all_cancel(children))
            }),
        ),
        Entry::boxed(
            "futures::try_join_all",
            AllReady::new(n, |children, parent| {
                parent.complete(futures::future::try_join_all(children))
            }),
        ),
        Entry::boxed(
            "futures-concurrency::TryJoin",
            AllReady::new(n, |children, parent| parent.complete(children.try_join())),
        ),
        Entry::boxed("plain loop", AllReady::new(n, plain_loop)),
    ]
}

/// The floor of `all_ready`: poll each child once with the parent's context, collect outputs.
fn plain_loop(children: Vec<Gated>, parent: &Parent) -> Joined {
    let mut cx = Context::from_waker(parent.waker());
    let mut outputs = Vec::with_capacity(children.len());
    for mut child in children {
        match Pin::new(&mut child).poll(&mut cx) {
            Poll::Ready(Ok(output)) => outputs.push(output),
            Poll::Ready(Err(error)) => return Err(error),
            Poll::Pending => panic!("plain loop: a child was not ready"),
        }
    }
    Ok(outputs)
}

fn woken_once(n: usize) -> Vec<Box<dyn Contender>> {
    vec![
        Entry::boxed(
            "cancel-cascade::try_join_all_cancel",
            WokenOnce::new(n, true, try_join_all_cancel),
        ),
        Entry::boxed(
            "futures::try_join_all",
            WokenOnce::new(n, true, futures::future::try_join_all),
        ),
        Entry::boxed(
            "futures::FuturesUnordered",
            WokenOnce::new(n, false, |children| {
                FuturesUnordered::from_iter(children).try_collect()
            }),
        ),
        Entry::boxed(
            "cancel-cascade::as_completed",
            WokenOnce::new(n, false, |children| {
                as_completed(children)
                    .map(|(_, output)| output)
                    .try_collect()
            }),
        ),
        Entry::boxed(
            "futures-concurrency::TryJoin",
            WokenOnce::new(n, true, |children| children.try_join()),
        ),
        Entry::boxed("oracle", WokenOnce::new(n, true, Oracle::new)),
    ]
}

/// The wake order of `woken_once` at size `n`, the same for every implementation.
fn wake_order(n: usize) -> Vec<usize> {
    SplitMix64::new(seed(2, n)).permutation(n)
}

/// The floor of `woken_once`: polls every child at its first poll, then, at each poll, only
/// the child the bench has just woken (it knows the order). The children keep the parent's own
/// waker, so a wake costs what it costs any executor; there is no ready set to keep.
struct Oracle {
    children: Vec<Option<Gated>>,
    outputs: Vec<usize>,
    order: Vec<usize>,
    /// Position in `order` of the next child to poll; `None` before the first poll.
    next: Option<usize>,
}

impl Oracle {
    fn new(children: Vec<Gated>) -> Self {
        let n = children.len();
        Oracle {
            children: children.into_iter().map(Some).collect(),
            outputs: vec![0; n],
            order: wake_order(n),
            next: None,
        }
    }
}

impl Future for Oracle {
    type Output = Joined;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Joined> {
        let this = &mut *self;
        let Some(next) = this.next else {
            for child in this.children.iter_mut().flatten() {
                assert!(
                    Pin::new(child).poll(cx).is_pending(),
                    "oracle: a child was ready"
                );
            }
            this.next = Some(0);
            return Poll::Pending;
        };
        let index = this.order[next];
        let child = this.children[index]
            .as_mut()
            .expect("oracle: a child polled after it completed");
        match Pin::new(child).poll(cx) {
            Poll::Ready(Ok(output)) => this.outputs[index] = output,
            Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
            Poll::Pending => panic!("oracle: the woken child was not ready"),
        }
        this.children[index] = None;
        this.next = Some(next + 1);
        if next + 1 == this.order.len() {
            Poll::Ready(Ok(std::mem::take(&mut this.outputs)))
        } else {
            Poll::Pending
        }
    }
}

fn fail_fast(n: usize) -> Vec<Box<dyn Contender>> {
    let futures_util_failing = (n > FUTURES_UTIL_SMALL).then_some(0);
    vec![
        Entry::boxed(
            "cancel-cascade::try_join_all_cancel",
            FailFast::new(n, None, try_join_all_cancel),
        ),
        Entry::boxed(
            "futures::try_join_all",
            FailFast::new(n, futures_util_failing, futures::future::try_join_all),
        ),
        Entry::boxed(
            "futures::FuturesUnordered",
            FailFast::new(n, None, |children| {
                FuturesUnordered::from_iter(children).try_collect()
            }),
        ),
        Entry::boxed(
            "futures-concurrency::TryJoin",
            FailFast::new(n, None, |children| children.try_join()),
        ),
    ]
}

fn race(n: usize) -> Vec<Box<dyn Contender>> {
    vec![
        Entry::boxed(
            "cancel-cascade::select_first",
            Race::new(n, select_first, |(output, index)| {
                assert_eq!(output, Ok(index));
                index
            }),
        ),
        Entry::boxed(
            "cancel-cascade::wait_any",
            Race::new(n, wait_any, |done| match done[..] {
                [(index, Ok(output))] if index == output => index,
                _ => panic!("wait_any: expected one winner, got {done:?}"),
            }),
        ),
        Entry::boxed(
            "futures::select_all",
            Race::new(n, futures::future::select_all, |(output, _, rest)| {
                drop(rest);
                output.expect("the winner succeeds")
            }),
        ),
        Entry::boxed(
            "futures::select_ok",
            Race::new(n, futures::future::select_ok, |output| {
                let (winner, rest) = output.expect("the winner succeeds");
                drop(rest);
                winner
            }),
        ),
        Entry::boxed(
            "futures-concurrency::Race",
            Race::new(
                n,
                |children| children.race(),
                |output| output.expect("the winner succeeds"),
            ),
        ),
    ]
}

fn race_whole(n: usize) -> Vec<Box<dyn Contender>> {
    vec![
        Entry::boxed(
            "cancel-cascade::select_first",
            WholeRace::new(n, select_first, |(output, index)| {
                assert_eq!(output, Ok(index));
                index
            }),
        ),
        Entry::boxed(
            "cancel-cascade::wait_any",
            WholeRace::new(n, wait_any, |done| match done[..] {
                [(index, Ok(output))] if index == output => index,
                _ => panic!("wait_any: expected one winner, got {done:?}"),
            }),
        ),
        Entry::boxed(
            "futures::select_all",
            WholeRace::new(n, futures::future::select_all, |(output, _, rest)| {
                drop(rest);
                output.expect("the winner succeeds")
            }),
        ),
        Entry::boxed(
            "futures-concurrency::Race",
            WholeRace::new(
                n,
                |children| children.race(),
                |output| output.expect("the winner succeeds"),
            ),
        ),
        Entry::boxed(
            "futures-concurrency::RaceOk",
            WholeRace::new(
                n,
                |children| children.race_ok(),
                |output| match output {
                    Ok(winner) => winner,
                    Err(_) => panic!("race_whole: the winner succeeds"),
                },
            ),
        ),
        Entry::boxed(
            "plain loop",
            WholeRace::new(n, PlainRace::new, |output| {
                output.expect("the winner succeeds")
            }),
        ),
    ]
}

/// A floor for `race_whole`: no ready set and no waker of its own; every poll polls every
/// child with the parent's context, and the first to complete wins.
struct PlainRace {
    children: Vec<Gated>,
}

impl PlainRace {
    fn new(children: Vec<Gated>) -> Self {
        PlainRace { children }
    }
}

impl Future for PlainRace {
    type Output = Joined1;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Joined1> {
        for child in &mut self.children {
            if let Poll::Ready(output) = Pin::new(child).poll(cx) {
                self.children = Vec::new();
                return Poll::Ready(output);
            }
        }
        Poll::Pending
    }
}

/// One child's output.
type Joined1 = Result<usize, Failed>;

fn limit_64(n: usize) -> Vec<Box<dyn Contender>> {
    vec![
        Entry::boxed(
            "cancel-cascade::try_join_all_cancel_limit",
            Limited::new(n, true, |children| {
                try_join_all_cancel_limit(children, LIMIT)
            }),
        ),
        Entry::boxed(
            "cancel-cascade::as_completed_limit",
            Limited::new(n, false, |children| {
                as_completed_limit(children, LIMIT)
                    .map(|(_, output)| output)
                    .try_collect()
            }),
        ),
        Entry::boxed(
            "futures::buffer_unordered",
            Limited::new(n, false, |children| {
                futures::stream::iter(children)
                    .buffer_unordered(LIMIT)
                    .try_collect()
            }),
        ),
        Entry::boxed(
            "futures::buffered",
            Limited::new(n, true, |children| {
                futures::stream::iter(children)
                    .buffered(LIMIT)
                    .try_collect()
            }),
        ),
        Entry::boxed(
            "futures::try_for_each_concurrent",
            Limited::new(n, false, |children| {
                Box::pin(async move {
                    let outputs = RefCell::new(Vec::new());
                    futures::stream::iter(children.into_iter().map(Ok))
                        .try_for_each_concurrent(LIMIT, |child| async {
                            let output = child.await?;
                            outputs.borrow_mut().push(output);
                            Ok(())
                        })
                        .await?;
                    Ok(outputs.into_inner())
                })
            }),
        ),
        Entry::boxed(
            "futures-concurrency::co().limit",
            Limited::new(n, false, |children| {
                Box::pin(async move {
                    let outputs = Rc::new(RefCell::new(Vec::new()));
                    let sink = Rc::clone(&outputs);
                    futures::stream::iter(children)
                        .co()
                        .limit(NonZeroUsize::new(LIMIT))
                        .map(|child| child)
                        .try_for_each(move |output| {
                            let sink = Rc::clone(&sink);
                            async move {
                                sink.borrow_mut().push(output?);
                                Ok(())
                            }
                        })
                        .await?;
                    let outputs = Rc::try_unwrap(outputs).expect("the stream is gone");
                    Ok(outputs.into_inner())
                })
            }),
        ),
    ]
}

/// A distinct seed per case and size, the same for every implementation.
fn seed(case: u64, n: usize) -> u64 {
    (case << 32) ^ n as u64
}

fn boards(n: usize, gate: Gate) -> Vec<Rc<Board>> {
    (0..batch_for(n)).map(|_| Board::new(n, gate)).collect()
}

/// Group `all_ready`; `run` is the whole timed part.
struct AllReady {
    board: Rc<Board>,
    parent: Parent,
    run: fn(Vec<Gated>, &Parent) -> Joined,
}

impl AllReady {
    fn new(n: usize, run: fn(Vec<Gated>, &Parent) -> Joined) -> Self {
        AllReady {
            board: Board::new(n, Gate::Open),
            parent: Parent::new(),
            run,
        }
    }
}

impl Scenario for AllReady {
    type Prepared = Vec<Gated>;
    type Outcome = Joined;

    fn len(&self) -> usize {
        self.board.len()
    }

    fn slots(&self) -> usize {
        batch_for(self.len())
    }

    fn inputs(&mut self, _slot: usize) -> Vec<Gated> {
        self.board.children()
    }

    fn start(&mut self, _slot: usize, children: Vec<Gated>) -> Vec<Gated> {
        children
    }

    fn timed(&self, children: Vec<Gated>) -> Joined {
        (self.run)(children, &self.parent)
    }

    fn check(&self, outcome: Joined) {
        let outputs = outcome.expect("all_ready: every child succeeds");
        assert!(
            outputs.into_iter().eq(0..self.len()),
            "all_ready: outputs out of order"
        );
    }
}

/// A combinator driven by a scenario, and the board its children look at.
struct Running<C> {
    slot: usize,
    combinator: C,
}

/// Polls a fresh combinator over board `slot`'s children once; they all stay pending.
fn first_poll<C: Future + Unpin>(parent: &Parent, slot: usize, combinator: C) -> Running<C> {
    let mut running = Running { slot, combinator };
    assert!(
        parent.drive(&mut running.combinator).is_pending(),
        "a combinator completed before any child did"
    );
    running
}

/// Group `woken_once`.
struct WokenOnce<C> {
    boards: Vec<Rc<Board>>,
    order: Vec<usize>,
    parent: Parent,
    in_order: bool,
    make: fn(Vec<Gated>) -> C,
}

impl<C> WokenOnce<C> {
    fn new(n: usize, in_order: bool, make: fn(Vec<Gated>) -> C) -> Self {
        WokenOnce {
            boards: boards(n, Gate::Closed),
            order: wake_order(n),
            parent: Parent::new(),
            in_order,
            make,
        }
    }
}

impl<C: Future<Output = Joined> + Unpin> Scenario for WokenOnce<C> {
    type Prepared = Running<C>;
    type Outcome = (Running<C>, Option<Joined>);

    fn len(&self) -> usize {
        self.order.len()
    }

    fn slots(&self) -> usize {
        self.boards.len()
    }

    fn inputs(&mut self, slot: usize) -> Vec<Gated> {
        self.boards[slot].reset(Gate::Closed);
        self.boards[slot].children()
    }

    fn start(&mut self, slot: usize, children: Vec<Gated>) -> Running<C> {
        first_poll(&self.parent, slot, (self.make)(children))
    }

    fn timed(&self, mut running: Running<C>) -> Self::Outcome {
        let board = &self.boards[running.slot];
        let mut joined = None;
        for &index in &self.order {
            board.open(index, Gate::Open);
            if let Poll::Ready(output) = self.parent.drive(&mut running.combinator) {
                joined = Some(output);
            }
        }
        (running, joined)
    }

    fn check(&self, (running, joined): Self::Outcome) {
        let mut outputs = joined
            .expect("woken_once: not complete after the last wake")
            .expect("woken_once: every child succeeds");
        if !self.in_order {
            outputs.sort_unstable();
        }
        assert!(
            outputs.into_iter().eq(0..self.len()),
            "woken_once: wrong outputs"
        );
        let board = &self.boards[running.slot];
        drop(running);
        assert_eq!(
            board.dropped(),
            self.len(),
            "woken_once: children not dropped"
        );
    }
}

/// Group `race_whole`: the whole race, timed from the combinator's construction over N
/// pending children through the first poll and the winner's wake to the output with every
/// loser dropped.
struct WholeRace<C: Future> {
    boards: Vec<Rc<Board>>,
    rng: SplitMix64,
    parent: Parent,
    make: fn(Vec<Gated>) -> C,
    winner_of: fn(C::Output) -> usize,
}

impl<C: Future> WholeRace<C> {
    fn new(n: usize, make: fn(Vec<Gated>) -> C, winner_of: fn(C::Output) -> usize) -> Self {
        WholeRace {
            boards: boards(n, Gate::Closed),
            rng: SplitMix64::new(seed(6, n)),
            parent: Parent::new(),
            make,
            winner_of,
        }
    }
}

impl<C: Future + Unpin> Scenario for WholeRace<C> {
    type Prepared = (usize, Vec<Gated>, usize);
    type Outcome = (usize, usize, usize);

    fn len(&self) -> usize {
        self.boards[0].len()
    }

    fn slots(&self) -> usize {
        self.boards.len()
    }

    fn inputs(&mut self, slot: usize) -> Vec<Gated> {
        self.boards[slot].reset(Gate::Closed);
        self.boards[slot].children()
    }

    fn start(&mut self, slot: usize, children: Vec<Gated>) -> Self::Prepared {
        (slot, children, self.rng.below(self.len()))
    }

    fn timed(&self, (slot, children, winner): Self::Prepared) -> Self::Outcome {
        let mut running = first_poll(&self.parent, slot, (self.make)(children));
        self.boards[slot].open(winner, Gate::Open);
        let Poll::Ready(output) = self.parent.drive(&mut running.combinator) else {
            panic!("race_whole: still pending after the winner's wake");
        };
        let reported = (self.winner_of)(output);
        drop(running.combinator);
        (slot, winner, reported)
    }

    fn check(&self, (slot, winner, reported): Self::Outcome) {
        assert_eq!(reported, winner, "race_whole: wrong winner");
        let dropped = self.boards[slot].dropped();
        assert_eq!(dropped, self.len(), "race_whole: losers not dropped");
    }
}

/// Group `limit_64`: children start as slots free up, so the one woken next is drawn (seeded)
/// from those waiting at that moment.
struct Limited<C> {
    boards: Vec<Rc<Board>>,
    seed: u64,
    parent: Parent,
    in_order: bool,
    make: fn(Vec<Gated>) -> C,
}

impl<C> Limited<C> {
    fn new(n: usize, in_order: bool, make: fn(Vec<Gated>) -> C) -> Self {
        Limited {
            boards: (0..batch_for(n))
                .map(|_| Board::tracking(n, Gate::Closed))
                .collect(),
            seed: seed(5, n),
            parent: Parent::new(),
            in_order,
            make,
        }
    }

    /// Runs once to the end and returns the fewest children waiting after any parent poll
    /// that left inputs not yet started.
    fn fewest_in_flight(&mut self) -> usize
    where
        C: Future<Output = Joined> + Unpin,
    {
        let board = &self.boards[0];
        board.reset(Gate::Closed);
        let n = board.len();
        let mut running = first_poll(&self.parent, 0, (self.make)(board.children()));
        let mut rng = SplitMix64::new(self.seed);
        let (mut opened, mut fewest) = (0, usize::MAX);
        while board.open_waiting(|len| rng.below(len)).is_some() {
            opened += 1;
            if self.parent.drive(&mut running.combinator).is_ready() {
                break;
            }
            if opened + board.waiting() < n {
                fewest = fewest.min(board.waiting());
            }
        }
        fewest
    }
}

impl<C: Future<Output = Joined> + Unpin> Scenario for Limited<C> {
    type Prepared = Running<C>;
    type Outcome = (Running<C>, Option<Joined>);

    fn len(&self) -> usize {
        self.boards[0].len()
    }

    fn slots(&self) -> usize {
        self.boards.len()
    }

    fn inputs(&mut self, slot: usize) -> Vec<Gated> {
        self.boards[slot].reset(Gate::Closed);
        self.boards[slot].children()
    }

    fn start(&mut self, slot: usize, children: Vec<Gated>) -> Running<C> {
        first_poll(&self.parent, slot, (self.make)(children))
    }

    fn timed(&self, mut running: Running<C>) -> Self::Outcome {
        let board = &self.boards[running.slot];
        let mut rng = SplitMix64::new(self.seed);
        let mut joined = None;
        while board.open_waiting(|len| rng.below(len)).is_some() {
            if let Poll::Ready(output) = self.parent.drive(&mut running.combinator) {
                joined = Some(output);
                break;
            }
        }
        (running, joined)
    }

    fn check(&self, (running, joined): Self::Outcome) {
        let mut outputs = joined
            .expect("limit_64: not complete after the last wake")
            .expect("limit_64: every child succeeds");
        if !self.in_order {
            outputs.sort_unstable();
        }
        assert!(
            outputs.into_iter().eq(0..self.len()),
            "limit_64: wrong outputs"
        );
        let board = &self.boards[running.slot];
        drop(running);
        assert_eq!(
            board.dropped(),
            self.len(),
            "limit_64: children not dropped"
        );
    }
}

/// The in-flight count of each `limit_64` entry: the fewest children waiting after a parent
/// poll while inputs remained (the limit, unless the implementation lets it fall).
fn print_in_flight() {
    println!("limit_64: fewest children in flight while inputs remain (limit {LIMIT})");
    for n in SIZES {
        let mut row = format!("  N = {n:>6}:");
        for (name, mut fewest) in limit_64_fewest(n) {
            match fewest() {
                usize::MAX => row += &format!(" {name} -"),
                fewest => row += &format!(" {name} {fewest}"),
            }
        }
        println!("{row}");
    }
    println!();
}

/// A named measurement of the fewest children in flight.
type Fewest = (&'static str, Box<dyn FnMut() -> usize>);

/// One closure per `limit_64` entry that measures its fewest in flight.
fn limit_64_fewest(n: usize) -> Vec<Fewest> {
    fn entry<C: Future<Output = Joined> + Unpin + 'static>(
        name: &'static str,
        mut scenario: Limited<C>,
    ) -> Fewest {
        (name, Box::new(move || scenario.fewest_in_flight()))
    }
    vec![
        entry(
            "ours",
            Limited::new(n, true, |children| {
                try_join_all_cancel_limit(children, LIMIT)
            }),
        ),
        entry(
            "buffer_unordered",
            Limited::new(n, false, |children| {
                futures::stream::iter(children)
                    .buffer_unordered(LIMIT)
                    .try_collect::<Vec<_>>()
            }),
        ),
        entry(
            "buffered",
            Limited::new(n, true, |children| {
                futures::stream::iter(children)
                    .buffered(LIMIT)
                    .try_collect::<Vec<_>>()
            }),
        ),
    ]
}

/// Group `fail_fast`.
struct FailFast<C> {
    boards: Vec<Rc<Board>>,
    failing: Option<usize>,
    rng: SplitMix64,
    parent: Parent,
    make: fn(Vec<Gated>) -> C,
}

impl<C> FailFast<C> {
    /// `failing`: a fixed failing index instead of a seeded random one.
    fn new(n: usize, failing: Option<usize>, make: fn(Vec<Gated>) -> C) -> Self {
        FailFast {
            boards: boards(n, Gate::Closed),
            failing,
            rng: SplitMix64::new(seed(3, n)),
            parent: Parent::new(),
            make,
        }
    }
}

impl<C: Future<Output = Joined> + Unpin> Scenario for FailFast<C> {
    type Prepared = (Running<C>, usize);
    type Outcome = (usize, usize, Joined);

    fn len(&self) -> usize {
        self.boards[0].len()
    }

    fn slots(&self) -> usize {
        self.boards.len()
    }

    fn inputs(&mut self, slot: usize) -> Vec<Gated> {
        self.boards[slot].reset(Gate::Closed);
        self.boards[slot].children()
    }

    fn start(&mut self, slot: usize, children: Vec<Gated>) -> Self::Prepared {
        let failing = match self.failing {
            Some(index) => index,
            None => self.rng.below(self.len()),
        };
        (
            first_poll(&self.parent, slot, (self.make)(children)),
            failing,
        )
    }

    fn timed(&self, (mut running, failing): Self::Prepared) -> Self::Outcome {
        self.boards[running.slot].open(failing, Gate::Fail);
        let Poll::Ready(joined) = self.parent.drive(&mut running.combinator) else {
            panic!("fail_fast: still pending after the failing child's wake");
        };
        drop(running.combinator);
        (running.slot, failing, joined)
    }

    fn check(&self, (slot, failing, joined): Self::Outcome) {
        assert_eq!(joined, Err(Failed(failing)), "fail_fast: wrong outcome");
        let dropped = self.boards[slot].dropped();
        assert_eq!(dropped, self.len(), "fail_fast: children not dropped");
    }
}

/// Group `race`; `winner_of` drops what the output still holds and names the winner.
struct Race<C: Future> {
    boards: Vec<Rc<Board>>,
    rng: SplitMix64,
    parent: Parent,
    make: fn(Vec<Gated>) -> C,
    winner_of: fn(C::Output) -> usize,
}

impl<C: Future> Race<C> {
    fn new(n: usize, make: fn(Vec<Gated>) -> C, winner_of: fn(C::Output) -> usize) -> Self {
        Race {
            boards: boards(n, Gate::Closed),
            rng: SplitMix64::new(seed(4, n)),
            parent: Parent::new(),
            make,
            winner_of,
        }
    }
}

impl<C: Future + Unpin> Scenario for Race<C> {
    type Prepared = (Running<C>, usize);
    type Outcome = (usize, usize, usize);

    fn len(&self) -> usize {
        self.boards[0].len()
    }

    fn slots(&self) -> usize {
        self.boards.len()
    }

    fn inputs(&mut self, slot: usize) -> Vec<Gated> {
        self.boards[slot].reset(Gate::Closed);
        self.boards[slot].children()
    }

    fn start(&mut self, slot: usize, children: Vec<Gated>) -> Self::Prepared {
        let winner = self.rng.below(self.len());
        (
            first_poll(&self.parent, slot, (self.make)(children)),
            winner,
        )
    }

    fn timed(&self, (mut running, winner): Self::Prepared) -> Self::Outcome {
        self.boards[running.slot].open(winner, Gate::Open);
        let Poll::Ready(output) = self.parent.drive(&mut running.combinator) else {
            panic!("race: still pending after the winner's wake");
        };
        let reported = (self.winner_of)(output);
        drop(running.combinator);
        (running.slot, winner, reported)
    }

    fn check(&self, (slot, winner, reported): Self::Outcome) {
        assert_eq!(reported, winner, "race: wrong winner");
        let dropped = self.boards[slot].dropped();
        assert_eq!(dropped, self.len(), "race: losers not dropped");
    }
}

fn first_ok_half_fail(n: usize) -> Vec<Box<dyn Contender>> {
    first_ok(n, false)
}

fn first_ok_all_fail(n: usize) -> Vec<Box<dyn Contender>> {
    first_ok(n, true)
}

/// The implementations of both `first_ok` groups; the outcome is the winner's index, or how
/// many errors came back.
fn first_ok(n: usize, all_fail: bool) -> Vec<Box<dyn Contender>> {
    vec![
        Entry::boxed(
            "cancel-cascade::select_first_ok",
            FirstOk::new(n, all_fail, select_first_ok, |outcome| match outcome {
                Ok((output, index)) => {
                    assert_eq!(output, index);
                    Ok(index)
                }
                Err(failed) => Err(failed.len()),
            }),
        ),
        Entry::boxed(
            "futures::select_ok",
            FirstOk::new(n, all_fail, futures::future::select_ok, |outcome| {
                outcome
                    .map(|(winner, rest)| {
                        drop(rest);
                        winner
                    })
                    .map_err(|_last_only| 1)
            }),
        ),
        Entry::boxed(
            "futures-concurrency::RaceOk",
            FirstOk::new(
                n,
                all_fail,
                |children| children.race_ok(),
                |outcome| outcome.map_err(|failed| failed.len()),
            ),
        ),
        Entry::boxed(
            "FuturesUnordered drain",
            FirstOk::new(n, all_fail, FirstOkDrain::new, |outcome| {
                outcome.map_err(|errors| errors.len())
            }),
        ),
    ]
}

/// The hand-written peer of `select_first_ok`: drain a `FuturesUnordered`, keep each error,
/// stop at the first `Ok` (dropping the set drops the rest).
struct FirstOkDrain {
    set: FuturesUnordered<Gated>,
    errors: Vec<Failed>,
}

impl FirstOkDrain {
    fn new(children: Vec<Gated>) -> Self {
        FirstOkDrain {
            set: children.into_iter().collect(),
            errors: Vec::new(),
        }
    }
}

impl Future for FirstOkDrain {
    type Output = Result<usize, Vec<Failed>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        loop {
            match self.set.poll_next_unpin(cx) {
                Poll::Ready(Some(Ok(output))) => return Poll::Ready(Ok(output)),
                Poll::Ready(Some(Err(error))) => self.errors.push(error),
                Poll::Ready(None) => return Poll::Ready(Err(std::mem::take(&mut self.errors))),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

/// Groups `first_ok_half_fail` and `first_ok_all_fail`; `outcome_of` drops what the output
/// still holds and gives the winner's index, or the number of errors returned.
struct FirstOk<C: Future> {
    boards: Vec<Rc<Board>>,
    rng: SplitMix64,
    all_fail: bool,
    parent: Parent,
    make: fn(Vec<Gated>) -> C,
    outcome_of: fn(C::Output) -> Result<usize, usize>,
}

impl<C: Future> FirstOk<C> {
    fn new(
        n: usize,
        all_fail: bool,
        make: fn(Vec<Gated>) -> C,
        outcome_of: fn(C::Output) -> Result<usize, usize>,
    ) -> Self {
        FirstOk {
            boards: boards(n, Gate::Closed),
            rng: SplitMix64::new(seed(if all_fail { 6 } else { 5 }, n)),
            all_fail,
            parent: Parent::new(),
            make,
            outcome_of,
        }
    }
}

impl<C: Future + Unpin> Scenario for FirstOk<C> {
    /// The running combinator, the children to fail in order, and the winner.
    type Prepared = (Running<C>, Vec<usize>, Option<usize>);
    type Outcome = (usize, Option<usize>, Result<usize, usize>);

    fn len(&self) -> usize {
        self.boards[0].len()
    }

    fn slots(&self) -> usize {
        self.boards.len()
    }

    fn inputs(&mut self, slot: usize) -> Vec<Gated> {
        self.boards[slot].reset(Gate::Closed);
        self.boards[slot].children()
    }

    fn start(&mut self, slot: usize, children: Vec<Gated>) -> Self::Prepared {
        let mut order = self.rng.permutation(self.len());
        let winner = if self.all_fail {
            None
        } else {
            order.truncate(self.len() / 2 + 1);
            order.pop()
        };
        let running = first_poll(&self.parent, slot, (self.make)(children));
        (running, order, winner)
    }

    fn timed(&self, (mut running, failing, winner): Self::Prepared) -> Self::Outcome {
        let board = &self.boards[running.slot];
        let mut outcome = None;
        for index in failing {
            board.open(index, Gate::Fail);
            if let Poll::Ready(output) = self.parent.drive(&mut running.combinator) {
                outcome = Some(output);
            }
        }
        if let Some(winner) = winner {
            board.open(winner, Gate::Open);
            if let Poll::Ready(output) = self.parent.drive(&mut running.combinator) {
                outcome = Some(output);
            }
        }
        let outcome = outcome.expect("first_ok: still pending after the last wake");
        let reported = (self.outcome_of)(outcome);
        drop(running.combinator);
        (running.slot, winner, reported)
    }

    fn check(&self, (slot, winner, reported): Self::Outcome) {
        match winner {
            Some(winner) => assert_eq!(reported, Ok(winner), "first_ok: wrong winner"),
            None => assert!(reported.is_err(), "first_ok: all failed, yet {reported:?}"),
        }
        let dropped = self.boards[slot].dropped();
        assert_eq!(dropped, self.len(), "first_ok: children not dropped");
    }
}

fn spawn_while_draining(n: usize) -> Vec<Box<dyn Contender>> {
    // The sizes the case is meant for: a set that grows past its first allocations.
    if n < 1000 {
        return Vec::new();
    }
    vec![
        Entry::boxed("cancel-cascade::scope", Growing::new(n, ScopeRun::start)),
        Entry::boxed(
            "futures::FuturesUnordered",
            Growing::new(n, |initial, follow_ups| {
                DrainPushing::start(FuturesUnordered::new(), initial, follow_ups)
            }),
        ),
        Entry::boxed(
            "futures-concurrency::FutureGroup",
            Growing::new(n, |initial, follow_ups| {
                DrainPushing::start(FutureGroup::new(), initial, follow_ups)
            }),
        ),
    ]
}

/// Whether the task that completed with `index` (one of the first `n`) asks for a follow-up.
fn asks_for_follow_up(index: usize, n: usize) -> bool {
    index < n && index & 1 == 0
}

/// A task of the scope: its child, and for an even-numbered one the follow-up it spawns as
/// it completes.
struct ScopeJob {
    child: Gated,
    follow_up: Option<(Gated, ScopeSpawner<ScopeJob>)>,
}

impl Future for ScopeJob {
    type Output = Result<(), Failed>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let output = std::task::ready!(Pin::new(&mut self.child).poll(cx));
        output?;
        if let Some((child, spawner)) = self.follow_up.take() {
            spawner.spawn(ScopeJob {
                child,
                follow_up: None,
            });
        }
        Poll::Ready(Ok(()))
    }
}

/// The scope of `spawn_while_draining`: its body spawns the first N tasks.
struct ScopeRun;

impl ScopeRun {
    fn start(initial: Vec<Gated>, follow_ups: Vec<Gated>) -> GrowingSet {
        let n = initial.len();
        let run = scope(move |s: ScopeSpawner<ScopeJob>| async move {
            let mut follow_ups = follow_ups.into_iter();
            for (index, child) in initial.into_iter().enumerate() {
                let follow_up = asks_for_follow_up(index, n)
                    .then(|| (follow_ups.next().expect("a follow-up"), s.clone()));
                s.spawn(ScopeJob { child, follow_up });
            }
            Ok::<_, Failed>(n + n / 2)
        });
        Box::pin(async move { run.await.expect("no task fails") })
    }
}

/// A peer set drained by a loop that pushes each follow-up as its output comes out.
trait PushSet: Stream<Item = Joined1> + Unpin {
    fn push(&mut self, child: Gated);
}

impl PushSet for FuturesUnordered<Gated> {
    fn push(&mut self, child: Gated) {
        FuturesUnordered::push(self, child);
    }
}

impl PushSet for FutureGroup<Gated> {
    fn push(&mut self, child: Gated) {
        self.insert(child);
    }
}

struct DrainPushing<S> {
    set: S,
    follow_ups: Vec<Option<Gated>>,
    n: usize,
    completed: usize,
}

impl<S: PushSet + 'static> DrainPushing<S> {
    fn start(mut set: S, initial: Vec<Gated>, follow_ups: Vec<Gated>) -> GrowingSet {
        let n = initial.len();
        for child in initial {
            set.push(child);
        }
        Box::pin(DrainPushing {
            set,
            follow_ups: follow_ups.into_iter().map(Some).collect(),
            n,
            completed: 0,
        })
    }
}

impl<S: PushSet> Future for DrainPushing<S> {
    type Output = usize;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        let this = &mut *self;
        loop {
            match this.set.poll_next_unpin(cx) {
                Poll::Ready(Some(Ok(index))) => {
                    this.completed += 1;
                    if asks_for_follow_up(index, this.n) {
                        let child = this.follow_ups[index / 2].take().expect("a follow-up");
                        this.set.push(child);
                    }
                }
                Poll::Ready(Some(Err(_))) => panic!("spawn_while_draining: no task fails"),
                Poll::Ready(None) => return Poll::Ready(this.completed),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

/// A growing set driven to its end: gives how many tasks completed.
type GrowingSet = Pin<Box<dyn Future<Output = usize>>>;

/// Builds a growing set over the first N children, with the follow-ups to add.
type MakeGrowing = fn(Vec<Gated>, Vec<Gated>) -> GrowingSet;

/// Group `spawn_while_draining`: `make` builds the set over the first N children, with the
/// follow-ups to add; the timed part builds it, then opens one waiting child at a time.
struct Growing {
    boards: Vec<Rc<Board>>,
    n: usize,
    parent: Parent,
    make: MakeGrowing,
}

impl Growing {
    fn new(n: usize, make: MakeGrowing) -> Self {
        Growing {
            boards: (0..batch_for(n))
                .map(|_| Board::tracking(n + n / 2, Gate::Closed))
                .collect(),
            n,
            parent: Parent::new(),
            make,
        }
    }
}

impl Scenario for Growing {
    type Prepared = (usize, Vec<Gated>, SplitMix64);
    type Outcome = (usize, usize);

    fn len(&self) -> usize {
        self.n
    }

    fn slots(&self) -> usize {
        self.boards.len()
    }

    fn inputs(&mut self, slot: usize) -> Vec<Gated> {
        self.boards[slot].reset(Gate::Closed);
        self.boards[slot].children()
    }

    fn start(&mut self, slot: usize, children: Vec<Gated>) -> Self::Prepared {
        (slot, children, SplitMix64::new(seed(7, self.n)))
    }

    fn timed(&self, (slot, mut children, mut rng): Self::Prepared) -> Self::Outcome {
        let board = &self.boards[slot];
        let follow_ups = children.split_off(self.n);
        let mut set = (self.make)(children, follow_ups);
        let mut outcome = self.parent.drive(&mut set);
        while outcome.is_pending() {
            board
                .open_waiting(|len| rng.below(len))
                .expect("spawn_while_draining: pending with no task waiting");
            outcome = self.parent.drive(&mut set);
        }
        drop(set);
        match outcome {
            Poll::Ready(completed) => (slot, completed),
            Poll::Pending => unreachable!(),
        }
    }

    fn check(&self, (slot, completed): Self::Outcome) {
        let total = self.n + self.n / 2;
        assert_eq!(completed, total, "spawn_while_draining: tasks lost");
        assert_eq!(
            self.boards[slot].dropped(),
            total,
            "spawn_while_draining: not dropped"
        );
    }
}

fn print_census() {
    census_header();
    for (group, contenders) in GROUPS {
        for n in SIZES {
            for mut contender in contenders(n) {
                let census = contender.census();
                census_row(group, contender.name(), n, &census);
            }
        }
    }
    println!();
}

fn main() {
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_millis(1500))
        .sample_size(20)
        .configure_from_args();
    // The census is a report of its own: not wanted when listing, nor inside a profile.
    let quiet = std::env::args().any(|arg| arg == "--list" || arg.starts_with("--profile-time"));
    if !quiet {
        print_census();
        print_in_flight();
    }
    for (name, contenders) in GROUPS {
        let mut group = criterion.benchmark_group(name);
        for n in SIZES {
            group.throughput(Throughput::Elements(n as u64));
            for mut contender in contenders(n) {
                let id = BenchmarkId::new(contender.name(), n);
                group.bench_function(id, |bencher| {
                    bencher.iter_custom(|iters| contender.measure(iters));
                });
            }
        }
        group.finish();
    }
    criterion.final_summary();
}
