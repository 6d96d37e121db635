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
    /// Connection flags given before the subcommand (hidden; see [`settings::EarlyConnectionFlags`]).
    #[command(flatten)]
    early: settings::EarlyConnectionFlags,
    #[command(subcommand)]
    command: Command,
}

/// A command that connects to a device: its own arguments, then the connection flags, so
/// that `--help` lists them last under "Connection options".
#[derive(Debug, clap::Args)]
struct Connected<T: clap::Args> {
    #[command(flatten)]
    cmd: T,
    #[command(flatten)]
    conn: settings::ConnectionFlags,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a simulated Panorama or firewall (XML API) and optionally an SCM tenant.
    Sim(sim_cmd::SimCmd),
    /// Show the main job end to end against a built-in simulator (no device needed).
    Demo,
    /// Prisma Access / Strata Cloud Manager: every operation of the official specs, push and jobs.
    Scm {
        #[command(flatten)]
        cmd: scm_cmd::ScmCmd,
        #[command(flatten)]
        conn: settings::ScmConnectionFlags,
    },
    /// The action catalog shared by firewalls, Panorama and SCM: list and describe actions.
    Action {
        #[command(subcommand)]
        cmd: action_cmd::ActionCmd,
    },
    /// Run one action or a workflow from a JSON file (`-` for standard input).
    Run(Connected<action_cmd::RunCmd>),
    /// Guest access: end or start a visit (User-ID, sessions), batches, a RADIUS listener.
    Guest {
        #[command(subcommand)]
        cmd: guest_cmd::GuestCmd,
        #[command(flatten)]
        conn: settings::ConnectionFlags,
    },
    /// Prometheus exporter for firewalls and Panorama estates (serves /probe from a cache).
    Exporter(Connected<exporter_cmd::ExporterCmd>),
    /// Nagios / Icinga plugin: check one thing, print `STATUS - text | perfdata`, exit 0-3.
    Check(Connected<exporter_cmd::CheckCmd>),
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
    let mut cli = Cli::parse();
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
    let early = std::mem::take(&mut cli.early);
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Sim(cmd) => sim_cmd::run(cmd, cli.verbose).await,
            Command::Scm { mut cmd, conn } => {
                let conn = cmd.command.take_conn().over(conn);
                scm_cmd::run_with(cmd, format, &conn.or(early)).await
            }
            Command::Action { cmd } => action_cmd::run_action(cmd, format).await,
            Command::Run(c) => action_cmd::run_file(c.cmd, format, &c.conn.or(early)).await,
            Command::Guest { cmd, conn } => guest_cmd::run(cmd, format, &conn.or(early)).await,
            Command::Exporter(c) => exporter_cmd::run_exporter(c.cmd, &c.conn.or(early)).await,
            Command::Check(c) => exporter_cmd::run_check(c.cmd, &c.conn.or(early)).await,
            Command::Cert(mut cmd) => {
                let conn = cmd.conn_mut().map(std::mem::take).unwrap_or_default();
                cert_cmd::run(cmd, format, &conn.or(early)).await
            }
            Command::Demo => {
                if cli.output.is_some() {
                    // The demo narrates a run for a person; it has no machine format.
                    eprintln!("note: panops demo prints a narrated run; -o is ignored");
                }
                demo::run().await.map(|()| ExitCode::SUCCESS)
            }
            Command::Panos(mut cmd) => {
                let conn = std::mem::take(cmd.conn_mut()).or(early);
                match panos_cmd::run(cmd, &conn).await {
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
                }
            }
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

    /// Every command path (`op`, `config get`, ...) with its built clap command.
    fn leaves(cmd: &clap::Command, path: &str, out: &mut Vec<(String, clap::Command)>) {
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            let here = format!("{path} {}", sub.get_name()).trim().to_string();
            if sub.has_subcommands() {
                leaves(sub, &here, out);
            } else {
                out.push((here, sub.clone()));
            }
        }
    }

    #[test]
    fn connection_flags_are_offered_exactly_where_a_device_is_reached() {
        use clap::Args;
        let conn = crate::settings::ConnectionFlags::augment_args(clap::Command::new("c"));
        let ids: Vec<&str> = conn.get_arguments().map(|a| a.get_id().as_str()).collect();
        let mut cli = super::Cli::command();
        cli.build();
        // The top level accepts them (`panops --target SERIAL op ...`) without listing them.
        for id in &ids {
            let arg = cli.get_arguments().find(|a| a.get_id() == *id).unwrap();
            assert!(arg.is_hide_set(), "top-level --{id} should be hidden");
        }
        let mut all = Vec::new();
        leaves(&cli, "", &mut all);
        let offline = [
            "sim",
            "demo",
            "action list",
            "action describe",
            "cert processes",
            "cert process",
        ];
        let mut connecting = 0;
        for (path, cmd) in &all {
            // A flag (`scm describe TARGET` has a positional of its own called target).
            let has = |id: &str| {
                cmd.get_arguments()
                    .any(|a| a.get_id() == id && !a.is_hide_set() && a.get_long().is_some())
            };
            if path == "scm catalog" || path == "scm describe" {
                // They read the built-in catalog only (issue 13 item 6).
                for id in &ids {
                    assert!(
                        !has(id),
                        "`panops {path}` connects to nothing but offers --{id}"
                    );
                }
            } else if path.starts_with("scm ") {
                // SCM: only the flags that apply to a tenant.
                for id in &ids {
                    let scm = [
                        "profile",
                        "skip_verify_certificate",
                        "ca_file",
                        "request_timeout",
                    ];
                    assert_eq!(has(id), scm.contains(id), "`panops {path}` --{id}");
                }
            } else if offline.contains(&path.as_str()) {
                for id in &ids {
                    assert!(
                        !has(id),
                        "`panops {path}` connects to nothing but offers --{id}"
                    );
                }
            } else {
                connecting += 1;
                for id in &ids {
                    assert!(has(id), "`panops {path}` connects but lacks --{id}");
                }
            }
        }
        assert!(connecting > 20, "{all:?}");
    }
}
