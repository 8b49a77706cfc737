//! The `tracing` feature: a task (a `!Send` one on a `LocalSet` too) runs inside the span
//! current where it was spawned (its events carry that span, on whichever thread it is
//! polled), and a group's cancellation is an event in the span where the group was created. A
//! subscriber of a few lines records both.
#![cfg(all(feature = "tracing", feature = "tokio", not(loom)))]

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use cancel_cascade::rt::tokio::{self as rt, Tokio, TokioLocal};
use cancel_cascade::TaskGroup;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// One event: its fields (`message` included) and the name of the span it was in.
#[derive(Debug, Clone)]
struct Recorded {
    span: Option<&'static str>,
    fields: HashMap<&'static str, String>,
}

/// Records every event with the innermost span entered on its thread; shared by the test
/// and, as the global subscriber, by every thread.
#[derive(Clone, Default)]
struct Shared(Arc<Recorder>);

#[derive(Default)]
struct Recorder {
    next_id: AtomicU64,
    spans: Mutex<HashMap<u64, &'static Metadata<'static>>>,
    events: Mutex<Vec<Recorded>>,
}

std::thread_local! {
    static ENTERED: std::cell::RefCell<Vec<u64>> = const { std::cell::RefCell::new(Vec::new()) };
}

struct Fields<'a>(&'a mut HashMap<&'static str, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.insert(field.name(), format!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name(), value.to_string());
    }
}

impl Subscriber for Shared {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let id = self.0.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        self.0.spans.lock().unwrap().insert(id, span.metadata());
        Id::from_u64(id)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = HashMap::new();
        event.record(&mut Fields(&mut fields));
        let span = ENTERED.with(|entered| entered.borrow().last().copied());
        let span = span.map(|id| self.0.spans.lock().unwrap()[&id].name());
        self.0
            .events
            .lock()
            .unwrap()
            .push(Recorded { span, fields });
    }

    /// What `Span::current()` asks: the innermost span entered on this thread.
    fn current_span(&self) -> tracing_core::span::Current {
        match ENTERED.with(|entered| entered.borrow().last().copied()) {
            Some(id) => {
                let metadata = self.0.spans.lock().unwrap()[&id];
                tracing_core::span::Current::new(Id::from_u64(id), metadata)
            }
            None => tracing_core::span::Current::none(),
        }
    }

    fn enter(&self, span: &Id) {
        ENTERED.with(|entered| entered.borrow_mut().push(span.into_u64()));
    }

    fn exit(&self, span: &Id) {
        ENTERED.with(|entered| {
            let mut entered = entered.borrow_mut();
            let at = entered.iter().rposition(|id| *id == span.into_u64());
            entered.remove(at.expect("exits a span it entered"));
        });
    }
}

impl Recorder {
    fn events(&self) -> Vec<Recorded> {
        self.events.lock().unwrap().clone()
    }
}

/// Runs `scenario` on a two-worker tokio runtime with a `Recorder` as the global subscriber
/// (the workers are other threads); one test per process does, so this file has one test.
fn on_tokio_recorded(scenario: impl std::future::Future<Output = ()>) -> Arc<Recorder> {
    let recorder = Shared::default();
    tracing::subscriber::set_global_default(recorder.clone()).expect("the only subscriber");
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(scenario);
    Arc::clone(&recorder.0)
}

#[test]
fn tasks_run_in_the_spawn_sites_span_and_the_cancellation_is_an_event() {
    let recorder = on_tokio_recorded(async {
        let service = tracing::info_span!("service");
        let mut group = service.in_scope(|| TaskGroup::<_, String>::new(Tokio));
        let request = tracing::info_span!("request");
        request.in_scope(|| {
            group.spawn(async {
                tracing::info!("in the group task");
                // A task spawned from inside runs in the span current there: the same one.
                rt::spawn(async { tracing::info!("in the handle's task") }).await;
                tokio::task::yield_now().await;
                Err::<(), _>("failed".to_string())
            });
        });
        struct LogOnDrop(&'static str);
        impl Drop for LogOnDrop {
            fn drop(&mut self) {
                tracing::info!("{}", self.0);
            }
        }
        let other = tracing::info_span!("other");
        other.in_scope(|| {
            group.spawn(async {
                let _guard = LogOnDrop("dropped");
                std::future::pending::<Result<(), String>>().await
            });
        });
        assert_eq!(group.join().await, Err("failed".to_string()));

        // The same for `!Send` tasks, on a `LocalSet` on this thread.
        tokio::task::LocalSet::new()
            .run_until(async {
                let mut group = service.in_scope(|| TaskGroup::<_, String>::new(TokioLocal));
                let request = tracing::info_span!("local request");
                request.in_scope(|| {
                    group.spawn_local(async {
                        let held = std::rc::Rc::new("across an await");
                        tracing::info!("in the local group task");
                        rt::spawn_local(async { tracing::info!("in the local handle's task") })
                            .await;
                        tokio::task::yield_now().await;
                        Err::<(), _>(format!("local task failed, {held}"))
                    });
                });
                let other = tracing::info_span!("local other");
                other.in_scope(|| {
                    group.spawn_local(async {
                        let _held = std::rc::Rc::new(());
                        let _guard = LogOnDrop("local dropped");
                        std::future::pending::<Result<(), String>>().await
                    });
                });
                assert!(group.join().await.is_err());
            })
            .await;
    });
    let events = recorder.events();
    let span_of = |message: &str| {
        events
            .iter()
            .find(|event| event.fields.get("message").map(String::as_str) == Some(message))
            .unwrap_or_else(|| panic!("no event {message:?} in {events:#?}"))
            .span
    };
    assert_eq!(span_of("in the group task"), Some("request"));
    assert_eq!(span_of("in the handle's task"), Some("request"));
    assert_eq!(
        span_of("dropped"),
        Some("other"),
        "the drop of a task's future too"
    );
    assert_eq!(span_of("in the local group task"), Some("local request"));
    assert_eq!(span_of("in the local handle's task"), Some("local request"));
    assert_eq!(span_of("local dropped"), Some("local other"));
    let cancellations: Vec<_> = events
        .iter()
        .filter(|event| {
            event.fields.get("message").map(String::as_str) == Some("task group cancelled")
        })
        .collect();
    assert_eq!(cancellations.len(), 2, "one per group: {events:#?}");
    assert!(cancellations
        .iter()
        .all(|event| event.span == Some("service")));
    let cancelled = events
        .iter()
        .find(|event| {
            event.fields.get("message").map(String::as_str) == Some("task group cancelled")
        })
        .unwrap_or_else(|| panic!("no cancellation event in {events:#?}"));
    assert_eq!(cancelled.span, Some("service"));
    assert_eq!(cancelled.fields["reason"], "a task failed");
    assert!(cancelled.fields["group"].parse::<u64>().is_ok());
    let hard_stop = events
        .iter()
        .find(|event| {
            event.fields.get("message").map(String::as_str) == Some("task group stops its tasks")
        })
        .unwrap_or_else(|| panic!("no hard stop event in {events:#?}"));
    assert_eq!(hard_stop.span, Some("service"));
}
