//! The git, DVC, GTO and LFS collectors on a real repository built here with the `git` binary (never checked
//! in): commits (one carrying a signature header), annotated and lightweight tags, branches, DVC 2.x and 3.x lock
//! files, a `.dvc` file, params, GTO registrations and stage events, an LFS pointer. Then: re-running adds
//! nothing, a new commit is collected incrementally, a missing repository is an error that stores nothing.

use std::path::Path;
use std::process::Command;

use assay_collect::{Collector, SourceConfig, StoredBatch, configure};
use assay_ledger::{EvidenceKind, Ledger, ListFilter, NoProgress};
use jiff::Timestamp;
use serde_json::Value;

fn git(dir: &Path, args: &[&str], date: &str) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Alice")
        .env("GIT_AUTHOR_EMAIL", "alice@example.com")
        .env("GIT_COMMITTER_NAME", "Alice")
        .env("GIT_COMMITTER_EMAIL", "alice@example.com")
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .expect("the git binary is needed to build fixture repositories");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn write(dir: &Path, path: &str, text: &str) {
    let p = dir.join(path);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, text).expect("write");
}

const TRAIN: &str = "print('train')\n";
const MD5_TRAIN: &str = "9f2cb5e7e2c7b3b5b04a1d2e1d8d8f3e"; // deliberately wrong for the 3.x lock: dirty

fn md5(s: &str) -> String {
    assay_collect::dvc::file_md5(s.as_bytes(), false)
}

/// Build the fixture; returns the repo path and the id of the signed commit.
fn fixture(root: &Path) -> (std::path::PathBuf, String) {
    let repo = root.join("model-repo");
    std::fs::create_dir_all(&repo).expect("mkdir");
    git(&repo, &["init", "-q", "-b", "main"], "2025-01-01T10:00:00Z");
    write(&repo, "src/train.py", TRAIN);
    write(&repo, "params.yaml", "train:\n  lr: 0.1\n  depth: 4\n");
    write(
        &repo,
        "dvc.yaml",
        "stages:\n  train:\n    cmd: python src/train.py\n    deps: [data/raw.csv, src/train.py]\n    params: [train.lr]\n    outs: [model.bin]\nartifacts:\n  scorer:\n    path: model.bin\n    type: model\n",
    );
    // DVC 2.x lock: legacy md5 entries (no `hash:`), the code md5 matches the committed file.
    write(
        &repo,
        "dvc.lock",
        &format!(
            "schema: '2.0'\nstages:\n  train:\n    cmd: python src/train.py\n    deps:\n    - path: data/raw.csv\n      md5: aaaabbbbccccddddeeeeffff00001111\n      size: 10\n    - path: src/train.py\n      md5: {}\n      size: 15\n    params:\n      params.yaml:\n        train.lr: 0.1\n    outs:\n    - path: model.bin\n      md5: 0123456789abcdef0123456789abcdef\n      size: 3\n",
            md5(TRAIN)
        ),
    );
    write(
        &repo,
        "data/raw.csv.dvc",
        "outs:\n- md5: aaaabbbbccccddddeeeeffff00001111\n  size: 10\n  hash: md5\n  path: raw.csv\n",
    );
    write(
        &repo,
        "model.bin",
        "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 3\n",
    );
    git(&repo, &["add", "-A"], "2025-01-01T10:00:00Z");
    git(
        &repo,
        &["commit", "-qm", "first model"],
        "2025-01-01T10:00:00Z",
    );
    git(
        &repo,
        &["tag", "-a", "scorer@v1.0.0", "-m", "register"],
        "2025-01-01T11:00:00Z",
    );
    git(
        &repo,
        &["tag", "-a", "scorer#prod#1", "-m", "promote"],
        "2025-01-01T12:00:00Z",
    );

    // Second commit: DVC 3.x lock whose train.py md5 is not the committed file's (dirty), new params.
    write(&repo, "params.yaml", "train:\n  lr: 0.05\n  depth: 4\n");
    write(
        &repo,
        "dvc.lock",
        &format!(
            "schema: '2.0'\nstages:\n  train:\n    cmd: python src/train.py\n    deps:\n    - path: data/raw.csv\n      hash: md5\n      md5: aaaabbbbccccddddeeeeffff00001111\n      size: 10\n    - path: src/train.py\n      hash: md5\n      md5: {MD5_TRAIN}\n      size: 15\n    params:\n      params.yaml:\n        train.lr: 0.05\n    outs:\n    - path: model.bin\n      hash: md5\n      md5: fedcba9876543210fedcba9876543210\n      size: 3\n"
        ),
    );
    git(&repo, &["add", "-A"], "2025-02-01T10:00:00Z");
    git(
        &repo,
        &["commit", "-qm", "second model"],
        "2025-02-01T10:00:00Z",
    );
    git(&repo, &["tag", "scorer@v1.1.0"], "2025-02-01T11:00:00Z"); // lightweight
    git(
        &repo,
        &["tag", "-a", "scorer#prod!#2", "-m", "unassign"],
        "2025-02-02T11:00:00Z",
    );
    git(&repo, &["branch", "experiment"], "2025-02-01T10:00:00Z");

    // A commit carrying a signature header, written by hand (git would need gpg to make one).
    let tree = git(&repo, &["rev-parse", "HEAD^{tree}"], "2025-02-03T10:00:00Z");
    let parent = git(&repo, &["rev-parse", "HEAD"], "2025-02-03T10:00:00Z");
    let body = format!(
        "tree {tree}\nparent {parent}\nauthor Alice <alice@example.com> 1738576800 +0100\ncommitter Alice <alice@example.com> 1738576800 +0100\ngpgsig -----BEGIN SSH SIGNATURE-----\n U1NIU0lH\n -----END SSH SIGNATURE-----\n\nsigned commit\n"
    );
    let path = root.join("commit.txt");
    std::fs::write(&path, body).expect("write");
    let signed = git(
        &repo,
        &[
            "hash-object",
            "-t",
            "commit",
            "-w",
            path.to_str().expect("utf8"),
        ],
        "2025-02-03T10:00:00Z",
    );
    git(
        &repo,
        &["update-ref", "refs/heads/main", &signed],
        "2025-02-03T10:00:00Z",
    );
    (repo, signed)
}

