//! A group that follows a parent token (`with_token`): the parent's cancellation starts the
//! group's, as `cancel()` does, from inside the parent's `cancel`, whoever awaits the group.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll, Wake, Waker};

use super::shared::{Core, StopReason};
use crate::rt::Spawn;
use crate::token::{CancelToken, Cancelled};

/// The group's registration with its parent token: a waker of the parent's, which cancels the
/// group. Dropping it takes the waker out of the parent's list, so a long-lived root token
/// keeps nothing of the groups that followed it once they are joined or dropped.
pub(super) struct Following {
    _registration: Cancelled,
}

/// What the parent's cancellation wakes.
struct Follower<S, E> {
    spawner: Arc<S>,
    core: Weak<Core<E>>,
}

impl<S, E> Wake for Follower<S, E>
where
    S: Spawn + Send + Sync + 'static,
    E: Send + 'static,
{
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if let Some(core) = self.core.upgrade() {
            core.cancel(StopReason::Cancel, self.spawner.now());
        }
    }
}

impl Following {
    /// Makes the group of `core` follow `parent`; a parent cancelled already cancels the group
    /// here, and nothing is registered.
    pub(super) fn start<S, E>(
        parent: &CancelToken,
        spawner: &Arc<S>,
        core: &Arc<Core<E>>,
    ) -> Option<Self>
    where
        S: Spawn + Send + Sync + 'static,
        E: Send + 'static,
    {
        let follower = Arc::new(Follower {
            spawner: Arc::clone(spawner),
            core: Arc::downgrade(core),
        });
        let waker = Waker::from(Arc::clone(&follower));
        let mut registration = parent.cancelled();
        match Pin::new(&mut registration).poll(&mut Context::from_waker(&waker)) {
            Poll::Pending => Some(Following {
                _registration: registration,
            }),
            Poll::Ready(()) => {
                follower.wake_by_ref();
                None
            }
        }
    }
}
