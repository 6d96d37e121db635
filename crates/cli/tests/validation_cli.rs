//! `panops run` refuses a bad value before sending anything, on PAN-OS and on SCM: exit 2,
//! the field named, and not one connection reaches the device or tenant.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_panops");

/// A TCP port that counts the connections made to it (and answers none).
struct Counter {
    port: u16,
    connections: Arc<AtomicUsize>,
}

impl Counter {
    fn start() -> Counter {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(AtomicUsize::new(0));
        let seen = connections.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                seen.fetch_add(1, Ordering::SeqCst);
                drop(conn);
            }
        });
        Counter { port, connections }
    }

    fn count(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// `panops run -` with `workflow` on standard input: (exit code, stdout JSON, stderr).
fn run(mut cmd: Command, workflow: &Value) -> (Option<i32>, Value, String) {
    let mut child = cmd
        .args(["run", "-", "-o", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(workflow.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (
        out.status.code(),
        stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn panos_at(port: u16) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PANOPS_CONFIG", "")
        .env("PANOS_HOSTNAME", "127.0.0.1")
        .env("PANOS_PORT", port.to_string())
        .env("PANOS_PROTOCOL", "http")
        .env("PANOS_USERNAME", "admin")
        .env("PANOS_PASSWORD", "admin");
    cmd
}

fn scm_at(dir: &std::path::Path, base: &str, token: &str) -> Command {
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "default_profile = \"scm\"\n[profiles.scm]\nkind = \"scm\"\nclient_id = \"{}\"\n\
             client_secret = \"{}\"\ntsg_id = \"{}\"\nscm_base_url = \"{base}\"\n\
             scm_token_url = \"{token}\"\n",
            panops_scm_sim::DEFAULT_CLIENT_ID,
            panops_scm_sim::DEFAULT_CLIENT_SECRET,
            panops_scm_sim::DEFAULT_TSG_ID,
        ),
    )
    .unwrap();
    let mut cmd = Command::new(BIN);
    cmd.env_clear().env("PANOPS_CONFIG", &config);
    cmd
}

/// One bad value per kind of field, with the field the error must name.
fn bad_steps() -> Vec<(Value, &'static str)> {
    vec![
        (
            json!({"resource": "service", "operation": "create",
                "parameters": {"name": "s", "protocol": {"tcp": {"port": "70000"}}}}),
            "protocol.tcp.port",
        ),
        (
            json!({"resource": "address", "operation": "create",
                "parameters": {"name": "web'1", "ip_netmask": "10.0.0.1"}}),
            "name",
        ),
        (
            json!({"resource": "address", "operation": "create",
                "parameters": {"name": "a", "fqdn": "not a host"}}),
            "fqdn",
        ),
        (
            json!({"resource": "addressGroup", "operation": "create",
                "parameters": {"name": "g", "dynamic": {"filter": "'ioc' and"}}}),
            "dynamic.filter",
        ),
        (
            json!({"resource": "urlCategory", "operation": "create",
                "parameters": {"name": "u", "list": ["ok.example", "bad entry"]}}),
            "list[1]",
        ),
    ]
}

/// Checks one refusal: exit 2, the field named on stderr and in the JSON on stdout.
fn assert_refused(what: &str, (code, stdout, stderr): (Option<i32>, Value, String), field: &str) {
    assert_eq!(code, Some(2), "{what}: {stdout}\n{stderr}");
    let named = stdout["field"]
        .as_str()
        .or(stdout["error"]["field"].as_str());
    assert!(
        named.is_some_and(|f| f.ends_with(field)),
        "{what}: field {field} not named in {stdout}"
    );
    assert!(stderr.contains(field), "{what}: {stderr}");
}

#[test]
fn a_bad_value_is_refused_before_anything_is_sent_on_panos_and_scm() {
    // Nothing listens but a counter: any request at all would show up as a connection.
    let counter = Counter::start();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{}", counter.port);
    for (step, field) in bad_steps() {
        assert_refused(
            &format!("PAN-OS {step}"),
            run(panos_at(counter.port), &step),
            field,
        );
        assert_refused(
            &format!("SCM {step}"),
            run(
                scm_at(dir.path(), &url, &format!("{url}/oauth2/access_token")),
                &step,
            ),
            field,
        );
        // Inside a workflow, a bad value in a later step stops the run before step 0.
        let workflow = json!({"steps": [
            {"resource": "tag", "operation": "create", "parameters": {"name": "first"}},
            step,
        ]});
        assert_refused(
            "workflow",
            run(panos_at(counter.port), &workflow),
            &format!("steps[1].{field}"),
        );
    }
    assert_eq!(counter.count(), 0, "a refused value reached the network");
}

#[test]
fn a_bad_value_is_refused_by_the_simulators_too() {
    // The same against the real simulators (PAN-OS and SCM), which afterwards hold nothing.
    let mut sim = Command::new(BIN)
        .args([
            "sim",
            "--kind",
            "firewall",
            "--plain",
            "--listen",
            "127.0.0.1:0",
        ])
        .args(["--scm-listen", "127.0.0.1:0"])
        .env_clear()
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(sim.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let field = |k: &str| {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(&format!("{k}=")).map(str::to_string))
            .unwrap_or_else(|| panic!("no {k}= in {line}"))
    };
    let port: u16 = field("url").rsplit(':').next().unwrap().parse().unwrap();
    let (scm, token) = (field("scm"), field("token_url"));
    let dir = tempfile::tempdir().unwrap();
    let step = json!({"resource": "service", "operation": "create",
        "parameters": {"name": "bad-port", "protocol": {"tcp": {"port": "80,65536"}}}});
    assert_refused(
        "PAN-OS sim",
        run(panos_at(port), &step),
        "protocol.tcp.port",
    );
    assert_refused(
        "SCM sim",
        run(scm_at(dir.path(), &scm, &token), &step),
        "protocol.tcp.port",
    );
    let get =
        json!({"resource": "service", "operation": "get", "parameters": {"name": "bad-port"}});
    for (what, cmd) in [
        ("PAN-OS", panos_at(port)),
        ("SCM", scm_at(dir.path(), &scm, &token)),
    ] {
        let (code, out, _) = run(cmd, &get);
        assert_eq!(code, Some(1), "{what}: {out}");
        assert_eq!(out["error"]["code"], "not_found", "{what}: {out}");
    }
    let _ = sim.kill();
    let _ = sim.wait();
}
