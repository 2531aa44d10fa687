//! Unsafe model-file scanning: which model files would run code when loaded.
//!
//! Pickle-based formats (`.pkl`, `.pickle`, `.joblib`, PyTorch `.pt`/`.pth`/`.bin`/`.ckpt`, zip-wrapped or legacy)
//! are walked opcode by opcode ([`crate::pickle`]) and every imported callable is judged against an allowlist of
//! names that only rebuild data (tensors, arrays, containers, common estimator classes) and a list of names known
//! to run commands or code. Safetensors files are checked structurally: they hold no code by design. Nothing is
//! ever unpickled or executed.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest as _, Sha256};

use crate::error::CollectError;
use crate::pickle::{self, Global};

/// The `[source.NAME]` of model-file scans.
pub const SOURCE: &str = "model_files";

/// How a file was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// A plain pickle stream (one or several consecutive pickles).
    Pickle,
    /// A zip archive whose `.pkl` members are pickles (PyTorch since 1.6, and others).
    ZipPickle,
    /// A safetensors file.
    Safetensors,
}

/// The judgement of one imported callable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Risk {
    /// On the allowlist: rebuilds data only.
    Allowed,
    /// Not on the allowlist: loading the file calls code nobody has vetted.
    Unknown,
    /// Known to run commands, evaluate code, open files or sockets, or import modules.
    Dangerous,
}

/// The verdict on one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Loads without importing anything outside the allowlist.
    Safe,
    /// Imports something not on the allowlist (or something that cannot be resolved without running it).
    Suspicious,
    /// The file cannot be inspected (malformed, truncated, compressed member): it cannot be shown to be safe.
    Unreadable,
    /// Imports a callable known to run commands or code.
    Dangerous,
}

/// One imported callable found in a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// `module.name`, or `<unresolved>` parts when the walker could not resolve them statically.
    pub import: String,
    pub risk: Risk,
    /// Why it is judged so.
    pub why: String,
    /// The zip member holding the pickle (`None` for plain pickles).
    pub member: Option<String>,
    /// Byte offset of the importing opcode inside the pickle stream.
    pub offset: u64,
    /// The importing opcode.
    pub opcode: String,
    /// Whether the stream calls the import.
    pub called: bool,
}

/// The result of scanning one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileScan {
    pub path: PathBuf,
    pub format: Option<Format>,
    pub size: u64,
    /// Hex SHA-256 of the whole file.
    pub sha256: String,
    pub verdict: Verdict,
    /// Imports that are not allowed (unknown or dangerous), most severe first.
    pub findings: Vec<Finding>,
    /// How many imports were on the allowlist.
    pub allowed_imports: usize,
    /// Sentences about what was and was not inspected.
    pub notes: Vec<String>,
}

/// Files this scanner reads when walking a directory, by extension.
pub const MODEL_EXTENSIONS: &[&str] = &[
    "pkl",
    "pickle",
    "joblib",
    "pt",
    "pth",
    "bin",
    "ckpt",
    "safetensors",
];

/// Whether a directory walk should scan this file.
pub fn is_model_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| MODEL_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// Modules whose every callable is dangerous to load.
const DANGEROUS_MODULES: &[&str] = &[
    "os",
    "posix",
    "nt",
    "subprocess",
    "pty",
    "shutil",
    "socket",
    "sys",
    "runpy",
    "importlib",
    "ctypes",
    "webbrowser",
    "pickle",
    "_pickle",
    "cPickle",
    "marshal",
    "code",
    "codeop",
    "commands",
    "multiprocessing",
    "asyncio",
    "urllib",
    "urllib2",
    "requests",
    "http",
    "httplib",
    "ftplib",
    "telnetlib",
    "smtplib",
    "pdb",
    "bdb",
    "timeit",
    "cProfile",
    "profile",
    "trace",
    "dill",
    "shelve",
    "tempfile",
    "glob",
    "platform",
    "threading",
    "_thread",
    "signal",
    "zipimport",
    "pip",
    "setuptools",
    "distutils",
];

