//! `panops`: automate PAN-OS firewalls, Panorama and Prisma Access (SCM), or simulate them.
//!
//! The binary is a thin shell over the library crates: it resolves settings (profile file, then
//! environment, then flags), calls the client or the simulator, and renders results. `anyhow` is
//! used only here; the libraries return typed errors.

mod action_cmd;
mod cert_cmd;
mod demo;
mod exit;
mod exporter_cmd;
mod guest_cmd;
mod output;
mod panos_cmd;
mod scm_cmd;
mod scm_settings;
mod settings;
mod sim_cmd;
mod xmljson;

use std::process::ExitCode;

// The simulator and large-configuration indexing allocate many small strings and trees.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};

use crate::output::Format;

/// Command-line interface of panops.
#[derive(Debug, Parser)]
#[command(
    name = "panops",
    version,
    about = "Automate PAN-OS firewalls, Panorama and Prisma Access — or simulate them."
)]
struct Cli {
    /// More logging on stderr (-v info, -vv debug, -vvv trace). Secrets are never logged.
    #[arg(short, long, action = clap::ArgAction::Count, global = true, help_heading = "Global options")]
    verbose: u8,
    /// Output format (default: table on a terminal, JSON otherwise).
    #[arg(
        short,
        long,
        value_enum,
        global = true,
        help_heading = "Global options"
    )]
    output: Option<Format>,
    /// Connection settings.
    #[command(flatten)]
    conn: settings::ConnectionFlags,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a simulated Panorama or firewall (XML API) and optionally an SCM tenant.
    Sim(sim_cmd::SimCmd),
    /// Show the main job end to end against a built-in simulator (no device needed).
    Demo,
    /// Prisma Access / Strata Cloud Manager: every operation of the official specs, push and jobs.
    Scm(scm_cmd::ScmCmd),
    /// The action catalog shared by firewalls, Panorama and SCM: list and describe actions.
    Action {
        #[command(subcommand)]
        cmd: action_cmd::ActionCmd,
    },
    /// Run one action or a workflow from a JSON file (`-` for standard input).
    Run(action_cmd::RunCmd),
    /// Guest access: end or start a visit (User-ID, sessions), batches, a RADIUS listener.
    Guest {
        #[command(subcommand)]
        cmd: guest_cmd::GuestCmd,
    },
    /// Prometheus exporter for firewalls and Panorama estates (serves /probe from a cache).
    Exporter(exporter_cmd::ExporterCmd),
    /// Nagios / Icinga plugin: check one thing, print `STATUS - text | perfdata`, exit 0-3.
    Check(exporter_cmd::CheckCmd),
    /// Certificates: inventory, deploy through Panorama with automatic rollback, processes.
    Cert(cert_cmd::CertCmd),
    /// PAN-OS and Panorama commands.
    #[command(flatten)]
    Panos(panos_cmd::PanosCmd),
}

fn init_logging(verbose: u8, simulating: bool) {
    let level = match verbose {
        // The simulator logs one line per request at info: show them by default.
        0 if simulating => "warn,panops_sim=info,panops_scm_sim=info",
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("PANOPS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    // Colour codes only for a person at a terminal, and never when NO_COLOR is set
    // (https://no-color.org): log files and SOAR runners get plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose, matches!(cli.command, Command::Sim(_)));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let format = Format::resolve(cli.output);
    let conn = cli.conn;
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Sim(cmd) => sim_cmd::run(cmd, cli.verbose).await,
            Command::Scm(cmd) => scm_cmd::run_with(cmd, format, &conn).await,
            Command::Action { cmd } => action_cmd::run_action(cmd, format, &conn).await,
            Command::Run(cmd) => action_cmd::run_file(cmd, format, &conn).await,
            Command::Guest { cmd } => guest_cmd::run(cmd, format, &conn).await,
            Command::Exporter(cmd) => exporter_cmd::run_exporter(cmd, &conn).await,
            Command::Check(cmd) => exporter_cmd::run_check(cmd, &conn).await,
            Command::Cert(cmd) => cert_cmd::run(cmd, format, &conn).await,
            Command::Demo => {
                if cli.output.is_some() {
                    // The demo narrates a run for a person; it has no machine format.
                    eprintln!("note: panops demo prints a narrated run; -o is ignored");
                }
                demo::run().await.map(|()| ExitCode::SUCCESS)
            }
            Command::Panos(cmd) => match panos_cmd::run(cmd, &conn).await {
                Ok(rendered) => {
                    output::print(format, &rendered)?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(err) => {
                    // A failed job still has a result a SOAR platform needs (which device
                    // failed and why): it goes to stdout, the error to stderr, exit 1.
                    if let Some(rendered) = panos_cmd::failure_rendered(&err) {
                        output::print(format, &rendered)?;
                    }
                    Err(err)
                }
            },
        }
    });
    match result {
        Ok(code) => code,
        // `panops action list | head`: the reader left, which is not an error of ours.
        Err(err) if exit::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            // One clear sentence first, then the cause chain.
            eprintln!("error: {err:#}");
            if let Some(hint) = exit::hint_for(&err) {
                eprintln!("hint: {hint}");
            }
            exit::code_for(&err)
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn command_line_definition_is_consistent() {
        // Catches clashing global flags and bad defaults at test time instead of at run time.
        super::Cli::command().debug_assert();
    }
}
