//! The tests' way to the tools they need (Terraform, Duo's Python client, the workflow linters):
//! `scripts/tool NAME` prints a path and installs the tool on first use, pinned by hash, into a
//! cache outside the repository. Every test binary that needs a tool asks here, so there is one
//! way to ask.

use std::process::Command;

/// The path `scripts/tool NAME` prints, or what it said on failure, for the test to fail with.
pub fn tool(name: &str) -> Result<String, String> {
    let script = crate::root().join("scripts/tool");
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
