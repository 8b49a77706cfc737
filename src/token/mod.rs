//! `CancelToken`: a cooperative cancellation signal, shared by clones, inherited by child tokens.

#[cfg(feature = "tokio-util")]
mod tokio_util;

use std::any::Any;
use std::boxed::Box;
use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::hash::{Hash, Hasher};
use std::mem;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::pin::Pin;
// The token's lock and flags are loom's in loom builds (`tests/loom_token.rs`); its shared state
// stays in std's `Arc`, whose `Weak` (for the list of children) loom does not have.
use std::sync::{Arc, PoisonError, Weak};

use crate::sync::{AtomicBool, Mutex, MutexGuard, Ordering};
use std::task::{Context, Poll, Waker};
use std::vec::Vec;

use futures_core::future::FusedFuture;
use pin_project::pin_project;

/// A cancellation signal that tasks check or await, for cleanup that must run before they stop.
///
/// Dropping a future cancels it at once, with no chance to run async code. A `CancelToken` is
/// the other, cooperative, half: whoever holds it can ask, with [`cancel`](Self::cancel), and a
/// task that awaits [`cancelled`](Self::cancelled) can then roll back, flush or say goodbye
/// before it returns. A [`TaskGroup`](crate::TaskGroup) with a grace period cancels its token
/// first and drops the tasks only when the grace period is over.
///
/// Clones share one signal and are cheap (one reference count). [`cancel`](Self::cancel) is
/// idempotent. A [child token](Self::child_token) is cancelled with its parent, never the other
/// way round.
///
/// # Examples
///
/// ```
/// use cancel_cascade::CancelToken;
/// use futures::executor::block_on;
///
/// let token = CancelToken::new();
/// let child = token.child_token();
/// let waiting = child.cancelled();
/// token.cancel();
/// block_on(waiting); // resolves: the parent's cancellation reached the child
/// assert!(child.is_cancelled());
/// ```
#[derive(Clone, Default)]
pub struct CancelToken {
    inner: Arc<Inner>,
}

// Foreign code (a waker's clone, drop or wake) never runs while a token's lock is held: a
// waker may call back into the token (cancel it, poll it, make a child), or panic.
//
// A child holds its parent, and a parent only `Weak`s to its children: a token whose handles
// are all gone stays alive while a child of it does, so a cancellation still reaches every
// descendant however many tokens between them were dropped.
#[derive(Default)]
struct Inner {
    cancelled: AtomicBool,
    /// Set once every token under this one reads cancelled too: a `cancel` that finds this
    /// token marked by another thread's walk waits for it.
    settled: AtomicBool,
    waiting: Mutex<Waiting>,
    /// The token this one is a child of, kept alive by it.
    parent: Option<Arc<Inner>>,
}

impl Drop for Inner {
    /// Lets go of the chain of ancestors one at a time, so that the last child of a long chain
    /// of otherwise dropped tokens frees them without recursion.
    fn drop(&mut self) {
        // The watch on a tokio-util token is registered with that token through a waker that
        // holds the watch: a cycle, broken here.
        #[cfg(feature = "tokio-util")]
        self.waiting
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .bridge
            .stop_watching();
        let mut next = self.parent.take();
        while let Some(parent) = next {
            next = Arc::into_inner(parent).and_then(|mut parent| parent.parent.take());
        }
    }
}

/// Who to tell when the token is cancelled.
#[derive(Default)]
struct Waiting {
    /// Wakers of pending `Cancelled` futures, by key; `None` marks a free key.
    wakers: Vec<Option<Waker>>,
    free: Vec<usize>,
    /// Child tokens, dropped ones included until a sweep removes them.
    children: Vec<Weak<Inner>>,
    /// The tokio-util token cancelled with this one, and the watch on it.
    #[cfg(feature = "tokio-util")]
    bridge: tokio_util::Bridge,
    /// Entries looked at by sweeps, for the unit test of the amortised cost.
    #[cfg(test)]
    swept: usize,
}

impl Waiting {
    /// Adds a child, sweeping the dropped ones when the list is full. After a sweep the list
    /// keeps at least as much free room as it holds entries, so the next sweep is at least that
    /// many additions away: each addition costs O(1) amortised, however many children live.
    fn add_child(&mut self, child: Weak<Inner>) {
        if self.children.len() == self.children.capacity() {
            #[cfg(test)]
            {
                self.swept += self.children.len();
            }
            self.children.retain(|child| child.strong_count() > 0);
            let live = self.children.len();
            self.children.reserve(live.max(4));
        }
        self.children.push(child);
    }
}

