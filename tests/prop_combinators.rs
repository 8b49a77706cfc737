//! Random schedules against a reference model of the pinned contract. Each script gives N
//! children a fate (complete, fail, or panic in `poll`), then runs steps of touches (spurious
//! wakes, openings, clones of a child's waker kept in a pool, woken and dropped at random, even
//! after the combinator is gone), each followed by a parent poll with one of two parent wakers,
//! and drops the combinator at a random step (before, while or after it runs).
//!
//! After every step the real combinator must match the model exactly: the outcome (or the
//! panic), the poll count of every child (so no child is polled unless woken, at most once per
//! parent poll, nor after it completed, failed or was dropped), and the order in which children
//! were dropped; the parent wake-ups must reach the latest parent only. At the end every child
//! and every kept output was dropped exactly once, and once the last kept waker is gone the
//! shared wake-up state is freed (it holds the parent's waker: its count falls back).

#[allow(dead_code)]
mod support;

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::thread;

use cancel_cascade::{
    select_first, try_join_all_cancel, wait_any, SelectFirst, TryJoinAllCancel, WaitAny,
};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::Config;
use support::{panic_message, quiet_panics_containing, Gate, Log, Opener, Token, WakeCounter};

/// How a child ends once it is opened. `select_first` and `wait_any` have no error channel: a
/// failing child completes there like any other.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Fate {
    Complete,
    Fail,
    Panic,
}

#[derive(Debug, Clone, Copy)]
enum Touch {
    /// A spurious wake-up through the child's latest waker.
    Wake(usize),
    /// Lets the child end on its next poll, and wakes it.
    Open(usize),
    /// Keeps a clone of the child's latest waker in the pool.
    Keep(usize),
    /// Wakes a kept clone by reference.
    WakeKept(Index),
    /// Drops a kept clone, waking it by value first if `wake`.
    Release { clone: Index, wake: bool },
}

#[derive(Debug, Clone)]
struct Step {
    touches: Vec<Touch>,
    /// Which of the two parent wakers polls after the touches.
    parent: usize,
}

#[derive(Debug, Clone)]
struct Script {
    fates: Vec<Fate>,
    steps: Vec<Step>,
    /// The step at which the combinator is dropped instead of polled; past the last step, it
    /// is dropped after the script.
    drop_at: usize,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Policy {
    TryJoinAll,
    SelectFirst,
    WaitAny,
}

/// What a combinator returns, in one type for the three policies; join outputs are given as
/// the indices of their tokens.
#[derive(Debug, PartialEq)]
enum Outcome {
    Joined(Result<Vec<usize>, usize>),
    Selected((usize, usize)),
    Waited(Vec<(usize, usize)>),
}

/// A gate that panics instead of completing when its fate says so. The gate stays inside, so
/// its drop is logged with the other children's.
struct Child<T> {
    gate: Gate<T>,
    index: usize,
    explodes: bool,
}

impl<T> Future for Child<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let explodes = self.explodes;
        let index = self.index;
        match Pin::new(&mut self.gate).poll(cx) {
            Poll::Ready(_) if explodes => panic!("child {index} exploded"),
            outcome => outcome,
        }
    }
}

/// The combinator under test. Not `futures`' `map`: that drops the inner future as soon as it
/// is ready, which would hide children left alive at `Ready`.
enum Combinator {
    Join(TryJoinAllCancel<Child<Result<Token, usize>>>),
    Select(SelectFirst<Child<usize>>),
    Wait(WaitAny<Child<usize>>),
}

impl Combinator {
    fn new(
        policy: Policy,
        fates: &[Fate],
        log: &Arc<Log>,
        outputs: &Arc<Log>,
    ) -> (Self, Vec<Opener>) {
        fn children<T>(
            log: &Arc<Log>,
            fates: &[Fate],
            value: impl Fn(usize, Fate) -> T,
        ) -> (Vec<Child<T>>, Vec<Opener>) {
            fates
                .iter()
                .enumerate()
                .map(|(index, &fate)| {
                    let (gate, opener) = log.gate(index, value(index, fate));
                    let explodes = fate == Fate::Panic;
                    (
                        Child {
                            gate,
                            index,
                            explodes,
                        },
                        opener,
                    )
                })
                .unzip()
        }
        match policy {
            Policy::TryJoinAll => {
                let (children, openers) = children(log, fates, |index, fate| match fate {
                    Fate::Fail => Err(index),
                    Fate::Complete | Fate::Panic => Ok(outputs.token(index)),
                });
                (Combinator::Join(try_join_all_cancel(children)), openers)
            }
            Policy::SelectFirst => {
                let (children, openers) = children(log, fates, |index, _| index);
                (Combinator::Select(select_first(children)), openers)
            }
            Policy::WaitAny => {
                let (children, openers) = children(log, fates, |index, _| index);
                (Combinator::Wait(wait_any(children)), openers)
            }
        }
    }

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Outcome> {
        match self {
            Combinator::Join(join) => Pin::new(join).poll(cx).map(|outcome| {
                Outcome::Joined(outcome.map(|tokens| tokens.iter().map(Token::index).collect()))
            }),
            Combinator::Select(select) => Pin::new(select).poll(cx).map(Outcome::Selected),
            Combinator::Wait(wait) => Pin::new(wait).poll(cx).map(Outcome::Waited),
        }
    }
}

