//! The IAM credential report (`aws iam get-credential-report`, base64-decoded CSV): who signs in how.

mod common;

use assay_collect::iam_aws::{AwsIamCollector, AwsIamConfig, parse_credential_report};

const REPORT: &str = include_str!("fixtures/iam-credential-report.csv");

#[test]
fn the_report_is_read_by_header_with_the_root_account() {
    let rows = parse_credential_report(REPORT).expect("parses");
    let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "<root_account>",
            "lena.fischer",
            "omar.haddad",
            "etl-runner"
        ]
    );
    let root = &rows[0];
    assert_eq!((root.kind, root.line), ("root", 2));
    assert!(
        root.console_access && root.mfa_active,
        "not_supported password means root can sign in"
    );
    let omar = &rows[2];
    assert!(omar.console_access && !omar.mfa_active);
    assert_eq!(
        omar.password_last_used.as_deref(),
        Some("2026-05-28T08:15:00+00:00")
    );
    let etl = &rows[3];
    assert!(!etl.console_access);
    assert_eq!(etl.access_keys_active, 2);
    assert_eq!(etl.password_last_used, None, "N/A");
}

#[test]
fn column_order_does_not_matter_and_quoted_fields_are_read() {
    let text = "mfa_active,password_enabled,arn,user\r\nfalse,true,arn:aws:iam::1:user/a,\"a\"\r\ntrue,false,arn:aws:iam::1:user/b,b\r\n";
    let rows = parse_credential_report(text).expect("parses");
    assert_eq!(rows.len(), 2);
    assert!(rows[0].console_access && !rows[0].mfa_active);
    assert_eq!(
        rows[0].access_keys_active, 0,
        "no key columns: none counted"
    );
    assert_eq!(rows[1].line, 3);
}

#[test]
fn malformed_reports_name_the_row() {
    let missing =
        parse_credential_report("user,arn,password_enabled\nu,arn:aws:iam::1:user/u,true\n")
            .expect_err("no mfa column");
    assert!(
        missing.to_string().contains("line 1") && missing.to_string().contains("`mfa_active`"),
        "{missing}"
    );
    let bad = parse_credential_report(
        "user,arn,password_enabled,mfa_active\nu,arn:aws:iam::1:user/u,true,true\nv,arn:aws:iam::1:user/v,true,maybe\n",
    )
    .expect_err("bad flag");
    assert!(
        bad.to_string().contains("line 3")
            && bad.to_string().contains("user v: mfa_active `maybe`"),
        "{bad}"
    );
    let short = parse_credential_report(
        "user,arn,password_enabled,mfa_active\nu,arn:aws:iam::1:user/u,true\n",
    )
    .expect_err("short row");
    assert!(
        short.to_string().contains("line 2") && short.to_string().contains("3 fields"),
        "{short}"
    );
    let dup = parse_credential_report(
        "user,arn,password_enabled,mfa_active\nu,arn:aws:iam::1:user/u,true,true\nu,arn:aws:iam::1:user/u,true,true\n",
    )
    .expect_err("repeat");
    assert!(dup.to_string().contains("line 3"), "{dup}");
    assert!(parse_credential_report("").is_err());
    assert!(
        parse_credential_report("user,arn,password_enabled,mfa_active\nu,not-an-arn,true,true\n")
            .is_err()
    );
}

const EXPORT: &str = r#"{"UserDetailList": [{"UserName": "lena.fischer", "Arn": "arn:aws:iam::210987654321:user/lena.fischer", "GroupList": []}],
 "GroupDetailList": [], "RoleDetailList": [], "Policies": []}"#;

#[test]
fn the_collector_records_one_principal_per_row_and_nothing_from_a_malformed_report() {
    let (dir, mut ledger) = common::workspace(&[
        ("exports/iam.json", EXPORT),
        ("exports/credential-report.csv", REPORT),
    ]);
    let table: toml::Table = toml::from_str(
        r#"
        file = "exports/iam.json"
        credential_report = "exports/credential-report.csv"
        [[asset]]
        asset = "store:raw"
        resource = "arn:aws:s3:::raw/any"
        actions = ["s3:GetObject"]
        "#,
    )
    .expect("toml");
    let collector = AwsIamCollector::new(AwsIamConfig::from_table(&table).expect("config"));
    let first =
        common::collect_at(&collector, &mut ledger, dir.path(), 1_800_000_000).expect("collect");
    assert_eq!((first.items, first.new), (1 + 4, 5));
    assert_eq!(
        common::collect_at(&collector, &mut ledger, dir.path(), 1_800_003_600)
            .expect("again")
            .new,
        0
    );
    let items = ledger
        .list(&assay_ledger::ListFilter {
            kind: Some(assay_ledger::EvidenceKind::IamPrincipal),
            subject: Some("principal:arn:aws:iam::210987654321:user/omar.haddad".into()),
            ..Default::default()
        })
        .expect("list");
    assert_eq!(items.len(), 1);
    let p = &items[0].evidence.payload;
    assert_eq!(p["from"], "credential_report");
    assert_eq!(
        (p["console_access"].clone(), p["mfa_active"].clone()),
        (serde_json::json!(true), serde_json::json!(false))
    );
    assert_eq!(
        items[0].evidence.source.locator,
        "exports/credential-report.csv#arn:aws:iam::210987654321:user/omar.haddad"
    );

    std::fs::write(
        dir.path().join("exports/credential-report.csv"),
        "user,arn,password_enabled,mfa_active\nu,arn:aws:iam::1:user/u,yes,true\n",
    )
    .expect("write");
    let err = common::collect_at(&collector, &mut ledger, dir.path(), 1_800_007_200)
        .expect_err("malformed");
    let t = err.to_string();
    assert!(
        t.contains("[source.aws_iam]")
            && t.contains("exports/credential-report.csv")
            && t.contains("line 2"),
        "{t}"
    );
    assert_eq!(
        ledger.len().expect("len"),
        5,
        "nothing stored from the malformed report"
    );

    let bad: toml::Table = toml::from_str("file = \"x.json\"\ncredential_report = 3\n[[asset]]\nasset = \"a\"\nresource = \"r\"\nactions = []\n").expect("toml");
    let e = AwsIamConfig::from_table(&bad).expect_err("not a path");
    assert!(e.to_string().contains("credential_report"), "{e}");
}
