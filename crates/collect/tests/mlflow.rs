//! The MLflow collector against a real `mlflow server` (SQLite backend), started and stopped here and
//! populated by `tests/mlflow/populate.py` with the real mlflow client. The Python comes from
//! `ASSAY_MLFLOW_PYTHON`, which `scripts/test` sets after `scripts/mlflow-venv.sh` installed MLflow. Without it
//! the test is skipped on a developer machine and **fails** when `CI` is set.
//!
//! Then: `trace` of the version whose run has git tags shows params, metrics, commit and the dataset (labelled
//! as an MLflow digest, not a content hash); the version whose run lacks a git commit tag is reported as a gap.

use std::io::Read as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use assay_collect::Collector;
use assay_collect::mlflow::{MlflowCollector, MlflowConfig};
use assay_ledger::{EvidenceKind, Ledger, ListFilter, NoProgress};
use assay_lineage::{Graph, Selector};
use jiff::Timestamp;

/// A server in its own process group; the whole group is stopped on drop (MLflow spawns workers).
struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        // SIGKILL the whole group at once: with a graceful stop, MLflow's worker processes outlive the server,
        // get re-parented, and their own shutdown logic then signals whatever process group adopted them.
        let pgid = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &pgid])
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        eprintln!("mlflow server group {pgid} did not stop within 20 s");
    }
}

