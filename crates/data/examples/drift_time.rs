//! Times `assay_data::drift::drift` on two files and prints the report as JSON (for profiling the
//! drift path without the CLI): `cargo run --release -p assay-data --example drift_time REF CUR`.

use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, reference, current] = args.as_slice() else {
        eprintln!("usage: drift_time REFERENCE CURRENT");
        std::process::exit(2);
    };
    let t = std::time::Instant::now();
    let opts = assay_data::drift::DriftOptions::default();
    match assay_data::drift::drift(Path::new(reference), Path::new(current), &opts) {
        Ok(report) => {
            eprintln!("drift: {:.3} s", t.elapsed().as_secs_f64());
            println!("{}", serde_json::to_string(&report).unwrap_or_default());
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
