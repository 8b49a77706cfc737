//! `until_stopped`: a future's output, once the future and every task it let go of have stopped.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_core::future::FusedFuture;
use pin_project::{pin_project, pinned_drop};

use crate::live::{Node, Tracked};
use crate::sync::Arc;

/// Runs `future`, then waits until every task it let go of has stopped, and gives its output.
///
/// A [`TaskHandle`](crate::TaskHandle) dropped inside a task spawned through this crate makes
/// that task wait for the cancelled task (see [`TaskHandle`](crate::TaskHandle)'s `# Who waits
/// for a dropped handle`). Outside any such task, nobody waits: a combinator racing handles
/// returns while the losers it dropped are still stopping. `until_stopped` gives a future that
/// wait wherever it runs: handles dropped inside `future` (by a combinator, or on its way out),
/// [`TaskGroup`](crate::TaskGroup)s it dropped without joining, at any depth of spawned tasks,
/// all count against it, and it resolves only once they have all stopped, their destructors
/// included.
///
/// What leaves in the output is the receiver's: a handle returned by `future` is not waited
/// for here. Needs no runtime of its own.
///
/// # Cancellation
///
/// `future` is dropped as soon as it completes (in the poll that sees its output), so what it
/// owns is let go of then. Dropping the returned future drops `future`; what was still
/// stopping is then handed over like a dropped handle: the task that drops it (if it was
/// spawned through this crate) waits for it.
///
/// # Examples
///
/// Racing handles: the losers are cancelled by `select_first`, and `until_stopped` returns
/// once they are gone.
///
/// ```
/// use cancel_cascade::rt::Spawn;
/// use cancel_cascade::{select_first, until_stopped};
/// # use futures::executor::block_on;
/// # use std::future::Future;
/// # struct ThreadPerTask;
/// # impl Spawn for ThreadPerTask {
/// #     fn spawn_detached<F: Future<Output = ()> + Send + 'static>(&self, future: F) {
/// #         std::thread::spawn(move || block_on(future));
/// #     }
/// # }
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
///
/// struct CountDrop(Arc<AtomicUsize>);
///
/// impl Drop for CountDrop {
///     fn drop(&mut self) {
///         self.0.fetch_add(1, Ordering::SeqCst);
///     }
/// }
///
/// # block_on(async {
/// let dropped = Arc::new(AtomicUsize::new(0));
/// let racers = (0..4).map(|i| {
///     let guard = CountDrop(Arc::clone(&dropped));
///     ThreadPerTask.spawn_task(async move {
///         let _guard = guard;
///         if i != 2 {
///             std::future::pending::<()>().await;
///         }
///         i
///     })
/// });
/// let (winner, index) = until_stopped(select_first(racers)).await;
/// assert_eq!((winner, index), (2, 2));
/// assert_eq!(dropped.load(Ordering::SeqCst), 4, "every racer has stopped");
/// # });
/// ```
///
/// # Panics
///
/// Polling the returned future again after it returned `Ready` panics. A panic of `future`
/// passes through.
#[track_caller]
pub fn until_stopped<F: Future>(future: F) -> UntilStopped<F> {
    let node = Node::for_task();
    UntilStopped {
        running: Some(Tracked::new(Some(Arc::clone(&node)), future)),
        output: None,
        node: Some(node),
    }
}

/// Future of [`until_stopped`]: the output of a future once it, and every task it let go of,
/// has stopped.
#[must_use = "futures do nothing unless polled"]
#[pin_project(PinnedDrop)]
pub struct UntilStopped<F: Future> {
    /// The future, with its node current while it is polled and dropped.
    #[pin]
    running: Option<Tracked<F>>,
    /// The output, kept while what the future let go of stops.
    output: Option<F::Output>,
    /// What counts the future and what it let go of; `None` once `Ready` was returned.
    node: Option<Arc<Node>>,
}

impl<F: Future> fmt::Debug for UntilStopped<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UntilStopped")
            .field("running", &self.running.is_some())
            .field("terminated", &self.node.is_none())
            .finish()
    }
}

impl<F: Future> Future for UntilStopped<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let mut this = self.project();
        let node = this
            .node
            .as_ref()
            .expect("`until_stopped` polled after completion: it already returned `Ready`");
        if let Some(running) = this.running.as_mut().as_pin_mut() {
            let output = ready!(running.poll(cx));
            *this.output = Some(output);
            // Dropped now, with its node current: what it owned counts against the node.
            this.running.set(None);
        }
        ready!(node.poll_stopped(cx));
        *this.node = None;
        Poll::Ready(this.output.take().expect("kept until returned"))
    }
}

impl<F: Future> FusedFuture for UntilStopped<F> {
    fn is_terminated(&self) -> bool {
        self.node.is_none()
    }
}

#[pinned_drop]
impl<F: Future> PinnedDrop for UntilStopped<F> {
    fn drop(self: Pin<&mut Self>) {
        let mut this = self.project();
        this.running.set(None);
        // Still stopping: whoever drops this answers for it, as for a dropped handle.
        if let Some(node) = this.node.take() {
            Node::hand_over(&node);
        }
    }
}