fn python() -> Option<PathBuf> {
    match std::env::var_os("ASSAY_MLFLOW_PYTHON") {
        Some(p) if Path::new(&p).exists() => Some(PathBuf::from(p)),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but ASSAY_MLFLOW_PYTHON is missing: scripts/test must run scripts/mlflow-venv.sh"
            );
            eprintln!(
                "skipping: set ASSAY_MLFLOW_PYTHON (scripts/mlflow-venv.sh prints it) to run against a real MLflow"
            );
            None
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn start(py: &Path, dir: &Path) -> Server {
    use std::os::unix::process::CommandExt as _;
    let port = free_port();
    let log = std::fs::File::create(dir.join("server.log")).expect("log");
    let child = Command::new(py)
        .args(["-m", "mlflow", "server", "--backend-store-uri"])
        .arg(format!("sqlite:///{}", dir.join("mlflow.db").display()))
        .arg("--default-artifact-root")
        .arg(dir.join("artifacts"))
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--workers",
            "1",
        ])
        .current_dir(dir)
        .env("MLFLOW_DISABLE_TELEMETRY", "true")
        .env("DO_NOT_TRACK", "1")
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .process_group(0)
        .spawn()
        .expect("start mlflow server");
    let server = Server {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            use std::io::Write as _;
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            let _ = s
                .write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
            let mut buf = [0u8; 64];
            let n = s.read(&mut buf).unwrap_or(0);
            let head = String::from_utf8_lossy(&buf[..n]);
            if head.starts_with("HTTP/1.") && head.contains(" 200 ") {
                return server;
            }
        }
        assert!(
            Instant::now() < deadline,
            "mlflow server did not become healthy in 180 s: {}",
            std::fs::read_to_string(dir.join("server.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn collects_a_real_mlflow_server_and_traces_the_gap() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let server = start(&py, dir.path());
    let summary_path = dir.path().join("summary.json");
    // Run the script from a folder outside any git repository: the mlflow client tags runs with the git commit
    // of the repository holding the main file, and one run here must have none.
    let script = dir.path().join("populate.py");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mlflow/populate.py"),
        &script,
    )
    .expect("copy populate.py");
    let status = Command::new(&py)
        .arg(&script)
        .arg(&summary_path)
        .env("MLFLOW_TRACKING_URI", &server.url)
        .env("MLFLOW_DISABLE_TELEMETRY", "true")
        .env("DO_NOT_TRACK", "1")
        .env("GIT_PYTHON_REFRESH", "quiet")
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("populate");
    assert!(status.success(), "populate.py failed");
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&summary_path).expect("summary"))
            .expect("summary json");
    let good = summary["good_run"].as_str().expect("good run").to_owned();
    let bad = summary["bad_run"].as_str().expect("bad run").to_owned();

    let ws = dir.path().join("ws");
    std::fs::create_dir_all(&ws).expect("ws");
    let mut ledger = Ledger::init(&ws).expect("ledger");
    let config = MlflowConfig {
        url: server.url.clone(),
        token_env: None,
        page_size: 1, // force pagination on every search
    };
    let collector = MlflowCollector::new(config.clone());
    let now: Timestamp = "2030-01-01T00:00:00Z".parse().expect("ts");
    let first =
        assay_collect::run(&collector, &mut ledger, &ws, now, &mut NoProgress).expect("collect");
    assert!(first.new >= 5, "{first:?}");
    let again =
        assay_collect::run(&collector, &mut ledger, &ws, now, &mut NoProgress).expect("again");
    assert_eq!(again.new, 0, "idempotent: {again:?}");

    let list = |kind| {
        ledger
            .list(&ListFilter {
                kind: Some(kind),
                ..ListFilter::default()
            })
            .expect("list")
    };
    let runs = list(EvidenceKind::MlflowRun);
    assert_eq!(runs.len(), 2, "both runs, through one-item pages");
    let good_run = runs
        .iter()
        .find(|r| r.evidence.payload["run_id"] == good.as_str())
        .expect("good run");
    let p = &good_run.evidence.payload;
    assert_eq!(
        p["git"]["commit"],
        "4914054631a2f9de0530a251487c784286063a12"
    );
    assert_eq!(p["git"]["dirty"], false);
    assert_eq!(p["params"]["max_depth"], "8");
    assert_eq!(
        p["metrics"]["auc"], 0.934,
        "latest value of a metric logged twice"
    );
    assert_eq!(p["inputs"][0]["name"], "transactions");
    assert_eq!(p["inputs"][0]["context"], "training");
    assert_eq!(p["inputs"][0]["digest"].as_str().map(str::len), Some(8));
    let versions = list(EvidenceKind::MlflowModelVersion);
    assert_eq!(versions.len(), 2);
    let v1 = versions
        .iter()
        .find(|v| v.evidence.payload["run_id"] == good.as_str())
        .expect("v1");
    assert_eq!(
        v1.evidence.payload["aliases"],
        serde_json::json!(["champion"])
    );
    assert_eq!(v1.evidence.payload["tags"]["approved_by"], "ben");
    assert_eq!(list(EvidenceKind::MlflowRegisteredModel).len(), 1);

    // Trace: the alias resolves to the good version; the other version's run has no git commit → a gap.
    let graph = Graph::load(&ledger).expect("graph");
    let t = assay_lineage::trace(
        &graph,
        &Selector::parse("fraud-scorer:champion").expect("sel"),
    )
    .expect("trace");
    assert_eq!(t.registry, "mlflow");
    let run = t.run.as_ref().expect("run");
    assert_eq!(run.id, good);
    assert_eq!(run.params["learning_rate"], "0.05");
    assert!(
        t.findings.iter().all(|f| f.code != "no-commit"),
        "{:#?}",
        t.findings
    );
    assert!(
        t.findings.iter().any(|f| f.code == "commit-not-collected"),
        "the commit is not in this ledger (no git source here): {:#?}",
        t.findings
    );
    let ds = &t.datasets[0];
    assert_eq!(ds.identity[0].method, "mlflow-digest");
    assert!(
        !ds.identity[0].content_hash,
        "an MLflow digest is not a content hash"
    );
    let bad_version = versions
        .iter()
        .find(|v| v.evidence.payload["run_id"] == bad.as_str())
        .and_then(|v| v.evidence.payload["version"].as_str())
        .expect("bad version")
        .to_owned();
    let t2 = assay_lineage::trace(
        &graph,
        &Selector::parse(&format!("fraud-scorer@{bad_version}")).expect("sel"),
    )
    .expect("trace");
    let gap = t2
        .findings
        .iter()
        .find(|f| f.code == "no-commit")
        .expect("the run without a git commit tag is a gap");
    assert!(gap.message.contains("no git commit"), "{}", gap.message);
    drop(server);

    // The server is gone: collecting again is an error naming the source, and stores nothing.
    let len = ledger.len().expect("len");
    let err = assay_collect::run(
        &MlflowCollector::new(config),
        &mut ledger,
        &ws,
        now,
        &mut NoProgress,
    )
    .expect_err("server stopped");
    assert_eq!(err.source_name(), "mlflow");
    assert_eq!(ledger.len().expect("len"), len);
    let _ = collector.source();
}
