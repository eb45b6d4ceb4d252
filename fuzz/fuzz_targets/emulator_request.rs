#![no_main]

#[path = "../harness.rs"]
mod harness;

use std::sync::LazyLock;

static EMULATOR: LazyLock<harness::Emulator> = LazyLock::new(harness::Emulator::default);

libfuzzer_sys::fuzz_target!(|data: &[u8]| EMULATOR.request(data));
