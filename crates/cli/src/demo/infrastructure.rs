//! Infrastructure as code: the `terraform show -json` state of the production account (buckets with their
//! encryption, public-access, policy and lifecycle settings; the score API's load balancer, listeners and WAF;
//! security groups; the SageMaker model and the research notebook) and the IAM credential report. Planted
//! violations: an SSH rule left open to the internet on the research hub, a research notebook with direct
//! internet access, a curated-features bucket whose policy does not require TLS, and a data scientist who signs
//! in to the console without MFA.

use super::{DemoError, Workspace};

/// `terraform show -json > exports/terraform-state.json`, run by the platform team after each apply.
const TERRAFORM_STATE: &str = r##"{"format_version": "1.0", "terraform_version": "1.9.8", "values": {"root_module": {"resources": [
  {"address": "aws_s3_bucket.raw", "mode": "managed", "type": "aws_s3_bucket", "name": "raw", "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0, "values": {"bucket": "kestrel-raw-transactions", "arn": "arn:aws:s3:::kestrel-raw-transactions", "force_destroy": false, "object_lock_enabled": false, "tags": {"data": "raw-partner-drops", "owner": "data-platform"}}, "sensitive_values": {}},
  {"address": "aws_s3_bucket_server_side_encryption_configuration.raw", "mode": "managed", "type": "aws_s3_bucket_server_side_encryption_configuration", "name": "raw", "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0, "values": {"bucket": "kestrel-raw-transactions", "expected_bucket_owner": "", "rule": [{"apply_server_side_encryption_by_default": [{"kms_master_key_id": "arn:aws:kms:eu-west-1:210987654321:key/5f0c2c4e-8d1b-4d7e-9b1a-6b2f0c3e7a11", "sse_algorithm": "aws:kms"}], "bucket_key_enabled": true}]}, "sensitive_values": {}},
  {"address": "aws_s3_bucket_public_access_block.raw", "mode": "managed", "type": "aws_s3_bucket_public_access_block", "name": "raw", "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0, "values": {"bucket": "kestrel-raw-transactions", "block_public_acls": true, "block_public_policy": true, "ignore_public_acls": true, "restrict_public_buckets": true}, "sensitive_values": {}},
  {"address": "aws_s3_bucket_policy.raw", "mode": "managed", "type": "aws_s3_bucket_policy", "name": "raw", "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0, "values": {"bucket": "kestrel-raw-transactions", "policy": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"DenyInsecureTransport\",\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":[\"arn:aws:s3:::kestrel-raw-transactions\",\"arn:aws:s3:::kestrel-raw-transactions/*\"],\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"false\"}}}]}"}, "sensitive_values": {}},
  {"address": "aws_s3_bucket_lifecycle_configuration.raw", "mode": "managed", "type": "aws_s3_bucket_lifecycle_configuration", "name": "raw", "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0, "values": {"bucket": "kestrel-raw-transactions", "expected_bucket_owner": "", "rule": [{"id": "expire-partner-drops", "status": "Enabled", "filter": [{"prefix": ""}], "expiration": [{"date": null, "days": 90, "expired_object_delete_marker": false}], "noncurrent_version_expiration": [{"newer_noncurrent_versions": null, "noncurrent_days": 7}], "transition": []}]}, "sensitive_values": {}},
  {"address": "aws_s3_bucket.curated", "mode": "managed", "type": "aws_s3_bucket", "name": "curated", "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0, "values": {"bucket": "kestrel-curated-features", "arn": "arn:aws:s3:::kestrel-curated-features", "force_destroy": false, "object_lock_enabled": false, "tags": {"data": "curated-features", "owner": "data-platform"}}, "sensitive_values": {}},
  {"address": "aws_s3_bucket_versioning.curated", "mode": "managed", "type": "aws_s3_bucket_versioning", "name": "curated", "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0, "values": {"bucket": "kestrel-curated-features", "versioning_configuration": [{"mfa_delete": "", "status": "Enabled"}]}, "sensitive_values": {}},
  {"address": "aws_s3_bucket_server_side_encryption_configuration.curated", "mode": "managed", "type": "aws_s3_bucket_server_side_encryption_configuration", "name": "curated", "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0, "values": {"bucket": "kestrel-curated-features", "expected_bucket_owner": "", "rule": [{"apply_server_side_encryption_by_default": [{"kms_master_key_id": "arn:aws:kms:eu-west-1:210987654321:key/5f0c2c4e-8d1b-4d7e-9b1a-6b2f0c3e7a11", "sse_algorithm": "aws:kms"}], "bucket_key_enabled": true}]}, "sensitive_values": {}},
  {"address": "aws_s3_bucket_public_access_block.curated", "mode": "managed", "type": "aws_s3_bucket_public_access_block", "name": "curated", "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0, "values": {"bucket": "kestrel-curated-features", "block_public_acls": true, "block_public_policy": true, "ignore_public_acls": true, "restrict_public_buckets": true}, "sensitive_values": {}},
  {"address": "aws_s3_bucket_policy.curated", "mode": "managed", "type": "aws_s3_bucket_policy", "name": "curated", "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0, "values": {"bucket": "kestrel-curated-features", "policy": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"TrainingRead\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::210987654321:role/sagemaker-training\"},\"Action\":[\"s3:GetObject\",\"s3:ListBucket\"],\"Resource\":[\"arn:aws:s3:::kestrel-curated-features\",\"arn:aws:s3:::kestrel-curated-features/*\"]}]}"}, "sensitive_values": {}},
  {"address": "aws_lb.score_api", "mode": "managed", "type": "aws_lb", "name": "score_api", "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0, "values": {"name": "score-api", "arn": "arn:aws:elasticloadbalancing:eu-west-1:210987654321:loadbalancer/app/score-api/7d3f9c2a1b4e5f60", "internal": false, "load_balancer_type": "application", "drop_invalid_header_fields": true, "enable_deletion_protection": true, "security_groups": ["sg-0c41d2e3f4a5b6001"], "subnets": ["subnet-0a11b22c33d44e501", "subnet-0a11b22c33d44e502"]}, "sensitive_values": {}},
  {"address": "aws_lb_listener.score_api_https", "mode": "managed", "type": "aws_lb_listener", "name": "score_api_https", "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0, "values": {"arn": "arn:aws:elasticloadbalancing:eu-west-1:210987654321:listener/app/score-api/7d3f9c2a1b4e5f60/9e8d7c6b5a4f3e21", "load_balancer_arn": "arn:aws:elasticloadbalancing:eu-west-1:210987654321:loadbalancer/app/score-api/7d3f9c2a1b4e5f60", "port": 443, "protocol": "HTTPS", "ssl_policy": "ELBSecurityPolicy-TLS13-1-2-2021-06", "certificate_arn": "arn:aws:acm:eu-west-1:210987654321:certificate/0b7e4f2a-1c3d-4e5f-8a9b-0c1d2e3f4a5b", "default_action": [{"type": "forward", "order": 1, "redirect": [], "target_group_arn": "arn:aws:elasticloadbalancing:eu-west-1:210987654321:targetgroup/score-api/4a5b6c7d8e9f0a1b"}]}, "sensitive_values": {}},
  {"address": "aws_lb_listener.score_api_http", "mode": "managed", "type": "aws_lb_listener", "name": "score_api_http", "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0, "values": {"arn": "arn:aws:elasticloadbalancing:eu-west-1:210987654321:listener/app/score-api/7d3f9c2a1b4e5f60/1f2e3d4c5b6a7980", "load_balancer_arn": "arn:aws:elasticloadbalancing:eu-west-1:210987654321:loadbalancer/app/score-api/7d3f9c2a1b4e5f60", "port": 80, "protocol": "HTTP", "ssl_policy": "", "certificate_arn": null, "default_action": [{"type": "redirect", "order": 1, "redirect": [{"host": "#{host}", "path": "/#{path}", "port": "443", "protocol": "HTTPS", "query": "#{query}", "status_code": "HTTP_301"}], "target_group_arn": ""}]}, "sensitive_values": {}},
  {"address": "aws_wafv2_web_acl.score_api", "mode": "managed", "type": "aws_wafv2_web_acl", "name": "score_api", "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0, "values": {"name": "score-api", "arn": "arn:aws:wafv2:eu-west-1:210987654321:regional/webacl/score-api/3c1e9a52-7b44-4d8e-a0f1-2b9d6c4e8f10", "scope": "REGIONAL", "rule": [{"name": "per-key-rate", "priority": 1, "action": [{"block": [{}]}], "statement": [{"rate_based_statement": [{"aggregate_key_type": "IP", "limit": 2000}]}]}]}, "sensitive_values": {}},
  {"address": "aws_wafv2_web_acl_association.score_api", "mode": "managed", "type": "aws_wafv2_web_acl_association", "name": "score_api", "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0, "values": {"id": "arn:aws:wafv2:eu-west-1:210987654321:regional/webacl/score-api/3c1e9a52-7b44-4d8e-a0f1-2b9d6c4e8f10,arn:aws:elasticloadbalancing:eu-west-1:210987654321:loadbalancer/app/score-api/7d3f9c2a1b4e5f60", "resource_arn": "arn:aws:elasticloadbalancing:eu-west-1:210987654321:loadbalancer/app/score-api/7d3f9c2a1b4e5f60", "web_acl_arn": "arn:aws:wafv2:eu-west-1:210987654321:regional/webacl/score-api/3c1e9a52-7b44-4d8e-a0f1-2b9d6c4e8f10"}, "sensitive_values": {}},
  {"address": "aws_security_group.score_api_lb", "mode": "managed", "type": "aws_security_group", "name": "score_api_lb", "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0, "values": {"id": "sg-0c41d2e3f4a5b6001", "name": "score-api-lb", "vpc_id": "vpc-0e5d4c3b2a1f09876", "description": "Score API load balancer", "ingress": [{"cidr_blocks": ["0.0.0.0/0"], "description": "HTTPS", "from_port": 443, "ipv6_cidr_blocks": ["::/0"], "prefix_list_ids": [], "protocol": "tcp", "security_groups": [], "self": false, "to_port": 443}, {"cidr_blocks": ["0.0.0.0/0"], "description": "HTTP, redirected to HTTPS", "from_port": 80, "ipv6_cidr_blocks": ["::/0"], "prefix_list_ids": [], "protocol": "tcp", "security_groups": [], "self": false, "to_port": 80}], "egress": [{"cidr_blocks": ["10.40.0.0/16"], "description": "model servers", "from_port": 8080, "ipv6_cidr_blocks": [], "prefix_list_ids": [], "protocol": "tcp", "security_groups": [], "self": false, "to_port": 8080}]}, "sensitive_values": {}},
  {"address": "aws_security_group.serving", "mode": "managed", "type": "aws_security_group", "name": "serving", "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0, "values": {"id": "sg-0c41d2e3f4a5b6002", "name": "score-api-serving", "vpc_id": "vpc-0e5d4c3b2a1f09876", "description": "SageMaker endpoint containers", "ingress": [{"cidr_blocks": ["10.40.0.0/16"], "description": "from the load balancer", "from_port": 8080, "ipv6_cidr_blocks": [], "prefix_list_ids": [], "protocol": "tcp", "security_groups": [], "self": false, "to_port": 8080}], "egress": [{"cidr_blocks": ["10.40.0.0/16"], "description": "VPC endpoints", "from_port": 443, "ipv6_cidr_blocks": [], "prefix_list_ids": [], "protocol": "tcp", "security_groups": [], "self": false, "to_port": 443}]}, "sensitive_values": {}},
  {"address": "aws_security_group.research_hub", "mode": "managed", "type": "aws_security_group", "name": "research_hub", "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0, "values": {"id": "sg-0c41d2e3f4a5b6003", "name": "research-hub", "vpc_id": "vpc-0e5d4c3b2a1f09876", "description": "JupyterHub for the research team", "ingress": [], "egress": []}, "sensitive_values": {}},
  {"address": "aws_vpc_security_group_ingress_rule.research_hub_ssh", "mode": "managed", "type": "aws_vpc_security_group_ingress_rule", "name": "research_hub_ssh", "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0, "values": {"id": "sgr-0a9b8c7d6e5f40001", "security_group_id": "sg-0c41d2e3f4a5b6003", "description": "temporary debug access", "ip_protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_ipv4": "0.0.0.0/0", "cidr_ipv6": null}, "sensitive_values": {}},
  {"address": "aws_vpc_security_group_egress_rule.research_hub_all", "mode": "managed", "type": "aws_vpc_security_group_egress_rule", "name": "research_hub_all", "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0, "values": {"id": "sgr-0a9b8c7d6e5f40002", "security_group_id": "sg-0c41d2e3f4a5b6003", "description": "package mirrors", "ip_protocol": "-1", "from_port": null, "to_port": null, "cidr_ipv4": "0.0.0.0/0", "cidr_ipv6": null}, "sensitive_values": {}},
  {"address": "aws_sagemaker_model.fraud_scorer", "mode": "managed", "type": "aws_sagemaker_model", "name": "fraud_scorer", "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0, "values": {"name": "fraud-scorer-1-4-0", "arn": "arn:aws:sagemaker:eu-west-1:210987654321:model/fraud-scorer-1-4-0", "enable_network_isolation": true, "execution_role_arn": "arn:aws:iam::210987654321:role/sagemaker-serving", "primary_container": [{"image": "210987654321.dkr.ecr.eu-west-1.amazonaws.com/fraud-scorer:1.4.0", "model_data_url": "s3://kestrel-models/fraud-scorer/1.4.0/model.tar.gz", "mode": "SingleModel"}], "vpc_config": [{"security_group_ids": ["sg-0c41d2e3f4a5b6002"], "subnets": ["subnet-0a11b22c33d44e511", "subnet-0a11b22c33d44e512"]}]}, "sensitive_values": {}},
  {"address": "aws_sagemaker_notebook_instance.research", "mode": "managed", "type": "aws_sagemaker_notebook_instance", "name": "research", "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0, "values": {"name": "research-hub-gpu", "arn": "arn:aws:sagemaker:eu-west-1:210987654321:notebook-instance/research-hub-gpu", "instance_type": "ml.g5.xlarge", "direct_internet_access": "Enabled", "subnet_id": "subnet-0a11b22c33d44e521", "security_groups": ["sg-0c41d2e3f4a5b6003"], "role_arn": "arn:aws:iam::210987654321:role/research-notebooks", "kms_key_id": "arn:aws:kms:eu-west-1:210987654321:key/5f0c2c4e-8d1b-4d7e-9b1a-6b2f0c3e7a11"}, "sensitive_values": {}},
  {"address": "aws_vpc_endpoint.s3", "mode": "managed", "type": "aws_vpc_endpoint", "name": "s3", "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0, "values": {"id": "vpce-0f1e2d3c4b5a69870", "service_name": "com.amazonaws.eu-west-1.s3", "vpc_endpoint_type": "Gateway", "vpc_id": "vpc-0e5d4c3b2a1f09876", "route_table_ids": ["rtb-0d1c2b3a4f5e60001"], "policy": ""}, "sensitive_values": {}}
]}}}
"##;

/// `aws iam get-credential-report --query Content --output text | base64 -d`.
pub(super) const CREDENTIAL_REPORT: &str = "\
user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated
<root_account>,arn:aws:iam::210987654321:root,2024-05-02T08:11:42+00:00,not_supported,2026-03-14T09:30:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A
maya.chen,arn:aws:iam::210987654321:user/maya.chen,2024-09-02T09:00:00+00:00,true,2026-05-29T08:02:00+00:00,2026-02-02T09:00:00+00:00,N/A,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A
omar.haddad,arn:aws:iam::210987654321:user/omar.haddad,2025-01-13T09:00:00+00:00,true,2026-05-28T14:45:00+00:00,2025-01-13T09:04:00+00:00,N/A,false,true,2025-01-13T09:10:00+00:00,2026-05-28T15:00:00+00:00,eu-west-1,sagemaker,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A
lena.fischer,arn:aws:iam::210987654321:user/lena.fischer,2024-06-03T09:00:00+00:00,true,2026-05-30T07:40:00+00:00,2026-01-20T09:00:00+00:00,N/A,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A
sofia.rossi,arn:aws:iam::210987654321:user/sofia.rossi,2024-06-03T09:00:00+00:00,true,2026-05-27T11:20:00+00:00,2026-03-03T09:00:00+00:00,N/A,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A
";

/// Exports observed at their modification time, which `assay demo` sets to the demo's clock.
pub const PINNED: &[&str] = &[
    "exports/terraform-state.json",
    "exports/credential-report.csv",
];

pub fn build(ws: &mut Workspace) -> Result<(), DemoError> {
    ws.file("exports/terraform-state.json", TERRAFORM_STATE)?;
    ws.file("exports/credential-report.csv", CREDENTIAL_REPORT)?;
    ws.describe(
        r#"
# ── Evidence sources: infrastructure as code ─────────────────────────────────────────────────

# `terraform show -json` of the production state; resources that stand for components are mapped to them.
[source.terraform]
files = ["exports/terraform-state.json"]

[source.terraform.assets]
"aws_s3_bucket.raw" = "store:raw-transactions"
"aws_s3_bucket.curated" = "store:curated-features"
"aws_lb.score_api" = "service:score-api"
"aws_sagemaker_model.fraud_scorer" = "service:score-api"
"aws_sagemaker_notebook_instance.research" = "sandbox:research-hub"
"#,
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_and_the_report_parse_with_the_planted_findings() {
        let doc = assay_collect::terraform::parse_show(TERRAFORM_STATE).expect("state");
        assert_eq!(doc.resources.len(), 15);
        let fact = |address: &str, key: &str| {
            doc.resources
                .iter()
                .find(|r| r.address == address)
                .map(|r| r.facts[key].clone())
                .unwrap_or_default()
        };
        assert_eq!(
            fact("aws_s3_bucket.raw", "tls_only"),
            serde_json::json!(true)
        );
        assert_eq!(
            fact("aws_s3_bucket.raw", "expiration_days"),
            serde_json::json!(90)
        );
        assert_eq!(
            fact("aws_s3_bucket.curated", "tls_only"),
            serde_json::json!(false)
        );
        assert_eq!(
            fact(
                "aws_vpc_security_group_ingress_rule.research_hub_ssh",
                "internet_ingress"
            ),
            serde_json::json!(true)
        );
        assert_eq!(
            fact(
                "aws_sagemaker_notebook_instance.research",
                "network_isolation"
            ),
            serde_json::json!(false)
        );
        let report =
            assay_collect::iam_aws::parse_credential_report(CREDENTIAL_REPORT).expect("report");
        let no_mfa: Vec<&str> = report
            .iter()
            .filter(|c| c.console_access && !c.mfa_active)
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(no_mfa, ["omar.haddad"]);
    }
}
