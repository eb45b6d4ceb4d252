//! The shared acceptance harness (`duo_test_support::acceptance`), bound to this test binary:
//! [`BUILD`] is where Cargo put the provider binary for this run.

pub use duo_test_support::acceptance::{
    Harness, assert_ok, import_ids, terraform_path, terraform_version, text,
};
use duo_test_support::{Build, build};

pub static BUILD: Build = build!();

/// See [`Build::supports_import_blocks`].
pub fn supports_import_blocks(test: &str) -> bool {
    BUILD.supports_import_blocks(test)
}

/// See [`Build::supports`].
pub fn supports(test: &str, min: (u32, u32), feature: &str) -> bool {
    BUILD.supports(test, min, feature)
}
