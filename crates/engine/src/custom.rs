//! A workspace's own controls: `controls/<ID>.toml` (the same fields as a catalog control), `controls/<ID>.rego`
//! (package `assay.control`, the contract of `docs/controls.md`) and `controls/<ID>.cases.json` (test cases as
//! data, the same format as the built-ins'). They are evaluated by `assay check` beside the catalog and their
//! cases run with `assay controls test`.
//!
//! Loading checks everything a later run would trip on, and names the file (and line, for TOML) at fault: the
//! metadata parses, its id matches the file name and is not a built-in id, every criterion is one of the 61,
//! every evidence kind is known, the Rego compiles, and a cases file exists.

use std::path::{Path, PathBuf};

use assay_catalog::{Catalog, Control, Nature};

use crate::{ControlEngine, EngineError};

/// Largest file read from a workspace's `controls/` folder.
const MAX_FILE: u64 = 1 << 20;

/// One workspace control with its files.
#[derive(Debug, Clone)]
pub struct CustomControl {
    pub control: Control,
    /// `controls/<ID>.rego`, as a path for messages.
    pub rego_path: PathBuf,
    pub rego: String,
    /// `controls/<ID>.cases.json`.
    pub cases_path: PathBuf,
    pub cases: String,
}

impl CustomControl {
    /// The control with its Rego module compiled.
    pub fn engine(&self) -> Result<ControlEngine, EngineError> {
        ControlEngine::with_policy(
            &self.control,
            &self.rego_path.display().to_string(),
            &self.rego,
        )
    }
}

fn bad(path: &Path, line: Option<usize>, message: impl Into<String>, hint: &str) -> EngineError {
    EngineError::Custom {
        path: path.to_owned(),
        line,
        message: message.into(),
        hint: hint.to_owned(),
    }
}

fn read(path: &Path) -> Result<String, EngineError> {
    let meta = std::fs::metadata(path).map_err(|e| {
        bad(
            path,
            None,
            format!("cannot read it ({e})"),
            "every control needs <ID>.toml, <ID>.rego and <ID>.cases.json side by side",
        )
    })?;
    if meta.len() > MAX_FILE {
        return Err(bad(
            path,
            None,
            format!("it is {} bytes, over the 1 MiB limit", meta.len()),
            "a control file should be small; move data into test cases or evidence",
        ));
    }
    std::fs::read_to_string(path).map_err(|e| {
        bad(
            path,
            None,
            format!("cannot read it as UTF-8 text ({e})"),
            "save the file as UTF-8",
        )
    })
}

/// The workspace controls in `dir` (none when the folder does not exist), sorted by id.
pub fn load_custom_controls(
    dir: &Path,
    catalog: &Catalog,
) -> Result<Vec<CustomControl>, EngineError> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let entries = std::fs::read_dir(dir).map_err(|e| {
        bad(
            dir,
            None,
            format!("cannot list it ({e})"),
            "check the folder's permissions",
        )
    })?;
    let mut tomls: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    tomls.sort();
    let mut out = Vec::new();
    for path in tomls {
        out.push(load_one(&path, catalog)?);
    }
    Ok(out)
}

fn load_one(path: &Path, catalog: &Catalog) -> Result<CustomControl, EngineError> {
    let text = read(path)?;
    let control: Control = toml::from_str(&text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].lines().count().max(1));
        bad(
            path,
            line,
            e.message().to_owned(),
            "the fields are those of a catalog control: id, title, description, stage, criteria, risks or baseline, frequency, nature, evidence (docs/controls.md)",
        )
    })?;
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    if control.id != stem {
        return Err(bad(
            path,
            None,
            format!(
                "the control's id `{}` differs from its file name `{stem}`",
                control.id
            ),
            "name the files after the id: <ID>.toml, <ID>.rego, <ID>.cases.json",
        ));
    }
    if catalog.control(&control.id).is_some() {
        return Err(bad(
            path,
            None,
            format!("`{}` is a built-in control id", control.id),
            "give workspace controls their own prefix, e.g. X-ACME-01",
        ));
    }
    if let Some(kind) = control
        .evidence
        .iter()
        .find(|k| !k.starts_with("custom.") && !catalog.evidence_kinds.iter().any(|x| &x.id == *k))
    {
        return Err(bad(
            path,
            None,
            format!("`{kind}` is not an evidence kind"),
            "see `assay catalog` / docs/evidence for the kinds, or use a custom.* kind",
        ));
    }
    if let Some(kind) = control
        .reference
        .iter()
        .find(|k| !control.evidence.contains(k))
    {
        return Err(bad(
            path,
            None,
            format!("`{kind}` is read as reference but not listed in evidence"),
            "every kind in `reference` must also be in `evidence`",
        ));
    }
    if control.nature == Nature::Manual {
        return Err(bad(
            path,
            None,
            "a workspace control with a Rego test must be automated or hybrid",
            "set nature = \"automated\" (or \"hybrid\")",
        ));
    }
    let rego_path = path.with_extension("rego");
    let cases_path = path.with_extension("cases.json");
    let rego = read(&rego_path)?;
    let cases = read(&cases_path)?;
    let mut control = control;
    control.test = Some(rego_path.display().to_string());
    let custom = CustomControl {
        control,
        rego_path,
        rego,
        cases_path,
        cases,
    };
    custom.engine()?;
    Ok(custom)
}
