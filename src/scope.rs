//! `scope`: tasks that borrow from the function that runs them, spawned from anywhere inside
//! the scope, the first error dropping the rest.
//!
//! # Why this shape
//!
//! [`scope`] takes a closure that receives a [`ScopeSpawner`] by value and returns the scope's
//! body, a future. The spawner is a cheap handle (an `Arc`) that the body and the tasks clone
//! and keep; the tasks themselves live in the [`Scope`] future, pinned in place. Two other
//! shapes were weighed:
//!
//! * Lending `&Scope` to the body, as [`std::thread::scope`] does, would make the `Scope`
//!   future borrow from itself (the body's future holds a reference to a spawner stored beside
//!   it), which safe Rust cannot express; it would take `unsafe` outside the crate's one
//!   `unsafe` module, for no gain a user can see.
//! * A value created first and borrowed by its tasks (`let s = Scope::new(); s.run(...)`)
//!   would have the scope own futures that borrow the scope itself; the borrow checker rejects
//!   that as soon as the scope has a destructor, and the scope must have one (it drops its
//!   tasks).
//!
//! With the closure, nothing borrows from the `Scope`: what a task borrows (a `&str` of the
//! request, a `&RefCell` of the caller's counters, a `&mut` half of a buffer) outlives the
//! scope because the caller awaits the scope where those values live. On Rust 1.85 and later an
//! async closure (`scope(async |s| { ... })`) takes the caller's locals by reference with no
//! `let x = &x;` lines first; the crate itself needs no more than its MSRV.
//!
//! # One task type
//!
//! A scope is typed by one task type, as a `Vec` is, so its tasks are stored in place, with no
//! allocation per task. Tasks of different types, and tasks that spawn more tasks (a task's
//! type cannot contain a spawner of itself), are boxed by the caller: futures'
//! [`BoxFuture`](futures_util::future::BoxFuture) (`.boxed()`) when the scope must be `Send`,
//! [`LocalBoxFuture`](futures_util::future::LocalBoxFuture) (`.boxed_local()`) otherwise. That
//! costs one allocation per task, as `FuturesUnordered` pays anyway.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::convert::Infallible;
use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use futures_core::future::{FusedFuture, TryFuture};

use crate::children::growing::GrowingChildren;
use crate::children::{Children, Completion};

