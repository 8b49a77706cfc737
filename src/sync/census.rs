//! The census build (`--cfg cancel_cascade_census`, never on by default): the crate's atomics,
//! locks and atomic wakers under the standard names, each counting what the crate's own code
//! does with it, process-wide, for the bench's census of synchronisations per task.
//!
//! What counts:
//! - an atomic read-modify-write: each `swap`, `compare_exchange`(`_weak`), `fetch_*` and
//!   `fetch_update` on an atomic of the crate, and each `register`, `wake` and `take` on an
//!   `AtomicWaker` (one each, though futures' implementation may take two);
//! - a lock: each `lock` of a `Mutex` of the crate;
//! - a wake: each waker the crate wakes, through [`wake`](super::wake),
//!   [`wake_by_ref`](super::wake_by_ref), or an `AtomicWaker` that held one.
//!
//! Loads, stores and fences do not count, nor do the reference counts of `Arc`s.

use core::ops::Sub;
use core::sync::atomic::{self, Ordering};

static ATOMIC_RMWS: atomic::AtomicU64 = atomic::AtomicU64::new(0);
static LOCKS: atomic::AtomicU64 = atomic::AtomicU64::new(0);
static WAKES: atomic::AtomicU64 = atomic::AtomicU64::new(0);

/// What the crate's code has done since the process started, at one instant; subtract two
/// readings to get what happened in between.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Atomic read-modify-writes.
    pub atomic_rmws: u64,
    /// Lock acquisitions.
    pub locks: u64,
    /// Wakers woken.
    pub wakes: u64,
}

impl Sub for Counts {
    type Output = Counts;

    fn sub(self, earlier: Counts) -> Counts {
        Counts {
            atomic_rmws: self.atomic_rmws - earlier.atomic_rmws,
            locks: self.locks - earlier.locks,
            wakes: self.wakes - earlier.wakes,
        }
    }
}

/// The counts now, on every thread together.
pub fn counts() -> Counts {
    Counts {
        atomic_rmws: ATOMIC_RMWS.load(Ordering::Relaxed),
        locks: LOCKS.load(Ordering::Relaxed),
        wakes: WAKES.load(Ordering::Relaxed),
    }
}

#[inline]
fn note_rmw() {
    ATOMIC_RMWS.fetch_add(1, Ordering::Relaxed);
}

#[cfg(feature = "std")]
#[inline]
fn note_lock() {
    LOCKS.fetch_add(1, Ordering::Relaxed);
}

#[inline]
pub(super) fn note_wake() {
    WAKES.fetch_add(1, Ordering::Relaxed);
}

/// A counted atomic integer: the standard one inside, with the same layout (the readiness set
/// lays out arrays of them by hand), each read-modify-write counted.
macro_rules! counted_atomic_int {
    ($name:ident, $int:ty) => {
        #[derive(Debug, Default)]
        #[repr(transparent)]
        pub(crate) struct $name(atomic::$name);

        // The whole of the standard API the crate may use; a census build uses part of it.
        #[allow(dead_code)]
        impl $name {
            pub(crate) const fn new(value: $int) -> Self {
                $name(atomic::$name::new(value))
            }

            #[inline]
            pub(crate) fn load(&self, order: Ordering) -> $int {
                self.0.load(order)
            }

            #[inline]
            pub(crate) fn store(&self, value: $int, order: Ordering) {
                self.0.store(value, order);
            }

            #[inline]
            pub(crate) fn get_mut(&mut self) -> &mut $int {
                self.0.get_mut()
            }

            #[inline]
            pub(crate) fn into_inner(self) -> $int {
                self.0.into_inner()
            }

            #[inline]
            pub(crate) fn swap(&self, value: $int, order: Ordering) -> $int {
                note_rmw();
                self.0.swap(value, order)
            }

            #[inline]
            pub(crate) fn compare_exchange(
                &self,
                current: $int,
                new: $int,
                success: Ordering,
                failure: Ordering,
            ) -> Result<$int, $int> {
                note_rmw();
                self.0.compare_exchange(current, new, success, failure)
            }

            #[inline]
            pub(crate) fn compare_exchange_weak(
                &self,
                current: $int,
                new: $int,
                success: Ordering,
                failure: Ordering,
            ) -> Result<$int, $int> {
                note_rmw();
                self.0.compare_exchange_weak(current, new, success, failure)
            }

            #[inline]
            pub(crate) fn fetch_update<F>(
                &self,
                set_order: Ordering,
                fetch_order: Ordering,
                f: F,
            ) -> Result<$int, $int>
            where
                F: FnMut($int) -> Option<$int>,
            {
                note_rmw();
                self.0.fetch_update(set_order, fetch_order, f)
            }

            counted_atomic_int!(@fetch $int: fetch_add, fetch_sub, fetch_or, fetch_and,
                fetch_xor, fetch_max, fetch_min);
        }
    };
    (@fetch $int:ty: $($op:ident),+) => {
        $(
            #[inline]
            pub(crate) fn $op(&self, value: $int, order: Ordering) -> $int {
                note_rmw();
                self.0.$op(value, order)
            }
        )+
    };
}

