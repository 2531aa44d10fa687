//! Content-addressed attachment store: `<workspace>/.assay/blobs/ab/cdef…` (SHA-256 of the content).

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use crate::digest::{Sha256Digest, hex};
use crate::error::{LedgerError, Result};

/// The blob directory. Writes are atomic (temporary file in the target directory, fsync, rename, fsync of the
/// directory) and idempotent; reads verify the hash.
#[derive(Debug, Clone)]
pub struct BlobStore {
    root: PathBuf,
}

/// What `check` found for one blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobState {
    Ok,
    Missing,
    /// The content hashes to another digest.
    Changed(Sha256Digest),
    /// The file exists but cannot be read.
    Unreadable(String),
}

impl BlobStore {
    /// A blob store rooted at `root` (the directory is created on the first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        BlobStore { root: root.into() }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the blob with this digest lives.
    pub fn path_of(&self, digest: &Sha256Digest) -> PathBuf {
        let h = digest.to_hex();
        self.root.join(&h[..2]).join(&h[2..])
    }

    /// Whether a blob file exists.
    pub fn contains(&self, digest: &Sha256Digest) -> bool {
        self.path_of(digest).is_file()
    }

    /// Store bytes; returns their digest. Refuses content over `limit` bytes.
    pub fn put_bytes(&self, bytes: &[u8], limit: u64) -> Result<Sha256Digest> {
        if bytes.len() as u64 > limit {
            return Err(LedgerError::BlobTooLarge {
                path: PathBuf::from("<bytes>"),
                limit,
            });
        }
        self.put_reader(&mut &bytes[..], Path::new("<bytes>"), limit)
    }

    /// Store a file's content; returns its digest. Refuses files over `limit` bytes; nothing is left behind on error.
    pub fn put_file(&self, path: &Path, limit: u64) -> Result<Sha256Digest> {
        let mut f = File::open(path).map_err(|e| LedgerError::io("open attachment", path, e))?;
        let meta = f
            .metadata()
            .map_err(|e| LedgerError::io("read attachment", path, e))?;
        if !meta.is_file() {
            return Err(LedgerError::io(
                "read attachment",
                path,
                std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file"),
            ));
        }
        if meta.len() > limit {
            return Err(LedgerError::BlobTooLarge {
                path: path.to_owned(),
                limit,
            });
        }
        self.put_reader(&mut f, path, limit)
    }

    fn put_reader(&self, input: &mut dyn Read, source: &Path, limit: u64) -> Result<Sha256Digest> {
        fs::create_dir_all(&self.root)
            .map_err(|e| LedgerError::io("create blob directory", &self.root, e))?;
        let tmp_path = self.root.join(format!(".tmp-{}", random_suffix()));
        let result = (|| {
            let mut tmp = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp_path)
                .map_err(|e| LedgerError::io("create temporary blob", &tmp_path, e))?;
            let mut hasher = Sha256::new();
            let mut buf = vec![0u8; 64 * 1024];
            let mut total: u64 = 0;
            loop {
                let n = input
                    .read(&mut buf)
                    .map_err(|e| LedgerError::io("read attachment", source, e))?;
                if n == 0 {
                    break;
                }
                total += n as u64;
                if total > limit {
                    return Err(LedgerError::BlobTooLarge {
                        path: source.to_owned(),
                        limit,
                    });
                }
                hasher.update(&buf[..n]);
                tmp.write_all(&buf[..n])
                    .map_err(|e| LedgerError::io("write temporary blob", &tmp_path, e))?;
            }
            tmp.sync_all()
                .map_err(|e| LedgerError::io("sync temporary blob", &tmp_path, e))?;
            let digest = Sha256Digest(hasher.finalize().into());
            let dest = self.path_of(&digest);
            let dir = dest.parent().unwrap_or(&self.root).to_owned();
            fs::create_dir_all(&dir)
                .map_err(|e| LedgerError::io("create blob directory", &dir, e))?;
            // Idempotent: an existing blob with the right size is kept (read verifies its hash).
            if fs::metadata(&dest).is_ok_and(|m| m.is_file() && m.len() == total) {
                return Ok((digest, false));
            }
            fs::rename(&tmp_path, &dest)
                .map_err(|e| LedgerError::io("move blob into place", &dest, e))?;
            sync_dir(&dir)?;
            Ok((digest, true))
        })();
        match result {
            Ok((digest, true)) => Ok(digest),
            Ok((digest, false)) => {
                let _ = fs::remove_file(&tmp_path);
                Ok(digest)
            }
            Err(e) => {
                let _ = fs::remove_file(&tmp_path);
                Err(e)
            }
        }
    }

    /// Read a blob, verifying that its content still hashes to `digest`.
    pub fn read(&self, digest: &Sha256Digest) -> Result<Vec<u8>> {
        let path = self.path_of(digest);
        let bytes = fs::read(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => LedgerError::MissingBlob {
                digest: *digest,
                path: path.clone(),
            },
            _ => LedgerError::io("read blob", &path, e),
        })?;
        let actual = Sha256Digest::of(&bytes);
        if actual != *digest {
            return Err(LedgerError::BlobCorrupted {
                digest: *digest,
                path,
                actual,
            });
        }
        Ok(bytes)
    }

    /// Hash a stored blob and say whether it is intact.
    pub fn check(&self, digest: &Sha256Digest) -> BlobState {
        let path = self.path_of(digest);
        let mut f = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return BlobState::Missing,
            Err(e) => return BlobState::Unreadable(e.to_string()),
        };
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match f.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => hasher.update(&buf[..n]),
                Err(e) => return BlobState::Unreadable(e.to_string()),
            }
        }
        let actual = Sha256Digest(hasher.finalize().into());
        if actual == *digest {
            BlobState::Ok
        } else {
            BlobState::Changed(actual)
        }
    }
}

fn random_suffix() -> String {
    let mut b = [0u8; 8];
    // A failing random source only weakens temp-name uniqueness; create_new still refuses collisions.
    let _ = getrandom::fill(&mut b);
    hex(&b)
}

/// fsync a directory so a rename in it is durable (no-op where directories cannot be opened).
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        let d = File::open(dir).map_err(|e| LedgerError::io("open directory", dir, e))?;
        d.sync_all()
            .map_err(|e| LedgerError::io("sync directory", dir, e))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}
