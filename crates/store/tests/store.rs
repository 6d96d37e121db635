//! The process store on SQLite and on a real PostgreSQL server: the same scenario on both.

mod support;

use panops_store::{
    DeviceResult, NewProcess, ProcessFilter, ProcessState, StepOutcome, StepState, Store,
};
use support::pg::TempPostgres;

async fn scenario(store: &Store) {
    let id = store
        .create(
            NewProcess::new("deploy", "panorama.test")
                .devices(["0002", "0001", "0002"])
                .plan(serde_json::json!({"changes": ["import web-2027", "bind p1"]}))
                .snapshot(serde_json::json!({"p1": "web-2026"})),
        )
        .await
        .expect("create");
    let other = store
        .create(NewProcess::new("deploy", "panorama.test").devices(["0003"]))
        .await
        .expect("create second");

    let s1 = store.start_step(&id, "import").await.expect("step 1");
    let s2 = store.start_step(&id, "commit").await.expect("step 2");
    assert_eq!((s1, s2), (1, 2));
    store.add_job_id(&id, s2, "17").await.expect("job id");
    store
        .finish_step(&id, s1, StepState::Ok, StepOutcome::default())
        .await
        .expect("finish 1");
    store
        .finish_step(
            &id,
            s2,
            StepState::Failed,
            StepOutcome {
                job_ids: vec!["18".into()],
                results: vec![DeviceResult {
                    device: "0001".into(),
                    ok: false,
                    message: "commit failed".into(),
                }],
                error: Some("push failed on 0001".into()),
                note: None,
            },
        )
        .await
        .expect("finish 2");
    store
        .set_state(&id, ProcessState::RollingBack, Some("push failed on 0001"))
        .await
        .expect("state");
    store
        .finish(&id, ProcessState::RolledBack, None)
        .await
        .expect("finish");

    let p = store.get(&id).await.expect("get").expect("exists");
    assert_eq!(p.state, ProcessState::RolledBack);
    assert_eq!(p.devices, vec!["0001", "0002"]);
    assert_eq!(p.error.as_deref(), Some("push failed on 0001"));
    assert!(p.finished_at.is_some());
    assert_eq!(p.snapshot["p1"], "web-2026");
    assert_eq!(p.plan["changes"][1], "bind p1");
    assert_eq!(p.steps.len(), 2);
    assert_eq!(p.steps[0].name, "import");
    assert_eq!(p.steps[0].state, StepState::Ok);
    assert_eq!(p.steps[1].outcome.job_ids, vec!["17", "18"]);
    assert_eq!(p.steps[1].outcome.results[0].device, "0001");
    assert!(p.steps[1].ended_at.is_some());

    let by_state = store
        .list(&ProcessFilter {
            state: Some(ProcessState::RolledBack),
            ..Default::default()
        })
        .await
        .expect("list");
    assert_eq!(
        by_state.iter().map(|p| &p.id).collect::<Vec<_>>(),
        vec![&id]
    );
    let by_device = store
        .list(&ProcessFilter {
            device: Some("0003".into()),
            ..Default::default()
        })
        .await
        .expect("list");
    assert_eq!(by_device.len(), 1);
    assert_eq!(by_device[0].id, other);
    let all = store.list(&ProcessFilter::default()).await.expect("list");
    assert_eq!(all.len(), 2);
    let future = store
        .list(&ProcessFilter {
            since: Some(panops_store::now_ms() + 60_000),
            ..Default::default()
        })
        .await
        .expect("list");
    assert!(future.is_empty());

    // this instance's own running process is never reported as interrupted
    assert!(store.interrupted(0).await.expect("interrupted").is_empty());
    assert!(store.get("nope").await.expect("get").is_none());
}

#[tokio::test]
async fn sqlite_store() {
    let dir = tempfile::tempdir().expect("tmp");
    let url = format!("sqlite:{}", dir.path().join("sub/processes.db").display());
    let store = Store::open(&url).await.expect("open");
    scenario(&store).await;
    store.close().await;
    // reopening runs the migrations again without error and keeps the data
    let again = Store::open(&url).await.expect("reopen");
    assert_eq!(
        again
            .list(&ProcessFilter::default())
            .await
            .expect("list")
            .len(),
        2
    );
}

#[tokio::test]
async fn postgres_store() {
    let Some(pg) = TempPostgres::start() else {
        return;
    };
    let store = Store::open(&pg.url).await.expect("open postgres");
    assert_eq!(store.backend(), panops_store::Backend::Postgres);
    scenario(&store).await;
    // a second instance on the same database sees the first one's processes
    let second = Store::open(&pg.url).await.expect("second instance");
    assert_eq!(
        second
            .list(&ProcessFilter::default())
            .await
            .expect("list")
            .len(),
        2
    );
}

#[tokio::test]
async fn bad_urls_are_refused() {
    let e = Store::open("mysql://x").await.expect_err("refused");
    assert!(e.to_string().contains("sqlite:PATH"), "{e}");
    let e = Store::open("postgres://u:hunter2@127.0.0.1:1/db")
        .await
        .expect_err("no server");
    assert!(!e.to_string().contains("hunter2"), "{e}");
    assert!(!format!("{e:?}").contains("hunter2"), "{e:?}");
}

/// Child half of `killed_process_is_found_interrupted`: creates a process and waits to be
/// killed. Does nothing unless started by that test.
#[tokio::test]
async fn child_creates_process_and_hangs() {
    let Ok(url) = std::env::var("PANOPS_STORE_CHILD_DB") else {
        return;
    };
    let store = Store::open(&url).await.expect("open");
    let id = store
        .create(NewProcess::new("deploy", "panorama.test"))
        .await
        .expect("create");
    store.start_step(&id, "commit").await.expect("step");
    println!("CHILD-READY {id}");
    tokio::time::sleep(std::time::Duration::from_secs(120)).await;
}

#[tokio::test]
async fn killed_process_is_found_interrupted() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().expect("tmp");
    let url = format!("sqlite:{}", dir.path().join("p.db").display());
    let mut child = std::process::Command::new(std::env::current_exe().expect("exe"))
        .args(["--exact", "child_creates_process_and_hangs", "--nocapture"])
        .env("PANOPS_STORE_CHILD_DB", &url)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn child");
    let stdout = child.stdout.take().expect("stdout");
    let mut id = None;
    for line in std::io::BufReader::new(stdout).lines() {
        let line = line.expect("line");
        if let Some(rest) = line.strip_prefix("CHILD-READY ") {
            id = Some(rest.trim().to_string());
            break;
        }
    }
    let id = id.expect("child reported its process");
    // kill -9: no chance to record anything
    child.kill().expect("kill");
    child.wait().expect("wait");

    let store = Store::open(&url).await.expect("open");
    // a day-long stale limit: found through the dead pid, not the heartbeat age
    let found = store.interrupted(86_400_000).await.expect("interrupted");
    assert_eq!(found.len(), 1);
    let p = &found[0];
    assert_eq!(p.id, id);
    assert_eq!(p.state, ProcessState::Running);
    assert_eq!(p.steps.last().map(|s| s.state), Some(StepState::Running));
    assert!(store.claim(&id, &p.owner).await.expect("claim"));
    // a second claim with the old owner fails: the process is taken
    assert!(!store.claim(&id, &p.owner).await.expect("claim again"));
    assert!(
        store
            .interrupted(86_400_000)
            .await
            .expect("again")
            .is_empty()
    );
}
