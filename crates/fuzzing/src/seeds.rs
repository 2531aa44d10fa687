//! The seed corpus of every target, generated here rather than committed as blobs: `fuzz/seeds.sh` writes it
//! under `fuzz/corpus/<target>/` for libFuzzer, and the replay test runs it directly.

use std::sync::Arc;

use assay_ledger::{Evidence, EvidenceKind, Ledger, NoProgress, Source};
use serde_json::json;

use crate::now;

/// Seeds of one target (empty for an unknown name).
pub fn seeds(target: &str) -> Vec<Vec<u8>> {
    let text = |v: &[&str]| v.iter().map(|s| s.as_bytes().to_vec()).collect();
    match target {
        "dvc_yaml" => text(&[
            "stages:\n  train:\n    cmd: python train.py\n    deps:\n      - data/train.csv\n      - train.py\n    params:\n      - lr\n      - params.yaml:\n          - epochs\n    outs:\n      - model.pkl\n",
            "schema: '2.0'\nstages:\n  train:\n    cmd: python train.py\n    deps:\n    - path: data/train.csv\n      md5: 0cc175b9c0f1b6a831c399e269772661\n      size: 1\n    params:\n      params.yaml:\n        lr: 0.01\n        model:\n          depth: 4\n    outs:\n    - path: model.pkl\n      md5: 92eb5ffee6ae2fec3ad71c777531578f\n",
            "outs:\n- md5: d41d8cd98f00b204e9800998ecf8427e.dir\n  size: 0\n  nfiles: 0\n  hash: md5\n  path: data\n",
            "lr: 0.01\nmodel:\n  depth: 4\n  layers: [64, 32]\nanchors: &a {x: 1}\nref: *a\n",
            "line one\r\nline two\r\n",
        ]),
        "gto_tag" => text(&[
            "fraud-scorer@v1.2.3",
            "fraud-scorer@v1.2.3#4",
            "fraud-scorer@v1.2.3!#5",
            "fraud-scorer@deprecated#6",
            "models/fraud-scorer#prod#7",
            "fraud-scorer#staging!#8",
            "fraud-scorer@v1.0.0-rc.1+build.5",
        ]),
        "git_commit" => text(&[
            "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor Dev <dev@example.com> 1700000060 +0000\ncommitter Dev <dev@example.com> 1700000060 +0000\n\nroot\n",
            "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nparent e69de29bb2d1d6434b8b29ae775ad8c2e48c5391\nparent 0123456789abcdef0123456789abcdef01234567\nauthor Zo\u{eb} <z@ex.org> 1 -0230\ncommitter Bot <bot@ci> 99 +1400\n\nmerge \"x\"\n\nbody\ttab\n",
            "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor Dev <dev@example.com> 1700000060 +0000\ncommitter Dev <dev@example.com> 1700000060 +0000\ngpgsig -----BEGIN SSH SIGNATURE-----\n abc\n -----END SSH SIGNATURE-----\n\nsigned\n",
            "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor  <> 5 +0000\ncommitter Dev <dev@example.com> 1700000060 +0000\nencoding ISO-8859-1\n\nm",
        ]),
        "lfs_pointer" => text(&[
            "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n",
            "version https://git-lfs.github.com/spec/v1\next-0-foo sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 0\n",
            "version https://hawser.github.com/spec/v1\noid sha256:0000000000000000000000000000000000000000000000000000000000000000\nsize 18446744073709551615\n",
        ]),
        "openlineage_event" => {
            let ev = openlineage_seed();
            let line = serde_json::to_string(&ev).expect("json");
            vec![
                // odd first byte → JSONL, even → JSON; `{` is 0x7b (odd), `[` is 0x5b (odd) so pad JSON with a space.
                format!("{line}\n{line}\n").into_bytes(),
                format!(" [{line}]").into_bytes(),
                format!(" {line}").into_bytes(),
            ]
        }
        "mlflow_json" => [
            json!({"registered_models": [{"name": "fraud-scorer", "creation_timestamp": 1_700_000_000_000u64,
                "last_updated_timestamp": 1_700_000_100_000u64, "description": "scores transactions",
                "aliases": [{"alias": "champion", "version": "3"}], "tags": [{"key": "team", "value": "risk"}]}]}),
            json!({"model_versions": [{"name": "fraud-scorer", "version": "3", "creation_timestamp": 1_700_000_000_000u64,
                "current_stage": "Production", "source": "mlflow-artifacts:/1/abc/artifacts/model", "run_id": "abc",
                "status": "READY", "aliases": ["champion"], "tags": [{"key": "validated", "value": "true"}]}]}),
            json!({"runs": [{"info": {"run_id": "abc", "experiment_id": "1", "status": "FINISHED",
                "start_time": 1_700_000_000_000u64, "end_time": 1_700_000_050_000u64, "user_id": "dana",
                "artifact_uri": "mlflow-artifacts:/1/abc/artifacts"},
                "data": {"params": [{"key": "lr", "value": "0.01"}], "metrics": [{"key": "auc", "value": 0.91,
                "timestamp": 1_700_000_040_000u64, "step": 0}], "tags": [{"key": "mlflow.source.git.commit",
                "value": "0123456789abcdef0123456789abcdef01234567"}]},
                "inputs": {"dataset_inputs": [{"dataset": {"name": "transactions", "digest": "d1"}}]}}]}),
        ]
        .iter()
        .map(|v| serde_json::to_vec(v).expect("json"))
        .collect(),
        "iam_export" => vec![
            [IAM_EXPORT.as_bytes(), b"\0s3:PutObject arn:aws:s3:::curated/x\nsagemaker:UpdateEndpoint arn:aws:sagemaker:eu-west-1:1:endpoint/prod\n"].concat(),
            b"{\"UserDetailList\":[],\"GroupDetailList\":[],\"RoleDetailList\":[],\"Policies\":[]}".to_vec(),
        ],
        "credential_report" => vec![
            include_bytes!("../../collect/tests/fixtures/iam-credential-report.csv").to_vec(),
            b"mfa_active,arn,user,password_enabled\r\ntrue,arn:aws:iam::1:user/a,\"a\",false\r\n".to_vec(),
        ],
        "iam_policy" => vec![
            [
                br#"{"Version":"2012-10-17","Statement":[{"Sid":"W","Effect":"Allow","Action":["s3:Put*","s3:GetObject"],"Resource":"arn:aws:s3:::curated/*"},{"Effect":"Deny","NotAction":"s3:Get*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}]}"#.as_slice(),
                b"\0s3:Put?bject\ns3:PutObject arn:aws:s3:::curated/a\n",
            ]
            .concat(),
            b"%7B%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22*%22%2C%22Resource%22%3A%22*%22%7D%7D\0*\nanything".to_vec(),
        ],
        "pickle_walk" => pickles(),
        "model_file" => {
            let ext = |name: &str| -> u8 {
                let i = assay_collect::modelscan::MODEL_EXTENSIONS
                    .iter()
                    .position(|e| *e == name)
                    .expect("a known extension");
                u8::try_from(i).expect("few extensions")
            };
            let mut out: Vec<Vec<u8>> = pickles()
                .into_iter()
                .map(|p| [vec![ext("pkl")], p].concat())
                .collect();
            out.push([vec![ext("pt")], zip(&[("archive/data.pkl", &pickles()[0]), ("archive/version", b"3\n")])].concat());
            out.push([vec![ext("safetensors")], safetensors()].concat());
            out
        }
        "source_config" | "scope_toml" => {
            let mut v = text(&[
                "[source.git]\nrepos = [\".\", { path = \"../models\", name = \"models\" }]\n[source.dvc]\n[source.gto]\nrepos = [\".\"]\n[source.lfs]\n",
                "[source.openlineage]\nfiles = [\"events/run.jsonl\"]\n[source.mlflow]\nurl = \"http://127.0.0.1:5000\"\n[source.aws_iam]\nfile = \"exports/iam.json\"\nassets = [{ asset = \"dataset:curated\", resource = \"arn:aws:s3:::curated/any\", actions = [\"s3:PutObject\"] }]\n[source.model_files]\npaths = [\"models\"]\nallow = [\"collections.OrderedDict\"]\n[source.jira]\n",
            ]);
            v.push(assay_scope::init_template("Fraud Scoring API", "Customers send transactions and receive a fraud risk score.").into_bytes());
            v
        }
        "csv" => text(&[
            "id,amount,label,note\n1,12.5,fraud,\"said \"\"hi\"\"\"\n2,,ok,\"multi\nline\"\n3,7,ok,plain\r\n",
            "a\n",
            "x,y\n1,2\n3\n",
        ]),
        "jsonl" => text(&[
            "{\"id\":1,\"amount\":12.5,\"ok\":true}\n{\"id\":2,\"label\":\"fraud\",\"tags\":[1,2]}\n\n{\"id\":3,\"amount\":null}\n",
            "{\"a\":{\"nested\":1}}\r\n[1,2]\n",
        ]),
        "parquet" => vec![parquet_seed()],
        "validation_rules" => text(&[
            "[dataset]\nmin_rows = 2\nmax_rows = 100\nduplicate_window = 3\nmax_duplicate_share = 0.5\n[schema]\ncolumns = [\"id\", \"label\", \"score\", \"email\"]\nexact = true\ntypes = { id = \"integer\", score = \"number\" }\n[[rule]]\ncheck = \"not_null\"\ncolumn = \"label\"\nmax_null_fraction = 0.3\n[[rule]]\ncheck = \"range\"\ncolumn = \"score\"\nmin = 0.0\nmax = 1.0\nmostly = 0.9\n[[rule]]\ncheck = \"in_set\"\ncolumn = \"label\"\nvalues = [\"fraud\", \"ok\"]\n[[rule]]\ncheck = \"unique\"\ncolumn = \"id\"\n[[rule]]\ncheck = \"regex\"\ncolumn = \"email\"\npattern = \"^[^@]+@[^@]+$\"\n[[rule]]\ncheck = \"label_shift\"\ncolumn = \"label\"\nmax_psi = 0.2\n",
            "[[rule]]\ncheck = \"unique\"\ncolumn = \"a\"\n\0a,b\n1,2\n1,3\n",
        ]),
        "drift_config" => text(&[
            "drift_share = 0.5\n[columns.amount]\ntest = \"ks\"\nthreshold = 0.05\n[columns.country]\ntest = \"chi2\"\n[performance]\nmax_drop = 0.05\nmax_error_increase = 0.1\n",
        ]),
        "pii_scan" | "pii_redact" => {
            let base = [
                "name,email,phone,note\nAda,ada@example.com,+44 20 7946 0958,card 4111 1111 1111 1111\n",
                "{\"user\":\"bob@example.org\",\"ip\":\"192.168.10.1\",\"v6\":\"2001:db8::1\",\"iban\":\"GB82WEST12345698765432\"}\n",
                "ssn 123-45-6789 btc 1BoatSLRHtKNngkdXEeobR76b53LETtpyT eth 0x52908400098527886E0F7030069857D2E4169EE7\n",
                "aws AKIAIOSFODNN7EXAMPLE token ghp_abcdefghijklmnopqrstuvwxyz0123456789\n-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n",
            ];
            // pii_redact reads its first byte as the file kind (0 csv, 1 jsonl, 2 text).
            base.iter()
                .enumerate()
                .map(|(i, s)| {
                    if target == "pii_redact" {
                        [vec![u8::try_from(i % 3).expect("small")], s.as_bytes().to_vec()].concat()
                    } else {
                        s.as_bytes().to_vec()
                    }
                })
                .collect()
        }
        "evidence_canonical" | "envelope" => evidence_seeds(),
        "jcs" => text(&[
            "{\"b\":[1,2.5,-0.0,1e21,1e-7,null,true],\"a\":\"\\u00e9\\ud83d\\ude00\\n\",\"€\":{},\"\\u0000\":[]}",
            "[9007199254740993, 18446744073709551615, -9223372036854775808, 5e-324, 1.7976931348623157e308]",
        ]),
        "checkpoint_note" => {
            let cp = assay_ledger::Checkpoint::sign(
                crate::ledger::SEED_KEY_NAME,
                3,
                assay_ledger::Sha256Digest::of(b"root"),
                &crate::ledger::seed_signer(),
            )
            .expect("sign");
            vec![
                cp.text.into_bytes(),
                b"example.com/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\next\n\n\xe2\x80\x94 other AAAAAA==\n".to_vec(),
            ]
        }
        "proof_json" => vec![proof_seed()],
        "rego_cases" => assay_catalog::BUILTIN_POLICIES
            .iter()
            .enumerate()
            .map(|(i, p)| [vec![u8::try_from(i).expect("few policies")], p.cases.as_bytes().to_vec()].concat())
            .collect(),
        "catalog_ids" => text(&["CC6.1", "cc7.2", "PI1.3", "security", "training", "ING-01", "R-DATA-01", "CC9"]),
        "trace_selector" => text(&["fraud-scorer", "fraud-scorer@3", "fraud-scorer:champion", "fraud-scorer#Production", "a@b@c", "m:x#y"]),
        "github_pulls" => text(&[
            r#"[{"number": 212, "state": "closed", "user": {"login": "alice"}, "merged_at": "2026-10-13T15:02:43Z", "merge_commit_sha": "5d1e0c7a9b3f42e8a6c1d0f9e8b7a6c5d4e3f2a1", "merged_by": {"login": "ben"}, "head": {"ref": "q4", "sha": "9a8b7c6d5e4f30211a2b3c4d5e6f708192a3b4c5"}, "base": {"ref": "main", "repo": {"full_name": "acme/api"}}, "title": "Raise pool (CHG-1201)", "reviews": [{"user": {"login": "ben"}, "state": "APPROVED", "submitted_at": "2026-10-13T14:55:12Z", "commit_id": "9a8b7c6d5e4f30211a2b3c4d5e6f708192a3b4c5"}]}]"#,
            r#"{"number": 219, "user": {"login": "omar"}, "merged_at": null, "reviews": []}"#,
        ]),
        "jira_issues" => text(&[
            r#"{"startAt": 0, "maxResults": 50, "total": 1, "issues": [{"id": "1", "key": "CHG-1201", "fields": {"summary": "Raise pool", "issuetype": {"name": "Standard change"}, "status": {"name": "Done"}, "reporter": {"emailAddress": "alice@example.com"}, "created": "2026-10-12T09:30:00.000+0000", "description": "PR https://github.com/acme/api/pull/212", "issuelinks": []}}]}"#,
            r#"{"issues": [], "nextPageToken": "x", "isLast": true}"#,
        ]),
        "deployment_log" => text(&[
            "{\"time\": \"2026-10-14T16:20:00Z\", \"model\": \"fraud-scorer\", \"version\": \"v1.2.0\", \"environment\": \"production\", \"actor\": \"ci\", \"ticket\": \"CHG-1201\", \"commit\": \"5d1e0c7a9b3f42e8a6c1d0f9e8b7a6c5d4e3f2a1\"}\n{\"time\": \"2026-11-25T10:00:00Z\", \"model\": \"fraud-scorer\", \"version\": \"v1.2.0\", \"environment\": \"staging\", \"actor\": \"ci\", \"ticket\": null}\n",
        ]),
        "access_reviews" => text(&[
            "system,reviewer,date,population,removals,period,notes\nregistry:models,lena@example.com,2026-10-08,11,0,2026-Q3,\nstore:curated,sofia@example.com,2026-07-14,14,\"a;b\",2026-Q2,\"quoted, note\"\n",
            r#"[{"system": "registry:models", "reviewer": "lena@example.com", "date": "2026-10-08", "population": 11, "removals": ["x"]}]"#,
        ]),
        "vuln_report" => vec![
            include_bytes!("../../collect/tests/fixtures/vulns/cargo-audit.json").to_vec(),
            include_bytes!("../../collect/tests/fixtures/vulns/npm-audit.json").to_vec(),
            include_bytes!("../../collect/tests/fixtures/vulns/osv-scanner.json").to_vec(),
            include_bytes!("../../collect/tests/fixtures/vulns/pip-audit.json").to_vec(),
        ],
        "gcp_policy" => vec![
            include_bytes!("../../collect/tests/fixtures/gcp-project-iam.json").to_vec(),
            include_bytes!("../../collect/tests/fixtures/gcs-raw-pii-iam.json").to_vec(),
        ],
        "k8s_rbac" => vec![include_bytes!("../../collect/tests/fixtures/k8s-rbac-list.yaml").to_vec()],
        "terraform_show" => vec![
            include_bytes!("../../collect/tests/fixtures/tf-plan.json").to_vec(),
            include_bytes!("../../collect/tests/fixtures/tf-state.json").to_vec(),
            include_bytes!("../../collect/tests/fixtures/tf-network-state.json").to_vec(),
            include_bytes!("../../collect/tests/fixtures/tf-network-plan.json").to_vec(),
            include_bytes!("../../collect/tests/fixtures/hpa.yaml").to_vec(),
        ],
        "incident_records" => vec![
            include_bytes!("../../collect/tests/fixtures/incidents.csv").to_vec(),
            include_bytes!("../../collect/tests/fixtures/restore-tests.json").to_vec(),
            include_bytes!("../../collect/tests/fixtures/backup-jobs.jsonl").to_vec(),
        ],
        _ => Vec::new(),
    }
}

