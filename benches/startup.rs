//! Start-up benchmark: how long from starting the provider to its handshake line, as
//! Terraform starts it (magic cookie, protocol 6) with and without a client certificate
//! (AutoMTLS, which makes the provider generate its own key and certificate at start).
//! Terraform starts a provider several times per command, so this is paid again and again.
//!
//! `cargo bench --bench startup` runs it (`BENCH_STARTS=20` by default) and prints the median,
//! minimum and maximum of each, in milliseconds.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark fails loudly by design"
)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Instant;

/// A certificate like the one Terraform passes (P-256, self-signed); the provider only pins it.
const CLIENT_CERT: &str = include_str!("fixtures/terraform-client-cert.pem");

/// Terraform's plugin handshake cookie (`internal/plugin6/serve.go`).
const MAGIC_COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

fn start_ms(tls: bool) -> f64 {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_terraform-provider-duo"));
    cmd.env("TF_PLUGIN_MAGIC_COOKIE", MAGIC_COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "6")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if tls {
        cmd.env("PLUGIN_CLIENT_CERT", CLIENT_CERT);
    } else {
        cmd.env_remove("PLUGIN_CLIENT_CERT");
    }
    let started = Instant::now();
    let mut child = cmd.spawn().expect("start the provider");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read the handshake line");
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    child.kill().ok();
    child.wait().ok();
    // `1|6|unix|…|grpc|<certificate>`: the last field is empty without AutoMTLS.
    let fields: Vec<&str> = line.trim().split('|').collect();
    assert_eq!(fields.get(1), Some(&"6"), "handshake line: {line:?}");
    assert_eq!(
        fields.get(5).is_some_and(|c| !c.is_empty()),
        tls,
        "server certificate in {line:?}"
    );
    ms
}

fn main() {
    let starts: usize = std::env::var("BENCH_STARTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    for (name, tls) in [("AutoMTLS", true), ("plain", false)] {
        start_ms(tls); // the first start also pays for the page cache
        let mut ms: Vec<f64> = (0..starts).map(|_| start_ms(tls)).collect();
        ms.sort_by(f64::total_cmp);
        println!(
            "start to handshake line, {name}: median {:.1} ms, min {:.1}, max {:.1} ({starts} starts)",
            ms[ms.len() / 2],
            ms[0],
            ms[ms.len() - 1]
        );
    }
}
