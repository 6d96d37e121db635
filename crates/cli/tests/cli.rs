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

    /// `<entry name='SERIAL'/>` for every managed firewall (device group / stack members).
    fn device_entries(&self) -> String {
        self.serials
            .iter()
            .map(|s| format!("<entry name='{s}'/>"))
            .collect()
    }

    fn panops(&self) -> Command {
        let mut cmd = Command::cargo_bin("panops").unwrap();
        cmd.env_clear()
            .env("PANOPS_CONFIG", "")
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
    let members = sim.device_entries();
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
    assert_eq!(out.status.code(), Some(2), "validation is a usage error");
    assert!(String::from_utf8_lossy(&out.stderr).contains("not-an-ip"));
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
    assert_eq!(out2.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out2.stderr);
    assert!(err.contains("newname"), "the error names the field: {err}");
    // Semantic usage errors found after parsing exit 2 too, and name what is missing.
    for (args, needle) in [
        (vec!["push"], "--device-group"),
        (
            vec![
                "config",
                "move",
                "/config/shared/pre-rulebase/security/rules/entry[@name='r']",
                "--where",
                "before",
            ],
            "--dst",
        ),
    ] {
        let out = sim.panops().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    // Nothing of that reached the device: only keygen requests (if any) were made.
    let no_host = sim
        .panops()
        .env_remove("PANOS_HOSTNAME")
        .args(["op", "show system info"])
        .output()
        .unwrap();
    assert_eq!(no_host.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_host.stderr).contains("PANOS_HOSTNAME"));
}

#[test]
fn op_accepts_bare_values_as_typed_on_the_device_cli() {
    let sim = Sim::start(&["--kind", "firewall"]);
    let all = sim.json(&["op", "show session all"]);
    let first_source = match &all["result"]["entry"] {
        Value::Array(a) => a[0]["source"].as_str().unwrap().to_string(),
        one => one["source"].as_str().unwrap().to_string(),
    };
    let filtered = sim.json(&[
        "op",
        &format!("show session all filter source {first_source}"),
    ]);
    let entries = match &filtered["result"]["entry"] {
        Value::Array(a) => a.clone(),
        Value::Null => vec![],
        one => vec![one.clone()],
    };
    assert!(!entries.is_empty(), "{filtered}");
    assert!(
        entries.iter().all(|e| e["source"] == first_source.as_str()),
        "the filter reached the device: {filtered}"
    );
    let job = sim.json(&["op", "show jobs all"]);
    assert_eq!(job["status"], "success");
}

