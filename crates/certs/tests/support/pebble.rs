//! Debian's `pebble` ACME test server for the ACME tests of panops-certs and the CLI (the CLI
//! tests include this file by path): started on free loopback ports with a TLS certificate
//! from a root written to `DIR/ca.pem`. Without pebble a test fails when `PANOPS_CI=1`, else
//! it is skipped with a note.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};

/// The `pebble` binary on `PATH`; `None` (with a note naming `what` is skipped) outside CI.
pub fn pebble_bin(what: &str) -> Option<String> {
    let found = std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join("pebble"))
            .find(|f| f.is_file())
    });
    match found {
        Some(f) => Some(f.display().to_string()),
        None if std::env::var("PANOPS_CI").as_deref() == Ok("1") => {
            panic!("PANOPS_CI=1 but `pebble` is not installed (apt-get install pebble)")
        }
        None => {
            eprintln!("note: `pebble` not installed; skipping {what}");
            None
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// A running pebble, killed on drop.
pub struct Pebble {
    child: Child,
    /// The ACME directory URL.
    pub url: String,
    /// The port pebble's validation authority fetches http-01 challenges from.
    pub http_port: u16,
}

impl Drop for Pebble {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A CA (the client trusts it through `--acme-ca-file DIR/ca.pem`) and pebble's TLS
/// certificate from it.
fn tls_material(dir: &Path) {
    let ca_key = KeyPair::generate().expect("key");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("params");
    ca.distinguished_name
        .push(DnType::CommonName, "panops test root");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca.self_signed(&ca_key).expect("ca");
    let key = KeyPair::generate().expect("key");
    let leaf = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
        .expect("params");
    let leaf = leaf.signed_by(&key, &ca_cert, &ca_key).expect("leaf");
    std::fs::write(dir.join("ca.pem"), ca_cert.pem()).expect("w");
    std::fs::write(dir.join("cert.pem"), leaf.pem()).expect("w");
    std::fs::write(dir.join("key.pem"), key.serialize_pem()).expect("w");
}

/// Start pebble with its files in `dir`. `validate` false sets `PEBBLE_VA_ALWAYS_VALID=1`
/// (no challenge is checked); true makes pebble fetch the challenges for real.
pub fn start_pebble(bin: &str, dir: &Path, validate: bool) -> Pebble {
    tls_material(dir);
    let (port, mgmt, http_port) = (free_port(), free_port(), free_port());
    let cfg = serde_json::json!({ "pebble": {
        "listenAddress": format!("127.0.0.1:{port}"),
        "managementListenAddress": format!("127.0.0.1:{mgmt}"),
        "certificate": dir.join("cert.pem"),
        "privateKey": dir.join("key.pem"),
        "httpPort": http_port,
        "tlsPort": free_port(),
        "ocspResponderURL": "",
        "externalAccountBindingRequired": false
    }});
    std::fs::write(dir.join("pebble.json"), cfg.to_string()).expect("w");
    let mut cmd = Command::new(bin);
    cmd.arg("-config")
        .arg(dir.join("pebble.json"))
        .env("PEBBLE_VA_NOSLEEP", "1")
        // pebble rejects 5% of nonces by default to exercise clients' retries; not these tests' point
        .env("PEBBLE_WFE_NONCEREJECT", "0")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if !validate {
        cmd.env("PEBBLE_VA_ALWAYS_VALID", "1");
    }
    let child = cmd.spawn().expect("start pebble");
    let p = Pebble {
        child,
        url: format!("https://127.0.0.1:{port}/dir"),
        http_port,
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "pebble did not listen on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
    p
}
