//! Loom models of the readiness set, through the public combinators (the real engine code;
//! its atomics and the parent's waker cell come from loom under `--cfg loom`).
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test --release --test loom_readiness`.
//! `loom::future::block_on` parks until woken, so a lost wake-up shows up as a deadlock that
//! loom reports, in every interleaving it explores.
#![cfg(loom)]

#[allow(dead_code)]
mod support;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use cancel_cascade::{select_first, try_join_all_cancel, try_join_all_cancel_limit};
use futures::future::Either;
use loom::future::{block_on, AtomicWaker};
use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;

/// A child that completes once its gate is opened from another thread, or panics then if it
/// `explodes`.
struct Gate {
    shared: Arc<GateShared>,
    explodes: bool,
}

#[derive(Default)]
struct GateShared {
    open: AtomicBool,
    waker: AtomicWaker,
    polls: AtomicUsize,
}

impl GateShared {
    fn open(&self) {
        self.open.store(true, Ordering::Release);
        self.waker.wake();
    }
}

impl Future for Gate {
    type Output = Result<usize, ()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let polls = self.shared.polls.fetch_add(1, Ordering::Relaxed) + 1;
        self.shared.waker.register_by_ref(cx.waker());
        if self.shared.open.load(Ordering::Acquire) {
            assert!(!self.explodes, "{EXPLOSION}");
            Poll::Ready(Ok(polls))
        } else {
            Poll::Pending
        }
    }
}

fn gates(n: usize) -> (Vec<Gate>, Vec<Arc<GateShared>>) {
    let shared: Vec<Arc<GateShared>> = (0..n).map(|_| Arc::new(GateShared::default())).collect();
    let gates = shared
        .iter()
        .map(|shared| Gate {
            shared: shared.clone(),
            explodes: false,
        })
        .collect();
    (gates, shared)
}

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    // Each model then runs in about a second; every broken variant of the engine that these
    // models catch at 3 they also catch at 2.
    builder.preemption_bound = Some(2);
    builder.check(f);
}

/// Two children woken from two threads while the parent polls: both wakes reach the parent.
#[test]
fn wakes_from_other_threads_are_never_lost() {
    model(|| {
        let (gates, shared) = gates(2);
        let openers: Vec<_> = shared
            .into_iter()
            .map(|gate| thread::spawn(move || gate.open()))
            .collect();
        let outputs = block_on(try_join_all_cancel(gates)).unwrap();
        assert!(outputs.iter().all(|&polls| polls <= 2), "{outputs:?}");
        for opener in openers {
            opener.join().unwrap();
        }
    });
}

/// A clone of a child's waker outlives the combinator and is woken and dropped on another
/// thread while the combinator is dropped: the shared allocation is freed exactly once.
#[test]
fn a_waker_clone_races_with_the_combinator_drop() {
    model(|| {
        let (gates, shared) = gates(2);
        let mut select = select_first(gates);
        let waker = futures::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        assert!(Pin::new(&mut select).poll(&mut cx).is_pending());
        let kept = shared[1]
            .waker
            .take_waker()
            .expect("the child stored its waker");
        let waker_thread = thread::spawn(move || {
            kept.wake_by_ref();
            drop(kept);
        });
        drop(select);
        waker_thread.join().unwrap();
    });
}

/// The wake reaches the parent's latest waker: the parent re-registers with a new waker
/// while a child is woken from another thread.
#[test]
fn the_latest_parent_waker_is_woken() {
    model(|| {
        let (gates, shared) = gates(1);
        let mut select = select_first(gates);
        let first = futures::task::noop_waker();
        assert!(Pin::new(&mut select)
            .poll(&mut Context::from_waker(&first))
            .is_pending());
        let opener = {
            let gate = shared[0].clone();
            thread::spawn(move || gate.open())
        };
        // `block_on` polls with its own waker: only a wake that reaches it ends the wait.
        let (output, index) = block_on(select);
        assert_eq!((output, index), (Ok(2), 0));
        opener.join().unwrap();
    });
}

/// The parent was first polled with a waker that will never poll it again; the next poll
/// registers a new waker while children are woken from two threads. The registration either
/// rewrites the current slot (no reader) or switches to the other one (a reader in the
/// current slot); either way the wakes after it must reach the new waker. (With the old
/// single slot, a registration that met a reader failed, and the race took three preemptions
/// to show; with two slots the failing path needs readers in both, which two waking threads
/// with one registration cannot produce, so two preemptions cover the switch.)
#[test]
fn a_registration_racing_with_wakes_is_never_stale() {
    model(|| {
        let (gates, shared) = gates(2);
        let mut join = try_join_all_cancel(gates);
        let stale = futures::task::noop_waker();
        assert!(Pin::new(&mut join)
            .poll(&mut Context::from_waker(&stale))
            .is_pending());
        let openers: Vec<_> = shared
            .into_iter()
            .map(|gate| thread::spawn(move || gate.open()))
            .collect();
        assert_eq!(block_on(join).unwrap().len(), 2);
        for opener in openers {
            opener.join().unwrap();
        }
    });
}

const EXPLOSION: &str = "a child exploded";

/// A child panics in the parent's pass, which puts the rest of the pass back into the ready
/// set while another thread wakes a sibling in the same ready-set word: neither the put-back
/// children nor the sibling's wake may be lost (a put-back that overwrote the word would drop
/// the sibling's bit, and the parent, already woken by it, would wait forever).
#[test]
fn a_panics_put_back_races_with_a_sibling_wake() {
    support::quiet_panics_containing(EXPLOSION);
    model(|| {
        // Child 0 is opened from another thread; child 1 explodes; child 2 is only woken, so
        // that the panic leaves it to be put back.
        let (mut gates, shared) = gates(3);
        gates[1].explodes = true;
        let mut select = select_first(gates);
        let waker = futures::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        assert!(Pin::new(&mut select).poll(&mut cx).is_pending());
        shared[1].open();
        shared[2].waker.wake();

        let opener = {
            let gate = shared[0].clone();
            thread::spawn(move || gate.open())
        };
        let pass = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            Pin::new(&mut select).poll(&mut cx)
        }));
        match pass {
            // The opening landed before the pass drained child 0's word: child 0 won first.
            Ok(Poll::Ready((output, index))) => assert_eq!((output, index), (Ok(2), 0)),
            Ok(Poll::Pending) => panic!("the pass neither completed nor reached child 1"),
            Err(_) => assert_eq!(block_on(select), (Ok(2), 0)),
        }
        opener.join().unwrap();
    });
}

/// Children in two ready-set words: a wake in the second word sets its summary bit while the
/// parent drains the summary word for a wake in the first. The drain must take the word
/// atomically, or the second bit is lost with its word (it would never be drained again).
#[test]
fn a_wake_in_another_word_races_with_the_summary_drain() {
    model(|| {
        // Only children 0 and 64 (one per word) are gates; the rest never wake.
        let (gates, shared) = gates(2);
        let mut gates = gates.into_iter();
        let children: Vec<_> = (0..65)
            .map(|index| match index {
                0 | 64 => Either::Left(gates.next().unwrap()),
                _ => Either::Right(std::future::pending()),
            })
            .collect();
        let mut select = select_first(children);
        let waker = futures::task::noop_waker();
        assert!(Pin::new(&mut select)
            .poll(&mut Context::from_waker(&waker))
            .is_pending());

        let spurious = {
            let gate = shared[0].clone();
            thread::spawn(move || gate.waker.wake())
        };
        let opener = {
            let gate = shared[1].clone();
            thread::spawn(move || gate.open())
        };
        assert_eq!(block_on(select), (Ok(2), 64));
        spurious.join().unwrap();
        opener.join().unwrap();
    });
}

/// A parent waker that counts its wake-ups, to see when the combinator lets go of it.
struct CountingParent(std::sync::atomic::AtomicUsize);

impl std::task::Wake for CountingParent {
    fn wake(self: std::sync::Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// The combinator is dropped while a child's wake may be reading the parent's waker on another
/// thread: whichever finishes last lets go of the parent's waker, although a clone of the
/// child's waker still holds the shared block.
#[test]
fn a_drop_racing_with_a_wake_lets_go_of_the_parent_waker() {
    model(|| {
        let (gates, shared) = gates(2);
        let mut select = select_first(gates);
        let parent = std::sync::Arc::new(CountingParent(Default::default()));
        let waker = std::task::Waker::from(parent.clone());
        assert!(Pin::new(&mut select)
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
        drop(waker);
        let kept = shared[1]
            .waker
            .take_waker()
            .expect("the child stored its waker");
        let waking = {
            let kept = kept.clone();
            thread::spawn(move || kept.wake_by_ref())
        };
        drop(select);
        waking.join().unwrap();
        assert_eq!(std::sync::Arc::strong_count(&parent), 1);
        drop(kept);
    });
}

/// The parent registers a new waker while a wake may be reading the old one (the registration
/// then switches slots): the wake after it reaches the new waker.
#[test]
fn a_registration_during_a_wake_switches_slots_without_losing_the_next_wake() {
    model(|| {
        let (gates, shared) = gates(2);
        let mut join = try_join_all_cancel(gates);
        let stale = futures::task::noop_waker();
        assert!(Pin::new(&mut join)
            .poll(&mut Context::from_waker(&stale))
            .is_pending());
        let spurious = {
            let gate = shared[0].clone();
            thread::spawn(move || gate.waker.wake())
        };
        let parent = std::sync::Arc::new(CountingParent(Default::default()));
        let waker = std::task::Waker::from(parent.clone());
        let _ = Pin::new(&mut join).poll(&mut Context::from_waker(&waker));
        spurious.join().unwrap();
        let woken = parent.0.load(std::sync::atomic::Ordering::Relaxed);
        shared[1].open();
        assert!(
            parent.0.load(std::sync::atomic::Ordering::Relaxed) > woken,
            "the wake reached the latest waker"
        );
    });
}

/// A child already woken is opened from another thread while the parent's pass reaches it:
/// the drain takes a wake that came before the child's poll (and that poll must see the gate
/// open) and leaves one that came during or after it for the next pass, so the opening is
/// never lost and costs at most one more poll. The opener sets the flag without ordering of
/// its own and wakes a kept clone of the child's waker: only the ready set's orderings make
/// the flag visible to the poll.
#[test]
fn a_wake_racing_with_the_childs_turn_in_the_pass_is_never_lost() {
    model(|| {
        let (gates, shared) = gates(2);
        let mut select = select_first(gates);
        let waker = futures::task::noop_waker();
        assert!(Pin::new(&mut select)
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
        let kept = shared[1]
            .waker
            .take_waker()
            .expect("the child stored its waker");
        // Both children woken: the next pass takes their word and polls them in turn.
        shared[0].waker.wake();
        kept.wake_by_ref();
        let opener = {
            let gate = shared[1].clone();
            thread::spawn(move || {
                gate.open.store(true, Ordering::Relaxed);
                kept.wake();
            })
        };
        let (output, index) = block_on(select);
        assert_eq!(index, 1);
        assert!(output.unwrap() <= 3, "child 1 polled once per wake at most");
        opener.join().unwrap();
    });
}

/// A bounded join with one slot: child 0 completes and child 1 takes its slot while a clone of
/// child 0's waker is woken, then dropped, on another thread, and child 1 is opened from a
/// third. The slot's generation advances as it restarts: the old waker's wake may race with
/// the restart (and then poll child 1 once more) but the opening of child 1 is never lost, and
/// the block is freed once, by whichever goes last.
#[test]
fn a_stale_waker_races_with_its_slots_next_child() {
    model(|| {
        let (gates, shared) = gates(2);
        let mut join = try_join_all_cancel_limit(gates, 1);
        let waker = futures::task::noop_waker();
        assert!(Pin::new(&mut join)
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
        let kept = shared[0]
            .waker
            .take_waker()
            .expect("child 0 stored its waker");
        let stale = kept.clone();
        shared[0].waker.register_by_ref(&kept);
        drop(kept);
        shared[0].open();
        let stale = thread::spawn(move || stale.wake());
        let opener = {
            let gate = shared[1].clone();
            thread::spawn(move || gate.open())
        };
        let outputs = block_on(join).unwrap();
        assert_eq!(outputs[0], 2);
        // Polled at its start and after its opening, and once more at most if the stale wake
        // read the slot's former generation just before the restart.
        assert!(outputs[1] <= 3, "{outputs:?}");
        stale.join().unwrap();
        opener.join().unwrap();
    });
}

/// A scope task large enough that the scope's first chunk holds four slots, so that five
/// tasks running at once span two chunks, each with its own readiness block linked to the
/// scope's word of flagged chunks. One with `yields` set wakes itself and waits once, then
/// waits for its gate.
struct Big {
    gate: Gate,
    yields: bool,
    _room: [u8; 1100],
}

impl Future for Big {
    type Output = Result<(), ()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if std::mem::take(&mut self.yields) {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        Pin::new(&mut self.gate)
            .poll(cx)
            .map(|output| output.map(drop))
    }
}

/// Five tasks in two chunks (slots 0 to 3 of the first, slot 0 of the second). Tasks 0 to 2 are
/// open and wait once each; task 3 (first chunk) and task 4 (second chunk) are opened from
/// their own threads while the scope polls on the main one. Every wake reaches the scope,
/// whichever chunk's summary and flag it races with (a lost one deadlocks `block_on`), and
/// each opened task is polled a bounded number of times: at its start, after its opening, and
/// once more at most when a wake races with the gate's registration.
#[test]
fn wakes_in_two_chunks_of_a_scope_race_with_its_drains() {
    model(|| {
        let (gates, shared) = gates(5);
        for gate in &shared[..3] {
            gate.open.store(true, Ordering::Relaxed);
        }
        let run = cancel_cascade::scope(move |s| async move {
            for (i, gate) in gates.into_iter().enumerate() {
                s.spawn(Big {
                    gate,
                    yields: i < 3,
                    _room: [0; 1100],
                });
            }
            Ok::<(), ()>(())
        });
        let openers: Vec<_> = [3, 4]
            .into_iter()
            .map(|i| {
                let gate = shared[i].clone();
                thread::spawn(move || gate.open())
            })
            .collect();
        assert_eq!(block_on(run), Ok(()));
        for i in [3, 4] {
            let polls = shared[i].polls.load(Ordering::Relaxed);
            assert!(polls <= 3, "task {i} polled {polls} times");
        }
        for opener in openers {
            opener.join().unwrap();
        }
    });
}
