//! `panops sim` as a process: the ready line, the start-up warning, one request log line per
//! request with no secrets in it, and `--state DIR` across a restart of the binary.
//!
//! The HTTP requests are written by hand over a TCP socket (`--plain`), so the test needs
//! no HTTP client dependency.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// A self-signed test certificate (CN=cli-state.example, valid until 2126), made for this
/// test with openssl.
const TEST_CERT: &str = "-----BEGIN CERTIFICATE-----
MIIBjzCCATWgAwIBAgIUC9JzyLPP1989bYw8ILxshoreua0wCgYIKoZIzj0EAwIw
HDEaMBgGA1UEAwwRY2xpLXN0YXRlLmV4YW1wbGUwIBcNMjYxMjAxMTg0OTI4WhgP
MjEyNjExMDcxODQ5MjhaMBwxGjAYBgNVBAMMEWNsaS1zdGF0ZS5leGFtcGxlMFkw
EwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAED5ZTPtJ89yzeW6ASExbyHNkQBHw+snPY
N5Lj10loaj56reaBP19H67JHmcKErOaEzpxJZJiaMNoxGe7GSD36h6NTMFEwHQYD
VR0OBBYEFJbHrTNjNr6eyzqQQtGHp0QyxJZgMB8GA1UdIwQYMBaAFJbHrTNjNr6e
yzqQQtGHp0QyxJZgMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIg
DpSZV+KXccM531DNbAwISwL2Camo7PV2MlJSh4smpVMCIQCPYy1P9UUOz2NvbIHb
JdQ28y3Ci/94FRqbhYpNDCVpsg==
-----END CERTIFICATE-----
";

const VSYS: &str = "/config/devices/entry[@name='localhost.localdomain']/vsys/entry[@name='vsys1']";

/// A running `panops sim`; stopped (SIGTERM, then waited for) by [`Sim::stop`] or on drop.
struct Sim {
    child: Option<Child>,
    ready: String,
    addr: String,
    stderr: Arc<Mutex<Vec<String>>>,
    reader: Option<JoinHandle<()>>,
}

