//! Realistic `terraform show -json` output (a plan with child modules, a state) and an HPA manifest.

mod common;

use assay_collect::terraform::{TfResource, parse_hpa_manifests, parse_show};
use serde_json::json;

const PLAN: &str = include_str!("fixtures/tf-plan.json");
const STATE: &str = include_str!("fixtures/tf-state.json");
const HPA: &str = include_str!("fixtures/hpa.yaml");

fn by<'a>(rs: &'a [TfResource], address: &str) -> &'a TfResource {
    rs.iter()
        .find(|r| r.address == address)
        .unwrap_or_else(|| panic!("{address} missing"))
}

#[test]
fn a_plan_with_child_modules_is_normalised() {
    let doc = parse_show(PLAN).expect("plan parses");
    assert_eq!(doc.form, "plan");
    assert_eq!(doc.terraform_version.as_deref(), Some("1.9.5"));
    let addrs: Vec<&str> = doc.resources.iter().map(|r| r.address.as_str()).collect();
    // Companion bucket resources are folded into their bucket; data sources are not resources.
    assert_eq!(
        addrs,
        vec![
            "aws_kms_key.training",
            "aws_kms_key.logs",
            "aws_api_gateway_usage_plan.scoring",
            "aws_wafv2_web_acl.scoring",
            "aws_lb_listener.https",
            "module.data.aws_s3_bucket.curated",
            "module.data.aws_s3_bucket.scratch",
            "module.serving.aws_appautoscaling_target.fraud",
            "module.serving.aws_sagemaker_endpoint_configuration.fraud",
            "module.serving.aws_backup_plan.models",
        ]
    );
    let curated = by(&doc.resources, "module.data.aws_s3_bucket.curated");
    assert_eq!(curated.category, "storage_bucket");
    assert_eq!(curated.module, "module.data");
    assert_eq!(curated.facts["versioning"], json!(true));
    assert_eq!(curated.facts["object_lock"], json!(true));
    assert_eq!(curated.facts["encryption"], json!("aws:kms"));
    assert_eq!(curated.facts["public_access_blocked"], json!(true));
    assert_eq!(
        curated.from.len(),
        3,
        "joined through configuration references"
    );
    let scratch = by(&doc.resources, "module.data.aws_s3_bucket.scratch");
    assert_eq!(scratch.facts["versioning"], json!(false));
    assert_eq!(scratch.facts["encryption"], json!(null));
    assert_eq!(scratch.facts["public_access_blocked"], json!(false));
    assert_eq!(scratch.facts["public_access_block"], json!(null));

    assert_eq!(
        by(&doc.resources, "aws_kms_key.training").facts["rotation"],
        json!(true)
    );
    assert_eq!(
        by(&doc.resources, "aws_kms_key.logs").facts["rotation"],
        json!(false)
    );
    let plan = by(&doc.resources, "aws_api_gateway_usage_plan.scoring");
    assert_eq!(
        (
            plan.facts["rate_limit"].clone(),
            plan.facts["throttled"].clone()
        ),
        (json!(100), json!(true))
    );
    assert_eq!(plan.facts["quota_limit"], json!(1000000));
    let waf = by(&doc.resources, "aws_wafv2_web_acl.scoring");
    assert_eq!(
        waf.facts["rate_rules"],
        json!([{"name": "per-ip-rate", "limit": 2000, "aggregate_key_type": "IP"}])
    );
    assert_eq!(
        by(&doc.resources, "aws_lb_listener.https").facts["tls"],
        json!(true)
    );
    let asg = by(
        &doc.resources,
        "module.serving.aws_appautoscaling_target.fraud",
    );
    assert_eq!(
        (asg.facts["service"].clone(), asg.facts["headroom"].clone()),
        (json!("sagemaker"), json!(true))
    );
    let ep = by(
        &doc.resources,
        "module.serving.aws_sagemaker_endpoint_configuration.fraud",
    );
    assert_eq!(ep.facts["kms_key"], json!(null));
    assert_eq!(ep.facts["data_capture"], json!(true));
    let backup = by(&doc.resources, "module.serving.aws_backup_plan.models");
    assert_eq!(backup.facts["daily"], json!(true));
    assert_eq!(backup.facts["rules"][0]["delete_after_days"], json!(35));
}

