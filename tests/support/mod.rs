//! Instruments shared by the integration tests: gates opened by hand that record their polls
//! and drops, a counting parent waker, a watchdog against lost wake-ups, a filter for expected
//! panics and a seeded PRNG.
//!
//! Each test crate includes this module with `#[allow(dead_code)] mod support;`, since each
//! uses a subset of it.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Condvar, Mutex, Once};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::Duration;

/// What a set of children went through, in the order it happened: which child was polled and
/// which was dropped (children are named by the index given at construction).
#[derive(Debug, Default)]
pub(crate) struct Log {
    polled: Mutex<Vec<usize>>,
    dropped: Mutex<Vec<usize>>,
}

impl Log {
    pub(crate) fn new() -> Arc<Self> {
        Arc::default()
    }

    /// Child polls so far, all children together.
    pub(crate) fn polls(&self) -> usize {
        self.polled.lock().unwrap().len()
    }

    pub(crate) fn poll_order(&self) -> Vec<usize> {
        self.polled.lock().unwrap().clone()
    }

    /// Child drops so far, all children together.
    pub(crate) fn drops(&self) -> usize {
        self.dropped.lock().unwrap().len()
    }

    pub(crate) fn drop_order(&self) -> Vec<usize> {
        self.dropped.lock().unwrap().clone()
    }

    /// A gate named `index` that completes with `value` once its [`Opener`] opens it.
    pub(crate) fn gate<T>(self: &Arc<Self>, index: usize, value: T) -> (Gate<T>, Opener) {
        let switch = Arc::new(Switch::default());
        let gate = Gate {
            index,
            value: Some(value),
            switch: Arc::clone(&switch),
            log: Arc::clone(self),
        };
        (gate, Opener(switch))
    }

    /// One gate per value, named by the value's position.
    pub(crate) fn gates<T>(
        self: &Arc<Self>,
        values: impl IntoIterator<Item = T>,
    ) -> (Vec<Gate<T>>, Vec<Opener>) {
        values
            .into_iter()
            .enumerate()
            .map(|(index, value)| self.gate(index, value))
            .unzip()
    }

    /// A value that records `index` in this log's drops when it is dropped, to watch the
    /// outputs a combinator keeps.
    pub(crate) fn token(self: &Arc<Self>, index: usize) -> Token {
        Token {
            index,
            log: Arc::clone(self),
        }
    }
}

/// State shared by a gate and its opener.
#[derive(Debug, Default)]
struct Switch {
    open: AtomicBool,
    // The waker of the gate's latest poll, kept even after the gate is gone so that a test can
    // wake a child after its combinator was dropped.
    waker: Mutex<Option<Waker>>,
    polls: AtomicUsize,
    drops: AtomicUsize,
}

/// A future that stays pending until its [`Opener`] opens it, then completes with its value.
#[derive(Debug)]
pub(crate) struct Gate<T> {
    index: usize,
    value: Option<T>,
    switch: Arc<Switch>,
    log: Arc<Log>,
}

// The value is moved out, never pinned.
impl<T> Unpin for Gate<T> {}

impl<T> Future for Gate<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        self.log.polled.lock().unwrap().push(self.index);
        self.switch.polls.fetch_add(1, Ordering::SeqCst);
        // The flag is read under the waker's lock so that an `open` from another thread either
        // is seen here or finds the waker stored here: never neither.
        let open = {
            let mut waker = self.switch.waker.lock().unwrap();
            *waker = Some(cx.waker().clone());
            self.switch.open.load(Ordering::SeqCst)
        };
        if !open {
            return Poll::Pending;
        }
        let index = self.index;
        match self.value.take() {
            Some(value) => Poll::Ready(value),
            None => panic!("gate {index} polled after it completed"),
        }
    }
}

impl<T> Drop for Gate<T> {
    fn drop(&mut self) {
        self.switch.drops.fetch_add(1, Ordering::SeqCst);
        self.log.dropped.lock().unwrap().push(self.index);
    }
}

/// The hand that opens a [`Gate`], wakes it, and reads its counters.
#[derive(Debug, Clone)]
pub(crate) struct Opener(Arc<Switch>);

impl Opener {
    /// Lets the gate complete on its next poll and wakes it (if it was ever polled).
    pub(crate) fn open(&self) {
        self.0.open.store(true, Ordering::SeqCst);
        self.wake();
    }

