//! Random schedules through the bounded forms (and `as_completed`, without a limit): a random number of inputs, limit and failing
//! input, children completing at their first poll or when woken in a random order, spurious
//! wakes. Checked after every poll: never more than the limit alive, exactly the limit in
//! flight while inputs remain (but for the `Pending` a join returns after waking itself, once a
//! round of children were ready at their first poll), each child polled once when created and
//! once per wake; at the
//! end, outputs in input order (the join) or every index once (the stream), and after an error
//! nothing in flight and nothing created any more.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use cancel_cascade::{as_completed, as_completed_limit, try_join_all_cancel_limit};
use futures::stream::Stream;
use proptest::prelude::*;
use proptest::test_runner::Config;

/// Wakes nothing, only counts: the schedule decides when the parent polls (a join that woke
/// itself to hand the executor its turn back is polled again at once).
#[derive(Default)]
struct Quiet(AtomicUsize);

impl Wake for Quiet {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// The children of one run and what they went through.
#[derive(Default)]
struct Runs {
    created: AtomicUsize,
    live: AtomicUsize,
    polls: AtomicUsize,
    /// Children waiting for a wake: `(index, waker)`.
    waiting: Mutex<Vec<(usize, Waker)>>,
    /// Inputs that complete at their first poll.
    instant: Vec<bool>,
    opened: Mutex<Vec<bool>>,
    fails: Option<usize>,
}

struct Child {
    index: usize,
    runs: Arc<Runs>,
}

impl Future for Child {
    type Output = Result<usize, usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.runs.polls.fetch_add(1, SeqCst);
        if self.runs.instant[self.index] || self.runs.opened.lock().unwrap()[self.index] {
            return Poll::Ready(match self.runs.fails {
                Some(fails) if fails == self.index => Err(self.index),
                _ => Ok(self.index),
            });
        }
        let mut waiting = self.runs.waiting.lock().unwrap();
        if !waiting.iter().any(|&(index, _)| index == self.index) {
            waiting.push((self.index, cx.waker().clone()));
        }
        Poll::Pending
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        self.runs.live.fetch_sub(1, SeqCst);
    }
}

#[derive(Debug, Clone)]
struct Schedule {
    limit: usize,
    instant: Vec<bool>,
    fails: Option<usize>,
    /// Per step: which waiting child to open (by position), and whether to wake another one
    /// spuriously first.
    picks: Vec<(usize, bool)>,
}

fn schedule() -> impl Strategy<Value = Schedule> {
    let n = if cfg!(miri) {
        1..12_usize
    } else {
        1..120_usize
    };
    n.prop_flat_map(|n| {
        (
            1..=n + 2,
            proptest::collection::vec(proptest::bool::weighted(0.2), n),
            proptest::option::weighted(0.3, 0..n),
            proptest::collection::vec((any::<usize>(), proptest::bool::weighted(0.2)), n),
        )
            .prop_map(|(limit, instant, fails, picks)| Schedule {
                limit,
                instant,
                fails,
                picks,
            })
    })
}

impl Schedule {
    fn runs(&self) -> Arc<Runs> {
        Arc::new(Runs {
            instant: self.instant.clone(),
            opened: Mutex::new(vec![false; self.instant.len()]),
            fails: self.fails,
            ..Runs::default()
        })
    }

    fn inputs(&self, runs: &Arc<Runs>) -> impl Iterator<Item = Child> {
        let runs = Arc::clone(runs);
        (0..self.instant.len()).map(move |index| {
            runs.created.fetch_add(1, SeqCst);
            runs.live.fetch_add(1, SeqCst);
            Child {
                index,
                runs: Arc::clone(&runs),
            }
        })
    }
}

/// The step's wakes: maybe a spurious one, then one child opened and woken. False if no child
/// is waiting.
fn wake_one(runs: &Runs, (pick, spurious): (usize, bool)) -> bool {
    let mut waiting = runs.waiting.lock().unwrap();
    if waiting.is_empty() {
        return false;
    }
    if spurious {
        let (_, waker) = &waiting[pick.rotate_left(7) % waiting.len()];
        waker.wake_by_ref();
    }
    let at = pick % waiting.len();
    let (index, waker) = waiting.swap_remove(at);
    drop(waiting);
    runs.opened.lock().unwrap()[index] = true;
    waker.wake();
    true
}

/// What every poll must leave behind: at most `limit` alive, exactly `limit` while inputs remain.
fn check_in_flight(runs: &Runs, schedule: &Schedule) -> Result<(), TestCaseError> {
    let (n, live) = (schedule.instant.len(), runs.live.load(SeqCst));
    prop_assert!(
        live <= schedule.limit,
        "{live} alive, limit {}",
        schedule.limit
    );
    if runs.created.load(SeqCst) < n {
        prop_assert_eq!(live, schedule.limit, "in flight while inputs remain");
    }
    Ok(())
}

