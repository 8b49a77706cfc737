//! Random schedules for the new races, against a reference model of the contract: the same
//! scripts as `prop_combinators.rs` (children that complete, fail or panic in `poll`; spurious
//! wakes, openings, kept waker clones woken and dropped at random, even after the combinator is
//! gone; two parent wakers; a drop at a random step), run on `select_first_ok` (failures are
//! kept and the race goes on; all failed gives every error by index) and on `select_cancel`
//! over a tuple of four futures of four output types.
//!
//! After every step the real combinator must match the model exactly: the outcome (or the
//! panic), the poll count of every child, and the order in which children were dropped; the
//! parent wake-ups must reach the latest parent only. At the end every child was dropped
//! exactly once and the shared wake-up state is freed once the last kept waker is gone.

#[allow(dead_code)]
mod support;

#[path = "support/model.rs"]
mod model;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use cancel_cascade::one_of::OneOf4;
use cancel_cascade::{select_cancel, select_first_ok, SelectCancel, SelectFirstOk};
use model::{
    check, config, script, Child, ChildPoll, Children, Expected, Fate, FateWeights, Model, Script,
};
use proptest::prelude::*;
use support::{Log, Opener};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Policy {
    SelectFirstOk,
    SelectCancel,
}

/// What a combinator returns, in one type for both policies: each child's output (or error) is
/// its index.
#[derive(Debug, PartialEq)]
enum Outcome {
    FirstOk(Result<(usize, usize), Vec<(usize, usize)>>),
    /// The position of the winner, and its output.
    Selected((usize, usize)),
}

/// The arity of the tuple under `select_cancel`.
const TUPLE: usize = 4;

/// The combinator under test. Not `futures`' `map`: that drops the inner future as soon as it
/// is ready, which would hide children left alive at `Ready`.
enum Combinator {
    FirstOk(SelectFirstOk<Child<Result<usize, usize>>>),
    Tuple(SelectCancel<Tuple>),
}

type Tuple = (Child<u8>, Child<u16>, Child<u32>, Child<u64>);

impl Combinator {
    /// `select_cancel` has no error channel: a failing child completes there like any other.
    fn new(policy: Policy, fates: &[Fate], log: &Arc<Log>) -> (Self, Vec<Opener>) {
        match policy {
            Policy::SelectFirstOk => {
                let (children, openers): (Vec<_>, _) = (0..fates.len())
                    .map(|index| {
                        let value = match fates[index] {
                            Fate::Fail => Err(index),
                            Fate::Complete | Fate::Panic => Ok(index),
                        };
                        Child::new(log, fates, index, value)
                    })
                    .unzip();
                (Combinator::FirstOk(select_first_ok(children)), openers)
            }
            Policy::SelectCancel => {
                let (a, open_a) = Child::new(log, fates, 0, 0u8);
                let (b, open_b) = Child::new(log, fates, 1, 1u16);
                let (c, open_c) = Child::new(log, fates, 2, 2u32);
                let (d, open_d) = Child::new(log, fates, 3, 3u64);
                let select = select_cancel((a, b, c, d));
                (
                    Combinator::Tuple(select),
                    vec![open_a, open_b, open_c, open_d],
                )
            }
        }
    }
}

impl model::Combinator for Combinator {
    type Outcome = Outcome;

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Outcome> {
        match self {
            Combinator::FirstOk(select) => Pin::new(select)
                .poll(cx)
                .map(|outcome| Outcome::FirstOk(outcome.map_err(|failed| failed.into_errors()))),
            Combinator::Tuple(select) => Pin::new(select).poll(cx).map(|winner| {
                Outcome::Selected(match winner {
                    OneOf4::First(value) => (0, usize::from(value)),
                    OneOf4::Second(value) => (1, usize::from(value)),
                    OneOf4::Third(value) => (2, value as usize),
                    OneOf4::Fourth(value) => (3, value as usize),
                })
            }),
        }
    }
}

/// The contract, written as plainly as possible.
struct RaceModel {
    policy: Policy,
    /// `select_first_ok`: the children that failed, in the order they failed.
    failed: Vec<usize>,
}

impl Model for RaceModel {
    type Outcome = Outcome;

    fn poll(&mut self, children: &mut Children) -> Expected<Outcome> {
        let pass = children.begin_pass();
        for (at, &index) in pass.iter().enumerate() {
            match children.poll_child(&pass, at) {
                ChildPoll::Pending => {}
                ChildPoll::Panicked => return Expected::Panicked(index),
                ChildPoll::Ended(fate) => match self.policy {
                    Policy::SelectFirstOk if fate == Fate::Fail => self.failed.push(index),
                    Policy::SelectFirstOk => {
                        return children.finish(Outcome::FirstOk(Ok((index, index))));
                    }
                    Policy::SelectCancel => {
                        return children.finish(Outcome::Selected((index, index)));
                    }
                },
            }
        }
        // A child that panicked stays in its slot: the race is not over.
        if self.policy == Policy::SelectFirstOk && !children.any_alive() {
            let mut errors = self.failed.clone();
            errors.sort_unstable();
            let errors = errors.into_iter().map(|index| (index, index)).collect();
            return children.finish(Outcome::FirstOk(Err(errors)));
        }
        Expected::Pending
    }
}

/// Runs the script against the real combinator and the model side by side.
fn check_policy(policy: Policy, script: &Script) -> Result<(), TestCaseError> {
    let log = Log::new();
    let model = RaceModel {
        policy,
        failed: Vec::new(),
    };
    let (combinator, openers) = Combinator::new(policy, &script.fates, &log);
    check(model, combinator, openers, &log, script)
}

/// Failures as often as successes, so that many races end with every child failed.
const FATES: FateWeights = FateWeights {
    complete: 8,
    fail: 8,
    panic: 1,
};

/// More children than one ready-set word holds; under miri, where each child costs
/// milliseconds, fewer.
const MAX_CHILDREN: usize = if cfg!(miri) { 20 } else { 150 };

proptest! {
    #![proptest_config(config())]

    #[test]
    fn select_first_ok_follows_the_model(script in script(1..MAX_CHILDREN, FATES)) {
        check_policy(Policy::SelectFirstOk, &script)?;
    }

    #[test]
    fn select_cancel_follows_the_model(script in script(TUPLE..TUPLE + 1, FATES)) {
        check_policy(Policy::SelectCancel, &script)?;
    }
}
