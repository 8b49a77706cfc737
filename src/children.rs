//! The engine under every combinator: pinned children in one allocation, polled only when
//! woken, dropped on demand.
//!
//! A combinator is a policy over a [`ChildSet`]: it calls [`ChildSet::poll_woken`] once per
//! parent poll with a closure that decides, for each child that completes, whether to keep its
//! output, and whether the pass goes on; then it either returns `Pending` or ends with
//! [`ChildSet::deliver`], which drops every remaining child in index order before the
//! combinator returns `Ready`.
//!
//! The children live in places ([`Slots`]) pinned in one allocation: a slice of children of
//! one type ([`Children`]), or for the tuple forms a struct with a field per future
//! ([`tuples`]), so that each future takes its own size rather than that of the largest.
//!
//! # Where a decided outcome lives
//!
//! Dropping a child runs foreign code that may panic: the destructor of the child that just
//! completed, of the losers dropped at the end, or of the parent's waker let go of. So a policy
//! never holds its decided outcome in a local of `poll`: the closure given to `poll_woken`
//! writes it into a field of the combinator (`decided: Option<Output>`) *before* the engine
//! drops the child, and `poll` ends with `children.deliver(&mut self.decided)`. If a destructor
//! panics on the way, the panic leaves `poll` with the outcome still in the field; the next
//! poll skips `poll_woken` (the outcome is decided) and calls `deliver` again, which drops what
//! is left and returns the outcome.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;
use core::pin::Pin;
use core::task::{Context, Poll};

use pin_project::pin_project;

use crate::readiness::{pin_slot, Readiness};

/// One child: running, completed with an output kept for later, or gone.
///
/// A policy that never keeps an output names `T` as [`Infallible`](core::convert::Infallible):
/// `Done` is then uninhabited and takes no room, so a slot is no larger than the child whenever
/// the child has a niche (a reference, a `Box`, an `Rc`...), and collecting the slots from a
/// `Vec` of children reuses that `Vec`'s allocation instead of making a new one (the whole race
/// then allocates only the readiness block).
#[pin_project(project = ChildProj, project_replace = ChildOwn)]
pub(crate) enum Child<F, T> {
    Running(#[pin] F),
    Done(T),
    Gone,
}

impl<F, T> Child<F, T> {
    /// Polls the child with `poll` if it is running; `None` if it completed or is gone.
    #[inline]
    pub(crate) fn poll_with<O>(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        poll: impl FnOnce(Pin<&mut F>, &mut Context<'_>) -> Poll<O>,
    ) -> Option<Poll<O>> {
        match self.project() {
            ChildProj::Running(child) => Some(poll(child, cx)),
            _ => None,
        }
    }

    fn is_gone(self: Pin<&mut Self>) -> bool {
        matches!(self.project(), ChildProj::Gone)
    }

    /// Drops the child (which completed) and keeps `value` instead.
    fn keep(mut self: Pin<&mut Self>, value: T) {
        self.set(Child::Done(value));
    }

    /// Drops the child, or what it kept.
    fn clear(mut self: Pin<&mut Self>) {
        self.set(Child::Gone);
    }

    fn take_done(mut self: Pin<&mut Self>) -> Option<T> {
        if !matches!(self.as_mut().project(), ChildProj::Done(_)) {
            return None;
        }
        match self.project_replace(Child::Gone) {
            ChildOwn::Done(value) => Some(value),
            _ => None,
        }
    }
}

/// Where a set keeps its children, each at its own place and pinned there: a slice of
/// children of one type, or a tuple of futures of different types (see [`tuples`]).
#[doc(hidden)]
pub trait Slots {
    /// What a place keeps of its child's output once the child completed.
    type Kept;

    /// How many places there are.
    fn count(&self) -> usize;

    /// Whether place `i` is empty (its child gone, nothing kept).
    fn is_gone(self: Pin<&mut Self>, i: usize) -> bool;

    /// Drops the child of place `i`, which completed, and keeps `kept` there instead.
    fn keep(self: Pin<&mut Self>, i: usize, kept: Self::Kept);

    /// Empties place `i`: drops its child or what it kept.
    fn clear(self: Pin<&mut Self>, i: usize);

