//! `[source.dvc]`: DVC pipelines and data pointers, read from git history — `dvc.yaml`, `dvc.lock` (DVC 2.x
//! legacy entries and 3.x entries), `*.dvc` files and params files, at every commit that changed them.
//!
//! Items (subject `repo:NAME`, `observed_at` = the commit's committer time, locator `NAME@SHA:PATH`):
//! * `dvc.stage` — one per stage of a changed `dvc.lock` (with the hashes of its deps and outs, its params, and,
//!   for every dep tracked by git, whether the committed file has the hash the lock records), and one per
//!   changed `dvc.yaml` (the pipeline definition, `foreach`/`matrix` stages expanded to the names DVC generates
//!   and `${…}` filled in from `vars:` and `params.yaml`, see [`expand`]; and its `artifacts:`). A lock stage
//!   records `defined_in`: the `dvc.yaml` stage it was generated from at the same commit (`null` if none);
//! * `dvc.dataset` — one per changed `*.dvc` file (its outs, and for `dvc import` the source repo and commit);
//! * `dvc.params` — one per changed params file, flattened to dotted keys.
//!
//! A file that does not parse is recorded with `parse_error` (history cannot be fixed; the trace reports it); a
//! `dvc.yaml` stage that cannot be expanded is recorded with `expand_errors` (file, stage, reason) and kept as
//! written.

pub mod expand;

use std::collections::BTreeMap;

use assay_ledger::{Evidence, EvidenceKind};
use gix::ObjectId;
use md5::{Digest as _, Md5};
use serde_json::{Map, Value, json};

use crate::config::RepoSpec;
use crate::error::CollectError;
use crate::repo::{CommitInfo, Repo, Snapshots, new_commits, storable};
use crate::{Collected, Collector, Context, source};

/// Config of `[source.dvc]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DvcConfig {
    pub repos: Vec<RepoSpec>,
}

/// The DVC collector.
#[derive(Debug, Clone)]
pub struct DvcCollector {
    config: DvcConfig,
}

impl DvcCollector {
    pub fn new(config: DvcConfig) -> Self {
        DvcCollector { config }
    }
}

const NAME: &str = "dvc";

fn is_dvc_file(name: &str) -> bool {
    name == "dvc.yaml" || name == "dvc.lock" || (name.ends_with(".dvc") && name.len() > 4)
}

impl Collector for DvcCollector {
    fn source(&self) -> &str {
        NAME
    }

    fn collect(&self, ctx: &mut Context<'_>) -> Result<Collected, CollectError> {
        let mut out = Collected::default();
        for spec in &self.config.repos {
            let repo = Repo::open(NAME, spec, ctx.workspace)?;
            let (commits, _refs, cursor) = new_commits(&repo, ctx)?;
            let mut snaps = Snapshots::new(|_: &Repo, name: &str, _| Ok(is_dvc_file(name)));
            snaps.know(&commits);
            for c in &commits {
                let changed = snaps.changed(&repo, c)?;
                let own = snaps.of(&repo, c.tree)?;
                for (path, blob) in &changed {
                    out.evidence
                        .extend(file_evidence(&repo, c, path, *blob, ctx.now)?);
                }
                // Params files named by the pipelines at this commit.
                let mut params_files: Vec<String> = Vec::new();
                for (path, blob) in own.iter() {
                    let name = path.rsplit('/').next().unwrap_or(path);
                    if name == "dvc.yaml" || name == "dvc.lock" {
                        let dir = parent_dir(path);
                        if let Ok(doc) = yaml(&repo.blob(*blob)?) {
                            for f in params_files_of(&doc) {
                                params_files.push(join(dir, &f));
                            }
                        }
                    }
                }
                params_files.sort();
                params_files.dedup();
                for pf in params_files {
                    let Some(blob) = repo.blob_at(c.tree, &pf)? else {
                        continue;
                    };
                    let mut in_parent = false;
                    for p in &c.parents {
                        let ptree = repo.commit(*p)?.tree;
                        if repo.blob_at(ptree, &pf)? == Some(blob) {
                            in_parent = true;
                            break;
                        }
                    }
                    if !in_parent {
                        out.evidence.push(params_evidence(
                            &repo,
                            c,
                            &pf,
                            blob,
                            &repo.blob(blob)?,
                            ctx.now,
                        ));
                    }
                }
            }
            out.cursors.push(cursor);
        }
        Ok(out)
    }
}

fn parent_dir(path: &str) -> &str {
    path.rfind('/').map(|i| &path[..i]).unwrap_or("")
}