/// Who a cancellation tells, once every token of the subtree is marked: foreign code, run
/// outside every lock.
#[derive(Default)]
struct Told {
    wakers: Vec<Waker>,
    /// tokio-util tokens to cancel with ours.
    #[cfg(feature = "tokio-util")]
    bridges: Vec<tokio_util::Bridge>,
}

impl Inner {
    fn waiting(&self) -> MutexGuard<'_, Waiting> {
        // The lists stay consistent even if a thread panicked while the lock was held.
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Marks this token cancelled, unless it was already; hands over what is to be told and
    /// its live children. Says whether it marked it.
    fn mark_cancelled(&self, told: &mut Told, children: &mut Vec<Arc<Inner>>) -> bool {
        if self.cancelled.swap(true, Ordering::AcqRel) {
            return false;
        }
        let waiting = mem::take(&mut *self.waiting());
        told.wakers.extend(waiting.wakers.into_iter().flatten());
        #[cfg(feature = "tokio-util")]
        told.bridges.push(waiting.bridge);
        children.extend(waiting.children.iter().filter_map(Weak::upgrade));
        true
    }

    /// Cancels the whole subtree, then wakes its waiters; returns the first panic of a waker.
    ///
    /// The walk keeps its own stack, so a chain of child tokens of any depth is cancelled
    /// without recursion. Every token is marked before the first waker runs, and a waker that
    /// panics does not keep the others from being woken. A token that another thread's walk
    /// marked already is waited for until that walk has marked everything under it, so that
    /// this returns only once the whole subtree reads cancelled.
    fn cancel_now(&self) -> Option<Box<dyn Any + Send>> {
        let mut told = Told::default();
        let mut children = Vec::new();
        if !self.mark_cancelled(&mut told, &mut children) {
            while !self.settled.load(Ordering::Acquire) {
                crate::sync::before_retry();
                std::thread::yield_now();
            }
            return None;
        }
        // Every token this walk marked, settled once the walk is over (on unwind too).
        let mut marked = Settle(Vec::new());
        while let Some(child) = children.pop() {
            if child.mark_cancelled(&mut told, &mut children) {
                marked.0.push(child);
            }
        }
        drop(marked);
        self.settled.store(true, Ordering::Release);
        let mut first_panic = None;
        for waker in told.wakers {
            if let Err(panic) = catch_unwind(AssertUnwindSafe(|| crate::sync::wake(waker))) {
                first_panic.get_or_insert(panic);
            }
        }
        #[cfg(feature = "tokio-util")]
        for bridge in told.bridges {
            if let Err(panic) = catch_unwind(AssertUnwindSafe(|| bridge.cancelled())) {
                first_panic.get_or_insert(panic);
            }
        }
        first_panic
    }

    /// [`cancel_now`](Self::cancel_now), then the cancellations queued behind it on this
    /// thread (see [`cancel_or_queue`]); resumes the first panic of a waker once all are done.
    fn cancel(&self) {
        let lead = Queue::lead();
        let mut first_panic = self.cancel_now();
        if let Some(lead) = &lead {
            while let Some(queued) = lead.next() {
                if let Some(panic) = queued.cancel_now() {
                    first_panic.get_or_insert(panic);
                }
            }
        }
        drop(lead);
        if let Some(panic) = first_panic {
            resume_unwind(panic);
        }
    }
}

/// Sets `settled` on each token when dropped.
struct Settle(Vec<Arc<Inner>>);

impl Drop for Settle {
    fn drop(&mut self) {
        for token in &self.0 {
            token.settled.store(true, Ordering::Release);
        }
    }
}

#[cfg(not(loom))]
std::thread_local! {
    /// The cancellations queued behind the one running on this thread, if one runs.
    static QUEUED: RefCell<Option<Vec<Arc<Inner>>>> = const { RefCell::new(None) };
}

// loom runs every model thread on one OS thread: std's thread-local would be shared by all of
// them.
#[cfg(loom)]
loom::thread_local! {
    static QUEUED: RefCell<Option<Vec<Arc<Inner>>>> = RefCell::new(None);
}