fn configs(repo: &Path) -> Vec<(String, SourceConfig)> {
    let text = format!(
        "[git]\nrepos = [{{ path = {:?}, name = \"model\" }}]\n[dvc]\n[gto]\n[lfs]\n",
        repo.display().to_string()
    );
    let table: toml::Table = toml::from_str(&text).expect("toml");
    let tables: Vec<(String, toml::Table)> = table
        .into_iter()
        .map(|(k, v)| (k, v.as_table().cloned().expect("table")))
        .collect();
    configure(&tables, repo).expect("configure").0
}

/// A fresh ledger in `ws` (created) and the `[source.git]` config of `repo`.
fn git_workspace(ws: &Path, repo: &Path) -> (Ledger, Vec<(String, SourceConfig)>) {
    std::fs::create_dir_all(ws).expect("ws");
    let ledger = Ledger::init(ws).expect("ledger");
    let cfg = configs(repo)
        .into_iter()
        .filter(|(n, _)| n == "git")
        .collect();
    (ledger, cfg)
}

fn run_all(
    ledger: &mut Ledger,
    ws: &Path,
    configs: &[(String, SourceConfig)],
) -> Vec<(String, usize, usize)> {
    let now: Timestamp = "2025-06-01T00:00:00Z".parse().expect("ts");
    configs
        .iter()
        .map(|(name, c)| {
            let col: Box<dyn Collector> = c.collector();
            let s = assay_collect::run(col.as_ref(), ledger, ws, now, &mut NoProgress)
                .expect("collect");
            (name.clone(), s.items, s.new)
        })
        .collect()
}

