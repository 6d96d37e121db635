//! A tiny scripted PAN-OS stand-in: records every request, answers from a closure.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, Method, StatusCode, Uri, header},
    response::{IntoResponse, Response},
    routing::any,
};
use panops_client::{
    panos::{ClientConfig, ClientConfigBuilder, Protocol},
    retry::RetryPolicy,
};

/// One recorded request.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub uri: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Seen {
    pub fn form(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(&self.body).into_owned().collect()
    }

    pub fn param(&self, name: &str) -> Option<String> {
        self.form()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    pub fn key_header(&self) -> Option<String> {
        self.headers
            .get("x-pan-key")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// An answer: status, extra headers, body.
pub type Answer = (u16, Vec<(&'static str, String)>, String);

type Script = dyn Fn(&Seen, usize) -> Answer + Send + Sync;

#[derive(Clone)]
struct AppState {
    seen: Arc<Mutex<Vec<Seen>>>,
    script: Arc<Script>,
}

pub struct Mock {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Mock {
    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// A client builder pointed at this server (plain HTTP, no proxy, fast retries).
    pub fn builder(&self) -> ClientConfigBuilder {
        ClientConfig::builder(self.addr.ip().to_string())
            .port(self.addr.port())
            .protocol(Protocol::Http)
            .use_env_proxy(false)
            .retry(RetryPolicy {
                max_attempts: 3,
                initial_backoff: Duration::from_millis(5),
                max_backoff: Duration::from_millis(20),
                ..RetryPolicy::default()
            })
    }
}

async fn handle(
    State(st): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let seen = Seen {
        method: method.to_string(),
        uri: uri.to_string(),
        headers,
        body,
    };
    let n = {
        let mut all = st.seen.lock().unwrap();
        all.push(seen.clone());
        all.len() - 1
    };
    let (status, extra, body) = (st.script)(&seen, n);
    let mut resp = (
        StatusCode::from_u16(status).unwrap(),
        [(header::CONTENT_TYPE, "application/xml; charset=UTF-8")],
        body,
    )
        .into_response();
    for (name, value) in extra {
        resp.headers_mut()
            .insert(name, header::HeaderValue::from_str(&value).unwrap());
    }
    resp
}

pub async fn start(script: impl Fn(&Seen, usize) -> (u16, String) + Send + Sync + 'static) -> Mock {
    start_with_headers(move |seen, n| {
        let (status, body) = script(seen, n);
        (status, Vec::new(), body)
    })
    .await
}

/// Like [`start`], with response headers chosen by the script (e.g. `Retry-After`).
pub async fn start_with_headers(
    script: impl Fn(&Seen, usize) -> Answer + Send + Sync + 'static,
) -> Mock {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let state = AppState {
        seen: Arc::clone(&seen),
        script: Arc::new(script),
    };
    let app = Router::new().fallback(any(handle)).with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Mock { addr, seen }
}

pub const OK: &str =
    r#"<response status="success" code="20"><msg>command succeeded</msg></response>"#;
pub const KEY: &str = "LUFRPT1testkeyAAAAbbbbCCCCdddd==";

pub fn keygen_body(key: &str) -> String {
    format!("<response status = 'success'><result><key>{key}</key></result></response>")
}
