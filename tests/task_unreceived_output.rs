//! A task's output that nobody receives is the task's to let go of: when a task finishes with
//! handles in its output but its own handle is dropped before the output is taken, the runtime
//! drops that output later, outside any task. Those handles must still count against the task
//! (and so against whoever waits for it), or `cancel().await` higher up returns while they run.
//!
//! Driven by hand on an executor that keeps finished futures until told to drop them, the order
//! that a busy runtime produces only by chance.
#![cfg(all(feature = "std", not(loom)))]

#[allow(dead_code)]
mod support;
#[allow(dead_code)]
#[path = "support/tasks.rs"]
mod tasks;

use std::future::{pending, Future};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use cancel_cascade::rt::Spawn;
use futures::task::noop_waker_ref;
use tasks::Alive;

type Boxed = Pin<Box<dyn Future<Output = ()> + Send>>;

/// An executor polled by hand: `run_once` polls every unfinished task once, in spawn order
/// (tasks spawned during the pass included); finished tasks stay until `drop_finished`.
#[derive(Clone, Default)]
struct Manual(Arc<Mutex<Vec<(Boxed, bool)>>>);

impl Spawn for Manual {
    fn spawn_detached<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.0.lock().unwrap().push((Box::pin(future), false));
    }
}

impl Manual {
    fn run_once(&self) {
        let mut cx = Context::from_waker(noop_waker_ref());
        let mut index = 0;
        loop {
            // Taken out for the poll, which may spawn (and so lock the queue).
            let mut future: Boxed = {
                let mut queue = self.0.lock().unwrap();
                match queue.get_mut(index) {
                    None => break,
                    Some((_, true)) => {
                        index += 1;
                        continue;
                    }
                    Some((future, false)) => std::mem::replace(future, Box::pin(async {})),
                }
            };
            let finished = future.as_mut().poll(&mut cx).is_ready();
            self.0.lock().unwrap()[index] = (future, finished);
            index += 1;
        }
    }

    fn drop_finished(&self) {
        let finished: Vec<_> = {
            let mut queue = self.0.lock().unwrap();
            let (finished, running) = std::mem::take(&mut *queue)
                .into_iter()
                .partition(|(_, finished)| *finished);
            *queue = running;
            finished
        };
        // Outside the lock, and outside any task.
        drop(finished);
    }
}

#[test]
fn handles_in_an_output_dropped_by_the_executor_count_against_their_task() {
    let manual = Manual::default();
    let alive = Alive::new();
    let parent = {
        let (outer, alive) = (manual.clone(), Arc::clone(&alive));
        manual.spawn_task(async move {
            let inner = outer.clone();
            let finished = outer.spawn_task(async move {
                let guard = alive.guard();
                // Handed on in the output, never received.
                vec![inner.spawn_task(async move {
                    let _guard = guard;
                    pending::<()>().await
                })]
            });
            let _finished = finished;
            pending::<()>().await
        })
    };
    manual.run_once();
    assert_eq!(alive.count(), 1, "the handed-on task runs");

    let mut cancel = Box::pin(parent.cancel());
    let mut cx = Context::from_waker(noop_waker_ref());
    assert!(cancel.as_mut().poll(&mut cx).is_pending());
    // The parent's future is dropped, with the handle of its finished child; the child's
    // output is still in the executor's hands.
    manual.run_once();
    // The executor lets go of the finished child, and with it the unreceived output.
    manual.drop_finished();
    assert!(
        cancel.as_mut().poll(&mut cx).is_pending(),
        "`cancel().await` returned while a task handed on in an unreceived output still runs"
    );
    manual.run_once();
    assert_eq!(cancel.as_mut().poll(&mut cx), Poll::Ready(None));
    assert_eq!(alive.count(), 0);
}