/// Runs `body` with a spawner of tasks that may borrow from the caller, and returns the body's
/// output once every task has completed; or the first error, with every task dropped.
///
/// `body` is called at once with a [`ScopeSpawner`]; the future it returns, and every task
/// spawned through the spawner (by the body, by a task, or by anyone holding a clone), run
/// concurrently inside the returned [`Scope`] future. Tasks give `Result<(), E>`; they hand
/// their results to the caller through what they borrow (a `RefCell`, a `&mut` slice of a
/// buffer, a channel). The body gives `Result<T, E>`.
///
/// The scope needs no runtime: it is an ordinary future, polled by whatever awaits it, and its
/// tasks are polled inside its `poll`, each only when woken (each has a waker of its own).
/// Nothing is polled before the scope is. A task spawned while the scope is being polled (by
/// the body or by a task) is polled first in that same poll, after the task that spawned it;
/// one spawned from elsewhere (another thread, a sibling future) wakes the scope.
///
/// # Cancellation
///
/// * The first `Err` (from the body or a task) ends the scope in the `poll` that sees it:
///   before it returns `Ready(Err)`, the body and every task still running are dropped, exactly
///   once, in the order they were spawned (the body first), and no other task is polled, not
///   even one already woken in the same pass; a task spawned but not started yet is dropped
///   unpolled.
/// * Otherwise the scope returns `Ok` with the body's output once the body and every task have
///   completed; each was dropped as it completed.
/// * Dropping the `Scope` drops the body and every task, in the same order.
/// * From the moment the scope has ended (returned `Ready`, or was dropped), a spawn drops its
///   task at once, unpolled: nothing runs in a scope after it returned. See
///   [`ScopeSpawner::spawn`].
///
/// Within one poll, the body is polled first, then the woken tasks in the order of the slots
/// they took (a freed slot is reused), then the tasks spawned meanwhile in spawn order; the
/// error returned is the first one seen in that order. It is returned unchanged.
///
/// # Examples
///
/// Tasks that borrow a request and the caller's counters; the body fans out, one task per
/// part:
///
/// ```
/// use cancel_cascade::scope;
/// use futures::executor::block_on;
/// use std::cell::RefCell;
///
/// async fn count_words(part: &str, words: &RefCell<usize>) -> Result<(), String> {
///     if part.is_empty() {
///         return Err("an empty part".to_string());
///     }
///     *words.borrow_mut() += part.split_whitespace().count();
///     Ok(())
/// }
///
/// let request = String::from("one two,three,four five six");
/// let words = RefCell::new(0);
/// let (request, counted) = (&request, &words);
/// let parts = block_on(scope(|s| async move {
///     let mut parts = 0;
///     for part in request.split(',') {
///         s.spawn(count_words(part, counted));
///         parts += 1;
///     }
///     Ok(parts)
/// }));
/// assert_eq!(parts, Ok(3));
/// assert_eq!(words.into_inner(), 6);
/// ```
///
/// Tasks that spawn tasks, boxed (on Rust 1.85 or later, with an async closure that borrows
/// `seen` by itself); the first error drops the tasks still running:
///
/// ```
/// use cancel_cascade::{scope, ScopeSpawner};
/// use futures::executor::block_on;
/// use futures::future::{pending, FutureExt, LocalBoxFuture};
/// use std::cell::RefCell;
///
/// type Task<'a> = LocalBoxFuture<'a, Result<(), String>>;
///
/// fn visit<'a>(s: ScopeSpawner<Task<'a>>, depth: u32, seen: &'a RefCell<u32>) -> Task<'a> {
///     async move {
///         *seen.borrow_mut() += 1;
///         match depth {
///             0 => pending().await, // a leaf that would wait for ever
///             3 => Err("too deep".to_string()),
///             _ => {
///                 s.spawn(visit(s.clone(), depth + 1, seen));
///                 s.spawn(visit(s.clone(), 0, seen));
///                 Ok(())
///             }
///         }
///     }
///     .boxed_local()
/// }
///
/// let seen = RefCell::new(0);
/// let outcome = block_on(scope(async |s| {
///     s.spawn(visit(s.clone(), 1, &seen));
///     Ok(())
/// }));
/// assert_eq!(outcome, Err("too deep".to_string()));
/// // Depths 1, 2 and 3 ran, and the leaf spawned at depth 1 (it waited, and was dropped);
/// // the leaf spawned at depth 2 was queued behind depth 3 and dropped unpolled.
/// assert_eq!(seen.into_inner(), 4);
/// ```
///
/// # Panics
///
/// Polling the returned future again after it returned `Ready` panics (check
/// [`FusedFuture::is_terminated`] first). A panic in the body or a task passes through `poll`;
/// the others are then dropped with the scope.
pub fn scope<B, Body, Task>(body: B) -> Scope<Body, Task>
where
    B: FnOnce(ScopeSpawner<Task>) -> Body,
    Body: TryFuture,
    Task: TryFuture<Ok = (), Error = Body::Error>,
{
    let shared = Arc::new(Shared::new());
    let body = body(ScopeSpawner {
        shared: Arc::clone(&shared),
    });
    Scope {
        body: Children::new([body]),
        tasks: GrowingChildren::new(),
        shared,
        batch: Vec::new(),
        kept: None,
        decided: None,
        registered: None,
        terminated: false,
    }
}

/// Future of [`scope`]: the body's output once every task has completed, or the first error.
///
/// `Unpin` whatever the body and the tasks are; `Send` when they, the body's output and the
/// error are.
#[must_use = "futures do nothing unless polled; dropping this one drops (cancels) every task"]
pub struct Scope<Body, Task>
where
    Body: TryFuture,
    Task: TryFuture<Ok = (), Error = Body::Error>,
{
    body: Children<Body, Infallible>,
    tasks: GrowingChildren<Task>,
    shared: Arc<Shared<Task>>,
    /// Tasks taken from the spawn queue and not started yet, the next one last.
    batch: Vec<Task>,
    /// The body's output, once it completed, until every task has.
    kept: Option<Body::Ok>,
    /// The outcome once decided, kept until `poll` returns it (a destructor may panic between
    /// the decision and `Ready`).
    decided: Option<Result<Body::Ok, Body::Error>>,
    /// The waker the spawners wake, as the scope registered it last.
    registered: Option<Waker>,
    terminated: bool,
}

