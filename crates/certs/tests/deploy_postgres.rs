//! A deployment and its manual rollback recorded in a real PostgreSQL process store (the
//! machine's PostgreSQL, started on a temporary directory; skipped with a note when not
//! installed, a failure with PANOPS_CI=1).

mod support;

#[path = "../../store/tests/support/pg.rs"]
mod pg;

use panops_certs::deploy::{Deployer, Mode};
use panops_store::{ProcessState, Store};
use support::*;

#[tokio::test]
async fn deploy_and_rollback_recorded_in_postgres() {
    let Some(server) = pg::TempPostgres::start() else {
        return;
    };
    let e = estate().await;
    let before = state(&e);
    let store = Store::open(&server.url).await.expect("postgres store");
    let d = Deployer::new(e.client.clone(), store.clone(), timing());
    let done = d
        .deploy(&bundle("pg.example.com"), &req(Mode::Replace))
        .await
        .expect("deploy");
    // a second panops instance on the same database sees the record and rolls it back
    let other = Store::open(&server.url).await.expect("second instance");
    let d2 = Deployer::new(e.client.clone(), other.clone(), timing());
    let rb = d2.rollback(&done.process, false).await.expect("rollback");
    assert_same(&before, &state(&e));
    let p = store.get(&done.process).await.expect("get").expect("p");
    assert_eq!(p.state, ProcessState::RolledBack);
    let r = store.get(&rb).await.expect("get").expect("rollback");
    assert_eq!(r.parent_id.as_deref(), Some(done.process.as_str()));
    e.sim.shutdown().await;
}
