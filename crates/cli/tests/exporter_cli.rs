//! `panops check` and `panops exporter` as processes against `panops sim`.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A simulated firewall with a read-only `monitor` admin; returns the process and port.
fn sim() -> (Proc, String) {
    let mut child = Command::cargo_bin("panops")
        .unwrap()
        .env("PANOPS_CONFIG", "")
        .args([
            "sim",
            "--kind",
            "firewall",
            "--plain",
            "--listen",
            "127.0.0.1:0",
        ])
        .args(["--admin", "admin:admin", "--admin", "monitor:m0n:read-only"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find_map(|kv| kv.strip_prefix("url="))
        .unwrap_or_else(|| panic!("ready line: {line}"))
        .to_string();
    let port = url
        .rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches('/')
        .to_string();
    (Proc(child), port)
}

fn check(port: &str, dir: &std::path::Path, pw: &str, args: &[&str]) -> (i32, String) {
    let pwf = dir.join("pw");
    std::fs::write(&pwf, pw).unwrap();
    let out = Command::cargo_bin("panops")
        .unwrap()
        .env_clear()
        .env("PANOPS_CONFIG", "")
        .args(["check"])
        .args(args)
        .args([
            "--hostname",
            "127.0.0.1",
            "--port",
            port,
            "--protocol",
            "http",
        ])
        .args(["--username", "monitor", "--password-file"])
        .arg(&pwf)
        .arg("--key-cache")
        .arg(dir.join("key"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        text.lines().count(),
        1,
        "one plugin line: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn check_modes_exit_codes_and_key_cache() {
    let (_sim, port) = sim();
    let dir = tempfile::tempdir().unwrap();
    let (code, out) = check(
        &port,
        dir.path(),
        "m0n",
        &["sessions", "-w", "80", "-c", "90"],
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.starts_with("OK - sessions: ") && out.contains("| 'utilization'="),
        "{out}"
    );
    // the key is cached owner-only
    let key = dir.path().join("key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    // a wrong password does not matter while the cached key works: no keygen happened
    let (code, out) = check(&port, dir.path(), "wrong-password", &["disk"]);
    assert_eq!(code, 0, "{out}");
    // a stale cached key is replaced by a new keygen
    std::fs::write(&key, "LUFRPT-stale").unwrap();
    let (code, out) = check(&port, dir.path(), "m0n", &["interfaces"]);
    assert_eq!(code, 0, "{out}");
    assert_ne!(std::fs::read_to_string(&key).unwrap(), "LUFRPT-stale");
    // thresholds decide warning / critical
    let (code, out) = check(
        &port,
        dir.path(),
        "m0n",
        &["sessions", "-w", "@0:100", "-c", "200"],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("WARNING - "), "{out}");
    let (code, out) = check(&port, dir.path(), "m0n", &["bgp"]);
    assert_eq!(code, 2, "isp-b is down in the factory state: {out}");
    assert!(out.contains("isp-b"), "{out}");
    let (code, out) = check(
        &port,
        dir.path(),
        "m0n",
        &["certificates", "-w", "30", "-c", "7"],
    );
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("old-ldaps expired"), "{out}");
    let (code, out) = check(&port, dir.path(), "m0n", &["userid"]);
    assert_eq!(code, 2, "{out}");
    // bad input is UNKNOWN
    let (code, out) = check(&port, dir.path(), "m0n", &["sessions", "-w", "ten"]);
    assert_eq!(code, 3, "{out}");
    assert!(
        out.starts_with("UNKNOWN - ") && out.contains("ten"),
        "{out}"
    );
    let (code, out) = check(&port, dir.path(), "m0n", &["nonsense"]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("modes: load"), "{out}");
    assert!(!out.contains("m0n"));
}

#[test]
fn check_against_an_unreachable_device_is_unknown() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port().to_string();
    drop(l);
    let dir = tempfile::tempdir().unwrap();
    let (code, out) = check(&port, dir.path(), "m0n", &["sessions"]);
    assert_eq!(code, 3, "{out}");
    assert!(
        out.starts_with("UNKNOWN - ") && out.contains("unreachable"),
        "{out}"
    );
}

fn http_get(addr: &str, path: &str) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut buf = String::new();
    s.read_to_string(&mut buf).unwrap();
    let code = buf
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = buf
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (code, body)
}

fn keygen(port: &str) -> String {
    let addr = format!("127.0.0.1:{port}");
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    let body = "type=keygen&user=monitor&password=m0n";
    write!(
        s,
        "POST /api/ HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut buf = String::new();
    s.read_to_string(&mut buf).unwrap();
    buf.split("<key>")
        .nth(1)
        .and_then(|k| k.split("</key>").next())
        .unwrap_or_else(|| panic!("no key: {buf}"))
        .to_string()
}

#[test]
fn exporter_single_target_mode() {
    let (_sim, port) = sim();
    let dir = tempfile::tempdir().unwrap();
    let pwf = dir.path().join("pw");
    std::fs::write(&pwf, "m0n\n").unwrap();
    let log = dir.path().join("stderr.log");
    let mut child = Command::cargo_bin("panops")
        .unwrap()
        .env_clear()
        .env("PANOPS_CONFIG", "")
        .args(["-vvv", "exporter", "--listen", "127.0.0.1:0"])
        .args([
            "--hostname",
            "127.0.0.1",
            "--port",
            &port,
            "--protocol",
            "http",
        ])
        .args(["--username", "monitor", "--password-file"])
        .arg(&pwf)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let guard = Proc(child);
    let addr = line
        .trim()
        .strip_prefix("panops exporter listening on http://")
        .unwrap_or_else(|| panic!("listen line: {line}"))
        .to_string();
    let start = Instant::now();
    while http_get(&addr, "/-/ready").0 != 200 {
        assert!(start.elapsed() < Duration::from_secs(20), "never ready");
        std::thread::sleep(Duration::from_millis(100));
    }
    let (code, body) = http_get(&addr, "/probe");
    assert_eq!(code, 200);
    assert!(body.contains("\npanos_up 1"), "{body}");
    let (code, body) = http_get(&addr, "/probe?target=127.0.0.1");
    assert_eq!(code, 200, "the hostname names the single target");
    assert!(body.contains("panos_system_info"), "{body}");
    let (code, _) = http_get(&addr, "/probe?target=other");
    assert_eq!(code, 404);
    drop(guard);
    // trace logging shows requests and bodies, never the password or the key
    let key = keygen(&port);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("PAN-OS request"),
        "trace log is there: {}",
        &text[..text.len().min(500)]
    );
    assert!(
        !text.contains("m0n\n") && !text.contains("password=m0n"),
        "password in the log"
    );
    assert!(!text.contains(&key), "API key in the log");
}

#[test]
fn exporter_refuses_a_bad_targets_file() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("t.yaml");
    std::fs::write(
        &f,
        "targets:\n  - { name: fw, host: fw.example, api_key_file: /k, timeout_secs: 3 }\n",
    )
    .unwrap();
    let out = Command::cargo_bin("panops")
        .unwrap()
        .env_clear()
        .env("PANOPS_CONFIG", "")
        .args(["exporter", "--listen", "127.0.0.1:0", "--config"])
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("timeout_secs") && err.contains("fw"), "{err}");
}

