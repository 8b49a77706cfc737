//! [`TaskId`]: the number that tells one task spawned through this crate from every other.

use core::fmt;
use core::num::NonZeroU64;
use core::sync::atomic::Ordering;

use crate::sync::StaticAtomicU64 as AtomicU64;

/// The id of a task spawned through this crate (a [`TaskHandle`](crate::TaskHandle)'s, a
/// [`TaskGroup`](crate::TaskGroup)'s task, a [`TaskSet`](crate::TaskSet)'s task): unique
/// within the process, given when the task is spawned, and never reused.
///
/// Ids grow in the order the tasks were spawned (a group takes one too, when it is created),
/// but are not dense: read them as names, not as indices. `Display` prints the number alone,
/// as tokio's `task::Id` does; what a [`join`](crate::TaskGroup::join) still waits for is
/// printed with these numbers by [`TaskGroup::waiting_for`](crate::TaskGroup::waiting_for).
///
/// # Examples
///
/// ```
/// # #[cfg(feature = "tokio")]
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use cancel_cascade::rt::tokio::Tokio;
/// use cancel_cascade::TaskSet;
///
/// let mut set = TaskSet::<_, &str, ()>::new(Tokio);
/// let first = set.spawn(async { Ok("first") });
/// let second = set.spawn(async { Ok("second") });
/// assert_ne!(first, second);
/// let mut seen = Vec::new();
/// while let Some((id, output)) = set.join_next_with_id().await {
///     seen.push((id, output.unwrap()));
/// }
/// seen.sort();
/// assert_eq!(seen, [(first, "first"), (second, "second")]);
/// # });
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(NonZeroU64);

impl TaskId {
    /// A new id, never given before in this process.
    pub(crate) fn next() -> TaskId {
        // Relaxed: an id only has to be unique, and `fetch_add` gives each caller its own.
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        // 2^64 spawns would take centuries at a billion a second.
        TaskId(NonZeroU64::new(id).expect("task ids ran out"))
    }
}

impl fmt::Debug for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TaskId({})", self.0)
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}
