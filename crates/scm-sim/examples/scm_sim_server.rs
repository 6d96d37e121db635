//! Runs the SCM simulator alone, for the pan-scm-sdk scenarios and manual tries.
//!
//! `cargo run -p panops-scm-sim --example scm_sim_server -- --scm-listen 127.0.0.1:0 [--tls --ca-out ca.pem]`
//! prints `scm-sim ready base=<url> token_url=<url>` on stdout and serves until killed or
//! until stdin closes.

use clap::Parser;
use panops_scm_sim::{ScmSimArgs, ScmSimulator};
use tokio::io::AsyncReadExt;

#[derive(Parser, Debug)]
struct Cli {
    #[command(flatten)]
    scm: ScmSimArgs,
    /// Serve HTTPS with a self-signed certificate (default: plain HTTP).
    #[arg(long)]
    tls: bool,
    /// Write the certificate PEM here (with --tls).
    #[arg(long)]
    ca_out: Option<std::path::PathBuf>,
    /// Keep serving after stdin closes.
    #[arg(long)]
    ignore_stdin: bool,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut cli = Cli::parse();
    if cli.scm.scm_listen.is_none() {
        cli.scm.scm_listen = Some("127.0.0.1:0".into());
    }
    let Some(cfg) = cli.scm.to_config(cli.tls)? else {
        return Err("--scm-listen is required".into());
    };
    if let Some(notice) = cfg.default_client_notice() {
        eprintln!("{notice}");
    }
    let sim = ScmSimulator::start(cfg).await?;
    if let (Some(path), Some(pem)) = (&cli.ca_out, sim.ca_pem()) {
        std::fs::write(path, pem)?;
    }
    println!(
        "scm-sim ready base={} token_url={}",
        sim.base_url(),
        sim.token_url()
    );
    if cli.ignore_stdin {
        tokio::signal::ctrl_c().await?;
    } else {
        let mut stdin = tokio::io::stdin();
        let mut buf = [0u8; 64];
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = async { while let Ok(n) = stdin.read(&mut buf).await { if n == 0 { break; } } } => {}
        }
    }
    sim.shutdown().await;
    Ok(())
}