/// The lead of the cancellations on this thread: the outermost `cancel`, which runs the ones
/// queued behind it.
struct Queue(());

impl Queue {
    /// Makes the caller the lead, unless a cancellation already runs on this thread.
    fn lead() -> Option<Queue> {
        QUEUED
            .try_with(|queued| {
                let mut queued = queued.borrow_mut();
                if queued.is_some() {
                    return None;
                }
                *queued = Some(Vec::new());
                Some(Queue(()))
            })
            .ok()
            .flatten()
    }

    fn next(&self) -> Option<Arc<Inner>> {
        QUEUED.with(|queued| queued.borrow_mut().as_mut().and_then(Vec::pop))
    }
}

impl Drop for Queue {
    /// Ends the lead, on unwind too; what is still queued is dropped outside the borrow.
    fn drop(&mut self) {
        let left = QUEUED.try_with(|queued| queued.borrow_mut().take());
        drop(left);
    }
}

/// Cancels `token`, or, if a cancellation already runs on this thread, queues it behind that
/// one: a cancellation that reaches another token through something other than the child
/// lists (the wake-up of a tokio-util token's watch) continues the walk instead of nesting
/// inside it, so a chain of such links of any length is cancelled without recursion.
#[cfg(feature = "tokio-util")]
fn cancel_or_queue(token: Arc<Inner>) {
    let queued = QUEUED.try_with(|queued| match queued.borrow_mut().as_mut() {
        Some(queued) => {
            queued.push(Arc::clone(&token));
            true
        }
        None => false,
    });
    if !matches!(queued, Ok(true)) {
        token.cancel();
    }
}

impl CancelToken {
    /// A new token, not cancelled, with no parent.
    pub fn new() -> Self {
        CancelToken::default()
    }

    /// Cancels this token and every child token, at any depth, and wakes every
    /// [`cancelled`](Self::cancelled) future waiting on them. Calling it again does nothing.
    ///
    /// Every token of the subtree reads cancelled before the first waker is woken. Wakers are
    /// woken outside the token's lock, so a waker may call back into the token.
    ///
    /// # Panics
    ///
    /// If a waker panics when woken: the other waiters are woken first, then the (first) panic
    /// resumes here.
    pub fn cancel(&self) {
        self.inner.cancel();
    }

    /// Whether [`cancel`](Self::cancel) was called on this token or on an ancestor.
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancelled.load(Ordering::Acquire)
    }

    /// A token cancelled when this one is (or at once, if this one already is), and that can
    /// also be cancelled on its own without affecting this one.
    ///
    /// The child follows this token even after every clone of this token is dropped: in a
    /// chain `parent -> middle -> leaf`, dropping `middle` leaves `leaf` a descendant of
    /// `parent`. A child keeps its ancestors' small shared state alive (not their waiters), and
    /// a chain of any length is freed without recursion.
    ///
    /// O(1) amortised, however many children are alive: dropped children are swept out of the
    /// parent's list only when it is full, and a sweep leaves room for as many new children as
    /// it kept.
    pub fn child_token(&self) -> CancelToken {
        let child = CancelToken {
            inner: Arc::new(Inner {
                cancelled: AtomicBool::new(false),
                settled: AtomicBool::new(false),
                waiting: Mutex::default(),
                parent: Some(Arc::clone(&self.inner)),
            }),
        };
        {
            let mut waiting = self.inner.waiting();
            // Read under the lock: `cancel` sets the flag before it takes the list.
            if !self.is_cancelled() {
                waiting.add_child(Arc::downgrade(&child.inner));
                return child;
            }
        }
        child.cancel();
        child
    }

    /// Runs `future` until this token is cancelled: `Some(output)` if it completes first,
    /// `None` once the token is cancelled.
    ///
    /// The returned future owns a clone of the token, so it is `'static` when `future` is.
    /// The token is looked at before `future` on each poll: a token cancelled before the first
    /// poll gives `None` without polling `future` at all.
    ///
    /// # Cancellation
    ///
    /// When the poll sees the token cancelled, `future` is dropped inside that poll, before it
    /// returns `Ready(None)`; `future` is never polled after that. A `future` that completes is
    /// dropped in the poll that returns its output. Dropping the returned future drops
    /// `future` too.
    ///
    /// # Examples
    ///
    /// ```
    /// use cancel_cascade::CancelToken;
    /// use futures::executor::block_on;
    /// use std::future::pending;
    ///
    /// let token = CancelToken::new();
    /// assert_eq!(block_on(token.run_until_cancelled(async { 7 })), Some(7));
    ///
    /// let stuck = token.run_until_cancelled(pending::<()>());
    /// token.cancel();
    /// assert_eq!(block_on(stuck), None); // the pending future has been dropped
    /// ```
    ///
    /// # Panics
    ///
    /// Polling the returned future again after it returned `Ready` panics.
    pub fn run_until_cancelled<F: Future>(&self, future: F) -> RunUntilCancelled<F> {
        RunUntilCancelled {
            future: Some(future),
            cancelled: Some(self.cancelled()),
        }
    }

    /// A guard that cancels this token when it is dropped (on any path out of a scope, an
    /// early return or a panic included), unless it is [disarmed](DropGuard::disarm) first.
    ///
    /// # Examples
    ///
    /// ```
    /// use cancel_cascade::CancelToken;
    ///
    /// let token = CancelToken::new();
    /// {
    ///     let _guard = token.clone().drop_guard();
    ///     // ... work that must stop the token's watchers however it ends ...
    /// }
    /// assert!(token.is_cancelled());
    ///
    /// let kept = CancelToken::new();
    /// let guard = kept.clone().drop_guard();
    /// assert_eq!(guard.disarm(), kept);
    /// assert!(!kept.is_cancelled());
    /// ```
    pub fn drop_guard(self) -> DropGuard {
        DropGuard { token: Some(self) }
    }

    /// A future that resolves once the token is cancelled. It owns a clone of the token, so it
    /// is `'static` and can be spawned, stored or raced with [`select_first`](crate::select_first).
    ///
    /// # Cancel safety
    ///
    /// Dropping it before it resolves only unregisters its waker.
    pub fn cancelled(&self) -> Cancelled {
        Cancelled {
            token: self.clone(),
            key: None,
        }
    }
}

