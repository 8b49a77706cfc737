//! Per-child wakers and the set of woken children: the crate's one `unsafe` module.
//!
//! # What it holds
//!
//! [`Readiness`] is one heap allocation, shared (reference-counted as a whole) by the combinator
//! and by every clone of a child's waker, since a child may keep its waker after the combinator
//! is gone:
//!
//! ```text
//! Header { refs, parent waker, len, ... } | slots: [u32; len] | summary words | leaf words
//! ```
//!
//! The waker handed to child `i` is a hand-written [`RawWaker`] whose data pointer is the address
//! of `slots[i]`, which stores `i`. From it the vtable finds the header again (`slots[i] - i` is
//! the start of the slot array, which sits at a fixed offset after the header), so a waker costs
//! no allocation and a clone costs one atomic increment. A child polled by the combinator gets a
//! *borrowed* waker: building it touches no counter at all.
//!
//! # Slots that hold one child after another
//!
//! A bounded set reuses a slot for the next child once the slot's child completed, so a waker
//! that child left behind (with a timer, say) must not wake the new one. In such a set
//! ([`Readiness::reusable`]) the waker a child is polled with is the slot's until the child
//! clones it: the first clone makes a *ticket*, a small allocation that names the slot and
//! holds a reference to the block, and the slot keeps it as its current ticket; the child's
//! later polls are given the ticket's waker (so `will_wake` holds between them and its clones).
//! A ticket's wake marks the slot only while the ticket is its slot's current one; when the
//! next child starts in the slot, [`Readiness::restart`] retires the ticket and clears the
//! slot's bit, so the old child's wakers wake no one and the new child is polled only when
//! woken. A ticket that no waker holds any more when its slot restarts (the child's wakers
//! were woken by value, or dropped) is kept as the slot's spare and serves the slot's next
//! child, so a bounded set whose children let go of their wakers allocates no ticket after
//! the first round. A child that never clones its waker costs no ticket. (A wake racing with
//! the slot's turnover on another thread may still mark it once: it read the ticket as
//! current.)
//!
//! # The ready set: a two-level atomic bitset
//!
//! Bit `i` of the leaf words says "child `i` was woken since its last poll"; bit `j` of the
//! summary words says "leaf word `j` may be non-zero". A wake sets the child's leaf bit; the wake
//! that turns a leaf word from zero to non-zero also sets its summary bit; then it wakes the
//! parent's latest waker. A wake that finds its bit already set does nothing more: the wake that
//! set it is responsible for the summary bit and the parent wake-up. The parent drains by
//! swapping summary words to zero, then each flagged leaf word, and visits the bits in ascending
//! index order. Just before it yields a child to be polled it clears that child's bit again if
//! a wake set it since the word was taken: that wake is answered by the poll about to happen
//! (a child woken by a sibling earlier in the same pass is polled once, not once more at the
//! next pass), while a wake during or after the poll leaves its bit for the next pass.
//!
//! A drain therefore costs one word per 4096 children plus one swap per woken leaf word:
//! at N = 10 000 that is 3 summary words, so N scattered wakes cost O(N), not the O(N^2 / 64) of
//! a flat bitset scanned on every parent poll. Against an intrusive queue of woken children
//! (futures-util's `FuturesUnordered` design) the bitset needs no per-child links, deduplicates
//! repeated wakes for free, and yields children in index order, which the combinators promise
//! (`wait_any` reports in ascending index order; `try_join_all_cancel` sees errors in index order
//! within a pass). The measurements behind the choice are in the README's benchmark table.
//!
//! All bits start set, so the first parent poll polls every child in index order through the
//! same path as every later poll.
//!
//! # Pinned slots
//!
//! The module also holds the one projection from a pinned slice to a pinned element that the
//! engine needs ([`pin_slot`]); the standard library has no safe way to write it.

#![allow(unsafe_code)]

use alloc::alloc::{alloc, dealloc, handle_alloc_error, Layout};
use core::marker::PhantomData;
use core::mem::ManuallyDrop;
use core::ops::Deref;
use core::pin::Pin;
use core::ptr::{self, NonNull};
use core::task::{RawWaker, RawWakerVTable, Waker};

use alloc::boxed::Box;

use crate::sync::{fence, AtomicPtr, AtomicU64, AtomicUsize, Ordering, UnsafeCell};

const WORD_BITS: usize = u64::BITS as usize;

/// The fixed part of the shared allocation. `repr(C)` with an 8-byte-aligned size, so the slot
/// array starts right after it at offset `size_of::<Header>()`.
#[repr(C)]
struct Header {
    refs: AtomicUsize,
    parent: ParentWaker,
    len: usize,
    summary_words: usize,
    leaf_words: usize,
    words_offset: usize,
    /// Where each slot's current ticket and then each slot's spare ticket live, for a set
    /// of reused slots; 0 for the others.
    tickets_offset: usize,
}

const SLOTS_OFFSET: usize = core::mem::size_of::<Header>();

/// Sizes of the shared allocation for `len` children (with a ticket cell per slot if the
/// slots are `reused`).
struct Shape {
    layout: Layout,
    summary_words: usize,
    leaf_words: usize,
    words_offset: usize,
    tickets_offset: usize,
}

