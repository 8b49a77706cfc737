//! A worker pool on one `TaskSet`: each job's result read as it completes while jobs keep arriving,
//! at most four jobs at once, and a graceful shutdown on a signal: jobs in flight get a grace
//! period, jobs still waiting for a slot are dropped, and the pool returns once every job has
//! stopped.
//!
//! `with_limit` is the pool size (`spawn` never blocks; the producer's `ready()` keeps it from
//! queueing without bound), `join_next` gives results in completion order, a failing job cancels
//! the rest, and `cancel()` followed by draining `join_next` is the shutdown. It does the job of
//! tokio's `JoinSet` + `Semaphore` + `CancellationToken`. The signal is simulated; a service would
//! wait for `tokio::signal::ctrl_c()` instead. Needs `--features tokio`.
//!
//! Replays asyncio's tasks fed from a queue: `as_completed`, a `Semaphore`, `cancel()` on SIGTERM.

use std::time::Duration;

use cancel_cascade::rt::tokio::Tokio;
use cancel_cascade::TaskSet;
use tokio::sync::oneshot;
use tokio::time::sleep;

/// A job: takes a while, then returns its result.
async fn job(id: u32) -> Result<(u32, u32), String> {
    sleep(Duration::from_millis(20 + u64::from(id % 5) * 15)).await;
    Ok((id, id * id))
}

#[tokio::main]
async fn main() {
    let (signal, mut shutdown) = oneshot::channel::<()>();
    // The "signal": arrives while jobs are still being submitted.
    tokio::spawn(async move {
        sleep(Duration::from_millis(200)).await;
        println!("signal: shutting down");
        let _ = signal.send(());
    });

    let mut pool = TaskSet::new(Tokio)
        .with_limit(4)
        .with_grace_period(Duration::from_millis(500));
    // The producer submits a job whenever a worker is free, until the pool stops admitting.
    let submit = pool.spawner();
    let producer = tokio::spawn(async move {
        let mut submitted = 0;
        while submitted < 1000 {
            submit.ready().await;
            if !submit.is_open() {
                break;
            }
            submit.spawn(job(submitted));
            submitted += 1;
        }
        submitted
    });
    let mut done = 0;
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            result = pool.join_next() => match result {
                Some(Ok((id, square))) => {
                    done += 1;
                    println!("job {id}: {square}");
                }
                Some(Err(error)) => {
                    eprintln!("a job failed, the pool stopped the others: {error}");
                    return;
                }
                // Nothing running at this instant: the producer is about to submit more.
                None => tokio::task::yield_now().await,
            },
        }
    }
    // Graceful: the jobs in flight finish within the grace period and are still read; the
    // ones waiting for a worker are dropped. `join_next` gives `None` once every job stopped.
    pool.cancel();
    while let Some(result) = pool.join_next().await {
        let (id, square) = result.expect("no job fails here");
        done += 1;
        println!("job {id}: {square} (drained)");
    }
    let submitted = producer.await.expect("the producer does not panic");
    println!("{done} jobs done out of {submitted} submitted; every job has stopped");
}
