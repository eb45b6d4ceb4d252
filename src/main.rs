//! `terraform-provider-duo`: the Terraform provider for the Duo Admin API.
//!
//! Started by Terraform, it serves the plugin protocol until Terraform shuts it down. With
//! `--debug` it serves for a debugger or harness instead and prints how to attach Terraform.

use std::process::ExitCode;

use terraform_provider_duo::{plugin, provider};

#[tokio::main]
async fn main() -> ExitCode {
    plugin::log::init("provider.terraform-provider-duo");
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        None => plugin::serve(provider::DuoProvider).await,
        Some("--debug") => plugin::serve_debug(provider::DuoProvider, provider::ADDRESS).await,
        Some("--version") => {
            println!("terraform-provider-duo {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Some(other) => {
            eprintln!("unknown argument {other:?}; this program takes only --debug or --version");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{err}");
            ExitCode::FAILURE
        }
    }
}
