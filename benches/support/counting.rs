//! The census counters: a global allocator that counts allocations, the bytes they ask for and
//! what is still allocated (live allocations and bytes, so frees too), and counters of child
//! and parent polls. Counting is off while criterion measures, so the timed code pays one
//! relaxed load per event; the census turns it on for one run per implementation.
//!
//! The live counts only mean something as a difference between two readings taken while
//! counting is on: a block allocated before counting started and freed after takes away from
//! them (they wrap, and [`Memory::since`] subtracts with wrapping arithmetic).

#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::ops::Sub;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

static ENABLED: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static CHILD_POLLS: AtomicU64 = AtomicU64::new(0);
static PARENT_POLLS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);
static LIVE_ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static LIVE_BYTES: AtomicU64 = AtomicU64::new(0);

fn note(counter: &AtomicU64) {
    if ENABLED.load(Relaxed) {
        counter.fetch_add(1, Relaxed);
    }
}

pub(crate) fn note_child_poll() {
    note(&CHILD_POLLS);
}

pub(crate) fn note_parent_poll() {
    note(&PARENT_POLLS);
}

pub(crate) fn set_enabled(enabled: bool) {
    ENABLED.store(enabled, Relaxed);
}

/// The counters at one instant; subtract two to get what happened in between.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Counts {
    pub(crate) allocations: u64,
    pub(crate) child_polls: u64,
    pub(crate) parent_polls: u64,
}

impl Counts {
    pub(crate) fn now() -> Self {
        Counts {
            allocations: ALLOCATIONS.load(Relaxed),
            child_polls: CHILD_POLLS.load(Relaxed),
            parent_polls: PARENT_POLLS.load(Relaxed),
        }
    }
}

impl Sub for Counts {
    type Output = Counts;

    fn sub(self, earlier: Counts) -> Counts {
        Counts {
            allocations: self.allocations - earlier.allocations,
            child_polls: self.child_polls - earlier.child_polls,
            parent_polls: self.parent_polls - earlier.parent_polls,
        }
    }
}

/// What the allocator has handed out, at one instant, for the census of live tasks.
// `combinators.rs` shares this module and reads only `Counts`.
#[allow(dead_code)]
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Memory {
    /// Allocations made (`alloc`, `alloc_zeroed` and `realloc` alike).
    pub(crate) allocations: u64,
    /// Bytes asked for by those allocations (a `realloc`: the new size).
    pub(crate) bytes: u64,
    /// Allocations not freed yet (a `realloc` moves one, it does not add one).
    pub(crate) live_allocations: i64,
    /// Bytes not freed yet.
    pub(crate) live_bytes: i64,
}

#[allow(dead_code)]
impl Memory {
    pub(crate) fn now() -> Self {
        Memory {
            allocations: ALLOCATIONS.load(Relaxed),
            bytes: BYTES.load(Relaxed),
            live_allocations: LIVE_ALLOCATIONS.load(Relaxed) as i64,
            live_bytes: LIVE_BYTES.load(Relaxed) as i64,
        }
    }

    /// What happened between `earlier` and this reading; the live counts may be negative.
    pub(crate) fn since(self, earlier: Memory) -> Memory {
        Memory {
            allocations: self.allocations.wrapping_sub(earlier.allocations),
            bytes: self.bytes.wrapping_sub(earlier.bytes),
            live_allocations: self.live_allocations.wrapping_sub(earlier.live_allocations),
            live_bytes: self.live_bytes.wrapping_sub(earlier.live_bytes),
        }
    }
}

fn note_alloc(size: usize) {
    if ENABLED.load(Relaxed) {
        ALLOCATIONS.fetch_add(1, Relaxed);
        BYTES.fetch_add(size as u64, Relaxed);
        LIVE_ALLOCATIONS.fetch_add(1, Relaxed);
        LIVE_BYTES.fetch_add(size as u64, Relaxed);
    }
}

fn note_realloc(old_size: usize, new_size: usize) {
    if ENABLED.load(Relaxed) {
        ALLOCATIONS.fetch_add(1, Relaxed);
        BYTES.fetch_add(new_size as u64, Relaxed);
        // Wrapping: the live bytes go down when the block shrinks.
        LIVE_BYTES.fetch_add((new_size as u64).wrapping_sub(old_size as u64), Relaxed);
    }
}

fn note_dealloc(size: usize) {
    if ENABLED.load(Relaxed) {
        LIVE_ALLOCATIONS.fetch_sub(1, Relaxed);
        LIVE_BYTES.fetch_sub(size as u64, Relaxed);
    }
}

/// `System`, plus a count of every allocation (`alloc`, `alloc_zeroed` and `realloc` alike), of
/// the bytes they ask for, and of the frees.
struct CountingAllocator;

// SAFETY: every method passes its arguments unchanged to `System`, so the allocator keeps
// `System`'s guarantees; counting touches only atomics and never allocates.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_alloc(layout.size());
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which `System` shares.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_alloc(layout.size());
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_realloc(layout.size(), new_size);
        // SAFETY: `ptr` came from this allocator, hence from `System`, with `layout`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note_dealloc(layout.size());
        // SAFETY: `ptr` came from this allocator, hence from `System`, with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;