// The body's output is never pinned (the body and the tasks are, in their own allocations).
impl<Body, Task> Unpin for Scope<Body, Task>
where
    Body: TryFuture,
    Task: TryFuture<Ok = (), Error = Body::Error>,
{
}

impl<Body, Task> Scope<Body, Task>
where
    Body: TryFuture,
    Task: TryFuture<Ok = (), Error = Body::Error>,
{
    /// One pass: the body if woken, the woken tasks, then the spawned ones; leaves the outcome
    /// in `decided` if it is decided.
    fn run(&mut self, cx: &mut Context<'_>) {
        self.shared.begin_poll();
        let Scope {
            body,
            tasks,
            shared,
            batch,
            kept,
            decided,
            registered,
            ..
        } = self;
        if body.running() > 0 {
            body.poll_woken(cx, "scope", Body::try_poll, |_, output| match output {
                Ok(value) => {
                    *kept = Some(value);
                    Completion::Next
                }
                Err(error) => {
                    *decided = Some(Err(error));
                    Completion::Stop
                }
            });
            if decided.is_some() {
                return;
            }
        }
        let failed = tasks.poll_woken(cx, Task::try_poll, |output| match output {
            Ok(()) => Completion::Next,
            Err(error) => {
                *decided = Some(Err(error));
                Completion::Stop
            }
        });
        if failed {
            return;
        }
        loop {
            while let Some(task) = batch.pop() {
                tasks.start(cx, task, Task::try_poll, |output| {
                    if let Err(error) = output {
                        *decided = Some(Err(error));
                    }
                });
                if decided.is_some() {
                    return;
                }
            }
            if !shared.take_spawned(batch, cx.waker(), registered) {
                break;
            }
            batch.reverse();
        }
        if body.running() == 0 && tasks.running() == 0 {
            let value = kept.take().expect("the body completed with `Ok`");
            *decided = Some(Ok(value));
        }
    }

    /// Closes the spawner, then drops the body, its kept output and every task, in spawn
    /// order. Each is dropped once even if a destructor panics: the steps after a panicking
    /// one still run as the panic unwinds (a second panic aborts).
    fn stop(&mut self) {
        let (mut spawned_late, waker) = self.shared.close();
        spawned_late.reverse();
        let mut rest = Stop {
            scope: self,
            spawned_late,
            waker,
        };
        rest.run();
    }
}

/// The steps of [`Scope::stop`], each of which does nothing the second time; run again as a
/// panic unwinds through them.
struct Stop<'a, Body, Task>
where
    Body: TryFuture,
    Task: TryFuture<Ok = (), Error = Body::Error>,
{
    scope: &'a mut Scope<Body, Task>,
    /// Spawned but never taken by the scope, the next one last.
    spawned_late: Vec<Task>,
    /// The scope's waker, let go of last.
    waker: Option<Waker>,
}

impl<Body, Task> Stop<'_, Body, Task>
where
    Body: TryFuture,
    Task: TryFuture<Ok = (), Error = Body::Error>,
{
    fn run(&mut self) {
        self.scope.body.finish();
        drop(self.scope.kept.take());
        self.scope.tasks.clear();
        while let Some(task) = self.scope.batch.pop() {
            drop(task);
        }
        while let Some(task) = self.spawned_late.pop() {
            drop(task);
        }
        drop(self.waker.take());
        drop(self.scope.registered.take());
    }
}

impl<Body, Task> Drop for Stop<'_, Body, Task>
where
    Body: TryFuture,
    Task: TryFuture<Ok = (), Error = Body::Error>,
{
    fn drop(&mut self) {
        self.run();
    }
}