impl Shape {
    fn new(len: usize, reused: bool) -> Self {
        let leaf_words = len.div_ceil(WORD_BITS);
        let summary_words = leaf_words.div_ceil(WORD_BITS);
        let too_large = "cancel-cascade: too many children for one combinator";
        let slots = Layout::array::<u32>(len).expect(too_large);
        let words = Layout::array::<AtomicU64>(summary_words + leaf_words).expect(too_large);
        let (layout, slots_offset) = Layout::new::<Header>().extend(slots).expect(too_large);
        debug_assert_eq!(slots_offset, SLOTS_OFFSET);
        let (layout, words_offset) = layout.extend(words).expect(too_large);
        let (layout, tickets_offset) = if reused {
            let cells = len.checked_mul(2).expect(too_large);
            let tickets = Layout::array::<AtomicPtr<Ticket>>(cells).expect(too_large);
            layout.extend(tickets).expect(too_large)
        } else {
            (layout, 0)
        };
        Shape {
            layout: layout.pad_to_align(),
            summary_words,
            leaf_words,
            words_offset,
            tickets_offset,
        }
    }
}

/// The combinator's handle on the shared allocation: the set of woken children, the parent's
/// latest waker, and the source of each child's waker.
pub(crate) struct Readiness {
    header: NonNull<Header>,
    /// Whether slots hold one child after another (kept here too, for the hot path).
    reused: bool,
}

// SAFETY: everything reachable through `header` is either immutable after construction (`len`,
// the offsets, the slot indices) or synchronised (the atomics and the `AtomicWaker`), so the
// handle may move to and be shared with any thread.
unsafe impl Send for Readiness {}
// SAFETY: as above; no method hands out unsynchronised mutable access.
unsafe impl Sync for Readiness {}

impl Readiness {
    /// Allocates the ready set for `len` children, every child marked woken.
    ///
    /// # Panics
    ///
    /// If `len` exceeds `u32::MAX` (a child's index must fit its slot).
    pub(crate) fn new(len: usize) -> Self {
        Self::allocate(len, false)
    }

    /// Allocates the ready set for `len` slots that each hold one child after another (see
    /// [`restart`](Self::restart)), every slot marked woken.
    ///
    /// # Panics
    ///
    /// As [`new`](Self::new).
    pub(crate) fn reusable(len: usize) -> Self {
        Self::allocate(len, true)
    }

    fn allocate(len: usize, reused: bool) -> Self {
        assert!(
            u32::try_from(len).is_ok(),
            "cancel-cascade: a combinator holds at most u32::MAX children, got {len}"
        );
        let shape = Shape::new(len, reused);
        // SAFETY: the layout has a non-zero size (it contains `Header`).
        let base = unsafe { alloc(shape.layout) };
        let Some(base) = NonNull::new(base) else {
            handle_alloc_error(shape.layout)
        };
        let header = base.cast::<Header>();
        // SAFETY: `base` is a fresh allocation of `shape.layout`, which places a `Header` at
        // offset 0, `len` `u32`s at `SLOTS_OFFSET` and the words at `words_offset`, each
        // suitably aligned (computed by `Layout::extend`). Every field is written once here
        // before any reference to it exists.
        unsafe {
            header.as_ptr().write(Header {
                refs: AtomicUsize::new(1),
                parent: ParentWaker::new(),
                len,
                summary_words: shape.summary_words,
                leaf_words: shape.leaf_words,
                words_offset: shape.words_offset,
                tickets_offset: shape.tickets_offset,
            });
            let slots = base.as_ptr().add(SLOTS_OFFSET).cast::<u32>();
            for i in 0..len {
                // `len <= u32::MAX` was checked above.
                slots.add(i).write(i as u32);
            }
            let words = base.as_ptr().add(shape.words_offset).cast::<AtomicU64>();
            for j in 0..shape.summary_words {
                let leaves_here = (shape.leaf_words - j * WORD_BITS).min(WORD_BITS);
                words.add(j).write(AtomicU64::new(low_bits(leaves_here)));
            }
            for j in 0..shape.leaf_words {
                let children_here = (len - j * WORD_BITS).min(WORD_BITS);
                let word = AtomicU64::new(low_bits(children_here));
                words.add(shape.summary_words + j).write(word);
            }
            if reused {
                let tickets = base.as_ptr().add(shape.tickets_offset);
                let tickets = tickets.cast::<AtomicPtr<Ticket>>();
                for i in 0..2 * len {
                    tickets.add(i).write(AtomicPtr::new(ptr::null_mut()));
                }
            }
        }
        Readiness { header, reused }
    }

    #[inline]
    fn header(&self) -> &Header {
        // SAFETY: `self` owns one reference, so the allocation is alive and initialised.
        unsafe { self.header.as_ref() }
    }

    /// Makes `waker` the one that the next child wake-up wakes. Call it at the start of every
    /// parent poll, before [`woken`](Self::woken). (`&mut`: one registrant at a time.)
    ///
    /// Returns `false` in the rare case where it had to leave the former waker in place
    /// (wakes in flight on two threads): it then woke `waker`, and the next poll must
    /// register again.
    #[inline]
    pub(crate) fn register(&mut self, waker: &Waker) -> bool {
        self.header().parent.register(waker)
    }

    /// Lets go of the parent's waker once the combinator is done: late child wakes then wake
    /// no one.
    pub(crate) fn forget_parent(&mut self) {
        self.header().parent.close();
    }