/// Tokens are equal when they are clones of one another (they share one signal); a child
/// token, or a token made independently, is a different token.
impl PartialEq for CancelToken {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl Eq for CancelToken {}

impl Hash for CancelToken {
    fn hash<H: Hasher>(&self, state: &mut H) {
        Arc::as_ptr(&self.inner).hash(state);
    }
}

/// Cancels its token when dropped, unless [`disarm`](Self::disarm)ed first: from
/// [`CancelToken::drop_guard`].
#[must_use = "a guard dropped at once cancels its token at once"]
#[derive(Debug)]
pub struct DropGuard {
    token: Option<CancelToken>,
}

impl DropGuard {
    /// Gives the token back without cancelling it; the guard is gone.
    pub fn disarm(mut self) -> CancelToken {
        self.token
            .take()
            .expect("a guard holds its token until it is disarmed")
    }
}

impl Drop for DropGuard {
    fn drop(&mut self) {
        if let Some(token) = self.token.take() {
            token.cancel();
        }
    }
}

impl fmt::Debug for CancelToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelToken")
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

/// Future of [`CancelToken::cancelled`]: resolves once the token is cancelled.
#[must_use = "futures do nothing unless polled"]
pub struct Cancelled {
    token: CancelToken,
    key: Option<usize>,
}

impl fmt::Debug for Cancelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Cancelled").field(&self.token).finish()
    }
}

impl Future for Cancelled {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        if this.token.is_cancelled() {
            return Poll::Ready(());
        }
        let inner = &this.token.inner;
        // The usual case, polled again by the same task: nothing to clone or replace.
        if let Some(key) = this.key {
            let waiting = inner.waiting();
            let same =
                matches!(&waiting.wakers.get(key), Some(Some(kept)) if kept.will_wake(cx.waker()));
            if same && !this.token.is_cancelled() {
                return Poll::Pending;
            }
        }
        // Cloned before the lock is taken, and the replaced waker dropped after it is released.
        let waker = cx.waker().clone();
        let replaced = {
            let mut waiting = inner.waiting();
            // Checked again under the lock: `cancel` sets the flag before it takes the wakers.
            if this.token.is_cancelled() {
                drop(waiting);
                return Poll::Ready(());
            }
            match this.key {
                Some(key) => waiting.wakers[key].replace(waker),
                None => {
                    let key = match waiting.free.pop() {
                        Some(key) => {
                            waiting.wakers[key] = Some(waker);
                            key
                        }
                        None => {
                            waiting.wakers.push(Some(waker));
                            waiting.wakers.len() - 1
                        }
                    };
                    this.key = Some(key);
                    None
                }
            }
        };
        drop(replaced);
        Poll::Pending
    }
}

