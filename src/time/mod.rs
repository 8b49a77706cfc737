//! Timeouts that follow the runtime: inside a tokio runtime (with the `tokio` feature) the timer
//! is tokio's, so tokio's paused test clock applies to it; anywhere else it is `async-io`'s,
//! driven by its own thread when no `async-io` reactor runs (feature `async-io`), and without
//! that feature a timer thread of the crate's own, started at its first use.
//!
//! The task group's deadlines use the clock and the timer of the group's spawner instead: see
//! [`Spawn::now`] and [`Spawn::sleep_until`].

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use pin_project::pin_project;

use crate::spawn::Spawn;
use crate::timer::Sleep;

/// Runs `future` for at most `duration`; past that, drops it and returns `Err(Elapsed)`.
///
/// The timer is tokio's inside a tokio runtime (feature `tokio`; the runtime needs its timer
/// enabled, as `#[tokio::main]` and `#[tokio::test]` do), elsewhere `async-io`'s (feature
/// `async-io`) or the crate's own timer thread. It is picked when `timeout` is called.
///
/// # Cancellation
///
/// When the time is up, `future` is dropped inside the `poll` that sees it, before that `poll`
/// returns `Err(Elapsed)`. Dropping the `Timeout` drops `future` too. A future that completes
/// in the same poll as the deadline passes wins: its output is returned.
///
/// # Examples
///
/// ```
/// use cancel_cascade::time::{timeout, Elapsed};
/// use std::future::pending;
/// use std::time::Duration;
///
/// # futures::executor::block_on(async {
/// let quick = timeout(Duration::from_secs(5), async { 7 }).await;
/// assert_eq!(quick, Ok(7));
/// let stuck = timeout(Duration::from_millis(10), pending::<()>()).await;
/// assert_eq!(stuck, Err(Elapsed));
/// # });
/// ```
///
/// # Panics
///
/// Polling the returned future again after it returned `Ready` panics, and so does calling
/// `timeout` inside a tokio runtime whose timer is not enabled.
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    Timeout {
        race: Race::new(future, Sleep::after(duration)),
    }
}

/// Runs `future` until `deadline` at most; past that, drops it and returns `Err(Elapsed)`.
///
/// The deadline form of [`timeout`], for several steps that share one deadline. On tokio's
/// timer, the time left until `deadline` when `timeout_at` is called is measured on tokio's
/// clock from then on (so a paused clock applies to it).
///
/// # Cancellation
///
/// As for [`timeout`]: `future` is dropped in the `poll` that sees the deadline pass, before
/// `Err(Elapsed)` is returned, or when the `Timeout` is dropped.
///
/// # Examples
///
/// ```
/// use cancel_cascade::time::timeout_at;
/// use std::time::{Duration, Instant};
///
/// # futures::executor::block_on(async {
/// let deadline = Instant::now() + Duration::from_secs(5);
/// let first = timeout_at(deadline, async { 1 }).await;
/// let second = timeout_at(deadline, async { 2 }).await;
/// assert_eq!((first, second), (Ok(1), Ok(2)));
/// # });
/// ```
///
/// # Panics
///
/// As for [`timeout`].
pub fn timeout_at<F: Future>(deadline: Instant, future: F) -> Timeout<F> {
    Timeout {
        race: Race::new(future, Sleep::until(deadline)),
    }
}

/// [`timeout_at`] on the timer of `spawner` (see [`Spawn::sleep_until`]), `deadline` being on
/// that spawner's clock ([`Spawn::now`]): what the crate's own deadlines (a task group's
/// deadline and grace period) use, so that they follow the group's runtime.
///
/// The result borrows `spawner` only because the timer's type may name its lifetime; the timer
/// itself is `'static`.
pub(crate) fn timeout_at_on<'a, S, F>(
    spawner: &'a S,
    deadline: Instant,
    future: F,
) -> impl Future<Output = Result<F::Output, Elapsed>> + 'a
where
    S: Spawn,
    F: Future + 'a,
{
    Race::new(future, spawner.sleep_until(deadline))
}

/// The error of a [`timeout`] whose time ran out; the future it ran has been dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Elapsed;

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed; the future was dropped")
    }
}

impl Error for Elapsed {}

/// Future of [`timeout`] and [`timeout_at`].
#[must_use = "futures do nothing unless polled; dropping this one drops the inner future"]
#[pin_project]
pub struct Timeout<F> {
    #[pin]
    race: Race<F, Sleep>,
}

impl<F> fmt::Debug for Timeout<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout")
            .field("finished", &self.race.future.is_none())
            .finish_non_exhaustive()
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project().race.poll(cx)
    }
}

/// A future against a timer: the mechanism of every timeout of the crate.
#[pin_project]
struct Race<F, T> {
    #[pin]
    future: Option<F>,
    #[pin]
    timer: T,
}

impl<F, T> Race<F, T> {
    fn new(future: F, timer: T) -> Self {
        Race {
            future: Some(future),
            timer,
        }
    }
}

impl<F: Future, T: Future<Output = ()>> Future for Race<F, T> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let future = this
            .future
            .as_mut()
            .as_pin_mut()
            .expect("`timeout` polled after completion: it already returned `Ready`");
        if let Poll::Ready(output) = future.poll(cx) {
            this.future.set(None);
            return Poll::Ready(Ok(output));
        }
        if this.timer.poll(cx).is_ready() {
            this.future.set(None);
            return Poll::Ready(Err(Elapsed));
        }
        Poll::Pending
    }
}
