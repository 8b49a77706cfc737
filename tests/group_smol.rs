//! The task-group scenarios on smol (see `group_scenarios`).
#![cfg(feature = "smol")]

mod group_scenarios;

use std::future::Future;
use std::pin::Pin;

use cancel_cascade::rt::smol::Smol;

fn block_on(future: Pin<Box<dyn Future<Output = ()> + Send>>) {
    // The tasks run on smol's global executor threads; this thread only waits.
    smol::block_on(future);
}

group_scenarios::group_tests!(block_on, Smol);
