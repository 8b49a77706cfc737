//! The task-group scenarios on tokio (see `group_scenarios`).
#![cfg(feature = "tokio")]

mod group_scenarios;

use std::future::Future;
use std::pin::Pin;

use cancel_cascade::rt::tokio::Tokio;

fn block_on(future: Pin<Box<dyn Future<Output = ()> + Send>>) {
    // A multi-thread runtime that lives until the scenario has made all its checks.
    tokio::runtime::Runtime::new().unwrap().block_on(future);
}

group_scenarios::group_tests!(block_on, Tokio);