impl<Body, Task> Future for Scope<Body, Task>
where
    Body: TryFuture,
    Task: TryFuture<Ok = (), Error = Body::Error>,
{
    type Output = Result<Body::Ok, Body::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if this.decided.is_none() {
            assert!(
                !this.terminated,
                "`scope` polled after completion: it already returned `Ready`"
            );
            this.run(cx);
            if this.decided.is_none() {
                return Poll::Pending;
            }
        }
        this.stop();
        this.terminated = true;
        this.decided.take().map_or(Poll::Pending, Poll::Ready)
    }
}

impl<Body, Task> FusedFuture for Scope<Body, Task>
where
    Body: TryFuture,
    Task: TryFuture<Ok = (), Error = Body::Error>,
{
    fn is_terminated(&self) -> bool {
        self.terminated
    }
}

impl<Body, Task> Drop for Scope<Body, Task>
where
    Body: TryFuture,
    Task: TryFuture<Ok = (), Error = Body::Error>,
{
    fn drop(&mut self) {
        self.stop();
    }
}

impl<Body, Task> fmt::Debug for Scope<Body, Task>
where
    Body: TryFuture,
    Task: TryFuture<Ok = (), Error = Body::Error>,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scope")
            .field("body_running", &(self.body.running() > 0))
            .field("tasks_running", &self.tasks.running())
            .field("terminated", &self.terminated)
            .finish_non_exhaustive()
    }
}

/// Spawns tasks into a [`scope`]: the body's, a task's, or anyone's who holds a clone. Cheap to
/// clone (an `Arc`); `Send` and `Sync` when the tasks are `Send`.
///
/// A task spawned through it belongs to the scope, not to whoever spawned it: the spawner may
/// complete before it, and the scope waits for it (or drops it at the first error).
///
/// # Cancellation
///
/// Once the scope has ended (it returned `Ready`, or it was dropped), [`spawn`](Self::spawn)
/// drops its task at once, unpolled, and [`is_open`](Self::is_open) is `false`. Holding a
/// spawner does not keep the scope's tasks alive.
pub struct ScopeSpawner<Task> {
    shared: Arc<Shared<Task>>,
}

impl<Task> ScopeSpawner<Task> {
    /// Spawns `task` into the scope. It starts (is first polled) inside the scope's current
    /// poll if the scope is being polled (the body or a task spawned it), else the scope is
    /// woken and starts it at its next poll; either way after the tasks spawned before it.
    ///
    /// # Cancellation
    ///
    /// Into a scope that has ended, `task` is dropped here, unpolled.
    ///
    /// # Examples
    ///
    /// ```
    /// use cancel_cascade::scope;
    /// use futures::executor::block_on;
    /// use std::cell::Cell;
    ///
    /// let done = Cell::new(0);
    /// let done_ref = &done;
    /// let count = |n| async move {
    ///     done_ref.set(done_ref.get() + n);
    ///     Ok::<(), ()>(())
    /// };
    /// let leaked = block_on(scope(|s| async move {
    ///     s.spawn(count(1));
    ///     s.spawn(count(2));
    ///     Ok(s) // the spawner outlives the scope...
    /// }))
    /// .unwrap();
    /// assert_eq!(done.get(), 3);
    /// assert!(!leaked.is_open());
    /// leaked.spawn(count(4)); // ...but a task spawned now is dropped unpolled
    /// assert_eq!(done.get(), 3);
    /// ```
    pub fn spawn(&self, task: Task) {
        self.shared.spawn(task);
    }

    /// Whether the scope still takes tasks: it has neither returned nor been dropped. A `true`
    /// may be out of date by the time it is read, if the scope runs on another thread.
    pub fn is_open(&self) -> bool {
        !self.shared.lock().closed
    }
}

