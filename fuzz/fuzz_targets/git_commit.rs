#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| assay_fuzzing::git_commit(data));
