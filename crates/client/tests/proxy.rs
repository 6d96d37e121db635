//! Proxy from the environment. The workspace forbids `unsafe`, and changing the environment
//! of a running process is `unsafe` in edition 2024, so the test re-runs itself as a child
//! process with `HTTP_PROXY` set, pointing at a scripted proxy the parent runs.

#[path = "it/mock.rs"]
#[allow(dead_code)]
mod mock;

use panops_client::panos::{ClientConfig, PanosClient, Protocol};

const CHILD: &str = "PANOPS_PROXY_TEST_CHILD";
/// A host that does not resolve: only a proxy can answer for it.
const HOST: &str = "fw.panops-test.invalid";

fn client(use_env_proxy: bool) -> PanosClient {
    PanosClient::new(
        ClientConfig::builder(HOST)
            .protocol(Protocol::Http)
            .api_key(mock::KEY)
            .use_env_proxy(use_env_proxy)
            .retry(panops_client::retry::RetryPolicy::none())
            .build()
            .unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn requests_go_through_the_proxy_named_by_the_environment() {
    if std::env::var_os(CHILD).is_some() {
        // The child: HTTP_PROXY is set. Through the proxy, then with it switched off.
        client(true)
            .config_set("/config/shared/tag", "<entry name='t'/>")
            .await
            .expect("the proxy answers");
        let err = client(false)
            .config_set("/config/shared/tag", "<entry name='t'/>")
            .await
            .unwrap_err();
        assert!(
            matches!(err, panops_client::Error::Transport { .. }),
            "{err:?}"
        );
        return;
    }
    let proxy = mock::start(|_, _| (200, mock::OK.to_owned())).await;
    let out = tokio::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "requests_go_through_the_proxy_named_by_the_environment",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .env("HTTP_PROXY", format!("http://{}", proxy.addr))
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .env_remove("http_proxy")
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "child failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let seen = proxy.requests();
    assert_eq!(seen.len(), 1, "only the proxied client reached the proxy");
    assert!(
        seen[0].uri.starts_with(&format!("http://{HOST}")) && seen[0].uri.ends_with("/api/"),
        "a proxy receives the absolute URI: {}",
        seen[0].uri
    );
    assert_eq!(seen[0].key_header().as_deref(), Some(mock::KEY));
    assert!(
        !seen[0].uri.contains(mock::KEY),
        "the key stays out of the URL"
    );
}
