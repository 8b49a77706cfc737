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
//! (A set whose slots hold one child after another has 8-byte entries in place of the `u32`s;
//! see below.)
//!
//! The waker handed to child `i` is a hand-written [`RawWaker`] whose data pointer is the address
//! of `slots[i]`, which stores `i`. From it the vtable finds the header again (`slots[i] - i` is
//! the start of the slot array, which sits at a fixed offset after the header), so a waker costs
//! no allocation and a clone costs one atomic increment. A child polled by the combinator gets a
//! *borrowed* waker: building it touches no counter at all.
//!
//! # Slots that hold one child after another
//!
//! A bounded or growing set reuses a slot for the next child once the slot's child completed,
//! so a waker that child left behind (with a timer, say) must not wake the new one. In such a
//! set ([`Readiness::reusable`]) each slot's entry holds, beside its index, a *generation*,
//! which [`Readiness::restart`] advances as the next child starts there, clearing the slot's bit
//! too (the new child is polled at once). A child's waker carries the generation it was made
//! in: its low three bits in the low bits of the data pointer (an entry is 8-byte aligned, so
//! the pointer is the entry's address plus those bits), the next three in the choice among
//! eight vtables. A wake marks the slot only if the entry's generation still matches, so the
//! former child's wakers wake no one, and clones keep `will_wake` between the polls of one child
//! and none other. This costs no allocation and no extra cache line per wake (the entry is read
//! anyway, to find the block). A waker kept across exactly a multiple of 64 turnovers of its
//! slot matches again and may poll the slot's child of that time once more, a spurious wake
//! that every future must tolerate; so may a wake racing with the slot's turnover on another
//! thread (it read the generation just before the restart).
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
//! A set of at most 64 children has one leaf word and no summary: a wake sets its bit alone,
//! and a drain takes the leaf word directly (one read-modify-write fewer on each side).
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

use crate::sync::{fence, AtomicU64, AtomicUsize, Ordering, UnsafeCell};

const WORD_BITS: usize = u64::BITS as usize;

/// The fixed part of the shared allocation. `repr(C)` and 8-byte aligned, so its size is a
/// multiple of 8 and the slot array starts right after it at offset `size_of::<Header>()`,
/// whether its entries are `u32`s or [`Entry`]s.
#[repr(C, align(8))]
struct Header {
    refs: AtomicUsize,
    parent: ParentWaker,
    len: usize,
    summary_words: usize,
    leaf_words: usize,
    words_offset: usize,
    /// Whether the slots hold one child after another: their entries are [`Entry`]s, not
    /// bare `u32` indices.
    reused: bool,
    /// The word of the [`BlockSet`] this block is linked to, if any (one reference to it
    /// owned here), and this block's bit in it.
    linked: Option<(NonNull<BlockWord>, u64)>,
}

const SLOTS_OFFSET: usize = core::mem::size_of::<Header>();

/// A reused slot's entry: its index in the low half (never written again) and its generation
/// in the high half (advanced by [`Readiness::restart`], by the owner only). 8-byte aligned
/// whatever the atomic's own alignment, so that a waker's data pointer has three free low bits.
#[repr(C, align(8))]
struct Entry(AtomicU64);

/// One generation, in an [`Entry`].
const GENERATION: u64 = 1 << 32;
/// The generation bits carried in a waker's data pointer.
const TAG_BITS: u32 = 3;
const TAG_MASK: usize = (1 << TAG_BITS) - 1;
/// The generation bits carried in the choice of vtable: with the pointer's, a waker knows its
/// generation modulo 64.
const VTABLE_BITS: u32 = 3;
const GENERATION_MASK: u64 = (1 << (TAG_BITS + VTABLE_BITS)) - 1;

/// Sizes of the shared allocation for `len` children (with an [`Entry`] per slot if the slots
/// are `reused`, a `u32` otherwise).
struct Shape {
    layout: Layout,
    summary_words: usize,
    leaf_words: usize,
    words_offset: usize,
}