#[test]
fn config_edit_delete_clone_move_and_multi() {
    let sim = Sim::start(&["--kind", "firewall"]);
    let vsys = "/config/devices/entry[@name='localhost.localdomain']/vsys/entry[@name='vsys1']";
    let addr = format!("{vsys}/address");
    sim.json(&[
        "config",
        "set",
        &addr,
        "<entry name='a1'><ip-netmask>10.0.0.1</ip-netmask></entry>",
    ]);
    sim.json(&[
        "config",
        "edit",
        &format!("{addr}/entry[@name='a1']"),
        "<entry name='a1'><fqdn>a1.example.net</fqdn></entry>",
    ]);
    let got = sim.json(&["config", "get", &format!("{addr}/entry[@name='a1']")]);
    assert_eq!(got["result"]["entry"]["fqdn"], "a1.example.net", "{got}");
    assert!(
        got["result"]["entry"]["ip-netmask"].is_null(),
        "edit replaces: {got}"
    );
    sim.json(&[
        "config",
        "clone",
        &addr,
        "--from",
        &format!("{addr}/entry[@name='a1']"),
        "--newname",
        "a2",
    ]);
    let copy = sim.json(&["config", "get", &format!("{addr}/entry[@name='a2']")]);
    assert_eq!(copy["result"]["entry"]["fqdn"], "a1.example.net", "{copy}");

    // Three rules, then reorder them and read the order back.
    let rules = format!("{vsys}/rulebase/security/rules");
    for r in ["r1", "r2", "r3"] {
        sim.json(&[
            "config",
            "set",
            &rules,
            &format!(
                "<entry name='{r}'><from><member>any</member></from><to><member>any</member></to>\
                 <source><member>any</member></source><destination><member>any</member></destination>\
                 <application><member>any</member></application><service><member>any</member></service>\
                 <action>allow</action></entry>"
            ),
        ]);
    }
    let order = |sim: &Sim| -> Vec<String> {
        let v = sim.json(&["config", "get", &format!("{rules}/entry/@name")]);
        let text = v.to_string();
        let mut names: Vec<(usize, String)> = ["r1", "r2", "r3"]
            .iter()
            .filter_map(|n| text.find(&format!("\"{n}\"")).map(|i| (i, n.to_string())))
            .collect();
        names.sort();
        names.into_iter().map(|(_, n)| n).collect()
    };
    assert_eq!(order(&sim), ["r1", "r2", "r3"]);
    sim.json(&[
        "config",
        "move",
        &format!("{rules}/entry[@name='r3']"),
        "--where",
        "top",
    ]);
    sim.json(&[
        "config",
        "move",
        &format!("{rules}/entry[@name='r1']"),
        "--where",
        "after",
        "--dst",
        "r2",
    ]);
    assert_eq!(order(&sim), ["r3", "r2", "r1"]);

    // multi-config: all or nothing.
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.txt");
    std::fs::write(
        &good,
        format!(
            "# two changes\nset {addr} <entry name='m1'><ip-netmask>10.9.0.1</ip-netmask></entry>\ndelete {addr}/entry[@name='a2']\n"
        ),
    )
    .unwrap();
    sim.json(&["config", "multi", good.to_str().unwrap()]);
    let m1 = sim.json(&["config", "get", &format!("{addr}/entry[@name='m1']")]);
    assert_eq!(m1["result"]["entry"]["ip-netmask"], "10.9.0.1", "{m1}");
    let bad = dir.path().join("bad.txt");
    std::fs::write(
        &bad,
        format!(
            "set {addr} <entry name='m2'><ip-netmask>10.9.0.2</ip-netmask></entry>\nset {addr} <entry name='m3'><ip-netmask>999.1.1.1</ip-netmask></entry>\n"
        ),
    )
    .unwrap();
    let out = sim
        .panops()
        .args(["config", "multi", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "the device refused the batch");
    let m2 = sim
        .panops()
        .args([
            "config",
            "get",
            &format!("{addr}/entry[@name='m2']"),
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    let m2: Value = serde_json::from_slice(&m2.stdout).unwrap();
    assert!(
        m2["result"].is_null() || m2["result"]["entry"].is_null(),
        "nothing of a failed batch is applied: {m2}"
    );
    sim.json(&["config", "delete", &format!("{addr}/entry[@name='a1']")]);
    let gone = sim
        .panops()
        .args([
            "config",
            "get",
            &format!("{addr}/entry[@name='a1']"),
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    let gone: Value = serde_json::from_slice(&gone.stdout).unwrap();
    assert!(
        gone["result"].is_null() || gone["result"]["entry"].is_null(),
        "{gone}"
    );
}

#[test]
fn push_templates_and_template_stacks() {
    let sim = Sim::start(&[]);
    let root = "/config/devices/entry[@name='localhost.localdomain']";
    let members = sim.device_entries();
    sim.json(&[
        "config",
        "set",
        &format!("{root}/template"),
        "<entry name='t1'><config><devices><entry name='localhost.localdomain'><deviceconfig><system><timezone>UTC</timezone></system></deviceconfig></entry></devices></config></entry>",
    ]);
    sim.json(&[
        "config",
        "set",
        &format!("{root}/template-stack"),
        &format!("<entry name='s1'><templates><member>t1</member></templates><devices>{members}</devices></entry>"),
    ]);
    sim.json(&["commit"]);
    let job = sim.json(&["push", "--template-stack", "s1"]);
    assert_eq!(job["result"], "OK", "{job}");
    assert_eq!(
        job["devices"].as_array().unwrap().len(),
        sim.serials.len(),
        "{job}"
    );
    let out = sim
        .panops()
        .args(["push", "--template", "no-such-template", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "an unknown template is the device's error"
    );
}

#[test]
fn userid_verbs_are_reflected_on_the_device() {
    let sim = Sim::start(&["--kind", "firewall"]);
    sim.json(&[
        "userid",
        "login",
        "corp\\alice",
        "10.20.0.5",
        "--timeout",
        "60",
    ]);
    let map = sim.json(&["op", "show user ip-user-mapping all"]);
    assert!(
        map.to_string().contains("10.20.0.5") && map.to_string().contains("alice"),
        "{map}"
    );
    sim.json(&[
        "userid",
        "tag",
        "corp\\alice",
        "quarantined",
        "--timeout",
        "3600",
    ]);
    let users = sim.json(&["op", "show object registered-user all"]);
    assert!(users.to_string().contains("quarantined"), "{users}");
    sim.json(&["userid", "untag", "corp\\alice", "quarantined"]);
    let users = sim.json(&["op", "show object registered-user all"]);
    assert!(!users.to_string().contains("quarantined"), "{users}");
    sim.json(&["userid", "register", "10.20.0.9", "bad"]);
    sim.json(&["userid", "unregister", "10.20.0.9", "bad"]);
    let ips = sim.json(&["op", "show object registered-ip all"]);
    assert!(!ips.to_string().contains("10.20.0.9"), "{ips}");
    sim.json(&["userid", "logout", "corp\\alice", "10.20.0.5"]);
    let map = sim.json(&["op", "show user ip-user-mapping all"]);
    assert!(!map.to_string().contains("10.20.0.5"), "{map}");
}

#[test]
fn import_export_logs_and_version() {
    let sim = Sim::start(&["--kind", "firewall"]);
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["portal.example.net".into()]).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "portal.example.net");
    let cert = params.self_signed(&key).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cert_file = dir.path().join("portal.crt");
    let key_file = dir.path().join("portal.key");
    std::fs::write(&cert_file, cert.pem()).unwrap();
    std::fs::write(&key_file, key.serialize_pem()).unwrap();
    sim.json(&[
        "import",
        "cert",
        cert_file.to_str().unwrap(),
        "--name",
        "portal",
    ]);
    // PAN-OS asks for a passphrase with every key import; it comes from the environment.
    let out = sim
        .panops()
        .env("PANOPS_TEST_PASSPHRASE", "not-on-the-command-line")
        .args([
            "import",
            "key",
            key_file.to_str().unwrap(),
            "--name",
            "portal",
            "--passphrase-env",
            "PANOPS_TEST_PASSPHRASE",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let certs = sim.json(&[
        "config",
        "get",
        "/config/shared/certificate/entry[@name='portal']",
    ]);
    assert!(
        certs.to_string().contains("portal.example.net"),
        "the certificate's real subject is on the device: {certs}"
    );
    let out = dir.path().join("running.xml");
    let written = sim.json(&["export", "config", "--out", out.to_str().unwrap()]);
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(written["bytes"].as_u64().unwrap() as usize, text.len());
    assert!(
        text.contains("<config") && text.contains("vsys1"),
        "{}",
        &text[..text.len().min(300)]
    );
    sim.json(&[
        "config",
        "set",
        "/config/shared/tag",
        "<entry name='log-me'/>",
    ]);
    sim.json(&["commit", "--description", "for the config log"]);
    let logs = sim.json(&["logs", "--type", "config", "--nlogs", "5"]);
    assert!(logs["count"].as_u64().unwrap() >= 1, "{logs}");
    let logs = sim.json(&["logs", "--type", "traffic", "--nlogs", "3"]);
    assert_eq!(logs["entries"].as_array().map(Vec::len), Some(3), "{logs}");
    let v = sim.json(&["version"]);
    assert_eq!(v["model"], "PA-VM", "{v}");
    assert!(
        v["sw_version"].as_str().is_some_and(|s| s.contains('.')),
        "{v}"
    );
}

#[test]
fn yaml_xml_and_table_outputs() {
    let sim = Sim::start(&["--kind", "firewall"]);
    let run = |format: &str| {
        let out = sim
            .panops()
            .args(["op", "show system info", "-o", format])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let yaml = run("yaml");
    let parsed: serde_yaml::Value = serde_yaml::from_str(&yaml).expect("valid YAML");
    assert_eq!(
        parsed["result"]["system"]["model"].as_str(),
        Some("PA-VM"),
        "{yaml}"
    );
    let xml = run("xml");
    assert!(
        xml.trim_start().starts_with("<response") && xml.contains("<model>PA-VM</model>"),
        "{xml}"
    );
    let table = run("table");
    assert!(
        table.contains("PA-VM") && !table.trim_start().starts_with('{'),
        "{table}"
    );
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
    // Which settings hold the user and password is named.
    assert!(err.contains("hint: "), "{err}");
    assert!(
        err.contains("PANOS_USERNAME") && err.contains("PANOS_PASSWORD"),
        "{err}"
    );
}

#[test]
fn hints_for_a_missing_device_group_empty_gets_and_missing_scm_credentials() {
    let sim = Sim::start(&[]);
    let xpath = "/config/devices/entry[@name='localhost.localdomain']/device-group";
    sim.json(&["config", "set", xpath, "<entry name='dg-real'/>"]);
    sim.json(&["commit"]);
    let out = sim
        .panops()
        .args(["push", "--device-group", "dg-typo"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("it has: dg-real"),
        "the existing groups are listed: {stderr}"
    );

    let out = sim
        .panops()
        .args([
            "config",
            "get",
            "/config/shared/address/entry[@name='nothing-here']",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("nothing in the configuration matches"),
        "{stderr}"
    );

    // SCM without credentials: every missing variable named once, a usage error.
    let out = Command::cargo_bin("panops")
        .unwrap()
        .env_clear()
        .env("PANOPS_CONFIG", "")
        .env("SCM_TSG_ID", "1234567890")
        .args(["scm", "address", "list", "--folder", "Shared"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("SCM_CLIENT_ID, SCM_CLIENT_SECRET"),
        "{stderr}"
    );
    assert_eq!(
        stderr.matches("SCM_TSG_ID").count(),
        0,
        "TSG is set: {stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
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
        text.contains("[8/8]")
            && text.contains("block-ioc-2026-0142 is rule 1 of")
            && text.contains("Done in"),
        "{text}"
    );
}

#[test]
fn output_formats_that_do_not_apply_are_named_not_ignored() {
    let out = Command::cargo_bin("panops")
        .unwrap()
        .env_clear()
        .env("PANOPS_CONFIG", "")
        .args(["action", "list", "-o", "xml"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("not XML") && stderr.contains("printing JSON"),
        "{stderr}"
    );
    assert!(serde_json::from_slice::<Value>(&out.stdout).is_ok());
}

#[test]
fn config_index_streams_the_running_config_and_answers_where_used() {
    let sim = Sim::start(&["--kind", "firewall"]);
    let vsys = "/config/devices/entry[@name='localhost.localdomain']/vsys/entry[@name='vsys1']";
    sim.json(&[
        "config",
        "set",
        &format!("{vsys}/address"),
        "<entry name='h1'><ip-netmask>10.5.0.1</ip-netmask></entry><entry name='h2'><ip-netmask>10.5.0.2</ip-netmask></entry>",
    ]);
    sim.json(&[
        "config",
        "set",
        &format!("{vsys}/address-group"),
        "<entry name='g1'><static><member>h1</member></static></entry>",
    ]);
    sim.json(&[
        "config",
        "set",
        &format!("{vsys}/rulebase/security/rules"),
        "<entry name='deny-g1'><from><member>any</member></from><to><member>any</member></to>\
         <source><member>any</member></source><destination><member>g1</member></destination>\
         <application><member>any</member></application><service><member>any</member></service>\
         <action>deny</action></entry>",
    ]);
    sim.json(&["commit"]);
    // From the device: exported (streamed to a temporary file) and indexed.
    let v = sim.json(&["config", "index", "--where-used", "h1"]);
    assert_eq!(v["addresses"], 2, "{v}");
    assert_eq!(v["address_groups"], 1, "{v}");
    assert!(v["security_rules"].as_u64().unwrap() >= 1, "{v}");
    let usages = v["where_used"]["usages"].as_array().unwrap();
    let names: Vec<&str> = usages.iter().filter_map(|u| u["name"].as_str()).collect();
    assert!(
        names.contains(&"g1") && names.contains(&"deny-g1"),
        "h1 is used by g1 directly and by deny-g1 through g1: {v}"
    );
    // From a file, offline: no device settings needed.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("running.xml");
    sim.json(&["export", "config", "--out", file.to_str().unwrap()]);
    let out = Command::cargo_bin("panops")
        .unwrap()
        .env_clear()
        .env("PANOPS_CONFIG", "")
        .args([
            "config",
            "index",
            file.to_str().unwrap(),
            "--where-used",
            "h2",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["addresses"], 2, "{v}");
    assert_eq!(
        v["where_used"]["usages"].as_array().map(Vec::len),
        Some(0),
        "{v}"
    );
    // A file that is not a configuration is a clear usage error (the user's file, nothing sent).
    let junk = dir.path().join("junk.xml");
    std::fs::write(&junk, "<nope/>").unwrap();
    let out = Command::cargo_bin("panops")
        .unwrap()
        .env_clear()
        .args(["config", "index", junk.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("<config>"));
}

/// `panops` with only the given connection settings, for commands that fail before (or
/// without) reaching a device.
fn panops_at(port: &str) -> Command {
    let mut cmd = Command::cargo_bin("panops").unwrap();
    cmd.env_clear()
        .env("PANOPS_CONFIG", "")
        .env("PANOS_HOSTNAME", "127.0.0.1")
        .env("PANOS_PORT", port)
        .env("PANOS_PROTOCOL", "http")
        .env("PANOS_API_KEY", "KEY-NEVER-SHOWN");
    cmd
}

#[test]
fn missing_or_malformed_input_files_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    };
    let bad_multi = write("bad.multi", "frobnicate /config/shared\n");
    let bad_xml = write("bad.xml", "<config><devices><entry name=");
    let bad_actions = write("bad.json", "[{\"resource\": ");
    // Port 9 (discard) is closed here: a command that sent anything would fail with 1.
    for args in [
        vec!["config", "multi", "/nonexistent/changes.txt"],
        vec!["config", "multi", bad_multi.as_str()],
        vec!["config", "index", "/nonexistent/running.xml"],
        vec!["config", "index", bad_xml.as_str()],
        vec!["import", "cert", "/nonexistent/cert.pem", "--name", "c"],
        vec!["run", "/nonexistent/workflow.json"],
        vec!["scm", "run", "/nonexistent/actions.json"],
        vec!["scm", "run", bad_actions.as_str()],
    ] {
        let out = panops_at("9").args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "panops {args:?}: {stderr}");
        assert!(stderr.starts_with("error: "), "panops {args:?}: {stderr}");
        assert!(!stderr.contains("KEY-NEVER-SHOWN"), "{stderr}");
    }
}

#[test]
fn the_profile_file_is_checked_and_never_quoted() {
    let dir = tempfile::tempdir().unwrap();
    // A mistyped PANOPS_CONFIG is an error, not a silently empty configuration.
    let out = panops_at("9")
        .env("PANOPS_CONFIG", dir.path().join("typo.toml"))
        .args(["op", "show system info"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("PANOPS_CONFIG") && stderr.contains("typo.toml"),
        "{stderr}"
    );

    // A syntax error names file, line and column, never the line (it may hold a secret).
    let path = dir.path().join("config.toml");
    std::fs::write(
        &path,
        "[profiles.fw]\nhostname = \"fw.example\"\npassword = \"Sup3r-Secret\" trailing\n",
    )
    .unwrap();
    let out = panops_at("9")
        .env("PANOPS_CONFIG", &path)
        .args(["--profile", "fw", "op", "show system info"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("line 3"), "{stderr}");
    assert!(!stderr.contains("Sup3r-Secret"), "{stderr}");
    assert!(!stderr.contains("trailing"), "{stderr}");
}

/// A one-page HTTP server that answers every request with 200 and `body` (what a captive
/// portal or an SSO proxy in front of the management interface does).
fn login_page_server(body: &'static str) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 65536];
            let _ = stream.read(&mut buf);
            let reply = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    port
}

#[test]
fn a_login_page_answering_200_fails_op_config_and_commit() {
    let port = login_page_server(
        "<html><head><title>Corporate SSO</title></head><body><p>Please sign in</p></body></html>",
    );
    for args in [
        vec!["op", "show system info"],
        vec!["config", "get", "/config/shared"],
        vec!["config", "set", "/config/shared/tag", "<entry name='t'/>"],
        vec!["commit"],
    ] {
        let out = panops_at(&port)
            .args(&args)
            .args(["-o", "json"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(1),
            "panops {args:?} must fail: {stderr}"
        );
        assert!(
            stderr.contains("may not be a PAN-OS management interface"),
            "{stderr}"
        );
        assert!(stderr.contains("text/html"), "{stderr}");
        assert!(stderr.contains("Corporate SSO"), "{stderr}");
    }
}

#[test]
fn connection_mistakes_get_hints_and_no_colour() {
    // Nothing listens on port 9: the port setting is named, in one sentence.
    let out = panops_at("9")
        .env("NO_COLOR", "1")
        .args(["-v", "op", "show system info"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("PANOS_PORT"), "{stderr}");
    assert_eq!(
        stderr.matches("error sending request").count(),
        0,
        "{stderr}"
    );
    assert!(!stderr.contains('\x1b'), "no colour codes: {stderr}");
    // Retries are logged at -v, not by default.
    assert!(stderr.contains("retrying"), "{stderr}");
    let quiet = panops_at("9")
        .args(["op", "show system info"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&quiet.stderr);
    assert!(!stderr.contains("retrying"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");

    // https against the plain-HTTP simulator: the protocol setting is named, no retries.
    let sim = Sim::start(&[]);
    let out = sim
        .panops()
        .env("PANOS_PROTOCOL", "https")
        .args(["-v", "op", "show system info"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("PANOS_PROTOCOL=http"), "{stderr}");
    assert!(stderr.contains("after 1 attempt"), "{stderr}");
    assert!(!stderr.contains("retrying"), "{stderr}");
}

#[test]
fn a_failed_commit_or_push_still_prints_its_result_json() {
    // A Panorama whose running config has a device group, restarted with failing jobs.
    let state = tempfile::tempdir().unwrap();
    let state_dir = state.path().to_str().unwrap();
    {
        let sim = Sim::start(&["--state", state_dir, "--job-ms", "100"]);
        let dg = format!(
            "<entry name='dg-fail'><devices>{}</devices></entry>",
            sim.device_entries()
        );
        let xpath = "/config/devices/entry[@name='localhost.localdomain']/device-group";
        sim.json(&["config", "set", xpath, &dg]);
        sim.json(&["commit"]);
        // SIGTERM: the simulator shuts down gracefully and saves its state.
        let pid = sim.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let mut sim = sim;
        sim.child.wait().unwrap();
    }
    let sim = Sim::start(&[
        "--state",
        state_dir,
        "--job-ms",
        "100",
        "--fault-fail-jobs",
        "2",
    ]);
    for args in [
        vec!["push", "--device-group", "dg-fail"],
        vec!["commit", "--force"],
    ] {
        let out = sim
            .panops()
            .args(&args)
            .args(["-o", "json"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "panops {args:?}: {stderr}");
        assert!(stderr.starts_with("error: job "), "{stderr}");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "panops {args:?}: stdout must be the job JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        });
        assert_eq!(v["result"], "FAIL", "{v}");
        assert!(v["id"].as_u64().is_some(), "{v}");
    }
}