fn items(ledger: &Ledger, kind: EvidenceKind) -> Vec<Value> {
    ledger
        .list(&ListFilter {
            kind: Some(kind),
            ..ListFilter::default()
        })
        .expect("list")
        .into_iter()
        .map(|s| s.evidence.payload)
        .collect()
}

#[test]
fn collects_git_dvc_gto_lfs_history_incrementally_and_idempotently() {
    let root = tempfile::tempdir().expect("tempdir");
    let (repo, signed) = fixture(root.path());
    let ws = root.path().join("ws");
    std::fs::create_dir_all(&ws).expect("ws");
    let mut ledger = Ledger::init(&ws).expect("ledger");
    let cfg = configs(&repo);
    let first = run_all(&mut ledger, &ws, &cfg);

    let commits = items(&ledger, EvidenceKind::GitCommit);
    assert_eq!(commits.len(), 3, "{commits:#?}");
    let signed_item = commits
        .iter()
        .find(|c| c["commit"] == signed.as_str())
        .expect("signed commit collected");
    assert_eq!(signed_item["signed"], true);
    assert_eq!(signed_item["signature_format"], "ssh");
    assert_eq!(signed_item["committer"]["utc_offset_minutes"], 60);
    assert!(commits.iter().filter(|c| c["signed"] == false).count() == 2);

    let tags = items(&ledger, EvidenceKind::GitTag);
    let light = tags
        .iter()
        .find(|t| t["tag"] == "scorer@v1.1.0")
        .expect("tag");
    assert_eq!(light["annotated"], false);
    let ann = tags
        .iter()
        .find(|t| t["tag"] == "scorer@v1.0.0")
        .expect("tag");
    assert_eq!(ann["annotated"], true);
    assert_eq!(ann["tagger"]["name"], "Alice");
    let branches = items(&ledger, EvidenceKind::GitBranch);
    assert_eq!(branches.len(), 2, "main and experiment");

    // DVC: the 2.x lock's hashes are md5-dos2unix and match; the 3.x lock's train.py does not (dirty).
    let stages = items(&ledger, EvidenceKind::DvcStage);
    let locks: Vec<&Value> = stages.iter().filter(|s| s["stage"] == "train").collect();
    assert_eq!(locks.len(), 2, "one per dvc.lock change: {stages:#?}");
    let dep = |s: &Value, p: &str| -> Value {
        s["deps"]
            .as_array()
            .expect("deps")
            .iter()
            .find(|d| d["path"] == p)
            .cloned()
            .expect("dep")
    };
    let legacy = locks
        .iter()
        .find(|s| s["params"]["params.yaml"]["train.lr"] == 0.1)
        .expect("2.x");
    assert_eq!(dep(legacy, "src/train.py")["hash_kind"], "md5-dos2unix");
    assert_eq!(dep(legacy, "src/train.py")["committed"]["matches"], true);
    assert!(
        dep(legacy, "data/raw.csv").get("committed").is_none(),
        "data is not in git"
    );
    let v3 = locks
        .iter()
        .find(|s| s["params"]["params.yaml"]["train.lr"] == 0.05)
        .expect("3.x");
    assert_eq!(dep(v3, "src/train.py")["hash_kind"], "md5");
    assert_eq!(dep(v3, "src/train.py")["committed"]["matches"], false);
    assert_eq!(
        stages.iter().filter(|s| s["definition"] == true).count(),
        1,
        "dvc.yaml once"
    );
    let datasets = items(&ledger, EvidenceKind::DvcDataset);
    assert_eq!(datasets.len(), 1);
    assert_eq!(datasets[0]["outs"][0]["path"], "data/raw.csv");
    let params = items(&ledger, EvidenceKind::DvcParams);
    assert_eq!(
        params.len(),
        2,
        "params.yaml at both commits that changed it"
    );
    assert!(params.iter().any(|p| p["params"]["train.lr"] == 0.05));

    // GTO and LFS.
    let regs = items(&ledger, EvidenceKind::GtoRegistration);
    assert_eq!(regs.len(), 2);
    assert!(
        regs.iter()
            .any(|r| r["version"] == "v1.1.0" && r["annotated"] == false)
    );
    let stages_ev = items(&ledger, EvidenceKind::GtoStageAssignment);
    let actions: Vec<&str> = stages_ev
        .iter()
        .filter_map(|s| s["action"].as_str())
        .collect();
    assert!(
        actions.contains(&"assign") && actions.contains(&"unassign"),
        "{actions:?}"
    );
    let lfs = items(&ledger, EvidenceKind::LfsPointer);
    assert_eq!(lfs.len(), 1, "the pointer never changed");
    assert_eq!(lfs[0]["size"], 3);

    // Re-running stores nothing new.
    let again = run_all(&mut ledger, &ws, &cfg);
    assert!(again.iter().all(|(_, _, new)| *new == 0), "{again:?}");
    assert!(first.iter().all(|(_, _, new)| *new > 0), "{first:?}");

    // A new commit: only it is read by the git collector.
    git(
        &repo,
        &["checkout", "-q", "-f", "main"],
        "2025-03-01T10:00:00Z",
    );
    write(&repo, "README.md", "hello\n");
    git(&repo, &["add", "-A"], "2025-03-01T10:00:00Z");
    git(&repo, &["commit", "-qm", "readme"], "2025-03-01T10:00:00Z");
    let third = run_all(&mut ledger, &ws, &cfg);
    let git_run = third.iter().find(|(n, _, _)| n == "git").expect("git");
    // 1 commit + 4 tags + 2 branches re-read; new: the commit and main's new head.
    assert_eq!(git_run.1, 7, "{third:?}");
    assert_eq!(git_run.2, 2, "{third:?}");
    assert_eq!(items(&ledger, EvidenceKind::GitCommit).len(), 4);
}

