//! Command-line arguments (clap derive). Only shapes live here; meaning lives in `settings` and
//! `commands`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "assay",
    version,
    about = "Continuous SOC 2 readiness for the machine-learning lifecycle",
    long_about = "Assay collects evidence from what an AI company already runs (git, DVC, MLflow, IAM \
exports …), keeps it in a tamper-evident ledger, and tests SOC 2 controls over the whole ML \
lifecycle.\n\nExit codes: 0 = ran and everything passed; 1 = ran and found failures; 2 = could not run.",
    after_help = "Start with `assay demo` to see a whole assessment of a fictional AI company."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true, help_heading = "Global options")]
    pub json: bool,
    /// Print only results and errors (repeat for errors only).
    #[arg(short, long, global = true, help_heading = "Global options", action = clap::ArgAction::Count, conflicts_with = "verbose")]
    pub quiet: u8,
    /// Print more detail.
    #[arg(short, long, global = true, help_heading = "Global options", action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// When to use colours.
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        value_enum,
        env = "ASSAY_COLOR",
        value_name = "WHEN"
    )]
    pub color: Option<ColorChoice>,
    /// The system description to use.
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        env = "ASSAY_CONFIG",
        value_name = "PATH"
    )]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write an annotated assay.toml to start describing your system.
    Init(InitArgs),
    /// Build a realistic AI-company workspace (Kestrel Labs) and assess it.
    Demo(DemoArgs),
    /// Check and explain the system description (assay.toml).
    #[command(subcommand)]
    Scope(ScopeCommand),
    /// Browse the built-in criteria, AI risks and controls.
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Create the Ed25519 key that signs ledger checkpoints.
    Keygen(KeygenArgs),
    /// Sign a checkpoint of the evidence ledger now.
    Checkpoint,
    /// Add, list, show and prove evidence in the ledger.
    #[command(subcommand)]
    Evidence(EvidenceCommand),
    /// Recompute the whole ledger and name any tampered, missing or moved item.
    Verify(VerifyArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
    /// Data controls: drift, ingestion validation, snapshots, PII scan and redaction, fairness.
    #[command(subcommand)]
    Data(crate::data_args::DataCommand),
    /// Run the collectors of assay.toml's [source.*] tables and append their evidence.
    Collect(CollectArgs),
    /// Show how a model version was made (data, code, parameters) and every broken link.
    Trace(TraceArgs),
    /// Scan artifacts for risks (model files that run code when loaded).
    #[command(subcommand)]
    Scan(ScanCommand),
    /// Evaluate every control at a date (Type 1) or over a period (Type 2) and report readiness.
    Check(CheckArgs),
    /// Draw a reproducible sample of a control's occurrences over a period, for an auditor.
    Sample(SampleArgs),
    /// Your own controls in the workspace's controls/ folder: run their test cases.
    #[command(subcommand)]
    Controls(ControlsCommand),
}

#[derive(Debug, Subcommand)]
pub enum ControlsCommand {
    /// Run the test cases (note, input, expected) of the workspace's controls (and the built-ins with --builtin).
    Test(ControlsTestArgs),
}

#[derive(Debug, Args)]
pub struct ControlsTestArgs {
    /// Only these control ids.
    #[arg(value_name = "ID")]
    pub ids: Vec<String>,
    /// Also run the built-in controls' cases.
    #[arg(long)]
    pub builtin: bool,
}

#[derive(Debug, Subcommand)]
pub enum ScanCommand {
    /// Find model files (pickle, joblib, PyTorch) that would run code when loaded; safetensors pass.
    Models(ScanModelsArgs),
}

#[derive(Debug, Args)]
pub struct ScanModelsArgs {
    /// Model files or folders (folders are searched for .pkl .pickle .joblib .pt .pth .bin .ckpt .safetensors).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<std::path::PathBuf>,
    /// An import you have vetted: `module.name`, or `module.*` (repeatable). Dangerous imports stay dangerous.
    #[arg(long, value_name = "IMPORT")]
    pub allow: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ScanFormat::Text)]
    pub format: ScanFormat,
    /// Record each file's result as `model.file_scan` evidence in the workspace ledger.
    #[arg(long)]
    pub record: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScanFormat {
    Text,
    Json,
    Sarif,
}

#[derive(Debug, Args)]
pub struct CollectArgs {
    /// Only this source (repeatable), e.g. --source git --source gto.
    #[arg(long = "source", value_name = "NAME")]
    pub sources: Vec<String>,
}

