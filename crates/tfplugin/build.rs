//! Generates the tfplugin6 and go-plugin gRPC server code from `proto/` with protox, a pure-Rust
//! protobuf compiler, so that building needs no system `protoc`. The client side is generated
//! only for the `client` feature (tests and benchmarks that play Terraform).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let fds = protox::compile(["tfplugin6.proto", "goplugin.proto"], ["../../proto"])?;
    tonic_prost_build::configure()
        .build_client(std::env::var_os("CARGO_FEATURE_CLIENT").is_some())
        .generate_default_stubs(true)
        .compile_fds(fds)?;
    println!("cargo:rerun-if-changed=../../proto");
    Ok(())
}