#[test]
fn a_missing_repository_is_an_error_and_stores_nothing() {
    let root = tempfile::tempdir().expect("tempdir");
    let ws = root.path();
    let mut ledger = Ledger::init(ws).expect("ledger");
    let cfg = configs(&root.path().join("no-such-repo"));
    let (_, git_cfg) = cfg.iter().find(|(n, _)| n == "git").expect("git");
    let col = git_cfg.collector();
    let now: Timestamp = "2025-06-01T00:00:00Z".parse().expect("ts");
    let err = assay_collect::run(col.as_ref(), &mut ledger, ws, now, &mut NoProgress)
        .expect_err("missing repo");
    assert_eq!(err.source_name(), "git");
    assert!(err.to_string().contains("no-such-repo"), "{err}");
    assert_eq!(ledger.len().expect("len"), 0);
}

#[test]
fn bad_source_tables_name_the_key() {
    let table: toml::Table = toml::from_str("repos = \"not-a-list\"").expect("toml");
    let err = configure(&[("git".into(), table)], Path::new(".")).expect_err("bad");
    assert!(err.to_string().contains("[source.git]: `repos`"), "{err}");
    let err = configure(&[("gto".into(), toml::Table::new())], Path::new(".")).expect_err("no git");
    assert!(err.to_string().contains("[source.gto]"), "{err}");
    let table: toml::Table = toml::from_str("files = 3").expect("toml");
    let err = configure(&[("openlineage".into(), table)], Path::new(".")).expect_err("bad");
    assert!(
        err.to_string().contains("[source.openlineage]: `files`"),
        "{err}"
    );
}

