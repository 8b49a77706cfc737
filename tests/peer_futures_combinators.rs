//! The behaviours that futures-rs tests for its own combinators (`try_join_all`, `join_all`,
//! `select_all`, `select_ok`, `try_join!`, the eager-drop tests), asked of ours, with our
//! stricter contract where it is stricter: the winner of a tie is the lowest index, every child
//! is dropped before `Ready`, `select_first_ok` keeps every error, an empty join is `Ok(vec![])`.
//!
//! Then the cases that futures-rs does not test and that a port of its suite to a structured
//! combinator must survive: destructors that panic while the losers are dropped, children that
//! wake themselves inside `poll`, an executor that polls from inside `wake`, and a parent
//! waker that panics.

#[allow(dead_code)]
#[path = "support/inline.rs"]
mod inline;
#[allow(dead_code)]
mod support;

use std::convert::Infallible;
use std::future::{pending, ready, Future};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::Duration;

use cancel_cascade::one_of::OneOf3;
use cancel_cascade::{
    select_cancel, select_first, select_first_ok, try_join_all_cancel, try_join_cancel, wait_any,
    SelectFirst, TryJoinAllCancel,
};
use futures::executor::block_on;
use futures::future::{err, ok, Either, FusedFuture};
use futures::FutureExt;
use inline::InlineExecutor;
use support::{panic_message, quiet_panics_containing, watchdog, Log, WakeCounter};

const LIMIT: Duration = Duration::from_secs(20);

/// futures `collect_collects`: outputs in input order, the error as it came, and (stricter
/// than futures, which leaves it open) an empty input is `Ok(vec![])`.
#[test]
fn try_join_all_cancel_collects_in_input_order() {
    assert_eq!(
        block_on(try_join_all_cancel(vec![ok::<u32, u32>(1), ok(2)])),
        Ok(vec![1, 2])
    );
    assert_eq!(
        block_on(try_join_all_cancel(vec![ok::<u32, u32>(1), err(2)])),
        Err(2)
    );
    assert_eq!(
        block_on(try_join_all_cancel(vec![ok::<u32, u32>(1)])),
        Ok(vec![1])
    );
    assert_eq!(
        block_on(try_join_all_cancel(Vec::<
            futures::future::Ready<Result<u32, u32>>,
        >::new())),
        Ok(vec![])
    );
}

/// futures `try_join_all_iter_lifetime`: children that borrow from the caller type-check and
/// run; nothing asks for `'static`.
#[test]
fn children_may_borrow_from_the_caller() {
    fn sizes<'a>(buffers: Vec<&'a [u8]>) -> impl Future<Output = Result<Vec<usize>, ()>> + 'a {
        try_join_all_cancel(buffers.into_iter().map(|buffer| ok(buffer.len())))
    }
    assert_eq!(
        block_on(sizes(vec![&[1, 2, 3], &[], &[0]])),
        Ok(vec![3, 0, 1])
    );

    let words = [String::from("one"), String::from("three")];
    let lengths = words.iter().map(|word| async move { word.len() });
    assert_eq!(block_on(select_first(lengths)), (3, 0));
}

/// futures `try_join_all_from_iter` / `join_all_from_iter`: the future types collect from an
/// iterator.
#[test]
fn the_futures_collect_from_an_iterator() {
    let join: TryJoinAllCancel<_> = vec![ok::<u32, u32>(1), ok(2)].into_iter().collect();
    assert_eq!(block_on(join), Ok(vec![1, 2]));
    let race: SelectFirst<_> = vec![ready(7), ready(8)].into_iter().collect();
    assert_eq!(block_on(race), (7, 0));
}

/// futures `try_join_never_error` / `try_join_never_ok`: an uninhabited error or `Ok` type
/// works, and of two errors in the first pass the lower index is the one returned.
#[test]
fn try_join_cancel_with_uninhabited_types() {
    let both_ok = block_on(try_join_cancel((
        async { Ok::<(), Infallible>(()) },
        async { Ok::<u8, Infallible>(2) },
    )));
    assert!(matches!(both_ok, Ok(((), 2))));

    let both_err = block_on(try_join_cancel((
        async { Err::<Infallible, &str>("first") },
        async { Err::<Infallible, &str>("second") },
    )));
    assert!(matches!(both_err, Err("first")));
}

