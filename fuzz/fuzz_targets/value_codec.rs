#![no_main]

use duo_test_support::fuzz as harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::value_codec(data));
