//! What every bench scenario shares: the children, the parent task, the census counters, a
//! seeded generator, and the loop that times a scenario in batches.

mod board;
mod counting;
mod parent;
mod rng;

use std::time::{Duration, Instant};

pub(crate) use board::{Board, Failed, Gate, Gated};
pub(crate) use parent::Parent;
pub(crate) use rng::SplitMix64;

use counting::Counts;

/// One benchmarked case of one implementation at one size.
///
/// A run is `inputs` (neither timed nor counted: the bench builds the children), `start`
/// (counted, not timed), `timed` (counted and timed), then `check` (counted, not timed).
pub(crate) trait Scenario {
    type Prepared;
    type Outcome;

    /// Number of children.
    fn len(&self) -> usize;

    /// How many runs are prepared before one timed batch (one board each).
    fn slots(&self) -> usize;

    /// Fresh children for board `slot`.
    fn inputs(&mut self, slot: usize) -> Vec<Gated>;

    /// Everything that happens before the timed part.
    fn start(&mut self, slot: usize, children: Vec<Gated>) -> Self::Prepared;

    /// The timed part.
    fn timed(&self, prepared: Self::Prepared) -> Self::Outcome;

    /// Asserts the run did what the scenario says, and drops what is left.
    fn check(&self, outcome: Self::Outcome);
}

/// How many runs to prepare per timed batch: enough that the clock's own cost stays negligible
/// for small N, one at a time for large N.
pub(crate) fn batch_for(len: usize) -> usize {
    (2000 / len.max(1)).clamp(1, 64)
}

/// What one counted run did, by phase.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Census {
    pub(crate) setup: Counts,
    pub(crate) timed: Counts,
    pub(crate) after: Counts,
}

/// An implementation entered in a group: a name for the report and a scenario.
pub(crate) trait Contender {
    fn name(&self) -> &'static str;

    /// Total time of the timed parts of `iters` runs (for `Bencher::iter_custom`).
    fn measure(&mut self, iters: u64) -> Duration;

    /// One run with the counters on.
    fn census(&mut self) -> Census;
}

pub(crate) struct Entry<S> {
    name: &'static str,
    scenario: S,
}

impl<S: Scenario + 'static> Entry<S> {
    pub(crate) fn boxed(name: &'static str, scenario: S) -> Box<dyn Contender> {
        Box::new(Entry { name, scenario })
    }
}

impl<S: Scenario> Contender for Entry<S> {
    fn name(&self) -> &'static str {
        self.name
    }

    fn measure(&mut self, iters: u64) -> Duration {
        let slots = self.scenario.slots();
        let mut prepared = Vec::with_capacity(slots);
        let mut outcomes = Vec::with_capacity(slots);
        let mut total = Duration::ZERO;
        let mut left = iters;
        while left > 0 {
            let round = slots.min(usize::try_from(left).unwrap_or(usize::MAX));
            for slot in 0..round {
                let children = self.scenario.inputs(slot);
                prepared.push(self.scenario.start(slot, children));
            }
            let begin = Instant::now();
            outcomes.extend(prepared.drain(..).map(|run| self.scenario.timed(run)));
            total += begin.elapsed();
            for outcome in outcomes.drain(..) {
                self.scenario.check(outcome);
            }
            left -= round as u64;
        }
        total
    }

    fn census(&mut self) -> Census {
        let children = self.scenario.inputs(0);
        counting::set_enabled(true);
        let begin = Counts::now();
        let prepared = self.scenario.start(0, children);
        let started = Counts::now();
        let outcome = self.scenario.timed(prepared);
        let timed = Counts::now();
        self.scenario.check(outcome);
        let end = Counts::now();
        counting::set_enabled(false);
        Census {
            setup: started - begin,
            timed: timed - started,
            after: end - timed,
        }
    }
}

/// Prints one census row per implementation, under a header printed by [`census_header`].
pub(crate) fn census_row(group: &str, name: &str, len: usize, census: &Census) {
    let allocations =
        census.setup.allocations + census.timed.allocations + census.after.allocations;
    let child_polls =
        census.setup.child_polls + census.timed.child_polls + census.after.child_polls;
    println!(
        "{group:<11} {name:<37} {len:>6} {allocations:>8} {:>6} {child_polls:>10} {:>6} {:>8.2} {:>7}",
        census.timed.allocations,
        census.timed.child_polls,
        child_polls as f64 / len as f64,
        census.timed.parent_polls,
    );
}

pub(crate) fn census_header() {
    println!("Census: one counted run per implementation and N.");
    println!(
        "  allocs: whole run (construction, first poll, timed part, drop), not the bench's input \
         Vec; timed: inside the timed part"
    );
    println!(
        "  child polls: whole run, then inside the timed part; per child; parent polls inside \
         the timed part"
    );
    println!(
        "{:<11} {:<37} {:>6} {:>8} {:>6} {:>10} {:>6} {:>8} {:>7}",
        "group", "implementation", "N", "allocs", "timed", "polls", "timed", "/child", "parents"
    );
}