fn join(dir: &str, rel: &str) -> String {
    let rel = rel.trim_start_matches("./");
    if dir.is_empty() {
        rel.to_owned()
    } else {
        format!("{dir}/{rel}")
    }
}

/// Expand a `dvc.yaml` read from a commit; `vars:` files and `params.yaml` are read from the same tree.
fn expand_at(
    repo: &Repo,
    tree: ObjectId,
    yaml_path: &str,
    doc: &Value,
) -> Result<expand::Expanded, CollectError> {
    let dir = parent_dir(yaml_path);
    let mut git_err = None;
    let mut load = |rel: &str| -> Result<Option<Value>, String> {
        let path = join(dir, rel);
        let read = repo
            .blob_at(tree, &path)
            .and_then(|b| b.map(|b| repo.blob(b)).transpose());
        match read {
            Ok(Some(bytes)) => parse_params_file(&path, &bytes).map(Some),
            Ok(None) => Ok(None),
            Err(e) => {
                git_err = Some(e);
                Ok(None)
            }
        }
    };
    let expanded = expand::expand(yaml_path, doc, &mut load);
    match git_err {
        Some(e) => Err(e),
        None => Ok(expanded),
    }
}

/// A params (or `vars:`) file by its extension: YAML, JSON or TOML.
pub fn parse_params_file(path: &str, bytes: &[u8]) -> Result<Value, String> {
    if path.ends_with(".json") {
        serde_json::from_slice(bytes).map_err(|e| e.to_string())
    } else if path.ends_with(".toml") {
        std::str::from_utf8(bytes)
            .map_err(|e| e.to_string())
            .and_then(|t| toml::from_str::<Value>(t).map_err(|e| e.to_string()))
    } else if path.ends_with(".yaml") || path.ends_with(".yml") {
        yaml(bytes)
    } else {
        Err("only YAML, JSON and TOML params files are read".into())
    }
}

/// Parse YAML into JSON.
pub fn yaml(bytes: &[u8]) -> Result<Value, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_yaml_ng::from_str::<Value>(text).map_err(|e| e.to_string())
}