/// What the model says one parent poll does.
#[derive(Debug, PartialEq)]
enum Expected {
    Pending,
    Ready(Outcome),
    /// The child at this index panicked; the pass ended there.
    Panicked(usize),
}

/// The contract, written as plainly as possible.
struct Model {
    policy: Policy,
    fates: Vec<Fate>,
    opened: Vec<bool>,
    /// Still in its slot: not completed and not dropped. A child that panicked stays.
    alive: Vec<bool>,
    exploded: Vec<bool>,
    // A child that was never polled has no waker to be woken through.
    has_waker: Vec<bool>,
    woken: Vec<bool>,
    polls: Vec<usize>,
    drops: Vec<usize>,
    first_poll: bool,
    /// The combinator returned `Ready` or was dropped: nothing reaches the children any more.
    over: bool,
    /// `wait_any`'s outputs from a pass that a child's panic cut short: decided, and returned
    /// by the next poll without polling any child.
    kept: Vec<(usize, usize)>,
}

impl Model {
    fn new(policy: Policy, fates: Vec<Fate>) -> Self {
        let n = fates.len();
        Model {
            policy,
            fates,
            opened: vec![false; n],
            alive: vec![true; n],
            exploded: vec![false; n],
            has_waker: vec![false; n],
            woken: vec![false; n],
            polls: vec![0; n],
            drops: Vec::new(),
            first_poll: true,
            over: false,
            kept: Vec::new(),
        }
    }

    /// Whether the script may reach child `index` now: waking a child that panicked while its
    /// combinator still holds it would poll a future in an unspecified state.
    fn reachable(&self, index: usize) -> bool {
        self.over || !self.exploded[index]
    }

    /// Marks the child woken; returns whether the ready set gained it (only then is a parent
    /// wake-up owed).
    fn wake(&mut self, index: usize) -> bool {
        if self.over || !self.has_waker[index] || self.woken[index] {
            return false;
        }
        self.woken[index] = true;
        true
    }

    fn poll(&mut self) -> Expected {
        if !self.kept.is_empty() {
            let kept = std::mem::take(&mut self.kept);
            return self.finish(Outcome::Waited(kept));
        }
        let n = self.fates.len();
        let pass: Vec<usize> = (0..n)
            .filter(|&index| self.first_poll || self.woken[index])
            .collect();
        self.first_poll = false;
        self.woken = vec![false; n];
        let mut done = Vec::new();
        for (at, &index) in pass.iter().enumerate() {
            if !self.alive[index] {
                continue;
            }
            self.polls[index] += 1;
            self.has_waker[index] = true;
            if !self.opened[index] {
                continue;
            }
            if self.fates[index] == Fate::Panic {
                self.exploded[index] = true;
                // The rest of the pass goes back into the ready set.
                for &later in &pass[at + 1..] {
                    self.woken[later] = true;
                }
                if self.policy == Policy::WaitAny {
                    self.kept = done;
                }
                return Expected::Panicked(index);
            }
            self.alive[index] = false;
            self.drops.push(index);
            match self.policy {
                Policy::TryJoinAll if self.fates[index] == Fate::Fail => {
                    return self.finish(Outcome::Joined(Err(index)));
                }
                Policy::SelectFirst => return self.finish(Outcome::Selected((index, index))),
                Policy::TryJoinAll | Policy::WaitAny => done.push((index, index)),
            }
        }
        match self.policy {
            Policy::TryJoinAll if !self.alive.contains(&true) => {
                self.finish(Outcome::Joined(Ok((0..n).collect())))
            }
            Policy::WaitAny if !done.is_empty() => self.finish(Outcome::Waited(done)),
            _ => Expected::Pending,
        }
    }

