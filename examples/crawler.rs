//! A crawler whose tasks discover more work as they go: each page's task spawns a task per new link
//! into its own `TaskGroup` through a `GroupSpawner`, at most three fetches run at once, and the
//! crawl ends when every task, including the last one discovered, has stopped.
//!
//! A `GroupSpawner` is cheap to clone and `Send + Sync`, and its `spawn` never blocks: a page found
//! while three fetches run waits its turn in the order it was found (Go's `errgroup` with
//! `SetLimit` would block the task that found it). A fetch that fails cancels the whole crawl.
//! Needs `--features smol`.
//!
//! Replays asyncio's `TaskGroup` passed into every task, with a `Semaphore` around each fetch.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_io::Timer;
use cancel_cascade::rt::smol::Smol;
use cancel_cascade::{GroupSpawner, TaskGroup};

/// The "web": each page and the pages it links to.
fn web() -> HashMap<&'static str, Vec<&'static str>> {
    HashMap::from([
        ("/", vec!["/docs", "/blog", "/about"]),
        ("/docs", vec!["/docs/group", "/docs/set", "/"]),
        ("/docs/group", vec!["/docs/limit", "/docs"]),
        ("/docs/set", vec!["/docs"]),
        ("/docs/limit", vec![]),
        ("/blog", vec!["/blog/1", "/blog/2"]),
        ("/blog/1", vec!["/blog/2", "/about"]),
        ("/blog/2", vec![]),
        ("/about", vec!["/"]),
    ])
}

struct Crawl {
    web: HashMap<&'static str, Vec<&'static str>>,
    seen: Mutex<HashSet<&'static str>>,
}

/// A page's task, boxed: the task spawns tasks of its own kind.
type Visit = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// Fetches `page`, then spawns a task for each link not seen yet.
fn visit(crawl: Arc<Crawl>, spawner: GroupSpawner<Smol, String>, page: &'static str) -> Visit {
    Box::pin(async move {
        Timer::after(Duration::from_millis(30)).await; // the fetch
        let links = crawl
            .web
            .get(page)
            .ok_or_else(|| format!("{page}: not found"))?;
        println!("fetched {page}: {} links", links.len());
        for &link in links {
            if crawl.seen.lock().unwrap().insert(link) {
                spawner.spawn(visit(Arc::clone(&crawl), spawner.clone(), link));
            }
        }
        Ok(())
    })
}

fn main() {
    smol::block_on(async {
        let crawl = Arc::new(Crawl {
            web: web(),
            seen: Mutex::new(HashSet::from(["/"])),
        });
        let mut group = TaskGroup::new(Smol).with_limit(3);
        group.spawn(visit(Arc::clone(&crawl), group.spawner(), "/"));
        match group.join().await {
            Ok(()) => println!("crawled {} pages", crawl.seen.lock().unwrap().len()),
            Err(error) => println!("crawl failed: {error}"),
        }
    });
}
