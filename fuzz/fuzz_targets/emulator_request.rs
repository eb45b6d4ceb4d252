#![no_main]

use duo_test_support::fuzz as harness;

use std::sync::LazyLock;

static EMULATOR: LazyLock<harness::Emulator> = LazyLock::new(harness::Emulator::default);

libfuzzer_sys::fuzz_target!(|data: &[u8]| EMULATOR.request(data));