/// Single callables that are dangerous in otherwise harmless modules.
const DANGEROUS_NAMES: &[&str] = &[
    "builtins.eval",
    "builtins.exec",
    "builtins.execfile",
    "builtins.compile",
    "builtins.open",
    "builtins.__import__",
    "builtins.getattr",
    "builtins.setattr",
    "builtins.delattr",
    "builtins.globals",
    "builtins.locals",
    "builtins.vars",
    "builtins.input",
    "builtins.breakpoint",
    "builtins.apply",
    "__builtin__.eval",
    "__builtin__.exec",
    "__builtin__.execfile",
    "__builtin__.compile",
    "__builtin__.open",
    "__builtin__.__import__",
    "__builtin__.getattr",
    "__builtin__.setattr",
    "__builtin__.apply",
    "operator.attrgetter",
    "operator.methodcaller",
    "operator.getitem",
    "functools.reduce",
    "torch.load",
    "torch.hub.load",
    "torch.storage._load_from_bytes",
    "numpy.load",
    "numpy.ctypeslib.load_library",
    "joblib.load",
    "pandas.read_pickle",
    "types.CodeType",
    "types.FunctionType",
];

/// Callables that only rebuild data.
const ALLOWED_NAMES: &[&str] = &[
    "builtins.set",
    "builtins.frozenset",
    "builtins.slice",
    "builtins.range",
    "builtins.complex",
    "builtins.bytearray",
    "builtins.bytes",
    "builtins.dict",
    "builtins.list",
    "builtins.tuple",
    "builtins.int",
    "builtins.float",
    "builtins.str",
    "builtins.bool",
    "builtins.object",
    "__builtin__.set",
    "__builtin__.frozenset",
    "__builtin__.slice",
    "__builtin__.complex",
    "__builtin__.object",
    "copyreg._reconstructor",
    "copy_reg._reconstructor",
    "copyreg.__newobj__",
    "_codecs.encode",
    "collections.OrderedDict",
    "collections.defaultdict",
    "collections.deque",
    "collections.Counter",
    "datetime.datetime",
    "datetime.date",
    "datetime.time",
    "datetime.timedelta",
    "datetime.timezone",
    "decimal.Decimal",
    "fractions.Fraction",
    "uuid.UUID",
    "numpy.ndarray",
    "numpy.dtype",
    "numpy.core.multiarray._reconstruct",
    "numpy._core.multiarray._reconstruct",
    "numpy.core.multiarray.scalar",
    "numpy._core.multiarray.scalar",
    "numpy.random._pickle.__randomstate_ctor",
    "numpy.random._pickle.__bit_generator_ctor",
    "torch._utils._rebuild_tensor",
    "torch._utils._rebuild_tensor_v2",
    "torch._utils._rebuild_tensor_v3",
    "torch._utils._rebuild_parameter",
    "torch._utils._rebuild_parameter_with_state",
    "torch._utils._rebuild_qtensor",
    "torch._utils._rebuild_sparse_tensor",
    "torch._tensor._rebuild_from_type_v2",
    "torch.nn.parameter.Parameter",
    "torch.device",
    "torch.Size",
    "torch.dtype",
    "torch.float32",
    "torch.float16",
    "torch.bfloat16",
    "torch.int64",
    "torch.int32",
    "torch.uint8",
    "torch.bool",
    "torch.FloatStorage",
    "torch.HalfStorage",
    "torch.BFloat16Storage",
    "torch.DoubleStorage",
    "torch.LongStorage",
    "torch.IntStorage",
    "torch.ShortStorage",
    "torch.CharStorage",
    "torch.ByteStorage",
    "torch.BoolStorage",
    "torch.storage.UntypedStorage",
    "torch.storage.TypedStorage",
];

/// Module prefixes whose classes rebuild fitted estimators (their constructors run no user code).
const ALLOWED_PREFIXES: &[&str] = &[
    "sklearn.",
    "xgboost.",
    "lightgbm.",
    "catboost.",
    "scipy.sparse.",
];

