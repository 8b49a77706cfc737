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
//! The chunks' blocks are linked to one word of flagged chunks ([`BlockSet`]): the first wake
//! in a chunk since its last drain flags it, so a parent poll drains the chunks flagged, not
//! every chunk (at 10 000 children there are about nine).
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
use crate::readiness::{pin_slot, BlockSet, Readiness};

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
    /// Which chunks have woken children (bit `c` for chunk `c`): a poll drains those only.
    /// Made with the first chunk.
    flagged: Option<BlockSet>,
}

struct Chunk<F> {
    slots: Pin<alloc::boxed::Box<[Slot<F>]>>,
    readiness: Readiness,
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
            flagged: None,
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
        let flagged = self.flagged.get_or_insert_with(BlockSet::new);
        // Flagged at once, its slots all marked woken (none holds a child yet): pushed before
        // anything else can panic, so that a flag never names a chunk that is not there.
        let readiness = Readiness::reusable_in(len, flagged, c as usize);
        self.chunks.push(Chunk {
            slots: alloc::boxed::Box::into_pin(slots),
            readiness,
        });
        let chunk = self.chunks.last_mut().expect("just pushed");
        if !chunk.readiness.register(cx.waker()) {
            self.registered = None;
        }
        self.free.reserve(len);
        self.free.extend((1..=last).rev().map(|at| (c, at)));
        (c, 0)
    }

    /// One parent poll: registers `cx`'s waker with every chunk (if it is not the one they
    /// have), then polls each woken, running child once, in the flagged chunks in ascending
    /// order, each in ascending slot order, with its own waker, and hands each output to
    /// `on_ready` (before the child is dropped). Returns `true` if `on_ready` stopped the pass;
    /// the chunks not reached stay flagged, as when a child's poll panics.
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
            flagged,
            ..
        } = self;
        let Some(flagged) = flagged else {
            return false;
        };
        // The chunks flagged and not drained yet, flagged again if a child's poll panics (and
        // when `on_ready` stops the pass, for a set that would be polled again).
        let mut pending = Unvisited {
            flagged,
            chunks: flagged.take(),
        };
        while pending.chunks != 0 {
            let c = pending.chunks.trailing_zeros() as usize;
            pending.chunks &= pending.chunks - 1;
            let chunk = &mut chunks[c];
            // Drained even with no child running: a flagged chunk left undrained would keep
            // its summary set and never be flagged again.
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
        // A set that grows again starts a new one, with no flag naming a chunk gone.
        let flagged = self.flagged.take();
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
        drop(flagged);
        drop(registered);
    }
}

/// The flagged chunks a pass has not drained yet: flagged again when the pass ends early.
struct Unvisited<'a> {
    flagged: &'a BlockSet,
    chunks: u64,
}

impl Drop for Unvisited<'_> {
    fn drop(&mut self) {
        self.flagged.put_back(self.chunks);
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

    /// A child that waits for ever and hands its waker to the test.
    struct Waits {
        id: usize,
        wakers: std::sync::Arc<std::sync::Mutex<Vec<Option<Waker>>>>,
    }

    impl Future for Waits {
        type Output = usize;

        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
            self.wakers.lock().unwrap()[self.id] = Some(cx.waker().clone());
            Poll::Pending
        }
    }

    /// The children a pass polls, in order.
    fn polled_in_a_pass(set: &mut GrowingChildren<Waits>) -> Vec<usize> {
        let mut polled = Vec::new();
        let poll = |child: Pin<&mut Waits>, cx: &mut Context<'_>| {
            polled.push(child.id);
            child.poll(cx)
        };
        let mut cx = Context::from_waker(noop_waker_ref());
        set.poll_woken(&mut cx, poll, |_| Completion::Next);
        polled
    }

    /// Children in two chunks, one woken in each: a pass that ends early (a child's poll
    /// panics, or `on_ready` stops it) in the first chunk leaves the second flagged, and the
    /// next pass polls its child.
    #[test]
    fn a_pass_cut_short_leaves_the_chunks_it_did_not_reach_flagged() {
        let mut cx = Context::from_waker(noop_waker_ref());
        let first = (FIRST_CHUNK_BYTES / core::mem::size_of::<Slot<Waits>>()).clamp(4, 64);
        let wakers = std::sync::Arc::new(std::sync::Mutex::new(alloc::vec![None; first + 1]));
        let mut set = GrowingChildren::new();
        for id in 0..=first {
            let child = Waits {
                id,
                wakers: wakers.clone(),
            };
            set.start(&mut cx, child, Waits::poll, |_| ());
        }
        assert_eq!(set.chunks.len(), 2);
        let wake = |id: usize| wakers.lock().unwrap()[id].as_ref().unwrap().wake_by_ref();
        // Drains what the chunks' creation flagged.
        set.poll_woken(&mut cx, Waits::poll, |_| Completion::Next);

        wake(0);
        wake(first);
        let panicked = std::panic::catch_unwind(core::panic::AssertUnwindSafe(|| {
            set.poll_woken(
                &mut cx,
                |child: Pin<&mut Waits>, cx: &mut Context<'_>| {
                    assert_ne!(child.id, 0, "child 0's poll panics");
                    child.poll(cx)
                },
                |_| Completion::Next,
            )
        }));
        assert!(panicked.is_err());
        assert_eq!(polled_in_a_pass(&mut set), [first], "the wake was kept");

        // A child of the first chunk completes and stops the pass.
        wake(1);
        wake(first);
        let stopped = set.poll_woken(
            &mut cx,
            |child: Pin<&mut Waits>, _: &mut Context<'_>| Poll::Ready(child.id),
            |_| Completion::Stop,
        );
        assert!(stopped);
        assert_eq!(polled_in_a_pass(&mut set), [first], "the wake was kept");
    }

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
