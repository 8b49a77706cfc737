//! [`GroupErrors`]: every error a group's tasks returned, first one first.

use std::error::Error;
use std::fmt;
use std::vec::{IntoIter, Vec};

/// Every error the tasks of a [`TaskGroup`](super::TaskGroup) returned, in the order they
/// returned them: the one that started the cancellation first, then those returned while the
/// group was cancelling (during the grace period, or by tasks that were finishing as the
/// cancellation reached them). Never empty.
///
/// It is what [`TaskGroup::join_all_errors`](super::TaskGroup::join_all_errors) returns where
/// [`join`](super::TaskGroup::join) would give the first error alone (asyncio's
/// `ExceptionGroup` and trio's `MultiError` do this job, for one error type `E` here), and it
/// implements [`Error`] when `E` does, with the first error as its [`source`](Error::source).
///
/// # Examples
///
/// ```
/// # #[cfg(feature = "tokio")]
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use cancel_cascade::rt::tokio::Tokio;
/// use cancel_cascade::TaskGroup;
/// use std::time::Duration;
///
/// let mut group = TaskGroup::new(Tokio).with_grace_period(Duration::from_secs(5));
/// let token = group.token();
/// group.spawn(async move {
///     token.cancelled().await;
///     Err::<(), _>("rollback failed") // during the grace period
/// });
/// group.spawn(async { Err::<(), _>("disk full") });
/// let errors = group.join_all_errors().await.unwrap_err();
/// assert_eq!(errors.first(), &"disk full");
/// assert_eq!(errors.into_vec(), ["disk full", "rollback failed"]);
/// # });
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct GroupErrors<E> {
    errors: Vec<E>,
}

impl<E> GroupErrors<E> {
    /// `errors` must not be empty.
    pub(super) fn new(errors: Vec<E>) -> Self {
        debug_assert!(!errors.is_empty());
        GroupErrors { errors }
    }

    /// The first error: the one that made the group cancel its tasks (what `join` returns).
    pub fn first(&self) -> &E {
        &self.errors[0]
    }

    /// How many errors there are (at least one).
    pub fn len(&self) -> usize {
        self.errors.len()
    }

    /// Always `false`: there is at least one error. (For the `len`/`is_empty` pair.)
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// The errors, first one first.
    pub fn iter(&self) -> std::slice::Iter<'_, E> {
        self.errors.iter()
    }

    /// The errors, first one first.
    pub fn into_vec(self) -> Vec<E> {
        self.errors
    }

    /// The first error, the others dropped.
    pub fn into_first(self) -> E {
        self.errors
            .into_iter()
            .next()
            .expect("`GroupErrors` holds at least one error")
    }
}

impl<E: fmt::Debug> fmt::Debug for GroupErrors<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.errors).finish()
    }
}

impl<E: fmt::Display> fmt::Display for GroupErrors<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.errors.len() {
            1 => write!(f, "a task of the group failed: {}", self.errors[0]),
            n => {
                write!(f, "{n} tasks of the group failed: ")?;
                for (i, error) in self.errors.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{error}")?;
                }
                Ok(())
            }
        }
    }
}

impl<E: Error + 'static> Error for GroupErrors<E> {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(self.first())
    }
}

impl<E> IntoIterator for GroupErrors<E> {
    type Item = E;
    type IntoIter = IntoIter<E>;

    fn into_iter(self) -> IntoIter<E> {
        self.errors.into_iter()
    }
}

impl<'a, E> IntoIterator for &'a GroupErrors<E> {
    type Item = &'a E;
    type IntoIter = std::slice::Iter<'a, E>;

    fn into_iter(self) -> Self::IntoIter {
        self.errors.iter()
    }
}