    /// Takes the set of children woken since the last drain, in ascending index order.
    #[inline]
    pub(crate) fn woken(&self) -> Woken<'_> {
        // SAFETY: `self` keeps the allocation alive while the `Woken` borrows it, and
        // `self.header` carries the provenance of the whole allocation.
        let words = unsafe { words(self.header) };
        let (summary, leaves) = words.split_at(self.header().summary_words);
        Woken {
            summary,
            leaves,
            parent: &self.header().parent,
            next_summary: 0,
            summary_bits: 0,
            leaf: 0,
            leaf_bits: 0,
        }
    }

    /// Makes slot `i` ready for its next child: the wakers of its former child (its ticket)
    /// wake no one from now on, and its bit is cleared, since the new child is polled at
    /// once. Only for a set made by [`reusable`](Self::reusable).
    pub(crate) fn restart(&mut self, i: usize) {
        assert!(i < self.header().len, "slot index out of range");
        debug_assert!(self.reused, "only reused slots restart");
        // SAFETY: `self` keeps the allocation alive, and the set has ticket cells.
        let (current, spares) = unsafe { tickets(self.header) };
        let ticket = current[i].swap(ptr::null_mut(), Ordering::AcqRel);
        if let Some(ticket) = NonNull::new(ticket) {
            // SAFETY: the cell owned one reference to the ticket, which is alive.
            let refs = unsafe { &ticket.as_ref().refs };
            // The cell's reference alone: no waker holds the ticket, and none can be made
            // from it (a clone needs a waker), so it may serve the next child. The `Acquire`
            // follows the release of the last waker that held it.
            if refs.load(Ordering::Acquire) == 1 && spares[i].load(Ordering::Relaxed).is_null() {
                spares[i].store(ticket.as_ptr(), Ordering::Release);
            } else {
                // SAFETY: the cell owned one reference to its ticket, given up here, once.
                unsafe { release_ticket(ticket) };
            }
        }
        // SAFETY: as above.
        let words = unsafe { words(self.header) };
        let leaf = &words[self.header().summary_words + i / WORD_BITS];
        leaf.fetch_and(!(1 << (i % WORD_BITS)), Ordering::Relaxed);
    }

    /// The waker of child `i`, borrowed for one poll of that child.
    #[inline]
    pub(crate) fn child_waker(&self, i: usize) -> ChildWaker<'_> {
        assert!(i < self.header().len, "child index out of range");
        let raw = if self.reused {
            self.reused_waker(i)
        } else {
            RawWaker::new(self.slot(i).cast::<()>(), &VTABLE)
        };
        ChildWaker {
            // SAFETY: `raw` follows the `VTABLE` contract (see the vtable functions). It is
            // wrapped in `ManuallyDrop` because it borrows `self`'s reference instead of
            // owning one: dropping it must not release a reference.
            waker: ManuallyDrop::new(unsafe { Waker::from_raw(raw) }),
            _readiness: PhantomData,
        }
    }
}

impl Readiness {
    /// The pointer to slot `i`'s index, with the whole allocation's provenance.
    #[inline]
    fn slot(&self, i: usize) -> *const u32 {
        debug_assert!(i < self.header().len);
        // SAFETY: `i < len` (checked by the callers), so the slot lies inside the allocation;
        // the pointer keeps the provenance of the whole allocation because it is derived from
        // `self.header`.
        unsafe {
            self.header
                .as_ptr()
                .cast::<u8>()
                .add(SLOTS_OFFSET)
                .cast::<u32>()
                .add(i)
                .cast_const()
        }
    }

    /// The waker a reused slot's child is polled with: its ticket's, once it has one.
    #[inline]
    fn reused_waker(&self, i: usize) -> RawWaker {
        // SAFETY: `self` keeps the allocation alive, and the set has ticket cells.
        let ticket = unsafe { tickets(self.header) }.0[i].load(Ordering::Acquire);
        if ticket.is_null() {
            RawWaker::new(self.slot(i).cast::<()>(), &SLOT_VTABLE)
        } else {
            RawWaker::new(ticket.cast_const().cast::<()>(), &TICKET_VTABLE)
        }
    }
}

impl Drop for Readiness {
    fn drop(&mut self) {
        /// Gives up the combinator's reference even if the parent waker's destructor panics.
        struct Release(NonNull<Header>);
        impl Drop for Release {
            fn drop(&mut self) {
                // SAFETY: the `Readiness` owned one reference and gives it up here, once.
                unsafe { release(self.0) }
            }
        }
        let _release = Release(self.header);
        if self.reused {
            // The cells' references to their tickets go first: a ticket holds a reference to
            // the block, which would otherwise keep it alive for ever.
            // SAFETY: `self` keeps the allocation alive, and the set has ticket cells.
            let (current, spares) = unsafe { tickets(self.header) };
            for cell in current.iter().chain(spares) {
                if let Some(ticket) = NonNull::new(cell.swap(ptr::null_mut(), Ordering::AcqRel)) {
                    // SAFETY: the cell owned one reference to its ticket, given up here, once.
                    unsafe { release_ticket(ticket) };
                }
            }
        }
        // Child wakers kept past the combinator must not keep the parent's waker alive.
        self.header().parent.close();
    }
}

/// A child's waker, borrowed from the [`Readiness`] for one poll.
pub(crate) struct ChildWaker<'a> {
    waker: ManuallyDrop<Waker>,
    _readiness: PhantomData<&'a Readiness>,
}

impl Deref for ChildWaker<'_> {
    type Target = Waker;

    fn deref(&self) -> &Waker {
        &self.waker
    }
}

/// The woken children of one drain, in ascending index order.
///
/// Dropping it before the end (a child's poll panicked) puts the children it did not yield
/// back into the set and wakes the parent, so no wake-up is lost if the combinator is polled
/// again. Call [`discard`](Self::discard) when the rest no longer matters.
pub(crate) struct Woken<'a> {
    summary: &'a [AtomicU64],
    leaves: &'a [AtomicU64],
    parent: &'a ParentWaker,
    next_summary: usize,
    summary_bits: u64,
    leaf: usize,
    leaf_bits: u64,
}

impl Woken<'_> {
    /// Forgets the children not yet yielded (the combinator has decided its outcome).
    pub(crate) fn discard(mut self) {
        self.summary_bits = 0;
        self.leaf_bits = 0;
    }
}