/// Params files a `dvc.yaml` or `dvc.lock` refers to (default `params.yaml` when a stage lists bare keys).
pub fn params_files_of(doc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(list) = doc.get("params").and_then(Value::as_array) {
        out.extend(list.iter().filter_map(|v| v.as_str().map(str::to_owned)));
    }
    if let Some(stages) = doc.get("stages").and_then(Value::as_object) {
        for stage in stages.values() {
            let stage = stage.get("do").unwrap_or(stage);
            match stage.get("params") {
                Some(Value::Array(list)) => {
                    for p in list {
                        match p {
                            Value::String(_) => out.push("params.yaml".into()),
                            Value::Object(m) => out.extend(m.keys().cloned()),
                            _ => {}
                        }
                    }
                }
                Some(Value::Object(m)) => out.extend(m.keys().cloned()),
                _ => {}
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

fn evidence(
    kind: EvidenceKind,
    repo: &Repo,
    c: &CommitInfo,
    locator: String,
    payload: Value,
    now: jiff::Timestamp,
) -> Evidence {
    Evidence {
        kind,
        subject: format!("repo:{}", repo.name),
        source: source(NAME, locator),
        observed_at: c.committer.time,
        collected_at: now,
        payload: storable(payload),
        attachments: Vec::new(),
        expires_at: None,
        note: None,
    }
}

fn file_evidence(
    repo: &Repo,
    c: &CommitInfo,
    path: &str,
    blob: ObjectId,
    now: jiff::Timestamp,
) -> Result<Vec<Evidence>, CollectError> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let locator = format!("{}@{}:{path}", repo.name, c.id);
    let bytes = repo.blob(blob)?;
    let base = |extra: Value| {
        let mut m = Map::new();
        m.insert("repo".into(), json!(repo.name));
        m.insert("commit".into(), json!(c.id.to_string()));
        m.insert("file".into(), json!(path));
        m.insert("blob".into(), json!(blob.to_string()));
        if let Value::Object(e) = extra {
            m.extend(e);
        }
        Value::Object(m)
    };
    let doc = match yaml(&bytes) {
        Ok(d) => d,
        Err(e) => {
            let kind = if name.ends_with(".dvc") {
                EvidenceKind::DvcDataset
            } else {
                EvidenceKind::DvcStage
            };
            return Ok(vec![evidence(
                kind,
                repo,
                c,
                locator,
                base(json!({ "parse_error": e })),
                now,
            )]);
        }
    };
    let dir = parent_dir(path);
    let mut out = Vec::new();
    match name {
        "dvc.lock" => {
            let schema = doc.get("schema").and_then(Value::as_str).map(str::to_owned);
            let stages = doc
                .get("stages")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            if stages.is_empty() && doc.get("schema").is_none() && doc.is_object() {
                // DVC 1.x lock files have stages at the top level.
                out.push(evidence(
                    EvidenceKind::DvcStage,
                    repo,
                    c,
                    locator.clone(),
                    base(json!({ "lock_schema": Value::Null, "parse_error": "dvc.lock without `schema: '2.0'` (DVC 1.x format) is not read" })),
                    now,
                ));
            }
            let yaml_path = join(dir, "dvc.yaml");
            let definition = match repo.blob_at(c.tree, &yaml_path)? {
                Some(b) => match yaml(&repo.blob(b)?) {
                    Ok(d) => Some(expand_at(repo, c.tree, &yaml_path, &d)?),
                    Err(_) => None,
                },
                None => None,
            };
            for (stage, body) in &stages {
                let defined_in = definition.as_ref().and_then(|d| d.get(stage)).map(|st| {
                    let (group, key) = st
                        .generated
                        .clone()
                        .map_or((stage.clone(), None), |(g, k)| (g, Some(k)));
                    json!({ "file": yaml_path, "stage": group, "key": key })
                });
                let deps = entries(repo, c, dir, body.get("deps"), true)?;
                let outs = entries(repo, c, dir, body.get("outs"), false)?;
                let params = body.get("params").cloned().unwrap_or(Value::Null);
                out.push(evidence(
                    EvidenceKind::DvcStage,
                    repo,
                    c,
                    format!("{locator}#{stage}"),
                    base(json!({
                        "lock_schema": schema,
                        "stage": stage,
                        "cmd": body.get("cmd").cloned().unwrap_or(Value::Null),
                        "deps": deps,
                        "outs": outs,
                        "params": params,
                        "defined_in": defined_in,
                    })),
                    now,
                ));
            }
        }
        "dvc.yaml" => {
            let expanded = expand_at(repo, c.tree, path, &doc)?;
            let mut stages = Map::new();
            for st in &expanded.stages {
                let v = &st.body;
                let mut m = json!({
                    "cmd": v.get("cmd").cloned().unwrap_or(Value::Null),
                    "deps": v.get("deps").cloned().unwrap_or(json!([])),
                    "outs": v.get("outs").cloned().unwrap_or(json!([])),
                    "params": v.get("params").cloned().unwrap_or(json!([])),
                });
                if let Some((group, key)) = &st.generated {
                    m["group"] = json!(group);
                    m["key"] = json!(key);
                }
                stages.insert(st.name.clone(), m);
            }
            let mut payload = json!({
                "definition": true,
                "stages": stages,
                "artifacts": doc.get("artifacts").cloned().unwrap_or(Value::Null),
                "params_files": params_files_of(&doc),
            });
            if !expanded.errors.is_empty() {
                payload["expand_errors"] = expanded
                    .errors
                    .iter()
                    .map(|e| json!({ "file": e.file, "stage": e.stage, "message": e.message }))
                    .collect();
            }
            out.push(evidence(
                EvidenceKind::DvcStage,
                repo,
                c,
                locator,
                base(payload),
                now,
            ));
        }
        _ => {
            // A `.dvc` file: outs relative to its folder; `dvc import` adds deps with repo url and rev_lock.
            let outs = entries(repo, c, dir, doc.get("outs"), false)?;
            let import = doc
                .get("deps")
                .and_then(Value::as_array)
                .and_then(|d| d.first())
                .and_then(|d| {
                    let r = d.get("repo")?;
                    Some(json!({
                        "path": d.get("path").cloned().unwrap_or(Value::Null),
                        "url": r.get("url").cloned().unwrap_or(Value::Null),
                        "rev_lock": r.get("rev_lock").cloned().unwrap_or(Value::Null),
                    }))
                });
            out.push(evidence(
                EvidenceKind::DvcDataset,
                repo,
                c,
                locator,
                base(json!({
                    "outs": outs,
                    "import": import,
                    "frozen": doc.get("frozen").and_then(Value::as_bool).unwrap_or(false),
                })),
                now,
            ));
        }
    }
    Ok(out)
}

/// Deps or outs entries: path (from the repo root), the hash and how DVC computed it, size; for deps that git
/// tracks, the md5 of the committed content and whether it matches.
fn entries(
    repo: &Repo,
    c: &CommitInfo,
    dir: &str,
    list: Option<&Value>,
    check_committed: bool,
) -> Result<Vec<Value>, CollectError> {
    let Some(list) = list.and_then(Value::as_array) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for e in list {
        let (path, fields) = match e {
            Value::String(p) => (p.clone(), Map::new()),
            Value::Object(m) => match m.get("path").and_then(Value::as_str) {
                Some(p) => (p.to_owned(), m.clone()),
                // dvc.yaml-style `{path: {…}}` outs
                None => match m.iter().next() {
                    Some((k, v)) => (k.clone(), v.as_object().cloned().unwrap_or_default()),
                    None => continue,
                },
            },
            _ => continue,
        };
        let full = join(dir, &path);
        let legacy = !fields.contains_key("hash");
        let (algo, value) = ["md5", "etag", "checksum"]
            .iter()
            .find_map(|k| {
                fields
                    .get(*k)
                    .and_then(Value::as_str)
                    .map(|v| (*k, v.to_owned()))
            })
            .map(|(k, v)| (Some(k), Some(v)))
            .unwrap_or((None, None));
        let hash_kind = match (algo, legacy) {
            (Some("md5"), true) => Some("md5-dos2unix"),
            (Some("md5"), false) => Some("md5"),
            (Some(other), _) => Some(other),
            (None, _) => None,
        };
        let mut m = Map::new();
        m.insert("path".into(), json!(full));
        m.insert("hash".into(), json!(value));
        m.insert("hash_kind".into(), json!(hash_kind));
        for k in ["size", "nfiles", "isexec", "version_id", "cache", "persist"] {
            if let Some(v) = fields.get(k) {
                m.insert(k.into(), v.clone());
            }
        }
        if check_committed && hash_kind.is_some_and(|h| h.starts_with("md5")) {
            let dos2unix = hash_kind == Some("md5-dos2unix");
            let committed = if let Some(blob) = repo.blob_at(c.tree, &full)? {
                let bytes = repo.blob(blob)?;
                if let Some(p) = crate::lfs::parse_pointer(&bytes) {
                    // Git holds an LFS pointer; the content is elsewhere, so the md5 cannot be checked here.
                    m.insert(
                        "committed".into(),
                        json!({ "object": blob.to_string(), "lfs_oid": p.oid, "lfs_size": p.size, "matches": Value::Null }),
                    );
                    out.push(Value::Object(m));
                    continue;
                }
                Some((blob.to_string(), file_md5(&bytes, dos2unix)))
            } else if let Some(tree) = repo.tree_at(c.tree, &full)?.filter(|_| !full.is_empty()) {
                Some((tree.to_string(), dir_md5(repo, tree, dos2unix)?))
            } else {
                None
            };
            if let Some((object, md5)) = committed {
                let matches = value.as_deref() == Some(md5.as_str());
                m.insert(
                    "committed".into(),
                    json!({ "object": object, "md5": md5, "matches": matches }),
                );
            }
        }
        out.push(Value::Object(m));
    }
    Ok(out)
}

fn params_evidence(
    repo: &Repo,
    c: &CommitInfo,
    path: &str,
    blob: ObjectId,
    bytes: &[u8],
    now: jiff::Timestamp,
) -> Evidence {
    let parsed = parse_params_file(path, bytes);
    let mut payload = json!({
        "repo": repo.name,
        "commit": c.id.to_string(),
        "file": path,
        "blob": blob.to_string(),
    });
    match parsed {
        Ok(v) => {
            let mut flat = BTreeMap::new();
            flatten("", &v, &mut flat);
            payload["params"] = json!(flat);
        }
        Err(e) => payload["parse_error"] = json!(e),
    }
    evidence(
        EvidenceKind::DvcParams,
        repo,
        c,
        format!("{}@{}:{path}", repo.name, c.id),
        payload,
        now,
    )
}

/// Flatten nested tables to dotted keys, as DVC writes them in `dvc.lock`.
pub fn flatten(prefix: &str, v: &Value, out: &mut BTreeMap<String, Value>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, v) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        other => {
            if !prefix.is_empty() {
                out.insert(prefix.to_owned(), other.clone());
            }
        }
    }
}

/// DVC's file hash: md5 of the bytes (3.x), or with CRLF → LF first when the file looks like text (2.x).
pub fn file_md5(bytes: &[u8], dos2unix: bool) -> String {
    let mut h = Md5::new();
    if dos2unix && looks_like_text(bytes) {
        let mut prev_cr = false;
        let mut buf = Vec::with_capacity(bytes.len());
        for &b in bytes {
            if prev_cr && b != b'\n' {
                buf.push(b'\r');
            }
            prev_cr = b == b'\r';
            if !prev_cr {
                buf.push(b);
            }
        }
        if prev_cr {
            buf.push(b'\r');
        }
        h.update(&buf);
    } else {
        h.update(bytes);
    }
    hex(&h.finalize())
}

/// DVC's text test: the first 512 bytes hold no NUL and at most 30 % bytes outside printable ASCII and
/// `\n \r \t \f \b`.
pub fn looks_like_text(bytes: &[u8]) -> bool {
    let block = &bytes[..bytes.len().min(512)];
    if block.is_empty() {
        return true;
    }
    if block.contains(&0) {
        return false;
    }
    let nontext = block
        .iter()
        .filter(|&&b| !((32..127).contains(&b) || matches!(b, b'\n' | b'\r' | b'\t' | 0x0c | 0x08)))
        .count();
    nontext * 100 <= block.len() * 30
}

/// DVC's directory hash over a git tree: md5 of the sorted `[{"md5", "relpath"}]` list serialised as Python's
/// `json.dumps(sort_keys=True)`, with `.dir` appended.
pub(crate) fn dir_md5(repo: &Repo, tree: ObjectId, dos2unix: bool) -> Result<String, CollectError> {
    let mut files: Vec<(String, String)> = Vec::new();
    let mut stack = vec![(String::new(), tree)];
    while let Some((prefix, t)) = stack.pop() {
        for e in repo.tree(t)? {
            let rel = if prefix.is_empty() {
                e.name.clone()
            } else {
                format!("{prefix}/{}", e.name)
            };
            if e.is_tree {
                stack.push((rel, e.id));
            } else if e.is_blob {
                files.push((rel, file_md5(&repo.blob(e.id)?, dos2unix)));
            }
        }
    }
    Ok(dir_md5_of(files))
}

/// The `.dir` hash of (relpath, md5) pairs.
pub fn dir_md5_of(mut files: Vec<(String, String)>) -> String {
    files.sort();
    let mut s = String::from("[");
    for (i, (rel, md5)) in files.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push_str("{\"md5\": ");
        py_json_str(&mut s, md5);
        s.push_str(", \"relpath\": ");
        py_json_str(&mut s, rel);
        s.push('}');
    }
    s.push(']');
    let mut h = Md5::new();
    h.update(s.as_bytes());
    format!("{}.dir", hex(&h.finalize()))
}