/// The git collector's items, byte for byte: the lineage trace and the control tests read these payloads, so a
/// faster collector must store exactly what the first one did. The signed commit's canonical payload is spelled
/// out; every other item is pinned through a digest over (kind, locator, leaf hash) of all git items in order.
#[test]
fn git_items_are_pinned_byte_for_byte() {
    let root = tempfile::tempdir().expect("tempdir");
    let (repo, signed) = fixture(root.path());
    // Without a commit-graph every commit is decoded by the walk; with one the walk reads the graph and the
    // commits are decoded while the ledger stores them. Both must store the same bytes.
    check_pinned(&root.path().join("ws-plain"), &repo, &signed);
    git(
        &repo,
        &["commit-graph", "write", "--reachable"],
        "2025-02-03T10:00:00Z",
    );
    assert!(
        repo.join(".git/objects/info/commit-graph").exists(),
        "the fixture has a commit-graph now"
    );
    check_pinned(&root.path().join("ws-graph"), &repo, &signed);
}

fn check_pinned(ws: &Path, repo: &Path, signed: &str) {
    let (mut ledger, cfg) = git_workspace(ws, repo);
    run_all(&mut ledger, ws, &cfg);
    let all = ledger.list(&ListFilter::default()).expect("list");
    let signed_item = all
        .iter()
        .find(|s| s.evidence.source.locator == format!("model@{signed}"))
        .expect("the signed commit");
    let canonical =
        assay_ledger::jcs::to_vec(&signed_item.evidence.payload).expect("canonical payload");
    assert_eq!(
        String::from_utf8(canonical).expect("utf8"),
        SIGNED_PAYLOAD.replace("{signed}", signed),
    );
    let mut listing = String::new();
    for s in &all {
        listing.push_str(&format!(
            "{} {} {}\n",
            s.evidence.kind.as_str(),
            s.evidence.source.locator,
            s.leaf_hash.to_hex()
        ));
    }
    let digest = assay_ledger::Sha256Digest::of(listing.as_bytes()).to_hex();
    assert_eq!(all.len(), 9, "{listing}");
    assert_eq!(digest, PINNED_DIGEST, "{listing}");
}

const SIGNED_PAYLOAD: &str = r#"{"author":{"email":"alice@example.com","name":"Alice","time":"2025-02-03T10:00:00Z","utc_offset_minutes":60},"commit":"{signed}","committer":{"email":"alice@example.com","name":"Alice","time":"2025-02-03T10:00:00Z","utc_offset_minutes":60},"message":"signed commit","parents":["9b4a998d7da602c83bc6fca4933d3ee4188012e3"],"repo":"model","signature_format":"ssh","signature_verified":false,"signed":true,"tree":"db7c2576c3069ce1ea76d1b4b38277e7ff3348bf"}"#;
const PINNED_DIGEST: &str = "94d5b53ad05cac5dc1f4f45543c1cfb87d1ae6d8e1d6bf86ff3dd228b1cd2360";

