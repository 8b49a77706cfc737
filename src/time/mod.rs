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

#[cfg(feature = "async-io")]
use async_io::Timer;
#[cfg(feature = "tokio")]
use std::boxed::Box;

use crate::rt::Spawn;

#[cfg(not(feature = "async-io"))]
mod thread;

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

/// The time on the clock of the runtime the caller runs in: tokio's inside a tokio runtime
/// (feature `tokio`; its paused test clock included), the system's elsewhere. The clock of
/// [`Sleep::at`], and of [`Spawn::now`] by default.
pub(crate) fn runtime_now() -> Instant {
    #[cfg(feature = "tokio")]
    return ::tokio::time::Instant::now().into_std();
    #[cfg(not(feature = "tokio"))]
    Instant::now()
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

/// A timer of the runtime it was made for: tokio's, `async-io`'s, or (with neither) the
/// crate's own timer thread.
pub(crate) struct Sleep(Kind);

enum Kind {
    #[cfg(feature = "async-io")]
    AsyncIo(Timer),
    #[cfg(not(feature = "async-io"))]
    Thread(thread::Sleep),
    // Boxed: tokio's `Sleep` is `!Unpin`, and `Timeout` has always been `Unpin` for an `Unpin`
    // inner future.
    #[cfg(feature = "tokio")]
    Tokio(Pin<Box<::tokio::time::Sleep>>),
}

impl Sleep {
    /// Completes once `duration` has passed, on the timer of the runtime the caller runs in.
    fn after(duration: Duration) -> Sleep {
        #[cfg(feature = "tokio")]
        if ::tokio::runtime::Handle::try_current().is_ok() {
            return Sleep(Kind::Tokio(Box::pin(::tokio::time::sleep(duration))));
        }
        Sleep::outside_tokio(Instant::now().checked_add(duration))
    }

    /// Completes at `deadline`, on the timer of the runtime the caller runs in.
    pub(crate) fn until(deadline: Instant) -> Sleep {
        #[cfg(feature = "tokio")]
        if ::tokio::runtime::Handle::try_current().is_ok() {
            return Sleep::tokio_until(deadline);
        }
        Sleep::outside_tokio(Some(deadline))
    }

    /// Completes at `deadline`, read on the clock of [`runtime_now`], on the timer of the
    /// runtime the caller runs in.
    pub(crate) fn at(deadline: Instant) -> Sleep {
        #[cfg(feature = "tokio")]
        if ::tokio::runtime::Handle::try_current().is_ok() {
            return Sleep::tokio_at(deadline);
        }
        Sleep::outside_tokio(Some(deadline))
    }

    /// Completes at `deadline` (never, for `None`: a deadline past what an `Instant` holds),
    /// on `async-io`'s timer, or without it on the crate's timer thread.
    pub(crate) fn outside_tokio(deadline: Option<Instant>) -> Sleep {
        #[cfg(feature = "async-io")]
        return Sleep(Kind::AsyncIo(deadline.map_or_else(Timer::never, Timer::at)));
        #[cfg(not(feature = "async-io"))]
        Sleep(Kind::Thread(thread::Sleep::until(deadline)))
    }

    /// Completes at `deadline` on the timer of the tokio runtime the caller runs in. The time
    /// left is measured on tokio's clock from now on, so that a paused clock applies to it.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime, or in one whose timer is not enabled, as tokio's `sleep`.
    #[cfg(feature = "tokio")]
    pub(crate) fn tokio_until(deadline: Instant) -> Sleep {
        let left = deadline.saturating_duration_since(Instant::now());
        Sleep::tokio_at(runtime_now().checked_add(left).unwrap_or(deadline))
    }

    /// Completes at `deadline`, read on tokio's clock as it is (so that the time that passed
    /// on a paused clock counts), on the timer of the tokio runtime the caller runs in.
    ///
    /// # Panics
    ///
    /// As [`tokio_until`](Self::tokio_until).
    #[cfg(feature = "tokio")]
    pub(crate) fn tokio_at(deadline: Instant) -> Sleep {
        // tokio rounds a deadline up to the next millisecond, which must still be an
        // `Instant`: one too far for that is as far as tokio's own `Duration::MAX` sleep.
        let sleep = match deadline.checked_add(Duration::from_millis(1)) {
            Some(_) => ::tokio::time::sleep_until(::tokio::time::Instant::from_std(deadline)),
            None => ::tokio::time::sleep(Duration::MAX),
        };
        Sleep(Kind::Tokio(Box::pin(sleep)))
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match &mut self.0 {
            #[cfg(feature = "async-io")]
            Kind::AsyncIo(timer) => Pin::new(timer).poll(cx).map(drop),
            #[cfg(not(feature = "async-io"))]
            Kind::Thread(sleep) => Pin::new(sleep).poll(cx),
            #[cfg(feature = "tokio")]
            Kind::Tokio(sleep) => sleep.as_mut().poll(cx),
        }
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.0 {
            #[cfg(feature = "async-io")]
            Kind::AsyncIo(_) => "async-io",
            #[cfg(not(feature = "async-io"))]
            Kind::Thread(_) => "timer thread",
            #[cfg(feature = "tokio")]
            Kind::Tokio(_) => "tokio",
        };
        f.debug_tuple("Sleep").field(&kind).finish()
    }
}
