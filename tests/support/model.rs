//! The driver shared by the model checkers (`prop_combinators.rs`, `prop_races.rs`): random
//! scripts of wakes, openings and kept waker clones run against a real combinator and a
//! reference model of its contract side by side, compared after every step.
//!
//! Each checker writes its policies as a [`Model`] (what one parent poll returns, over the
//! bookkeeping in [`Children`] that every policy shares), its combinators as a [`Combinator`],
//! and how often each [`Fate`] is drawn; [`script`] and [`check`] do the rest.
//!
//! Included by those files with `#[path = "support/model.rs"] mod model;`, next to `mod support;`.

use std::fmt::Debug;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::thread;

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::Config;

use crate::support::{panic_message, quiet_panics_containing, Gate, Log, Opener, WakeCounter};

/// How a child ends once it is opened. A combinator without an error channel completes a
/// failing child like any other.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Fate {
    Complete,
    Fail,
    Panic,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Touch {
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
pub(crate) struct Step {
    touches: Vec<Touch>,
    /// Which of the two parent wakers polls after the touches.
    parent: usize,
}

#[derive(Debug, Clone)]
pub(crate) struct Script {
    pub(crate) fates: Vec<Fate>,
    steps: Vec<Step>,
    /// The step at which the combinator is dropped instead of polled; past the last step, it
    /// is dropped after the script.
    drop_at: usize,
}

/// A gate that panics instead of completing when its fate says so. The gate stays inside, so
/// its drop is logged with the other children's.
pub(crate) struct Child<T> {
    gate: Gate<T>,
    index: usize,
    explodes: bool,
}

impl<T> Child<T> {
    /// Child `index`, logged in `log`, that ends with `value` (or panics, if its fate says so)
    /// once its opener opens it.
    pub(crate) fn new(log: &Arc<Log>, fates: &[Fate], index: usize, value: T) -> (Self, Opener) {
        let (gate, opener) = log.gate(index, value);
        let explodes = fates[index] == Fate::Panic;
        let child = Child {
            gate,
            index,
            explodes,
        };
        (child, opener)
    }
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

/// The combinator under test, its output mapped to the model's outcome type.
pub(crate) trait Combinator {
    /// What the combinator returns, in one type for all the policies of a checker.
    type Outcome: Debug + PartialEq;

    /// Polls the combinator once with `cx`.
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Self::Outcome>;
}

/// What the model says one parent poll does.
#[derive(Debug, PartialEq)]
pub(crate) enum Expected<O> {
    Pending,
    Ready(O),
    /// The child at this index panicked; the pass ended there.
    Panicked(usize),
}

/// A reference model of one combinator's contract, written as plainly as possible, over the
/// bookkeeping in [`Children`] that every policy shares (kept by [`check`]).
pub(crate) trait Model {
    /// What the model expects the combinator to return.
    type Outcome: Debug + PartialEq;

    /// What one parent poll does: runs a pass over `children` ([`Children::begin_pass`], then
    /// [`Children::poll_child`] for each child of it) and says what the combinator must return,
    /// through [`Children::finish`] when it is `Ready`.
    fn poll(&mut self, children: &mut Children) -> Expected<Self::Outcome>;
}

/// What happened to one child in a pass, after [`Children::poll_child`].
pub(crate) enum ChildPoll {
    /// Not polled (no longer in its slot), or polled and still pending.
    Pending,
    /// Panicked; the rest of the pass went back into the ready set.
    Panicked,
    /// Ended with its fate, and was dropped.
    Ended(Fate),
}

/// The bookkeeping that every policy's model shares.
pub(crate) struct Children {
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
}

impl Children {
    fn new(fates: Vec<Fate>) -> Self {
        let n = fates.len();
        Children {
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
        }
    }

    /// How many children the combinator started with.
    pub(crate) fn len(&self) -> usize {
        self.fates.len()
    }

    /// Whether any child is still in its slot.
    pub(crate) fn any_alive(&self) -> bool {
        self.alive.contains(&true)
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

    /// Starts a parent poll: the children it polls (all of them on the first poll, then the
    /// woken ones), in index order; the ready set is emptied.
    pub(crate) fn begin_pass(&mut self) -> Vec<usize> {
        let n = self.len();
        let pass: Vec<usize> = (0..n)
            .filter(|&index| self.first_poll || self.woken[index])
            .collect();
        self.first_poll = false;
        self.woken = vec![false; n];
        pass
    }

    /// Polls the child at `pass[at]`, if it is still in its slot.
    pub(crate) fn poll_child(&mut self, pass: &[usize], at: usize) -> ChildPoll {
        let index = pass[at];
        if !self.alive[index] {
            return ChildPoll::Pending;
        }
        self.polls[index] += 1;
        self.has_waker[index] = true;
        if !self.opened[index] {
            return ChildPoll::Pending;
        }
        if self.fates[index] == Fate::Panic {
            self.exploded[index] = true;
            // The rest of the pass goes back into the ready set.
            for &later in &pass[at + 1..] {
                self.woken[later] = true;
            }
            return ChildPoll::Panicked;
        }
        self.alive[index] = false;
        self.drops.push(index);
        ChildPoll::Ended(self.fates[index])
    }

    /// The combinator returns `outcome`: every child still in its slot goes.
    pub(crate) fn finish<O>(&mut self, outcome: O) -> Expected<O> {
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
        let wakes = parents.each_ref().map(|parent| parent.wakes());
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

/// Runs the script against the real combinator (its children logged in `log`, opened by
/// `openers`) and the model side by side.
pub(crate) fn check<M, C>(
    mut model: M,
    combinator: C,
    openers: Vec<Opener>,
    log: &Log,
    script: &Script,
) -> Result<(), TestCaseError>
where
    M: Model,
    C: Combinator<Outcome = M::Outcome>,
{
    quiet_panics_containing("exploded");
    let Script {
        fates,
        steps,
        drop_at,
    } = script;
    let mut children = Children::new(fates.clone());
    let parents = [WakeCounter::new(), WakeCounter::new()];
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
                Touch::Wake(index) if children.reachable(index) => {
                    wakes.owed |= children.wake(index);
                    openers[index].wake();
                }
                Touch::Open(index) if children.reachable(index) => {
                    children.opened[index] = true;
                    wakes.owed |= children.wake(index);
                    openers[index].open();
                }
                Touch::Keep(index) if children.has_waker[index] => {
                    kept.push((index, openers[index].waker()));
                }
                Touch::WakeKept(clone) if !kept.is_empty() => {
                    let (index, waker) = &kept[clone.index(kept.len())];
                    if children.reachable(*index) {
                        wakes.owed |= children.wake(*index);
                        waker.wake_by_ref();
                    }
                }
                Touch::Release { clone, wake } if !kept.is_empty() => {
                    let (index, waker) = kept.swap_remove(clone.index(kept.len()));
                    if wake && children.reachable(index) {
                        wakes.owed |= children.wake(index);
                        waker.wake();
                    }
                }
                _ => {}
            }
        }
        if !children.over {
            wakes.check(&parents, at)?;
        }

        if at == *drop_at {
            if combinator.take().is_some() && !children.over {
                children.drop_the_rest();
            }
        } else if let Some(alive) = combinator.as_mut().filter(|_| !children.over) {
            let parent = &parents[step.parent];
            let waker = parent.waker();
            let mut cx = Context::from_waker(&waker);
            wakes.at_last_poll = parents.each_ref().map(|parent| parent.wakes());
            wakes.latest = Some(step.parent);
            let expected = model.poll(&mut children);
            wakes.owed = children.restores();
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
        prop_assert_eq!(&polls, &children.polls, "child polls after step {}", at);
        prop_assert_eq!(
            log.drop_order(),
            children.drops.clone(),
            "drops after step {}",
            at
        );
    }

    if combinator.take().is_some() && !children.over {
        children.drop_the_rest();
    }
    prop_assert_eq!(log.drop_order(), children.drops.clone(), "drops at the end");
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
    Ok(())
}

/// More children than one ready-set word holds, and long scripts; under miri, where each step
/// costs milliseconds, shorter.
const MAX_STEPS: usize = if cfg!(miri) { 10 } else { 25 };

/// How often a child is given each fate, relative to the others.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FateWeights {
    pub(crate) complete: u32,
    pub(crate) fail: u32,
    pub(crate) panic: u32,
}

/// Scripts over a number of children in `children`, each given a fate drawn by `weights`.
pub(crate) fn script(
    children: std::ops::Range<usize>,
    weights: FateWeights,
) -> impl Strategy<Value = Script> {
    children.prop_flat_map(move |n| {
        let fate = prop_oneof![
            weights.complete => Just(Fate::Complete),
            weights.fail => Just(Fate::Fail),
            weights.panic => Just(Fate::Panic),
        ];
        let fates = prop::collection::vec(fate, n);
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

/// No failure persistence: proptest would look for the crate root next to the test file, finds
/// none in `tests/`, and under miri no file may be touched anyway; a failure prints its shrunk
/// script instead. Under miri every case costs seconds: a few cases.
pub(crate) fn config() -> Config {
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
