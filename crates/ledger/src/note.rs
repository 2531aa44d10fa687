//! Signed checkpoints: the C2SP `tlog-checkpoint` body inside a C2SP `signed-note`, Ed25519 keys,
//! the verifier-key (`vkey`) text form and the private key file.

use std::fmt;
use std::io::Write as _;
use std::path::Path;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest as _, Sha256};

use crate::digest::{Sha256Digest, hex};
use crate::error::{LedgerError, Result};

/// Signature algorithm byte of Ed25519 in signed notes.
pub const ALG_ED25519: u8 = 0x01;
/// The em dash (U+2014) that starts a signature line.
pub const SIG_PREFIX: &str = "\u{2014} ";

fn check_key_name(name: &str) -> Result<()> {
    if name.is_empty() || name.contains('+') || name.chars().any(char::is_whitespace) {
        return Err(LedgerError::InvalidKey {
            what: format!("name `{name}`"),
            reason: "a key name must be non-empty and contain no spaces and no `+`".into(),
        });
    }
    Ok(())
}

/// Key hash of signed notes: the first 4 bytes of SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key), big-endian.
pub fn key_hash(name: &str, public: &[u8; 32]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([ALG_ED25519]);
    h.update(public);
    let d: [u8; 32] = h.finalize().into();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// A checkpoint signing key (Ed25519) with its name. `Debug` never shows the secret.
pub struct CheckpointSigner {
    name: String,
    key: SigningKey,
}

impl fmt::Debug for CheckpointSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CheckpointSigner")
            .field("key_id", &self.verifier_key().key_id())
            .finish_non_exhaustive()
    }
}

impl CheckpointSigner {
    /// A new key from the operating system's random source.
    pub fn generate(name: &str) -> Result<Self> {
        check_key_name(name)?;
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| LedgerError::InvalidKey {
            what: format!("`{name}`"),
            reason: format!("the operating system gave no random bytes: {e}"),
        })?;
        Ok(CheckpointSigner {
            name: name.to_owned(),
            key: SigningKey::from_bytes(&seed),
        })
    }

    /// A key from a 32-byte Ed25519 seed (tests, imports).
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Self> {
        check_key_name(name)?;
        Ok(CheckpointSigner {
            name: name.to_owned(),
            key: SigningKey::from_bytes(&seed),
        })
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The public half.
    pub fn verifier_key(&self) -> VerifierKey {
        let public = self.key.verifying_key();
        VerifierKey {
            name: self.name.clone(),
            hash: key_hash(&self.name, &public.to_bytes()),
            key: public,
        }
    }

    /// Private key text, as Go's `golang.org/x/mod/sumdb/note` writes it:
    /// `PRIVATE+KEY+<name>+<hex key hash>+<base64(0x01 ‖ 32-byte seed)>`.
    pub fn to_private_key_text(&self) -> String {
        let mut raw = Vec::with_capacity(33);
        raw.push(ALG_ED25519);
        raw.extend_from_slice(&self.key.to_bytes());
        format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            self.verifier_key().hash,
            B64.encode(raw)
        )
    }

    /// Parse the private key text.
    pub fn from_private_key_text(text: &str) -> Result<Self> {
        let bad = |reason: &str| LedgerError::InvalidKey {
            what: "private key text".into(),
            reason: reason.into(),
        };
        let rest = text
            .trim_end()
            .strip_prefix("PRIVATE+KEY+")
            .ok_or_else(|| bad("it does not start with PRIVATE+KEY+"))?;
        // Names cannot contain `+`, hashes are hex; base64 may contain `+`, so split from the left.
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(hash), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad("expected PRIVATE+KEY+<name>+<hash>+<key>"));
        };
        let raw = B64
            .decode(b64)
            .map_err(|_| bad("the key part is not base64"))?;
        let seed: [u8; 32] = match raw.split_first() {
            Some((&ALG_ED25519, seed)) => seed
                .try_into()
                .map_err(|_| bad("an Ed25519 seed has 32 bytes"))?,
            _ => return Err(bad("only Ed25519 (algorithm 0x01) keys are supported")),
        };
        let signer = CheckpointSigner::from_seed(name, seed)?;
        if format!("{:08x}", signer.verifier_key().hash) != hash {
            return Err(bad("the key hash does not match the name and key"));
        }
        Ok(signer)
    }

    /// Write the private key file with mode 0600 from creation on; refuses to overwrite.
    pub fn write_private_key_file(&self, path: &Path) -> Result<()> {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            opts.mode(0o600);
        }
        let mut f = opts.open(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                LedgerError::KeyFileExists {
                    path: path.to_owned(),
                }
            } else {
                LedgerError::io("create key file", path, e)
            }
        })?;
        let text = self.to_private_key_text() + "\n";
        f.write_all(text.as_bytes())
            .and_then(|()| f.sync_all())
            .map_err(|e| LedgerError::io("write key file", path, e))
    }

    /// Read a private key file.
    pub fn read_private_key_file(path: &Path) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).map_err(|e| LedgerError::io("read key file", path, e))?;
        CheckpointSigner::from_private_key_text(&text).map_err(|e| match e {
            LedgerError::InvalidKey { reason, .. } => LedgerError::InvalidKey {
                what: format!("file {}", path.display()),
                reason,
            },
            other => other,
        })
    }

    /// One signature line (without the trailing newline) over `body`.
    pub fn signature_line(&self, body: &str) -> String {
        let sig = self.key.sign(body.as_bytes());
        let mut raw = Vec::with_capacity(68);
        raw.extend_from_slice(&self.verifier_key().hash.to_be_bytes());
        raw.extend_from_slice(&sig.to_bytes());
        format!("{SIG_PREFIX}{} {}", self.name, B64.encode(raw))
    }
}

