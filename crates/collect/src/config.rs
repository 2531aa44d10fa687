//! Source tables of `assay.toml` → collector configs.
//!
//! ```toml
//! [source.git]            # also dvc, gto, lfs: the same keys
//! repos = [".", { path = "../features", name = "features" }]
//!
//! [source.openlineage]
//! files = ["lineage/events.jsonl"]
//! ```
//!
//! `dvc`, `gto` and `lfs` read the repositories of `[source.git]` when they have no `repos` of their own.

use std::path::{Path, PathBuf};

use crate::error::CollectError;
use crate::{
    Collector, access_reviews, deployments, dvc, git, github, gto, iam_aws, iam_gcp, incidents,
    jira, k8s_rbac, lfs, mlflow, modelscan, openlineage, terraform, vulnerabilities,
};

/// One repository to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoSpec {
    /// Path as written (relative to the workspace unless absolute).
    pub path: PathBuf,
    /// Name used in subjects (`repo:NAME`) and locators; defaults to the folder's name.
    pub name: String,
}

impl RepoSpec {
    /// The path resolved against the workspace.
    pub fn resolve(&self, workspace: &Path) -> PathBuf {
        if self.path.is_absolute() {
            self.path.clone()
        } else {
            workspace.join(&self.path)
        }
    }
}

/// A configured source.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceConfig {
    Git(git::GitConfig),
    Dvc(dvc::DvcConfig),
    Gto(gto::GtoConfig),
    Lfs(lfs::LfsConfig),
    OpenLineage(openlineage::OpenLineageConfig),
    Mlflow(mlflow::MlflowConfig),
    AwsIam(iam_aws::AwsIamConfig),
    ModelFiles(modelscan::ModelFilesConfig),
    Github(github::GithubConfig),
    Jira(jira::JiraConfig),
    Deployments(deployments::DeploymentsConfig),
    AccessReviews(access_reviews::AccessReviewsConfig),
    Vulnerabilities(vulnerabilities::VulnerabilitiesConfig),
    GcpIam(iam_gcp::GcpIamConfig),
    K8sRbac(k8s_rbac::K8sRbacConfig),
    Terraform(terraform::TerraformConfig),
    Incidents(incidents::IncidentsConfig),
}

impl SourceConfig {
    /// The collector for this config.
    pub fn collector(&self) -> Box<dyn Collector> {
        match self {
            SourceConfig::Git(c) => Box::new(git::GitCollector::new(c.clone())),
            SourceConfig::Dvc(c) => Box::new(dvc::DvcCollector::new(c.clone())),
            SourceConfig::Gto(c) => Box::new(gto::GtoCollector::new(c.clone())),
            SourceConfig::Lfs(c) => Box::new(lfs::LfsCollector::new(c.clone())),
            SourceConfig::OpenLineage(c) => {
                Box::new(openlineage::OpenLineageCollector::new(c.clone()))
            }
            SourceConfig::Mlflow(c) => Box::new(mlflow::MlflowCollector::new(c.clone())),
            SourceConfig::AwsIam(c) => Box::new(iam_aws::AwsIamCollector::new(c.clone())),
            SourceConfig::ModelFiles(c) => Box::new(modelscan::ModelFilesCollector::new(c.clone())),
            SourceConfig::Github(c) => Box::new(github::GithubCollector::new(c.clone())),
            SourceConfig::Jira(c) => Box::new(jira::JiraCollector::new(c.clone())),
            SourceConfig::Deployments(c) => {
                Box::new(deployments::DeploymentsCollector::new(c.clone()))
            }
            SourceConfig::AccessReviews(c) => {
                Box::new(access_reviews::AccessReviewsCollector::new(c.clone()))
            }
            SourceConfig::Vulnerabilities(c) => {
                Box::new(vulnerabilities::VulnerabilitiesCollector::new(c.clone()))
            }
            SourceConfig::GcpIam(c) => Box::new(iam_gcp::GcpIamCollector::new(c.clone())),
            SourceConfig::K8sRbac(c) => Box::new(k8s_rbac::K8sRbacCollector::new(c.clone())),
            SourceConfig::Terraform(c) => Box::new(terraform::TerraformCollector::new(c.clone())),
            SourceConfig::Incidents(c) => Box::new(incidents::IncidentsCollector::new(c.clone())),
        }
    }
}

/// Source names this crate can collect.
pub const SUPPORTED: &[&str] = &[
    "git",
    "dvc",
    "gto",
    "lfs",
    "openlineage",
    "mlflow",
    "aws_iam",
    "model_files",
    "github",
    "jira",
    // After gto and mlflow: deployments are also derived from their stage and alias evidence in the ledger.
    "deployments",
    "access_reviews",
    "vulnerabilities",
    "gcp_iam",
    "k8s_rbac",
    "terraform",
    "incidents",
];

/// Configured sources by name, and the names of tables this crate does not collect.
pub type Configured = (Vec<(String, SourceConfig)>, Vec<String>);