impl Iterator for Woken<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        loop {
            if self.leaf_bits != 0 {
                let bit = self.leaf_bits.trailing_zeros() as usize;
                self.leaf_bits &= self.leaf_bits - 1;
                // The child is about to be polled: a wake of it since its word was taken (from
                // a sibling polled earlier in this pass, or another thread) is answered by
                // that poll, so it is taken too. The `Acquire` makes what the waker published
                // visible to the poll; a wake this load misses is not ordered before the poll,
                // which may then miss what it announces, so its bit stays for the next pass.
                let word = &self.leaves[self.leaf];
                let mask = 1 << bit;
                if word.load(Ordering::Relaxed) & mask != 0 {
                    word.fetch_and(!mask, Ordering::Acquire);
                }
                return Some(self.leaf * WORD_BITS + bit);
            }
            if self.summary_bits != 0 {
                let bit = self.summary_bits.trailing_zeros() as usize;
                self.summary_bits &= self.summary_bits - 1;
                self.leaf = (self.next_summary - 1) * WORD_BITS + bit;
                self.leaf_bits = self.leaves[self.leaf].swap(0, Ordering::Acquire);
                continue;
            }
            let word = self.summary.get(self.next_summary)?;
            self.next_summary += 1;
            // Most summary words are zero when few children were woken: a load is much cheaper
            // than a swap. A bit set right after the load comes with its own parent wake-up.
            if word.load(Ordering::Relaxed) != 0 {
                self.summary_bits = word.swap(0, Ordering::Acquire);
            }
        }
    }
}

impl Drop for Woken<'_> {
    fn drop(&mut self) {
        if self.leaf_bits == 0 && self.summary_bits == 0 {
            return;
        }
        if self.leaf_bits != 0 {
            self.leaves[self.leaf].fetch_or(self.leaf_bits, Ordering::AcqRel);
            let summary_bit = 1 << (self.leaf % WORD_BITS);
            self.summary[self.leaf / WORD_BITS].fetch_or(summary_bit, Ordering::AcqRel);
        }
        if self.summary_bits != 0 {
            self.summary[self.next_summary - 1].fetch_or(self.summary_bits, Ordering::AcqRel);
        }
        self.parent.wake();
    }
}

/// The parent's latest waker, woken *by reference* from any thread.
///
/// futures' `AtomicWaker` takes the waker out on every wake, so each parent poll clones it back
/// in (an `Arc` increment for most executors) and each wake drops it; in the woken-once case that
/// is four extra atomic read-modify-writes per child. Here the waker stays in place: a poll with
/// the same waker (the common case) touches no shared state at all, and a wake costs two
/// read-modify-writes on `state` plus the waker's own `wake_by_ref`.
///
/// # Two slots, so that a registration never waits for a wake
///
/// A waker reads its slot while counted as one of that slot's readers, and calls the
/// executor's `wake_by_ref` in that state; an executor may poll the task right there, inside
/// the call, with a new waker. So the registration must not need the slot being read. `state`
/// holds which slot is current (`CURRENT`), a reader count per slot, `REGISTERING` (the owner is
/// rewriting the current slot) and `CLOSED` (the combinator is gone). The owner registers a new
/// waker:
///
/// * in the current slot, if it has no reader: it sets `REGISTERING` with that count at zero,
///   writes, and clears it. A reader that counts itself in meanwhile reads nothing and wakes no
///   one: it set its child's bit before counting itself in, and the exchange that clears
///   `REGISTERING` reads that count, so the drain of the same poll sees the bit;
/// * else in the other slot, if it has no reader (no reader can enter it: readers only enter
///   the current slot, which only the owner switches), then makes it current. Readers already
///   in the old slot wake the old waker, but their bits were set before the switch reads their
///   counts, so the drain of the same poll sees them;
/// * else (both slots are being read: wakes in flight on two threads during two registrations)
///   it leaves the old waker and wakes the new one, so its task polls again and retries. Both
///   readers are then on their way out: nothing the new poll does can keep them in.
///
/// Closing sets `CLOSED`, after which no reader enters; each slot's waker is dropped by the
/// owner if the slot has no reader at that moment, else by its last reader on the way out, so
/// the parent's waker never outlives the combinator by more than the wakes already in flight.
struct ParentWaker {
    state: AtomicUsize,
    slots: [UnsafeCell<Option<Waker>>; 2],
}

const CURRENT: usize = 1;
const REGISTERING: usize = 2;
const CLOSED: usize = 4;
const COUNT_SHIFT: u32 = 3;
/// Bits per slot's reader count: 30 on 64-bit targets, 14 on 32-bit ones.
const COUNT_BITS: u32 = (usize::BITS - COUNT_SHIFT) / 2;
const COUNT_MAX: usize = (1 << COUNT_BITS) - 1;

/// One reader of `slot`, as added to `state`.
#[inline]
fn reader(slot: usize) -> usize {
    1 << (COUNT_SHIFT + slot as u32 * COUNT_BITS)
}

/// How many readers `slot` has in `state`.
#[inline]
fn readers(state: usize, slot: usize) -> usize {
    (state >> (COUNT_SHIFT + slot as u32 * COUNT_BITS)) & COUNT_MAX
}

impl ParentWaker {
    fn new() -> Self {
        ParentWaker {
            state: AtomicUsize::new(0),
            slots: [UnsafeCell::new(None), UnsafeCell::new(None)],
        }
    }

    /// Stores `new` unless it wakes the same task as the current waker; `false` if it could
    /// not (see [`register_new`](Self::register_new)). Only the owner calls it, never
    /// concurrently with itself or [`close`](Self::close), and never after `close`.
    #[inline]
    fn register(&self, new: &Waker) -> bool {
        let state = self.state.load(Ordering::Acquire);
        debug_assert_eq!(state & CLOSED, 0, "registered after close");
        let same = self.slots[state & CURRENT].with(|slot| {
            // SAFETY: only the owner writes a slot readers may read, and only under
            // `REGISTERING` or before making it current; the owner is here, so the slot is
            // only being read.
            let current = unsafe { &*slot };
            current.as_ref().is_some_and(|waker| waker.will_wake(new))
        });
        same || self.register_new(new, state)
    }