impl<Task> Clone for ScopeSpawner<Task> {
    fn clone(&self) -> Self {
        ScopeSpawner {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<Task> fmt::Debug for ScopeSpawner<Task> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScopeSpawner")
            .field("open", &self.is_open())
            .finish()
    }
}

/// What the scope and its spawners share: the tasks spawned and not yet taken by the scope.
///
/// A spawn may come while the scope polls a task (the task spawns), so it cannot go straight
/// into the set being polled; it waits here, and the scope starts it when the pass is over.
/// The lock is never held while foreign code runs (a task's destructor, a waker).
///
/// A scope poll that finds nothing spawned takes no lock: `polling` and `queued` are a pair of
/// flags read and written in sequentially consistent order (the scope clears `polling`, then
/// reads `queued`; a spawn sets `queued`, then reads `polling`), so either the scope sees the
/// spawn and takes it, or the spawn sees the poll over and wakes the scope (both may happen:
/// one spare wake-up).
struct Shared<Task> {
    queue: Mutex<Queue<Task>>,
    /// The scope is in its `poll` and will look at the queue before it returns: a spawn needs
    /// no wake-up.
    polling: AtomicBool,
    /// The queue holds a task (set under the lock by a spawn, cleared under it by the scope).
    queued: AtomicBool,
    /// A spawn took the scope's waker (to wake it): the scope registers one again.
    waker_taken: AtomicBool,
}

struct Queue<Task> {
    spawned: Vec<Task>,
    /// The scope has ended: a spawn drops its task.
    closed: bool,
    /// The scope's latest waker, for a spawn from outside its `poll`; taken by the spawn that
    /// wakes it.
    waker: Option<Waker>,
}

impl<Task> Shared<Task> {
    fn new() -> Self {
        Shared {
            queue: Mutex::new(Queue {
                spawned: Vec::new(),
                closed: false,
                waker: None,
            }),
            polling: AtomicBool::new(false),
            queued: AtomicBool::new(false),
            waker_taken: AtomicBool::new(false),
        }
    }

    /// The lock; no code that can panic runs under it, so it cannot be poisoned in practice.
    fn lock(&self) -> MutexGuard<'_, Queue<Task>> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn spawn(&self, task: Task) {
        let mut queue = self.lock();
        if queue.closed {
            drop(queue);
            drop(task);
            return;
        }
        queue.spawned.push(task);
        self.queued.store(true, Ordering::SeqCst);
        // The first spawn since the scope last looked wakes it; the later ones find the queue
        // non-empty and know it was woken.
        let waker = if !self.polling.load(Ordering::SeqCst) && queue.spawned.len() == 1 {
            let waker = queue.waker.take();
            self.waker_taken.store(true, Ordering::Release);
            waker
        } else {
            None
        };
        drop(queue);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Marks the scope's poll begun: spawns from now on are taken before it returns.
    fn begin_poll(&self) {
        self.polling.store(true, Ordering::Relaxed);
    }

    /// Moves the tasks spawned since the last call into `batch` (empty) and returns `true`;
    /// with none, marks the poll over and returns `false`, after making `waker` the one a spawn
    /// from outside the scope's `poll` wakes (`registered` is the scope's copy of the one it
    /// registered last).
    fn take_spawned(
        &self,
        batch: &mut Vec<Task>,
        waker: &Waker,
        registered: &mut Option<Waker>,
    ) -> bool {
        let same = registered
            .as_ref()
            .is_some_and(|kept| kept.will_wake(waker));
        // A load first: a swap on every poll would cost a read-modify-write for nothing. A
        // take this misses was made by a spawn that woke the scope, whose next poll sees it.
        let taken = self.waker_taken.load(Ordering::Acquire)
            && self.waker_taken.swap(false, Ordering::Acquire);
        if !same || taken {
            // Cloned and the old ones dropped outside the lock (foreign code).
            let new = waker.clone();
            let old = self.lock().waker.replace(new.clone());
            let old_copy = registered.replace(new);
            drop(old);
            drop(old_copy);
        }
        self.polling.store(false, Ordering::SeqCst);
        if !self.queued.load(Ordering::SeqCst) {
            return false;
        }
        self.polling.store(true, Ordering::Relaxed);
        let mut queue = self.lock();
        core::mem::swap(&mut queue.spawned, batch);
        self.queued.store(false, Ordering::Relaxed);
        drop(queue);
        !batch.is_empty()
    }

    /// Marks the scope ended and returns the tasks spawned but not taken, and the scope's
    /// waker, to be dropped by the caller, outside the lock.
    fn close(&self) -> (Vec<Task>, Option<Waker>) {
        let mut queue = self.lock();
        queue.closed = true;
        (core::mem::take(&mut queue.spawned), queue.waker.take())
    }
}
