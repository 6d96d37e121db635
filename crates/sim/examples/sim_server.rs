//! Stand-alone simulator for tests and benchmarks: `cargo run -p panops-sim --example sim_server -- --plain --listen 127.0.0.1:0`.
//!
//! Accepts the same flags as `panops sim` and prints the same ready line.

use clap::Parser;

#[derive(Parser, Debug)]
#[command(name = "sim_server")]
struct Cli {
    #[command(flatten)]
    sim: panops_sim::SimArgs,
}

#[tokio::main]
async fn main() {
    tracing_subscriber_init();
    let cli = Cli::parse();
    let cfg = match cli.sim.to_config() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    if cfg.default_admin {
        eprintln!("WARNING: no --admin given: the simulator accepts the default admin:admin");
    }
    let sim = match panops_sim::Simulator::start(cfg).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    println!(
        "panops-sim ready url={} kind={} serials={}",
        sim.url(),
        sim.kind(),
        sim.serials().join(",")
    );
    let _ = tokio::signal::ctrl_c().await;
    sim.shutdown().await;
}

fn tracing_subscriber_init() {
    // request log lines (method, type, action, xpath, status; never keys) go to stderr
    let filter = tracing_subscriber::EnvFilter::try_from_env("PANOPS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,panops_sim=info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}