/// Parse the `[source.*]` tables this crate understands, in a stable order (git first, so later collectors'
/// repositories are known). Tables of sources this crate does not collect are returned by name in `skipped`.
pub fn configure(
    tables: &[(String, toml::Table)],
    workspace: &Path,
) -> Result<Configured, CollectError> {
    let git_repos = match tables.iter().find(|(n, _)| n == "git") {
        Some((_, t)) => Some(repos("git", t, workspace)?),
        None => None,
    };
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for name in SUPPORTED {
        let Some((_, table)) = tables.iter().find(|(n, _)| n == name) else {
            continue;
        };
        let repos_or_git = |source: &str| -> Result<Vec<RepoSpec>, CollectError> {
            if table.contains_key("repos") {
                repos(source, table, workspace)
            } else if let Some(r) = &git_repos {
                Ok(r.clone())
            } else {
                Err(CollectError::Config {
                    source_name: source.into(),
                    key: "repos".into(),
                    reason: "is missing, and there is no [source.git] to take repositories from"
                        .into(),
                })
            }
        };
        let config = match *name {
            "git" => SourceConfig::Git(git::GitConfig {
                repos: git_repos.clone().unwrap_or_default(),
            }),
            "dvc" => SourceConfig::Dvc(dvc::DvcConfig {
                repos: repos_or_git("dvc")?,
            }),
            "gto" => SourceConfig::Gto(gto::GtoConfig {
                repos: repos_or_git("gto")?,
            }),
            "lfs" => SourceConfig::Lfs(lfs::LfsConfig {
                repos: repos_or_git("lfs")?,
            }),
            "openlineage" => {
                SourceConfig::OpenLineage(openlineage::OpenLineageConfig::from_table(table)?)
            }
            "mlflow" => SourceConfig::Mlflow(mlflow::MlflowConfig::from_table(table)?),
            "aws_iam" => SourceConfig::AwsIam(iam_aws::AwsIamConfig::from_table(table)?),
            "model_files" => {
                SourceConfig::ModelFiles(modelscan::ModelFilesConfig::from_table(table)?)
            }
            "github" => SourceConfig::Github(github::GithubConfig::from_table(table)?),
            "jira" => SourceConfig::Jira(jira::JiraConfig::from_table(table)?),
            "deployments" => {
                SourceConfig::Deployments(deployments::DeploymentsConfig::from_table(table)?)
            }
            "access_reviews" => {
                SourceConfig::AccessReviews(access_reviews::AccessReviewsConfig::from_table(table)?)
            }
            "vulnerabilities" => SourceConfig::Vulnerabilities(
                vulnerabilities::VulnerabilitiesConfig::from_table(table)?,
            ),
            "gcp_iam" => SourceConfig::GcpIam(iam_gcp::GcpIamConfig::from_table(table)?),
            "k8s_rbac" => SourceConfig::K8sRbac(k8s_rbac::K8sRbacConfig::from_table(table)?),
            "terraform" => SourceConfig::Terraform(terraform::TerraformConfig::from_table(table)?),
            "incidents" => SourceConfig::Incidents(incidents::IncidentsConfig::from_table(table)?),
            _ => continue,
        };
        out.push(((*name).to_owned(), config));
    }
    for (name, _) in tables {
        if !SUPPORTED.contains(&name.as_str()) {
            skipped.push(name.clone());
        }
    }
    Ok((out, skipped))
}

/// `repos = ["path", { path = "…", name = "…" }]` (default `["."]` when the key is absent).
pub fn repos(
    source: &str,
    table: &toml::Table,
    workspace: &Path,
) -> Result<Vec<RepoSpec>, CollectError> {
    let bad = |reason: &str| CollectError::Config {
        source_name: source.into(),
        key: "repos".into(),
        reason: reason.into(),
    };
    let Some(value) = table.get("repos") else {
        return Ok(vec![spec(".", None, workspace)]);
    };
    let Some(list) = value.as_array() else {
        return Err(bad("must be a list of paths, e.g. repos = [\".\"]"));
    };
    let mut out: Vec<RepoSpec> = Vec::new();
    for item in list {
        let s = match item {
            toml::Value::String(p) => spec(p, None, workspace),
            toml::Value::Table(t) => {
                let Some(p) = t.get("path").and_then(|v| v.as_str()) else {
                    return Err(bad("entries written as tables need `path = \"…\"`"));
                };
                let name = match t.get("name") {
                    None => None,
                    Some(toml::Value::String(n)) => Some(n.as_str()),
                    Some(_) => return Err(bad("`name` must be a string")),
                };
                spec(p, name, workspace)
            }
            _ => {
                return Err(bad(
                    "entries must be paths (strings) or { path, name } tables",
                ));
            }
        };
        if s.name.is_empty() || s.name.contains(char::is_whitespace) {
            return Err(bad("repository names must be non-empty and without spaces"));
        }
        if out.iter().any(|o| o.name == s.name) {
            return Err(CollectError::Config {
                source_name: source.into(),
                key: "repos".into(),
                reason: format!(
                    "lists two repositories named `{}`; give one a `name`",
                    s.name
                ),
            });
        }
        out.push(s);
    }
    Ok(out)
}

fn spec(path: &str, name: Option<&str>, workspace: &Path) -> RepoSpec {
    let path = PathBuf::from(path);
    let name = match name {
        Some(n) => n.to_owned(),
        None => {
            let full = if path.is_absolute() {
                path.clone()
            } else {
                workspace.join(&path)
            };
            let full = full.canonicalize().unwrap_or(full);
            let base = full
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "repo".to_owned());
            base.strip_suffix(".git").unwrap_or(&base).to_owned()
        }
    };
    RepoSpec { path, name }
}
