//! A bounded fuzz run on stable Rust, part of every test run: each target of `duo_test_support::fuzz`
//! gets its seed corpus (`fuzz/corpus/<target>/`) and then inputs mutated from it — bits
//! flipped, bytes set to edge values, ranges cut, repeated or spliced from another seed —
//! from a fixed seed, so a failure reproduces. The cargo-fuzz targets in `fuzz/` run the same
//! code coverage-guided for as long as you like (see `fuzz/README.md`).
//!
//! `FUZZ_RUNS` sets the mutated inputs per target (default 20,000); `FUZZ_SEED` the seed.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly by design"
)]

use duo_test_support::fuzz as harness;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

/// xorshift64*: small, fast, and the same sequence everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Bytes that sit on format boundaries: msgpack markers, UTF-8 lead bytes, JSON structure.
const EDGES: &[u8] = &[
    0x00, 0x7f, 0x80, 0x90, 0x9f, 0xa0, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xcb, 0xd4, 0xd9, 0xdc, 0xdd,
    0xde, 0xdf, 0xe0, 0xff, b'"', b'{', b'[', b'\\', b'%', b'&', b'=',
];

fn mutate(rng: &mut Rng, seed: &[u8], corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(v.len() + 1);
        match rng.below(8) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] ^= 1 << rng.below(8);
            }
            1 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] = EDGES[rng.below(EDGES.len())];
            }
            2 => {
                let n = rng.below(8) + 1;
                let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                v.splice(at..at, bytes);
            }
            3 if at < v.len() => {
                let end = (at + rng.below(16) + 1).min(v.len());
                v.drain(at..end);
            }
            4 if at < v.len() => {
                let end = (at + rng.below(16) + 1).min(v.len());
                let copy = v[at..end].to_vec();
                v.splice(at..at, copy);
            }
            5 => {
                let other = &corpus[rng.below(corpus.len())];
                let from = rng.below(other.len() + 1);
                v.truncate(at);
                v.extend_from_slice(&other[from..]);
            }
            6 => v.truncate(at),
            _ => v.insert(at.min(v.len()), EDGES[rng.below(EDGES.len())]),
        }
    }
    v
}

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let seeds: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    assert!(!seeds.is_empty(), "no seeds in {}", dir.display());
    seeds
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs `target` on every seed and `FUZZ_RUNS` mutations; fails with the first input that
/// panics, in hex, after saving it under `target/fuzz-failures/` for `cargo fuzz run`.
fn run(name: &str, target: impl Fn(&[u8])) {
    let seeds = corpus(name);
    let runs = env_number("FUZZ_RUNS", 20_000);
    let mut rng = Rng(env_number("FUZZ_SEED", 0x5eed_f00d) | 1);
    let started = std::time::Instant::now();
    let mut executed = 0u64;
    let inputs = seeds.iter().cloned().chain((0..runs).map(|_| {
        let seed = &seeds[rng.below(seeds.len())];
        mutate(&mut rng, seed, &seeds)
    }));
    for input in inputs {
        executed += 1;
        if catch_unwind(AssertUnwindSafe(|| target(&input))).is_err() {
            let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-failures");
            let _ = std::fs::create_dir_all(&dir);
            let file = dir.join(format!("{name}-{executed}"));
            let _ = std::fs::write(&file, &input);
            panic!(
                "{name} panicked on input #{executed} (saved as {}): {}",
                file.display(),
                input.iter().map(|b| format!("{b:02x}")).collect::<String>()
            );
        }
    }
    eprintln!(
        "{name}: {executed} inputs in {:.1} s, no panic",
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn value_codec() {
    run("value_codec", harness::value_codec);
}

#[test]
fn duo_response() {
    run("duo_response", harness::duo_response);
}

#[test]
fn emulator_request() {
    let emulator = harness::Emulator::default();
    run("emulator_request", |data| emulator.request(data));
    assert!(emulator.tenant_intact());
}