impl Shape {
    fn new(len: usize, reused: bool) -> Self {
        let leaf_words = len.div_ceil(WORD_BITS);
        // One leaf word needs no summary: a drain reads it directly.
        let summary_words = if leaf_words > 1 {
            leaf_words.div_ceil(WORD_BITS)
        } else {
            0
        };
        let too_large = "cancel-cascade: too many children for one combinator";
        let slots = if reused {
            Layout::array::<Entry>(len)
        } else {
            Layout::array::<u32>(len)
        };
        let slots = slots.expect(too_large);
        let words = Layout::array::<AtomicU64>(summary_words + leaf_words).expect(too_large);
        let (layout, slots_offset) = Layout::new::<Header>().extend(slots).expect(too_large);
        debug_assert_eq!(slots_offset, SLOTS_OFFSET);
        let (layout, words_offset) = layout.extend(words).expect(too_large);
        Shape {
            layout: layout.pad_to_align(),
            summary_words,
            leaf_words,
            words_offset,
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
        Self::allocate(len, false, None)
    }

    /// Allocates the ready set for `len` slots that each hold one child after another (see
    /// [`restart`](Self::restart)), every slot marked woken.
    ///
    /// # Panics
    ///
    /// As [`new`](Self::new).
    pub(crate) fn reusable(len: usize) -> Self {
        Self::allocate(len, true, None)
    }

    /// As [`reusable`](Self::reusable), for block `block` of `blocks`: a wake of a child here
    /// also flags the block in `blocks` (the first since the block was last drained), so that
    /// the owner of many blocks drains only those flagged. The new block starts flagged, as
    /// its slots start woken.
    ///
    /// # Panics
    ///
    /// As [`new`](Self::new), and if `block` is 64 or more.
    // Its one user, the scope's growing set, needs `std`.
    #[cfg_attr(not(feature = "std"), allow(dead_code))]
    pub(crate) fn reusable_in(len: usize, blocks: &BlockSet, block: usize) -> Self {
        assert!(
            block < WORD_BITS,
            "cancel-cascade: at most 64 blocks in a set, got block {block}"
        );
        let bit = 1 << block;
        let readiness = Self::allocate(len, true, Some((blocks.word, bit)));
        // Counted once the block exists (an allocation that panics leaves the count as it
        // was); nothing can release the block before this returns.
        // SAFETY: `blocks` keeps its word alive; the reference counted here is the new block's.
        unsafe { blocks.word.as_ref() }
            .refs
            .fetch_add(1, Ordering::Relaxed);
        blocks.put_back(bit);
        readiness
    }

    fn allocate(len: usize, reused: bool, linked: Option<(NonNull<BlockWord>, u64)>) -> Self {
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
        // offset 0, `len` `u32`s (or `Entry`s, if `reused`) at `SLOTS_OFFSET` and the words at
        // `words_offset`, each suitably aligned (computed by `Layout::extend`). Every field is
        // written once here before any reference to it exists.
        unsafe {
            header.as_ptr().write(Header {
                refs: AtomicUsize::new(1),
                parent: ParentWaker::new(),
                len,
                summary_words: shape.summary_words,
                leaf_words: shape.leaf_words,
                words_offset: shape.words_offset,
                reused,
                linked,
            });
            let slots = base.as_ptr().add(SLOTS_OFFSET);
            for i in 0..len {
                // `len <= u32::MAX` was checked above.
                if reused {
                    let entry = Entry(AtomicU64::new(i as u64));
                    slots.cast::<Entry>().add(i).write(entry);
                } else {
                    slots.cast::<u32>().add(i).write(i as u32);
                }
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
        // A set of at most 64 children has no summary word: its one leaf word is taken here.
        let leaf_bits = match leaves {
            [leaf] if summary.is_empty() && leaf.load(Ordering::Relaxed) != 0 => {
                leaf.swap(0, Ordering::Acquire)
            }
            _ => 0,
        };
        Woken {
            summary,
            leaves,
            parent: &self.header().parent,
            // SAFETY: the block owns a reference to its word, alive as long as the block.
            linked: self
                .header()
                .linked
                .map(|(word, bit)| (unsafe { &word.as_ref().word }, bit)),
            next_summary: 0,
            summary_bits: 0,
            leaf: 0,
            leaf_bits,
        }
    }

    /// Makes slot `i` ready for its next child: the wakers of its former child wake no one
    /// from now on (its generation advances), and its bit is cleared, since the new child is
    /// polled at once. Only for a set made by [`reusable`](Self::reusable).
    pub(crate) fn restart(&mut self, i: usize) {
        assert!(i < self.header().len, "slot index out of range");
        debug_assert!(self.reused, "only reused slots restart");
        // SAFETY: `i < len`, and the set's slots are entries.
        let entry = unsafe { &*self.slot::<Entry>(i) };
        // The owner is the only writer; wakers only read it. The generation wraps in the
        // high half without touching the index.
        let value = entry.0.load(Ordering::Relaxed);
        entry
            .0
            .store(value.wrapping_add(GENERATION), Ordering::Relaxed);
        // SAFETY: `self` keeps the allocation alive.
        let words = unsafe { words(self.header) };
        let leaf = &words[self.header().summary_words + i / WORD_BITS];
        let bit = 1 << (i % WORD_BITS);
        // Most often clear (the former child's last wake was taken by the drain that polled
        // it to completion): a load is cheaper than a read-modify-write. A wake that sets it
        // after the load is the new child's own, or one racing with the turnover (see the
        // module's docs).
        if leaf.load(Ordering::Relaxed) & bit != 0 {
            leaf.fetch_and(!bit, Ordering::Relaxed);
        }
    }

    /// The waker of child `i`, borrowed for one poll of that child.
    #[inline]
    pub(crate) fn child_waker(&self, i: usize) -> ChildWaker<'_> {
        assert!(i < self.header().len, "child index out of range");
        let raw = if self.reused {
            self.reused_waker(i)
        } else {
            // SAFETY: `i < len` (asserted above), and the set's slots are `u32`s.
            RawWaker::new(unsafe { self.slot::<u32>(i) }.cast::<()>(), &VTABLE)
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
    /// The pointer to slot `i` of the slot array, whose elements are `T` (`u32` indices, or
    /// [`Entry`]s in a reused set), with the whole allocation's provenance.
    ///
    /// # Safety
    ///
    /// `i < len`, and `T` is the slot type the set was made with.
    #[inline]
    unsafe fn slot<T>(&self, i: usize) -> *const T {
        debug_assert!(i < self.header().len);
        // SAFETY: per the contract, the slot lies inside the allocation; derived from
        // `self.header`, the pointer keeps the whole allocation's provenance.
        unsafe {
            self.header
                .as_ptr()
                .cast::<u8>()
                .add(SLOTS_OFFSET)
                .cast::<T>()
                .add(i)
                .cast_const()
        }
    }

    /// The waker of reused slot `i`'s current child: its entry's address, tagged with the
    /// entry's generation.
    #[inline]
    fn reused_waker(&self, i: usize) -> RawWaker {
        // SAFETY: the callers checked `i < len`, and the set is reused.
        let entry = unsafe { self.slot::<Entry>(i) };
        // SAFETY: as above; the owner reads the entry it alone writes.
        let generation = unsafe { &*entry }.0.load(Ordering::Relaxed) >> 32;
        // In bounds of the entry (8 bytes, 8-aligned), and with its provenance.
        let data = entry
            .cast::<u8>()
            .wrapping_add(generation as usize & TAG_MASK)
            .cast::<()>();
        let vtable = &REUSED_VTABLES[(generation >> TAG_BITS) as usize % REUSED_VTABLES.len()];
        RawWaker::new(data, vtable)
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
    /// The word of the block's [`BlockSet`] and the block's bit, if it is linked to one.
    linked: Option<(&'a AtomicU64, u64)>,
    next_summary: usize,
    summary_bits: u64,
    leaf: usize,
    leaf_bits: u64,
}

impl Woken<'_> {
    /// Forgets the children not yet yielded: the combinator has decided its outcome and
    /// drains the set no more.
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
    #[inline]
    fn drop(&mut self) {
        // Most drains end with nothing left: only an unfinished one has bits to put back.
        if self.leaf_bits != 0 || self.summary_bits != 0 {
            self.put_back();
        }
    }
}

impl Woken<'_> {
    /// Puts the children not yet yielded back into the set, and wakes the parent.
    #[cold]
    fn put_back(&mut self) {
        if self.leaf_bits != 0 {
            self.leaves[self.leaf].fetch_or(self.leaf_bits, Ordering::AcqRel);
            // A set with one leaf word has no summary.
            if !self.summary.is_empty() {
                let summary_bit = 1 << (self.leaf % WORD_BITS);
                self.summary[self.leaf / WORD_BITS].fetch_or(summary_bit, Ordering::AcqRel);
            }
        }
        if self.summary_bits != 0 {
            self.summary[self.next_summary - 1].fetch_or(self.summary_bits, Ordering::AcqRel);
        }
        if let Some((word, bit)) = self.linked {
            word.fetch_or(bit, Ordering::AcqRel);
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

/// Which of up to 64 blocks (a growing set's chunks, each a [`Readiness`] made by
/// [`Readiness::reusable_in`]) may have woken children: a wake that sets the first bit of a
/// block's summary word flags the block here, so that a parent poll drains the flagged blocks
/// only, not every block. A flag is cleared only by [`take`](Self::take), whose caller then
/// drains the block (or puts the flag back); so a block with a summary bit set is always
/// flagged, or about to be by the wake that set the bit.
// Its one user, the scope's growing set, needs `std`.
#[cfg_attr(not(feature = "std"), allow(dead_code))]
pub(crate) struct BlockSet {
    word: NonNull<BlockWord>,
}

/// The shared part of a [`BlockSet`]: one reference for the set, one per block linked to it.
struct BlockWord {
    refs: AtomicUsize,
    word: AtomicU64,
}

// SAFETY: the word is only reached through its atomics, and freed once, by its last reference.
unsafe impl Send for BlockSet {}
// SAFETY: as above.
unsafe impl Sync for BlockSet {}

#[cfg_attr(not(feature = "std"), allow(dead_code))]
impl BlockSet {
    /// A set with no block flagged.
    pub(crate) fn new() -> Self {
        let word = Box::new(BlockWord {
            refs: AtomicUsize::new(1),
            word: AtomicU64::new(0),
        });
        BlockSet {
            // SAFETY: `Box::into_raw` never gives a null pointer.
            word: unsafe { NonNull::new_unchecked(Box::into_raw(word)) },
        }
    }

    fn word(&self) -> &AtomicU64 {
        // SAFETY: the set owns a reference, so the word is alive.
        unsafe { &self.word.as_ref().word }
    }

    /// Takes the blocks flagged since the last take (bit `b` for block `b`); the caller drains
    /// each, or puts its flag back.
    #[inline]
    pub(crate) fn take(&self) -> u64 {
        let word = self.word();
        // Most often one block was woken, or none: a load first, as for the summary words.
        if word.load(Ordering::Relaxed) == 0 {
            return 0;
        }
        word.swap(0, Ordering::Acquire)
    }

    /// Flags `blocks` again (taken, and not drained).
    #[inline]
    pub(crate) fn put_back(&self, blocks: u64) {
        if blocks != 0 {
            self.word().fetch_or(blocks, Ordering::AcqRel);
        }
    }
}

impl Drop for BlockSet {
    fn drop(&mut self) {
        // SAFETY: the set owned one reference, given up here, once.
        unsafe { release_block_word(self.word) }
    }
}

/// Gives up one reference to a block set's word; the last one frees it.
///
/// # Safety
///
/// The caller owns one reference to the live word and does not use it again.
unsafe fn release_block_word(word: NonNull<BlockWord>) {
    // SAFETY: the caller's reference keeps the word alive for this access.
    let refs = unsafe { &word.as_ref().refs };
    if refs.fetch_sub(1, Ordering::Release) != 1 {
        return;
    }
    fence(Ordering::Acquire);
    // SAFETY: that was the last reference: nothing else reaches the word, which was made by
    // `Box::into_raw`.
    drop(unsafe { Box::from_raw(word.as_ptr()) });
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

/// The raw slice of a reused set's entries.
///
/// # Safety
///
/// As for [`words`], for the duration of the call, and the set was made by
/// [`Readiness::reusable`].
unsafe fn entries_ptr(header: NonNull<Header>) -> *mut [Entry] {
    // SAFETY: per the contract, the header is alive and the allocation holds `len` entries at
    // `SLOTS_OFFSET`.
    unsafe {
        let shape = header.as_ref();
        debug_assert!(shape.reused, "a set without entries");
        let first = header
            .as_ptr()
            .cast::<u8>()
            .add(SLOTS_OFFSET)
            .cast::<Entry>();
        ptr::slice_from_raw_parts_mut(first, shape.len)
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
        // The first bit of its leaf word: the summary bit (a set of more than 64 children),
        // and then, for the first bit of a summary word (or of the one leaf word of a smaller
        // set), the block's flag if it is linked (the block is to be drained again).
        let first_in_block = summary.is_empty() || {
            let bit = 1 << (leaf % WORD_BITS);
            summary[leaf / WORD_BITS].fetch_or(bit, Ordering::AcqRel) == 0
        };
        if let (true, Some((word, bit))) = (first_in_block, header.linked) {
            // SAFETY: the block owns a reference to its word, and the block is alive.
            unsafe { word.as_ref() }
                .word
                .fetch_or(bit, Ordering::AcqRel);
        }
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
    let (wakers, linked) = unsafe {
        let shape = header.as_ref();
        let wakers = shape.parent.take_all();
        let linked = shape.linked;
        let layout = Shape::new(shape.len, shape.reused).layout;
        ptr::drop_in_place(words_ptr(header));
        if shape.reused {
            ptr::drop_in_place(entries_ptr(header));
        }
        ptr::drop_in_place(header.as_ptr());
        dealloc(header.as_ptr().cast::<u8>(), layout);
        (wakers, linked)
    };
    if let Some((word, _)) = linked {
        // SAFETY: the block owned one reference to its word, given up here, once.
        unsafe { release_block_word(word) };
    }
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
    unsafe { count_clone(header) };
    RawWaker::new(data, &VTABLE)
}

/// Counts one more reference to the allocation, for a waker's clone.
///
/// # Panics
///
/// Past `isize::MAX` references (as `Arc` aborts), leaving the count as it was.
///
/// # Safety
///
/// The allocation at `header` is alive (the waker being cloned keeps it).
#[inline]
unsafe fn count_clone(header: NonNull<Header>) {
    // SAFETY: per the contract.
    let refs = unsafe { &header.as_ref().refs };
    if refs.fetch_add(1, Ordering::Relaxed) > isize::MAX as usize {
        refs.fetch_sub(1, Ordering::Relaxed);
        panic!("cancel-cascade: too many clones of a child's waker");
    }
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

/// The vtables of a reused slot's wakers: the `V`th for the generations whose bits above the
/// pointer's tag are `V` (modulo 8).
static REUSED_VTABLES: [RawWakerVTable; 1 << VTABLE_BITS] = [
    reused_vtable::<0>(),
    reused_vtable::<1>(),
    reused_vtable::<2>(),
    reused_vtable::<3>(),
    reused_vtable::<4>(),
    reused_vtable::<5>(),
    reused_vtable::<6>(),
    reused_vtable::<7>(),
];

const fn reused_vtable<const V: usize>() -> RawWakerVTable {
    RawWakerVTable::new(
        clone_reused::<V>,
        wake_reused::<V>,
        wake_reused_by_ref::<V>,
        drop_reused,
    )
}

// The contract of a reused slot's vtables: the data is an entry's address plus a tag below 8,
// and the waker either owns one reference to the allocation (a clone) or borrows the
// combinator's (the `ManuallyDrop` waker of `child_waker`).

/// Finds the header, the slot index and the generation a reused slot's waker was made in
/// (modulo 64), and whether the slot still holds the child of that generation.
///
/// # Safety
///
/// `data` is the data of a waker made by [`Readiness::child_waker`] for a reused set whose
/// allocation is still alive, with vtable `REUSED_VTABLES[V]`.
#[inline]
unsafe fn entry_of<const V: usize>(data: *const ()) -> (NonNull<Header>, usize, bool) {
    let tag = data as usize & TAG_MASK;
    let entry = data.cast::<u8>().wrapping_sub(tag).cast::<Entry>();
    // SAFETY: per the contract, `entry` is an initialised entry of a live allocation (the tag
    // taken off gives its address back, with the provenance `data` kept), and `entry - index`
    // is the start of the entries, `SLOTS_OFFSET` bytes after the header.
    unsafe {
        let value = (*entry).0.load(Ordering::Relaxed);
        let index = value as u32 as usize;
        let made_in = ((V as u64) << TAG_BITS) | tag as u64;
        let current = (value >> 32) & GENERATION_MASK == made_in;
        let header = entry
            .sub(index)
            .cast::<u8>()
            .sub(SLOTS_OFFSET)
            .cast::<Header>();
        (NonNull::new_unchecked(header.cast_mut()), index, current)
    }
}

unsafe fn clone_reused<const V: usize>(data: *const ()) -> RawWaker {
    // SAFETY: the waker being cloned keeps the allocation alive.
    let (header, _, _) = unsafe { entry_of::<V>(data) };
    // SAFETY: as above.
    unsafe { count_clone(header) };
    RawWaker::new(data, &REUSED_VTABLES[V])
}

unsafe fn wake_reused<const V: usize>(data: *const ()) {
    // Released through a rebuilt `Waker`, even if the parent's waker panics in the wake-up.
    // SAFETY: only owning clones are woken by value; the rebuilt `Waker` takes the reference.
    let owned = unsafe { Waker::from_raw(RawWaker::new(data, &REUSED_VTABLES[V])) };
    owned.wake_by_ref();
}

unsafe fn wake_reused_by_ref<const V: usize>(data: *const ()) {
    // SAFETY: the waker keeps the allocation alive for this call.
    unsafe {
        let (header, index, current) = entry_of::<V>(data);
        // The slot's current child only: the wakers of a former one wake no one.
        if current {
            mark(header, index);
        }
    }
}

unsafe fn drop_reused(data: *const ()) {
    // SAFETY: only owning clones are dropped; this one gives up its reference. The tag is
    // taken off first (the vtable index does not matter to find the header).
    unsafe {
        let (header, _, _) = entry_of::<0>(data);
        release(header);
    }
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
        assert!(lent.will_wake(&kept), "a clone is the lent waker");
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
        assert!(!new.will_wake(&kept), "another child, another waker");
        assert!(readiness.child_waker(1).will_wake(&new));
        assert_eq!(drain(&readiness), [1]);
        new.wake_by_ref();
        assert_eq!(drain(&readiness), [1]);
        drop(readiness);
        new.wake_by_ref();
        kept.wake();
        drop(new);
    }

    #[test]
    fn a_waker_wakes_no_one_for_63_turnovers_of_its_slot() {
        let mut readiness = Readiness::reusable(2);
        drain(&readiness);
        let kept = readiness.child_waker(1).clone();
        let other = readiness.child_waker(0).clone();
        for turnover in 1..64 {
            readiness.restart(1);
            kept.wake_by_ref();
            assert!(drain(&readiness).is_empty(), "turnover {turnover}");
            assert!(!readiness.child_waker(1).will_wake(&kept));
            other.wake_by_ref();
            assert_eq!(drain(&readiness), [0], "the neighbour's own waker");
        }
        // The 64th turnover comes back to the kept waker's generation: one spurious wake.
        readiness.restart(1);
        assert!(readiness.child_waker(1).will_wake(&kept));
        kept.wake();
        assert_eq!(drain(&readiness), [1]);
    }

    #[test]
    fn the_entry_keeps_its_index_through_the_generations() {
        let mut readiness = Readiness::reusable(70);
        drain(&readiness);
        for _ in 0..200 {
            readiness.restart(69);
        }
        let waker = readiness.child_waker(69).clone();
        waker.wake_by_ref();
        assert_eq!(drain(&readiness), [69], "found its block and its slot");
        drop(readiness);
        waker.wake_by_ref();
        drop(waker);
    }

    #[test]
    fn an_unfinished_drain_of_one_leaf_word_puts_the_rest_back() {
        let readiness = Readiness::new(40);
        let mut woken = readiness.woken();
        assert_eq!(woken.next(), Some(0));
        drop(woken);
        assert_eq!(drain(&readiness), (1..40).collect::<Vec<_>>());
        readiness.child_waker(39).wake_by_ref();
        readiness.child_waker(3).wake_by_ref();
        assert_eq!(drain(&readiness), [3, 39]);
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
