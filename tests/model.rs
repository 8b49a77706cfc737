//! The pinned polling rules as a reference model, checked against the combinators on random
//! scripts of wakes and completions: outcome, exact poll count of every child, and which
//! children are gone, after every parent poll.

#[allow(dead_code)]
mod support;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use cancel_cascade::{
    select_first, try_join_all_cancel, wait_any, SelectFirst, TryJoinAllCancel, WaitAny,
};
use proptest::prelude::*;
use support::{Gate, Log, Opener, WakeCounter};

#[derive(Debug, Clone, Copy)]
enum Touch {
    /// A spurious wake-up.
    Wake(usize),
    /// Lets the child complete on its next poll, and wakes it.
    Open(usize),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Policy {
    TryJoinAll,
    SelectFirst,
    WaitAny,
}

/// What a combinator returns, in one type for the three policies.
#[derive(Debug, PartialEq)]
enum Outcome {
    Joined(Result<Vec<usize>, usize>),
    Selected((usize, usize)),
    Waited(Vec<(usize, usize)>),
}

/// The combinator under test. Not `futures`' `map`: that drops the inner future as soon as it
/// is ready, which would hide children left alive at `Ready`.
enum Combinator {
    Join(TryJoinAllCancel<Gate<Result<usize, usize>>>),
    Select(SelectFirst<Gate<usize>>),
    Wait(WaitAny<Gate<usize>>),
}

impl Combinator {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Outcome> {
        match self {
            Combinator::Join(join) => Pin::new(join).poll(cx).map(Outcome::Joined),
            Combinator::Select(select) => Pin::new(select).poll(cx).map(Outcome::Selected),
            Combinator::Wait(wait) => Pin::new(wait).poll(cx).map(Outcome::Waited),
        }
    }
}

/// The contract, written as plainly as possible.
struct Model {
    policy: Policy,
    fails: Vec<bool>,
    opened: Vec<bool>,
    running: Vec<bool>,
    // A child that was never polled has no waker to be woken through.
    has_waker: Vec<bool>,
    woken: Vec<bool>,
    polls: Vec<usize>,
    first_poll: bool,
}

impl Model {
    fn new(policy: Policy, fails: Vec<bool>) -> Self {
        let n = fails.len();
        Model {
            policy,
            fails,
            opened: vec![false; n],
            running: vec![true; n],
            has_waker: vec![false; n],
            woken: vec![false; n],
            polls: vec![0; n],
            first_poll: true,
        }
    }

    fn touch(&mut self, touch: Touch) {
        let index = match touch {
            Touch::Wake(index) => index,
            Touch::Open(index) => {
                self.opened[index] = true;
                index
            }
        };
        if self.has_waker[index] {
            self.woken[index] = true;
        }
    }

    fn poll(&mut self) -> Option<Outcome> {
        let n = self.fails.len();
        let polled: Vec<usize> = (0..n)
            .filter(|&index| self.first_poll || self.woken[index])
            .collect();
        self.first_poll = false;
        self.woken = vec![false; n];
        let mut done = Vec::new();
        for index in polled {
            if !self.running[index] {
                continue;
            }
            self.polls[index] += 1;
            self.has_waker[index] = true;
            if !self.opened[index] {
                continue;
            }
            self.running[index] = false;
            match self.policy {
                Policy::TryJoinAll if self.fails[index] => {
                    return Some(Outcome::Joined(Err(index)));
                }
                Policy::SelectFirst => return Some(Outcome::Selected((index, index))),
                Policy::TryJoinAll | Policy::WaitAny => done.push((index, index)),
            }
        }
        match self.policy {
            Policy::TryJoinAll if !self.running.contains(&true) => {
                Some(Outcome::Joined(Ok((0..n).collect())))
            }
            Policy::WaitAny if !done.is_empty() => Some(Outcome::Waited(done)),
            _ => None,
        }
    }
}

/// Runs `steps` against the real combinator and the model side by side; the touches of each
/// step come before the parent poll that follows it.
fn check(policy: Policy, fails: Vec<bool>, steps: &[Vec<Touch>]) -> Result<(), TestCaseError> {
    let n = fails.len();
    let log = Log::new();
    let mut model = Model::new(policy, fails.clone());
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut cx = Context::from_waker(&waker);
    let (mut combinator, openers) = match policy {
        Policy::TryJoinAll => {
            let (gates, openers) =
                log.gates((0..n).map(|index| if fails[index] { Err(index) } else { Ok(index) }));
            (Combinator::Join(try_join_all_cancel(gates)), openers)
        }
        Policy::SelectFirst => {
            let (gates, openers) = log.gates(0..n);
            (Combinator::Select(select_first(gates)), openers)
        }
        Policy::WaitAny => {
            let (gates, openers) = log.gates(0..n);
            (Combinator::Wait(wait_any(gates)), openers)
        }
    };

    for (step, touches) in steps.iter().enumerate() {
        let wakes = parent.wakes();
        for &touch in touches {
            model.touch(touch);
            match touch {
                Touch::Wake(index) => openers[index].wake(),
                Touch::Open(index) => openers[index].open(),
            }
        }
        if model.woken.contains(&true) {
            prop_assert!(
                parent.wakes() > wakes,
                "step {}: the parent was not woken",
                step
            );
        }
        let expected = model.poll();
        let actual = combinator.poll(&mut cx);
        let polls: Vec<usize> = openers.iter().map(Opener::polls).collect();
        prop_assert_eq!(&polls, &model.polls, "child polls after step {}", step);
        let gone: Vec<usize> = openers.iter().map(Opener::drops).collect();
        match (actual, expected) {
            (Poll::Ready(actual), Some(expected)) => {
                prop_assert_eq!(actual, expected, "outcome at step {}", step);
                prop_assert!(
                    gone.iter().all(|&drops| drops == 1),
                    "all dropped at `Ready`: {:?}",
                    gone
                );
                return Ok(());
            }
            (Poll::Pending, None) => {
                // While pending, only a completed child is gone (a join drops it at once).
                let completed: Vec<usize> = model
                    .running
                    .iter()
                    .map(|&running| usize::from(!running))
                    .collect();
                prop_assert_eq!(&gone, &completed, "children gone after step {}", step);
            }
            (actual, expected) => {
                prop_assert!(
                    false,
                    "step {}: got {:?}, the model says {:?}",
                    step,
                    actual,
                    expected
                );
            }
        }
    }
    Ok(())
}

fn script() -> impl Strategy<Value = (Vec<bool>, Vec<Vec<Touch>>)> {
    (1_usize..150).prop_flat_map(|n| {
        let fails = prop::collection::vec(prop::bool::weighted(0.1), n);
        let touch = (0..n, prop::bool::weighted(0.3)).prop_map(|(index, open)| {
            if open {
                Touch::Open(index)
            } else {
                Touch::Wake(index)
            }
        });
        let steps = prop::collection::vec(prop::collection::vec(touch, 0..12), 1..25);
        (fails, steps)
    })
}

proptest! {
    #[test]
    fn try_join_all_cancel_follows_the_model((fails, steps) in script()) {
        check(Policy::TryJoinAll, fails, &steps)?;
    }

    #[test]
    fn select_first_follows_the_model((fails, steps) in script()) {
        check(Policy::SelectFirst, fails, &steps)?;
    }

    #[test]
    fn wait_any_follows_the_model((fails, steps) in script()) {
        check(Policy::WaitAny, fails, &steps)?;
    }
}
