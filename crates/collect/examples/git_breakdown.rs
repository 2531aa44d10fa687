//! Breakdown for `bench/lineage.sh`: the parts of `assay collect --source git`, each timed alone on a fresh
//! ledger — reading the repository (walk, decoding, building the items; nothing stored), storing those items
//! (one ledger append, nothing read), and the lineage-index update that ends every collect (fed from the items
//! in memory, as `assay collect` feeds it). Prints
//! `items read_seconds store_seconds index_seconds`. With `--whole`, it times instead what `assay collect --source
//! git` does after reading `assay.toml`: the collection (reading and storing overlapped) and the index update, on a
//! fresh ledger, and prints `items collect_seconds first_batch_stored_at stored_at index_seconds` (the phases: until the
//! first batch is stored — the walk and building one batch —, until the last is, then the index update).
//!
//! ```text
//! cargo run --release -p assay-collect --example git_breakdown -- PATH/TO/REPO
//! ```

use std::time::Instant;

use assay_collect::{Context, StoredBatch, configure};
use assay_ledger::{Ledger, NoProgress};
use assay_lineage::{Appended, LineageIndex};

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

    if std::env::args().nth(2).as_deref() == Some("--whole") {
        let started = Instant::now();
        let mut appended = Appended::new();
        let mut first_batch = None;
        let summary = assay_collect::run_observed(
            collector.as_ref(),
            &mut ledger,
            ws.path(),
            now,
            &mut NoProgress,
            &mut |batch| {
                first_batch.get_or_insert_with(|| started.elapsed());
                match batch {
                    StoredBatch::Evidence(items, outcomes) => appended.evidence(items, outcomes),
                    StoredBatch::Canonical(items, outcomes) => appended.canonical(items, outcomes),
                }
            },
        )?;
        let stored = started.elapsed();
        LineageIndex::open(&LineageIndex::path_for(ws.path()))?
            .update_appended(&ledger, appended)?;
        println!(
            "{} {:.3} {:.3} {:.3} {:.3}",
            summary.items,
            started.elapsed().as_secs_f64(),
            first_batch.unwrap_or_default().as_secs_f64(),
            stored.as_secs_f64(),
            (started.elapsed() - stored).as_secs_f64()
        );
        return Ok(());
    }

    let started = Instant::now();
    let collected = collector.collect(&mut Context {
        workspace: ws.path(),
        ledger: &ledger,
        now,
        progress: &mut NoProgress,
    })?;
    let mut items = Vec::new();
    for e in collected.evidence {
        items.push(e.into_canonical().map_err(|e| e.reason)?);
    }
    for deferred in collected.deferred {
        deferred.produce(&mut |batch| {
            items.extend(batch);
            true
        })?;
    }
    let read = started.elapsed();

    let started = Instant::now();
    let outcomes = ledger.append_canonical(&items, &mut NoProgress)?;
    let store = started.elapsed();

    // As `assay collect` does it: the join rows from the items in memory, then the index update.
    let started = Instant::now();
    let mut appended = Appended::new();
    appended.canonical(&items, &outcomes);
    LineageIndex::open(&LineageIndex::path_for(ws.path()))?.update_appended(&ledger, appended)?;
    let index = started.elapsed();
    println!(
        "{} {:.3} {:.3} {:.3}",
        items.len(),
        read.as_secs_f64(),
        store.as_secs_f64(),
        index.as_secs_f64()
    );
    Ok(())
}
