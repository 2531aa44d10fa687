//! Dataset snapshots: a manifest of every file (relative path, SHA-256, size) and its Merkle root, and
//! verification of a dataset against a recorded manifest.
//!
//! Merkle tree (RFC 6962 shape, as the ledger's): leaves in path order, leaf hash =
//! SHA-256(0x00 ‖ path ‖ 0x00 ‖ sha256 hex ‖ 0x00 ‖ size in decimal), interior = SHA-256(0x01 ‖ left ‖
//! right), split at the largest power of two below the number of leaves; no files → SHA-256 of nothing.
//! Files are hashed streaming (1 MiB at a time), so any size works.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{DataError, Result, io};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Relative to the dataset root, `/`-separated (the file name for a single-file dataset).
    pub path: String,
    pub sha256: String,
    pub size: u64,
}

/// The `dataset.snapshot` evidence payload of `assay data snapshot`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// Always `snapshot` (verification results carry `verify`).
    pub action: String,
    pub name: String,
    pub version: String,
    pub root_path: String,
    pub files: Vec<FileEntry>,
    pub file_count: u64,
    pub total_bytes: u64,
    pub merkle_root: String,
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn hash_file(path: &Path) -> Result<(String, u64)> {
    let mut f = std::fs::File::open(path).map_err(io(path))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf).map_err(io(path))?;
        if n == 0 {
            break;
        }
        size += n as u64;
        h.update(&buf[..n]);
    }
    Ok((hex(&h.finalize()), size))
}

fn leaf(e: &FileEntry) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(e.path.as_bytes());
    h.update([0u8]);
    h.update(e.sha256.as_bytes());
    h.update([0u8]);
    h.update(e.size.to_string().as_bytes());
    h.finalize().into()
}

fn node(hashes: &[[u8; 32]]) -> [u8; 32] {
    match hashes.len() {
        0 => Sha256::digest(b"").into(),
        1 => hashes[0],
        n => {
            let k = 1usize << (usize::BITS - (n - 1).leading_zeros() - 1);
            let mut h = Sha256::new();
            h.update([1u8]);
            h.update(node(&hashes[..k]));
            h.update(node(&hashes[k..]));
            h.finalize().into()
        }
    }
}

/// The Merkle root of entries (sorted by path by the caller).
pub fn merkle_root(files: &[FileEntry]) -> String {
    let leaves: Vec<[u8; 32]> = files.iter().map(leaf).collect();
    hex(&node(&leaves))
}

/// Every file of the dataset at `path`, hashed, in path order.
pub fn entries(path: &Path) -> Result<Vec<FileEntry>> {
    let meta = std::fs::metadata(path).map_err(io(path))?;
    let mut out = Vec::new();
    if meta.is_file() {
        let (sha256, size) = hash_file(path)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        out.push(FileEntry {
            path: name,
            sha256,
            size,
        });
        return Ok(out);
    }
    let mut files = Vec::new();
    crate::read::walk(path, &mut files, &|_| true)?;
    for f in files {
        let rel = f.strip_prefix(path).unwrap_or(&f);
        let rel = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        let (sha256, size) = hash_file(&f)?;
        out.push(FileEntry {
            path: rel,
            sha256,
            size,
        });
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// Build the manifest of the dataset at `path`.
pub fn snapshot(path: &Path, name: &str, version: &str) -> Result<Manifest> {
    if name.trim().is_empty() || version.trim().is_empty() {
        return Err(DataError::Invalid {
            path: path.to_owned(),
            message: "--name and --version must not be empty".into(),
        });
    }
    let files = entries(path)?;
    Ok(Manifest {
        action: "snapshot".into(),
        name: name.into(),
        version: version.into(),
        root_path: path.display().to_string(),
        file_count: files.len() as u64,
        total_bytes: files.iter().map(|f| f.size).sum(),
        merkle_root: merkle_root(&files),
        files,
    })
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Modified {
    pub path: String,
    pub recorded_sha256: String,
    pub current_sha256: String,
    pub recorded_size: u64,
    pub current_size: u64,
}

/// The result of comparing a dataset with its recorded manifest (a `dataset.snapshot` payload with
/// `action = "verify"`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Verification {
    pub action: String,
    pub name: String,
    pub version: String,
    pub root_path: String,
    pub recorded_merkle_root: String,
    pub current_merkle_root: String,
    pub intact: bool,
    pub unchanged: u64,
    pub added: Vec<FileEntry>,
    pub removed: Vec<FileEntry>,
    pub modified: Vec<Modified>,
}

/// Compare the dataset at `path` with `recorded`.
pub fn verify(path: &Path, recorded: &Manifest) -> Result<Verification> {
    let now = entries(path)?;
    let before: BTreeMap<&str, &FileEntry> = recorded
        .files
        .iter()
        .map(|f| (f.path.as_str(), f))
        .collect();
    let after: BTreeMap<&str, &FileEntry> = now.iter().map(|f| (f.path.as_str(), f)).collect();
    let mut v = Verification {
        action: "verify".into(),
        name: recorded.name.clone(),
        version: recorded.version.clone(),
        root_path: path.display().to_string(),
        recorded_merkle_root: recorded.merkle_root.clone(),
        current_merkle_root: merkle_root(&now),
        intact: false,
        unchanged: 0,
        added: Vec::new(),
        removed: Vec::new(),
        modified: Vec::new(),
    };
    for (p, a) in &after {
        match before.get(p) {
            None => v.added.push((*a).clone()),
            Some(b) if b.sha256 != a.sha256 || b.size != a.size => v.modified.push(Modified {
                path: (*p).to_owned(),
                recorded_sha256: b.sha256.clone(),
                current_sha256: a.sha256.clone(),
                recorded_size: b.size,
                current_size: a.size,
            }),
            Some(_) => v.unchanged += 1,
        }
    }
    for (p, b) in &before {
        if !after.contains_key(p) {
            v.removed.push((*b).clone());
        }
    }
    v.intact = v.added.is_empty()
        && v.removed.is_empty()
        && v.modified.is_empty()
        && v.current_merkle_root == v.recorded_merkle_root;
    Ok(v)
}
