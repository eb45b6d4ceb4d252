//! What the workspace's test binaries share, as a crate instead of `#[path]` includes, so each
//! piece is compiled, linted and documented once:
//! - [`acceptance`]: the harness that runs the real `terraform` CLI against a fresh emulator
//!   (the acceptance tests and the scale benchmark);
//! - [`fuzz`]: the bodies of the fuzz targets (the bounded run in `tests/fuzz.rs` and the
//!   cargo-fuzz targets in `fuzz/`);
//! - [`tool`]: the one way to the tools tests need (`scripts/tool`).
//!
//! What only Cargo knows while it compiles a test binary (where it put the provider binary,
//! the binary's scratch directory) cannot be read from a library: the test binary hands it
//! over as a [`Build`], made by [`build!`] where it expands.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test support fails loudly by design"
)]

pub mod acceptance;
pub mod fuzz;
pub mod tool;

use std::path::{Path, PathBuf};

/// What Cargo gives an integration test or benchmark binary at compile time.
#[derive(Clone, Copy, Debug)]
pub struct Build {
    /// The provider binary Cargo built for this run (`CARGO_BIN_EXE_terraform-provider-duo`).
    pub provider: &'static str,
    /// The binary's scratch directory (`CARGO_TARGET_TMPDIR`).
    pub tmp: &'static str,
    /// The provider's version (`CARGO_PKG_VERSION`).
    pub version: &'static str,
}

/// The [`Build`] of the test binary this expands in (one of the provider package's).
#[macro_export]
macro_rules! build {
    () => {
        $crate::Build {
            provider: env!("CARGO_BIN_EXE_terraform-provider-duo"),
            tmp: env!("CARGO_TARGET_TMPDIR"),
            version: env!("CARGO_PKG_VERSION"),
        }
    };
}

/// The repository's root: where `scripts/`, `examples/` and the fixtures are.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}
