//! `panops scm` end to end: the real binary against `panops sim --scm-listen` on port 0.
//!
//! The simulator logs one line per SCM request on stderr; the tests read those lines to check
//! what reached it (and that invalid input reached nothing).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const PANOPS: &str = env!("CARGO_BIN_EXE_panops");
const DEFAULT_ID: &str = "panops-sim@1234567890.iam.panserviceaccount.com";
const DEFAULT_SECRET: &str = "panops-sim-secret";
const DEFAULT_TSG: &str = "1234567890";

/// A `panops sim` process with its SCM simulator, killed on drop.
struct ScmSim {
    child: Child,
    scm: String,
    token_url: String,
    stderr: Arc<Mutex<Vec<String>>>,
    credentials: (String, String, String),
}

impl ScmSim {
    fn start() -> ScmSim {
        Self::start_with(&[], (DEFAULT_ID, DEFAULT_SECRET, DEFAULT_TSG))
    }

    fn start_with(extra: &[&str], credentials: (&str, &str, &str)) -> ScmSim {
        let mut child = Command::new(PANOPS)
            .args(["sim", "--plain", "--listen", "127.0.0.1:0"])
            .args(["--scm-listen", "127.0.0.1:0"])
            .args(extra)
            .env_remove("PANOPS_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn panops sim");
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let sink = stderr.clone();
        let pipe = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.starts_with("panops-sim ready "), "ready line: {line}");
        let field = |k: &str| {
            line.split_whitespace()
                .find_map(|kv| kv.strip_prefix(&format!("{k}=")).map(str::to_string))
                .unwrap_or_else(|| panic!("no {k}= in the ready line: {line}"))
        };
        let scm = field("scm");
        let token_url = field("token_url");
        assert!(scm.starts_with("http://127.0.0.1:"), "{scm}");
        assert_eq!(token_url, format!("{scm}/oauth2/access_token"));
        ScmSim {
            child,
            scm,
            token_url,
            stderr,
            credentials: (
                credentials.0.to_string(),
                credentials.1.to_string(),
                credentials.2.to_string(),
            ),
        }
    }

    /// `panops` with a clean environment pointing at this simulator.
    fn panops(&self) -> Command {
        let mut cmd = Command::new(PANOPS);
        cmd.env_clear()
            .env("PANOPS_CONFIG", "")
            .env("SCM_CLIENT_ID", &self.credentials.0)
            .env("SCM_CLIENT_SECRET", &self.credentials.1)
            .env("SCM_TSG_ID", &self.credentials.2)
            .env("SCM_BASE_URL", &self.scm)
            .env("SCM_TOKEN_URL", &self.token_url);
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.panops()
            .args(["-o", "json", "scm"])
            .args(args)
            .output()
            .unwrap()
    }

    /// Runs `panops -o json scm ARGS`, which must succeed, and parses its output.
    fn json(&self, args: &[&str]) -> Value {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "panops scm {args:?} failed ({:?}): {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
    }

    fn log(&self) -> Vec<String> {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits (at most a minute: a hang guard, not a timing assertion) until a log line
    /// contains `needle`, and returns the log up to and including it.
    fn log_until(&self, needle: &str) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let log = self.log();
            if let Some(i) = log.iter().position(|l| l.contains(needle)) {
                return log[..=i].to_vec();
            }
            assert!(
                Instant::now() < deadline,
                "no log line contains {needle:?}: {log:#?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SCM request lines (`SCM <METHOD> <path>...`) logged so far.
    fn requests(&self) -> Vec<String> {
        self.log()
            .into_iter()
            .filter(|l| {
                l.contains("SCM GET ")
                    || l.contains("SCM POST ")
                    || l.contains("SCM PUT ")
                    || l.contains("SCM DELETE ")
            })
            .collect()
    }
}

impl Drop for ScmSim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

#[test]
fn catalog_counts_match_the_specs() {
    // No tenant is needed to read the catalog.
    let out = Command::new(PANOPS)
        .env_clear()
        .env("PANOPS_CONFIG", "")
        .args(["-o", "json", "scm", "catalog"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let ops = |family: &str| -> usize {
        rows.iter()
            .filter(|r| r["family"] == family)
            .map(|r| r["operations"].as_array().unwrap().len())
            .sum()
    };
    assert_eq!(ops("sse-v1"), 344);
    assert_eq!(ops("v2"), 697);
    assert_eq!(rows.iter().filter(|r| r["family"] == "sse-v1").count(), 80);
    let address = rows
        .iter()
        .find(|r| r["family"] == "sse-v1" && r["resource"] == "address")
        .expect("address resource");
    assert_eq!(
        address["operations"],
        json!(["create", "delete", "get", "list", "update"])
    );
    assert_eq!(address["path"], "/sse/config/v1/addresses");

    let v2 = Command::new(PANOPS)
        .env_clear()
        .env("PANOPS_CONFIG", "")
        .args(["-o", "json", "scm", "--family", "v2", "catalog"])
        .output()
        .unwrap();
    let v2: Vec<Value> = serde_json::from_slice(&v2.stdout).unwrap();
    assert!(v2.iter().all(|r| r["family"] == "v2"));
    assert!(v2.iter().any(|r| r["resource"] == "folder"));
}

#[test]
fn describe_shows_parameters_types_and_constraints() {
    let sim = ScmSim::start();
    let d = sim.json(&["describe", "address.create"]);
    assert_eq!(d["resource"], "address");
    let op = &d["operations"][0];
    assert_eq!(op["operation"], "create");
    assert_eq!(op["method"], "POST");
    assert_eq!(op["path"], "/sse/config/v1/addresses");
    let folder = op["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "folder")
        .expect("folder parameter");
    assert_eq!(folder["in"], "query");
    assert_eq!(folder["required"], true);
    assert!(
        folder["schema"]["enum"]
            .as_array()
            .unwrap()
            .contains(&json!("Mobile Users"))
    );
    let fields = op["body_fields"].as_array().unwrap();
    let name = fields.iter().find(|f| f["path"] == "name").unwrap();
    assert_eq!(name["required"], true);
    assert_eq!(name["schema"]["maxLength"], 63);
    let fqdn = fields.iter().find(|f| f["path"] == "fqdn").unwrap();
    assert!(fqdn["schema"]["pattern"].is_string());
    let group = &op["one_of_groups"][0]["group"];
    assert_eq!(group["exactlyOne"], true);
    let keys: Vec<&str> = group["branches"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|b| {
            b["keys"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k.as_str().unwrap())
        })
        .collect();
    assert_eq!(keys, ["ip_netmask", "ip_range", "ip_wildcard", "fqdn"]);

    // The text form names the same facts.
    let text = sim
        .panops()
        .args(["-o", "table", "scm", "describe", "address.create"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("address.create: POST /sse/config/v1/addresses"),
        "{text}"
    );
    assert!(
        text.contains("exactly one of (ip_netmask | ip_range | ip_wildcard | fqdn)"),
        "{text}"
    );
    // Nothing was sent for a describe.
    assert!(sim.requests().is_empty(), "{:?}", sim.requests());
}

#[test]
fn create_with_params_and_json_then_list_all_pages() {
    let sim = ScmSim::start();
    let created = sim.json(&[
        "address",
        "create",
        "--folder",
        "Shared",
        "--param",
        "name=web1",
        "--param",
        "ip_netmask=10.0.0.1/32",
        "--param",
        "tag=[\"t1\",\"t2\"]",
    ]);
    let id = created["id"].as_str().expect("id").to_string();
    assert_eq!(created["ip_netmask"], "10.0.0.1/32");
    assert_eq!(created["tag"], json!(["t1", "t2"]));
    assert_eq!(created["folder"], "Shared");

    let created2 = sim.json(&[
        "address",
        "create",
        "--folder",
        "Shared",
        "--json",
        r#"{"name": "web2", "fqdn": "web2.example.com", "description": "from --json"}"#,
    ]);
    assert_eq!(created2["fqdn"], "web2.example.com");
    assert_eq!(created2["description"], "from --json");

    // --param values win over --json.
    let created3 = sim.json(&[
        "address",
        "create",
        "--folder",
        "Shared",
        "--json",
        r#"{"name": "ignored", "ip_range": "10.0.0.5-10.0.0.9"}"#,
        "--param",
        "name=web3",
    ]);
    assert_eq!(created3["name"], "web3");

    let got = sim.json(&["address", "get", "--param", &format!("id={id}")]);
    let got = if got.is_array() { got[0].clone() } else { got };
    assert_eq!(got["name"], "web1");

    for i in 0..5 {
        sim.json(&[
            "address",
            "create",
            "--folder",
            "Shared",
            "--param",
            &format!("name=bulk{i}"),
            "--param",
            &format!("ip_netmask=10.1.0.{i}/32"),
        ]);
    }
    // 8 objects, pages of 3: one page alone could not hold them.
    let all = sim.json(&[
        "address", "list", "--folder", "Shared", "--param", "limit=3", "--all",
    ]);
    let names: Vec<&str> = all
        .as_array()
        .expect("--all gives the objects")
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 8, "{names:?}");
    assert!(names.contains(&"web1") && names.contains(&"bulk4"));
    // the simulator logs a request once it has answered it: wait for the third page's line
    sim.log_until("offset=6");
    let pages: Vec<String> = sim
        .requests()
        .into_iter()
        .filter(|l| l.contains("SCM GET /sse/config/v1/addresses?"))
        .collect();
    assert_eq!(pages.len(), 3, "{pages:#?}");
    assert!(pages[2].contains("offset=6"), "{pages:#?}");

    // Without --all: one page, the envelope kept in JSON.
    let page = sim.json(&[
        "address", "list", "--folder", "Shared", "--param", "limit=3",
    ]);
    assert_eq!(page["total"], 8);
    assert_eq!(page["data"].as_array().unwrap().len(), 3);
}

#[test]
fn invalid_parameters_exit_2_naming_the_field_and_send_nothing() {
    let sim = ScmSim::start();
    sim.json(&["tag", "list", "--folder", "Shared"]);
    // the list's line may be logged just after its answer: count from it
    sim.log_until("SCM GET /sse/config/v1/tags");
    let before = sim.requests().len();
    for (args, field) in [
        (
            vec![
                "address", "create", "--folder", "Shared", "--param", "name=x",
            ],
            "ip_netmask",
        ),
        (
            vec![
                "address",
                "create",
                "--folder",
                "Nowhere",
                "--param",
                "name=x",
                "--param",
                "fqdn=x.example.com",
            ],
            "'folder'",
        ),
        (
            vec![
                "address",
                "create",
                "--folder",
                "Shared",
                "--param",
                "name=x",
                "--param",
                "fqdn=x.example.com",
                "--param",
                "colour=red",
            ],
            "'colour'",
        ),
        (
            vec![
                "address",
                "list",
                "--folder",
                "Shared",
                "--param",
                "limit=many",
                "--all",
            ],
            "'limit'",
        ),
        (
            vec![
                "address",
                "create",
                "--folder",
                "Shared",
                "--param",
                "name=x",
                "--param",
                "ip_netmask=10.0.0.300",
            ],
            "'ip_netmask'",
        ),
        (
            vec![
                "address",
                "create",
                "--folder",
                "Shared",
                "--param",
                "name=x",
                "--param",
                "ip_range=10.0.0.9-10.0.0.1",
            ],
            "'ip_range'",
        ),
    ] {
        let out = sim.run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains(field), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    // A marker call: had the invalid calls sent anything, it would be logged before this.
    sim.json(&["tag", "list", "--folder", "Mobile Users"]);
    let log = sim.log_until("SCM GET /sse/config/v1/tags?folder=Mobile+Users");
    let requests: Vec<&String> = log
        .iter()
        .filter(|l| l.contains("SCM GET ") || l.contains("SCM POST "))
        .collect();
    assert_eq!(requests.len(), before + 1, "{requests:#?}");
    assert!(!log.iter().any(|l| l.contains("/addresses")), "{log:#?}");

    // Unknown resources and operations are usage errors too, with the usual messages.
    let out = sim.run(&["adress", "list"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("unsupported resource: adress"),
        "{}",
        stderr(&out)
    );
    let out = sim.run(&["address", "explode"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unsupported operation: address.explode"));
}

#[test]
fn push_wait_and_jobs_through_the_catalog() {
    let sim = ScmSim::start();
    sim.json(&[
        "address",
        "create",
        "--folder",
        "Mobile Users",
        "--param",
        "name=pushed",
        "--param",
        "ip_netmask=10.3.0.1/32",
    ]);
    let out = sim.run(&[
        "push",
        "--folder",
        "Mobile Users",
        "--description",
        "cli test",
        "--wait",
        "--interval",
        "1",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let job: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(job["status"], "FIN", "{job}");
    assert_eq!(job["result"], "OK", "{job}");
    let job_id = job["job_id"].as_str().unwrap().to_string();
    // Progress went to stderr.
    let progress = stderr(&out);
    assert!(
        progress.contains(&format!("job {job_id}: FIN OK")),
        "{progress}"
    );

    // `job list` and `job get` are ordinary catalog calls (no built-in `job` subcommand).
    let jobs = sim.json(&["job", "list"]);
    assert!(
        jobs["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|j| j["id"] == job_id.as_str()),
        "{jobs}"
    );
    let one = sim.json(&["job", "get", "--param", &format!("id={job_id}")]);
    assert_eq!(one["data"][0]["status_str"], "FIN", "{one}");
    assert_eq!(one["data"][0]["description"], "cli test", "{one}");

    // `wait` polls an existing job.
    let waited = sim.json(&["wait", &job_id, "--interval", "1"]);
    assert_eq!(waited["result"], "OK");

    // Without --wait the job id comes back at once.
    let queued = sim.json(&["push", "--folder", "Mobile Users"]);
    let next = queued["job_id"].as_str().unwrap();
    assert_ne!(next, job_id);
    let waited = sim.json(&["wait", next, "--interval", "1"]);
    assert_eq!(waited["status"], "FIN");

    // An unknown job is the API's 404.
    let out = sim.run(&["wait", "999"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("API error [404] on job.get"),
        "{}",
        stderr(&out)
    );
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().to_string()
}

#[test]
fn run_stops_at_the_first_failure_with_a_report() {
    let sim = ScmSim::start();
    let dir = tempfile::tempdir().unwrap();
    // The second action duplicates the first: the API answers 409; the third never runs.
    let file = write(
        dir.path(),
        "actions.json",
        r#"[
          {"resource": "address", "operation": "create",
           "parameters": {"folder": "Shared", "name": "ioc1", "ip_netmask": "198.51.100.7/32"}},
          {"resource": "address", "operation": "create",
           "parameters": {"folder": "Shared", "name": "ioc1", "ip_netmask": "198.51.100.8/32"}},
          {"resource": "address", "operation": "create",
           "parameters": {"folder": "Shared", "name": "ioc3", "ip_netmask": "198.51.100.9/32"}}
        ]"#,
    );
    let out = sim.run(&["run", &file]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["completed"].as_array().unwrap().len(), 1, "{report}");
    assert_eq!(report["completed"][0]["result"]["name"], "ioc1");
    assert_eq!(report["failed"]["index"], 2);
    assert_eq!(report["failed"]["sent"], true);
    let error = report["failed"]["error"].as_str().unwrap();
    assert!(
        error.starts_with("API error [409] on address.create"),
        "{error}"
    );
    assert_eq!(report["not_run"], 1);
    assert!(
        stderr(&out).contains("action 2 of 3 (address.create) failed"),
        "{}",
        stderr(&out)
    );
    let names = sim.json(&["address", "list", "--folder", "Shared", "--all"]);
    let names: Vec<&str> = names
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["ioc1"], "the third action must not have run");

    // An invalid action is reported as not sent; a single object is one action; actions
    // without a folder act in the default one (SCM_FOLDER here).
    let file = write(
        dir.path(),
        "one.json",
        r#"{"resource": "tag", "operation": "create", "parameters": {"name": "quarantine"}}"#,
    );
    let out = sim
        .panops()
        .env("SCM_FOLDER", "Remote Networks")
        .args(["-o", "json", "scm", "run", &file])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let done: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(done[0]["status"], "ok");
    assert_eq!(done[0]["result"]["folder"], "Remote Networks", "{done}");

    let file = write(
        dir.path(),
        "bad.json",
        r#"[{"resource": "tag", "operation": "create", "parameters": {"folder": "Shared", "name": "t", "color": "Ultraviolet"}},
            {"resource": "tag", "operation": "list", "parameters": {"folder": "Shared"}}]"#,
    );
    let out = sim.run(&["run", &file]);
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["completed"], json!([]));
    assert_eq!(report["failed"]["sent"], false, "{report}");
    assert!(
        report["failed"]["error"]
            .as_str()
            .unwrap()
            .contains("'color'"),
        "{report}"
    );
    assert_eq!(report["not_run"], 1);
}

#[test]
fn spec_dir_adds_operations_at_run_time() {
    let sim = ScmSim::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sse-v1")).unwrap();
    // A "newer spec" written here, in the vendor's format, with a resource panops has never
    // seen: the simulator does not serve it, but the CLI knows and validates it.
    write(
        &dir.path().join("sse-v1"),
        "Gadgets.yaml",
        r##"
openapi: 3.0.0
info: {title: t, version: "1"}
servers: [{url: "https://api.sase.paloaltonetworks.com"}]
paths:
  /sse/config/v1/gadgets:
    post:
      summary: Create a gadget
      parameters: [{name: folder, in: query, required: true, schema: {type: string}}]
      requestBody:
        content:
          application/json:
            schema:
              type: object
              required: [name]
              properties:
                name: {type: string, maxLength: 5, description: Gadget name}
      responses: {"201": {description: created}}
"##,
    );
    let spec_dir = dir.path().to_string_lossy().to_string();
    let rows = sim.json(&["--spec-dir", &spec_dir, "catalog"]);
    let gadget = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["resource"] == "gadget")
        .expect("the new resource is listed");
    assert_eq!(gadget["operations"], json!(["create"]));
    // The built-in ones are still there.
    let sse: usize = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["family"] == "sse-v1")
        .map(|r| r["operations"].as_array().unwrap().len())
        .sum();
    assert_eq!(sse, 345);
    let d = sim.json(&["--spec-dir", &spec_dir, "describe", "gadget.create"]);
    assert_eq!(d["operations"][0]["summary"], "Create a gadget");
    assert_eq!(
        d["operations"][0]["body_fields"][0]["schema"]["description"],
        "Gadget name"
    );
    // Validated from the new spec before sending.
    let out = sim.run(&[
        "--spec-dir",
        &spec_dir,
        "gadget",
        "create",
        "--folder",
        "Shared",
        "--param",
        "name=toolong",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("invalid parameter 'name'"),
        "{}",
        stderr(&out)
    );
    // Without the directory the resource does not exist.
    let out = sim.run(&[
        "gadget", "create", "--folder", "Shared", "--param", "name=g",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unsupported resource: gadget"));
    // A directory without specs is reported.
    let empty = tempfile::tempdir().unwrap();
    let out = sim.run(&["--spec-dir", &empty.path().to_string_lossy(), "catalog"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("cannot load the specs"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn custom_service_account_replaces_the_default_one() {
    let id = "automation@42.iam.panserviceaccount.com";
    let secret = "s3cret:with-colon";
    let account = format!("{id}:{secret}:42");
    let sim = ScmSim::start_with(&["--scm-client", &account], (id, secret, "42"));
    // The custom account gets a token and works.
    let tags = sim.json(&["tag", "list", "--folder", "Shared"]);
    assert_eq!(tags["total"], 0);
    sim.log_until(&format!("SCM token issued to client_id={id} tsg_id=42"));

    // The default account is refused.
    let out = sim
        .panops()
        .env("SCM_CLIENT_ID", DEFAULT_ID)
        .env("SCM_CLIENT_SECRET", DEFAULT_SECRET)
        .env("SCM_TSG_ID", DEFAULT_TSG)
        .args(["-o", "json", "scm", "tag", "list", "--folder", "Shared"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("token fetch failed: status=401"), "{err}");
    assert!(err.contains("invalid_client"), "{err}");
    // So is the right account asking for another tenant.
    let out = sim
        .panops()
        .env("SCM_TSG_ID", "43")
        .args(["-o", "json", "scm", "tag", "list", "--folder", "Shared"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("invalid_scope"), "{}", stderr(&out));

    let log = sim.log_until(&format!("SCM token refused for client_id={DEFAULT_ID}"));
    assert!(
        !log.iter().any(|l| l.contains("no --scm-client given")),
        "default-account warning with a custom account: {log:#?}"
    );
    assert!(
        !log.iter().any(|l| l.contains(secret)),
        "the secret was logged"
    );

    // Without --scm-client the warning is there (so the check above can fail).
    let default = ScmSim::start();
    let log = default.log_until("no --scm-client given");
    assert!(log.iter().any(|l| l.contains(DEFAULT_ID)));
}

#[test]
fn auth_base_url_flag_finds_the_token_endpoint() {
    let sim = ScmSim::start();
    let out = sim
        .panops()
        .env_remove("SCM_TOKEN_URL")
        .env_remove("SCM_BASE_URL")
        .args([
            "-o",
            "json",
            "scm",
            "--base-url",
            &sim.scm,
            "--auth-base-url",
            &sim.scm,
        ])
        .args([
            "tag",
            "create",
            "--folder",
            "Shared",
            "--param",
            "name=via-auth-base",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let created: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(created["name"], "via-auth-base");
    // From the environment too.
    let out = sim
        .panops()
        .env_remove("SCM_TOKEN_URL")
        .env("SCM_AUTH_BASE_URL", &sim.scm)
        .args(["-o", "json", "scm", "tag", "list", "--folder", "Shared"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // Without any token URL, the vendor's host would be used: not reachable here, and the
    // error is the documented one.
    let out = sim
        .panops()
        .env_remove("SCM_TOKEN_URL")
        .args([
            "-o",
            "json",
            "--request-timeout",
            "5",
            "scm",
            "--auth-base-url",
            "http://127.0.0.1:9",
        ])
        .args(["tag", "list", "--folder", "Shared"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("failed to obtain access token"),
        "{}",
        stderr(&out)
    );
}