/// A string as Python's `json.dumps` writes it with `ensure_ascii=True`.
fn py_json_str(out: &mut String, s: &str) {
    use std::fmt::Write as _;
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_plain_and_dos2unix() {
        assert_eq!(
            file_md5(b"hello\n", false),
            "b1946ac92492d2347c6235b4d2611184"
        );
        assert_eq!(
            file_md5(b"hello\r\n", true),
            "b1946ac92492d2347c6235b4d2611184"
        );
        assert_ne!(
            file_md5(b"hello\r\n", false),
            "b1946ac92492d2347c6235b4d2611184"
        );
        // Binary content is hashed as is even in 2.x mode.
        assert_eq!(file_md5(b"\0a\r\n", true), file_md5(b"\0a\r\n", false));
    }

    #[test]
    fn python_json_escapes_non_ascii() {
        let mut s = String::new();
        py_json_str(&mut s, "é😀\"");
        assert_eq!(s, "\"\\u00e9\\ud83d\\ude00\\\"\"");
    }

    #[test]
    fn params_files_default_and_explicit() {
        let doc = yaml(b"stages:\n  train:\n    cmd: x\n    params:\n    - train.lr\n    - conf/extra.json:\n      - a\n").expect("yaml");
        assert_eq!(
            params_files_of(&doc),
            vec!["conf/extra.json", "params.yaml"]
        );
    }

    #[test]
    fn flatten_dotted() {
        let v = yaml(b"train:\n  lr: 0.1\n  layers: [1, 2]\nseed: 3\n").expect("yaml");
        let mut out = BTreeMap::new();
        flatten("", &v, &mut out);
        assert_eq!(out.get("train.lr"), Some(&json!(0.1)));
        assert_eq!(out.get("train.layers"), Some(&json!([1, 2])));
        assert_eq!(out.get("seed"), Some(&json!(3)));
    }

    proptest::proptest! {
        #[test]
        fn yaml_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            let _ = yaml(&bytes);
        }
    }
}
