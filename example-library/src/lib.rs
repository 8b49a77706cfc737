//! A library generic over the spawner: it fetches a batch of items in a `TaskGroup` with a
//! deadline, and leaves the choice of runtime (and of its timer) to its user. It is built with
//! cancel-cascade's `std` feature alone, and compiles no runtime and no timer crate.

use std::time::Duration;

use cancel_cascade::rt::Spawn;
use cancel_cascade::{GroupOutcome, TaskGroup};

/// How long one item takes to fetch, on the spawner's clock.
pub type Latency = fn(u32) -> Duration;

/// Fetches items `0..count`, each taking `latency(item)` on the spawner's timer, within
/// `timeout`: the items fetched in time (in order), and whether the deadline passed. Every task
/// has stopped when it returns.
pub async fn fetch_within<S>(
    spawner: S,
    count: u32,
    latency: Latency,
    timeout: Duration,
) -> (Vec<u32>, GroupOutcome)
where
    S: Spawn + Clone + Send + Sync + 'static,
{
    let fetched = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut group = TaskGroup::<S, ()>::new(spawner.clone()).with_timeout(timeout);
    for item in 0..count {
        let (spawner, fetched) = (spawner.clone(), std::sync::Arc::clone(&fetched));
        group.spawn(async move {
            let until = spawner.now() + latency(item);
            spawner.sleep_until(until).await;
            fetched.lock().unwrap().push(item);
            Ok(())
        });
    }
    let outcome = group
        .join_outcome()
        .await
        .unwrap_or_else(|()| unreachable!());
    let mut fetched = std::mem::take(&mut *fetched.lock().unwrap());
    fetched.sort_unstable();
    (fetched, outcome)
}