/// More commits than one batch of the collector (8 192): the batches must be stored oldest first, each commit
/// once, and a second run must add nothing.
#[test]
fn several_batches_are_stored_in_commit_order() {
    const N: usize = 2 * 8192 + 3;
    let root = tempfile::tempdir().expect("tempdir");
    let repo = root.path().join("big");
    std::fs::create_dir_all(&repo).expect("mkdir");
    git(&repo, &["init", "-q", "-b", "main"], "2025-01-01T10:00:00Z");
    let mut stream = String::new();
    for i in 1..=N {
        let t = 1_700_000_000 + i * 60;
        stream.push_str(&format!(
            "commit refs/heads/main\nmark :{i}\ncommitter Dev <dev@example.com> {t} +0100\ndata {}\ncommit {i}\n",
            format!("commit {i}").len()
        ));
        if i > 1 {
            stream.push_str(&format!("from :{}\n", i - 1));
        }
        stream.push('\n');
    }
    stream.push_str(&format!("reset refs/tags/v1\nfrom :{N}\n\n"));
    let mut child = Command::new("git")
        .args(["fast-import", "--quiet"])
        .current_dir(&repo)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", &repo)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("git fast-import");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), stream.as_bytes())
        .expect("feed fast-import");
    assert!(child.wait().expect("wait").success());
    git(
        &repo,
        &["commit-graph", "write", "--reachable"],
        "2025-01-01T10:00:00Z",
    );
    let ws = root.path().join("ws");
    let (mut ledger, cfg) = git_workspace(&ws, &repo);
    let first = run_all(&mut ledger, &ws, &cfg);
    assert_eq!(first, vec![("git".to_owned(), N + 2, N + 2)]);
    let commits = items(&ledger, EvidenceKind::GitCommit);
    assert_eq!(commits.len(), N);
    for (i, c) in commits.iter().enumerate() {
        assert_eq!(c["message"], format!("commit {}", i + 1), "item {i}");
        assert_eq!(c["committer"]["utc_offset_minutes"], 60);
    }
    assert_eq!(items(&ledger, EvidenceKind::GitTag).len(), 1);
    assert_eq!(items(&ledger, EvidenceKind::GitBranch).len(), 1);
    let again = run_all(&mut ledger, &ws, &cfg);
    assert_eq!(again, vec![("git".to_owned(), 2, 0)]);
    assert_eq!(ledger.len().expect("len"), (N + 2) as u64);
}

/// Run every collector as `assay collect` does, recording what each batch stored for the lineage index.
fn run_fed(
    ledger: &mut Ledger,
    ws: &Path,
    configs: &[(String, SourceConfig)],
) -> assay_lineage::Appended {
    let now: Timestamp = "2025-06-01T00:00:00Z".parse().expect("ts");
    let mut fed = assay_lineage::Appended::new();
    for (_, c) in configs {
        let col: Box<dyn Collector> = c.collector();
        assay_collect::run_observed(
            col.as_ref(),
            ledger,
            ws,
            now,
            &mut NoProgress,
            &mut |batch| match batch {
                StoredBatch::Evidence(items, outcomes) => fed.evidence(items, outcomes),
                StoredBatch::Canonical(items, outcomes) => fed.canonical(items, outcomes),
            },
        )
        .expect("collect");
    }
    fed
}

/// The lineage index that `assay collect` feeds from the items it stores (not reading them back) holds exactly
/// the rows a rebuild from the ledger writes, on the fixture's commits, DVC stages and datasets, GTO events and
/// LFS pointer — after the first collection and after an incremental one.
#[test]
fn the_lineage_index_fed_while_collecting_equals_a_rebuild() {
    use assay_lineage::LineageIndex;
    let root = tempfile::tempdir().expect("tempdir");
    let (repo, _) = fixture(root.path());
    let ws = root.path().join("ws");
    std::fs::create_dir_all(&ws).expect("ws");
    let mut ledger = Ledger::init(&ws).expect("ledger");
    let cfg = configs(&repo);
    let rebuilt = |ledger: &Ledger| {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut index = LineageIndex::open(&dir.path().join("rebuilt.db")).expect("index");
        let u = index.update(ledger).expect("rebuild");
        (index.rows().expect("rows"), u.indexed)
    };
    let mut index = LineageIndex::open(&LineageIndex::path_for(&ws)).expect("index");

    let fed = run_fed(&mut ledger, &ws, &cfg);
    let u = index.update_appended(&ledger, fed).expect("update");
    let (rows, indexed) = rebuilt(&ledger);
    assert_eq!(
        (u.covered, u.read),
        (ledger.len().expect("len"), 0),
        "{u:?}"
    );
    assert_eq!(u.indexed, indexed);
    assert_eq!(index.rows().expect("rows"), rows);
    let joins: std::collections::BTreeSet<_> = rows.iter().map(|r| r.0).collect();
    assert!(
        joins.len() >= 5,
        "the fixture exercises several joins: {joins:?}"
    );

    // A new commit, collected incrementally: the index is fed the new items only.
    write(&repo, "NOTES.md", "notes\n");
    git(&repo, &["add", "-A"], "2025-03-02T10:00:00Z");
    git(&repo, &["commit", "-qm", "notes"], "2025-03-02T10:00:00Z");
    let covered = u.covered;
    let fed = run_fed(&mut ledger, &ws, &cfg);
    let u = index.update_appended(&ledger, fed).expect("update");
    assert!(u.covered > covered && !u.rebuilt && u.read == 0, "{u:?}");
    assert_eq!(index.rows().expect("rows"), rebuilt(&ledger).0);
}

