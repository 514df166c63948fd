//! `twenty-sync service install | uninstall | status`: the agent as a systemd user service
//! (`twenty_sync::service`), with what was done and what is left to do in words.

use std::path::Path;

use clap::Subcommand;
use twenty_sync::service::{self, ServiceError, Session, Systemctl, UnitSpec, LINGER_HINT};

use super::{output, Failure, JsonFlag};

#[derive(Debug, Subcommand)]
pub enum ServiceCommand {
    /// Write the user unit (~/.config/systemd/user/twenty-sync.service) running `twenty-sync
    /// run` on this data directory, then enable and start it.
    Install(JsonFlag),
    /// Stop and disable the service and remove its unit (the data directory stays).
    Uninstall(JsonFlag),
    /// Whether the unit is installed, enabled and running.
    Status(JsonFlag),
}

fn failed(error: ServiceError) -> Failure {
    Failure::other(error.to_string())
}

pub fn run(command: ServiceCommand, data_dir: &Path) -> Result<(), Failure> {
    let unit_path = service::unit_path_from_env().map_err(failed)?;
    let systemctl = Systemctl::default();
    match command {
        ServiceCommand::Install(flag) => {
            let exe = std::env::current_exe()
                .map_err(|e| failed(ServiceError::UnknownExe(e.to_string())))?;
            let data_dir = std::path::absolute(data_dir)
                .map_err(|e| failed(ServiceError::UnknownDataDir(e.to_string())))?;
            let spec = UnitSpec { exe, data_dir };
            let installed = service::install(&spec, &unit_path, &systemctl).map_err(failed)?;
            if flag.json {
                return output::print_json(&installed);
            }
            let verb = if installed.replaced {
                "updated"
            } else {
                "wrote"
            };
            println!(
                "{verb} {} (runs `twenty-sync run` on {})",
                installed.unit_path.display(),
                spec.data_dir.display()
            );
            match &installed.not_started_because {
                None => {
                    println!(
                        "enabled and started: it starts again when you log in and after a failure"
                    );
                    println!(
                        "logs: journalctl --user -u twenty-sync, and {}",
                        twenty_sync::paths::logs_dir(&spec.data_dir).display()
                    );
                }
                Some(reason) => {
                    println!("NOT started: {reason}.");
                    println!("In a login session of this user (ssh or a desktop, not `su`), run:");
                    for command in &installed.commands {
                        println!("    {command}");
                    }
                }
            }
            println!("To keep it running after you log out (and start it at boot): {LINGER_HINT}");
            Ok(())
        }
        ServiceCommand::Uninstall(flag) => {
            let gone = service::uninstall(&unit_path, &systemctl).map_err(failed)?;
            if flag.json {
                return output::print_json(&gone);
            }
            if !gone.removed {
                println!(
                    "not installed: there is no {}; nothing to do",
                    gone.unit_path.display()
                );
                return Ok(());
            }
            if gone.stopped {
                println!("stopped and disabled {}", service::UNIT_NAME);
            }
            println!(
                "removed {} (your data directory is left as it is)",
                gone.unit_path.display()
            );
            if let Some(reason) = &gone.not_stopped_because {
                println!("Could not stop it: {reason}. If it still runs, in a login session of this user run:");
                println!("    systemctl --user disable --now {}", service::UNIT_NAME);
                println!("    systemctl --user daemon-reload");
            }
            Ok(())
        }
        ServiceCommand::Status(flag) => {
            let status = service::status(&unit_path, &systemctl);
            if flag.json {
                return output::print_json(&status);
            }
            if status.installed {
                println!("unit:     {} (installed)", status.unit_path.display());
            } else {
                println!(
                    "unit:     {} (not installed: run `twenty-sync service install`)",
                    status.unit_path.display()
                );
            }
            if let Some(exec) = &status.exec_start {
                println!("runs:     {exec}");
            }
            match &status.session {
                Session::Available => {
                    if let Some(enabled) = &status.enabled {
                        println!("enabled:  {enabled}");
                    }
                    if let Some(active) = &status.active {
                        println!("active:   {active}");
                    }
                }
                Session::Unavailable { reason } => println!("systemd:  {reason}"),
            }
            Ok(())
        }
    }
}
