//! The synchronisation primitives the crate uses, swapped for loom's under `--cfg loom` so the
//! loom models (`tests/loom_*.rs`) check the real code: the readiness set, the supervised task
//! behind a `TaskHandle`, the spawn tree's liveness count, and a task group's limit, result
//! queue and phase (admission, and the order in which a cancellation stops the tasks).

#[cfg(not(loom))]
pub(crate) use core::sync::atomic::{fence, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
#[cfg(loom)]
pub(crate) use loom::cell::UnsafeCell;
#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicPtr, AtomicU64, AtomicUsize, Ordering};

#[cfg(all(feature = "std", not(loom)))]
pub(crate) use futures_util::task::AtomicWaker;
#[cfg(all(feature = "std", loom))]
pub(crate) use loom::sync::{
    atomic::{AtomicBool, AtomicU8},
    Arc, Mutex, MutexGuard,
};
#[cfg(all(feature = "std", not(loom)))]
pub(crate) use std::sync::{
    atomic::{AtomicBool, AtomicU8},
    Arc, Mutex, MutexGuard,
};

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

/// loom's `AtomicWaker` under the names of futures' one, which the crate uses otherwise.
#[cfg(all(feature = "std", loom))]
#[derive(Debug)]
pub(crate) struct AtomicWaker(loom::future::AtomicWaker);

#[cfg(all(feature = "std", loom))]
impl AtomicWaker {
    pub(crate) fn new() -> Self {
        AtomicWaker(loom::future::AtomicWaker::new())
    }

    pub(crate) fn register(&self, waker: &core::task::Waker) {
        self.0.register_by_ref(waker);
    }

    pub(crate) fn wake(&self) {
        self.0.wake();
    }

    pub(crate) fn take(&self) -> Option<core::task::Waker> {
        self.0.take_waker()
    }
}

/// Called before handing control back to the executor to retry later: under loom, lets the
/// model schedule the thread being waited for instead of exploring an endless retry.
#[inline]
pub(crate) fn before_retry() {
    #[cfg(loom)]
    loom::thread::yield_now();
}
