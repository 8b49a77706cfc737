//! placeholder
#![no_std]
#![warn(
    missing_docs,
    missing_debug_implementations,
    rust_2018_idioms,
    unreachable_pub
)]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod children;
mod readiness;
mod select_first;
mod try_join_all_cancel;
mod try_join_cancel;
mod wait_any;

pub use select_first::{select_first, SelectFirst};
pub use try_join_all_cancel::{try_join_all_cancel, TryJoinAllCancel};
pub use try_join_cancel::{try_join_cancel, tuples, TryJoinCancel, TryJoinTuple};
pub use wait_any::{wait_any, WaitAny};
