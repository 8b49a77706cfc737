//! The children of every scenario: each waits at a gate opened by hand, keeps the waker of its
//! latest pending poll where the bench can wake it, and counts its own drop on the board (the
//! drop-observable resource that proves siblings were cancelled).

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use super::counting::note_child_poll;

/// What a child's next poll returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Gate {
    /// `Pending`, after storing the waker.
    Closed,
    /// `Ok(index)`.
    Open,
    /// `Err(Failed(index))`.
    Fail,
}

/// The error of a child whose gate was opened with [`Gate::Fail`].
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Failed(pub(crate) usize);

/// The gates, stored wakers and drop count of one set of children.
pub(crate) struct Board {
    gates: Box<[Cell<Gate>]>,
    wakers: Box<[Cell<Option<Waker>>]>,
    dropped: Cell<usize>,
    /// With [`Board::tracking`]: the children that went pending and were not opened since, in
    /// the order they went pending (for scenarios whose children start one by one).
    waiting: Option<RefCell<Vec<usize>>>,
}

impl Board {
    pub(crate) fn new(len: usize, gate: Gate) -> Rc<Self> {
        Rc::new(Board {
            gates: (0..len).map(|_| Cell::new(gate)).collect(),
            wakers: (0..len).map(|_| Cell::new(None)).collect(),
            dropped: Cell::new(0),
            waiting: None,
        })
    }

    /// A board that also keeps the list of waiting children (see [`Board::open_waiting`]).
    pub(crate) fn tracking(len: usize, gate: Gate) -> Rc<Self> {
        let mut board = Rc::try_unwrap(Board::new(len, gate))
            .ok()
            .expect("a fresh board");
        board.waiting = Some(RefCell::new(Vec::with_capacity(len)));
        Rc::new(board)
    }

    /// Opens the waiting child at position `pick(waiting)` of the waiting list, and wakes it;
    /// `None` if no child waits.
    pub(crate) fn open_waiting(&self, pick: impl FnOnce(usize) -> usize) -> Option<usize> {
        let mut waiting = self
            .waiting
            .as_ref()
            .expect("a tracking board")
            .borrow_mut();
        if waiting.is_empty() {
            return None;
        }
        let at = pick(waiting.len());
        let index = waiting.swap_remove(at);
        drop(waiting);
        self.open(index, Gate::Open);
        Some(index)
    }

    /// How many children wait (tracking boards only).
    pub(crate) fn waiting(&self) -> usize {
        self.waiting
            .as_ref()
            .map_or(0, |waiting| waiting.borrow().len())
    }

    pub(crate) fn len(&self) -> usize {
        self.gates.len()
    }

    /// Every gate set to `gate`, every stored waker dropped, the drop count zeroed.
    pub(crate) fn reset(&self, gate: Gate) {
        for (gate_cell, waker) in self.gates.iter().zip(self.wakers.iter()) {
            gate_cell.set(gate);
            waker.take();
        }
        self.dropped.set(0);
        if let Some(waiting) = &self.waiting {
            waiting.borrow_mut().clear();
        }
    }

    /// One child per gate, in index order.
    pub(crate) fn children(self: &Rc<Self>) -> Vec<Gated> {
        (0..self.len())
            .map(|index| Gated {
                board: Rc::clone(self),
                index,
            })
            .collect()
    }

    /// Sets child `index`'s gate and wakes the waker of its latest pending poll, if any.
    pub(crate) fn open(&self, index: usize, gate: Gate) {
        self.gates[index].set(gate);
        if let Some(waker) = self.wakers[index].take() {
            waker.wake();
        }
    }

    /// How many children were dropped since the last reset.
    pub(crate) fn dropped(&self) -> usize {
        self.dropped.get()
    }
}

/// Child `index` of a board: a future that does nothing but look at its gate.
pub(crate) struct Gated {
    board: Rc<Board>,
    index: usize,
}

impl Future for Gated {
    type Output = Result<usize, Failed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        note_child_poll();
        let board = &*self.board;
        match board.gates[self.index].get() {
            Gate::Open => Poll::Ready(Ok(self.index)),
            Gate::Fail => Poll::Ready(Err(Failed(self.index))),
            Gate::Closed => {
                // Like any well-behaved leaf future: keep the stored waker when it would wake
                // the same task, clone the new one otherwise.
                let slot = &board.wakers[self.index];
                let waker = match slot.take() {
                    Some(stored) if stored.will_wake(cx.waker()) => stored,
                    Some(_) => cx.waker().clone(),
                    None => {
                        if let Some(waiting) = &board.waiting {
                            waiting.borrow_mut().push(self.index);
                        }
                        cx.waker().clone()
                    }
                };
                slot.set(Some(waker));
                Poll::Pending
            }
        }
    }
}

impl Drop for Gated {
    fn drop(&mut self) {
        let dropped = &self.board.dropped;
        dropped.set(dropped.get() + 1);
    }
}