    /// Takes what place `i` kept, if anything, and empties it.
    fn take(self: Pin<&mut Self>, i: usize) -> Option<Self::Kept>;
}

/// Children that `P` polls: a slice with the poll function a policy gives (`Future::poll`,
/// `TryFuture::try_poll`), a tuple with the marker of a tuple form (each position's output
/// turned into one type).
#[doc(hidden)]
pub trait PollSlots<P>: Slots {
    /// What a child gives when it completes.
    type Output;

    /// Polls the child of place `i` if it is running; `None` if it completed or is gone.
    fn poll_at(
        self: Pin<&mut Self>,
        i: usize,
        poll: &mut P,
        cx: &mut Context<'_>,
    ) -> Option<Poll<Self::Output>>;
}

impl<F, T> Slots for [Child<F, T>] {
    type Kept = T;

    fn count(&self) -> usize {
        self.len()
    }

    fn is_gone(self: Pin<&mut Self>, i: usize) -> bool {
        pin_slot(self, i).is_gone()
    }

    fn keep(self: Pin<&mut Self>, i: usize, kept: T) {
        pin_slot(self, i).keep(kept);
    }

    fn clear(self: Pin<&mut Self>, i: usize) {
        pin_slot(self, i).clear();
    }

    fn take(self: Pin<&mut Self>, i: usize) -> Option<T> {
        pin_slot(self, i).take_done()
    }
}

impl<F, T, O, P> PollSlots<P> for [Child<F, T>]
where
    P: FnMut(Pin<&mut F>, &mut Context<'_>) -> Poll<O>,
{
    type Output = O;

    #[inline]
    fn poll_at(
        self: Pin<&mut Self>,
        i: usize,
        poll: &mut P,
        cx: &mut Context<'_>,
    ) -> Option<Poll<O>> {
        pin_slot(self, i).poll_with(cx, poll)
    }
}

#[cfg(feature = "std")]
pub(crate) mod growing;
pub mod tuples;

/// What a policy does with a child's output, and whether the pass goes on.
pub(crate) enum Completion<T> {
    /// Keep the output in the child's place (see [`ChildSet::take_done`]); go on.
    Keep(T),
    /// The policy took the output; go on with the pass.
    Next,
    /// The policy took the output and has decided: poll no other child.
    Stop,
}

/// Pinned children in their places `S`, their wakers and the set of woken ones.
pub(crate) struct ChildSet<S: ?Sized + Slots> {
    /// `None` once the children are dropped.
    slots: Option<Pin<Box<S>>>,
    readiness: Readiness,
    running: usize,
    terminated: bool,
    /// For a set that reuses its slots: which child each slot holds, and which slots are free.
    reused: Option<ReusedSlots>,
}

/// Children of one type `F`, each in a slot that keeps a `T` once it completed.
pub(crate) type Children<F, T> = ChildSet<[Child<F, T>]>;

/// The slots of a bounded set, each holding one child after another.
struct ReusedSlots {
    /// The index of the child in each slot (meaningless while the slot is free).
    index_of: Box<[usize]>,
    /// Free slots, the lowest on top (so the first fill uses them in order).
    free: Vec<usize>,
}

impl<S: Slots> ChildSet<S> {
    /// The children in `slots`, every one running: a tuple of futures, each at its own size.
    pub(crate) fn from_slots(slots: S) -> Self {
        let len = slots.count();
        ChildSet {
            slots: Some(Box::pin(slots)),
            readiness: Readiness::new(len),
            running: len,
            terminated: false,
            reused: None,
        }
    }
}

impl<F, T> Children<F, T> {
    pub(crate) fn new(futures: impl IntoIterator<Item = F>) -> Self {
        let slots: Box<[Child<F, T>]> = futures.into_iter().map(Child::Running).collect();
        let len = slots.len();
        ChildSet {
            slots: Some(Box::into_pin(slots)),
            readiness: Readiness::new(len),
            running: len,
            terminated: false,
            reused: None,
        }
    }

    /// Room for `capacity` children at a time, every slot empty: a set that
    /// [`start`](Self::start) fills (and refills, as children complete) while it runs. The
    /// slots and their wakers are allocated here, once; starting a child allocates nothing.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        let slots: Box<[Child<F, T>]> = (0..capacity).map(|_| Child::Gone).collect();
        ChildSet {
            slots: Some(Box::into_pin(slots)),
            readiness: Readiness::reusable(capacity),
            running: 0,
            terminated: false,
            reused: Some(ReusedSlots {
                index_of: alloc::vec![0; capacity].into_boxed_slice(),
                free: (0..capacity).rev().collect(),
            }),
        }
    }

    /// Whether a set made by [`with_capacity`](Self::with_capacity) has a free slot.
    pub(crate) fn has_room(&self) -> bool {
        self.reused
            .as_ref()
            .is_some_and(|reused| !reused.free.is_empty())
    }

    /// Puts `future`, the child `index` (its place in the order the set promises: outputs of
    /// one pass, drops), in a free slot and polls it once, at once, with that slot's waker; if
    /// it completes, hands the output to `on_ready` (before the child is dropped, so that a
    /// panicking destructor cannot lose it) and frees the slot again. Returns whether it
    /// completed. The wakers of the slot's former child wake no one from now on.
    ///
    /// # Panics
    ///
    /// If no slot is free (see [`has_room`](Self::has_room)), or after the combinator
    /// finished; a child's panic passes through (the child stays in its slot, to be dropped
    /// with the combinator).
    pub(crate) fn start<O>(
        &mut self,
        index: usize,
        future: F,
        poll_child: impl FnOnce(Pin<&mut F>, &mut Context<'_>) -> Poll<O>,
        on_ready: impl FnOnce(O),
    ) -> bool {
        assert!(
            !self.terminated,
            "a child started after the combinator finished"
        );
        let reused = self
            .reused
            .as_mut()
            .expect("a child started in a set without room for more");
        let slot = reused
            .free
            .pop()
            .expect("a child started in a set without a free slot");
        reused.index_of[slot] = index;
        self.readiness.restart(slot);
        let slots = self
            .slots
            .as_mut()
            .expect("the children are in place until finished");
        let mut place = pin_slot(slots.as_mut(), slot);
        place.set(Child::Running(future));
        self.running += 1;
        let ChildProj::Running(child) = place.as_mut().project() else {
            unreachable!("the child was just put there");
        };
        let waker = self.readiness.child_waker(slot);
        let Poll::Ready(output) = poll_child(child, &mut Context::from_waker(&waker)) else {
            return false;
        };
        self.running -= 1;
        on_ready(output);
        place.set(Child::Gone);
        reused.free.push(slot);
        true
    }
}

impl<S: ?Sized + Slots> ChildSet<S> {
    /// How many children there are, until [`finish`](Self::finish) drops them.
    pub(crate) fn len(&self) -> usize {
        self.slots.as_ref().map_or(0, |slots| slots.count())
    }

    /// How many children have not completed (nor been dropped).
    pub(crate) fn running(&self) -> usize {
        self.running
    }

    /// Whether the combinator returned `Ready` ([`deliver`](Self::deliver) or
    /// [`finish`](Self::finish) completed).
    pub(crate) fn is_terminated(&self) -> bool {
        self.terminated
    }

    /// One parent poll: polls each woken, running child once, in ascending slot order, with
    /// its own waker, and hands each output to `on_ready` with the child's index (its slot,
    /// or for a set of reused slots the index given to [`start`](Self::start)).
    ///
    /// `poll_child` is how a child is polled (`Future::poll` or `TryFuture::try_poll`).
    ///
    /// # Panics
    ///
    /// If called after [`finish`](Self::finish), with a message naming `combinator`; and if a
    /// child panics (the panic passes through; the children stay in place, to be dropped with
    /// the combinator).
    pub(crate) fn poll_woken<P>(
        &mut self,
        cx: &mut Context<'_>,
        combinator: &str,
        mut poll_child: P,
        mut on_ready: impl FnMut(usize, S::Output) -> Completion<S::Kept>,
    ) where
        S: PollSlots<P>,
    {
        assert!(
            !self.terminated,
            "`{combinator}` polled after completion: it already returned `Ready`"
        );
        // A registration left for the next poll has woken the parent already.
        let _ = self.readiness.register(cx.waker());
        let slots = self
            .slots
            .as_mut()
            .expect("the children are in place until finished");
        let mut woken = self.readiness.woken();
        while let Some(at) = woken.next() {
            let waker = self.readiness.child_waker(at);
            let mut child_cx = Context::from_waker(&waker);
            // `None`: a late wake of a child that already completed.
            let Some(Poll::Ready(output)) =
                slots.as_mut().poll_at(at, &mut poll_child, &mut child_cx)
            else {
                continue;
            };
            self.running -= 1;
            let index = self
                .reused
                .as_ref()
                .map_or(at, |reused| reused.index_of[at]);
            let completion = on_ready(index, output);
            let stop = matches!(completion, Completion::Stop);
            match completion {
                Completion::Keep(value) => slots.as_mut().keep(at, value),
                Completion::Next | Completion::Stop => {
                    slots.as_mut().clear(at);
                    if let Some(reused) = &mut self.reused {
                        reused.free.push(at);
                    }
                }
            }
            if stop {
                woken.discard();
                return;
            }
        }
    }

    /// Takes the output kept by child `index`, if it completed and its output was kept.
    pub(crate) fn take_done(&mut self, index: usize) -> Option<S::Kept> {
        let slots = self.slots.as_mut()?;
        if index >= slots.count() {
            return None;
        }
        slots.as_mut().take(index)
    }

    /// Ends the combinator with the outcome in `decided`, if there is one: drops every remaining
    /// child (and kept output) in index order, lets go of the parent's waker, marks the
    /// combinator terminated and returns `Ready` with the outcome; `Pending` if nothing is
    /// decided.
    ///
    /// If a destructor panics on the way (a child's, or the parent waker's), the panic passes
    /// through with the outcome still in `decided` and the combinator not terminated: the
    /// children after the panicking one are still dropped (a second panic aborts, as with any
    /// slice), none is dropped twice, and the next call finishes the job and returns the
    /// outcome.
    pub(crate) fn deliver<O>(&mut self, decided: &mut Option<O>) -> Poll<O> {
        if decided.is_none() {
            return Poll::Pending;
        }
        self.drop_children();
        self.readiness.forget_parent();
        self.terminated = true;
        decided.take().map_or(Poll::Pending, Poll::Ready)
    }

    /// Drops every remaining child (and kept output) in index order, frees the slots, and marks
    /// the combinator terminated. Late wakes of the children's wakers stay harmless.
    ///
    /// For a policy that has nothing left to deliver; one that returns an outcome uses
    /// [`deliver`](Self::deliver), which keeps it safe from a panicking destructor.
    pub(crate) fn finish(&mut self) {
        self.terminated = true;
        self.drop_children();
        self.readiness.forget_parent();
    }

    /// Drops the places, each child once, in index order: the places are taken out of the set
    /// before the first destructor runs, so a panicking one leaves nothing to drop twice, and
    /// the children after it are still dropped (the drop of a slice, or of a tuple's fields,
    /// goes on after a panic).
    fn drop_children(&mut self) {
        self.running = 0;
        let Some(mut slots) = self.slots.take() else {
            return;
        };
        if let Some(reused) = &self.reused {
            // Slots are refilled in any order: drop their children in the order of their
            // indices first (the rest of the slots are empty).
            let mut by_index: Vec<(usize, usize)> = (0..slots.count())
                .filter(|&at| !slots.as_mut().is_gone(at))
                .map(|at| (reused.index_of[at], at))
                .collect();
            by_index.sort_unstable();
            let mut rest = DropInTurn {
                slots: slots.as_mut(),
                order: by_index.into_iter(),
            };
            rest.drop_all();
        }
        drop(slots);
    }

    pub(crate) fn debug(&self, f: &mut fmt::Formatter<'_>, name: &str) -> fmt::Result {
        f.debug_struct(name)
            .field("running", &self.running)
            .field("terminated", &self.terminated)
            .finish_non_exhaustive()
    }
}

/// Drops the child of each slot in `order`; if a destructor panics, the unwinding drops the
/// rest (a second panic aborts, as for any slice).
struct DropInTurn<'a, S: ?Sized + Slots> {
    slots: Pin<&'a mut S>,
    order: alloc::vec::IntoIter<(usize, usize)>,
}

impl<S: ?Sized + Slots> DropInTurn<'_, S> {
    fn drop_all(&mut self) {
        for (_, at) in self.order.by_ref() {
            self.slots.as_mut().clear(at);
        }
    }
}

impl<S: ?Sized + Slots> Drop for DropInTurn<'_, S> {
    fn drop(&mut self) {
        self.drop_all();
    }
}