    /// The rest of [`register`](Self::register), for a waker that differs from the current
    /// one (kept out of line: a poll with the same waker is the common case).
    #[inline(never)]
    fn register_new(&self, new: &Waker, mut state: usize) -> bool {
        // Cloned before any state changes: a panicking clone must leave nothing half-done.
        let waker = Some(new.clone());
        loop {
            let current = state & CURRENT;
            if readers(state, current) == 0 {
                if let Err(now) = self.state.compare_exchange(
                    state,
                    state | REGISTERING,
                    Ordering::Acquire,
                    Ordering::Acquire,
                ) {
                    state = now;
                    continue;
                }
                let old = self.slots[current].with_mut(|slot| {
                    // SAFETY: `REGISTERING` is set and the slot had no reader: readers that
                    // come now see the flag and do not read it.
                    unsafe { core::mem::replace(&mut *slot, waker) }
                });
                self.state.fetch_and(!REGISTERING, Ordering::AcqRel);
                drop(old);
                return true;
            }
            let other = current ^ 1;
            if readers(state, other) == 0 {
                let old = self.slots[other].with_mut(|slot| {
                    // SAFETY: the other slot has no reader, and none can enter it until the
                    // switch below (readers enter the current slot only); the `Acquire` that
                    // read the zero count follows its last reader's exit.
                    unsafe { core::mem::replace(&mut *slot, waker) }
                });
                self.state.fetch_xor(CURRENT, Ordering::AcqRel);
                drop(old);
                return true;
            }
            break;
        }
        // Both slots are being read: leave the old waker and come back at the next poll.
        drop(waker);
        crate::sync::before_retry();
        new.wake_by_ref();
        false
    }

    /// Lets go of the wakers, so that wakes after the combinator's end reach no one and keep
    /// no executor state alive. A waker being read at this moment is dropped by its last
    /// reader. Only the owner calls it; calling it again does nothing.
    fn close(&self) {
        let before = self.state.fetch_or(CLOSED, Ordering::AcqRel);
        if before & CLOSED != 0 {
            return;
        }
        let take = |slot: usize| {
            (readers(before, slot) == 0).then(|| {
                self.slots[slot].with_mut(|waker| {
                    // SAFETY: the slot had no reader when `CLOSED` was set, and no reader
                    // enters after that; the owner does not register after closing.
                    unsafe { (*waker).take() }
                })
            })
        };
        // Both taken before either is dropped: a panicking destructor leaves no waker behind.
        let wakers = (take(0), take(1));
        drop(wakers);
    }

    /// Both wakers, taken out when the shared block is freed.
    ///
    /// # Safety
    ///
    /// Nothing else can reach the block any more.
    unsafe fn take_all(&self) -> [Option<Waker>; 2] {
        // SAFETY: per the contract, nobody else accesses the slots.
        [0, 1].map(|slot| self.slots[slot].with_mut(|waker| unsafe { (*waker).take() }))
    }

    /// Wakes the current waker by reference (or leaves it to a registration in progress).
    fn wake(&self) {
        let mut state = self.state.load(Ordering::Relaxed);
        let slot = loop {
            if state & CLOSED != 0 {
                return;
            }
            let slot = state & CURRENT;
            if readers(state, slot) == COUNT_MAX {
                // Some million threads are waking this parent at once: wait for one to leave.
                core::hint::spin_loop();
                state = self.state.load(Ordering::Relaxed);
                continue;
            }
            match self.state.compare_exchange_weak(
                state,
                state + reader(slot),
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => break slot,
                Err(now) => state = now,
            }
        };
        // Counted out even if the waker panics, or that slot could never be rewritten.
        let _reader = Reader { parent: self, slot };
        if state & REGISTERING == 0 {
            self.slots[slot].with(|waker| {
                // SAFETY: the owner writes this slot only under `REGISTERING` (not set when
                // this reader counted itself in, and not settable while it is counted) or
                // while it is not current with no reader; it is neither.
                if let Some(waker) = unsafe { &*waker } {
                    waker.wake_by_ref();
                }
            });
        }
    }
}

/// One reader of a [`ParentWaker`]'s slot, counted out when dropped.
struct Reader<'a> {
    parent: &'a ParentWaker,
    slot: usize,
}

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        let before = self
            .parent
            .state
            .fetch_sub(reader(self.slot), Ordering::AcqRel);
        if before & CLOSED != 0 && readers(before, self.slot) == 1 {
            // The last reader of a slot closed while it was read: the owner left the waker
            // to it.
            let waker = self.parent.slots[self.slot].with_mut(|waker| {
                // SAFETY: no reader enters after `CLOSED`, this was the slot's last one, and
                // the owner skipped the slot because it had readers when it closed.
                unsafe { (*waker).take() }
            });
            drop(waker);
        }
    }
}

/// Projects a pinned slice onto its element `i`.
///
/// # Panics
///
/// If `i` is out of bounds.
#[inline]
pub(crate) fn pin_slot<T>(slots: Pin<&mut [T]>, i: usize) -> Pin<&mut T> {
    // SAFETY: an element of a pinned slice is pinned too: it lives in the slice's memory, which
    // does not move, and nothing here moves it out; the `Pin` returned keeps that promise.
    unsafe { slots.map_unchecked_mut(|slots| &mut slots[i]) }
}

