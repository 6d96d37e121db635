//! `panops action list|describe` and `panops run`: the real binary against the real
//! simulator (`panops sim` on port 0), as a user would run them.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_panops");

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name)
}

/// A `panops sim` process (Panorama with two firewalls), killed on drop.
struct Sim {
    child: Child,
    port: String,
    serials: Vec<String>,
    scm: Option<(String, String)>,
}

impl Sim {
    fn start(with_scm: bool) -> Sim {
        let mut cmd = Command::new(BIN);
        cmd.args([
            "sim",
            "--plain",
            "--listen",
            "127.0.0.1:0",
            "--job-ms",
            "300",
        ])
        .env_clear()
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
        if with_scm {
            cmd.args(["--scm-listen", "127.0.0.1:0"]);
        }
        let mut child = cmd.spawn().expect("spawn panops sim");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("ready line");
        // panops-sim ready url=... kind=... serials=...[ scm=... token_url=...]
        assert!(line.starts_with("panops-sim ready "), "ready line: {line}");
        let field = |k: &str| {
            line.split_whitespace()
                .find_map(|kv| kv.strip_prefix(&format!("{k}=")).map(str::to_string))
        };
        assert_eq!(field("kind").as_deref(), Some("panorama"), "{line}");
        let url = field("url").expect("url=");
        let port = url
            .trim_end_matches('/')
            .rsplit(':')
            .next()
            .expect("port")
            .to_string();
        let serials: Vec<String> = field("serials")
            .expect("serials=")
            .split(',')
            .map(str::to_string)
            .collect();
        assert_eq!(serials.len(), 2, "{line}");
        let scm = match (field("scm"), field("token_url")) {
            (Some(s), Some(t)) => Some((s, t)),
            _ => None,
        };
        assert_eq!(scm.is_some(), with_scm, "{line}");
        Sim {
            child,
            port,
            serials,
            scm,
        }
    }

