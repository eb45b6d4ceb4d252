//! The tests' way to the tools they need (Terraform, Duo's Python client, the workflow linters):
//! `scripts/tool NAME` prints a path and installs the tool on first use, pinned by hash, into a
//! cache outside the repository. Shared by the test binaries of both crates through `#[path]`,
//! so there is one way to ask.

use std::path::Path;
use std::process::Command;

/// The path `scripts/tool NAME` prints for the repository at `root`, or what it said on
/// failure, for the test to fail with.
pub fn tool(root: &Path, name: &str) -> Result<String, String> {
    let script = root.join("scripts/tool");
    let out = Command::new("bash")
        .arg(&script)
        .arg(name)
        .output()
        .map_err(|e| format!("could not run {}: {e}", script.display()))?;
    let path = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    if out.status.success() && !path.is_empty() {
        Ok(path)
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}
