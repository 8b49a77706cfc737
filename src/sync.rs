//! The synchronisation primitives the engine uses, swapped for loom's under `--cfg loom` so the
//! loom models (`tests/loom_*.rs`) check the real readiness code.

#[cfg(not(loom))]
pub(crate) use core::sync::atomic::{fence, AtomicU64, AtomicUsize, Ordering};
#[cfg(not(loom))]
pub(crate) use futures_util::task::AtomicWaker;
#[cfg(loom)]
pub(crate) use loom::future::AtomicWaker;
#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicU64, AtomicUsize, Ordering};

use core::task::Waker;

/// Makes `waker` the one that `cell.wake()` wakes next.
pub(crate) fn register(cell: &AtomicWaker, waker: &Waker) {
    #[cfg(not(loom))]
    cell.register(waker);
    #[cfg(loom)]
    cell.register_by_ref(waker);
}
