//! CLI tests: the real `panops` binary against the real simulator (`panops sim`) on port 0.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value;

/// A `panops sim` process, killed on drop.
struct Sim {
    child: Child,
    port: String,
    serials: Vec<String>,
}

impl Sim {
    fn start(extra: &[&str]) -> Sim {
        let mut cmd = Command::cargo_bin("panops").unwrap();
        cmd.args(["sim", "--plain", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = cmd.spawn().expect("spawn panops sim");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.starts_with("panops-sim ready "), "ready line: {line}");
        let field = |k: &str| {
            line.split_whitespace()
                .find_map(|kv| kv.strip_prefix(&format!("{k}=")).map(str::to_string))
                .unwrap_or_default()
        };
        let url = field("url");
        let port = url.rsplit(':').next().unwrap().to_string();
        let serials = field("serials").split(',').map(str::to_string).collect();
        Sim {
            child,
            port,
            serials,
        }
    }

    fn panops(&self) -> Command {
        let mut cmd = Command::cargo_bin("panops").unwrap();
        cmd.env_clear()
            .env("PANOPS_CONFIG", "/nonexistent/panops.toml")
            .env("PANOS_HOSTNAME", "127.0.0.1")
            .env("PANOS_PORT", &self.port)
            .env("PANOS_PROTOCOL", "http")
            .env("PANOS_USERNAME", "admin")
            .env("PANOS_PASSWORD", "admin");
        cmd
    }

    fn json(&self, args: &[&str]) -> Value {
        let out = self
            .panops()
            .args(args)
            .args(["-o", "json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "panops {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn keygen_gives_a_key_as_json() {
    let sim = Sim::start(&[]);
    let v = sim.json(&["keygen"]);
    assert!(v["key"].as_str().is_some_and(|k| k.len() > 20), "{v}");
}

#[test]
fn config_set_get_commit_round_trip() {
    let sim = Sim::start(&[]);
    let xpath = "/config/shared/address";
    sim.json(&[
        "config",
        "set",
        xpath,
        "<entry name='web-1'><ip-netmask>10.1.1.1/32</ip-netmask></entry>",
    ]);
    let got = sim.json(&["config", "get", &format!("{xpath}/entry[@name='web-1']")]);
    assert_eq!(got["result"]["entry"]["ip-netmask"], "10.1.1.1/32", "{got}");
    // Not running until committed.
    let shown = sim
        .panops()
        .args(["config", "show", &format!("{xpath}/entry[@name='web-1']")])
        .output()
        .unwrap();
    assert_eq!(
        shown.status.code(),
        Some(1),
        "show of uncommitted node must fail"
    );
    let job = sim.json(&["commit", "--description", "cli test"]);
    assert_eq!(job["status"], "FIN");
    assert_eq!(job["result"], "OK");
    let shown = sim.json(&["config", "show", &format!("{xpath}/entry[@name='web-1']")]);
    assert_eq!(shown["result"]["entry"]["@name"], "web-1");
    // Nothing left to commit.
    let again = sim.json(&["commit"]);
    assert_eq!(again["changed"], false, "{again}");
}

#[test]
fn commit_no_wait_returns_job_id_then_job_waits() {
    let sim = Sim::start(&[]);
    sim.json(&["config", "set", "/config/shared/tag", "<entry name='t1'/>"]);
    let v = sim.json(&["commit", "--no-wait"]);
    let id = v["job_id"].as_u64().expect("job id");
    let job = sim.json(&["job", &id.to_string(), "--wait"]);
    assert_eq!(job["result"], "OK", "{job}");
}

#[test]
fn push_reports_every_device_and_target_reaches_a_firewall() {
    let sim = Sim::start(&[]);
    let dg = "/config/devices/entry[@name='localhost.localdomain']/device-group";
    let members: String = sim
        .serials
        .iter()
        .map(|s| format!("<entry name='{s}'/>"))
        .collect();
    sim.json(&[
        "config",
        "set",
        dg,
        &format!("<entry name='dg1'><devices>{members}</devices></entry>"),
    ]);
    sim.json(&[
        "config",
        "set",
        &format!("{dg}/entry[@name='dg1']/address"),
        "<entry name='bad-1'><ip-netmask>198.51.100.1</ip-netmask></entry>",
    ]);
    sim.json(&["commit"]);
    let job = sim.json(&["push", "--device-group", "dg1"]);
    assert_eq!(job["result"], "OK", "{job}");
    let devices = job["devices"].as_array().unwrap();
    assert_eq!(devices.len(), sim.serials.len());
    assert!(devices.iter().all(|d| d["result"] == "OK"));
    let info = sim.json(&["--target", &sim.serials[1], "op", "show system info"]);
    assert_eq!(info["result"]["system"]["serial"], sim.serials[1].as_str());
}

#[test]
fn userid_tag_is_visible_in_show_command() {
    let sim = Sim::start(&["--kind", "firewall"]);
    sim.json(&[
        "userid",
        "register",
        "10.9.9.9",
        "quarantine",
        "--timeout",
        "600",
    ]);
    let v = sim.json(&["op", "show object registered-ip all"]);
    assert!(
        v.to_string().contains("10.9.9.9") && v.to_string().contains("quarantine"),
        "{v}"
    );
}

#[test]
fn usage_error_exits_2_and_device_error_exits_1() {
    let sim = Sim::start(&[]);
    let out = sim.panops().args(["config"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = sim
        .panops()
        .args(["op", "show no-such-thing"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("error: "), "{err}");
}

#[test]
fn invalid_input_is_refused_before_sending() {
    let sim = Sim::start(&[]);
    let long = "x".repeat(64);
    let out = sim
        .panops()
        .args(["userid", "register", "not-an-ip", "t"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let out2 = sim
        .panops()
        .args([
            "config",
            "rename",
            "/config/shared/tag/entry[@name='a']",
            &long,
        ])
        .output()
        .unwrap();
    assert_eq!(out2.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out2.stderr);
    assert!(err.contains("newname"), "the error names the field: {err}");
    let _ = out;
}

#[test]
fn bad_credentials_are_a_clear_error() {
    let sim = Sim::start(&[]);
    let out = sim
        .panops()
        .env("PANOS_PASSWORD", "wrong")
        .args(["keygen"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.to_lowercase().contains("invalid credential"), "{err}");
    assert!(
        !err.contains("wrong"),
        "the password must not be echoed: {err}"
    );
}

#[test]
fn trace_logs_never_contain_the_password_or_key() {
    let password = "S3cr3t-Pa55word!";
    // A dedicated admin with a recognisable password.
    let sim = Sim::start(&["--admin", &format!("ops:{password}")]);
    let out = sim
        .panops()
        .env("PANOS_USERNAME", "ops")
        .env("PANOS_PASSWORD", password)
        .args(["-vvv", "op", "show system info"])
        .output()
        .unwrap();
    let out_key = sim
        .panops()
        .env("PANOS_USERNAME", "ops")
        .env("PANOS_PASSWORD", password)
        .args(["keygen", "-o", "json"])
        .output()
        .unwrap();
    let key: Value = serde_json::from_slice(&out_key.stdout).unwrap();
    let key = key["key"].as_str().unwrap().to_string();
    let with_key = sim
        .panops()
        .env_remove("PANOS_USERNAME")
        .env_remove("PANOS_PASSWORD")
        .env("PANOS_API_KEY", &key)
        .args(["-vvv", "config", "get", "/config/shared"])
        .output()
        .unwrap();
    let logs = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&with_key.stderr)
    );
    assert!(out.status.success() && with_key.status.success(), "{logs}");
    assert!(
        logs.len() > 100,
        "trace logging must produce output: {logs}"
    );
    assert!(!logs.contains(password), "password leaked into logs");
    assert!(!logs.contains(&key), "API key leaked into logs");
}

#[test]
fn demo_runs_end_to_end() {
    let out = Command::cargo_bin("panops")
        .unwrap()
        .arg("demo")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("[8/8]") && text.contains("block-ioc-2026-0142"),
        "{text}"
    );
}
