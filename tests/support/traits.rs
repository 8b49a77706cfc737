//! Point 6 of the contract at compile time, shared by the files that check it: the negative
//! check (`assert_not_impl!`, the ambiguity trick), the positive ones, and two children that
//! the combinators must cope with: one that must never move once polled, one that must stay on
//! its thread (and has no `Debug`).
//!
//! `<T as AmbiguousIfImpl<_>>::some_item` names one impl when `T` lacks the trait and two (a
//! compile error) when it has it.

use std::fmt::Debug;
use std::future::Future;
use std::marker::{PhantomData, PhantomPinned};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use futures::future::{FusedFuture, Pending};
use pin_project::pin_project;

use crate::support::Gate;

/// Fails to compile if `$ty` implements `$trait_`.
macro_rules! assert_not_impl {
    ($ty:ty: $trait_:path) => {
        const _: fn() = || {
            trait AmbiguousIfImpl<A> {
                fn some_item() {}
            }
            impl<T: ?Sized> AmbiguousIfImpl<()> for T {}
            #[allow(dead_code)]
            struct Invalid;
            impl<T: ?Sized + $trait_> AmbiguousIfImpl<Invalid> for T {}
            let _ = <$ty as AmbiguousIfImpl<_>>::some_item;
        };
    };
}
pub(crate) use assert_not_impl;

pub(crate) fn assert_unpin<T: Unpin>() {}
pub(crate) fn assert_send<T: Send>() {}
pub(crate) fn assert_fused<T: FusedFuture>() {}
pub(crate) fn assert_debug<T: Debug>() {}

/// A child that must never move once polled: `futures::future::pending` pinned down.
#[pin_project]
pub(crate) struct Immovable<T> {
    #[pin]
    inner: Pending<T>,
    // pin-project derives `Unpin` from the `#[pin]` fields only.
    #[pin]
    _pinned: PhantomPinned,
}

impl<T> Future for Immovable<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        self.project().inner.poll(cx)
    }
}

/// A child that must stay on its thread, and that has no `Debug` either.
pub(crate) struct ThreadBound<T>(Gate<T>, PhantomData<Rc<()>>);

impl<T> ThreadBound<T> {
    pub(crate) fn new(gate: Gate<T>) -> Self {
        ThreadBound(gate, PhantomData)
    }
}

impl<T> Future for ThreadBound<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        Pin::new(&mut self.0).poll(cx)
    }
}