/// Judge one import.
pub fn judge(module: &str, name: &str, extra_allowed: &[String]) -> (Risk, String) {
    let full = format!("{module}.{name}");
    let root = module.split('.').next().unwrap_or(module);
    if DANGEROUS_NAMES.contains(&full.as_str()) {
        return (
            Risk::Dangerous,
            format!(
                "`{full}` runs code, opens files or loads further pickles when the file is loaded"
            ),
        );
    }
    if DANGEROUS_MODULES.contains(&root) {
        return (
            Risk::Dangerous,
            format!(
                "module `{root}` gives access to commands, processes, files, the network or the interpreter"
            ),
        );
    }
    let allowed_extra = extra_allowed.iter().any(|a| match a.strip_suffix('*') {
        Some(prefix) => full.starts_with(prefix),
        None => *a == full,
    });
    if allowed_extra {
        return (Risk::Allowed, "allowed by the caller's allowlist".into());
    }
    if ALLOWED_NAMES.contains(&full.as_str())
        || ALLOWED_PREFIXES.iter().any(|p| full.starts_with(p))
    {
        return (Risk::Allowed, "rebuilds data only".into());
    }
    (
        Risk::Unknown,
        format!(
            "`{full}` is not on the allowlist: loading the file calls it; allow it only after reviewing it"
        ),
    )
}

fn findings_of(
    globals: &[Global],
    member: Option<&str>,
    extra: &[String],
    out: &mut Vec<Finding>,
) -> usize {
    let mut allowed = 0;
    for g in globals {
        let (import, risk, why) = match (&g.module, &g.name) {
            (Some(m), Some(n)) => {
                let (risk, why) = judge(m, n, extra);
                (format!("{m}.{n}"), risk, why)
            }
            _ => (
                format!(
                    "{}.{}",
                    g.module.as_deref().unwrap_or("<unresolved>"),
                    g.name.as_deref().unwrap_or("<unresolved>")
                ),
                Risk::Unknown,
                if g.opcode == "EXT" {
                    "an extension-registry import: the loading program decides what it is"
                        .to_owned()
                } else {
                    "the import is computed while loading and cannot be resolved without running the file".to_owned()
                },
            ),
        };
        if risk == Risk::Allowed {
            allowed += 1;
            continue;
        }
        out.push(Finding {
            import,
            risk,
            why,
            member: member.map(str::to_owned),
            offset: g.offset,
            opcode: g.opcode.to_owned(),
            called: g.called,
        });
    }
    allowed
}

/// Scan one file. `extra_allowed` holds `module.name` entries (or `prefix*`) the caller has vetted.
pub fn scan_file(path: &Path, extra_allowed: &[String]) -> Result<FileScan, CollectError> {
    let io = |e: std::io::Error| CollectError::Io {
        source_name: SOURCE.into(),
        path: path.to_owned(),
        message: e.to_string(),
    };
    let mut file = File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    let sha256 = {
        let mut h = Sha256::new();
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = file.read(&mut buf).map_err(io)?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
        }
        hex(&h.finalize())
    };
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    let mut magic = [0u8; 8];
    let got = read_up_to(&mut file, &mut magic).map_err(io)?;
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    let mut scan = FileScan {
        path: path.to_owned(),
        format: None,
        size,
        sha256,
        verdict: Verdict::Safe,
        findings: Vec::new(),
        allowed_imports: 0,
        notes: Vec::new(),
    };
    let is_safetensors = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("safetensors"));
    if got >= 4 && magic[..4] == *b"PK\x03\x04" {
        scan.format = Some(Format::ZipPickle);
        scan_zip(&mut file, size, extra_allowed, &mut scan).map_err(io)?;
    } else if is_safetensors {
        scan.format = Some(Format::Safetensors);
        if let Err(reason) = check_safetensors(&mut file, size) {
            scan.verdict = Verdict::Unreadable;
            scan.notes
                .push(format!("not a valid safetensors file: {reason}"));
        } else {
            scan.notes.push(
                "safetensors holds tensors and a JSON header only; loading runs no code".into(),
            );
        }
    } else {
        scan.format = Some(Format::Pickle);
        let mut reader = BufReader::new(&mut file);
        match pickle::walk_all(&mut reader) {
            Ok(walks) => {
                for w in &walks {
                    scan.allowed_imports +=
                        findings_of(&w.globals, None, extra_allowed, &mut scan.findings);
                    scan.notes.extend(w.notes.iter().cloned());
                }
                if walks.len() > 1 {
                    scan.notes.push(format!(
                        "{} consecutive pickles (legacy PyTorch layout)",
                        walks.len()
                    ));
                }
            }
            Err(e) => {
                scan.verdict = Verdict::Unreadable;
                let hint = if magic[0] == b'x'
                    || magic[..2] == [0x1f, 0x8b]
                    || magic[..3] == *b"BZh"
                {
                    " (the file looks compressed — joblib with compress=…; decompress it to inspect)"
                } else {
                    ""
                };
                scan.notes.push(format!("not a readable pickle {e}{hint}"));
            }
        }
    }
    finish(&mut scan);
    Ok(scan)
}

