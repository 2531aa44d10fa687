//! The ML history: a real git repository (written with gix, so the demo needs no `git` binary) holding the
//! fraud model's pipeline code, `dvc.yaml` / `dvc.lock` over three dataset and parameter versions, an LFS
//! pointer for the model file, GTO tags for three versions and their stages (v1.2.0 in production), and
//! OpenLineage events of the ETL jobs that built the datasets.
//!
//! Planted broken link: `fraud-scorer@v1.1.0` (a staging version) was trained from a dirty working tree —
//! its `dvc.lock` records an `src/train.py` that differs from the committed one.

use std::collections::BTreeMap;

use gix::ObjectId;
use gix::objs::tree::{Entry, EntryKind};
use gix::refs::transaction::PreviousValue;

use super::{DemoError, Workspace};
use assay_collect::dvc::file_md5;
use assay_ledger::Sha256Digest;

/// Where the repository lives inside the workspace.
pub const REPO: &str = "repos/fraud-model.git";
/// The ETL events file.
pub const EVENTS: &str = "lineage/etl-events.jsonl";
/// What `assay demo` traces at the end.
pub const PRODUCTION: &str = "fraud-scorer#prod";
/// The version with the planted broken link.
pub const BROKEN: &str = "fraud-scorer@v1.1.0";

const ALICE: (&str, &str) = ("Alice Moreau", "alice@kestrel-labs.example");
const BEN: (&str, &str) = ("Ben Okafor", "ben@kestrel-labs.example");
const ETL_REPO: &str = "https://git.kestrel-labs.example/data/etl";

/// 2025-01-06T09:00:00Z plus `days` days and `hours` hours, as a git time.
fn at(days: i64, hours: i64) -> i64 {
    1_736_154_000 + days * 86_400 + hours * 3_600
}