impl Sim {
    fn start(args: &[&str]) -> Sim {
        let job_ms: &[&str] = if args.contains(&"--job-ms") {
            &[]
        } else {
            &["--job-ms", "100"]
        };
        let mut child = Command::new(env!("CARGO_BIN_EXE_panops"))
            .args(["sim", "--plain", "--listen", "127.0.0.1:0"])
            .args(job_ms)
            .args(args)
            .env_remove("PANOPS_LOG")
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn panops sim");
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let sink = stderr.clone();
        let err = child.stderr.take().expect("stderr");
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                sink.lock().expect("lock").push(strip_ansi(&line));
            }
        });
        let mut ready = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut ready)
            .expect("ready line");
        let ready = ready.trim_end().to_string();
        let addr = ready
            .split_whitespace()
            .find_map(|kv| kv.strip_prefix("url=http://"))
            .unwrap_or_else(|| panic!("no url in the ready line: {ready:?}"))
            .to_string();
        Sim {
            child: Some(child),
            ready,
            addr,
            stderr,
            reader: Some(reader),
        }
    }

    /// One HTTP request; (status, body).
    fn http(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> (u16, String) {
        let mut s = TcpStream::connect(&self.addr).expect("connect");
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.addr,
            body.len()
        );
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        s.write_all(req.as_bytes()).expect("write");
        s.write_all(body).expect("write body");
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).expect("read");
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        (status, body.to_string())
    }

    /// A form POST to /api/.
    fn post(&self, form: &[(&str, &str)], headers: &[(&str, &str)]) -> String {
        let body = encode(form);
        let mut h = vec![("Content-Type", "application/x-www-form-urlencoded")];
        h.extend_from_slice(headers);
        let (status, body) = self.http("POST", "/api/", &h, body.as_bytes());
        assert_eq!(status, 200, "{form:?}: {body}");
        body
    }

    /// A GET to /api/ with the parameters in the URL.
    fn get(&self, query: &[(&str, &str)]) -> String {
        let (status, body) = self.http("GET", &format!("/api/?{}", encode(query)), &[], b"");
        assert_eq!(status, 200, "{body}");
        body
    }

    fn keygen(&self, user: &str, password: &str) -> String {
        let body = self.post(
            &[("type", "keygen"), ("user", user), ("password", password)],
            &[],
        );
        between(&body, "<key>", "</key>").unwrap_or_else(|| panic!("no key: {body}"))
    }

    fn commit(&self, key: &str) -> String {
        let body = self.post(
            &[("type", "commit"), ("cmd", "<commit/>")],
            &[("X-PAN-KEY", key)],
        );
        let id = between(&body, "<job>", "</job>").unwrap_or_else(|| panic!("no job: {body}"));
        loop {
            let job = self.post(
                &[
                    ("type", "op"),
                    ("cmd", &format!("<show><jobs><id>{id}</id></jobs></show>")),
                ],
                &[("X-PAN-KEY", key)],
            );
            if job.contains("<status>FIN</status>") {
                return job;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    /// SIGKILL: no chance to save anything on the way out.
    fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM (a graceful stop that saves `--state`), wait, and collect stderr.
    fn stop(&mut self) -> Vec<String> {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let _ = child.wait();
        }
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
        self.stderr.lock().expect("lock").clone()
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The log may be coloured; compare plain text.
fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c == '\u{1b}' {
            for d in it.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn encode(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", pct(k), pct(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn pct(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn between(s: &str, a: &str, b: &str) -> Option<String> {
    Some(s.split(a).nth(1)?.split(b).next()?.to_string())
}

#[test]
fn ready_line_and_default_admin_warning() {
    let mut sim = Sim::start(&["--kind", "firewall"]);
    let fields: Vec<&str> = sim.ready.split_whitespace().collect();
    assert_eq!(fields[0], "panops-sim", "{}", sim.ready);
    assert_eq!(fields[1], "ready", "{}", sim.ready);
    assert!(
        fields[2].starts_with("url=http://127.0.0.1:"),
        "{}",
        sim.ready
    );
    let port: u16 = fields[2]
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port");
    assert_ne!(port, 0, "port 0 was replaced by the bound port");
    assert_eq!(fields[3], "kind=firewall");
    let serials = fields[4].strip_prefix("serials=").expect("serials");
    assert_eq!(serials.len(), 15, "{serials}");
    assert!(serials.bytes().all(|b| b.is_ascii_digit()), "{serials}");
    let key = sim.keygen("admin", "admin");
    assert!(key.starts_with("LUFRPT"));
    let err = sim.stop();
    assert!(
        err.iter()
            .any(|l| l.contains("WARNING") && l.contains("admin:admin") && l.contains("--admin")),
        "{err:?}"
    );
}

#[test]
fn panorama_ready_line_lists_managed_serials() {
    let mut sim = Sim::start(&["--kind", "panorama", "--firewalls", "3", "--admin", "a:b"]);
    let serials = sim
        .ready
        .split_whitespace()
        .find_map(|f| f.strip_prefix("serials="))
        .expect("serials");
    let list: Vec<&str> = serials.split(',').collect();
    assert_eq!(list.len(), 3, "{}", sim.ready);
    assert!(sim.ready.contains(" kind=panorama "), "{}", sim.ready);
    let err = sim.stop();
    assert!(
        !err.iter().any(|l| l.contains("WARNING")),
        "no warning with --admin: {err:?}"
    );
}

#[test]
fn one_log_line_per_request_without_secrets() {
    let password = "S3cr3t-Pa55word";
    let mut sim = Sim::start(&["--kind", "firewall", "--admin", &format!("ops:{password}")]);
    let key = sim.keygen("ops", password);
    let info = "<show><system><info/></system></show>";
    // the key in the POST body, in the header, and in the URL of a GET
    sim.post(&[("type", "op"), ("cmd", info), ("key", &key)], &[]);
    sim.post(&[("type", "op"), ("cmd", info)], &[("X-PAN-KEY", &key)]);
    sim.get(&[("type", "op"), ("cmd", info), ("key", &key)]);
    // a keygen by GET with the password in the URL
    let body = sim.get(&[("type", "keygen"), ("user", "ops"), ("password", password)]);
    assert!(body.contains("<key>"), "{body}");
    // a refused password is logged too (status 403)
    let (status, _) = sim.http(
        "POST",
        "/api/",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        encode(&[
            ("type", "keygen"),
            ("user", "ops"),
            ("password", "wrong-pw"),
        ])
        .as_bytes(),
    );
    assert_eq!(status, 403);
    let err = sim.stop();
    let requests: Vec<&String> = err.iter().filter(|l| l.contains("api request")).collect();
    assert_eq!(requests.len(), 6, "one line per request: {err:#?}");
    assert_eq!(
        requests
            .iter()
            .filter(|l| l.contains("type=keygen"))
            .count(),
        3,
        "{requests:#?}"
    );
    assert!(
        requests.iter().any(|l| l.contains("status=403")),
        "{requests:#?}"
    );
    assert_eq!(
        requests.iter().filter(|l| l.contains("type=op")).count(),
        3,
        "{requests:#?}"
    );
    let all = err.join("\n");
    assert!(
        !all.contains(password),
        "the password is never logged: {all}"
    );
    assert!(!all.contains("wrong-pw"), "{all}");
    assert!(!all.contains(&key), "the API key is never logged: {all}");
    assert!(!all.contains(&key[6..20]), "not even part of it: {all}");
}

#[test]
fn state_dir_survives_a_restart_of_the_binary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().to_str().expect("utf-8 path").to_string();
    let mut sim = Sim::start(&["--kind", "firewall", "--state", &state]);
    let key = sim.keygen("admin", "admin");
    let kh = [("X-PAN-KEY", key.as_str())];
    sim.post(
        &[
            ("type", "config"),
            ("action", "set"),
            ("xpath", &format!("{VSYS}/address")),
            (
                "element",
                "<entry name='kept-addr'><ip-netmask>10.8.8.8</ip-netmask></entry>",
            ),
        ],
        &kh,
    );
    let fin = sim.commit(&key);
    assert!(fin.contains("<result>OK</result>"), "{fin}");
    let boundary = "----panops-cli-test";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"kept.pem\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(TEST_CERT.as_bytes());
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let ctype = format!("multipart/form-data; boundary={boundary}");
    let (status, imported) = sim.http(
        "POST",
        &format!(
            "/api/?{}",
            encode(&[
                ("type", "import"),
                ("category", "certificate"),
                ("certificate-name", "kept-cert"),
                ("format", "pem"),
            ])
        ),
        &[
            ("Content-Type", ctype.as_str()),
            ("X-PAN-KEY", key.as_str()),
        ],
        &body,
    );
    assert_eq!(status, 200, "{imported}");
    assert!(
        imported.contains("Successfully imported kept-cert"),
        "{imported}"
    );
    sim.stop();

    let mut again = Sim::start(&["--kind", "firewall", "--state", &state]);
    // the old key still works, the committed address and the certificate are back
    let addr = again.post(
        &[
            ("type", "config"),
            ("action", "show"),
            ("xpath", &format!("{VSYS}/address/entry[@name='kept-addr']")),
        ],
        &kh,
    );
    assert!(addr.contains("10.8.8.8"), "{addr}");
    let cert = again.post(
        &[
            ("type", "config"),
            ("action", "get"),
            (
                "xpath",
                "/config/shared/certificate/entry[@name='kept-cert']",
            ),
        ],
        &kh,
    );
    assert!(
        cert.contains("<common-name>cli-state.example</common-name>")
            && cert.contains("<not-valid-after>Nov  7 18:49:28 2126 GMT</not-valid-after>"),
        "{cert}"
    );
    again.stop();
}

fn set_address(sim: &Sim, key: &str, name: &str, ip: &str) {
    let body = sim.post(
        &[
            ("type", "config"),
            ("action", "set"),
            ("xpath", &format!("{VSYS}/address")),
            (
                "element",
                &format!("<entry name='{name}'><ip-netmask>{ip}</ip-netmask></entry>"),
            ),
        ],
        &[("X-PAN-KEY", key)],
    );
    assert!(body.contains("status=\"success\""), "{body}");
}

fn show(sim: &Sim, key: &str, action: &str, xpath: &str) -> String {
    sim.post(
        &[("type", "config"), ("action", action), ("xpath", xpath)],
        &[("X-PAN-KEY", key)],
    )
}

fn op(sim: &Sim, key: &str, cmd: &str) -> String {
    sim.post(&[("type", "op"), ("cmd", cmd)], &[("X-PAN-KEY", key)])
}

#[test]
fn every_acknowledged_change_survives_kill_9() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().to_str().expect("utf-8 path").to_string();
    let mut sim = Sim::start(&["--kind", "firewall", "--state", &state]);
    let key = sim.keygen("admin", "admin");
    for i in 0..150 {
        set_address(
            &sim,
            &key,
            &format!("flood-{i}"),
            &format!("10.9.{}.{}", i / 250, i % 250),
        );
    }
    let fin = sim.commit(&key);
    assert!(fin.contains("<result>OK</result>"), "{fin}");
    let job = between(&fin, "<id>", "</id>").expect("job id");
    for i in 150..200 {
        set_address(
            &sim,
            &key,
            &format!("flood-{i}"),
            &format!("10.9.{}.{}", i / 250, i % 250),
        );
    }
    // killed the moment the last write was acknowledged: nothing gets saved on the way out
    sim.kill9();

    let mut again = Sim::start(&["--kind", "firewall", "--state", &state]);
    let running = show(&again, &key, "show", &format!("{VSYS}/address"));
    let candidate = show(&again, &key, "get", &format!("{VSYS}/address"));
    for i in 0..200 {
        let entry = format!("name=\"flood-{i}\"");
        assert!(
            candidate.contains(&entry),
            "flood-{i} lost from the candidate"
        );
        assert_eq!(
            running.contains(&entry),
            i < 150,
            "flood-{i} in running: {}",
            i < 150
        );
    }
    let shown = op(
        &again,
        &key,
        &format!("<show><jobs><id>{job}</id></jobs></show>"),
    );
    assert!(
        shown.contains("<result>OK</result>"),
        "the finished commit job is kept: {shown}"
    );
    let pending = op(&again, &key, "<check><pending-changes/></check>");
    assert!(pending.contains("<result>yes</result>"), "{pending}");
    again.stop();
}

/// Each change is written for the device it changed only (issue 14 item 9): interleaved
/// writes to three firewalls through Panorama, a write on Panorama itself and a commit on
/// one firewall must all survive a `kill -9`, none overwritten by another device's snapshot.
#[test]
fn changes_to_every_device_of_a_panorama_estate_survive_kill_9() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().to_str().expect("utf-8 path").to_string();
    let args = ["--kind", "panorama", "--firewalls", "3", "--state", &state];
    let mut sim = Sim::start(&args);
    let key = sim.keygen("admin", "admin");
    let kh = [("X-PAN-KEY", key.as_str())];
    let serials = ["007951000000001", "007951000000002", "007951000000003"];
    let vsys_address = format!("{VSYS}/address");
    let set_on = |sim: &Sim, target: &str, name: &str| {
        let element = format!("<entry name='{name}'><ip-netmask>10.7.7.7</ip-netmask></entry>");
        let mut form = vec![
            ("type", "config"),
            ("action", "set"),
            ("xpath", &vsys_address),
            ("element", element.as_str()),
        ];
        if target.is_empty() {
            form[2].1 = "/config/shared/address";
        } else {
            form.push(("target", target));
        }
        let body = sim.post(&form, &kh);
        assert!(body.contains("status=\"success\""), "{body}");
    };
    for i in 0..20 {
        for (n, s) in serials.iter().enumerate() {
            set_on(&sim, s, &format!("fw{n}-{i}"));
        }
    }
    // a saved config on the first firewall, then more changes (the saved configs are
    // not rewritten with those, and must still be there)
    let saved = sim.post(
        &[
            ("type", "op"),
            ("cmd", "<save><config><to>kept.xml</to></config></save>"),
            ("target", serials[0]),
        ],
        &kh,
    );
    assert!(saved.contains("status=\"success\""), "{saved}");
    // a commit on the second firewall: its job finishes on the clock, its running config
    // (and its list of committed versions) changes with nobody's request in flight
    let job = sim.post(
        &[
            ("type", "commit"),
            ("cmd", "<commit/>"),
            ("target", serials[1]),
        ],
        &kh,
    );
    let id = between(&job, "<job>", "</job>").unwrap_or_else(|| panic!("no job: {job}"));
    loop {
        let shown = sim.post(
            &[
                ("type", "op"),
                ("cmd", &format!("<show><jobs><id>{id}</id></jobs></show>")),
                ("target", serials[1]),
            ],
            &kh,
        );
        if shown.contains("<status>FIN</status>") {
            assert!(shown.contains("<result>OK</result>"), "{shown}");
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    set_on(&sim, "", "on-panorama");
    set_on(&sim, serials[0], "fw0-last");
    sim.kill9();

    let mut again = Sim::start(&args);
    let read = |action: &str, target: &str, xpath: &str| {
        let mut form = vec![("type", "config"), ("action", action), ("xpath", xpath)];
        if !target.is_empty() {
            form.push(("target", target));
        }
        again.post(&form, &kh)
    };
    for (n, s) in serials.iter().enumerate() {
        let candidate = read("get", s, &format!("{VSYS}/address"));
        for i in 0..20 {
            assert!(
                candidate.contains(&format!("name=\"fw{n}-{i}\"")),
                "fw{n}-{i} lost from {s}'s candidate"
            );
        }
        // nothing of another firewall's landed here
        let other = (n + 1) % 3;
        assert!(
            !candidate.contains(&format!("name=\"fw{other}-0\"")),
            "{candidate}"
        );
        let running = read("show", s, &format!("{VSYS}/address"));
        assert_eq!(
            running.contains("name=\"fw1-19\""),
            n == 1,
            "only the committed firewall has its addresses running: {s}: {running}"
        );
    }
    assert!(
        read("get", serials[0], &format!("{VSYS}/address")).contains("name=\"fw0-last\""),
        "the last acknowledged write is kept"
    );
    assert!(
        read("get", "", "/config/shared/address").contains("name=\"on-panorama\""),
        "Panorama's own change is kept"
    );
    let op_on = |target: &str, cmd: &str| {
        again.post(&[("type", "op"), ("cmd", cmd), ("target", target)], &kh)
    };
    let audit = op_on(
        serials[1],
        "<show><config><audit><info/></audit></config></show>",
    );
    assert!(
        audit.contains("<entry name=\"2\">"),
        "the commit's version is kept: {audit}"
    );
    let loaded = op_on(
        serials[0],
        "<load><config><from>kept.xml</from></config></load>",
    );
    assert!(
        loaded.contains("status=\"success\""),
        "the saved config is kept: {loaded}"
    );
    again.stop();
}

#[test]
fn a_commit_cut_by_kill_9_fails_and_its_candidate_stays_pending() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().to_str().expect("utf-8 path").to_string();
    let args = ["--kind", "firewall", "--state", &state, "--job-ms", "60000"];
    let mut sim = Sim::start(&args);
    let key = sim.keygen("admin", "admin");
    set_address(&sim, &key, "mid-commit", "10.7.7.7");
    let body = sim.post(
        &[("type", "commit"), ("cmd", "<commit/>")],
        &[("X-PAN-KEY", key.as_str())],
    );
    let job = between(&body, "<job>", "</job>").unwrap_or_else(|| panic!("no job: {body}"));
    sim.kill9();

    let mut again = Sim::start(&["--kind", "firewall", "--state", &state]);
    let shown = op(
        &again,
        &key,
        &format!("<show><jobs><id>{job}</id></jobs></show>"),
    );
    assert!(
        shown.contains("<status>FIN</status>")
            && shown.contains("<result>FAIL</result>")
            && shown.contains("interrupted"),
        "{shown}"
    );
    let running = show(&again, &key, "show", &format!("{VSYS}/address"));
    assert!(!running.contains("mid-commit"), "{running}");
    let pending = op(&again, &key, "<check><pending-changes/></check>");
    assert!(pending.contains("<result>yes</result>"), "{pending}");
    // and the change can be committed now
    let fin = again.commit(&key);
    assert!(fin.contains("<result>OK</result>"), "{fin}");
    let running = show(&again, &key, "show", &format!("{VSYS}/address"));
    assert!(running.contains("10.7.7.7"), "{running}");
    again.stop();
}

/// `panops sim` that is expected not to start: (exit code, stderr).
fn sim_refuses(args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_panops"))
        .args(["sim", "--plain", "--listen", "127.0.0.1:0"])
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run panops sim");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("panops sim {args:?} started instead of refusing");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut stderr);
    }
    (status.code(), stderr)
}

#[test]
fn a_damaged_state_file_is_refused_and_reset_state_keeps_it_aside() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().to_str().expect("utf-8 path").to_string();
    let mut sim = Sim::start(&["--kind", "firewall", "--state", &state]);
    let key = sim.keygen("admin", "admin");
    for i in 0..40 {
        set_address(&sim, &key, &format!("a-{i}"), "10.1.1.1");
    }
    sim.stop();
    let file = dir.path().join("state.redb");
    let good = std::fs::read(&file).expect("state file");
    assert!(good.len() > 4096, "{} bytes", good.len());

    // bit rot in every page in use (free pages are not damage: redb never reads them)
    let mut flipped = good.clone();
    for page in flipped.chunks_mut(4096).skip(2) {
        if page.iter().any(|&b| b != 0) {
            for b in &mut page[64..192] {
                *b ^= 0x5a;
            }
        }
    }
    let damaged: [(&str, Vec<u8>); 3] = [
        ("truncated", good[..good.len() / 3].to_vec()),
        ("byte-flipped", flipped),
        ("empty", Vec::new()),
    ];
    for (what, bytes) in damaged {
        std::fs::write(&file, &bytes).expect("write damaged file");
        let (code, stderr) = sim_refuses(&["--kind", "firewall", "--state", &state]);
        assert!(
            code.is_some_and(|c| c != 0 && c != 101),
            "{what}: exit {code:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{what}: {stderr}");
        assert!(
            stderr.contains(&file.display().to_string())
                && stderr.contains("damaged")
                && stderr.contains("--reset-state"),
            "{what}: {stderr}"
        );
        assert_eq!(
            std::fs::read(&file).expect("file"),
            bytes,
            "{what}: left untouched"
        );
    }

    // --reset-state: starts fresh, the damaged file is kept beside it
    let mut fresh = Sim::start(&["--kind", "firewall", "--state", &state, "--reset-state"]);
    let key = fresh.keygen("admin", "admin");
    let addrs = show(&fresh, &key, "get", &format!("{VSYS}/address"));
    assert!(!addrs.contains("a-1"), "{addrs}");
    fresh.stop();
    let aside: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("state.redb.damaged-")
        })
        .collect();
    assert_eq!(aside.len(), 1, "{aside:?}");
}