fn finish(scan: &mut FileScan) {
    scan.findings
        .sort_by(|a, b| b.risk.cmp(&a.risk).then(a.offset.cmp(&b.offset)));
    let worst = scan.findings.iter().map(|f| f.risk).max();
    let from_findings = match worst {
        Some(Risk::Dangerous) => Verdict::Dangerous,
        Some(Risk::Unknown) => Verdict::Suspicious,
        _ => Verdict::Safe,
    };
    scan.verdict = scan.verdict.max(from_findings);
}

fn read_up_to(r: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn le(b: &[u8], at: usize, n: usize) -> Option<u64> {
    let s = b.get(at..at + n)?;
    Some(
        s.iter()
            .rev()
            .fold(0u64, |acc, &x| (acc << 8) | u64::from(x)),
    )
}

/// One member of a zip archive's central directory.
struct Member {
    name: String,
    method: u64,
    compressed: u64,
    local_offset: u64,
}

/// Read the central directory (ZIP64 aware) and walk every `.pkl` member.
fn scan_zip(
    file: &mut File,
    size: u64,
    extra: &[String],
    scan: &mut FileScan,
) -> std::io::Result<()> {
    let members = match central_directory(file, size)? {
        Ok(m) => m,
        Err(reason) => {
            scan.verdict = Verdict::Unreadable;
            scan.notes
                .push(format!("not a readable zip archive: {reason}"));
            return Ok(());
        }
    };
    let pickles: Vec<&Member> = members
        .iter()
        .filter(|m| m.name.ends_with(".pkl"))
        .collect();
    if pickles.is_empty() {
        scan.verdict = Verdict::Unreadable;
        scan.notes.push(format!(
            "a zip archive of {} members, none of them a pickle (.pkl): not a format this scanner reads",
            members.len()
        ));
        return Ok(());
    }
    for m in pickles {
        if m.method != 0 {
            scan.verdict = Verdict::Unreadable;
            scan.notes.push(format!(
                "member {} is compressed (method {}); it was not inspected",
                m.name, m.method
            ));
            continue;
        }
        let mut header = [0u8; 30];
        // Offsets and sizes come from the file (ZIP64 fields are 64-bit): check them before seeking or adding.
        if m.local_offset.checked_add(30).is_none_or(|e| e > size) {
            scan.verdict = Verdict::Unreadable;
            scan.notes.push(format!(
                "member {}: its local header lies outside the file",
                m.name
            ));
            continue;
        }
        file.seek(SeekFrom::Start(m.local_offset))?;
        if read_up_to(file, &mut header)? < 30 || header[..4] != *b"PK\x03\x04" {
            scan.verdict = Verdict::Unreadable;
            scan.notes
                .push(format!("member {}: its local header is damaged", m.name));
            continue;
        }
        let skip = 30 + le(&header, 26, 2).unwrap_or(0) + le(&header, 28, 2).unwrap_or(0);
        let start = m.local_offset + skip;
        if start.checked_add(m.compressed).is_none_or(|e| e > size) {
            scan.verdict = Verdict::Unreadable;
            scan.notes
                .push(format!("member {} runs past the end of the file", m.name));
            continue;
        }
        file.seek(SeekFrom::Start(start))?;
        let mut reader = BufReader::new((&mut *file).take(m.compressed));
        match pickle::walk(&mut reader, 0) {
            Ok(w) => {
                scan.allowed_imports +=
                    findings_of(&w.globals, Some(&m.name), extra, &mut scan.findings);
                scan.notes
                    .extend(w.notes.iter().map(|n| format!("{}: {n}", m.name)));
            }
            Err(e) => {
                scan.verdict = Verdict::Unreadable;
                scan.notes
                    .push(format!("member {} is not a readable pickle {e}", m.name));
            }
        }
    }
    Ok(())
}

fn central_directory(file: &mut File, size: u64) -> std::io::Result<Result<Vec<Member>, String>> {
    let tail_len = size.min(65_557 + 20);
    let mut tail = vec![0u8; tail_len as usize];
    file.seek(SeekFrom::Start(size - tail_len))?;
    file.read_exact(&mut tail)?;
    let Some(eocd) = (0..tail.len().saturating_sub(21))
        .rev()
        .find(|&i| tail[i..i + 4] == *b"PK\x05\x06")
    else {
        return Ok(Err("no end-of-central-directory record".into()));
    };
    let mut count = le(&tail, eocd + 10, 2).unwrap_or(0);
    let mut cd_size = le(&tail, eocd + 12, 4).unwrap_or(0);
    let mut cd_offset = le(&tail, eocd + 16, 4).unwrap_or(0);
    if (count == 0xffff || cd_size == 0xffff_ffff || cd_offset == 0xffff_ffff) && eocd >= 20 {
        // ZIP64: the locator sits just before the classic record and points at the ZIP64 record.
        let loc = eocd - 20;
        if tail[loc..loc + 4] != *b"PK\x06\x07" {
            return Ok(Err("a ZIP64 archive without its ZIP64 locator".into()));
        }
        let rec = le(&tail, loc + 8, 8).unwrap_or(u64::MAX);
        let mut r = [0u8; 56];
        if rec.checked_add(56).is_none_or(|e| e > size) {
            return Ok(Err("the ZIP64 record lies outside the file".into()));
        }
        file.seek(SeekFrom::Start(rec))?;
        file.read_exact(&mut r)?;
        if r[..4] != *b"PK\x06\x06" {
            return Ok(Err("the ZIP64 record is damaged".into()));
        }
        count = le(&r, 32, 8).unwrap_or(0);
        cd_size = le(&r, 40, 8).unwrap_or(0);
        cd_offset = le(&r, 48, 8).unwrap_or(0);
    }
    if cd_offset.checked_add(cd_size).is_none_or(|e| e > size) || cd_size > 256 << 20 {
        return Ok(Err("the central directory lies outside the file".into()));
    }
    let mut cd = vec![0u8; cd_size as usize];
    file.seek(SeekFrom::Start(cd_offset))?;
    file.read_exact(&mut cd)?;
    let mut members = Vec::new();
    let mut at = 0usize;
    for _ in 0..count {
        if cd.get(at..at + 4) != Some(b"PK\x01\x02") {
            return Ok(Err(format!(
                "central directory entry {} is damaged",
                members.len()
            )));
        }
        let (Some(method), Some(mut compressed), Some(n), Some(e), Some(c), Some(mut local)) = (
            le(&cd, at + 10, 2),
            le(&cd, at + 20, 4),
            le(&cd, at + 28, 2),
            le(&cd, at + 30, 2),
            le(&cd, at + 32, 2),
            le(&cd, at + 42, 4),
        ) else {
            return Ok(Err("the central directory is truncated".into()));
        };
        let uncompressed = le(&cd, at + 24, 4).unwrap_or(0);
        let name_at = at + 46;
        let Some(name) = cd.get(name_at..name_at + n as usize) else {
            return Ok(Err("the central directory is truncated".into()));
        };
        let name = String::from_utf8_lossy(name).into_owned();
        // ZIP64 extra field (id 1): the 8-byte values replace the saturated ones, in this order.
        let extra_at = name_at + n as usize;
        let extra = cd.get(extra_at..extra_at + e as usize).unwrap_or(&[]);
        let mut x = 0usize;
        while x + 4 <= extra.len() {
            let id = le(extra, x, 2).unwrap_or(0);
            let len = le(extra, x + 2, 2).unwrap_or(0) as usize;
            if id == 1 {
                let mut f = x + 4;
                let mut take = |v: &mut u64| {
                    if *v == 0xffff_ffff {
                        *v = le(extra, f, 8).unwrap_or(*v);
                        f += 8;
                    }
                };
                let mut u = uncompressed;
                take(&mut u);
                take(&mut compressed);
                take(&mut local);
            }
            x += 4 + len;
        }
        members.push(Member {
            name,
            method,
            compressed,
            local_offset: local,
        });
        at = extra_at + e as usize + c as usize;
    }
    Ok(Ok(members))
}

/// Structural check of a safetensors file: an 8-byte little-endian header length, a JSON object header whose
/// tensors name a dtype, a shape and data offsets inside the data section.
fn check_safetensors(file: &mut File, size: u64) -> Result<(), String> {
    let mut len = [0u8; 8];
    file.read_exact(&mut len)
        .map_err(|_| "shorter than its 8-byte header length".to_owned())?;
    let n = u64::from_le_bytes(len);
    if n > 100 << 20 || n.checked_add(8).is_none_or(|e| e > size) {
        return Err(format!(
            "its header length {n} does not fit the file ({size} bytes)"
        ));
    }
    let mut header = vec![0u8; n as usize];
    file.read_exact(&mut header).map_err(|e| e.to_string())?;
    let v: serde_json::Value =
        serde_json::from_slice(&header).map_err(|e| format!("its header is not JSON ({e})"))?;
    let obj = v.as_object().ok_or("its header is not a JSON object")?;
    let data = size - 8 - n;
    for (name, t) in obj {
        if name == "__metadata__" {
            continue;
        }
        let ok = t.get("dtype").is_some_and(serde_json::Value::is_string)
            && t.get("shape").is_some_and(serde_json::Value::is_array)
            && t.get("data_offsets")
                .and_then(|o| o.as_array())
                .and_then(|o| Some((o.first()?.as_u64()?, o.get(1)?.as_u64()?)))
                .is_some_and(|(a, b)| a <= b && b <= data);
        if !ok {
            return Err(format!(
                "tensor `{name}` has no valid dtype, shape and data offsets"
            ));
        }
    }
    Ok(())
}

/// `[source.model_files]`: `paths = ["models"]`, optional `allow = ["module.name", "module.*"]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelFilesConfig {
    pub paths: Vec<PathBuf>,
    pub allow: Vec<String>,
}