fn iso(secs: i64) -> String {
    jiff::Timestamp::from_second(secs)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

struct Builder {
    repo: gix::Repository,
    files: BTreeMap<String, Vec<u8>>,
    head: Option<ObjectId>,
    path: std::path::PathBuf,
}

impl Builder {
    fn err(&self, e: impl std::fmt::Display) -> DemoError {
        DemoError::Io {
            path: self.path.clone(),
            source: std::io::Error::other(e.to_string()),
        }
    }

    fn put(&mut self, path: &str, bytes: impl Into<Vec<u8>>) {
        self.files.insert(path.to_owned(), bytes.into());
    }

    fn tree(&self, prefix: &str) -> Result<ObjectId, DemoError> {
        let mut entries: Vec<Entry> = Vec::new();
        let mut dirs: BTreeMap<String, ()> = BTreeMap::new();
        for (path, bytes) in &self.files {
            let Some(rest) = path.strip_prefix(prefix) else {
                continue;
            };
            match rest.split_once('/') {
                Some((dir, _)) => {
                    dirs.insert(dir.to_owned(), ());
                }
                None => {
                    let oid = self
                        .repo
                        .write_blob(bytes)
                        .map_err(|e| self.err(e))?
                        .detach();
                    entries.push(Entry {
                        mode: EntryKind::Blob.into(),
                        filename: rest.into(),
                        oid,
                    });
                }
            }
        }
        for dir in dirs.keys() {
            let oid = self.tree(&format!("{prefix}{dir}/"))?;
            entries.push(Entry {
                mode: EntryKind::Tree.into(),
                filename: dir.as_str().into(),
                oid,
            });
        }
        entries.sort();
        let tree = gix::objs::Tree { entries };
        Ok(self
            .repo
            .write_object(&tree)
            .map_err(|e| self.err(e))?
            .detach())
    }

    fn commit(
        &mut self,
        who: (&str, &str),
        time: i64,
        message: &str,
    ) -> Result<ObjectId, DemoError> {
        let tree = self.tree("")?;
        let time = format!("{time} +0000");
        let sig = gix::actor::SignatureRef {
            name: who.0.into(),
            email: who.1.into(),
            time: &time,
        };
        let id = self
            .repo
            .commit_as(sig, sig, "HEAD", message, tree, self.head)
            .map_err(|e| self.err(e))?
            .detach();
        self.head = Some(id);
        Ok(id)
    }

    fn tag(
        &self,
        name: &str,
        target: ObjectId,
        who: (&str, &str),
        time: i64,
        message: &str,
    ) -> Result<(), DemoError> {
        let time = format!("{time} +0000");
        let sig = gix::actor::SignatureRef {
            name: who.0.into(),
            email: who.1.into(),
            time: &time,
        };
        self.repo
            .tag(
                name,
                target,
                gix::objs::Kind::Commit,
                Some(sig),
                message,
                PreviousValue::MustNotExist,
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }
}

const PREPARE: &str = "\"\"\"Clean raw transactions: drop test merchants, normalise currencies.\"\"\"\nimport sys\n\nimport pandas as pd\n\nraw = pd.read_csv(sys.argv[1])\nraw = raw[~raw.merchant_id.str.startswith(\"TEST\")]\nraw.to_parquet(\"data/prepared/transactions.parquet\")\n";
const FEATURIZE: &str = "\"\"\"Velocity and merchant-risk features.\"\"\"\nimport pandas as pd\nimport yaml\n\nparams = yaml.safe_load(open(\"params.yaml\"))[\"featurize\"]\ndf = pd.read_parquet(\"data/prepared/transactions.parquet\")\n# rolling counts over params['window_days']\ndf.to_parquet(\"data/features/features.parquet\")\n";
const TRAIN_V1: &str = "\"\"\"Gradient-boosted fraud scorer.\"\"\"\nimport pickle\n\nimport lightgbm as lgb\nimport pandas as pd\nimport yaml\n\np = yaml.safe_load(open(\"params.yaml\"))[\"train\"]\ndf = pd.read_parquet(\"data/features/features.parquet\")\nmodel = lgb.LGBMClassifier(n_estimators=p[\"n_estimators\"], learning_rate=p[\"learning_rate\"], max_depth=p[\"max_depth\"], random_state=p[\"seed\"])\nmodel.fit(df.drop(columns=[\"is_fraud\"]), df.is_fraud)\npickle.dump(model, open(\"models/model.pkl\", \"wb\"))\n";
const EVALUATE: &str = "\"\"\"Hold-out metrics for the registry.\"\"\"\nimport json\n\njson.dump({\"auc\": 0.0, \"recall_at_1pct_fpr\": 0.0}, open(\"metrics.json\", \"w\"))\n";

fn train_v2() -> String {
    TRAIN_V1
        .replace(
            "df = pd.read_parquet",
            "df = pd.read_parquet  # class weights tuned for recall\n",
        )
        .replace(
            "random_state=p[\"seed\"])",
            "random_state=p[\"seed\"], class_weight=\"balanced\")",
        )
}

/// The uncommitted edit the v1.1.0 training actually ran with.
fn train_v2_dirty() -> String {
    train_v2().replace("class_weight=\"balanced\"", "class_weight={0: 1, 1: 40}")
}

fn params(n_estimators: u32, lr: f64, depth: u32, window: u32) -> String {
    format!(
        "featurize:\n  window_days: {window}\n  min_merchant_txns: 20\ntrain:\n  n_estimators: {n_estimators}\n  learning_rate: {lr}\n  max_depth: {depth}\n  seed: 42\n"
    )
}

const DVC_YAML: &str = "stages:\n  prepare:\n    cmd: python src/prepare.py data/transactions.csv\n    deps:\n    - data/transactions.csv\n    - src/prepare.py\n    outs:\n    - data/prepared\n  featurize:\n    cmd: python src/featurize.py\n    deps:\n    - data/prepared\n    - src/featurize.py\n    params:\n    - featurize.window_days\n    - featurize.min_merchant_txns\n    outs:\n    - data/features\n  train:\n    cmd: python src/train.py\n    deps:\n    - data/features\n    - src/train.py\n    params:\n    - train.n_estimators\n    - train.learning_rate\n    - train.max_depth\n    - train.seed\n    outs:\n    - models/model.pkl:\n        cache: false\n  evaluate:\n    cmd: python src/evaluate.py\n    deps:\n    - models/model.pkl\n    - data/features\n    - src/evaluate.py\n    metrics:\n    - metrics.json:\n        cache: false\nartifacts:\n  fraud-scorer:\n    path: models/model.pkl\n    type: model\n    desc: Transaction fraud scorer served by /v1/score\n    labels:\n    - fraud\n    - tabular\n";

/// One dataset version: content of the raw CSV's md5 and size, and derived directory hashes.
struct DataVersion {
    raw_md5: String,
    raw_size: u64,
    prepared: String,
    features: String,
}

fn data_version(n: u32) -> DataVersion {
    let raw = format!("transactions export #{n}\n");
    DataVersion {
        raw_md5: file_md5(raw.as_bytes(), false),
        raw_size: 48_000_000 + u64::from(n) * 1_250_000,
        prepared: format!(
            "{}.dir",
            file_md5(format!("prepared {n}").as_bytes(), false)
        ),
        features: format!(
            "{}.dir",
            file_md5(format!("features {n}").as_bytes(), false)
        ),
    }
}

#[allow(clippy::too_many_arguments)]
fn dvc_lock(
    legacy: bool,
    d: &DataVersion,
    prepare_md5: &str,
    featurize_md5: &str,
    train_md5: &str,
    evaluate_md5: &str,
    model_md5: &str,
    model_size: usize,
    params_text: &str,
) -> String {
    // Params as dvc.lock records them: dotted keys under the params file.
    let p: serde_json::Value = assay_collect::dvc::yaml(params_text.as_bytes()).unwrap_or_default();
    let g = |a: &str, b: &str| {
        p.get(a)
            .and_then(|x| x.get(b))
            .map(|v| v.to_string())
            .unwrap_or_default()
    };
    let h = if legacy { "" } else { "      hash: md5\n" };
    let entry = |path: &str, md5: &str, size: Option<u64>, nfiles: Option<u32>| {
        let mut s = format!("    - path: {path}\n{h}      md5: {md5}\n");
        if let Some(size) = size {
            s.push_str(&format!("      size: {size}\n"));
        }
        if let Some(n) = nfiles {
            s.push_str(&format!("      nfiles: {n}\n"));
        }
        s
    };
    let len = |s: &str| s.len() as u64;
    format!(
        "schema: '2.0'\nstages:\n  prepare:\n    cmd: python src/prepare.py data/transactions.csv\n    deps:\n{}{}    outs:\n{}  featurize:\n    cmd: python src/featurize.py\n    deps:\n{}{}    params:\n      params.yaml:\n        featurize.min_merchant_txns: {}\n        featurize.window_days: {}\n    outs:\n{}  train:\n    cmd: python src/train.py\n    deps:\n{}{}    params:\n      params.yaml:\n        train.learning_rate: {}\n        train.max_depth: {}\n        train.n_estimators: {}\n        train.seed: {}\n    outs:\n{}  evaluate:\n    cmd: python src/evaluate.py\n    deps:\n{}{}{}",
        entry("data/transactions.csv", &d.raw_md5, Some(d.raw_size), None),
        entry("src/prepare.py", prepare_md5, Some(len(PREPARE)), None),
        entry("data/prepared", &d.prepared, Some(d.raw_size / 3), Some(1)),
        entry("data/prepared", &d.prepared, Some(d.raw_size / 3), Some(1)),
        entry(
            "src/featurize.py",
            featurize_md5,
            Some(len(FEATURIZE)),
            None
        ),
        g("featurize", "min_merchant_txns"),
        g("featurize", "window_days"),
        entry("data/features", &d.features, Some(d.raw_size / 4), Some(1)),
        entry("data/features", &d.features, Some(d.raw_size / 4), Some(1)),
        entry("src/train.py", train_md5, None, None),
        g("train", "learning_rate"),
        g("train", "max_depth"),
        g("train", "n_estimators"),
        g("train", "seed"),
        entry("models/model.pkl", model_md5, Some(model_size as u64), None),
        entry("models/model.pkl", model_md5, Some(model_size as u64), None),
        entry("data/features", &d.features, Some(d.raw_size / 4), Some(1)),
        entry("src/evaluate.py", evaluate_md5, Some(len(EVALUATE)), None),
    )
}

fn dvc_file(d: &DataVersion) -> String {
    format!(
        "outs:\n- md5: {}\n  size: {}\n  hash: md5\n  path: transactions.csv\n",
        d.raw_md5, d.raw_size
    )
}

fn lfs_pointer(content: &[u8]) -> String {
    format!(
        "version https://git-lfs.github.com/spec/v1\noid sha256:{}\nsize {}\n",
        Sha256Digest::of(content).to_hex(),
        content.len()
    )
}

fn ol_event(
    job: &str,
    run: &str,
    event: &str,
    time: i64,
    output: Option<(&str, &str)>,
    input: Option<&str>,
    commit: &str,
) -> String {
    let mut ev = serde_json::json!({
        "eventType": event,
        "eventTime": iso(time),
        "producer": "https://git.kestrel-labs.example/data/etl/airflow",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": { "runId": run, "facets": {} },
        "job": {
            "namespace": "kestrel.etl",
            "name": job,
            "facets": {
                "jobType": {
                    "_producer": "https://git.kestrel-labs.example/data/etl/airflow",
                    "_schemaURL": "https://openlineage.io/spec/facets/2-0-3/JobTypeJobFacet.json#/$defs/JobTypeJobFacet",
                    "processingType": "BATCH", "integration": "AIRFLOW", "jobType": "TASK"
                },
                "sourceCodeLocation": {
                    "_producer": "https://git.kestrel-labs.example/data/etl/airflow",
                    "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/SourceCodeLocationJobFacet.json#/$defs/SourceCodeLocationJobFacet",
                    "type": "git", "url": ETL_REPO, "version": commit, "path": format!("dags/{job}.py")
                }
            }
        },
        "inputs": [],
        "outputs": []
    });
    if let Some(i) = input {
        ev["inputs"] = serde_json::json!([{ "namespace": "postgres://ledger-db.kestrel.internal:5432", "name": i, "facets": {} }]);
    }
    if let (Some((name, version)), "COMPLETE") = (output, event) {
        ev["outputs"] = serde_json::json!([{
            "namespace": "dvc://fraud-model",
            "name": name,
            "facets": {
                "version": {
                    "_producer": "https://git.kestrel-labs.example/data/etl/airflow",
                    "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json#/$defs/DatasetVersionDatasetFacet",
                    "datasetVersion": version
                }
            }
        }]);
    }
    ev.to_string()
}

pub fn build(ws: &mut Workspace) -> Result<(), DemoError> {
    let path = ws.root.join(REPO);
    std::fs::create_dir_all(&path).map_err(|source| DemoError::Io {
        path: path.clone(),
        source,
    })?;
    let repo = gix::init_bare(&path).map_err(|e| DemoError::Io {
        path: path.clone(),
        source: std::io::Error::other(e.to_string()),
    })?;
    let mut b = Builder {
        repo,
        files: BTreeMap::new(),
        head: None,
        path: path.clone(),
    };
    let md5 = |s: &str| file_md5(s.as_bytes(), false);

    // 1. The pipeline, before any data.
    b.put(
        ".gitattributes",
        "models/*.pkl filter=lfs diff=lfs merge=lfs -text\n",
    );
    b.put(".dvc/config", "[core]\n    remote = storage\n['remote \"storage\"']\n    url = s3://kestrel-dvc/fraud-model\n");
    b.put(".dvc/.gitignore", "/config.local\n/tmp\n/cache\n");
    b.put("src/prepare.py", PREPARE);
    b.put("src/featurize.py", FEATURIZE);
    b.put("src/train.py", TRAIN_V1);
    b.put("src/evaluate.py", EVALUATE);
    let p1 = params(300, 0.1, 6, 7);
    b.put("params.yaml", p1.clone());
    b.put("dvc.yaml", DVC_YAML);
    b.put(".gto", "stages: [dev, staging, prod]\n");
    b.commit(
        ALICE,
        at(0, 0),
        "Fraud model pipeline: prepare, featurize, train, evaluate",
    )?;

    // 2. First dataset and model (DVC 2.x lock, legacy md5 entries).
    let d1 = data_version(1);
    let m1 = b"fraud-scorer model v1.0.0 weights".to_vec();
    b.put("data/transactions.csv.dvc", dvc_file(&d1));
    b.put("models/model.pkl", lfs_pointer(&m1));
    b.put(
        "metrics.json",
        "{\"auc\": 0.912, \"recall_at_1pct_fpr\": 0.61}\n",
    );
    b.put(
        "dvc.lock",
        dvc_lock(
            true,
            &d1,
            &md5(PREPARE),
            &md5(FEATURIZE),
            &md5(TRAIN_V1),
            &md5(EVALUATE),
            &md5(std::str::from_utf8(&m1).unwrap_or_default()),
            m1.len(),
            &p1,
        ),
    );
    let c1 = b.commit(ALICE, at(14, 2), "Train on January export (dvc repro)")?;
    b.tag(
        "fraud-scorer@v1.0.0",
        c1,
        ALICE,
        at(14, 3),
        "Registering artifact fraud-scorer version v1.0.0",
    )?;
    b.tag(
        "fraud-scorer#staging#1",
        c1,
        ALICE,
        at(14, 4),
        "Assigning stage staging to artifact fraud-scorer version v1.0.0",
    )?;
    b.tag(
        "fraud-scorer#prod#2",
        c1,
        BEN,
        at(16, 1),
        "Assigning stage prod to artifact fraud-scorer version v1.0.0 (CHG-1042 approved)",
    )?;

    // 3. Second dataset, deeper trees, class weights — trained from a dirty tree (planted broken link).
    let d2 = data_version(2);
    let p2 = params(400, 0.08, 8, 14);
    let m2 = b"fraud-scorer model v1.1.0 weights".to_vec();
    b.put("params.yaml", p2.clone());
    b.put("src/train.py", train_v2());
    b.put("data/transactions.csv.dvc", dvc_file(&d2));
    b.put("models/model.pkl", lfs_pointer(&m2));
    b.put(
        "metrics.json",
        "{\"auc\": 0.927, \"recall_at_1pct_fpr\": 0.66}\n",
    );
    b.put(
        "dvc.lock",
        dvc_lock(
            false,
            &d2,
            &md5(PREPARE),
            &md5(FEATURIZE),
            &md5(&train_v2_dirty()),
            &md5(EVALUATE),
            &md5(std::str::from_utf8(&m2).unwrap_or_default()),
            m2.len(),
            &p2,
        ),
    );
    let c2 = b.commit(
        BEN,
        at(45, 5),
        "February export, deeper trees, class weights",
    )?;
    b.tag(
        "fraud-scorer@v1.1.0",
        c2,
        BEN,
        at(45, 6),
        "Registering artifact fraud-scorer version v1.1.0",
    )?;
    b.tag(
        "fraud-scorer#staging#3",
        c2,
        BEN,
        at(45, 7),
        "Assigning stage staging to artifact fraud-scorer version v1.1.0",
    )?;

    // 4. Third dataset, committed class weights, clean run → production.
    let d3 = data_version(3);
    let p3 = params(500, 0.05, 8, 14);
    let m3 = b"fraud-scorer model v1.2.0 weights".to_vec();
    let train_v3 = train_v2_dirty();
    b.put("params.yaml", p3.clone());
    b.put("src/train.py", train_v3.clone());
    b.put("data/transactions.csv.dvc", dvc_file(&d3));
    b.put("models/model.pkl", lfs_pointer(&m3));
    b.put(
        "metrics.json",
        "{\"auc\": 0.934, \"recall_at_1pct_fpr\": 0.71}\n",
    );
    b.put(
        "dvc.lock",
        dvc_lock(
            false,
            &d3,
            &md5(PREPARE),
            &md5(FEATURIZE),
            &md5(&train_v3),
            &md5(EVALUATE),
            &md5(std::str::from_utf8(&m3).unwrap_or_default()),
            m3.len(),
            &p3,
        ),
    );
    let c3 = b.commit(
        ALICE,
        at(73, 1),
        "March export; commit the class weights used for training",
    )?;
    b.tag(
        "fraud-scorer@v1.2.0",
        c3,
        ALICE,
        at(73, 2),
        "Registering artifact fraud-scorer version v1.2.0",
    )?;
    b.tag(
        "fraud-scorer#staging#4",
        c3,
        ALICE,
        at(73, 3),
        "Assigning stage staging to artifact fraud-scorer version v1.2.0",
    )?;
    b.tag(
        "fraud-scorer#prod#5",
        c3,
        BEN,
        at(75, 2),
        "Assigning stage prod to artifact fraud-scorer version v1.2.0 (CHG-1187 approved)",
    )?;
    b.tag(
        "fraud-scorer@v1.0.0!#6",
        c1,
        BEN,
        at(76, 0),
        "Deprecating fraud-scorer v1.0.0: superseded by v1.2.0",
    )?;

    // 5. A docs-only commit and a lightweight release tag.
    b.put(
        "README.md",
        "# fraud-model\n\nRun `dvc repro` to rebuild; models are registered with GTO tags.\n",
    );
    let c4 = b.commit(BEN, at(80, 4), "README: how to rebuild")?;
    b.repo
        .tag_reference("release-2025-q1", c4, PreviousValue::MustNotExist)
        .map_err(|e| b.err(e))?;

    // OpenLineage events of the ETL job that exported each dataset version.
    let mut lines = Vec::new();
    for (n, d, day) in [(1u32, &d1, 13i64), (2, &d2, 44), (3, &d3, 72)] {
        let run = format!("01943a6e-7b1c-7d2e-8f00-00000000000{n}");
        let etl_commit = format!("{}{}", md5(&format!("etl {n}")), &md5("dags")[..8]);
        lines.push(ol_event(
            "export_transactions",
            &run,
            "START",
            at(day, 0),
            None,
            Some("public.transactions"),
            &etl_commit,
        ));
        lines.push(ol_event(
            "export_transactions",
            &run,
            "COMPLETE",
            at(day, 1),
            Some(("data/transactions.csv", &d.raw_md5)),
            Some("public.transactions"),
            &etl_commit,
        ));
    }
    ws.file(EVENTS, &(lines.join("\n") + "\n"))?;
    ws.files.push(format!("{REPO}/ (git repository)"));

    ws.describe(&format!(
        r#"
# ── Evidence sources: the fraud model's history ───────────────────────────────────────────────

[source.git]
repos = [{{ path = "{REPO}", name = "fraud-model" }}]

[source.dvc]

[source.gto]

[source.lfs]

[source.openlineage]
files = ["{EVENTS}"]
"#
    ));
    Ok(())
}
