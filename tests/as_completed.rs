//! `as_completed`: each child's output as it completes, in completion order (ascending index
//! within one parent poll), each child dropped as it completes, the rest dropped with the
//! stream; polled by hand to check every point of the contract.

#[allow(dead_code)]
mod support;

use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::Duration;

use cancel_cascade::as_completed;
use futures::stream::{FusedStream, Stream};
use support::{watchdog, Log, Opener, Rng, WakeCounter};

fn next<S: Stream + Unpin>(stream: &mut S, waker: &Waker) -> Poll<Option<S::Item>> {
    Pin::new(stream).poll_next(&mut Context::from_waker(waker))
}

#[test]
fn lazy_then_in_completion_order_with_ascending_index_within_a_poll() {
    let log = Log::new();
    let (gates, openers) = log.gates(0..6);
    let parent = WakeCounter::new();
    let waker = parent.waker();
    let mut stream = as_completed(gates);
    assert_eq!(log.polls(), 0, "no child polled before the stream is");
    assert_eq!(stream.size_hint(), (6, Some(6)));
    assert_eq!(next(&mut stream, &waker), Poll::Pending);
    assert_eq!(log.poll_order(), [0, 1, 2, 3, 4, 5]);

    openers[4].open();
    assert_eq!(next(&mut stream, &waker), Poll::Ready(Some((4, 4))));
    assert_eq!(
        log.drop_order(),
        [4],
        "dropped before its output was yielded"
    );
    // Two children complete before the next poll: both come out of one pass, by index.
    openers[5].open();
    openers[1].open();
    assert_eq!(next(&mut stream, &waker), Poll::Ready(Some((1, 1))));
    assert_eq!(
        log.drop_order(),
        [4, 1, 5],
        "the whole pass ran in that poll"
    );
    assert_eq!(next(&mut stream, &waker), Poll::Ready(Some((5, 5))));
    assert_eq!(stream.size_hint(), (3, Some(3)));
    assert_eq!(next(&mut stream, &waker), Poll::Pending);

    for index in [3, 0, 2] {
        openers[index].open();
        assert_eq!(next(&mut stream, &waker), Poll::Ready(Some((index, index))));
    }
    assert!(!stream.is_terminated());
    assert_eq!(next(&mut stream, &waker), Poll::Ready(None));
    assert!(stream.is_terminated());
    assert_eq!(
        next(&mut stream, &waker),
        Poll::Ready(None),
        "fused: None for good"
    );
    assert!(
        openers.iter().all(|opener| opener.polls() == 2),
        "two polls per child, each woken once"
    );
    openers[0].wake();
    assert_eq!(log.polls(), 12, "a late wake polls nothing");
}

#[test]
fn dropping_the_stream_drops_the_rest_in_index_order_with_the_unyielded_outputs() {
    let log = Log::new();
    let outputs = Log::new();
    let (gates, openers) = log.gates((0..6).map(|index| outputs.token(index)));
    let waker = WakeCounter::new().waker();
    let mut stream = as_completed(gates);
    assert!(next(&mut stream, &waker).is_pending());
    openers[2].open();
    openers[4].open();
    let Poll::Ready(Some((2, first))) = next(&mut stream, &waker) else {
        panic!("child 2 came first");
    };
    drop(first);
    assert_eq!(log.drop_order(), [2, 4]);
    drop(stream);
    assert_eq!(log.drop_order(), [2, 4, 0, 1, 3, 5]);
    assert_eq!(
        outputs.drop_order(),
        [2, 0, 1, 3, 5, 4],
        "the running children's values with them, then child 4's output, not yielded yet"
    );
    assert!(openers.iter().all(|opener| opener.drops() == 1));
}

#[test]
fn wakes_reach_the_latest_parent_waker() {
    let log = Log::new();
    let (gates, openers) = log.gates(0..3);
    let (first, second) = (WakeCounter::new(), WakeCounter::new());
    let mut stream = as_completed(gates);
    assert_eq!(next(&mut stream, &first.waker()), Poll::Pending);
    openers[0].wake();
    assert_eq!(first.wakes(), 1);
    assert_eq!(next(&mut stream, &second.waker()), Poll::Pending);
    openers[1].open();
    assert_eq!((first.wakes(), second.wakes()), (1, 1));
    assert_eq!(
        next(&mut stream, &second.waker()),
        Poll::Ready(Some((1, 1)))
    );
    assert_eq!(openers[2].polls(), 1, "only woken children are polled");
}

#[test]
fn wakes_from_other_threads_drain_every_child() {
    const CHILDREN: usize = if cfg!(miri) { 100 } else { 3000 };
    watchdog(
        "as_completed across threads",
        Duration::from_secs(120),
        || {
            let log = Log::new();
            let (gates, openers) = log.gates(0..CHILDREN);
            let mut order: Vec<usize> = (0..CHILDREN).collect();
            Rng::new(11).shuffle(&mut order);
            let mut stream = as_completed(gates);
            let parents = [WakeCounter::new(), WakeCounter::new()];
            assert_eq!(next(&mut stream, &parents[0].waker()), Poll::Pending);
            let threads: Vec<_> = (0..3)
                .map(|part| {
                    let mine: Vec<Opener> = order
                        .iter()
                        .skip(part)
                        .step_by(3)
                        .map(|&index| openers[index].clone())
                        .collect();
                    thread::spawn(move || mine.iter().for_each(Opener::open))
                })
                .collect();
            let mut seen = Vec::new();
            for round in 0.. {
                let parent = &parents[round % 2];
                let wakes = parent.wakes();
                match next(&mut stream, &parent.waker()) {
                    Poll::Ready(Some((index, output))) => {
                        assert_eq!(index, output);
                        seen.push(index);
                    }
                    Poll::Ready(None) => break,
                    Poll::Pending => {
                        parent.wait_past(wakes, Duration::from_secs(30));
                    }
                }
            }
            threads.into_iter().for_each(|t| t.join().unwrap());
            seen.sort_unstable();
            assert_eq!(seen, (0..CHILDREN).collect::<Vec<_>>());
            assert!(openers.iter().all(|opener| opener.polls() <= 2));
            assert_eq!(log.drops(), CHILDREN);
        },
    );
}

#[test]
fn a_panicking_child_passes_through_and_the_rest_go_with_the_stream() {
    let log = Log::new();
    let (gates, openers) = log.gates(0..4);
    let children: Vec<_> = gates
        .into_iter()
        .enumerate()
        .map(|(index, gate)| async move {
            let value = gate.await;
            assert!(index != 2, "child 2 exploded");
            value
        })
        .map(Box::pin)
        .collect();
    let waker = WakeCounter::new().waker();
    let mut stream = as_completed(children);
    assert_eq!(next(&mut stream, &waker), Poll::Pending);
    openers[2].open();
    support::quiet_panics_containing("child 2 exploded");
    let polled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        next(&mut stream, &waker).is_ready()
    }));
    assert!(polled.is_err());
    drop(stream);
    assert_eq!(log.drops(), 4);
}