/// Incremental runs over a repository whose commit-graph is stale (new commits outside it, loose), fresh again
/// (the last run's tips inside it), or packed with a second pack: each run stores exactly the new commits, in
/// commit order, and the stored items equal those of one run over the final history.
#[test]
fn incremental_runs_store_only_new_commits_whatever_the_commit_graph_holds() {
    let root = tempfile::tempdir().expect("tempdir");
    let repo = root.path().join("inc");
    std::fs::create_dir_all(&repo).expect("mkdir");
    git(&repo, &["init", "-q", "-b", "main"], "2025-01-01T10:00:00Z");
    let mut n = 0;
    let mut commit = |count: usize| {
        for _ in 0..count {
            n += 1;
            let date = format!("2025-01-01T10:{:02}:{:02}Z", n / 60, n % 60);
            git(
                &repo,
                &["commit", "-q", "--allow-empty", "-m", &format!("c{n}")],
                &date,
            );
        }
    };
    commit(20);
    git(&repo, &["gc", "-q"], "2025-01-02T00:00:00Z");
    git(
        &repo,
        &["commit-graph", "write", "--reachable"],
        "2025-01-02T00:00:00Z",
    );
    let ws = root.path().join("ws");
    let (mut ledger, cfg) = git_workspace(&ws, &repo);
    // New commit items stored; the run must also have produced no more than those and the branch head.
    let new_commits = |ledger: &mut Ledger| {
        let before = items(ledger, EvidenceKind::GitCommit).len();
        let runs = run_all(ledger, &ws, &cfg);
        let stored = items(ledger, EvidenceKind::GitCommit).len() - before;
        assert_eq!(
            runs[0].1,
            stored + 1,
            "only the new commits are read again: {runs:?}"
        );
        stored
    };
    assert_eq!(
        new_commits(&mut ledger),
        20,
        "first run, all in the graph and one pack"
    );
    commit(5);
    assert_eq!(
        new_commits(&mut ledger),
        5,
        "new loose commits outside the graph"
    );
    commit(4);
    git(
        &repo,
        &["commit-graph", "write", "--reachable"],
        "2025-01-03T00:00:00Z",
    );
    assert_eq!(
        new_commits(&mut ledger),
        4,
        "graph fresh again, the last tips inside it"
    );
    commit(3);
    git(&repo, &["repack", "-q"], "2025-01-04T00:00:00Z");
    git(
        &repo,
        &["commit-graph", "write", "--reachable"],
        "2025-01-04T00:00:00Z",
    );
    assert_eq!(new_commits(&mut ledger), 3, "a second pack");
    assert_eq!(new_commits(&mut ledger), 0, "nothing new");
    let messages: Vec<Value> = items(&ledger, EvidenceKind::GitCommit)
        .iter()
        .map(|c| c["message"].clone())
        .collect();
    let expected: Vec<Value> = (1..=32).map(|i| Value::from(format!("c{i}"))).collect();
    assert_eq!(messages, expected, "every commit once, oldest first");

    // One run over the final history stores the same commit items.
    let ws2 = root.path().join("ws2");
    let (mut fresh, _) = git_workspace(&ws2, &repo);
    run_all(&mut fresh, &ws2, &cfg);
    assert_eq!(
        items(&fresh, EvidenceKind::GitCommit),
        items(&ledger, EvidenceKind::GitCommit)
    );
}