impl<S: ?Sized + Slots> Drop for ChildSet<S> {
    fn drop(&mut self) {
        self.drop_children();
    }
}

/// The intake of a bounded set: pulls futures from an iterator one at a time, as the set has
/// room for them, and numbers them in the order pulled.
pub(crate) struct Intake<I> {
    /// `None` once exhausted or stopped: no future is created after that.
    inputs: Option<I>,
    pulled: usize,
}

impl<I: Iterator> Intake<I> {
    /// An intake over `inputs` with at most `limit` in flight, and the slot count its set
    /// needs (fewer than `limit` if the iterator says it holds fewer).
    pub(crate) fn new(inputs: I, limit: usize) -> (Self, usize) {
        // At least one slot, so that even an empty input is pulled from (and seen to end).
        let capacity = match inputs.size_hint() {
            (_, Some(upper)) => upper.min(limit).max(1),
            (_, None) => limit,
        };
        let intake = Intake {
            inputs: Some(inputs),
            pulled: 0,
        };
        (intake, capacity)
    }

    /// The next input if `room` (the set has a free slot): `(input index, future)`; `None`
    /// without room or once the inputs are exhausted (the iterator is then dropped).
    pub(crate) fn pull(&mut self, room: bool) -> Option<(usize, I::Item)> {
        if !room {
            return None;
        }
        let Some(future) = self.inputs.as_mut()?.next() else {
            self.stop();
            return None;
        };
        let input = self.pulled;
        self.pulled += 1;
        Some((input, future))
    }