/// Each child polled once when created and at most twice more (its own wake and a spurious one).
fn check_end(runs: &Runs, schedule: &Schedule) -> Result<(), TestCaseError> {
    prop_assert_eq!(runs.live.load(SeqCst), 0, "every child dropped");
    let created = runs.created.load(SeqCst);
    prop_assert!(runs.polls.load(SeqCst) <= 3 * created);
    if schedule.fails.is_none() {
        prop_assert_eq!(created, schedule.instant.len());
    }
    Ok(())
}

fn join(schedule: &Schedule) -> Result<(), TestCaseError> {
    let runs = schedule.runs();
    let quiet = Arc::new(Quiet::default());
    let waker = Waker::from(Arc::clone(&quiet));
    let mut cx = Context::from_waker(&waker);
    let mut join = try_join_all_cancel_limit(schedule.inputs(&runs), schedule.limit);
    let mut picks = schedule.picks.iter().copied().cycle();
    let outcome = loop {
        if let Poll::Ready(outcome) = Pin::new(&mut join).poll(&mut cx) {
            break outcome;
        }
        if quiet.0.swap(0, SeqCst) > 0 {
            // A round of `limit` children ready at their first poll: the join yielded.
            let slots = schedule.limit.min(schedule.instant.len());
            prop_assert!(runs.created.load(SeqCst) >= slots);
            continue;
        }
        check_in_flight(&runs, schedule)?;
        prop_assert!(
            wake_one(&runs, picks.next().unwrap()),
            "pending, nothing waits"
        );
    };
    let created = runs.created.load(SeqCst);
    match (outcome, schedule.fails) {
        (Ok(outputs), None) => {
            prop_assert_eq!(outputs, (0..schedule.instant.len()).collect::<Vec<_>>());
        }
        (Err(index), Some(fails)) => prop_assert_eq!(index, fails),
        (outcome, fails) => prop_assert!(false, "{:?} with failing input {:?}", outcome, fails),
    }
    prop_assert_eq!(runs.live.load(SeqCst), 0, "nothing in flight after `Ready`");
    drop(join);
    prop_assert_eq!(
        runs.created.load(SeqCst),
        created,
        "nothing created after `Ready`"
    );
    check_end(&runs, schedule)
}

fn stream(schedule: &Schedule) -> Result<(), TestCaseError> {
    let runs = schedule.runs();
    let stream = as_completed_limit(schedule.inputs(&runs), schedule.limit);
    drain(schedule, &runs, stream, true)
}

/// `as_completed` over the same schedule (every child created at once; the limit is unused).
fn unbounded(schedule: &Schedule) -> Result<(), TestCaseError> {
    let runs = schedule.runs();
    let stream = as_completed(schedule.inputs(&runs));
    prop_assert_eq!(runs.created.load(SeqCst), schedule.instant.len());
    drain(schedule, &runs, stream, false)
}

/// Drains `stream`, waking one waiting child whenever it is pending: every index once, the
/// items between two `Pending`s (one parent poll's worth) in ascending index order.
fn drain(
    schedule: &Schedule,
    runs: &Runs,
    mut stream: impl Stream<Item = (usize, Result<usize, usize>)> + Unpin,
    bounded: bool,
) -> Result<(), TestCaseError> {
    let waker = Waker::from(Arc::new(Quiet::default()));
    let mut cx = Context::from_waker(&waker);
    let mut picks = schedule.picks.iter().copied().cycle();
    let mut seen = vec![false; schedule.instant.len()];
    let mut last_in_poll = None;
    loop {
        match Pin::new(&mut stream).poll_next(&mut cx) {
            Poll::Ready(Some((index, output))) => {
                prop_assert!(
                    last_in_poll < Some(index),
                    "{:?} then {}",
                    last_in_poll,
                    index
                );
                last_in_poll = Some(index);
                prop_assert!(
                    !std::mem::replace(&mut seen[index], true),
                    "{} twice",
                    index
                );
                let expected = if schedule.fails == Some(index) {
                    Err(index)
                } else {
                    Ok(index)
                };
                prop_assert_eq!(output, expected);
            }
            Poll::Ready(None) => break,
            Poll::Pending => {
                if bounded {
                    check_in_flight(runs, schedule)?;
                }
                last_in_poll = None;
                prop_assert!(
                    wake_one(runs, picks.next().unwrap()),
                    "pending, nothing waits"
                );
            }
        }
    }
    prop_assert!(seen.iter().all(|&seen| seen), "every index yielded");
    drop(stream);
    check_end(runs, schedule)
}

fn config() -> Config {
    Config {
        cases: if cfg!(miri) { 2 } else { 128 },
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_bounded_join_follows_its_contract(schedule in schedule()) {
        join(&schedule)?;
    }

    #[test]
    fn a_bounded_stream_follows_its_contract(schedule in schedule()) {
        stream(&schedule)?;
    }

    #[test]
    fn as_completed_follows_its_contract(schedule in schedule()) {
        unbounded(&schedule)?;
    }
}
