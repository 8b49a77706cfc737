//! The task-group scenarios on async_std (see `group_scenarios`).
#![cfg(feature = "async-std")]

mod group_scenarios;

use std::future::Future;
use std::pin::Pin;

use cancel_cascade::rt::async_std::AsyncStd;

fn block_on(future: Pin<Box<dyn Future<Output = ()> + Send>>) {
    async_std::task::block_on(future);
}

group_scenarios::group_tests!(block_on, AsyncStd);