/// futures `select_all::smoke`, where any ready child may win: ours polls in index order, so
/// the first ready child wins, and the others are dropped before `Ready` instead of handed back.
#[test]
fn select_first_of_ready_children_is_the_lowest_index() {
    let log = Log::new();
    let (gates, openers) = log.gates([1, 2, 3]);
    for opener in &openers {
        opener.open();
    }
    let mut race = select_first(gates);
    let waker = WakeCounter::new().waker();
    let outcome = Pin::new(&mut race).poll(&mut Context::from_waker(&waker));
    assert_eq!(outcome, Poll::Ready((1, 0)));
    assert_eq!(log.poll_order(), [0], "no child polled after the winner");
    assert_eq!(log.drop_order(), [0, 1, 2], "all dropped before `Ready`");
    assert!(race.is_terminated());
}

/// futures `join_all::collect_collects`, for the closest of ours: `wait_any` over children that
/// are all ready in the first pass gives every one of them, in index order.
#[test]
fn wait_any_over_ready_children_gives_them_all() {
    assert_eq!(
        block_on(wait_any(vec![ready(1), ready(2)])),
        vec![(0, 1), (1, 2)]
    );
    assert_eq!(block_on(wait_any(vec![ready(1)])), vec![(0, 1)]);
}

/// futures `select_ok::ignore_err`: failures are skipped, the first success wins (with its
/// index, where futures hands back the rest), and the rest are dropped.
#[test]
fn select_first_ok_skips_the_failures() {
    let outcome = block_on(select_first_ok(vec![err(1), err(2), ok(3), ok(4)]));
    assert_eq!(outcome, Ok((3, 2)));
}

/// futures `select_ok::last_err` returns only the last error; ours keeps every error with its
/// index, in index order.
#[test]
fn select_first_ok_keeps_every_error_when_all_fail() {
    let outcome = block_on(select_first_ok(vec![err::<(), u32>(2), err(3)]));
    assert_eq!(outcome.unwrap_err().into_errors(), vec![(0, 2), (1, 3)]);
}

/// A child that holds a value until it is dropped, the way futures' eager-drop tests hold a
/// channel sender in `FutureData`.
struct Holding<F, T> {
    future: F,
    _held: T,
}

impl<F: Future + Unpin, T> Future for Holding<F, T> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        Pin::new(&mut self.future).poll(cx)
    }
}

impl<F: Unpin, T> Unpin for Holding<F, T> {}

/// Each child holds a sender; once every one of them is dropped, the receiver disconnects.
fn holding<F>(futures: Vec<F>) -> (Vec<Holding<F, mpsc::Sender<()>>>, mpsc::Receiver<()>) {
    let (sender, receiver) = mpsc::channel();
    let children = futures
        .into_iter()
        .map(|future| Holding {
            future,
            _held: sender.clone(),
        })
        .collect();
    (children, receiver)
}

fn assert_every_child_gone(receiver: &mpsc::Receiver<()>, what: &str) {
    assert_eq!(
        receiver.try_recv(),
        Err(mpsc::TryRecvError::Disconnected),
        "{what}: every child, winner and losers, dropped before the continuation runs"
    );
}