#[test]
fn exporter_reloads_its_targets_on_sighup() {
    let (_sim, port) = sim();
    let dir = tempfile::tempdir().unwrap();
    let pwf = dir.path().join("pw");
    std::fs::write(&pwf, "m0n\n").unwrap();
    let target = |name: &str| {
        format!(
            "  - {{ name: {name}, host: 127.0.0.1, port: {port}, protocol: http, username: monitor, password_file: {} }}\n",
            pwf.display()
        )
    };
    let file = dir.path().join("targets.yaml");
    std::fs::write(&file, format!("targets:\n{}", target("one"))).unwrap();
    let mut child = Command::cargo_bin("panops")
        .unwrap()
        .env_clear()
        .env("PANOPS_CONFIG", "")
        .args(["exporter", "--listen", "127.0.0.1:0", "--config"])
        .arg(&file)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _guard = Proc(child);
    let addr = line
        .trim()
        .strip_prefix("panops exporter listening on http://")
        .unwrap_or_else(|| panic!("listen line: {line}"))
        .to_string();
    assert_eq!(http_get(&addr, "/probe?target=one").0, 200);
    assert_eq!(http_get(&addr, "/probe?target=two").0, 404);
    std::fs::write(
        &file,
        format!("targets:\n{}{}", target("one"), target("two")),
    )
    .unwrap();
    let st = Command::new("kill")
        .args(["-HUP", &pid.to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let start = Instant::now();
    while http_get(&addr, "/probe?target=two").0 != 200 {
        assert!(start.elapsed() < Duration::from_secs(10), "not reloaded");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn check_takes_its_target_from_a_targets_file() {
    let (_sim, port) = sim();
    let dir = tempfile::tempdir().unwrap();
    let pwf = dir.path().join("pw");
    std::fs::write(&pwf, "m0n\n").unwrap();
    let file = dir.path().join("targets.yaml");
    std::fs::write(
        &file,
        format!(
            "targets:\n  - {{ name: edge, host: 127.0.0.1, port: {port}, protocol: http, username: monitor, password_file: {} }}\n",
            pwf.display()
        ),
    )
    .unwrap();
    let run = |target: &str| {
        let out = Command::cargo_bin("panops")
            .unwrap()
            .env_clear()
            .env("PANOPS_CONFIG", "")
            .args(["check", "disk", "--target", target, "--config"])
            .arg(&file)
            .arg("--key-cache")
            .arg(dir.path().join("key"))
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, out) = run("edge");
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("OK - disk: "), "{out}");
    let (code, out) = run("nope");
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("no target \"nope\""), "{out}");
}