    /// Drops the iterator: no future is created after this.
    pub(crate) fn stop(&mut self) {
        drop(self.inputs.take());
    }

    /// Whether the iterator is exhausted (or stopped).
    pub(crate) fn is_exhausted(&self) -> bool {
        self.inputs.is_none()
    }

    /// How many futures were pulled so far.
    pub(crate) fn pulled(&self) -> usize {
        self.pulled
    }
}

impl<S: ?Sized + Slots> fmt::Debug for ChildSet<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.debug(f, "Children")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;
    use core::future::{ready, Future, Ready};
    use futures_util::task::noop_waker_ref;

    fn poll_all<F: Future>(children: &mut Children<F, F::Output>) -> Vec<usize> {
        let mut seen = Vec::new();
        let mut cx = Context::from_waker(noop_waker_ref());
        children.poll_woken(&mut cx, "test", F::poll, |index, output| {
            seen.push(index);
            Completion::Keep(output)
        });
        seen
    }

    #[test]
    fn a_slot_that_keeps_nothing_is_no_larger_than_its_child() {
        use core::convert::Infallible;
        use core::mem::size_of;
        type Child2 = alloc::rc::Rc<u8>;
        assert_eq!(size_of::<Child<Child2, Infallible>>(), size_of::<Child2>());
        assert_eq!(
            size_of::<Child<(Child2, usize), Infallible>>(),
            size_of::<(Child2, usize)>()
        );
    }

    #[test]
    fn first_poll_polls_every_child_and_keeps_outputs_in_order() {
        let mut children: Children<Ready<usize>, usize> = Children::new((0..100).map(ready));
        assert_eq!(poll_all(&mut children), (0..100).collect::<Vec<_>>());
        assert_eq!(children.running(), 0);
        let kept: Vec<usize> = (0..100).filter_map(|i| children.take_done(i)).collect();
        assert_eq!(kept, (0..100).collect::<Vec<_>>());
        assert_eq!(children.take_done(0), None, "taken once");
    }
}
