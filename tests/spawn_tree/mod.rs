//! Runs a spawn-tree scenario on each runtime: `on_each_runtime!(scenario, ...)` in a test file
//! makes one `#[test]` per scenario and runtime (`tokio::scenario`, `smol::scenario`,
//! `async_std::scenario`). A scenario is an `async fn(spawner)`, generic over the spawner; it
//! runs on a runtime that stays alive for all of its checks, under a watchdog that turns a hang
//! into a failure.
//!
//! The test file declares `mod support;` and `#[path = "support/tasks.rs"] mod tasks;` next to
//! `mod spawn_tree;`.

use std::future::Future;
use std::time::Duration;

use crate::support::watchdog;

/// Every scenario finishes well within this; past it, the watchdog fails the test.
pub(crate) const LIMIT: Duration = Duration::from_secs(30);

#[cfg(feature = "tokio")]
pub(crate) fn on_tokio<F: Future<Output = ()> + Send + 'static>(what: &str, scenario: F) {
    // Two workers, timers on (what `#[tokio::main]` gives).
    watchdog(what, LIMIT, move || {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("build a tokio runtime")
            .block_on(scenario)
    });
}

#[cfg(feature = "smol")]
pub(crate) fn on_smol<F: Future<Output = ()> + Send + 'static>(what: &str, scenario: F) {
    watchdog(what, LIMIT, move || smol::block_on(scenario));
}

#[cfg(feature = "async-std")]
pub(crate) fn on_async_std<F: Future<Output = ()> + Send + 'static>(what: &str, scenario: F) {
    watchdog(what, LIMIT, move || async_std::task::block_on(scenario));
}

macro_rules! on_each_runtime {
    ($($scenario:ident),* $(,)?) => {
        #[cfg(feature = "tokio")]
        mod tokio {
            $(
                #[test]
                fn $scenario() {
                    use cancel_cascade::rt::tokio::Tokio;
                    $crate::spawn_tree::on_tokio(stringify!($scenario), super::$scenario(Tokio));
                }
            )*
        }
        #[cfg(feature = "smol")]
        mod smol {
            $(
                #[test]
                fn $scenario() {
                    use cancel_cascade::rt::smol::Smol;
                    $crate::spawn_tree::on_smol(stringify!($scenario), super::$scenario(Smol));
                }
            )*
        }
        #[cfg(feature = "async-std")]
        mod async_std {
            $(
                #[test]
                fn $scenario() {
                    use cancel_cascade::rt::async_std::AsyncStd;
                    $crate::spawn_tree::on_async_std(
                        stringify!($scenario),
                        super::$scenario(AsyncStd),
                    );
                }
            )*
        }
    };
}

pub(crate) use on_each_runtime;