    /// `panops` with only this simulator's connection in the environment.
    fn panops(&self) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.env_clear()
            .env("PANOPS_CONFIG", "")
            .env("PANOS_HOSTNAME", "127.0.0.1")
            .env("PANOS_PORT", &self.port)
            .env("PANOS_PROTOCOL", "http")
            .env("PANOS_USERNAME", "admin")
            .env("PANOS_PASSWORD", "admin");
        cmd
    }

    /// `panops run -o json FILE` (or `-` with `stdin`).
    fn run(&self, mut cmd: Command, file: &str, stdin: Option<&str>) -> (Output, Value) {
        cmd.args(["run", file, "-o", "json"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn panops run");
        {
            let mut input = child.stdin.take().expect("stdin");
            if let Some(text) = stdin {
                input.write_all(text.as_bytes()).expect("write stdin");
            }
        }
        let out = child.wait_with_output().expect("panops run");
        let value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {}\nstderr: {}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out, value)
    }

    /// One action on stdin that must succeed; its result.
    fn action(&self, action: Value) -> Value {
        let (out, v) = self.run(self.panops(), "-", Some(&action.to_string()));
        assert_eq!(out.status.code(), Some(0), "{action}: {v}");
        v
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn names(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|i| i["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn step<'a>(report: &'a Value, action: &str) -> &'a Value {
    report["completed"]
        .as_array()
        .expect("completed")
        .iter()
        .find(|s| s["action"] == action)
        .unwrap_or_else(|| panic!("no {action} in {report}"))
}

fn panops_offline() -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear().env("PANOPS_CONFIG", "");
    cmd
}

#[test]
fn action_list_and_describe() {
    let out = panops_offline()
        .args(["action", "list", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    // Exactly the library's catalog, every action with its backends, parameters and results.
    assert_eq!(
        list,
        serde_json::to_value(panops_actions::catalog()).unwrap()
    );
    let items = list.as_array().unwrap();
    assert!(items.len() >= 69, "{} actions", items.len());
    for a in items {
        let name = format!(
            "{}.{}",
            a["resource"].as_str().unwrap(),
            a["operation"].as_str().unwrap()
        );
        assert!(!a["backends"].as_array().unwrap().is_empty(), "{name}");
        assert!(a["params"].is_array(), "{name}");
        assert!(!a["results"].as_array().unwrap().is_empty(), "{name}");
    }
    let find = |n: &str| {
        items
            .iter()
            .find(|a| {
                format!(
                    "{}.{}",
                    a["resource"].as_str().unwrap(),
                    a["operation"].as_str().unwrap()
                ) == n
            })
            .unwrap_or_else(|| panic!("{n} missing"))
    };
    assert_eq!(
        find("userTag.register")["backends"],
        json!(["firewall", "panorama"])
    );
    assert_eq!(
        find("address.create")["backends"],
        json!(["firewall", "panorama", "scm"])
    );
    assert_eq!(find("config.push")["backends"], json!(["panorama", "scm"]));
    let dug: Vec<&str> = find("dynamicUserGroup.create")["params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(
        dug.contains(&"tags") && dug.contains(&"match") && dug.contains(&"filter"),
        "{dug:?}"
    );

    let out = panops_offline()
        .args(["action", "describe", "securityRule.move", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(d["resource"], "securityRule");
    assert_eq!(d["operation"], "move");
    let param = |n: &str| {
        d["params"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == n)
            .cloned()
            .unwrap_or_else(|| panic!("no parameter {n}: {d}"))
    };
    assert_eq!(
        param("where")["enum"],
        json!(["top", "bottom", "before", "after"])
    );
    assert_eq!(param("where")["required"], true);
    assert_eq!(param("rulebase")["enum"], json!(["pre", "post"]));
    assert_eq!(param("destination_rule")["required"], false);
    let results: Vec<&str> = d["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(results, vec!["status", "name", "where", "destination_rule"]);

    let table = panops_offline()
        .args(["action", "describe", "device.list", "-o", "table"])
        .output()
        .unwrap();
    assert_eq!(table.status.code(), Some(0));
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("result fields") && text.contains("items[].version"),
        "{text}"
    );

    for bad in ["securityRule.frobnicate", "securityRule", "nothing.at_all"] {
        let out = panops_offline()
            .args(["action", "describe", bad])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "describe {bad}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("error:"), "{err}");
        if bad == "securityRule.frobnicate" {
            assert!(
                err.contains("securityRule.move"),
                "close matches listed: {err}"
            );
        }
    }
}

#[test]
fn ioc_containment_runs_as_written_on_a_fresh_simulator() {
    let sim = Sim::start(false);
    let file = example("ioc-containment.json");
    let file = file.to_str().unwrap();
    let (out, report) = sim.run(sim.panops(), file, None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(report["ok"], true, "{report}");
    let completed = report["completed"].as_array().unwrap();
    assert_eq!(completed.len(), 14, "{report}");
    assert!(
        completed.iter().all(|s| s.get("skipped").is_none()),
        "{report}"
    );
    assert_eq!(report["not_run"], 0);
    assert_eq!(
        step(&report, "device.listConnected")["result"]["serials"],
        json!(sim.serials)
    );
    assert_eq!(
        step(&report, "deviceGroup.create")["result"]["status"],
        "created"
    );
    assert_eq!(
        step(&report, "securityRule.create")["result"]["status"],
        "created"
    );
    assert_eq!(step(&report, "config.commit")["result"]["result"], "OK");
    assert_eq!(
        step(&report, "config.push")["result"]["outcome"],
        "enqueued"
    );
    let wait = step(&report, "job.wait");
    assert_eq!(wait["result"]["result"], "OK", "{wait}");
    assert_eq!(wait["result"]["devices"].as_array().unwrap().len(), 2);

    // The rule is at the top of the device group's pre-rulebase ...
    let rules = sim.action(json!({"resource": "securityRule", "operation": "list",
        "parameters": {"device_group": "soc-containment", "rulebase": "pre"}}));
    assert_eq!(names(&rules), vec!["block-ioc-2026-0142"]);
    // ... and the user tag shows on the first firewall, read through Panorama.
    let tags_on = |serial: &str| {
        let out = sim
            .panops()
            .args([
                "op",
                "<show><object><registered-user><all/></registered-user></object></show>",
                "--target",
                serial,
                "-o",
                "json",
            ])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let first = tags_on(&sim.serials[0]);
    assert!(
        first.contains("jdoe") && first.contains("ioc-2026-0142"),
        "{first}"
    );
    assert!(
        !tags_on(&sim.serials[1]).contains("jdoe"),
        "only the first firewall"
    );

    // A rule put above it meanwhile; the second run changes nothing else and moves the deny
    // rule back to the top.
    let put_above = json!([
        {"resource": "securityRule", "operation": "create", "parameters": {
            "device_group": "soc-containment", "name": "allow-web", "from": ["any"], "to": ["any"],
            "source": ["any"], "destination": ["any"], "source_user": ["any"], "application": ["any"],
            "service": ["any"], "category": ["any"], "action": "allow"}},
        {"resource": "securityRule", "operation": "move",
         "parameters": {"device_group": "soc-containment", "name": "allow-web", "where": "top"}}
    ]);
    let (out, r) = sim.run(sim.panops(), "-", Some(&put_above.to_string()));
    assert_eq!(out.status.code(), Some(0), "{r}");
    let rules = sim.action(json!({"resource": "securityRule", "operation": "list",
        "parameters": {"device_group": "soc-containment"}}));
    assert_eq!(names(&rules), vec!["allow-web", "block-ioc-2026-0142"]);
    let (out, again) = sim.run(sim.panops(), file, None);
    assert_eq!(out.status.code(), Some(0), "{again}");
    for (i, s) in again["completed"].as_array().unwrap().iter().enumerate() {
        if s["action"].as_str().unwrap().ends_with(".create") {
            assert_eq!(s["result"]["status"], "unchanged", "step {i}: {s}");
        }
    }
    let rules = sim.action(json!({"resource": "securityRule", "operation": "list",
        "parameters": {"device_group": "soc-containment"}}));
    assert_eq!(names(&rules), vec!["block-ioc-2026-0142", "allow-web"]);

    // One action on stdin: its result, not a report.
    let tag = sim.action(json!({"resource": "tag", "operation": "get",
        "parameters": {"device_group": "soc-containment", "name": "ioc-2026-0142"}}));
    assert_eq!(
        tag,
        json!({"name": "ioc-2026-0142", "color": "Red", "comments": "incident 2026-0142"})
    );
}

#[test]
fn failing_and_malformed_workflows() {
    let sim = Sim::start(false);
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    };
    let tag_exists = |name: &str| {
        let (out, v) = sim.run(
            sim.panops(),
            "-",
            Some(
                &json!({"resource": "tag", "operation": "get", "parameters": {"name": name}})
                    .to_string(),
            ),
        );
        match out.status.code() {
            Some(0) => true,
            Some(1) => {
                assert_eq!(v["error"]["code"], "not_found", "{v}");
                false
            }
            other => panic!("tag.get exited {other:?}: {v}"),
        }
    };

    // Stops at the first failure: exit 1 and a report of what was and was not done.
    let failing = write(
        "failing.json",
        &json!([
            {"resource": "tag", "operation": "create", "parameters": {"name": "wf-tag"}},
            {"resource": "address", "operation": "get", "parameters": {"name": "no-such-address"}},
            {"resource": "tag", "operation": "delete", "parameters": {"name": "wf-tag"}}
        ])
        .to_string(),
    );
    let (out, report) = sim.run(sim.panops(), &failing, None);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert_eq!(report["ok"], false);
    assert_eq!(report["completed"].as_array().unwrap().len(), 1, "{report}");
    assert_eq!(report["completed"][0]["action"], "tag.create");
    assert_eq!(report["completed"][0]["result"]["status"], "created");
    assert_eq!(report["failed"]["step"], 1);
    assert_eq!(report["failed"]["action"], "address.get");
    assert_eq!(report["failed"]["error"]["code"], "not_found");
    assert!(
        report["failed"]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no-such-address"),
        "{report}"
    );
    assert_eq!(report["not_run"], 1);
    // The report is on stdout for machines; why it stopped is on stderr, always.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("error: step 1, address.get:"), "{stderr}");
    assert!(stderr.contains("no-such-address"), "{stderr}");
    assert!(
        tag_exists("wf-tag"),
        "the step after the failure did not run"
    );

    // Not JSON, not a workflow, an unknown action or parameter anywhere: exit 2 before any
    // step runs.
    for (name, text, field) in [
        ("broken.json", "{\"resource\": \"tag\", ".to_string(), "(file)"),
        ("number.json", "42".to_string(), "(file)"),
        ("shape.json", json!([{"operation": "list"}]).to_string(), "steps[0]"),
        (
            "typo.json",
            json!([
                {"resource": "tag", "operation": "create", "parameters": {"name": "never-made"}},
                {"resource": "adress", "operation": "create", "parameters": {"name": "x"}}
            ])
            .to_string(),
            "steps[1]",
        ),
        (
            "param.json",
            json!([
                {"resource": "tag", "operation": "create", "parameters": {"name": "never-made"}},
                {"resource": "address", "operation": "create", "parameters": {"name": "x", "ipnetmask": "10.0.0.1"}}
            ])
            .to_string(),
            "steps[1].ipnetmask",
        ),
    ] {
        let path = write(name, &text);
        let (out, v) = sim.run(sim.panops(), &path, None);
        assert_eq!(out.status.code(), Some(2), "{name}: {v}");
        assert_eq!(v["error"]["code"], "invalid_parameter", "{name}: {v}");
        assert_eq!(v["error"]["field"], field, "{name}: {v}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("error:"), "{name}");
    }
    assert!(!tag_exists("never-made"), "no step of a malformed file ran");
    let mut cmd = sim.panops();
    cmd.args(["run", "/nonexistent/workflow.json"]);
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/workflow.json"));

    // One action refused by validation on stdin: nothing was sent, exit 2, the error alone.
    let (out, v) = sim.run(
        sim.panops(),
        "-",
        Some(&json!({"resource": "address", "operation": "create", "parameters": {"name": "a", "ip_netmask": "10.0.0.1", "fqdn": "x.example"}}).to_string()),
    );
    assert_eq!(out.status.code(), Some(2), "{v}");
    assert_eq!(v["error"]["code"], "invalid_parameter");
    // An address that is not one is refused here, before the device sees it.
    let (out, v) = sim.run(
        sim.panops(),
        "-",
        Some(&json!({"resource": "address", "operation": "create", "parameters": {"name": "bad-ip", "ip_netmask": "10.0.0.300"}}).to_string()),
    );
    assert_eq!(out.status.code(), Some(2), "{v}");
    assert_eq!(v["error"]["code"], "invalid_parameter", "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("10.0.0.300"),
        "{v}"
    );
    // One action the device refuses: exit 1 with the device's message.
    let (out, v) = sim.run(
        sim.panops(),
        "-",
        Some(&json!({"resource": "config", "operation": "push", "parameters": {"device_group": "not-committed"}}).to_string()),
    );
    assert_eq!(out.status.code(), Some(1), "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("does not exist in the running configuration"),
        "{v}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("error: config.push:"), "{stderr}");
    assert!(
        !stderr.contains('\x1b'),
        "no colour codes off a terminal: {stderr}"
    );
}

#[test]
fn scm_containment_through_a_profile() {
    let sim = Sim::start(true);
    let (scm, token_url) = sim.scm.clone().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    let profile = |name: &str, folder: Option<&str>| {
        format!(
            "[profiles.{name}]\nkind = \"scm\"\nclient_id = \"{}\"\nclient_secret = \"{}\"\ntsg_id = \"{}\"\nscm_base_url = \"{scm}\"\nscm_token_url = \"{token_url}\"\n{}",
            panops_scm_sim::DEFAULT_CLIENT_ID,
            panops_scm_sim::DEFAULT_CLIENT_SECRET,
            panops_scm_sim::DEFAULT_TSG_ID,
            folder
                .map(|f| format!("folder = \"{f}\"\n"))
                .unwrap_or_default()
        )
    };
    std::fs::write(
        &config,
        format!(
            "{}\n{}",
            profile("scm-lab", None),
            profile("scm-mu", Some("Mobile Users"))
        ),
    )
    .unwrap();
    let scm_cmd = || {
        let mut cmd = Command::new(BIN);
        cmd.env_clear().env("PANOPS_CONFIG", &config);
        cmd
    };
    let file = example("ioc-containment-scm.json");
    let (out, report) = sim.run(scm_cmd(), file.to_str().unwrap(), None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(report["ok"], true, "{report}");
    let skipped: Vec<&str> = report["completed"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s.get("skipped").is_some())
        .map(|s| s["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        skipped,
        vec![
            "device.listConnected",
            "deviceGroup.create",
            "config.commit",
            "userTag.register",
            "userTag.list"
        ]
    );
    assert_eq!(
        step(&report, "job.wait")["result"]["result"],
        "OK",
        "{report}"
    );
    assert_eq!(
        step(&report, "config.push")["result"]["folders"],
        json!(["Remote Networks", "Mobile Users"])
    );
    let list = json!({"profile": "scm-lab", "resource": "securityRule", "operation": "list",
        "parameters": {"folder": "Shared"}});
    let (out, rules) = sim.run(scm_cmd(), "-", Some(&list.to_string()));
    assert_eq!(out.status.code(), Some(0), "{rules}");
    assert_eq!(names(&rules)[0], "block-ioc-2026-0142", "{rules}");
    let (out, again) = sim.run(scm_cmd(), file.to_str().unwrap(), None);
    assert_eq!(out.status.code(), Some(0), "{again}");
    assert_eq!(
        step(&again, "address.create")["result"]["status"],
        "unchanged"
    );

    // The profile's folder is the default folder of object actions.
    let create = json!({"profile": "scm-mu", "resource": "tag", "operation": "create",
        "parameters": {"name": "mu-tag"}});
    let (out, made) = sim.run(scm_cmd(), "-", Some(&create.to_string()));
    assert_eq!(out.status.code(), Some(0), "{made}");
    assert_eq!(made["object"]["folder"], "Mobile Users", "{made}");
    let get = json!({"profile": "scm-lab", "resource": "tag", "operation": "get",
        "parameters": {"name": "mu-tag"}});
    let (out, missing) = sim.run(scm_cmd(), "-", Some(&get.to_string()));
    assert_eq!(out.status.code(), Some(1), "not in Shared: {missing}");
    assert_eq!(missing["error"]["code"], "not_found");
    // Secrets stay out of everything printed.
    let (_, v) = sim.run(scm_cmd(), "-", Some(&get.to_string()));
    assert!(
        !v.to_string()
            .contains(panops_scm_sim::DEFAULT_CLIENT_SECRET)
    );
}
