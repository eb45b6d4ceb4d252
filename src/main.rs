//! `terraform-provider-duo`: the Terraform provider for the Duo Admin API.
//!
//! Started by Terraform (no arguments), it serves the plugin protocol until Terraform shuts it
//! down. With `--debug` it serves for a debugger or harness instead and prints how to attach
//! Terraform. `export` writes an existing Duo account as a Terraform directory.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use terraform_provider_duo::{duo, export, plugin, provider};

/// The Terraform provider for the Duo Admin API. Terraform starts it without arguments.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// Serve for a debugger or test harness and print the TF_REATTACH_PROVIDERS to use.
    #[arg(long)]
    debug: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Write an existing Duo account as a Terraform directory: a resource and an import block
    /// for every object, so that `terraform plan` there shows only imports. Credentials come
    /// from DUO_API_HOST, DUO_IKEY and DUO_SKEY (or DUO_API_HOSTNAME, DUO_INTEGRATION_KEY,
    /// DUO_SECRET_KEY).
    Export {
        /// The directory to write (created if missing; must be empty unless --force).
        #[arg(long, short = 'o', default_value = "duo-export")]
        out: PathBuf,
        /// Resource types to export, comma-separated (e.g. `duo_user,duo_group`); default all.
        #[arg(long, value_delimiter = ',')]
        types: Vec<String>,
        /// Export only this group (name or ID), its members and their phones, tokens and bypass
        /// codes. Repeat for several groups.
        #[arg(long = "group")]
        groups: Vec<String>,
        /// Overwrite the files export writes in a directory that is not empty.
        #[arg(long)]
        force: bool,
        /// Export this child account (`DA…`) of the MSP parent whose Accounts API key pair the
        /// credentials are; the provider block written names it.
        #[arg(long, conflicts_with = "all_child_accounts")]
        account_id: Option<String>,
        /// Export every child account of that parent, each into a directory of its own (named
        /// after the child) whose provider block names it.
        #[arg(long)]
        all_child_accounts: bool,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match args.command {
        Some(Command::Export {
            out,
            types,
            groups,
            force,
            account_id,
            all_child_accounts,
        }) => {
            let options = export::Options {
                dir: out,
                types,
                groups,
                force,
                account_id,
                all_child_accounts,
            };
            match export::run(&options).await {
                Ok(summary) => {
                    let mut total = 0;
                    for (dir, counts) in &summary.counts {
                        if !dir.is_empty() {
                            eprintln!("{dir}/");
                        }
                        for (t, n) in counts {
                            eprintln!("{n:>8}  {t}");
                            total += n;
                        }
                    }
                    eprintln!(
                        "Exported {total} objects to {} in {:.1} s. Next: cd {} && terraform init && terraform plan",
                        options.dir.display(),
                        summary.seconds,
                        options.dir.display()
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("export failed: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        None => {
            // The provider's lines are its own crate's and its Duo client's.
            let duo_client = std::any::type_name::<duo::Client>();
            let own = [
                module_path!(),
                duo_client.split("::").next().unwrap_or_default(),
            ];
            plugin::log::init("provider.terraform-provider-duo", &own);
            let result = if args.debug {
                plugin::serve_debug(provider::DuoProvider, provider::ADDRESS).await
            } else {
                plugin::serve(provider::DuoProvider).await
            };
            match result {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("{err}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