/// futures `then_drops_eagerly` and friends: by the time the continuation after the
/// combinator runs, every child has been dropped, the completed ones and the cancelled ones.
#[test]
fn every_child_is_gone_when_the_continuation_runs() {
    type Child = Either<
        futures::future::Ready<Result<u32, u32>>,
        futures::future::Pending<Result<u32, u32>>,
    >;
    let mixed = || -> Vec<Child> {
        vec![
            Either::Left(futures::future::ready(Ok(1))),
            Either::Right(futures::future::pending()),
            Either::Left(futures::future::ready(Err(2))),
            Either::Right(futures::future::pending()),
        ]
    };

    let (children, receiver) = holding(mixed());
    let joined = block_on(try_join_all_cancel(children).map(|outcome| {
        assert_every_child_gone(&receiver, "try_join_all_cancel");
        outcome
    }));
    assert_eq!(joined, Err(2));

    let (children, receiver) = holding(mixed());
    let first = block_on(select_first(children).map(|outcome| {
        assert_every_child_gone(&receiver, "select_first");
        outcome
    }));
    assert_eq!(first, (Ok(1), 0));

    let (children, receiver) = holding(mixed());
    let any = block_on(wait_any(children).map(|outcome| {
        assert_every_child_gone(&receiver, "wait_any");
        outcome
    }));
    assert_eq!(any, vec![(0, Ok(1)), (2, Err(2))]);

    let (children, receiver) = holding(mixed());
    let first_ok = block_on(select_first_ok(children).map(|outcome| {
        assert_every_child_gone(&receiver, "select_first_ok");
        outcome
    }));
    assert_eq!(first_ok, Ok((1, 0)));

    let (sender, receiver) = mpsc::channel::<()>();
    let (a, b, c) = (sender.clone(), sender.clone(), sender);
    let tuple = block_on(
        select_cancel((
            async move {
                let _held = a;
                pending::<u8>().await
            },
            async move {
                let _held = b;
                "winner"
            },
            async move {
                let _held = c;
                pending::<()>().await
            },
        ))
        .map(|outcome| {
            assert_every_child_gone(&receiver, "select_cancel");
            outcome
        }),
    );
    assert!(matches!(tuple, OneOf3::Second("winner")));
}

/// A child for the destructor cases: ready with `value` on its first poll (or never), records
/// its drop, and panics in its destructor if asked.
struct Bomb<T> {
    index: usize,
    value: Option<T>,
    explodes: bool,
    drops: Arc<Mutex<Vec<usize>>>,
}

impl<T> Unpin for Bomb<T> {}

impl<T> Future for Bomb<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<T> {
        match self.value.take() {
            Some(value) => Poll::Ready(value),
            None => Poll::Pending,
        }
    }
}

impl<T> Drop for Bomb<T> {
    fn drop(&mut self) {
        self.drops.lock().unwrap().push(self.index);
        if self.explodes {
            panic!("peer test: destructor of child {} panics", self.index);
        }
    }
}

/// Child 1 completes with `winner`; children 0, 2 and 3 stay pending; child 2 panics as it is
/// dropped.
fn bombs<T>(winner: T, drops: &Arc<Mutex<Vec<usize>>>) -> Vec<Bomb<T>> {
    let mut winner = Some(winner);
    (0..4)
        .map(|index| Bomb {
            index,
            value: if index == 1 { winner.take() } else { None },
            explodes: index == 2,
            drops: Arc::clone(drops),
        })
        .collect()
}

/// Polls a combinator whose deciding poll hits a panicking destructor; checks the documented
/// outcome: the panic comes out of `poll`, every child is dropped exactly once, the decided
/// outcome is kept and the next poll returns it (only then is the combinator terminated), and
/// its own drop drops nothing more.
fn assert_destructor_panic_keeps_the_outcome<F>(
    what: &str,
    mut combinator: F,
    drops: &Arc<Mutex<Vec<usize>>>,
) where
    F: Future + FusedFuture + Unpin,
{
    let waker = WakeCounter::new().waker();
    let caught = catch_unwind(AssertUnwindSafe(|| {
        Pin::new(&mut combinator).poll(&mut Context::from_waker(&waker))
    }));
    let message = panic_message(
        caught
            .err()
            .unwrap_or_else(|| panic!("{what}: poll returned")),
    );
    assert!(
        message.contains("destructor of child 2"),
        "{what}: {message}"
    );
    let mut dropped = drops.lock().unwrap().clone();
    dropped.sort_unstable();
    assert_eq!(dropped, [0, 1, 2, 3], "{what}: each child dropped once");
    assert!(
        !combinator.is_terminated(),
        "{what}: the outcome is still to come"
    );
    let again = Pin::new(&mut combinator).poll(&mut Context::from_waker(&waker));
    assert!(
        again.is_ready(),
        "{what}: the next poll returns the outcome"
    );
    assert!(
        combinator.is_terminated(),
        "{what}: terminated once returned"
    );
    let third = catch_unwind(AssertUnwindSafe(|| {
        Pin::new(&mut combinator).poll(&mut Context::from_waker(&waker))
    }));
    assert!(third.is_err(), "{what}: polling after the outcome panics");
    drop(combinator);
    assert_eq!(drops.lock().unwrap().len(), 4, "{what}: no second drop");
}

