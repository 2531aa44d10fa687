//! Write the seed corpus of every target (or of the targets named after the folder) as
//! `<folder>/<target>/seed-<n>`: `cargo run -p assay-fuzzing --example seeds -- fuzz/corpus [TARGET…]`.

use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "fuzz/corpus".into()));
    let only: Vec<String> = args.collect();
    for t in assay_fuzzing::TARGETS {
        if !only.is_empty() && !only.iter().any(|o| o == t.name) {
            continue;
        }
        let seeds = assay_fuzzing::seeds::seeds(t.name);
        let d = dir.join(t.name);
        std::fs::create_dir_all(&d)?;
        for (i, s) in seeds.iter().enumerate() {
            std::fs::write(d.join(format!("seed-{i}")), s)?;
        }
        println!("{:<20} {} seeds", t.name, seeds.len());
    }
    Ok(())
}
