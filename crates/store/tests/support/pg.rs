//! Starts the machine's PostgreSQL (initdb + pg_ctl on a temporary directory, loopback on a
//! free port) for tests; no mocks. Root cannot run initdb, so as root the server runs as the
//! `postgres` user (or `nobody`).

use std::path::{Path, PathBuf};
use std::process::Command;

/// A running throw-away PostgreSQL server, stopped on drop.
pub struct TempPostgres {
    bin: PathBuf,
    data: PathBuf,
    user: Option<String>,
    /// Connection URL (trust auth, no password).
    pub url: String,
    _dir: tempfile::TempDir,
}

fn find_bin() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("initdb").exists() && p.join("pg_ctl").exists())
        .collect();
    found.sort();
    found.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn run_as(user: &Option<String>, program: &Path, args: &[&str]) -> std::process::Output {
    let mut cmd = match user {
        Some(u) => {
            let mut c = Command::new("runuser");
            c.arg("-u").arg(u).arg("--").arg(program);
            c
        }
        None => Command::new(program),
    };
    cmd.args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()))
}

impl TempPostgres {
    /// Start one, or `None` (with a printed note) when PostgreSQL is not installed. With
    /// `PANOPS_CI=1` a missing PostgreSQL is a test failure.
    pub fn start() -> Option<Self> {
        let Some(bin) = find_bin() else {
            if std::env::var("PANOPS_CI").as_deref() == Ok("1") {
                panic!(
                    "PANOPS_CI=1 but no PostgreSQL found under /usr/lib/postgresql/*/bin (apt-get install postgresql)"
                );
            }
            eprintln!(
                "note: PostgreSQL not installed (/usr/lib/postgresql/*/bin/initdb); skipping the PostgreSQL store test"
            );
            return None;
        };
        let dir = tempfile::Builder::new()
            .prefix("panops-pg")
            .tempdir()
            .expect("temp dir");
        let user = if is_root() {
            let u = ["postgres", "nobody"]
                .into_iter()
                .find(|u| {
                    Command::new("id")
                        .arg(u)
                        .output()
                        .is_ok_and(|o| o.status.success())
                })
                .expect("a non-root user (postgres or nobody) to run PostgreSQL as");
            let st = Command::new("chown")
                .arg("-R")
                .arg(u)
                .arg(dir.path())
                .status()
                .expect("chown");
            assert!(st.success(), "chown of the PostgreSQL temp dir failed");
            Some(u.to_string())
        } else {
            None
        };
        let data = dir.path().join("data");
        let out = run_as(
            &user,
            &bin.join("initdb"),
            &[
                "-D",
                data.to_str().expect("utf-8 path"),
                "-A",
                "trust",
                "-U",
                "panops",
                "--no-sync",
            ],
        );
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("free port")
            .local_addr()
            .expect("addr")
            .port();
        let opts = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            dir.path().display()
        );
        let log = dir.path().join("log");
        let out = run_as(
            &user,
            &bin.join("pg_ctl"),
            &[
                "-D",
                data.to_str().expect("utf-8 path"),
                "-o",
                &opts,
                "-l",
                log.to_str().expect("utf-8 path"),
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
        assert!(
            out.status.success(),
            "pg_ctl start failed: {} {}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        Some(Self {
            bin,
            data,
            user,
            url: format!("postgres://panops@127.0.0.1:{port}/postgres"),
            _dir: dir,
        })
    }
}

impl Drop for TempPostgres {
    fn drop(&mut self) {
        let _ = run_as(
            &self.user,
            &self.bin.join("pg_ctl"),
            &[
                "-D",
                self.data.to_str().unwrap_or_default(),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        );
    }
}
