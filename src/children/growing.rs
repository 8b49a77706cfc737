//! The engine of a set that grows while it runs: children added one at a time, to any number,
//! for [`scope`](crate::scope).
//!
//! The children live in chunks. A chunk is one allocation of pinned slots plus one readiness
//! block ([`Readiness::reusable`]) for their wakers; when every slot is taken, the set adds a
//! chunk as large as all the others together (the first holds 4 to 64 slots, about 4 KiB),
//! and never moves or frees a chunk until the set ends. So a set that grows to N children at
//! once makes about `2 * log2(N / first)` allocations in all, none per child, and a child never
//! moves once placed. A slot is reused once its child completed; its former child's wakers
//! then wake no one (see `readiness.rs`).
//!
//! Each slot also holds its child's start number, so that the children still running when the
//! set ends are dropped in the order they were started, whichever slots they took.

use alloc::vec::Vec;
use core::convert::Infallible;
use core::fmt;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use pin_project::pin_project;

use super::{Child, ChildProj, Completion};
use crate::readiness::{pin_slot, Readiness};

/// The first chunk's size in bytes, roughly: as many slots as fit (between 4 and 64), so that
/// a scope of small tasks starts with room for many and one of large tasks wastes little.
/// Each later chunk doubles the capacity.
const FIRST_CHUNK_BYTES: usize = 4096;

/// A growable set of children of type `F`, polled only when woken.
pub(crate) struct GrowingChildren<F> {
    chunks: Vec<Chunk<F>>,
    /// Free slots as `(chunk, slot)`; a new chunk pushes its slots highest first, so that they
    /// fill in order.
    free: Vec<(u32, u32)>,
    /// The start number of the next child.
    started: u64,
    running: usize,
    /// The waker every chunk has registered as its parent's: a poll with the same one (the
    /// common case) does not touch the chunks' blocks to register it again.
    registered: Option<Waker>,
}

struct Chunk<F> {
    slots: Pin<alloc::boxed::Box<[Slot<F>]>>,
    readiness: Readiness,
    /// Children running in this chunk: a chunk with none is skipped by a pass (a late wake of
    /// a child that completed there needs no answer).
    running: usize,
}

#[pin_project]
struct Slot<F> {
    /// The start number of the child here (stale while the slot is empty).
    started: u64,
    #[pin]
    child: Child<F, Infallible>,
}

impl<F> GrowingChildren<F> {
    /// An empty set; it allocates at its first child.
    pub(crate) fn new() -> Self {
        GrowingChildren {
            chunks: Vec::new(),
            free: Vec::new(),
            started: 0,
            running: 0,
            registered: None,
        }
    }

    /// How many children have started and neither completed nor been dropped.
    pub(crate) fn running(&self) -> usize {
        self.running
    }