#[derive(Debug, Args)]
pub struct TraceArgs {
    /// MODEL, MODEL@VERSION, MODEL:ALIAS or MODEL#STAGE (e.g. fraud-scorer#prod).
    #[arg(value_name = "MODEL")]
    pub model: String,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: TraceFormat,
    /// Read every lineage item of the ledger instead of using the lineage index (slower; the same answer).
    #[arg(long)]
    pub no_index: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TraceFormat {
    Text,
    Json,
    Md,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    Text,
    Json,
    Sarif,
    Junit,
    Md,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Type 1: evaluate as of this date or RFC 3339 time (a date means the end of that day; default: now).
    #[arg(long, value_name = "DATE", conflicts_with = "period")]
    pub at: Option<String>,
    /// Type 2: evaluate over START..END (dates or RFC 3339 times).
    #[arg(long, value_name = "A..B")]
    pub period: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: CheckFormat,
    /// Report controls that passed in the previous stored check and now fail or are not verifiable.
    #[arg(long)]
    pub since_last: bool,
    /// Do not store this run as check.result evidence.
    #[arg(long)]
    pub no_record: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SampleFormat {
    Csv,
    Json,
}

#[derive(Debug, Args)]
pub struct SampleArgs {
    /// The control whose occurrences form the population.
    #[arg(long)]
    pub control: String,
    /// The period START..END.
    #[arg(long, value_name = "A..B")]
    pub period: String,
    /// The random seed; the same seed draws the same items (default 0). Record it in your workpapers.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Sample-size table: chiaro (default; Chiaro SOC 2 methodology, CC BY 4.0) or ten-percent.
    #[arg(long, default_value = "chiaro")]
    pub table: String,
    /// Output format.
    #[arg(long, value_enum, default_value = "csv")]
    pub format: SampleFormat,
}

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// The key's name, which is also the checkpoints' origin line (default: assay.local/<workspace>).
    #[arg(long)]
    pub name: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum EvidenceCommand {
    /// Record evidence a person provides: a policy, a signed approval, a screenshot, minutes.
    Add(EvidenceAddArgs),
    /// List evidence in the order it was recorded.
    List(EvidenceListArgs),
    /// Show one evidence item in full.
    Show(EvidenceIndexArgs),
    /// Write an inclusion proof of one item against the latest signed checkpoint.
    Prove(EvidenceProveArgs),
}

#[derive(Debug, Args)]
pub struct EvidenceAddArgs {
    /// Evidence kind, e.g. manual.document (`assay catalog` lists the kinds controls use).
    #[arg(long, default_value = "manual.document")]
    pub kind: String,
    /// The component or asset it is about, e.g. `policy:information-security`.
    #[arg(long)]
    pub subject: String,
    /// A file to attach (repeatable). Stored content-addressed under .assay/blobs.
    #[arg(long = "file", value_name = "PATH")]
    pub files: Vec<std::path::PathBuf>,
    /// A short title (default: the first file's name).
    #[arg(long)]
    pub title: Option<String>,
    /// Extra facts as a JSON object, merged into the payload.
    #[arg(long, value_name = "JSON")]
    pub payload: Option<String>,
    /// When the fact was true: RFC 3339 time or a date (default: now).
    #[arg(long, value_name = "TIME")]
    pub observed_at: Option<String>,
    /// When the evidence stops being valid: RFC 3339 time or a date.
    #[arg(long, value_name = "TIME")]
    pub expires: Option<String>,
    /// A note for the auditor.
    #[arg(long)]
    pub note: Option<String>,
}

#[derive(Debug, Args)]
pub struct EvidenceListArgs {
    /// Only this kind.
    #[arg(long)]
    pub kind: Option<String>,
    /// Only this subject.
    #[arg(long)]
    pub subject: Option<String>,
    /// Only items observed at or after this RFC 3339 time or date.
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// At most this many items.
    #[arg(long)]
    pub limit: Option<u64>,
}

#[derive(Debug, Args)]
pub struct EvidenceIndexArgs {
    /// The item's index (from `assay evidence list`).
    pub index: u64,
}

#[derive(Debug, Args)]
pub struct EvidenceProveArgs {
    /// The item's index.
    pub index: u64,
    /// Write the proof here instead of stdout.
    #[arg(long, value_name = "PATH")]
    pub out: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A verifier key file to trust (repeatable); by default the workspace's own public key.
    #[arg(long = "key", value_name = "PATH")]
    pub keys: Vec<std::path::PathBuf>,
    /// Also decode every item, check that it is stored in canonical form and recompute its idempotency key
    /// (slower).
    #[arg(long)]
    pub deep: bool,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The system's name.
    #[arg(long, default_value = "My AI Service")]
    pub name: String,
    /// The service, written from the customer's side.
    #[arg(
        long,
        default_value = "Customers send requests to our API and receive model predictions in return."
    )]
    pub service: String,
    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to build the demo workspace.
    #[arg(default_value = "assay-demo")]
    pub dir: PathBuf,
    /// Replace the directory even if it was not made by `assay demo`.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Subcommand)]
pub enum ScopeCommand {
    /// Validate the description and report scoping mistakes with stable codes.
    Check,
    /// Print the JSON Schema of assay.toml (for editor completion).
    Schema,
}

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// List the 61 Trust Services Criteria.
    Criteria(CriteriaArgs),
    /// List the AI risk library.
    Risks(RisksArgs),
    /// List the built-in controls.
    Controls(ControlsArgs),
    /// Describe one criterion, risk or control, with its mappings both ways.
    Show(ShowArgs),
}

const CATEGORIES: [&str; 5] = [
    "security",
    "availability",
    "processing_integrity",
    "confidentiality",
    "privacy",
];

const STAGES: [&str; 9] = [
    "ingestion",
    "training",
    "registry",
    "deployment",
    "inference",
    "storage",
    "monitoring",
    "supporting",
    "people",
];

#[derive(Debug, Args)]
pub struct CriteriaArgs {
    /// Only this category (security, availability, processing_integrity, confidentiality, privacy).
    #[arg(long, value_parser = CATEGORIES)]
    pub category: Option<String>,
}

#[derive(Debug, Args)]
pub struct RisksArgs {
    /// Only risks that affect this lifecycle stage.
    #[arg(long, value_parser = STAGES)]
    pub stage: Option<String>,
}

#[derive(Debug, Args)]
pub struct ControlsArgs {
    /// Only controls mapped to criteria of this category.
    #[arg(long, value_parser = CATEGORIES)]
    pub category: Option<String>,
    /// Only controls of this lifecycle stage.
    #[arg(long, value_parser = STAGES)]
    pub stage: Option<String>,
    /// Only controls mapped to this criterion.
    #[arg(long)]
    pub criterion: Option<String>,
    /// Only controls that mitigate this risk.
    #[arg(long)]
    pub risk: Option<String>,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A criterion (CC7.2), risk (RISK-DRIFT) or control id.
    pub id: String,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to generate for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}