#[test]
fn a_state_joins_by_bucket_name_and_reads_legacy_inline_blocks() {
    let doc = parse_show(STATE).expect("state parses");
    assert_eq!(doc.form, "state");
    let legacy = by(&doc.resources, "aws_s3_bucket.legacy");
    // The separate versioning resource (Suspended) wins over the inline block.
    assert_eq!(legacy.facts["versioning"], json!(false));
    assert_eq!(
        legacy.from,
        vec!["aws_s3_bucket_versioning.legacy_by_name".to_owned()]
    );
    assert_eq!(legacy.facts["encryption"], json!("AES256"));
    let gcs = by(&doc.resources, "google_storage_bucket.features");
    assert_eq!(gcs.facts["encryption"], json!("google-kms"));
    assert_eq!(gcs.facts["public_access_blocked"], json!(true));
    assert_eq!(
        by(&doc.resources, "google_kms_crypto_key.features").facts["rotation"],
        json!(true)
    );
    let asg = by(&doc.resources, "aws_autoscaling_group.gateway");
    assert_eq!(
        asg.facts["headroom"],
        json!(false),
        "min = max leaves no room to scale"
    );
}

#[test]
fn hpa_manifests_are_autoscaling_resources() {
    let rs = parse_hpa_manifests(HPA).expect("parses");
    assert_eq!(rs.len(), 1);
    assert_eq!(
        rs[0].address,
        "k8s:serving/HorizontalPodAutoscaler/fraud-api"
    );
    assert_eq!(rs[0].facts["target"], json!("Deployment/fraud-api"));
    assert_eq!(
        (rs[0].facts["min"].clone(), rs[0].facts["max"].clone()),
        (json!(2), json!(12))
    );
}

#[test]
fn malformed_output_names_the_place() {
    let e = parse_show(
        "{\"planned_values\": {\"root_module\": {\"resources\": [{\"address\": \"a.b\"}]}}}",
    )
    .expect_err("no type");
    assert!(
        e.to_string()
            .contains("planned_values.root_module.resources[0]")
            && e.to_string().contains("`type`"),
        "{e}"
    );
    let e = parse_show("{\"resource_changes\": []}").expect_err("neither");
    assert!(e.to_string().contains("planned_values"), "{e}");
    let e = parse_show("{\n\"values\": }").expect_err("syntax");
    assert!(e.to_string().contains("line 2"), "{e}");
    assert!(
        parse_show("{\"format_version\": \"1.0\"}")
            .expect("empty state")
            .resources
            .is_empty()
    );
}

#[test]
fn the_collector_is_idempotent_and_stores_nothing_from_a_malformed_file() {
    use assay_collect::terraform::{TerraformCollector, TerraformConfig};
    let (dir, mut ledger) = common::workspace(&[
        ("exports/plan.json", PLAN),
        ("exports/state.json", STATE),
        ("exports/hpa.yaml", HPA),
    ]);
    let table: toml::Table = toml::from_str(
        r#"
        files = ["exports/plan.json", "exports/state.json"]
        manifests = ["exports/hpa.yaml"]
        [assets]
        "module.data.aws_s3_bucket.curated" = "dataset:curated-training"
        "#,
    )
    .expect("toml");
    let collector = TerraformCollector::new(TerraformConfig::from_table(&table).expect("config"));
    let run = |ledger: &mut assay_ledger::Ledger, at: i64| {
        common::collect_at(&collector, ledger, dir.path(), at)
    };
    let first = run(&mut ledger, 1_800_000_000).expect("collect");
    assert_eq!((first.items, first.new), (10 + 4 + 1, 15));
    assert_eq!(run(&mut ledger, 1_800_003_600).expect("again").new, 0);
    let items = ledger
        .list(&assay_ledger::ListFilter {
            kind: Some(assay_ledger::EvidenceKind::TfResource),
            subject: Some("dataset:curated-training".into()),
            ..Default::default()
        })
        .expect("list");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].evidence.payload["form"], "plan");
    assert_eq!(
        items[0].evidence.source.locator,
        "exports/plan.json#module.data.aws_s3_bucket.curated"
    );

    std::fs::write(
        dir.path().join("exports/hpa.yaml"),
        "kind: HorizontalPodAutoscaler\nmetadata: {}\n",
    )
    .expect("write");
    let err = run(&mut ledger, 1_800_007_200).expect_err("malformed");
    let t = err.to_string();
    assert!(
        t.contains("[source.terraform]")
            && t.contains("exports/hpa.yaml")
            && t.contains("metadata.name"),
        "{t}"
    );
    assert_eq!(
        ledger.len().expect("len"),
        15,
        "nothing stored from the malformed file"
    );
}