    /// Puts `future` in a free slot (adding a chunk if none is free) and polls it once, at
    /// once, with that slot's waker; if it completes, hands the output to `on_ready` (before
    /// the child is dropped, so that a panicking destructor cannot lose it) and frees the slot.
    /// A chunk added here registers `cx`'s waker as the parent's, as
    /// [`poll_woken`](Self::poll_woken) does for the others.
    ///
    /// # Panics
    ///
    /// A child's panic passes through; the child stays in its slot, to be dropped with the set.
    pub(crate) fn start<O>(
        &mut self,
        cx: &mut Context<'_>,
        future: F,
        poll_child: impl FnOnce(Pin<&mut F>, &mut Context<'_>) -> Poll<O>,
        on_ready: impl FnOnce(O),
    ) {
        let (c, at) = match self.free.pop() {
            Some(free) => free,
            None => self.grow(cx),
        };
        let chunk = &mut self.chunks[c as usize];
        let at = at as usize;
        chunk.readiness.restart(at);
        chunk.running += 1;
        let mut slot = pin_slot(chunk.slots.as_mut(), at).project();
        *slot.started = self.started;
        self.started += 1;
        slot.child.set(Child::Running(future));
        self.running += 1;
        let ChildProj::Running(child) = slot.child.as_mut().project() else {
            unreachable!("the child was just put there");
        };
        let waker = chunk.readiness.child_waker(at);
        let Poll::Ready(output) = poll_child(child, &mut Context::from_waker(&waker)) else {
            return;
        };
        self.running -= 1;
        chunk.running -= 1;
        on_ready(output);
        slot.child.set(Child::Gone);
        self.free.push((c, at as u32));
    }

    /// Adds a chunk as large as the set so far and returns its first slot (the others go to
    /// the free list).
    #[cold]
    fn grow(&mut self, cx: &mut Context<'_>) -> (u32, u32) {
        let capacity: usize = self.chunks.iter().map(|chunk| chunk.slots.len()).sum();
        let first = (FIRST_CHUNK_BYTES / core::mem::size_of::<Slot<F>>().max(1)).clamp(4, 64);
        let len = capacity.max(first);
        let too_many = "cancel-cascade: too many tasks in one scope";
        let c = u32::try_from(self.chunks.len()).expect(too_many);
        let last = u32::try_from(len - 1).expect(too_many);
        let slots: alloc::boxed::Box<[Slot<F>]> = (0..len)
            .map(|_| Slot {
                started: 0,
                child: Child::Gone,
            })
            .collect();
        let mut readiness = Readiness::reusable(len);
        if !readiness.register(cx.waker()) {
            self.registered = None;
        }
        self.chunks.push(Chunk {
            slots: alloc::boxed::Box::into_pin(slots),
            readiness,
            running: 0,
        });
        self.free.reserve(len);
        self.free.extend((1..=last).rev().map(|at| (c, at)));
        (c, 0)
    }

    /// One parent poll: registers `cx`'s waker with every chunk (if it is not the one they
    /// have), then polls each woken, running child once, chunk by chunk in ascending slot
    /// order, with its own waker, and hands each output to `on_ready` (before the child is
    /// dropped). Returns `true` if `on_ready` stopped the pass.
    ///
    /// # Panics
    ///
    /// A child's panic passes through; the children stay in place, to be dropped with the set.
    pub(crate) fn poll_woken<O>(
        &mut self,
        cx: &mut Context<'_>,
        mut poll_child: impl FnMut(Pin<&mut F>, &mut Context<'_>) -> Poll<O>,
        mut on_ready: impl FnMut(O) -> Completion<Infallible>,
    ) -> bool {
        let same = self
            .registered
            .as_ref()
            .is_some_and(|registered| registered.will_wake(cx.waker()));
        if !same {
            // Cloned first: a panicking clone leaves the chunks as they were.
            let waker = cx.waker().clone();
            let mut all = true;
            for chunk in &mut self.chunks {
                all &= chunk.readiness.register(&waker);
            }
            // A chunk that kept its former waker (it woke this one) registers at the next
            // poll.
            self.registered = all.then_some(waker);
        }
        let GrowingChildren {
            chunks,
            free,
            running,
            ..
        } = self;
        for (c, chunk) in chunks.iter_mut().enumerate() {
            if chunk.running == 0 {
                continue;
            }
            let mut woken = chunk.readiness.woken();
            while let Some(at) = woken.next() {
                let waker = chunk.readiness.child_waker(at);
                let mut child_cx = Context::from_waker(&waker);
                let slot = pin_slot(chunk.slots.as_mut(), at).project();
                // `None`: a late wake of a slot whose child completed.
                let Some(Poll::Ready(output)) =
                    slot.child.poll_with(&mut child_cx, &mut poll_child)
                else {
                    continue;
                };
                *running -= 1;
                chunk.running -= 1;
                let completion = on_ready(output);
                pin_slot(chunk.slots.as_mut(), at).project().child.clear();
                // `c` and `at` fit: `grow` checked them.
                free.push((c as u32, at as u32));
                if matches!(completion, Completion::Stop) {
                    woken.discard();
                    return true;
                }
            }
        }
        false
    }

    /// Drops every child still running, in the order they were started, then the chunks.
    /// Each child is dropped once even if a destructor panics: the chunks are taken out of the
    /// set first, and the children after a panicking one are still dropped.
    pub(crate) fn clear(&mut self) {
        self.running = 0;
        self.free = Vec::new();
        let registered = self.registered.take();
        let mut chunks = core::mem::take(&mut self.chunks);
        let mut order: Vec<(u64, u32, u32)> = Vec::new();
        for (c, chunk) in chunks.iter_mut().enumerate() {
            for at in 0..chunk.slots.len() {
                let slot = pin_slot(chunk.slots.as_mut(), at).project();
                if !slot.child.is_gone() {
                    order.push((*slot.started, c as u32, at as u32));
                }
            }
        }
        order.sort_unstable();
        let mut turn = DropInTurn {
            chunks: &mut chunks,
            order: order.into_iter(),
        };
        turn.drop_all();
        drop(turn);
        drop(chunks);
        drop(registered);
    }
}

/// Drops the child of each `(start number, chunk, slot)` in `order`; if a destructor panics,
/// the unwinding drops the rest (a second panic aborts, as for any slice).
struct DropInTurn<'a, F> {
    chunks: &'a mut [Chunk<F>],
    order: alloc::vec::IntoIter<(u64, u32, u32)>,
}

impl<F> DropInTurn<'_, F> {
    fn drop_all(&mut self) {
        for (_, c, at) in self.order.by_ref() {
            let chunk = &mut self.chunks[c as usize];
            pin_slot(chunk.slots.as_mut(), at as usize)
                .project()
                .child
                .clear();
        }
    }
}

impl<F> Drop for DropInTurn<'_, F> {
    fn drop(&mut self) {
        self.drop_all();
    }
}

impl<F> Drop for GrowingChildren<F> {
    fn drop(&mut self) {
        self.clear();
    }
}

impl<F> fmt::Debug for GrowingChildren<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GrowingChildren")
            .field("running", &self.running)
            .field("chunks", &self.chunks.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::future::{pending, ready, Future};
    use futures_util::future::Either;
    use futures_util::task::noop_waker_ref;

    type Test = Either<core::future::Pending<u32>, core::future::Ready<u32>>;

    #[test]
    fn grows_by_doubling_and_reuses_freed_slots() {
        let mut cx = Context::from_waker(noop_waker_ref());
        let mut set: GrowingChildren<Test> = GrowingChildren::new();
        let mut done = Vec::new();
        let first = (FIRST_CHUNK_BYTES / core::mem::size_of::<Slot<Test>>()).clamp(4, 64);
        for i in 0..first * 3 {
            set.start(&mut cx, Either::Left(pending()), Test::poll, |_| ());
            assert_eq!(set.running(), i + 1);
        }
        assert_eq!(
            set.chunks.len(),
            3,
            "first, then as many again, then twice that"
        );
        set.start(&mut cx, Either::Right(ready(7)), Test::poll, |v| {
            done.push(v)
        });
        assert_eq!(
            done,
            [7],
            "a child ready at once gives its output at its start"
        );
        assert_eq!(set.chunks.len(), 3, "its slot was free again at once");
        set.clear();
        assert_eq!(set.running(), 0);
        assert!(set.chunks.is_empty());
    }
}