impl Drop for Cancelled {
    fn drop(&mut self) {
        let Some(key) = self.key else { return };
        let unregistered = {
            let mut waiting = self.token.inner.waiting();
            // After a cancellation the lists were emptied: the key is gone already.
            if key < waiting.wakers.len() {
                waiting.free.push(key);
                waiting.wakers[key].take()
            } else {
                None
            }
        };
        // The waker's drop runs outside the lock.
        drop(unregistered);
    }
}

/// Future of [`CancelToken::run_until_cancelled`]: `Some(output)` if the inner future completes
/// first, `None` (with the inner future dropped) once the token is cancelled.
#[must_use = "futures do nothing unless polled; dropping this one drops the inner future"]
#[pin_project]
pub struct RunUntilCancelled<F> {
    #[pin]
    future: Option<F>,
    cancelled: Option<Cancelled>,
}

impl<F> fmt::Debug for RunUntilCancelled<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunUntilCancelled")
            .field("finished", &self.future.is_none())
            .finish_non_exhaustive()
    }
}

impl<F: Future> Future for RunUntilCancelled<F> {
    type Output = Option<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let cancelled = this
            .cancelled
            .as_mut()
            .expect("`run_until_cancelled` polled after completion: it already returned `Ready`");
        let outcome = if Pin::new(cancelled).poll(cx).is_ready() {
            None
        } else {
            let future = this.future.as_mut().as_pin_mut();
            match future.expect("present until completion").poll(cx) {
                Poll::Ready(output) => Some(output),
                Poll::Pending => return Poll::Pending,
            }
        };
        this.future.set(None);
        *this.cancelled = None;
        Poll::Ready(outcome)
    }
}

impl<F: Future> FusedFuture for RunUntilCancelled<F> {
    fn is_terminated(&self) -> bool {
        self.cancelled.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::task::noop_waker_ref;

    fn poll(cancelled: &mut Cancelled) -> Poll<()> {
        Pin::new(cancelled).poll(&mut Context::from_waker(noop_waker_ref()))
    }

    #[test]
    fn a_child_follows_its_parent_but_not_the_other_way() {
        let parent = CancelToken::new();
        let child = parent.child_token();
        let grandchild = child.child_token();
        child.cancel();
        assert!(!parent.is_cancelled());
        assert!(grandchild.is_cancelled());
        let sibling = parent.child_token();
        parent.cancel();
        assert!(sibling.is_cancelled());
        assert!(parent.child_token().is_cancelled());
    }

    #[test]
    fn waiters_are_woken_and_keys_reused() {
        let token = CancelToken::new();
        let mut first = token.cancelled();
        assert!(poll(&mut first).is_pending());
        drop(first);
        let mut second = token.cancelled();
        assert!(poll(&mut second).is_pending());
        assert_eq!(token.inner.waiting().wakers.len(), 1);
        token.cancel();
        token.cancel();
        assert!(poll(&mut second).is_ready());
        assert!(poll(&mut token.cancelled()).is_ready());
    }

    #[test]
    fn child_token_is_amortised_constant_with_many_live_children() {
        // Smaller under miri, where every call costs thousands of times more.
        const LIVE: usize = if cfg!(miri) {
            (1 << 9) - 1
        } else {
            (1 << 14) - 1
        };
        const CALLS: usize = if cfg!(miri) { 1_000 } else { 20_000 };
        let parent = CancelToken::new();
        let kept: Vec<CancelToken> = (0..LIVE).map(|_| parent.child_token()).collect();
        let swept_before = parent.inner.waiting().swept;
        for _ in 0..CALLS {
            drop(parent.child_token());
        }
        let swept = parent.inner.waiting().swept - swept_before;
        // Sweeping on every call would look at all LIVE entries each time.
        assert!(
            swept <= 4 * (LIVE + CALLS),
            "{swept} entries swept for {CALLS} calls with {LIVE} live children"
        );
        drop(kept);
    }
}