    /// Wakes the gate without opening it: a spurious wake-up.
    pub(crate) fn wake(&self) {
        let waker = self.0.waker.lock().unwrap().clone();
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// A clone of the waker the gate was last polled with.
    ///
    /// # Panics
    ///
    /// If the gate was never polled.
    pub(crate) fn waker(&self) -> Waker {
        self.0
            .waker
            .lock()
            .unwrap()
            .clone()
            .expect("the gate was never polled")
    }

    /// Forgets the kept waker, so that the last clone of a child's waker can go away.
    pub(crate) fn forget_waker(&self) {
        self.0.waker.lock().unwrap().take();
    }

    pub(crate) fn polls(&self) -> usize {
        self.0.polls.load(Ordering::SeqCst)
    }

    pub(crate) fn drops(&self) -> usize {
        self.0.drops.load(Ordering::SeqCst)
    }
}

/// A value whose drop is recorded in a [`Log`].
#[derive(Debug)]
pub(crate) struct Token {
    index: usize,
    log: Arc<Log>,
}

impl Token {
    pub(crate) fn index(&self) -> usize {
        self.index
    }
}

impl Drop for Token {
    fn drop(&mut self) {
        self.log.dropped.lock().unwrap().push(self.index);
    }
}

/// A parent waker that counts its wake-ups; several of them tell which one was woken.
#[derive(Debug, Default)]
pub(crate) struct WakeCounter {
    wakes: Mutex<usize>,
    woken: Condvar,
}

impl WakeCounter {
    pub(crate) fn new() -> Arc<Self> {
        Arc::default()
    }

    pub(crate) fn waker(self: &Arc<Self>) -> Waker {
        Waker::from(Arc::clone(self))
    }

    pub(crate) fn wakes(&self) -> usize {
        *self.wakes.lock().unwrap()
    }

    /// Blocks until the count exceeds `seen` and returns the new count.
    ///
    /// # Panics
    ///
    /// After `limit` without a wake-up: a lost wake-up fails the test instead of hanging it.
    pub(crate) fn wait_past(&self, seen: usize, limit: Duration) -> usize {
        let wakes = self.wakes.lock().unwrap();
        let (wakes, timeout) = self
            .woken
            .wait_timeout_while(wakes, limit, |wakes| *wakes <= seen)
            .unwrap();
        assert!(
            !timeout.timed_out(),
            "no wake-up within {limit:?} while the combinator was pending: a wake-up was lost"
        );
        *wakes
    }
}

impl Wake for WakeCounter {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        *self.wakes.lock().unwrap() += 1;
        self.woken.notify_all();
    }
}

/// Runs `body` on its own thread and returns its result, or fails after `limit`: a test that
/// would hang on a lost wake-up fails with a message instead. A panic in `body` passes through.
pub(crate) fn watchdog<T: Send + 'static>(
    what: &str,
    limit: Duration,
    body: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (done, outcome) = mpsc::channel();
    let worker = thread::Builder::new()
        .name(what.to_owned())
        .spawn(move || {
            // The receiver is gone only if the watchdog already failed the test.
            let _ = done.send(body());
        })
        .expect("spawn the watched thread");
    match outcome.recv_timeout(limit) {
        Ok(value) => {
            worker.join().expect("the watched thread finished");
            value
        }
        Err(RecvTimeoutError::Timeout) => {
            panic!("{what} did not finish within {limit:?}: a wake-up was lost (or it is stuck)")
        }
        Err(RecvTimeoutError::Disconnected) => match worker.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => unreachable!("the watched thread sends its result before it ends"),
        },
    }
}

/// The message of a caught panic (`panic!` with a literal or with formatting).
pub(crate) fn panic_message(payload: Box<dyn Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => match payload.downcast::<&'static str>() {
            Ok(message) => (*message).to_owned(),
            Err(_) => "<a panic payload that is not a string>".to_owned(),
        },
    }
}

/// Keeps the expected panics (those whose message contains `marker`) out of the output, which
/// they would otherwise flood when injected on purpose hundreds of times; any other panic (a
/// failed check) goes to the usual hook. Installed once per test binary.
pub(crate) fn quiet_panics_containing(marker: &'static str) {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let usual = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let message = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&'static str>().copied());
            if message.map_or(true, |message| !message.contains(marker)) {
                usual(info);
            }
        }));
    });
}

/// xorshift64*: deterministic wake orders without a dependency; the seed is in each test so a
/// failure can be replayed.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        // The state must never be zero.
        Rng(seed | 1)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (`n > 0`); the modulo bias is irrelevant at test sizes.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub(crate) fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

/// The environment variable that tells a test binary it runs as [`in_child_process`]'s child.
const CHILD_TEST: &str = "CANCEL_CASCADE_CHILD_TEST";

/// Runs `body` as the test `name` (its full path inside the test binary, as `--exact` takes it)
/// in a child process of this test binary, and asserts that the child passed within `limit`.
///
/// For the cases whose failure is not a panic but the end of the process (a stack overflow
/// aborts it): the parent survives to report it. The child runs only `name`, on one test
/// thread with the default 2 MiB test stack.
pub(crate) fn in_child_process(name: &str, limit: Duration, body: impl FnOnce()) {
    if std::env::var(CHILD_TEST).as_deref() == Ok(name) {
        body();
        return;
    }
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_TEST, name)
        .env("RUST_MIN_STACK", (2 << 20).to_string())
        .spawn()
        .expect("the test binary starts again as a child process");
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`{name}` did not finish within {limit:?} in its child process");
        }
        thread::sleep(Duration::from_millis(10));
    };
    assert!(
        status.success(),
        "`{name}` failed in its child process ({status}): a stack overflow aborts it"
    );
}
