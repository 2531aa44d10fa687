//! Evidence kinds: the closed list from the catalog plus `custom.*`.

use std::fmt;
use std::str::FromStr;

use crate::error::LedgerError;

macro_rules! kinds {
    ($($variant:ident => $id:literal,)*) => {
        /// What an evidence item is. The string ids are exactly the `id`s of the catalog's
        /// `evidence-kinds.toml` (a test keeps the two in step), plus `custom.<name>` for anything else.
        /// Text form (Display, FromStr, serde) is the id.
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum EvidenceKind {
            $(
                #[doc = concat!("`", $id, "`")]
                $variant,
            )*
            /// A `custom.<name>` kind; the string is the whole id, including the `custom.` prefix.
            Custom(String),
        }

        impl EvidenceKind {
            /// Every built-in (non-custom) kind, in catalog order.
            pub const BUILT_IN: &'static [EvidenceKind] = &[$(EvidenceKind::$variant,)*];

            /// The string id.
            pub fn as_str(&self) -> &str {
                match self {
                    $(EvidenceKind::$variant => $id,)*
                    EvidenceKind::Custom(s) => s,
                }
            }

            fn built_in(s: &str) -> Option<EvidenceKind> {
                match s {
                    $($id => Some(EvidenceKind::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

kinds! {
    GitCommit => "git.commit",
    GitTag => "git.tag",
    GitBranch => "git.branch",
    DvcStage => "dvc.stage",
    DvcDataset => "dvc.dataset",
    DvcParams => "dvc.params",
    GtoRegistration => "gto.registration",
    GtoStageAssignment => "gto.stage_assignment",
    LfsPointer => "lfs.pointer",
    MlflowRegisteredModel => "mlflow.registered_model",
    MlflowModelVersion => "mlflow.model_version",
    MlflowRun => "mlflow.run",
    OpenlineageRunEvent => "openlineage.run_event",
    IamPrincipal => "iam.principal",
    IamEffectivePermission => "iam.effective_permission",
    K8sRbacBinding => "k8s.rbac_binding",
    ChangeTicket => "change.ticket",
    ChangePullRequest => "change.pull_request",
    Deployment => "deployment",
    AccessReview => "access_review",
    TfResource => "tf.resource",
    VulnFinding => "vuln.finding",
    ModelFileScan => "model.file_scan",
    Incident => "incident",
    DrTest => "dr.test",
    BackupJob => "backup.job",
    DriftReport => "drift.report",
    DatasetSnapshot => "dataset.snapshot",
    DatasetValidation => "dataset.validation",
    PiiScan => "pii.scan",
    PiiTransform => "pii.transform",
    FairnessReport => "fairness.report",
    ModelEvaluation => "model.evaluation",
    GatewayConfig => "gateway.config",
    GatewayAuditBatch => "gateway.audit_batch",
    GatewayAlert => "gateway.alert",
    MonitorAlert => "monitor.alert",
    VendorReview => "vendor.review",
    TrainingRecord => "training.record",
    ManualDocument => "manual.document",
    CheckResult => "check.result",
}

/// The prefix of custom kinds.
pub const CUSTOM_PREFIX: &str = "custom.";

impl EvidenceKind {
    /// Whether this is a `custom.*` kind.
    pub fn is_custom(&self) -> bool {
        matches!(self, EvidenceKind::Custom(_))
    }
}

impl FromStr for EvidenceKind {
    type Err = LedgerError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(k) = EvidenceKind::built_in(s) {
            return Ok(k);
        }
        if let Some(rest) = s.strip_prefix(CUSTOM_PREFIX) {
            let ok = !rest.is_empty()
                && rest
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
            if ok {
                return Ok(EvidenceKind::Custom(s.to_owned()));
            }
        }
        Err(LedgerError::UnknownEvidenceKind { kind: s.to_owned() })
    }
}

impl fmt::Display for EvidenceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for EvidenceKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for EvidenceKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct KindsFile {
        kind: Vec<KindEntry>,
    }
    #[derive(serde::Deserialize)]
    struct KindEntry {
        id: String,
    }

    #[test]
    fn enum_and_catalog_list_the_same_kinds() {
        let text = include_str!("../../catalog/data/evidence-kinds.toml");
        let file: KindsFile = toml::from_str(text).expect("catalog evidence-kinds.toml parses");
        let in_file: Vec<&str> = file.kind.iter().map(|k| k.id.as_str()).collect();
        let in_enum: Vec<&str> = EvidenceKind::BUILT_IN
            .iter()
            .map(EvidenceKind::as_str)
            .collect();
        assert_eq!(
            in_enum, in_file,
            "EvidenceKind and catalog/data/evidence-kinds.toml disagree"
        );
        for id in in_file {
            let k: EvidenceKind = id.parse().expect("catalog kind parses");
            assert!(!k.is_custom());
            assert_eq!(k.to_string(), id);
        }
    }

    #[test]
    fn custom_and_unknown_kinds() {
        let k: EvidenceKind = "custom.soc.thing".parse().expect("custom kind");
        assert_eq!(k, EvidenceKind::Custom("custom.soc.thing".into()));
        assert_eq!(
            serde_json::to_string(&k).expect("ser"),
            "\"custom.soc.thing\""
        );
        for bad in ["git.comit", "custom.", "custom.a b", "", "Git.commit"] {
            match bad.parse::<EvidenceKind>() {
                Err(LedgerError::UnknownEvidenceKind { kind }) => assert_eq!(kind, bad),
                other => panic!("{bad:?} gave {other:?}"),
            }
        }
        let err = serde_json::from_str::<EvidenceKind>("\"nope.kind\"").expect_err("rejected");
        assert!(err.to_string().contains("nope.kind"));
    }
}
