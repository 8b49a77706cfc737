//! [`WaitingFor`]: what a group's `join` still waits for, as a tree of tasks.

use std::fmt;
use std::panic::Location;
use std::vec::Vec;

use crate::live::{Node, Running};
use crate::TaskId;

/// What a [`TaskGroup`](super::TaskGroup)'s `join` waits for at one moment: every task not yet
/// stopped under the group, at any depth of the spawn tree, with its id and the place in the
/// code where it was spawned. Made by [`TaskGroup::waiting_for`](super::TaskGroup::waiting_for)
/// (and the same on [`GroupSpawner`](super::GroupSpawner) and [`TaskSet`](super::TaskSet)).
///
/// `Display` prints one line per task, each under the task that spawned it (or that waits for
/// it since it let go of it), indented by two spaces per level; a group created inside a task
/// is a line of its own, with its tasks under it:
///
/// ```text
/// task 2 spawned at src/main.rs:12:11
///   task 5 spawned at src/main.rs:14:24
///   group 6 created at src/worker.rs:30:21
///     task 7 spawned at src/worker.rs:31:15
/// ```
///
/// A snapshot: a task may stop, or a new one start, as soon as it is taken. It holds no task
/// and keeps nothing alive.
///
/// # Examples
///
/// ```
/// # #[cfg(feature = "tokio")]
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use cancel_cascade::rt::tokio::Tokio;
/// use cancel_cascade::TaskGroup;
///
/// let mut group = TaskGroup::<_, ()>::new(Tokio);
/// let stuck = group.spawn(std::future::pending::<Result<(), ()>>());
/// let line = line!() - 1;
/// let waiting = group.waiting_for();
/// assert_eq!(waiting.len(), 1);
/// assert!(!waiting.is_empty());
/// assert_eq!(waiting.task_ids().collect::<Vec<_>>(), [stuck.id()]);
/// assert_eq!(waiting.spawned_at(stuck.id()).unwrap().line(), line);
/// assert!(waiting.to_string().starts_with(&format!("task {} spawned at ", stuck.id())));
/// group.shutdown().await.unwrap();
/// assert!(group.waiting_for().is_empty());
/// # });
/// ```
#[derive(Clone)]
pub struct WaitingFor {
    running: Vec<Running>,
}

impl WaitingFor {
    pub(super) fn under(node: &Node) -> Self {
        WaitingFor {
            running: node.walk_running(),
        }
    }

    /// How many tasks (and groups created inside them) have not stopped. See the example on
    /// [`WaitingFor`], as for the other methods.
    pub fn len(&self) -> usize {
        self.running.len()
    }

    /// Whether nothing is left to wait for: every task has stopped.
    pub fn is_empty(&self) -> bool {
        self.running.is_empty()
    }

    /// The ids of the tasks listed, the groups' left out, in the order they are printed.
    pub fn task_ids(&self) -> impl Iterator<Item = TaskId> + '_ {
        self.running
            .iter()
            .filter(|running| !running.is_group)
            .map(|running| running.id)
    }

    /// Where the task `id` was spawned (or the group created), if it is listed.
    pub fn spawned_at(&self, id: TaskId) -> Option<&'static Location<'static>> {
        self.running
            .iter()
            .find(|running| running.id == id)
            .map(|running| running.spawned_at)
    }
}

impl fmt::Display for WaitingFor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (line, running) in self.running.iter().enumerate() {
            if line > 0 {
                f.write_str("\n")?;
            }
            let (kind, verb) = if running.is_group {
                ("group", "created")
            } else {
                ("task", "spawned")
            };
            write!(
                f,
                "{:indent$}{kind} {} {verb} at {}",
                "",
                running.id,
                running.spawned_at,
                indent = 2 * running.depth
            )?;
        }
        Ok(())
    }
}

impl fmt::Debug for WaitingFor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.running.iter().map(|running| {
                (
                    running.depth,
                    running.id,
                    running.is_group,
                    running.spawned_at,
                )
            }))
            .finish()
    }
}