/// A public checkpoint key. Text form: `<name>+<8 hex key hash>+<base64(0x01 ‖ 32-byte public key)>`.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifierKey {
    name: String,
    hash: u32,
    key: VerifyingKey,
}

impl fmt::Debug for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerifierKey({self})")
    }
}

impl VerifierKey {
    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The 4-byte key hash.
    pub fn key_hash(&self) -> u32 {
        self.hash
    }
    /// `<name>+<8 hex key hash>`: how proofs and reports name the key.
    pub fn key_id(&self) -> String {
        format!("{}+{:08x}", self.name, self.hash)
    }
    /// The raw Ed25519 public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.key.to_bytes()
    }
    fn verify(&self, body: &str, sig: &[u8; 64]) -> bool {
        self.key
            .verify_strict(body.as_bytes(), &Signature::from_bytes(sig))
            .is_ok()
    }
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut raw = Vec::with_capacity(33);
        raw.push(ALG_ED25519);
        raw.extend_from_slice(&self.key.to_bytes());
        write!(f, "{}+{:08x}+{}", self.name, self.hash, B64.encode(raw))
    }
}

impl FromStr for VerifierKey {
    type Err = LedgerError;
    fn from_str(s: &str) -> Result<Self> {
        let bad = |reason: &str| LedgerError::InvalidKey {
            what: format!("`{s}`"),
            reason: reason.into(),
        };
        let mut parts = s.trim().splitn(3, '+');
        let (Some(name), Some(hash), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad("expected <name>+<hash>+<key>"));
        };
        check_key_name(name)?;
        let raw = B64
            .decode(b64)
            .map_err(|_| bad("the key part is not base64"))?;
        let public: [u8; 32] = match raw.split_first() {
            Some((&ALG_ED25519, k)) => k
                .try_into()
                .map_err(|_| bad("an Ed25519 public key has 32 bytes"))?,
            _ => return Err(bad("only Ed25519 (algorithm 0x01) keys are supported")),
        };
        let key =
            VerifyingKey::from_bytes(&public).map_err(|_| bad("not a valid Ed25519 public key"))?;
        let computed = key_hash(name, &public);
        if hash.len() != 8 || u32::from_str_radix(hash, 16).ok() != Some(computed) {
            return Err(bad("the key hash does not match the name and key"));
        }
        Ok(VerifierKey {
            name: name.to_owned(),
            hash: computed,
            key,
        })
    }
}

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    pub name: String,
    pub key_hash: u32,
    pub signature: [u8; 64],
}

/// A checkpoint: the signed statement "the log `origin` has `tree_size` leaves with root `root`".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub tree_size: u64,
    pub root: Sha256Digest,
    /// Optional extension lines after the root (we write none, we keep any we read).
    pub extensions: Vec<String>,
    pub signatures: Vec<NoteSignature>,
    /// The whole signed note text as written/read.
    pub text: String,
}

impl Checkpoint {
    /// The note body: `<origin>\n<tree size>\n<base64 root>\n` plus extension lines.
    pub fn body(&self) -> String {
        checkpoint_body(&self.origin, self.tree_size, &self.root, &self.extensions)
    }

    /// Make and sign a checkpoint.
    pub fn sign(
        origin: &str,
        tree_size: u64,
        root: Sha256Digest,
        signer: &CheckpointSigner,
    ) -> Result<Checkpoint> {
        if origin.is_empty() || origin.contains('\n') || origin.chars().any(char::is_control) {
            return Err(LedgerError::InvalidCheckpoint {
                reason: format!(
                    "origin `{origin}` must be one non-empty line without control characters"
                ),
            });
        }
        let body = checkpoint_body(origin, tree_size, &root, &[]);
        let line = signer.signature_line(&body);
        let text = format!("{body}\n{line}\n");
        Checkpoint::parse(&text)
    }