#[test]
fn a_loser_destructor_that_panics_leaves_the_outcome_to_the_next_poll() {
    quiet_panics_containing("peer test");
    let drops = Arc::new(Mutex::new(Vec::new()));
    let join = try_join_all_cancel(bombs(Err::<u8, _>("failed"), &drops));
    assert_destructor_panic_keeps_the_outcome("try_join_all_cancel", join, &drops);

    let drops = Arc::new(Mutex::new(Vec::new()));
    assert_destructor_panic_keeps_the_outcome(
        "select_first",
        select_first(bombs(5, &drops)),
        &drops,
    );

    let drops = Arc::new(Mutex::new(Vec::new()));
    assert_destructor_panic_keeps_the_outcome("wait_any", wait_any(bombs(5, &drops)), &drops);
}

/// `select_first_ok` keeps the decided winner in itself: the poll that hits the panicking
/// destructor panics, the next one returns the winner.
#[test]
fn select_first_ok_returns_its_winner_after_a_loser_destructor_panics() {
    quiet_panics_containing("peer test");
    let drops = Arc::new(Mutex::new(Vec::new()));
    let mut race = select_first_ok(bombs(Ok::<u8, ()>(5), &drops));
    let waker = WakeCounter::new().waker();
    let mut cx = Context::from_waker(&waker);
    let caught = catch_unwind(AssertUnwindSafe(|| Pin::new(&mut race).poll(&mut cx)));
    assert!(panic_message(caught.unwrap_err()).contains("destructor of child 2"));
    assert_eq!(Pin::new(&mut race).poll(&mut cx), Poll::Ready(Ok((5, 1))));
    let mut dropped = drops.lock().unwrap().clone();
    dropped.sort_unstable();
    assert_eq!(dropped, [0, 1, 2, 3]);
}

/// A child that wakes its own waker inside `poll` (a `yield_now`) `times` times, then
/// completes.
struct YieldTimes {
    left: usize,
    polls: Arc<AtomicUsize>,
}

