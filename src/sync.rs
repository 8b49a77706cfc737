//! The synchronisation primitives the engine uses, swapped for loom's under `--cfg loom` so the
//! loom models (`tests/loom_*.rs`) check the real readiness code.

#[cfg(not(loom))]
pub(crate) use core::sync::atomic::{fence, AtomicU64, AtomicUsize, Ordering};
#[cfg(loom)]
pub(crate) use loom::cell::UnsafeCell;
#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicU64, AtomicUsize, Ordering};

/// `core::cell::UnsafeCell` with loom's access API, so the same code compiles under both.
#[cfg(not(loom))]
#[derive(Debug)]
pub(crate) struct UnsafeCell<T>(core::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> UnsafeCell<T> {
    pub(crate) const fn new(value: T) -> Self {
        UnsafeCell(core::cell::UnsafeCell::new(value))
    }

    #[inline]
    pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    #[inline]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

/// Called before handing control back to the executor to retry later: under loom, lets the
/// model schedule the thread being waited for instead of exploring an endless retry.
#[inline]
pub(crate) fn before_retry() {
    #[cfg(loom)]
    loom::thread::yield_now();
}