const NET_STATE: &str = include_str!("fixtures/tf-network-state.json");
const NET_PLAN: &str = include_str!("fixtures/tf-network-plan.json");

#[test]
fn network_rules_waf_associations_and_listeners_are_normalised_from_a_state() {
    let doc = parse_show(NET_STATE).expect("state parses");
    let rs = &doc.resources;
    let lb = by(rs, "aws_lb.api");
    assert_eq!(lb.facts["internal"], json!(false));
    assert!(
        lb.facts["arn"]
            .as_str()
            .is_some_and(|a| a.contains(":loadbalancer/app/score-api/"))
    );
    assert_eq!(lb.facts["security_groups"], json!(["sg-0a1b2c3d4e5f60001"]));
    let http = by(rs, "aws_lb_listener.http");
    assert_eq!(
        (
            http.facts["redirect_https"].clone(),
            http.facts["tls"].clone()
        ),
        (json!(true), json!(false))
    );
    assert_eq!(http.facts["load_balancer"], lb.facts["arn"]);
    let https = by(rs, "aws_lb_listener.https");
    assert_eq!(https.facts["redirect_https"], json!(false));
    assert_eq!(
        https.facts["ssl_policy"],
        json!("ELBSecurityPolicy-2016-08")
    );
    let waf = by(rs, "aws_wafv2_web_acl_association.api");
    assert_eq!(waf.category, "waf_association");
    assert_eq!(waf.facts["resource_arn"], lb.facts["arn"]);
    assert_eq!(
        waf.facts["resource"],
        json!(null),
        "a state names resources by ARN only"
    );

    let sg = by(rs, "aws_security_group.api_lb");
    assert_eq!(sg.category, "network_rule");
    assert_eq!(sg.facts["security_group"], json!("score-api-lb"));
    assert_eq!(sg.facts["security_group_id"], json!("sg-0a1b2c3d4e5f60001"));
    assert_eq!(sg.facts["internet_ingress"], json!(true));
    assert_eq!(sg.facts["internet_egress"], json!(false));
    assert_eq!(
        sg.facts["rules"][0],
        json!({"direction": "ingress", "protocol": "tcp", "from_port": 443, "to_port": 443,
               "cidrs": ["0.0.0.0/0", "::/0"], "open_to_internet": true})
    );
    assert_eq!(sg.facts["rules"].as_array().map(Vec::len), Some(3));
    let all_out = by(rs, "aws_vpc_security_group_egress_rule.training_all");
    assert_eq!(
        all_out.facts["rules"][0],
        json!({"direction": "egress", "protocol": "all", "from_port": 0, "to_port": 65535,
               "cidrs": ["0.0.0.0/0"], "open_to_internet": true}),
        "protocol -1 covers every port"
    );
    assert_eq!(
        all_out.facts["security_group"],
        json!("training-jobs"),
        "joined by group id"
    );
    assert_eq!(
        all_out.facts["security_group_address"],
        json!("aws_security_group.training")
    );
    assert_eq!(all_out.facts["internet_egress"], json!(true));
    assert_eq!(
        all_out.facts["security_group_id"],
        json!("sg-0a1b2c3d4e5f60003"),
        "a model's group ids in a state find the rule"
    );
    let ssh = by(rs, "aws_vpc_security_group_ingress_rule.training_ssh");
    assert_eq!(
        (
            ssh.facts["rules"][0]["from_port"].clone(),
            ssh.facts["internet_ingress"].clone()
        ),
        (json!(22), json!(true))
    );
    let legacy = by(rs, "aws_security_group_rule.legacy_https6");
    assert_eq!(
        legacy.facts["rules"][0]["protocol"],
        json!("tcp"),
        "protocol number 6 is tcp"
    );
    assert_eq!(legacy.facts["rules"][0]["cidrs"], json!(["::/0"]));
}

