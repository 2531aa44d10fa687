//! Breakdown for `bench/lineage.sh`: the two halves of `assay collect --source git`, each timed alone on a fresh
//! ledger — reading the repository (walk, decoding, building the items; nothing stored) and storing those items
//! (one ledger append, nothing read). Prints `items read_seconds store_seconds`.
//!
//! ```text
//! cargo run --release -p assay-collect --example git_breakdown -- PATH/TO/REPO
//! ```

use std::time::Instant;

use assay_collect::{Context, configure};
use assay_ledger::{Ledger, NoProgress};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let repo = std::env::args()
        .nth(1)
        .ok_or("usage: git_breakdown PATH/TO/REPO")?;
    let ws = tempfile::tempdir()?;
    let mut ledger = Ledger::init(ws.path())?;
    let table: toml::Table = toml::from_str(&format!("repos = [{repo:?}]"))?;
    let (configs, _) = configure(&[("git".to_owned(), table)], ws.path())?;
    let (_, config) = configs.first().ok_or("no git source configured")?;
    let collector = config.collector();
    let now = jiff::Timestamp::from_second(1_800_000_000)?;

    let started = Instant::now();
    let collected = collector.collect(&mut Context {
        workspace: ws.path(),
        ledger: &ledger,
        now,
        progress: &mut NoProgress,
    })?;
    let mut items = collected.evidence;
    for deferred in collected.deferred {
        deferred.produce(&mut |batch| {
            items.extend(batch);
            true
        })?;
    }
    let read = started.elapsed();

    let started = Instant::now();
    ledger.append(&items, &mut NoProgress)?;
    let store = started.elapsed();
    println!(
        "{} {:.3} {:.3}",
        items.len(),
        read.as_secs_f64(),
        store.as_secs_f64()
    );
    Ok(())
}
