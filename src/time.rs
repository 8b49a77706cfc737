//! Timeouts that work under any runtime: the timer is `async-io`'s, driven by its own thread
//! when no `async-io` reactor runs, so nothing here needs tokio, smol or async-std.

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use async_io::Timer;
use pin_project::pin_project;

/// Runs `future` for at most `duration`; past that, drops it and returns `Err(Elapsed)`.
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
/// Polling the returned future again after it returned `Ready` panics.
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    Timeout {
        future: Some(future),
        timer: Timer::after(duration),
    }
}

/// Runs `future` until `deadline` at most; past that, drops it and returns `Err(Elapsed)`.
///
/// The deadline form of [`timeout`], for several steps that share one deadline.
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
/// Polling the returned future again after it returned `Ready` panics.
pub fn timeout_at<F: Future>(deadline: Instant, future: F) -> Timeout<F> {
    Timeout {
        future: Some(future),
        timer: Timer::at(deadline),
    }
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
    future: Option<F>,
    timer: Timer,
}

impl<F> fmt::Debug for Timeout<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout")
            .field("finished", &self.future.is_none())
            .finish_non_exhaustive()
    }
}

impl<F: Future> Future for Timeout<F> {
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
        if Pin::new(this.timer).poll(cx).is_ready() {
            this.future.set(None);
            return Poll::Ready(Err(Elapsed));
        }
        Poll::Pending
    }
}