impl Future for YieldTimes {
    type Output = usize;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        self.polls.fetch_add(1, Ordering::SeqCst);
        if self.left == 0 {
            return Poll::Ready(self.polls.load(Ordering::SeqCst));
        }
        self.left -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// A child that wakes itself inside `poll` makes the parent poll again (through the parent's
/// waker, re-entrantly); the child is polled once per parent poll, no wake-up is lost.
#[test]
fn children_that_wake_themselves_inside_poll() {
    watchdog("self-waking children", LIMIT, || {
        let children = (0..3).map(|index| {
            YieldTimes {
                left: 3 + index,
                polls: Arc::new(AtomicUsize::new(0)),
            }
            .map(Ok::<usize, ()>)
        });
        let parent = InlineExecutor::start(try_join_all_cancel(children));
        assert_eq!(parent.take_output(), Some(Ok(vec![4, 5, 6])));
        // The longest child needs 6 polls; the parent polls no more often than that.
        assert_eq!(parent.polls(), 6);
    });
}

/// An executor that polls from inside `wake`: the wake from the opening thread polls the
/// combinator there, inside `wake`, and it completes with the right outcome and drops.
#[test]
fn an_executor_that_polls_inside_wake_on_the_waking_thread() {
    watchdog("poll inside wake", LIMIT, || {
        let log = Log::new();
        let (gates, openers) = log.gates([10, 11, 12, 13]);
        let parent = InlineExecutor::start(select_first(gates));
        assert_eq!(parent.polls(), 1);
        let opener = openers[2].clone();
        thread::spawn(move || opener.open()).join().unwrap();
        assert_eq!(parent.take_output(), Some((12, 2)));
        assert_eq!(parent.polls(), 2);
        assert_eq!(
            log.poll_order(),
            [0, 1, 2, 3, 2],
            "only the woken child re-polled"
        );
        assert_eq!(log.drops(), 4);
        // Late wakes of the dropped children reach a finished executor: harmless.
        openers[0].open();
        openers[3].wake();
        assert_eq!(parent.polls(), 2);
    });
}

/// A parent waker that panics: the child's wake panics on the waking thread, the wake-up is
/// not lost, and the next poll with a working waker finishes the join.
#[test]
fn a_parent_waker_that_panics_loses_no_wake_up() {
    struct PanickingWaker;
    impl Wake for PanickingWaker {
        fn wake(self: Arc<Self>) {
            panic!("peer test: the parent waker panics");
        }
    }
    quiet_panics_containing("peer test");
    let log = Log::new();
    let (gates, openers) = log.gates([Ok::<u8, ()>(1), Ok(2)]);
    let mut join = try_join_all_cancel(gates);
    let bad = Waker::from(Arc::new(PanickingWaker));
    assert!(Pin::new(&mut join)
        .poll(&mut Context::from_waker(&bad))
        .is_pending());
    let first = openers[0].clone();
    let woke = thread::spawn(move || first.open()).join();
    assert!(
        panic_message(woke.unwrap_err()).contains("parent waker panics"),
        "the wake panicked on the waking thread"
    );
    // The parent may already count as woken: this wake need not reach the bad waker again.
    let second = openers[1].clone();
    let _ = thread::spawn(move || second.open()).join();
    let good = WakeCounter::new().waker();
    assert_eq!(
        Pin::new(&mut join).poll(&mut Context::from_waker(&good)),
        Poll::Ready(Ok(vec![1, 2]))
    );
    assert_eq!(log.poll_order(), [0, 1, 0, 1]);
}

/// futures `auto_traits`: its combinators are `Sync` when their children are. Ours are too
/// (a port of that suite checks it), though only `Send` and `Unpin` are in our contract.
#[test]
fn sync_when_the_children_are() {
    fn assert_sync<T: Sync>() {}
    type Value = futures::future::Ready<u8>;
    type Fallible = futures::future::Ready<Result<u8, u8>>;
    assert_sync::<TryJoinAllCancel<Fallible>>();
    assert_sync::<cancel_cascade::TryJoinCancel<(Fallible, Fallible)>>();
    assert_sync::<SelectFirst<Value>>();
    assert_sync::<cancel_cascade::WaitAny<Value>>();
    assert_sync::<cancel_cascade::SelectFirstOk<Fallible>>();
    assert_sync::<cancel_cascade::SelectCancel<(Value, futures::future::Ready<u16>)>>();
}

/// A loser whose destructor wakes a sibling, as a channel's sender wakes its receiver when
/// dropped: the wake arrives while the deciding poll drops the losers, for a sibling not
/// dropped yet. The outcome stands, every child is dropped, nothing panics.
#[test]
fn a_loser_whose_destructor_wakes_a_sibling() {
    type Child = futures::future::BoxFuture<'static, Result<u8, u8>>;
    // Child 0 holds a sender, child 1 awaits its receiver, child 2 completes with `winner`.
    let children = |winner: Result<u8, u8>| -> Vec<Child> {
        let (sender, receiver) = futures::channel::oneshot::channel::<()>();
        vec![
            async move {
                let _sender = sender;
                pending().await
            }
            .boxed(),
            async move {
                let _ = receiver.await;
                Ok(0)
            }
            .boxed(),
            async move { winner }.boxed(),
        ]
    };
    watchdog("sibling woken by a destructor", LIMIT, move || {
        assert_eq!(block_on(select_first(children(Err(3)))), (Err(3), 2));
        assert_eq!(block_on(try_join_all_cancel(children(Err(3)))), Err(3));
        assert_eq!(block_on(wait_any(children(Err(3)))), vec![(2, Err(3))]);
        assert_eq!(block_on(select_first_ok(children(Ok(4)))), Ok((4, 2)));
    });
}