/// A word whose `n` lowest bits are set (`n <= 64`).
fn low_bits(n: usize) -> u64 {
    if n >= WORD_BITS {
        u64::MAX
    } else {
        (1 << n) - 1
    }
}

/// The summary words followed by the leaf words.
///
/// # Safety
///
/// `header` points at a live allocation made by [`Readiness::new`] that stays alive for `'a`.
/// The pointer must carry the provenance of the whole allocation (not come from a `&Header`).
unsafe fn words<'a>(header: NonNull<Header>) -> &'a [AtomicU64] {
    // SAFETY: per the contract, the words are initialised and alive for `'a`.
    unsafe { &*words_ptr(header) }
}

/// The raw slice of [`words`].
///
/// # Safety
///
/// As for [`words`], for the duration of the call.
unsafe fn words_ptr(header: NonNull<Header>) -> *mut [AtomicU64] {
    // SAFETY: the header is alive; the allocation holds `summary_words + leaf_words`
    // `AtomicU64`s at `words_offset`.
    unsafe {
        let shape = header.as_ref();
        let first = header
            .as_ptr()
            .cast::<u8>()
            .add(shape.words_offset)
            .cast::<AtomicU64>();
        ptr::slice_from_raw_parts_mut(first, shape.summary_words + shape.leaf_words)
    }
}

/// The ticket cells of a set made by [`Readiness::reusable`]: each slot's current ticket, and
/// each slot's spare.
///
/// # Safety
///
/// As for [`words`], and the set was made with ticket cells.
#[inline]
unsafe fn tickets<'a>(
    header: NonNull<Header>,
) -> (&'a [AtomicPtr<Ticket>], &'a [AtomicPtr<Ticket>]) {
    // SAFETY: per the contract, the allocation is alive for `'a` and holds `2 * len`
    // initialised cells at `tickets_offset`.
    let cells = unsafe { &*tickets_ptr(header) };
    cells.split_at(cells.len() / 2)
}

/// The raw slice of both halves of [`tickets`].
///
/// # Safety
///
/// As for [`tickets`], for the duration of the call.
#[inline]
unsafe fn tickets_ptr(header: NonNull<Header>) -> *mut [AtomicPtr<Ticket>] {
    // SAFETY: per the contract, the header is alive and the allocation holds `2 * len` cells
    // at `tickets_offset`.
    unsafe {
        let shape = header.as_ref();
        debug_assert_ne!(shape.tickets_offset, 0, "a set without ticket cells");
        let first = header
            .as_ptr()
            .cast::<u8>()
            .add(shape.tickets_offset)
            .cast::<AtomicPtr<Ticket>>();
        ptr::slice_from_raw_parts_mut(first, 2 * shape.len)
    }
}

/// Marks child `index` woken and, if it was not already, wakes the parent.
///
/// # Safety
///
/// As for [`words`], for the duration of the call.
unsafe fn mark(header: NonNull<Header>, index: usize) {
    // SAFETY: forwarded from the caller.
    let (header, words) = unsafe { (header.as_ref(), words(header)) };
    let (summary, leaves) = words.split_at(header.summary_words);
    let leaf = index / WORD_BITS;
    let bit = 1 << (index % WORD_BITS);
    let before = leaves[leaf].fetch_or(bit, Ordering::AcqRel);
    if before & bit != 0 {
        // Already pending: the wake that set the bit also wakes the parent.
        return;
    }
    if before == 0 {
        summary[leaf / WORD_BITS].fetch_or(1 << (leaf % WORD_BITS), Ordering::AcqRel);
    }
    header.parent.wake();
}

/// Gives up one reference; the last one frees the allocation.
///
/// # Safety
///
/// The caller owns one reference to the live allocation at `header` and does not use it again.
unsafe fn release(header: NonNull<Header>) {
    // SAFETY: the caller's reference keeps the header alive for this access.
    let refs = unsafe { &header.as_ref().refs };
    if refs.fetch_sub(1, Ordering::Release) != 1 {
        return;
    }
    // Every other reference was released before ours (their `Release` decrements); make their
    // accesses happen-before the free.
    fence(Ordering::Acquire);
    // SAFETY: no reference is left, so nothing else can reach the allocation; the parent's
    // wakers are taken out first (dropped after the memory is freed, so that a panicking one
    // cannot leak it), the header and the words are dropped once and the memory freed with the
    // layout it was allocated with.
    let wakers = unsafe {
        let shape = header.as_ref();
        let wakers = shape.parent.take_all();
        let layout = Shape::new(shape.len, shape.tickets_offset != 0).layout;
        ptr::drop_in_place(words_ptr(header));
        if shape.tickets_offset != 0 {
            ptr::drop_in_place(tickets_ptr(header));
        }
        ptr::drop_in_place(header.as_ptr());
        dealloc(header.as_ptr().cast::<u8>(), layout);
        wakers
    };
    drop(wakers);
}

/// Finds the header and the child index of a waker's data pointer.
///
/// # Safety
///
/// `data` is the slot pointer of a waker made by [`Readiness::child_waker`] whose allocation is
/// still alive.
unsafe fn slot_of(data: *const ()) -> (NonNull<Header>, usize) {
    let slot = data.cast::<u32>();
    // SAFETY: per the contract, `slot` points at an initialised, never-written-again `u32` in
    // a live allocation, and `slot - index` is the start of the slot array, `SLOTS_OFFSET`
    // bytes after the header; the pointer's provenance covers the whole allocation.
    unsafe {
        let index = slot.read() as usize;
        let header = slot
            .sub(index)
            .cast::<u8>()
            .sub(SLOTS_OFFSET)
            .cast::<Header>();
        (NonNull::new_unchecked(header.cast_mut()), index)
    }
}

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone_waker, wake, wake_by_ref, drop_waker);

