//! The census counters: a global allocator that counts allocations, and counters of child and
//! parent polls. Counting is off while criterion measures, so the timed code pays one relaxed
//! load per event; the census turns it on for one run per implementation.

#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::ops::Sub;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

static ENABLED: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static CHILD_POLLS: AtomicU64 = AtomicU64::new(0);
static PARENT_POLLS: AtomicU64 = AtomicU64::new(0);

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

/// `System`, plus a count of every allocation (`alloc`, `alloc_zeroed` and `realloc` alike).
struct CountingAllocator;

// SAFETY: every method passes its arguments unchanged to `System`, so the allocator keeps
// `System`'s guarantees; counting touches only atomics and never allocates.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(&ALLOCATIONS);
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which `System` shares.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(&ALLOCATIONS);
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(&ALLOCATIONS);
        // SAFETY: `ptr` came from this allocator, hence from `System`, with `layout`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator, hence from `System`, with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;