#[cfg(unix)]
#[test]
fn state_is_owner_only_and_keys_differ_between_instances() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let state_dir = dir.path().join("state");
    let state = state_dir.to_str().expect("utf-8 path").to_string();
    let mut a = Sim::start(&["--kind", "firewall", "--state", &state]);
    let key_a = a.keygen("admin", "admin");
    a.stop();
    let mode =
        |p: &std::path::Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
    assert_eq!(mode(&state_dir), 0o700);
    assert_eq!(mode(&state_dir.join("state.redb")), 0o600);
    let mut b = Sim::start(&["--kind", "firewall"]);
    let key_b = b.keygen("admin", "admin");
    b.stop();
    assert_ne!(key_a, key_b, "every simulator derives its own keys");
    // the persisted salt keeps a key valid across restarts
    let mut again = Sim::start(&["--kind", "firewall", "--state", &state]);
    assert_eq!(again.keygen("admin", "admin"), key_a);
    again.stop();
}

#[test]
fn help_lists_a_commands_own_options_first_and_connection_options_apart() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_panops"))
        .args(["commit", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    let own = help.find("--description").expect("commit's own option");
    let heading = help
        .find("Connection options:")
        .expect("a connection heading");
    let hostname = help.find("--hostname").expect("connection option");
    assert!(own < heading && heading < hostname, "{help}");
    let global = help.find("Global options:").expect("a global heading");
    assert!(own < global, "{help}");
}

/// `panops ARGS --help` as text.
fn help_of(args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_panops"))
        .args(args)
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn only_commands_that_connect_list_connection_options() {
    for offline in [
        &["sim"][..],
        &["demo"],
        &["action", "list"],
        &["action", "describe"],
        &["cert", "processes"],
        &["cert", "process"],
        &[],
    ] {
        let help = help_of(offline);
        for flag in ["--hostname", "--api-key-file", "Connection options:"] {
            assert!(
                !help.contains(flag),
                "panops {offline:?} --help: {flag}\n{help}"
            );
        }
    }
    // `op`: its own argument first, then the connection options under their heading.
    let help = help_of(&["op"]);
    let own = help.find("<COMMAND>").expect("op's own argument");
    let heading = help.find("Connection options:").expect("heading");
    let hostname = help.find("--hostname").expect("connection option");
    assert!(own < heading && heading < hostname, "{help}");
    for connecting in [
        &["config", "get"][..],
        &["userid", "login"],
        &["run"],
        &["guest", "end"],
        &["cert", "inventory"],
        &["check", "sessions"],
        &["exporter"],
        &["keygen"],
        &["version"],
    ] {
        let help = help_of(connecting);
        assert!(
            help.contains("Connection options:") && help.contains("--request-timeout"),
            "panops {connecting:?} --help\n{help}"
        );
    }
    // SCM: the tenant comes from the profile / SCM_* variables; PAN-OS host flags do not apply.
    let help = help_of(&["scm", "push"]);
    assert!(
        help.contains("Connection options:") && help.contains("--profile"),
        "{help}"
    );
    for flag in ["--hostname", "--target", "--vsys", "--api-key-file"] {
        assert!(!help.contains(flag), "scm push --help: {flag}\n{help}");
    }
}

#[test]
fn connection_flags_work_before_and_after_the_subcommand() {
    let sim = Sim::start(&["--kind", "firewall"]);
    let (host, port) = sim.addr.rsplit_once(':').unwrap();
    let panops = || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_panops"));
        cmd.env_clear()
            .env("PANOPS_CONFIG", "")
            .env("PANOS_USERNAME", "admin")
            .env("PANOS_PASSWORD", "admin");
        cmd
    };
    let version = |cmd: &mut Command| {
        let out = cmd.args(["-o", "json"]).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // Before (as the README writes it), after, and split between the two.
    let before = version(panops().args([
        "--hostname",
        host,
        "--port",
        port,
        "--protocol",
        "http",
        "version",
    ]));
    let after = version(panops().args([
        "version",
        "--hostname",
        host,
        "--port",
        port,
        "--protocol",
        "http",
    ]));
    let split = version(panops().args([
        "--hostname",
        "unreachable.invalid",
        "--protocol",
        "http",
        "config",
        "get",
        "/config/devices",
        "--hostname",
        host,
        "--port",
        port,
    ]));
    assert_eq!(before, after);
    assert!(
        before.contains("sw-version") || before.contains("version"),
        "{before}"
    );
    // The flag after the subcommand won: the config was read from the simulator.
    assert!(split.contains("localhost.localdomain"), "{split}");
}

#[test]
fn bare_op_values_follow_the_device_grammar() {
    let sim = Sim::start(&["--kind", "firewall"]);
    let (host, port) = sim.addr.rsplit_once(':').unwrap();
    let op = |cmd: &str| -> serde_json::Value {
        let out = Command::new(env!("CARGO_BIN_EXE_panops"))
            .env_clear()
            .env("PANOPS_CONFIG", "")
            .env("PANOS_USERNAME", "admin")
            .env("PANOS_PASSWORD", "admin")
            .args(["op", cmd, "-o", "json", "--hostname", host, "--port", port])
            .args(["--protocol", "http"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{cmd}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    // `application ssl` is a filter value, so it matches the simulated TLS sessions (and only
    // them); before the grammar it became an <ssl/> element and matched nothing.
    let mut found = 0;
    for _ in 0..20 {
        let all = op("show session all filter application ssl");
        let entries = all["result"]["entry"].clone();
        let list = match entries {
            serde_json::Value::Array(a) => a,
            serde_json::Value::Null => Vec::new(),
            one => vec![one],
        };
        for e in &list {
            assert_eq!(e["application"], "ssl", "{all}");
        }
        found = list.len();
        if found > 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    assert!(found > 0, "no ssl session was ever matched");
    let one = op("show interface ethernet1/1");
    assert!(one.to_string().contains("ethernet1/1"), "{one}");
}
