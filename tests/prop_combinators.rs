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

#[path = "support/model.rs"]
mod model;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use cancel_cascade::{
    select_first, try_join_all_cancel, wait_any, SelectFirst, TryJoinAllCancel, WaitAny,
};
use model::{
    check, config, script, Child, ChildPoll, Children, Expected, Fate, FateWeights, Model, Script,
};
use proptest::prelude::*;
use support::{Log, Opener, Token};

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

/// The combinator under test. Not `futures`' `map`: that drops the inner future as soon as it
/// is ready, which would hide children left alive at `Ready`.
enum Combinator {
    Join(TryJoinAllCancel<Child<Result<Token, usize>>>),
    Select(SelectFirst<Child<usize>>),
    Wait(WaitAny<Child<usize>>),
}

impl Combinator {
    /// `select_first` and `wait_any` have no error channel: a failing child completes there
    /// like any other.
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
                .map(|(index, &fate)| Child::new(log, fates, index, value(index, fate)))
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
}

impl model::Combinator for Combinator {
    type Outcome = Outcome;

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

/// The contract, written as plainly as possible.
struct CombinatorModel {
    policy: Policy,
    /// `wait_any`'s outputs from a pass that a child's panic cut short: decided, and returned
    /// by the next poll without polling any child.
    kept: Vec<(usize, usize)>,
}

impl Model for CombinatorModel {
    type Outcome = Outcome;

    fn poll(&mut self, children: &mut Children) -> Expected<Outcome> {
        if !self.kept.is_empty() {
            let kept = std::mem::take(&mut self.kept);
            return children.finish(Outcome::Waited(kept));
        }
        let pass = children.begin_pass();
        let mut done = Vec::new();
        for (at, &index) in pass.iter().enumerate() {
            match children.poll_child(&pass, at) {
                ChildPoll::Pending => {}
                ChildPoll::Panicked => {
                    if self.policy == Policy::WaitAny {
                        self.kept = done;
                    }
                    return Expected::Panicked(index);
                }
                ChildPoll::Ended(fate) => match self.policy {
                    Policy::TryJoinAll if fate == Fate::Fail => {
                        return children.finish(Outcome::Joined(Err(index)));
                    }
                    Policy::SelectFirst => {
                        return children.finish(Outcome::Selected((index, index)))
                    }
                    Policy::TryJoinAll | Policy::WaitAny => done.push((index, index)),
                },
            }
        }
        match self.policy {
            Policy::TryJoinAll if !children.any_alive() => {
                let n = children.len();
                children.finish(Outcome::Joined(Ok((0..n).collect())))
            }
            Policy::WaitAny if !done.is_empty() => children.finish(Outcome::Waited(done)),
            _ => Expected::Pending,
        }
    }
}

/// Runs the script against the real combinator and the model side by side; under
/// `try_join_all_cancel`, every output made must then have been dropped exactly once.
fn check_policy(policy: Policy, script: &Script) -> Result<(), TestCaseError> {
    let fates = &script.fates;
    let log = Log::new();
    let outputs = Log::new();
    let model = CombinatorModel {
        policy,
        kept: Vec::new(),
    };
    let (combinator, openers) = Combinator::new(policy, fates, &log, &outputs);
    check(model, combinator, openers, &log, script)?;
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

/// Mostly successes, so that joins often run to the end.
const FATES: FateWeights = FateWeights {
    complete: 16,
    fail: 2,
    panic: 1,
};

/// More children than one ready-set word holds; under miri, where each child costs
/// milliseconds, fewer.
const MAX_CHILDREN: usize = if cfg!(miri) { 40 } else { 150 };

proptest! {
    #![proptest_config(config())]

    #[test]
    fn try_join_all_cancel_follows_the_model(script in script(1..MAX_CHILDREN, FATES)) {
        check_policy(Policy::TryJoinAll, &script)?;
    }

    #[test]
    fn select_first_follows_the_model(script in script(1..MAX_CHILDREN, FATES)) {
        check_policy(Policy::SelectFirst, &script)?;
    }

    #[test]
    fn wait_any_follows_the_model(script in script(1..MAX_CHILDREN, FATES)) {
        check_policy(Policy::WaitAny, &script)?;
    }
}
