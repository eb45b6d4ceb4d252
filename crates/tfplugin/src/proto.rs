//! Code generated at build time from `proto/` (see `build.rs`).

#[allow(
    dead_code,
    clippy::all,
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs
)]
pub mod tfplugin6 {
    tonic::include_proto!("tfplugin6");
}

#[allow(
    dead_code,
    clippy::all,
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs
)]
pub mod goplugin {
    tonic::include_proto!("plugin");
}
