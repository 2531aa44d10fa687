//! DVC `foreach`/`matrix` stages and `${…}` interpolation on a real git repository built by
//! `tests/fixtures/dvc_templates.sh`: the `dvc.yaml` item lists the generated stage names with their resolved
//! commands, every `dvc.lock` stage is joined to the `dvc.yaml` stage it was generated from, and a malformed
//! `foreach` in a later commit is recorded with the file and the stage, without losing the other stages.

use std::path::Path;
use std::process::Command;

use assay_collect::dvc::{DvcCollector, DvcConfig};
use assay_collect::{RepoSpec, run};
use assay_ledger::{EvidenceKind, Ledger, ListFilter, NoProgress};
use jiff::Timestamp;
use serde_json::{Value, json};

fn fixture(root: &Path) -> std::path::PathBuf {
    let repo = root.join("templates");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dvc_templates.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg(&repo)
        .output()
        .expect("bash and git are needed to build the fixture repository");
    assert!(
        out.status.success(),
        "{}: {}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    repo
}

fn stages(ledger: &Ledger) -> Vec<Value> {
    ledger
        .list(&ListFilter {
            kind: Some(EvidenceKind::DvcStage),
            ..ListFilter::default()
        })
        .expect("list")
        .into_iter()
        .map(|s| s.evidence.payload)
        .collect()
}

#[test]
fn foreach_and_matrix_stages_are_expanded_and_joined_with_the_lock() {
    let root = tempfile::tempdir().expect("tempdir");
    let repo = fixture(root.path());
    let ws = root.path().join("ws");
    std::fs::create_dir_all(&ws).expect("ws");
    let mut ledger = Ledger::init(&ws).expect("ledger");
    let collector = DvcCollector::new(DvcConfig {
        repos: vec![RepoSpec {
            path: repo.clone(),
            name: "templates".into(),
        }],
    });
    let now: Timestamp = "2025-06-01T00:00:00Z".parse().expect("ts");
    let first = run(&collector, &mut ledger, &ws, now, &mut NoProgress).expect("collect");
    assert!(first.new > 0);
    let again = run(&collector, &mut ledger, &ws, now, &mut NoProgress).expect("collect");
    assert_eq!(again.new, 0, "re-running adds nothing");

    let all = stages(&ledger);
    let defs: Vec<&Value> = all
        .iter()
        .filter(|p| p["definition"] == json!(true))
        .collect();
    assert_eq!(
        defs.len(),
        2,
        "one dvc.yaml item per commit that changed it"
    );
    let good = defs
        .iter()
        .find(|p| p.get("expand_errors").is_none())
        .expect("the first dvc.yaml expands cleanly");
    // (The ledger stores canonical JSON, so the stages come back in key order.)
    let names: Vec<&str> = good["stages"]
        .as_object()
        .expect("stages")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        names,
        [
            "evaluate@big-uk",
            "evaluate@big-us",
            "evaluate@small-uk",
            "evaluate@small-us",
            "prepare@uk",
            "prepare@us",
            "report",
            "train@big",
            "train@small"
        ]
    );
    let s = &good["stages"];
    assert_eq!(
        s["prepare@uk"]["cmd"],
        json!("python prepare.py --region uk --seed 7")
    );
    assert_eq!(s["prepare@uk"]["deps"], json!(["data/raw/uk.csv"]));
    assert_eq!(
        s["train@big"]["cmd"],
        json!("python train.py --name big --lr 1e-05 --layers 8")
    );
    assert_eq!(s["train@big"]["params"], json!(["models.big"]));
    assert_eq!(s["train@big"]["group"], json!("train"));
    assert_eq!(s["train@big"]["key"], json!("big"));
    assert_eq!(
        s["evaluate@big-uk"]["cmd"],
        json!("python eval.py models/big.pkl uk --split 0.25")
    );
    assert!(s["report"].get("group").is_none());
    assert_eq!(good["params_files"], json!(["params.yaml"]));

    // Every lock stage names the dvc.yaml stage it came from; a stage no longer defined has none.
    let locks: Vec<&Value> = all.iter().filter(|p| p.get("stage").is_some()).collect();
    let lock = |name: &str| {
        locks
            .iter()
            .find(|p| p["stage"] == json!(name))
            .unwrap_or_else(|| panic!("lock stage {name}"))
    };
    assert_eq!(
        lock("train@small")["defined_in"],
        json!({"file": "pipeline/dvc.yaml", "stage": "train", "key": "small"})
    );
    assert_eq!(
        lock("evaluate@big-uk")["defined_in"],
        json!({"file": "pipeline/dvc.yaml", "stage": "evaluate", "key": "big-uk"})
    );
    assert_eq!(
        lock("report")["defined_in"],
        json!({"file": "pipeline/dvc.yaml", "stage": "report", "key": null})
    );
    assert_eq!(lock("stale@old")["defined_in"], Value::Null);
    // And the lock's resolved command is the one the definition expands to.
    for name in [
        "prepare@us",
        "train@small",
        "train@big",
        "evaluate@big-uk",
        "report",
    ] {
        assert_eq!(lock(name)["cmd"], s[name]["cmd"], "{name}");
    }

    // The second commit breaks `train`: the error names the file and the stage; the other stages are kept.
    let bad = defs
        .iter()
        .find(|p| p.get("expand_errors").is_some())
        .expect("the second dvc.yaml");
    let errors = bad["expand_errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["file"], json!("pipeline/dvc.yaml"));
    assert_eq!(errors[0]["stage"], json!("train"));
    assert!(
        errors[0]["message"]
            .as_str()
            .expect("message")
            .contains("`foreach` must be a list, a dict"),
        "{errors:?}"
    );
    assert_eq!(bad["stages"]["train"]["cmd"], Value::Null);
    assert!(bad["stages"].get("evaluate@small-us").is_some());
}
