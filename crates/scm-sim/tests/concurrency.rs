//! Issue 14 item 9: the tenant store's work (a handler and the serialisation of its answer)
//! runs on the blocking pool, never on the async workers, so a request that waits for the
//! tenant store keeps no other client waiting, even when the server has one async worker.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_request_waiting_for_the_tenant_store_blocks_no_async_worker() {
    let sim = start(false).await;
    let api = Api::new(&sim).await;
    let h = sim.handle();
    // hold the tenant store (shared) from a plain thread: a create must wait for it
    let held = Arc::new(AtomicBool::new(false));
    let flag = held.clone();
    let holder = std::thread::spawn(move || {
        h.with_state(|_| {
            flag.store(true, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(1500));
        })
    });
    while !held.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let create = tokio::spawn(async move {
        api.call(
            "POST",
            "/config/objects/v1/addresses?folder=Shared",
            Some(json!({"name": "waits", "folder": "Shared", "ip_netmask": "10.1.0.1/32"})),
        )
        .await
    });
    // let the create reach the store and block there
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !create.is_finished(),
        "the create did not wait for the store"
    );
    // a request that needs no tenant state is answered meanwhile
    let http = client(&sim);
    let _token = token(&sim, &http).await;
    let store_still_held = !holder.is_finished();
    let create_still_waiting = !create.is_finished();
    let (status, body) = create.await.expect("create");
    tokio::task::spawn_blocking(move || holder.join().expect("holder"))
        .await
        .expect("join");
    assert_eq!(status, 201, "{body}");
    assert!(
        store_still_held && create_still_waiting,
        "the token was answered only after the store was free"
    );
}
