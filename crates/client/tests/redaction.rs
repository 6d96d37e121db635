//! Tracing capture test. It lives in its own binary (own process, single test):
//! tracing caches callsite interest globally, and tests running in parallel threads
//! without a subscriber can race the scoped subscriber installed here.

#[path = "it/mock.rs"]
#[allow(dead_code)]
mod mock;

use std::{
    io::Write,
    sync::{Arc, Mutex},
};

use panops_client::panos::PanosClient;
use tracing_subscriber::fmt::MakeWriter;

use mock::OK;

#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Buf {
    type Writer = Buf;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

const PASSWORD: &str = "Tr0ub4dor&3-secret";
const GENERATED: &str = "LUFRPTgeneratedKEYvalue1234567890==";

#[tokio::test]
async fn trace_logs_never_contain_the_password_or_the_key() {
    let srv = mock::start(|r, _| {
        if r.param("type").as_deref() == Some("keygen") {
            (200, mock::keygen_body(GENERATED))
        } else if r.param("action").as_deref() == Some("get") {
            // An error that echoes the key, as an expired-key answer does.
            (200, format!("<response status=\"error\"><msg><line>bad key {GENERATED}</line></msg></response>"))
        } else {
            (200, OK.to_owned())
        }
    })
    .await;
    let buf = Buf::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(buf.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let client = PanosClient::new(
        srv.builder()
            .credentials("admin", PASSWORD)
            .build()
            .unwrap(),
    )
    .unwrap();
    client.keygen().await.unwrap();
    client.op("show system info").await.unwrap();
    let err = client.config_get("/config/shared").await.unwrap_err();
    tracing::error!(error = %err, debug = ?err, "surface the error through tracing too");

    let logs = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("PAN-OS request"),
        "tracing captured nothing:\n{logs}"
    );
    assert!(logs.contains("type=keygen"), "{logs}");
    assert!(logs.contains("PAN-OS response body"), "{logs}");
    assert!(!logs.contains(PASSWORD), "password leaked:\n{logs}");
    assert!(!logs.contains(GENERATED), "key leaked:\n{logs}");
    // The wire still carried both where they belong.
    let seen = srv.requests();
    assert_eq!(seen[0].param("password").as_deref(), Some(PASSWORD));
    assert_eq!(seen[1].key_header().as_deref(), Some(GENERATED));
}