#[test]
fn bucket_policies_lifecycles_and_ml_compute_are_read_from_a_state() {
    let doc = parse_show(NET_STATE).expect("state parses");
    let rs = &doc.resources;
    let raw = by(rs, "aws_s3_bucket.raw");
    assert_eq!(raw.facts["tls_only"], json!(true));
    assert_eq!(
        raw.facts["expiration_days"],
        json!(90),
        "the disabled 7-day rule and the marker-only rule do not count"
    );
    assert_eq!(
        raw.from,
        vec![
            "aws_s3_bucket_policy.raw".to_owned(),
            "aws_s3_bucket_lifecycle_configuration.raw".to_owned()
        ]
    );
    let curated = by(rs, "aws_s3_bucket.curated");
    assert_eq!(
        curated.facts["tls_only"],
        json!(false),
        "an inline policy without the TLS deny"
    );
    assert_eq!(
        curated.facts["expiration_days"],
        json!(400),
        "pre-v4 inline lifecycle_rule"
    );
    let eval = by(rs, "google_storage_bucket.eval");
    assert_eq!(
        eval.facts["expiration_days"],
        json!(180),
        "only Delete actions expire objects"
    );

    let fraud = by(rs, "aws_sagemaker_model.fraud");
    assert_eq!(fraud.category, "ml_compute");
    assert_eq!(
        (
            fraud.facts["network_isolation"].clone(),
            fraud.facts["vpc"].clone()
        ),
        (json!(true), json!(true))
    );
    assert_eq!(
        fraud.facts["security_groups"],
        json!(["sg-0a1b2c3d4e5f60001"])
    );
    let candidate = by(rs, "aws_sagemaker_model.candidate");
    assert_eq!(candidate.facts["network_isolation"], json!(false));
    let nb = by(rs, "aws_sagemaker_notebook_instance.research");
    assert_eq!(
        (
            nb.facts["network_isolation"].clone(),
            nb.facts["vpc"].clone()
        ),
        (json!(false), json!(false))
    );
    let ep = by(rs, "aws_vpc_endpoint.s3");
    assert_eq!(ep.category, "vpc_endpoint");
    assert_eq!(
        (
            ep.facts["service"].clone(),
            ep.facts["endpoint_type"].clone()
        ),
        (json!("s3"), json!("Gateway"))
    );
}

#[test]
fn a_plan_joins_listeners_associations_rules_and_models_through_references() {
    let doc = parse_show(NET_PLAN).expect("plan parses");
    let rs = &doc.resources;
    assert_eq!(
        by(rs, "module.serving.aws_lb_listener.https").facts["load_balancer"],
        json!("module.serving.aws_lb.api")
    );
    let waf = by(rs, "module.serving.aws_wafv2_web_acl_association.api");
    assert_eq!(waf.facts["resource"], json!("module.serving.aws_lb.api"));
    assert_eq!(
        waf.facts["web_acl"],
        json!("module.serving.aws_wafv2_web_acl.api")
    );
    assert_eq!(
        waf.facts["resource_arn"],
        json!(null),
        "unknown until apply"
    );
    let rule = by(
        rs,
        "module.serving.aws_vpc_security_group_egress_rule.jobs_all",
    );
    assert_eq!(
        rule.facts["security_group_address"],
        json!("module.serving.aws_security_group.jobs")
    );
    assert_eq!(rule.facts["security_group"], json!("training-jobs"));
    let model = by(rs, "module.serving.aws_sagemaker_model.candidate");
    assert_eq!(
        model.facts["security_groups"],
        json!(["module.serving.aws_security_group.jobs"]),
        "nested-block references"
    );
    let raw = by(rs, "module.serving.aws_s3_bucket.raw");
    assert_eq!(raw.facts["expiration_days"], json!(30));
    assert_eq!(
        raw.facts["tls_only"],
        json!(null),
        "a policy whose text is unknown until apply"
    );
}

#[test]
fn malformed_network_values_do_not_panic_and_stay_unknown() {
    let doc = parse_show(
        r#"{"values": {"root_module": {"resources": [
            {"address": "aws_security_group_rule.x", "mode": "managed", "type": "aws_security_group_rule", "name": "x",
             "values": {"type": "ingress", "protocol": 6, "from_port": "22", "to_port": {}, "cidr_blocks": "0.0.0.0/0"}},
            {"address": "aws_s3_bucket_policy.p", "mode": "managed", "type": "aws_s3_bucket_policy", "name": "p",
             "values": {"bucket": "b", "policy": "{not json"}},
            {"address": "aws_s3_bucket.b", "mode": "managed", "type": "aws_s3_bucket", "name": "b", "values": {"bucket": "b"}}
        ]}}}"#,
    )
    .expect("parses");
    let rule = by(&doc.resources, "aws_security_group_rule.x");
    assert_eq!(rule.facts["rules"][0]["protocol"], json!("tcp"));
    assert_eq!(rule.facts["rules"][0]["open_to_internet"], json!(true));
    assert_eq!(rule.facts["security_group"], json!(null));
    assert_eq!(
        by(&doc.resources, "aws_s3_bucket.b").facts["tls_only"],
        json!(null),
        "policy text that is not JSON is unknown"
    );
}
