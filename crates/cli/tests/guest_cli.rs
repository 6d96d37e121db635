//! `panops guest` as a guest agent runs it: the real binary, configured only by `FIREWALL_*`
//! variables, against `panops sim`.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Output, Stdio};

use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value;

struct Sim {
    child: Child,
    port: String,
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Sim {
    fn start(extra: &[&str]) -> Sim {
        let mut cmd = Command::cargo_bin("panops").unwrap();
        cmd.env_clear()
            .args([
                "sim",
                "--kind",
                "firewall",
                "--plain",
                "--listen",
                "127.0.0.1:0",
            ])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = cmd.spawn().expect("spawn panops sim");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .split_whitespace()
            .find_map(|kv| kv.strip_prefix("url="))
            .expect("url")
            .to_string();
        let port = url.rsplit(':').next().unwrap().to_string();
        Sim { child, port }
    }

    fn key(&self, user: &str, password: &str) -> String {
        let out = Command::cargo_bin("panops")
            .unwrap()
            .env_clear()
            .env("PANOPS_CONFIG", "")
            .env("PANOS_HOSTNAME", "127.0.0.1")
            .env("PANOS_PORT", &self.port)
            .env("PANOS_PROTOCOL", "http")
            .env("PANOS_USERNAME", user)
            .env("PANOS_PASSWORD", password)
            .args(["keygen", "-o", "json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v["key"].as_str().unwrap().to_string()
    }

    /// `panops guest …` with only the agent's variables.
    fn guest(&self, key: &str) -> Command {
        let mut cmd = Command::cargo_bin("panops").unwrap();
        cmd.env_clear()
            .env("PANOPS_CONFIG", "")
            .env("FIREWALL_ADAPTER", "palo-alto")
            .env("FIREWALL_HOST", format!("http://127.0.0.1:{}", self.port))
            .env("FIREWALL_API_KEY", key)
            .arg("guest");
        cmd
    }
}

fn run(mut cmd: Command, args: &[&str]) -> Output {
    cmd.args(args).output().unwrap()
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn start_end_and_end_again_with_agent_variables() {
    let sim = Sim::start(&[]);
    let key = sim.key("admin", "admin");
    let out = run(
        sim.guest(&key),
        &[
            "start",
            "--ip",
            "10.80.0.1",
            "--user",
            "guest-0042",
            "--timeout",
            "30",
            "--tag",
            "guests",
            "-o",
            "json",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json(&out)["outcome"], "started");

    let out = run(
        sim.guest(&key),
        &[
            "end",
            "--ip",
            "10.80.0.1",
            "--clear-sessions",
            "--dry-run",
            "-o",
            "json",
        ],
    );
    assert!(out.status.success());
    let v = json(&out);
    assert_eq!(v["outcome"], "planned");
    assert_eq!(v["mapped_user"], "guest-0042");

    let out = run(
        sim.guest(&key),
        &[
            "end",
            "--ip",
            "10.80.0.1",
            "--clear-sessions",
            "--tag",
            "guests",
            "-o",
            "json",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    assert_eq!(v["outcome"], "ended", "{v}");
    assert_eq!(v["verified"], true);

    let out = run(
        sim.guest(&key),
        &["end", "--ip", "10.80.0.1", "-o", "table"],
    );
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("nothing_to_do") && text.contains("nothing was changed"),
        "{text}"
    );
    assert!(!text.contains(&key) && !String::from_utf8_lossy(&out.stderr).contains(&key));
    // the same, for an agent that must notice a missing mapping
    let out = run(
        sim.guest(&key),
        &["end", "--ip", "10.80.0.1", "--require-mapping"],
    );
    assert_eq!(out.status.code(), Some(8));
    assert!(String::from_utf8_lossy(&out.stderr).contains("RADIUS accounting is not configured"));
}

#[test]
fn batch_from_stdin_one_line_per_visit_and_exit_code() {
    let sim = Sim::start(&[]);
    let key = sim.key("admin", "admin");
    for i in 1..=3 {
        let out = run(
            sim.guest(&key),
            &[
                "start",
                "--ip",
                &format!("10.81.0.{i}"),
                "--user",
                &format!("g{i}"),
            ],
        );
        assert!(out.status.success());
    }
    let mut child = sim
        .guest(&key)
        .args(["end", "--from", "-", "-o", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"ip,user\n10.81.0.1,g1\n10.81.0.2\n10.81.0.3,someone-else\nnot-an-ip\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "one visit failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["outcome"], "ended");
    assert_eq!(lines[1]["outcome"], "ended");
    assert_eq!(lines[2]["error"], "user_mismatch");
    assert_eq!(lines[3]["error"], "input");
    assert!(String::from_utf8_lossy(&out.stderr).contains("2 ok, 2 failed"));

    // all good: exit 0
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("visits.ndjson");
    std::fs::write(
        &f,
        "{\"ip\":\"10.81.0.3\",\"user\":\"g3\"}\n{\"ip\":\"10.81.0.9\"}\n",
    )
    .unwrap();
    let out = run(
        sim.guest(&key),
        &["end", "--from", f.to_str().unwrap(), "-o", "json"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn error_rows_have_distinct_exit_codes() {
    // unreachable
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let out = Command::cargo_bin("panops")
        .unwrap()
        .env_clear()
        .env("PANOPS_CONFIG", "")
        .env("FIREWALL_HOST", format!("http://127.0.0.1:{port}"))
        .env("FIREWALL_API_KEY", "k")
        .args(["guest", "end", "--ip", "10.82.0.1", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("127.0.0.1:{port}")) && err.contains("management interface"),
        "{err}"
    );

    // unsupported adapter, malformed IP, empty user: usage errors, nothing sent
    let sim = Sim::start(&["--admin", "admin:admin", "--admin", "viewer:v:read-only"]);
    let key = sim.key("admin", "admin");
    let mut cmd = sim.guest(&key);
    cmd.env("FIREWALL_ADAPTER", "fortigate");
    let out = run(cmd, &["end", "--ip", "10.82.0.1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("palo-alto"));
    for args in [
        &["end", "--ip", "10.82.0.300"][..],
        &["end", "--ip", "fe80::1%eth0"][..],
        &["end", "--ip", "10.82.0.1", "--user", " "][..],
    ] {
        let out = run(sim.guest(&key), args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    // permission: a read-only key
    let ro = sim.key("viewer", "v");
    run(
        sim.guest(&key),
        &["start", "--ip", "10.82.0.5", "--user", "g5"],
    );
    let out = run(sim.guest(&ro), &["end", "--ip", "10.82.0.5", "-o", "json"]);
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("User-ID Agent"));

    // wrong user
    let out = run(
        sim.guest(&key),
        &["end", "--ip", "10.82.0.5", "--user", "g6", "-o", "json"],
    );
    assert_eq!(out.status.code(), Some(7));
}

#[test]
fn tls_failure_names_both_fixes() {
    let mut cmd = Command::cargo_bin("panops").unwrap();
    cmd.env_clear()
        .args(["sim", "--kind", "firewall", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let child = cmd.spawn().unwrap();
    let mut sim = Sim {
        child,
        port: String::new(),
    };
    let mut line = String::new();
    BufReader::new(sim.child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find_map(|kv| kv.strip_prefix("url="))
        .unwrap()
        .to_string();
    sim.port = url.rsplit(':').next().unwrap().to_string();
    let host = format!("127.0.0.1:{}", sim.port);
    let out = Command::cargo_bin("panops")
        .unwrap()
        .env_clear()
        .env("PANOPS_CONFIG", "")
        .env("FIREWALL_HOST", &host)
        .env("FIREWALL_API_KEY", "k")
        .args(["guest", "end", "--ip", "10.83.0.1"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("FIREWALL_CA_FILE") && err.contains("FIREWALL_VERIFY_TLS=false"),
        "{err}"
    );
    // and FIREWALL_VERIFY_TLS=false gets through to the device (which then refuses the key)
    let out = Command::cargo_bin("panops")
        .unwrap()
        .env_clear()
        .env("PANOPS_CONFIG", "")
        .env("FIREWALL_HOST", &host)
        .env("FIREWALL_API_KEY", "k")
        .env("FIREWALL_VERIFY_TLS", "false")
        .args(["guest", "end", "--ip", "10.83.0.1"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn radclient(addr: &str, secret: &str, body: &str) -> Output {
    // a wrong secret is never answered: give up on it quickly
    let (retries, timeout) = if secret == "not-it" {
        ("1", "1")
    } else {
        ("2", "5")
    };
    let mut child = Command::new("radclient")
        .args(["-r", retries, "-t", timeout, addr, "acct", secret])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(body.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn radius_listener_with_radclient() {
    if Command::new("radclient").arg("-h").output().is_err() {
        if std::env::var("PANOPS_CI").as_deref() == Ok("1") {
            panic!("radclient (Debian package freeradius-utils) is required in CI but missing");
        }
        eprintln!("note: radclient not installed (apt-get install freeradius-utils); skipping");
        return;
    }
    let sim = Sim::start(&[]);
    let key = sim.key("admin", "admin");
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("secret");
    std::fs::write(&secret_file, "wifi-secret\n").unwrap();
    let mut listener = sim
        .guest(&key)
        .args(["radius", "--listen", "127.0.0.1:0", "--secret-file"])
        .arg(&secret_file)
        .args(["--queue-file"])
        .arg(dir.path().join("queue.ndjson"))
        .args(["-o", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(listener.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .rsplit(' ')
        .next()
        .expect("listening line")
        .to_string();
    assert!(line.contains("listening on udp"), "{line}");

    let out = radclient(
        &addr,
        "wifi-secret",
        "Acct-Status-Type = Start, Framed-IP-Address = 10.84.0.1, User-Name = \"guest-r\", Acct-Session-Id = \"r1\"\n",
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Accounting-Response"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&run(
        sim.guest(&key),
        &["end", "--ip", "10.84.0.1", "--dry-run", "-o", "json"],
    ));
    assert_eq!(v["mapped_user"], "guest-r", "{v}");

    // the wrong secret gets no answer and changes nothing
    let out = radclient(
        &addr,
        "not-it",
        "Acct-Status-Type = Stop, Framed-IP-Address = 10.84.0.1, User-Name = \"guest-r\", Acct-Session-Id = \"r1\"\n",
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("Accounting-Response"));

    let out = radclient(
        &addr,
        "wifi-secret",
        "Acct-Status-Type = Stop, Framed-IP-Address = 10.84.0.1, User-Name = \"guest-r\", Acct-Session-Id = \"r1\"\n",
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Accounting-Response"));
    let v = json(&run(
        sim.guest(&key),
        &["end", "--ip", "10.84.0.1", "-o", "json"],
    ));
    assert_eq!(v["outcome"], "nothing_to_do", "{v}");

    let pid = listener.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let out = listener.wait_with_output().unwrap();
    assert!(out.status.success());
    let stats: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stats["starts"], 1, "{stats}");
    assert_eq!(stats["stops"], 1, "{stats}");
    assert!(stats["bad_authenticator"].as_u64().unwrap() >= 1, "{stats}");
}