counted_atomic_int!(AtomicU8, u8);
counted_atomic_int!(AtomicU32, u32);
counted_atomic_int!(AtomicUsize, usize);
counted_atomic_int!(AtomicU64, u64);

/// A counted `AtomicBool`.
#[derive(Debug, Default)]
#[repr(transparent)]
pub(crate) struct AtomicBool(atomic::AtomicBool);

#[allow(dead_code)]
impl AtomicBool {
    pub(crate) const fn new(value: bool) -> Self {
        AtomicBool(atomic::AtomicBool::new(value))
    }

    #[inline]
    pub(crate) fn load(&self, order: Ordering) -> bool {
        self.0.load(order)
    }

    #[inline]
    pub(crate) fn store(&self, value: bool, order: Ordering) {
        self.0.store(value, order);
    }

    #[inline]
    pub(crate) fn swap(&self, value: bool, order: Ordering) -> bool {
        note_rmw();
        self.0.swap(value, order)
    }

    #[inline]
    pub(crate) fn compare_exchange(
        &self,
        current: bool,
        new: bool,
        success: Ordering,
        failure: Ordering,
    ) -> Result<bool, bool> {
        note_rmw();
        self.0.compare_exchange(current, new, success, failure)
    }

    #[inline]
    pub(crate) fn fetch_or(&self, value: bool, order: Ordering) -> bool {
        note_rmw();
        self.0.fetch_or(value, order)
    }

    #[inline]
    pub(crate) fn fetch_and(&self, value: bool, order: Ordering) -> bool {
        note_rmw();
        self.0.fetch_and(value, order)
    }
}

/// A counted `std::sync::Mutex`: `lock` hands out the standard guard.
#[cfg(feature = "std")]
#[derive(Debug, Default)]
pub(crate) struct Mutex<T: ?Sized>(std::sync::Mutex<T>);

#[cfg(feature = "std")]
#[allow(dead_code)]
impl<T> Mutex<T> {
    pub(crate) const fn new(value: T) -> Self {
        Mutex(std::sync::Mutex::new(value))
    }

    pub(crate) fn into_inner(self) -> std::sync::LockResult<T> {
        self.0.into_inner()
    }
}

#[cfg(feature = "std")]
#[allow(dead_code)]
impl<T: ?Sized> Mutex<T> {
    #[inline]
    pub(crate) fn lock(&self) -> std::sync::LockResult<std::sync::MutexGuard<'_, T>> {
        note_lock();
        self.0.lock()
    }

    pub(crate) fn get_mut(&mut self) -> std::sync::LockResult<&mut T> {
        self.0.get_mut()
    }
}

/// A counted `AtomicWaker` (futures').
#[cfg(feature = "std")]
#[derive(Debug, Default)]
pub(crate) struct AtomicWaker(futures_util::task::AtomicWaker);

#[cfg(feature = "std")]
#[allow(dead_code)]
impl AtomicWaker {
    pub(crate) fn new() -> Self {
        AtomicWaker(futures_util::task::AtomicWaker::new())
    }

    #[inline]
    pub(crate) fn register(&self, waker: &core::task::Waker) {
        note_rmw();
        self.0.register(waker);
    }

    #[inline]
    pub(crate) fn take(&self) -> Option<core::task::Waker> {
        note_rmw();
        self.0.take()
    }

    /// As futures' `wake`, which is `take` and a wake of what it took.
    #[inline]
    pub(crate) fn wake(&self) {
        if let Some(waker) = self.take() {
            super::wake(waker);
        }
    }
}