fn openlineage_seed() -> serde_json::Value {
    json!({
        "eventType": "COMPLETE",
        "eventTime": "2026-11-30T10:00:00.000Z",
        "producer": "https://github.com/OpenLineage/OpenLineage/tree/1.0.0/integration/airflow",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": "0192c5a4-6d0e-7c3e-9f4a-2b8d3c1e5f60",
                "facets": {"parent": {"_producer": "https://example.com/p", "_schemaURL": "https://openlineage.io/spec/facets/1-0-0/F.json", "job": {"namespace": "airflow", "name": "dag"},
                           "run": {"runId": "0192c5a4-6d0e-7c3e-9f4a-2b8d3c1e5f61"}}}},
        "job": {"namespace": "airflow", "name": "ingest.transactions",
                "facets": {"sourceCodeLocation": {"_producer": "https://example.com/p", "_schemaURL": "https://openlineage.io/spec/facets/1-0-0/F.json", "type": "git", "url": "https://git.example/etl", "version": "abc"}}},
        "inputs": [{"namespace": "s3://raw", "name": "transactions/2026-11-30.csv", "facets": {}}],
        "outputs": [{"namespace": "s3://curated", "name": "transactions", "facets": {}, "outputFacets": {}}]
    })
}

const IAM_EXPORT: &str = r#"{"UserDetailList":[{"UserName":"dana","Arn":"arn:aws:iam::1:user/dana","GroupList":["ds"],
"AttachedManagedPolicies":[],"UserPolicyList":[{"PolicyName":"bg","PolicyDocument":{"Statement":[{"Effect":"Allow",
"Action":"sagemaker:UpdateEndpoint","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}}]}],
"GroupDetailList":[{"GroupName":"ds","Arn":"arn:aws:iam::1:group/ds","GroupPolicyList":[],"AttachedManagedPolicies":
[{"PolicyName":"w","PolicyArn":"arn:aws:iam::1:policy/w"}]}],"RoleDetailList":[{"RoleName":"deployer","Arn":
"arn:aws:iam::1:role/deployer","RolePolicyList":[],"AttachedManagedPolicies":[{"PolicyName":"w","PolicyArn":
"arn:aws:iam::1:policy/w"}]}],"Policies":[{"PolicyName":"w","Arn":"arn:aws:iam::1:policy/w","PolicyVersionList":[
{"VersionId":"v1","IsDefaultVersion":true,"Document":{"Statement":[{"Effect":"Allow","Action":"s3:Put*","Resource":
"arn:aws:s3:::curated/*"},{"Effect":"Deny","Action":"s3:PutObject","NotResource":"arn:aws:s3:::curated/*"}]}}]}]}"#;

fn pickles() -> Vec<Vec<u8>> {
    // PROTO 2, GLOBAL collections OrderedDict, EMPTY_TUPLE, REDUCE, STOP
    let safe = b"\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01.".to_vec();
    // protocol 0: GLOBAL os system, MARK, STRING, TUPLE, REDUCE, STOP
    let bad = b"cos\nsystem\n(S'echo hi'\ntR.".to_vec();
    // PROTO 4, SHORT_BINUNICODE "os" MEMOIZE, "system" MEMOIZE, STACK_GLOBAL, "x", TUPLE1, REDUCE, STOP
    let mut stack = vec![0x80, 4, 0x8c, 2];
    stack.extend_from_slice(b"os");
    stack.extend_from_slice(&[0x94, 0x8c, 6]);
    stack.extend_from_slice(b"system");
    stack.extend_from_slice(&[0x94, 0x93, 0x8c, 1, b'x', 0x85, 0x52, 0x2e]);
    // Two consecutive pickles, with ints, floats, lists, dicts, a persistent id and an extension code.
    let mut two = b"\x80\x02}q\x00(X\x01\x00\x00\x00aq\x01K\x01X\x01\x00\x00\x00bq\x02G?\xf0\x00\x00\x00\x00\x00\x00u.".to_vec();
    two.extend_from_slice(
        b"\x80\x02]q\x00(J\xff\xff\xff\xffM\x01\x00\x88\x89NeX\x01\x00\x00\x00pQ\x82\x01.",
    );
    vec![safe, bad, stack, two]
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A stored (uncompressed) zip, as `torch.save` writes.
fn zip(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    let u16_of = |n: usize| u16::try_from(n).expect("small").to_le_bytes();
    let u32_of = |n: usize| u32::try_from(n).expect("small").to_le_bytes();
    for (name, data) in members {
        let offset = out.len();
        let crc = crc32(data).to_le_bytes();
        let common = |v: &mut Vec<u8>| {
            v.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // version, flags, method 0, time, date
            v.extend_from_slice(&crc);
            v.extend_from_slice(&u32_of(data.len()));
            v.extend_from_slice(&u32_of(data.len()));
            v.extend_from_slice(&u16_of(name.len()));
            v.extend_from_slice(&[0, 0]); // extra length
        };
        out.extend_from_slice(b"PK\x03\x04");
        common(&mut out);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        central.extend_from_slice(b"PK\x01\x02\x14\x00");
        common(&mut central);
        central.extend_from_slice(&[0; 6]); // comment length, disk, internal attributes
        central.extend_from_slice(&[0; 4]); // external attributes
        central.extend_from_slice(&u32_of(offset));
        central.extend_from_slice(name.as_bytes());
    }
    let cd_offset = out.len();
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06\0\0\0\0");
    out.extend_from_slice(&u16_of(members.len()));
    out.extend_from_slice(&u16_of(members.len()));
    out.extend_from_slice(&u32_of(central.len()));
    out.extend_from_slice(&u32_of(cd_offset));
    out.extend_from_slice(&[0, 0]);
    out
}

fn safetensors() -> Vec<u8> {
    let header =
        br#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"__metadata__":{"format":"pt"}}"#;
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header);
    out.extend_from_slice(&[0; 8]);
    out
}

fn parquet_seed() -> Vec<u8> {
    use arrow_array::{ArrayRef, BooleanArray, Float64Array, Int32Array, RecordBatch, StringArray};
    let x: ArrayRef = Arc::new(Float64Array::from(vec![Some(1.5), None, Some(-3.0)]));
    let n: ArrayRef = Arc::new(Int32Array::from(vec![1, 2, 3]));
    let b: ArrayRef = Arc::new(BooleanArray::from(vec![Some(true), Some(false), None]));
    let s: ArrayRef = Arc::new(StringArray::from(vec![Some("fraud"), None, Some("ok")]));
    let batch =
        RecordBatch::try_from_iter([("x", x), ("n", n), ("b", b), ("s", s)]).expect("batch");
    let mut out = Vec::new();
    let mut w =
        parquet::arrow::ArrowWriter::try_new(&mut out, batch.schema(), None).expect("writer");
    w.write(&batch).expect("write");
    w.close().expect("close");
    out
}

fn evidence(i: u32) -> Evidence {
    Evidence {
        kind: if i.is_multiple_of(2) {
            EvidenceKind::GitCommit
        } else {
            EvidenceKind::OpenlineageRunEvent
        },
        subject: format!("model:fraud-{i}"),
        source: Source {
            collector: "fuzz".into(),
            locator: format!("seed:{i}"),
        },
        observed_at: now(),
        collected_at: now(),
        payload: json!({"n": i, "x": 1.25, "s": "é\u{1F600}", "nested": {"b": [true, null]}}),
        attachments: if i.is_multiple_of(2) {
            vec![assay_ledger::Sha256Digest::of(b"blob")]
        } else {
            Vec::new()
        },
        expires_at: None,
        note: (i % 2 == 1).then(|| "a note".to_owned()),
    }
}

fn evidence_seeds() -> Vec<Vec<u8>> {
    (0..2)
        .map(|i| evidence(i).canonical_bytes().expect("a valid item encodes"))
        .collect()
}

fn proof_seed() -> Vec<u8> {
    // One folder per process and thread: the replay tests generate seeds in parallel.
    let dir = crate::scratch("seed-ledger");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the seed ledger folder");
    let mut ledger = Ledger::init(&dir).expect("init a ledger");
    ledger
        .add_blob(b"blob", assay_ledger::DEFAULT_BLOB_LIMIT)
        .expect("store the attachment");
    let items: Vec<Evidence> = (0..3).map(evidence).collect();
    ledger.append(&items, &mut NoProgress).expect("append");
    ledger
        .checkpoint(
            crate::ledger::SEED_KEY_NAME,
            &crate::ledger::seed_signer(),
            now(),
        )
        .expect("checkpoint");
    let proof = ledger.prove(1).expect("prove");
    drop(ledger);
    let _ = std::fs::remove_dir_all(&dir);
    serde_json::to_vec_pretty(&proof).expect("json")
}