impl ModelFilesConfig {
    pub fn from_table(table: &toml::Table) -> Result<Self, CollectError> {
        let list = |key: &str| -> Result<Vec<String>, CollectError> {
            match table.get(key) {
                None => Ok(Vec::new()),
                Some(toml::Value::Array(a)) => a
                    .iter()
                    .map(|v| {
                        v.as_str()
                            .map(str::to_owned)
                            .ok_or_else(|| CollectError::Config {
                                source_name: SOURCE.into(),
                                key: key.into(),
                                reason: "must be a list of strings".into(),
                            })
                    })
                    .collect(),
                Some(_) => Err(CollectError::Config {
                    source_name: SOURCE.into(),
                    key: key.into(),
                    reason: "must be a list of strings".into(),
                }),
            }
        };
        let paths: Vec<PathBuf> = list("paths")?.into_iter().map(PathBuf::from).collect();
        if paths.is_empty() {
            return Err(CollectError::Config {
                source_name: SOURCE.into(),
                key: "paths".into(),
                reason: "must list the model files or folders to scan, e.g. paths = [\"models\"]"
                    .into(),
            });
        }
        Ok(ModelFilesConfig {
            paths,
            allow: list("allow")?,
        })
    }
}

/// Every model file under `paths` (folders walked recursively for [`MODEL_EXTENSIONS`], skipping `.git` and
/// `.assay`), sorted. A path that does not exist is an error.
pub fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, CollectError> {
    let mut out = Vec::new();
    for p in paths {
        let io = |path: &Path, e: std::io::Error| CollectError::Io {
            source_name: SOURCE.into(),
            path: path.to_owned(),
            message: e.to_string(),
        };
        let meta = std::fs::metadata(p).map_err(|e| io(p, e))?;
        if !meta.is_dir() {
            out.push(p.clone());
            continue;
        }
        let mut stack = vec![p.clone()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).map_err(|e| io(&dir, e))? {
                let path = entry.map_err(|e| io(&dir, e))?.path();
                if path.is_dir() {
                    if path
                        .file_name()
                        .is_some_and(|n| n != ".git" && n != ".assay")
                    {
                        stack.push(path);
                    }
                } else if is_model_file(&path) {
                    out.push(path);
                }
            }
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// The evidence item of one scan: kind `model.file_scan`, subject `artifact:<path relative to the workspace>`,
/// observed when the file was last modified (so re-scanning an unchanged file is idempotent).
pub fn evidence(
    scan: &FileScan,
    workspace: &Path,
    modified: jiff::Timestamp,
    now: jiff::Timestamp,
) -> assay_ledger::Evidence {
    let rel = scan.path.strip_prefix(workspace).unwrap_or(&scan.path);
    let rel = rel.to_string_lossy().replace('\\', "/");
    let rel = rel.strip_prefix("./").unwrap_or(&rel).to_owned();
    // The payload names the file as the subject does, relative to the workspace, so the same file scanned from
    // another working directory is the same observation.
    let mut scan = scan.clone();
    scan.path = PathBuf::from(&rel);
    assay_ledger::Evidence {
        kind: assay_ledger::EvidenceKind::ModelFileScan,
        subject: format!("artifact:{rel}"),
        source: crate::source(SOURCE, format!("{rel}@sha256:{}", scan.sha256)),
        observed_at: modified,
        collected_at: now,
        payload: serde_json::to_value(&scan).unwrap_or_default(),
        attachments: Vec::new(),
        expires_at: None,
        note: None,
    }
}

/// When a file was last modified (the collection time when the file system does not say).
pub fn modified(path: &Path, now: jiff::Timestamp) -> jiff::Timestamp {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| jiff::Timestamp::try_from(t).ok())
        .unwrap_or(now)
}

/// Scans model files as a collector.
#[derive(Debug, Clone)]
pub struct ModelFilesCollector {
    config: ModelFilesConfig,
}

impl ModelFilesCollector {
    pub fn new(config: ModelFilesConfig) -> Self {
        ModelFilesCollector { config }
    }
}

impl crate::Collector for ModelFilesCollector {
    fn source(&self) -> &str {
        SOURCE
    }

    fn collect(&self, ctx: &mut crate::Context<'_>) -> Result<crate::Collected, CollectError> {
        let paths: Vec<PathBuf> = self
            .config
            .paths
            .iter()
            .map(|p| {
                if p.is_absolute() {
                    p.clone()
                } else {
                    ctx.workspace.join(p)
                }
            })
            .collect();
        let files = expand(&paths)?;
        ctx.progress.set_total(files.len() as u64);
        let mut out = crate::Collected::default();
        for f in files {
            let scan = scan_file(&f, &self.config.allow)?;
            out.evidence.push(evidence(
                &scan,
                ctx.workspace,
                modified(&f, ctx.now),
                ctx.now,
            ));
            ctx.progress.inc(1);
        }
        Ok(out)
    }
}
