//! A server whose connection handlers are not `Send`: each connection's state lives in an
//! `Rc<RefCell<..>>` that the handler holds across every `.await`, so the handlers run on one
//! thread, on a tokio `LocalSet`, spawned with `TaskGroup::spawn_local` on `TokioLocal`.
//!
//! The group serves at most two connections at once (`with_limit`); a handler that meets a
//! malformed request fails, and the group cancels its siblings (the connection being served and
//! those still waiting for a slot) and returns the error once every handler's future, and its
//! `Rc`, has been dropped. Each connection says how it stopped. The connections are simulated
//! by timed requests; a real server would read them from a socket. Needs `--features tokio`.
//!
//! Replays a thread-per-core server's handlers (no `Arc`, no `Mutex`) under asyncio's
//! `TaskGroup` with a `Semaphore`.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use cancel_cascade::rt::tokio::TokioLocal;
use cancel_cascade::{TaskGroup, TaskStatus};
use tokio::task::LocalSet;
use tokio::time::sleep;

/// One connection's state: only its handler and the server's thread touch it.
struct Connection {
    id: usize,
    served: Vec<&'static str>,
}

/// Says, when the handler's future is dropped, how far the connection got.
struct CloseOnDrop(Rc<RefCell<Connection>>);

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        let connection = self.0.borrow();
        println!(
            "connection {}: closed after serving {:?}",
            connection.id, connection.served
        );
    }
}

/// Serves `requests`, each taking `per_request`; a request named `BAD` is malformed.
async fn handle(
    connection: Rc<RefCell<Connection>>,
    requests: &'static [&'static str],
    per_request: Duration,
) -> Result<(), String> {
    let _close = CloseOnDrop(Rc::clone(&connection));
    for &request in requests {
        sleep(per_request).await;
        if request == "BAD" {
            let id = connection.borrow().id;
            return Err(format!("connection {id}: malformed request"));
        }
        connection.borrow_mut().served.push(request);
    }
    Ok(())
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("build a tokio runtime");
    LocalSet::new().block_on(&runtime, serve());
}

async fn serve() {
    const CONNECTIONS: [(&[&str], u64); 5] = [
        (&["GET /", "GET /style.css"], 20),
        (&["GET /", "GET /app.js", "BAD"], 20),
        (&["GET /", "GET /big-file"], 30),
        (&["GET /"], 10),
        (&["GET /"], 10),
    ];
    let mut group = TaskGroup::<_, String>::new(TokioLocal).with_limit(2);
    let mut handlers = Vec::new();
    for (id, (requests, millis)) in CONNECTIONS.into_iter().enumerate() {
        let connection = Rc::new(RefCell::new(Connection {
            id,
            served: Vec::new(),
        }));
        let handler =
            group.spawn_local(handle(connection, requests, Duration::from_millis(millis)));
        handlers.push(handler);
    }
    match group.join().await {
        Ok(()) => println!("every connection was served"),
        Err(error) => println!("the server stopped: {error}"),
    }
    // `join` returned only once every handler had stopped: each status is final.
    for (id, handler) in handlers.iter().enumerate() {
        let how = match handler.status() {
            TaskStatus::Succeeded => "served in full",
            TaskStatus::Failed => "failed",
            TaskStatus::Cancelled => "cancelled while serving",
            TaskStatus::NeverStarted => "never started (it waited for a slot)",
            other => unreachable!("no handler ends as {other:?} here"),
        };
        println!("connection {id}: {how}");
    }
}