    fn finish(&mut self, outcome: Outcome) -> Expected {
        self.drop_the_rest();
        Expected::Ready(outcome)
    }

    /// Every child still in its slot goes, in index order.
    fn drop_the_rest(&mut self) {
        for index in 0..self.alive.len() {
            if std::mem::take(&mut self.alive[index]) {
                self.drops.push(index);
            }
        }
        self.over = true;
    }

    /// Whether this pass will leave children in the ready set (a panic put them back).
    fn restores(&self) -> bool {
        self.woken.contains(&true)
    }
}

/// The parent wake-ups the model expects: only the parent of the latest poll is ever woken,
/// exactly when the ready set received a child since that poll (a wake of a child already in
/// the set adds nothing). Once the combinator is over, late wakes may still reach the last parent
/// waker it held: spurious, and outside the contract, so no longer checked.
struct ParentWakes {
    latest: Option<usize>,
    /// Each parent's wake count just before the latest parent poll.
    at_last_poll: [usize; 2],
    /// A child entered the ready set since the latest poll (a wake, or a panic's restore).
    owed: bool,
}

impl ParentWakes {
    fn check(&self, parents: &[Arc<WakeCounter>; 2], at: usize) -> Result<(), TestCaseError> {
        let Some(latest) = self.latest else {
            return Ok(());
        };
        let wakes = [parents[0].wakes(), parents[1].wakes()];
        prop_assert_eq!(
            wakes[latest] > self.at_last_poll[latest],
            self.owed,
            "step {}: the latest parent is woken exactly when the ready set gained a child",
            at
        );
        prop_assert_eq!(
            wakes[1 - latest],
            self.at_last_poll[1 - latest],
            "step {}: an earlier parent was woken",
            at
        );
        Ok(())
    }
}

/// Runs the script against the real combinator and the model side by side.
fn check(policy: Policy, script: &Script) -> Result<(), TestCaseError> {
    quiet_panics_containing("exploded");
    let Script {
        fates,
        steps,
        drop_at,
    } = script;
    let log = Log::new();
    let outputs = Log::new();
    let mut model = Model::new(policy, fates.clone());
    let parents = [WakeCounter::new(), WakeCounter::new()];
    let (combinator, openers) = Combinator::new(policy, fates, &log, &outputs);
    let mut combinator = Some(combinator);
    let mut kept: Vec<(usize, Waker)> = Vec::new();
    let mut wakes = ParentWakes {
        latest: None,
        at_last_poll: [0; 2],
        owed: false,
    };

    for (at, step) in steps.iter().enumerate() {
        for &touch in &step.touches {
            match touch {
                Touch::Wake(index) if model.reachable(index) => {
                    wakes.owed |= model.wake(index);
                    openers[index].wake();
                }
                Touch::Open(index) if model.reachable(index) => {
                    model.opened[index] = true;
                    wakes.owed |= model.wake(index);
                    openers[index].open();
                }
                Touch::Keep(index) if model.has_waker[index] => {
                    kept.push((index, openers[index].waker()));
                }
                Touch::WakeKept(clone) if !kept.is_empty() => {
                    let (index, waker) = &kept[clone.index(kept.len())];
                    if model.reachable(*index) {
                        wakes.owed |= model.wake(*index);
                        waker.wake_by_ref();
                    }
                }
                Touch::Release { clone, wake } if !kept.is_empty() => {
                    let (index, waker) = kept.swap_remove(clone.index(kept.len()));
                    if wake && model.reachable(index) {
                        wakes.owed |= model.wake(index);
                        waker.wake();
                    }
                }
                _ => {}
            }
        }
        if !model.over {
            wakes.check(&parents, at)?;
        }

        if at == *drop_at {
            if combinator.take().is_some() && !model.over {
                model.drop_the_rest();
            }
        } else if let Some(alive) = combinator.as_mut().filter(|_| !model.over) {
            let parent = &parents[step.parent];
            let waker = parent.waker();
            let mut cx = Context::from_waker(&waker);
            wakes.at_last_poll = [parents[0].wakes(), parents[1].wakes()];
            wakes.latest = Some(step.parent);
            let expected = model.poll();
            wakes.owed = model.restores();
            let actual = catch_unwind(AssertUnwindSafe(|| alive.poll(&mut cx)));
            match (actual, expected) {
                (Ok(Poll::Pending), Expected::Pending) => {}
                (Ok(Poll::Ready(actual)), Expected::Ready(expected)) => {
                    prop_assert_eq!(actual, expected, "outcome at step {}", at);
                }
                (Err(payload), Expected::Panicked(index)) => {
                    prop_assert_eq!(panic_message(payload), format!("child {index} exploded"));
                    wakes.check(&parents, at)?;
                }
                (Err(payload), expected) => {
                    prop_assert!(
                        false,
                        "step {}: panicked with {:?}, the model says {:?}",
                        at,
                        panic_message(payload),
                        expected
                    );
                }
                (Ok(actual), expected) => {
                    prop_assert!(
                        false,
                        "step {}: got {:?}, the model says {:?}",
                        at,
                        actual,
                        expected
                    );
                }
            }
        }

        let polls: Vec<usize> = openers.iter().map(Opener::polls).collect();
        prop_assert_eq!(&polls, &model.polls, "child polls after step {}", at);
        prop_assert_eq!(
            log.drop_order(),
            model.drops.clone(),
            "drops after step {}",
            at
        );
    }

    if combinator.take().is_some() && !model.over {
        model.drop_the_rest();
    }
    prop_assert_eq!(log.drop_order(), model.drops.clone(), "drops at the end");
    prop_assert!(openers.iter().all(|opener| opener.drops() == 1));

    // The kept clones outlive the combinator: woken and dropped on another thread, they must
    // poll nothing, drop nothing, and free the shared state with the last of them.
    let polls = log.polls();
    thread::spawn(move || {
        for (_, waker) in kept {
            waker.wake();
        }
    })
    .join()
    .unwrap();
    openers.iter().for_each(Opener::forget_waker);
    prop_assert_eq!(log.polls(), polls, "a late wake polled a child");
    prop_assert_eq!(log.drops(), fates.len(), "a late wake dropped a child");
    for parent in &parents {
        prop_assert_eq!(
            Arc::strong_count(parent),
            1,
            "the shared state (holding the parent's waker) outlived every waker"
        );
    }
    if policy == Policy::TryJoinAll {
        let mut dropped = outputs.drop_order();
        dropped.sort_unstable();
        let made: Vec<usize> = (0..fates.len())
            .filter(|&index| fates[index] != Fate::Fail)
            .collect();
        prop_assert_eq!(dropped, made, "every output dropped exactly once");
    }
    Ok(())
}

