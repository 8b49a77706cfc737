//! The timer primitive under every deadline of the crate: the clock of the runtime the caller
//! runs in, and a sleep on tokio's timer, `async-io`'s, or (with neither) a timer thread of
//! the crate's own. It sits below the [`Spawn`](crate::spawn::Spawn) trait, whose default
//! `now` and `sleep_until` are these, and below [`time`](crate::time), the public timeouts.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

#[cfg(feature = "async-io")]
use async_io::Timer;
#[cfg(feature = "tokio")]
use std::boxed::Box;

#[cfg(not(feature = "async-io"))]
mod thread;

/// The time on the clock of the runtime the caller runs in: tokio's inside a tokio runtime
/// (feature `tokio`; its paused test clock included), the system's elsewhere. The clock of
/// [`Sleep::at`], and of [`Spawn::now`](crate::spawn::Spawn::now) by default.
pub(crate) fn runtime_now() -> Instant {
    #[cfg(feature = "tokio")]
    return ::tokio::time::Instant::now().into_std();
    #[cfg(not(feature = "tokio"))]
    Instant::now()
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
    pub(crate) fn after(duration: Duration) -> Sleep {
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
