//! The synchronisation primitives the crate uses, swapped for loom's under `--cfg loom` so the
//! loom models (`tests/loom_*.rs`) check the real code: the readiness set, the supervised task
//! behind a `TaskHandle`, the spawn tree's liveness count, and a task group's limit, result
//! queue and phase (admission, and the order in which a cancellation stops the tasks).
//!
//! Every atomic, lock and wake of the crate goes through here, so that a census build
//! (`--cfg cancel_cascade_census`, see `census`) can count them; off, the names below are the
//! standard (or loom's) types themselves, and the wake functions are the waker's own calls.
//! Two exceptions: the timer thread's lock (`timer::thread`, which waits on a `Condvar` with
//! it; one per sleep, not per task), and the reference counts of `Arc`s.

#[cfg(all(cancel_cascade_census, not(loom)))]
pub mod census;

#[cfg(all(feature = "std", cancel_cascade_census, not(loom)))]
pub(crate) use census::{AtomicBool, AtomicU32, AtomicU8};
#[cfg(all(cancel_cascade_census, not(loom)))]
pub(crate) use census::{AtomicU64, AtomicUsize};
#[cfg(not(loom))]
pub(crate) use core::sync::atomic::{fence, Ordering};
#[cfg(all(feature = "std", not(any(loom, cancel_cascade_census))))]
pub(crate) use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU8};
#[cfg(not(any(loom, cancel_cascade_census)))]
pub(crate) use core::sync::atomic::{AtomicU64, AtomicUsize};
#[cfg(loom)]
pub(crate) use loom::cell::UnsafeCell;
#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicU64, AtomicUsize, Ordering};
#[cfg(all(feature = "std", loom))]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU32, AtomicU8};

/// An atomic that can be a `static` (loom's cannot): the counted one in a census build, the
/// standard one otherwise, loom included.
#[cfg(all(feature = "std", cancel_cascade_census, not(loom)))]
pub(crate) use census::AtomicU64 as StaticAtomicU64;
#[cfg(all(feature = "std", not(all(cancel_cascade_census, not(loom)))))]
pub(crate) use core::sync::atomic::AtomicU64 as StaticAtomicU64;

#[cfg(all(feature = "std", cancel_cascade_census, not(loom)))]
pub(crate) use census::{AtomicWaker, Mutex};
#[cfg(all(feature = "std", not(any(loom, cancel_cascade_census))))]
pub(crate) use futures_util::task::AtomicWaker;
#[cfg(all(feature = "std", loom))]
pub(crate) use loom::sync::{Arc, Mutex, MutexGuard};
#[cfg(all(feature = "std", not(any(loom, cancel_cascade_census))))]
pub(crate) use std::sync::Mutex;
#[cfg(all(feature = "std", not(loom)))]
pub(crate) use std::sync::{Arc, MutexGuard};

/// A lock for state the loom models leave out (tokio-util's token, its only user): the
/// standard one under loom too, and counted in a census build like [`Mutex`].
#[cfg(all(feature = "tokio-util", cancel_cascade_census, not(loom)))]
pub(crate) use census::Mutex as StdMutex;
#[cfg(all(feature = "tokio-util", not(any(loom, cancel_cascade_census))))]
pub(crate) use std::sync::Mutex as StdMutex;
// The loom models build without that feature.
#[cfg(all(feature = "tokio-util", loom))]
#[allow(unused_imports)]
pub(crate) use std::sync::Mutex as StdMutex;

/// Wakes `waker`: the crate's wakes of a waker it holds go through here, so that a census
/// build counts them.
#[cfg(feature = "std")]
#[inline]
pub(crate) fn wake(waker: core::task::Waker) {
    #[cfg(all(cancel_cascade_census, not(loom)))]
    census::note_wake();
    waker.wake();
}

/// Wakes `waker` by reference; counted as [`wake`] is.
#[inline]
pub(crate) fn wake_by_ref(waker: &core::task::Waker) {
    #[cfg(all(cancel_cascade_census, not(loom)))]
    census::note_wake();
    waker.wake_by_ref();
}

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