fn fate() -> impl Strategy<Value = Fate> {
    prop_oneof![
        16 => Just(Fate::Complete),
        2 => Just(Fate::Fail),
        1 => Just(Fate::Panic),
    ]
}

/// More children than one ready-set word holds, and long scripts; under miri, where each child
/// and each step costs milliseconds, fewer and shorter.
const MAX_CHILDREN: usize = if cfg!(miri) { 40 } else { 150 };
const MAX_STEPS: usize = if cfg!(miri) { 10 } else { 25 };

fn script() -> impl Strategy<Value = Script> {
    (1..MAX_CHILDREN).prop_flat_map(|n| {
        let fates = prop::collection::vec(fate(), n);
        let touch = prop_oneof![
            6 => (0..n).prop_map(Touch::Wake),
            4 => (0..n).prop_map(Touch::Open),
            2 => (0..n).prop_map(Touch::Keep),
            1 => any::<Index>().prop_map(Touch::WakeKept),
            1 => (any::<Index>(), any::<bool>())
                .prop_map(|(clone, wake)| Touch::Release { clone, wake }),
        ];
        let step = (prop::collection::vec(touch, 0..12), 0_usize..2)
            .prop_map(|(touches, parent)| Step { touches, parent });
        let steps = prop::collection::vec(step, 1..MAX_STEPS);
        (fates, steps)
            .prop_flat_map(|(fates, steps)| {
                let past_the_end = steps.len() + 1;
                (Just(fates), Just(steps), 0..=past_the_end)
            })
            .prop_map(|(fates, steps, drop_at)| Script {
                fates,
                steps,
                drop_at,
            })
    })
}

/// No failure persistence: proptest would look for the crate root next to this file, finds none
/// in `tests/`, and under miri no file may be touched anyway; a failure prints its shrunk
/// script instead. Under miri every case costs seconds: a few cases.
fn config() -> Config {
    Config {
        cases: if cfg!(miri) {
            2
        } else {
            Config::default().cases
        },
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn try_join_all_cancel_follows_the_model(script in script()) {
        check(Policy::TryJoinAll, &script)?;
    }

    #[test]
    fn select_first_follows_the_model(script in script()) {
        check(Policy::SelectFirst, &script)?;
    }

    #[test]
    fn wait_any_follows_the_model(script in script()) {
        check(Policy::WaitAny, &script)?;
    }
}