// The vtable contract: a `RawWaker` with this vtable has a slot pointer as data and either
// owns one reference to the allocation (a clone) or borrows the combinator's reference (the
// `ManuallyDrop` waker of `child_waker`, which is never dropped or woken by value).

unsafe fn clone_waker(data: *const ()) -> RawWaker {
    // SAFETY: the waker being cloned keeps the allocation alive.
    let (header, _) = unsafe { slot_of(data) };
    // SAFETY: as above.
    let refs = unsafe { &header.as_ref().refs };
    if refs.fetch_add(1, Ordering::Relaxed) > isize::MAX as usize {
        refs.fetch_sub(1, Ordering::Relaxed);
        panic!("cancel-cascade: too many clones of a child's waker");
    }
    RawWaker::new(data, &VTABLE)
}

unsafe fn wake(data: *const ()) {
    // The reference goes back into a `Waker` whose drop releases it, so that it is released
    // even if the parent's waker panics inside the wake-up (it would leak otherwise).
    // SAFETY: this waker owns a reference (only clones are woken by value), which the rebuilt
    // `Waker` takes over.
    let owned = unsafe { Waker::from_raw(RawWaker::new(data, &VTABLE)) };
    owned.wake_by_ref();
}

unsafe fn wake_by_ref(data: *const ()) {
    // SAFETY: the waker keeps the allocation alive for this call, and `slot_of` derives the
    // header pointer from the slot pointer, which has the whole allocation's provenance.
    unsafe {
        let (header, index) = slot_of(data);
        mark(header, index);
    }
}

unsafe fn drop_waker(data: *const ()) {
    // SAFETY: only owning clones are dropped; this one gives up its reference.
    unsafe {
        let (header, _) = slot_of(data);
        release(header);
    }
}

/// The waker identity of one child of a reused slot, made at the first clone of its waker.
struct Ticket {
    /// One for the slot's cell while the ticket is current, one per owning waker.
    refs: AtomicUsize,
    /// The block, kept alive by one reference the ticket owns.
    header: NonNull<Header>,
    slot: usize,
}

/// Gives up one reference to a ticket; the last one frees it and releases its block.
///
/// # Safety
///
/// The caller owns one reference to the live ticket and does not use it again.
unsafe fn release_ticket(ticket: NonNull<Ticket>) {
    // SAFETY: the caller's reference keeps the ticket alive for this access.
    let refs = unsafe { &ticket.as_ref().refs };
    if refs.fetch_sub(1, Ordering::Release) != 1 {
        return;
    }
    fence(Ordering::Acquire);
    // SAFETY: that was the last reference: nothing else reaches the ticket, which was made by
    // `Box::into_raw`; its block reference is given up once.
    unsafe {
        let ticket = Box::from_raw(ticket.as_ptr());
        release(ticket.header);
    }
}

/// The vtable of a reused slot's waker before its child has a ticket. Only ever borrowed (the
/// `ManuallyDrop` waker of `child_waker`, for the poll of the slot's current child): a clone
/// gives a ticket's waker, so this one is never woken by value nor dropped.
static SLOT_VTABLE: RawWakerVTable = RawWakerVTable::new(
    clone_slot_waker,
    wake_by_ref,
    wake_by_ref,
    forget_slot_waker,
);

unsafe fn clone_slot_waker(data: *const ()) -> RawWaker {
    // SAFETY: the borrowed waker being cloned is alive, so the combinator's reference keeps
    // the allocation alive; it was made by a set with ticket cells.
    let (header, slot) = unsafe { slot_of(data) };
    // SAFETY: as above.
    let (current, spares) = unsafe { tickets(header) };
    let cell = &current[slot];
    if let Some(first) = NonNull::new(cell.load(Ordering::Acquire)) {
        // This borrowed waker was cloned before, in the same poll (on this thread or another).
        // SAFETY: the cell's reference keeps the ticket alive: only the owner releases it, and
        // not while it polls the child that this waker is lent to.
        return unsafe { clone_ticket(first.as_ptr().cast_const().cast()) };
    }
    // The cell's reference and the clone's.
    let ticket = match NonNull::new(spares[slot].swap(ptr::null_mut(), Ordering::AcqRel)) {
        Some(spare) => {
            // SAFETY: a spare is alive (its cell owned its one reference, now ours) and no
            // waker holds it, so nothing else reads its count.
            unsafe { spare.as_ref().refs.store(2, Ordering::Relaxed) };
            spare.as_ptr()
        }
        None => {
            // SAFETY: as above; the new ticket's reference to the block is counted here.
            let refs = unsafe { &header.as_ref().refs };
            if refs.fetch_add(1, Ordering::Relaxed) > isize::MAX as usize {
                refs.fetch_sub(1, Ordering::Relaxed);
                panic!("cancel-cascade: too many clones of a child's waker");
            }
            Box::into_raw(Box::new(Ticket {
                refs: AtomicUsize::new(2),
                header,
                slot,
            }))
        }
    };
    match cell.compare_exchange(ptr::null_mut(), ticket, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => RawWaker::new(ticket.cast_const().cast(), &TICKET_VTABLE),
        Err(first) => {
            // SAFETY: the ticket taken here was never shared: both its references are ours,
            // and it goes with its block reference. The winner's is kept alive by its cell, as
            // above.
            unsafe {
                let lost = NonNull::new_unchecked(ticket);
                lost.as_ref().refs.store(1, Ordering::Relaxed);
                release_ticket(lost);
                clone_ticket(first.cast_const().cast())
            }
        }
    }
}

unsafe fn forget_slot_waker(_: *const ()) {
    // Never called: this waker is only borrowed, and its clones are tickets.
}

