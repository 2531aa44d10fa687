//! `[source.lfs]`: Git LFS pointer files in git history — the oid (a true SHA-256 of the content) and size of
//! each LFS-tracked artifact, at every commit that changed the pointer.
//!
//! Items: `lfs.pointer`, subject `repo:NAME`, locator `NAME@SHA:PATH`, `observed_at` = the commit's committer
//! time. A blob is a pointer when it is smaller than 1024 bytes and parses as one (see [`parse_pointer`]).

use std::collections::{BTreeMap, HashMap};

use assay_ledger::{Evidence, EvidenceKind};
use gix::ObjectId;
use serde_json::json;

use crate::config::RepoSpec;
use crate::error::CollectError;
use crate::repo::{Repo, Snapshots, new_commits};
use crate::{Collected, Collector, Context, source};

/// Config of `[source.lfs]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LfsConfig {
    pub repos: Vec<RepoSpec>,
}

/// The LFS collector.
#[derive(Debug, Clone)]
pub struct LfsCollector {
    config: LfsConfig,
}

impl LfsCollector {
    pub fn new(config: LfsConfig) -> Self {
        LfsCollector { config }
    }
}

const NAME: &str = "lfs";

/// A parsed pointer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pointer {
    pub version: String,
    /// `sha256:<64 hex>`.
    pub oid: String,
    pub size: u64,
    /// Every other key (extensions included), kept as the spec requires.
    pub other: BTreeMap<String, String>,
}

const VERSIONS: [&str; 2] = [
    "https://git-lfs.github.com/spec/v1",
    "https://hawser.github.com/spec/v1",
];

/// Parse a Git LFS pointer: `key value\n` lines, `version` first, the other keys in ascending order, `oid
/// sha256:<64 lower-case hex>` and a decimal `size`. `None` when the bytes are not a pointer.
pub fn parse_pointer(bytes: &[u8]) -> Option<Pointer> {
    if bytes.len() >= 1024 || bytes.is_empty() {
        return None;
    }
    let text = std::str::from_utf8(bytes).ok()?;
    if !text.ends_with('\n') {
        return None;
    }
    let mut lines = text[..text.len() - 1].split('\n');
    let (k, version) = lines.next()?.split_once(' ')?;
    if k != "version" || !VERSIONS.contains(&version) {
        return None;
    }
    let mut prev = String::new();
    let mut oid = None;
    let mut size = None;
    let mut other = BTreeMap::new();
    for line in lines {
        let (k, v) = line.split_once(' ')?;
        let key_ok = !k.is_empty()
            && k.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
        if !key_ok || v.contains('\r') || k <= prev.as_str() {
            return None;
        }
        prev = k.to_owned();
        match k {
            "oid" => {
                let hex = v.strip_prefix("sha256:")?;
                if hex.len() != 64
                    || !hex
                        .bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                {
                    return None;
                }
                oid = Some(v.to_owned());
            }
            "size" => {
                if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                size = Some(v.parse::<u64>().ok()?);
            }
            _ => {
                other.insert(k.to_owned(), v.to_owned());
            }
        }
    }
    Some(Pointer {
        version: version.to_owned(),
        oid: oid?,
        size: size?,
        other,
    })
}

impl Collector for LfsCollector {
    fn source(&self) -> &str {
        NAME
    }

    fn collect(&self, ctx: &mut Context<'_>) -> Result<Collected, CollectError> {
        let mut out = Collected::default();
        for spec in &self.config.repos {
            let repo = Repo::open(NAME, spec, ctx.workspace)?;
            let (commits, _refs, cursor) = new_commits(&repo, ctx)?;
            let mut pointers: HashMap<ObjectId, Option<Pointer>> = HashMap::new();
            let mut snaps = Snapshots::new(|repo: &Repo, _name: &str, id: ObjectId| {
                if let Some(p) = pointers.get(&id) {
                    return Ok(p.is_some());
                }
                let p = if repo.size(id)? < 1024 {
                    parse_pointer(&repo.blob(id)?)
                } else {
                    None
                };
                let is = p.is_some();
                pointers.insert(id, p);
                Ok(is)
            });
            snaps.know(&commits);
            let mut found = Vec::new();
            for c in &commits {
                for (path, blob) in snaps.changed(&repo, c)? {
                    found.push((c, path, blob));
                }
            }
            drop(snaps);
            for (c, path, blob) in found {
                let Some(Some(p)) = pointers.get(&blob) else {
                    continue;
                };
                out.evidence.push(Evidence {
                    kind: EvidenceKind::LfsPointer,
                    subject: format!("repo:{}", repo.name),
                    source: source(NAME, format!("{}@{}:{path}", repo.name, c.id)),
                    observed_at: c.committer.time,
                    collected_at: ctx.now,
                    payload: json!({
                        "repo": repo.name,
                        "commit": c.id.to_string(),
                        "path": path,
                        "blob": blob.to_string(),
                        "oid": p.oid,
                        "size": p.size,
                        "version": p.version,
                        "other": p.other,
                    }),
                    attachments: Vec::new(),
                    expires_at: None,
                    note: None,
                });
            }
            out.cursors.push(cursor);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OID: &str = "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393";

    #[test]
    fn pointer_forms() {
        let ok =
            format!("version https://git-lfs.github.com/spec/v1\noid sha256:{OID}\nsize 12345\n");
        let p = parse_pointer(ok.as_bytes()).expect("pointer");
        assert_eq!(p.size, 12345);
        assert_eq!(p.oid, format!("sha256:{OID}"));
        let ext = format!(
            "version https://git-lfs.github.com/spec/v1\next-0-foo sha256:{OID}\noid sha256:{OID}\nsize 1\n"
        );
        assert_eq!(
            parse_pointer(ext.as_bytes()).expect("ext").other.len(),
            1,
            "unknown keys are kept"
        );
        for bad in [
            format!("version https://git-lfs.github.com/spec/v1\nsize 1\noid sha256:{OID}\n"), // order
            format!(
                "version https://git-lfs.github.com/spec/v1\noid sha256:{}\nsize 1\n",
                OID.to_uppercase()
            ),
            format!("version https://example.com/v9\noid sha256:{OID}\nsize 1\n"),
            format!("version https://git-lfs.github.com/spec/v1\r\noid sha256:{OID}\nsize 1\n"),
            format!("version https://git-lfs.github.com/spec/v1\noid sha256:{OID}\nsize 1"), // no final LF
            "hello world\n".to_owned(),
        ] {
            assert_eq!(parse_pointer(bad.as_bytes()), None, "{bad:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..1100)) {
            let _ = parse_pointer(&bytes);
        }
    }
}