    /// Parse a signed checkpoint note without checking signatures.
    pub fn parse(text: &str) -> Result<Checkpoint> {
        let bad = |reason: String| LedgerError::InvalidCheckpoint { reason };
        let split = text
            .rfind("\n\n")
            .ok_or_else(|| bad("no blank line separates the body from the signatures".into()))?;
        let (body, sigs) = (&text[..split + 1], &text[split + 2..]);
        if body.chars().any(|c| c != '\n' && c.is_control()) {
            return Err(bad("the body contains control characters".into()));
        }
        let mut lines = body.strip_suffix('\n').unwrap_or(body).split('\n');
        let origin = lines
            .next()
            .filter(|o| !o.is_empty())
            .ok_or_else(|| bad("the origin line is empty".into()))?;
        let size_text = lines
            .next()
            .ok_or_else(|| bad("the tree size line is missing".into()))?;
        let tree_size: u64 = size_text
            .parse()
            .ok()
            .filter(|_| {
                size_text.bytes().all(|b| b.is_ascii_digit())
                    && (size_text == "0" || !size_text.starts_with('0'))
            })
            .ok_or_else(|| bad(format!("tree size `{size_text}` is not a decimal number")))?;
        let root_text = lines
            .next()
            .ok_or_else(|| bad("the root hash line is missing".into()))?;
        let root = B64
            .decode(root_text)
            .ok()
            .and_then(|r| Sha256Digest::from_slice(&r))
            .ok_or_else(|| bad(format!("root hash `{root_text}` is not 32 bytes of base64")))?;
        let extensions: Vec<String> = lines.map(str::to_owned).collect();
        if extensions.iter().any(String::is_empty) {
            return Err(bad("the body contains an empty line".into()));
        }
        if sigs.is_empty() || !sigs.ends_with('\n') {
            return Err(bad("the note has no signature lines".into()));
        }
        let mut signatures = Vec::new();
        for line in sigs[..sigs.len() - 1].split('\n') {
            let rest = line.strip_prefix(SIG_PREFIX).ok_or_else(|| {
                bad(format!(
                    "signature line `{line}` does not start with an em dash and a space"
                ))
            })?;
            let (name, b64) = rest
                .split_once(' ')
                .ok_or_else(|| bad(format!("signature line `{line}` has no key name")))?;
            let raw = B64
                .decode(b64)
                .map_err(|_| bad(format!("signature of `{name}` is not base64")))?;
            if raw.len() != 68 {
                // Signatures of other algorithms are allowed by signed-note; we cannot check them, so skip.
                if raw.len() < 4 {
                    return Err(bad(format!("signature of `{name}` is too short")));
                }
                continue;
            }
            let mut signature = [0u8; 64];
            signature.copy_from_slice(&raw[4..]);
            signatures.push(NoteSignature {
                name: name.to_owned(),
                key_hash: u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]),
                signature,
            });
        }
        Ok(Checkpoint {
            origin: origin.to_owned(),
            tree_size,
            root,
            extensions,
            signatures,
            text: text.to_owned(),
        })
    }

    /// Parse and require a valid signature by at least one of `keys`; returns the checkpoint and the key that
    /// verified.
    pub fn verify(text: &str, keys: &[VerifierKey]) -> Result<(Checkpoint, VerifierKey)> {
        let cp = Checkpoint::parse(text)?;
        // Signatures cover the body bytes exactly as written (up to and including the newline before the blank line).
        let body = text.rfind("\n\n").map_or("", |split| &text[..split + 1]);
        for sig in &cp.signatures {
            for key in keys {
                if key.name == sig.name && key.hash == sig.key_hash {
                    if key.verify(body, &sig.signature) {
                        return Ok((cp.clone(), key.clone()));
                    }
                    return Err(LedgerError::InvalidCheckpoint {
                        reason: format!("the signature by {} does not verify", key.key_id()),
                    });
                }
            }
        }
        let wanted: Vec<String> = keys.iter().map(VerifierKey::key_id).collect();
        Err(LedgerError::InvalidCheckpoint {
            reason: format!(
                "no signature by a trusted key (trusted: {})",
                wanted.join(", ")
            ),
        })
    }
}

/// The checkpoint body text.
pub fn checkpoint_body(
    origin: &str,
    tree_size: u64,
    root: &Sha256Digest,
    extensions: &[String],
) -> String {
    let mut s = format!("{origin}\n{tree_size}\n{}\n", B64.encode(root.0));
    for e in extensions {
        s.push_str(e);
        s.push('\n');
    }
    s
}

/// Lowercase hex helper re-exported for key ids.
pub fn key_hash_hex(hash: u32) -> String {
    hex(&hash.to_be_bytes())
}