static TICKET_VTABLE: RawWakerVTable =
    RawWakerVTable::new(clone_ticket, wake_ticket, wake_ticket_by_ref, drop_ticket);

// The ticket vtable's contract: the data is a live ticket, and the waker either owns one
// reference to it (a clone) or borrows the cell's (the `ManuallyDrop` waker of `child_waker`).

unsafe fn clone_ticket(data: *const ()) -> RawWaker {
    // SAFETY: the waker being cloned keeps the ticket alive.
    let refs = unsafe { &(*data.cast::<Ticket>()).refs };
    if refs.fetch_add(1, Ordering::Relaxed) > isize::MAX as usize {
        refs.fetch_sub(1, Ordering::Relaxed);
        panic!("cancel-cascade: too many clones of a child's waker");
    }
    RawWaker::new(data, &TICKET_VTABLE)
}

unsafe fn wake_ticket(data: *const ()) {
    // Released through a rebuilt `Waker`, even if the parent's waker panics in the wake-up.
    // SAFETY: only owning clones are woken by value; the rebuilt `Waker` takes the reference.
    let owned = unsafe { Waker::from_raw(RawWaker::new(data, &TICKET_VTABLE)) };
    owned.wake_by_ref();
}

unsafe fn wake_ticket_by_ref(data: *const ()) {
    let ticket = data.cast::<Ticket>();
    // SAFETY: the waker keeps the ticket alive, and the ticket keeps its block alive; the
    // block has ticket cells, since only such a set makes tickets.
    unsafe {
        let Ticket { header, slot, .. } = *ticket;
        // The slot's current child only: a retired ticket belongs to a child that is gone.
        if tickets(header).0[slot].load(Ordering::Relaxed).cast_const() == ticket {
            mark(header, slot);
        }
    }
}

unsafe fn drop_ticket(data: *const ()) {
    // SAFETY: only owning clones are dropped; this one gives up its reference.
    unsafe { release_ticket(NonNull::new_unchecked(data.cast::<Ticket>().cast_mut())) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn drain(readiness: &Readiness) -> Vec<usize> {
        readiness.woken().collect()
    }

    #[test]
    fn starts_with_every_child_woken_in_order() {
        for len in [0, 1, 63, 64, 65, 4095, 4096, 4097, 10_000] {
            let readiness = Readiness::new(len);
            assert_eq!(drain(&readiness), (0..len).collect::<Vec<_>>(), "len {len}");
            assert!(drain(&readiness).is_empty(), "len {len}");
        }
    }

    #[test]
    fn wakes_are_drained_once_in_index_order() {
        let readiness = Readiness::new(9000);
        drain(&readiness);
        for i in [8999, 5, 4096, 64, 5, 63, 4095] {
            readiness.child_waker(i).wake_by_ref();
        }
        assert_eq!(drain(&readiness), [5, 63, 64, 4095, 4096, 8999]);
        assert!(drain(&readiness).is_empty());
    }

    #[test]
    fn a_clone_outlives_the_readiness() {
        let readiness = Readiness::new(3);
        let waker = readiness.child_waker(2).clone();
        drop(readiness);
        waker.wake_by_ref();
        let second = waker.clone();
        drop(waker);
        second.wake();
    }

    #[test]
    fn a_restarted_slot_ignores_its_former_childs_wakers() {
        let mut readiness = Readiness::reusable(3);
        drain(&readiness);
        let lent = readiness.child_waker(1);
        let kept = lent.clone();
        assert!(!lent.will_wake(&kept), "the first clone makes the ticket");
        let lent = readiness.child_waker(1);
        assert!(lent.will_wake(&kept), "later polls lend the ticket's waker");
        let second = lent.clone();
        kept.wake_by_ref();
        assert_eq!(drain(&readiness), [1]);

        second.wake_by_ref();
        readiness.restart(1);
        assert!(
            drain(&readiness).is_empty(),
            "restart clears the slot's bit"
        );
        kept.wake_by_ref();
        second.wake();
        assert!(
            drain(&readiness).is_empty(),
            "the former child's wakers wake no one"
        );

        readiness.child_waker(1).wake_by_ref();
        let new = readiness.child_waker(1).clone();
        assert!(!new.will_wake(&kept));
        assert_eq!(drain(&readiness), [1]);
        new.wake_by_ref();
        assert_eq!(drain(&readiness), [1]);
        drop(readiness);
        new.wake_by_ref();
        kept.wake();
        drop(new);
    }

    #[test]
    fn a_ticket_no_waker_holds_serves_the_slots_next_child() {
        let mut readiness = Readiness::reusable(2);
        drain(&readiness);
        for _ in 0..3 {
            readiness.restart(0);
            let kept = readiness.child_waker(0).clone();
            let lent = readiness.child_waker(0);
            assert!(lent.will_wake(&kept));
            kept.wake();
            assert_eq!(drain(&readiness), [0]);
        }
        readiness.restart(0);
        let kept = readiness.child_waker(0).clone();
        readiness.restart(0);
        kept.wake_by_ref();
        assert!(drain(&readiness).is_empty(), "a retired spare wakes no one");
        drop(readiness);
        drop(kept);
    }

    #[test]
    fn an_unfinished_drain_puts_the_rest_back() {
        let readiness = Readiness::new(200);
        let mut woken = readiness.woken();
        assert_eq!(woken.next(), Some(0));
        drop(woken);
        assert_eq!(drain(&readiness), (1..200).collect::<Vec<_>>());

        let woken = readiness.woken();
        readiness.child_waker(7).wake_by_ref();
        let mut woken2 = woken;
        assert_eq!(woken2.next(), Some(7));
        woken2.discard();
        assert!(drain(&readiness).is_empty());
    }
}
