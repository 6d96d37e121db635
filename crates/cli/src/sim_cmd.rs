//! `panops sim`: the simulator as a process, announcing itself with one ready line on stdout.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};
use panops_scm_sim::{ScmSimArgs, ScmSimulator};
use panops_sim::{SimArgs, Simulator};

/// Arguments of `panops sim`.
#[derive(Debug, clap::Args)]
pub struct SimCmd {
    /// PAN-OS simulator options.
    #[command(flatten)]
    pub sim: SimArgs,
    /// SCM simulator options.
    #[command(flatten)]
    pub scm: ScmSimArgs,
    /// Write the simulators' self-signed certificates (PEM) to FILE, so clients can verify TLS
    /// (`--ca-file FILE`, `REQUESTS_CA_BUNDLE=FILE`, `SSL_CERT_FILE=FILE`); the ready line
    /// then ends with `ca=FILE`.
    #[arg(long, value_name = "FILE")]
    pub ca_out: Option<std::path::PathBuf>,
}

/// Starts the simulators, prints the ready line, and serves until Ctrl-C or SIGTERM.
pub async fn run(cmd: SimCmd, _verbose: u8) -> Result<ExitCode> {
    if cmd.ca_out.is_some() && cmd.sim.plain {
        crate::exit::usage_bail!(
            "--ca-out needs HTTPS: drop --plain (plain HTTP has no certificate)"
        );
    }
    let config = cmd.sim.to_config().context("invalid simulator options")?;
    if config.default_admin {
        eprintln!(
            "WARNING: the simulator accepts the default administrator admin:admin. \
             Use --admin USER:PASSWORD to choose your own."
        );
    }
    let tls = !cmd.sim.plain;
    let scm_config = cmd
        .scm
        .to_config(tls)
        .context("invalid SCM simulator options")?;
    let sim = Simulator::start(config)
        .await
        .context("cannot start the simulator")?;
    let scm = match scm_config {
        Some(cfg) => Some(
            ScmSimulator::start(cfg)
                .await
                .context("cannot start the SCM simulator")?,
        ),
        None => None,
    };
    let mut line = format!(
        "panops-sim ready url={} kind={} serials={}",
        sim.url(),
        sim.kind(),
        sim.serials().join(",")
    );
    if let Some(scm) = &scm {
        line.push_str(&format!(
            " scm={} token_url={}",
            scm.base_url(),
            scm.token_url()
        ));
    }
    if let Some(path) = &cmd.ca_out {
        // one bundle: the PAN-OS simulator's certificate, then the SCM simulator's
        let mut bundle = sim.ca_pem().unwrap_or_default();
        if let Some(pem) = scm.as_ref().and_then(|s| s.ca_pem()) {
            bundle.push_str(&pem);
        }
        std::fs::write(path, bundle)
            .with_context(|| format!("cannot write --ca-out {}", path.display()))?;
        line.push_str(&format!(" ca={}", path.display()));
    }
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{line}")?;
        out.flush()?;
    }
    wait_for_shutdown().await;
    if let Some(scm) = scm {
        scm.shutdown().await;
    }
    sim.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

async fn wait_for_shutdown() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
