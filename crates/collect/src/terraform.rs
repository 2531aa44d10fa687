//! Terraform: read `terraform show -json` output — a plan (`planned_values`) or a state (`values`), root module
//! and child modules — and record the resources that carry SOC 2 facts about ML infrastructure, each reduced to
//! normalised `facts` a control can test without knowing provider schemas:
//!
//! | category | resource types | facts |
//! |---|---|---|
//! | `storage_bucket` | `aws_s3_bucket` joined with its `_versioning`, `_server_side_encryption_configuration`, `_public_access_block`, `_object_lock_configuration`; `google_storage_bucket` | `bucket`, `versioning`, `object_lock`, `encryption` (`aws:kms`, `AES256`, `google-kms` or null), `kms_key`, `public_access_blocked`, `public_access_block` |
//! | `api_throttling` | `aws_api_gateway_usage_plan`, `aws_api_gateway_method_settings`, `aws_apigatewayv2_stage` | `rate_limit`, `burst_limit`, `quota_limit`, `throttled` |
//! | `waf` | `aws_wafv2_web_acl` | `rate_rules` (`name`, `limit`), `rate_limited` |
//! | `autoscaling` | `aws_autoscaling_group`, `aws_appautoscaling_target` (SageMaker variants and others), `kubernetes_horizontal_pod_autoscaler(_v2)`, and `HorizontalPodAutoscaler` manifests | `service`, `target`, `min`, `max`, `headroom` (max > min) |
//! | `load_balancer` | `aws_lb`, `aws_alb`, `aws_lb_listener`, `aws_alb_listener` | `lb_type`, `internal`, `protocol`, `port`, `ssl_policy`, `tls` |
//! | `backup_plan` | `aws_backup_plan`, `aws_backup_vault` | `rules` (`name`, `schedule`, `vault`, `delete_after_days`), `daily`, `kms_key` |
//! | `kms_key` | `aws_kms_key`, `google_kms_crypto_key` | `rotation`, `rotation_period`, `deletion_window_days` |
//! | `inference_endpoint` | `aws_sagemaker_endpoint_configuration` | `kms_key`, `variants` (`name`, `instance_type`, `instance_count`), `data_capture` |
//!
//! Other resource types are not recorded. A value unknown until apply (absent from a plan) is `null`, never
//! guessed. In a plan, a bucket's companion resources that name their bucket by reference are joined through
//! the plan's `configuration` references.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::error::CollectError;
use crate::export::{self, malformed};

/// The `[source.NAME]` of Terraform exports.
pub const SOURCE: &str = "terraform";

/// One resource of interest with its normalised facts.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TfResource {
    pub address: String,
    #[serde(rename = "type")]
    pub rtype: String,
    pub name: String,
    /// `module.a.module.b`, empty for the root module.
    pub module: String,
    pub provider: String,
    pub category: &'static str,
    pub facts: Value,
    /// Addresses of companion resources folded into `facts` (bucket settings).
    pub from: Vec<String>,
}

/// The resources of one `terraform show -json` document.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TfDocument {
    /// `plan` or `state`.
    pub form: &'static str,
    pub terraform_version: Option<String>,
    pub resources: Vec<TfResource>,
}

#[derive(Debug, Clone)]
struct Raw {
    address: String,
    rtype: String,
    name: String,
    module: String,
    provider: String,
    values: Value,
}

fn walk(module: &Value, at: &str, out: &mut Vec<Raw>) -> Result<(), CollectError> {
    let module_addr = module
        .get("address")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    if let Some(rs) = module.get("resources") {
        let Some(rs) = rs.as_array() else {
            return Err(malformed(
                SOURCE,
                format!("{at}.resources"),
                "must be a list",
            ));
        };
        for (k, r) in rs.iter().enumerate() {
            let w = format!("{at}.resources[{k}]");
            if r.get("mode").and_then(Value::as_str) == Some("data") {
                continue;
            }
            let field = |key: &str| -> Result<String, CollectError> {
                r.get(key)
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .ok_or_else(|| malformed(SOURCE, &w, format!("has no `{key}`")))
            };
            out.push(Raw {
                address: field("address")?,
                rtype: field("type")?,
                name: field("name")?,
                module: module_addr.clone(),
                provider: r
                    .get("provider_name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                values: r.get("values").cloned().unwrap_or(Value::Null),
            });
        }
    }
    if let Some(cs) = module.get("child_modules") {
        let Some(cs) = cs.as_array() else {
            return Err(malformed(
                SOURCE,
                format!("{at}.child_modules"),
                "must be a list",
            ));
        };
        for (k, c) in cs.iter().enumerate() {
            walk(c, &format!("{at}.child_modules[{k}]"), out)?;
        }
    }
    Ok(())
}

/// A reference written inside module `prefix`, as a full address.
fn qualify(prefix: &str, s: &str) -> String {
    if prefix.is_empty() {
        s.to_owned()
    } else {
        format!("{prefix}.{s}")
    }
}

/// `configuration` references: resource address → attribute → referenced resource addresses.
fn references(config: Option<&Value>) -> BTreeMap<String, BTreeMap<String, Vec<String>>> {
    fn go(m: &Value, prefix: &str, out: &mut BTreeMap<String, BTreeMap<String, Vec<String>>>) {
        for r in m
            .get("resources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(addr) = r.get("address").and_then(Value::as_str) else {
                continue;
            };
            let full = qualify(prefix, addr);
            let mut attrs = BTreeMap::new();
            for (k, e) in r
                .get("expressions")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                let references = |e: &Value| -> Vec<String> {
                    e.get("references")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .map(|s| qualify(prefix, s))
                        .collect()
                };
                attrs.insert(k.clone(), references(e));
                // Nested blocks (`vpc_config { security_group_ids = [...] }`): `block.attribute`.
                for inner in e.as_array().into_iter().flatten() {
                    for (ik, ie) in inner.as_object().into_iter().flatten() {
                        let nested = references(ie);
                        if !nested.is_empty() {
                            attrs.entry(format!("{k}.{ik}")).or_insert(nested);
                        }
                    }
                }
            }
            out.insert(full, attrs);
        }
        for (name, call) in m
            .get("module_calls")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            if let Some(inner) = call.get("module") {
                let p = if prefix.is_empty() {
                    format!("module.{name}")
                } else {
                    format!("{prefix}.module.{name}")
                };
                go(inner, &p, out);
            }
        }
    }
    let mut out = BTreeMap::new();
    if let Some(root) = config.and_then(|c| c.get("root_module")) {
        go(root, "", &mut out);
    }
    out
}

/// The first element of a nested block (Terraform JSON writes blocks as lists of objects).
fn block<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    match v.get(key) {
        Some(Value::Array(a)) => a.first(),
        Some(o @ Value::Object(_)) => Some(o),
        _ => None,
    }
}

fn blocks<'a>(v: &'a Value, key: &str) -> Vec<&'a Value> {
    match v.get(key) {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(o @ Value::Object(_)) => vec![o],
        _ => Vec::new(),
    }
}

fn get(v: Option<&Value>, key: &str) -> Value {
    v.and_then(|x| x.get(key)).cloned().unwrap_or(Value::Null)
}

fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// Parse `terraform show -json` output (plan or state).
pub fn parse_show(json: &str) -> Result<TfDocument, CollectError> {
    let v: Value = serde_json::from_str(json).map_err(|e| {
        malformed(
            SOURCE,
            format!("line {}, column {}", e.line(), e.column()),
            format!("not `terraform show -json` output ({e})"),
        )
    })?;
    let (form, root, at) =
        if let Some(r) = v.get("planned_values").and_then(|p| p.get("root_module")) {
            ("plan", r, "planned_values.root_module")
        } else if let Some(r) = v.get("values").and_then(|p| p.get("root_module")) {
            ("state", r, "values.root_module")
        } else if v.get("format_version").is_some() {
            // An empty state prints only the format version.
            return Ok(TfDocument {
                form: "state",
                terraform_version: v
                    .get("terraform_version")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                resources: Vec::new(),
            });
        } else {
            return Err(malformed(
                SOURCE,
                "line 1",
                "has neither planned_values.root_module (a plan) nor values.root_module (a state)",
            ));
        };
    if !root.is_object() {
        return Err(malformed(SOURCE, at, "must be an object"));
    }
    let mut raws = Vec::new();
    walk(root, at, &mut raws)?;
    let refs = references(v.get("configuration"));
    Ok(TfDocument {
        form,
        terraform_version: v
            .get("terraform_version")
            .and_then(Value::as_str)
            .map(str::to_owned),
        resources: normalise(&raws, &refs),
    })
}

const BUCKET_PARTS: &[&str] = &[
    "aws_s3_bucket_versioning",
    "aws_s3_bucket_server_side_encryption_configuration",
    "aws_s3_bucket_public_access_block",
    "aws_s3_bucket_object_lock_configuration",
    "aws_s3_bucket_policy",
    "aws_s3_bucket_lifecycle_configuration",
];

/// The address of the resource of one of `rtypes` that `attr` of resource `address` refers to in the plan's
/// configuration (`aws_s3_bucket.curated.id` and `aws_s3_bucket.curated` both name `aws_s3_bucket.curated`).
fn referenced(
    raws: &[Raw],
    refs: &BTreeMap<String, BTreeMap<String, Vec<String>>>,
    address: &str,
    attr: &str,
    rtypes: &[&str],
) -> Option<String> {
    referenced_all(raws, refs, address, attr, rtypes)
        .into_iter()
        .next()
}

/// Every resource of one of `rtypes` that `attr` of `address` refers to, in order, without repeats.
fn referenced_all(
    raws: &[Raw],
    refs: &BTreeMap<String, BTreeMap<String, Vec<String>>>,
    address: &str,
    attr: &str,
    rtypes: &[&str],
) -> Vec<String> {
    let is = |a: &str| {
        raws.iter()
            .any(|x| rtypes.contains(&x.rtype.as_str()) && x.address == a)
    };
    let mut out: Vec<String> = Vec::new();
    for t in refs
        .get(address)
        .and_then(|m| m.get(attr))
        .into_iter()
        .flatten()
    {
        let hit = if is(t) {
            Some(t.clone())
        } else {
            t.rsplit_once('.')
                .map(|(base, _)| base)
                .filter(|b| is(b))
                .map(str::to_owned)
        };
        if let Some(h) = hit
            && !out.contains(&h)
        {
            out.push(h);
        }
    }
    out
}

fn normalise(
    raws: &[Raw],
    refs: &BTreeMap<String, BTreeMap<String, Vec<String>>>,
) -> Vec<TfResource> {
    // Which bucket a companion resource configures: its `bucket` value, else the bucket it references.
    let bucket_of = |r: &Raw| -> Option<String> {
        if let Some(b) = r.values.get("bucket").and_then(Value::as_str) {
            return Some(format!("name:{b}"));
        }
        referenced(raws, refs, &r.address, "bucket", &["aws_s3_bucket"])
            .map(|a| format!("addr:{a}"))
    };
    let mut out = Vec::new();
    for r in raws {
        let v = &r.values;
        let (category, facts, from): (&'static str, Value, Vec<String>) = match r.rtype.as_str() {
            "aws_s3_bucket" => {
                let name = v.get("bucket").and_then(Value::as_str).map(str::to_owned);
                let parts: Vec<&Raw> = raws
                    .iter()
                    .filter(|p| BUCKET_PARTS.contains(&p.rtype.as_str()))
                    .filter(|p| {
                        let b = bucket_of(p);
                        b.as_deref() == Some(&format!("addr:{}", r.address))
                            || (name.is_some()
                                && b.as_deref()
                                    == name.as_ref().map(|n| format!("name:{n}")).as_deref())
                    })
                    .collect();
                let part = |t: &str| parts.iter().find(|p| p.rtype == t).map(|p| &p.values);
                // Versioning: the separate resource, else the pre-v4 inline block.
                let versioning = match part("aws_s3_bucket_versioning") {
                    Some(pv) => block(pv, "versioning_configuration")
                        .and_then(|b| b.get("status"))
                        .and_then(Value::as_str)
                        .map(|s| json!(s == "Enabled"))
                        .unwrap_or(Value::Null),
                    None => block(v, "versioning")
                        .and_then(|b| b.get("enabled"))
                        .cloned()
                        .unwrap_or(json!(false)),
                };
                let sse_src = part("aws_s3_bucket_server_side_encryption_configuration")
                    .or_else(|| block(v, "server_side_encryption_configuration"));
                let sse = sse_src
                    .and_then(|s| block(s, "rule"))
                    .and_then(|r| block(r, "apply_server_side_encryption_by_default"));
                let lock = part("aws_s3_bucket_object_lock_configuration").is_some()
                    || v.get("object_lock_enabled").and_then(Value::as_bool) == Some(true)
                    || block(v, "object_lock_configuration")
                        .and_then(|b| b.get("object_lock_enabled"))
                        .and_then(Value::as_str)
                        == Some("Enabled");
                let pab = part("aws_s3_bucket_public_access_block");
                let flags = [
                    "block_public_acls",
                    "block_public_policy",
                    "ignore_public_acls",
                    "restrict_public_buckets",
                ];
                let pab_facts: serde_json::Map<String, Value> = flags
                    .iter()
                    .map(|f| ((*f).to_owned(), get(pab, f)))
                    .collect();
                let blocked =
                    pab.is_some() && flags.iter().all(|f| get(pab, f).as_bool() == Some(true));
                // The bucket policy: the separate resource, else the pre-v4 inline attribute.
                let policy = part("aws_s3_bucket_policy")
                    .map(|p| get(Some(p), "policy"))
                    .or_else(|| v.get("policy").filter(|p| !is_blank(p)).cloned());
                let tls = match &policy {
                    None => json!(false),
                    Some(p) => denies_plain_http(p),
                };
                // Lifecycle: the separate resource's rules, else the pre-v4 inline `lifecycle_rule` blocks.
                let expiration = match part("aws_s3_bucket_lifecycle_configuration") {
                    Some(lc) => min_days(blocks(lc, "rule").into_iter().filter_map(|r| {
                        (r.get("status").and_then(Value::as_str) == Some("Enabled"))
                            .then(|| {
                                block(r, "expiration")
                                    .and_then(|x| x.get("days"))
                                    .and_then(num)
                            })
                            .flatten()
                    })),
                    None => min_days(blocks(v, "lifecycle_rule").into_iter().filter_map(|r| {
                        (r.get("enabled").and_then(Value::as_bool) == Some(true))
                            .then(|| {
                                block(r, "expiration")
                                    .and_then(|x| x.get("days"))
                                    .and_then(num)
                            })
                            .flatten()
                    })),
                };
                (
                    "storage_bucket",
                    json!({
                        "provider": "aws",
                        "bucket": name,
                        "versioning": versioning,
                        "object_lock": lock,
                        "encryption": get(sse, "sse_algorithm"),
                        "kms_key": get(sse, "kms_master_key_id"),
                        "public_access_blocked": blocked,
                        "public_access_block": if pab.is_some() { Value::Object(pab_facts) } else { Value::Null },
                        "tls_only": tls,
                        "expiration_days": expiration,
                    }),
                    parts.iter().map(|p| p.address.clone()).collect(),
                )
            }
            "google_storage_bucket" => {
                let kms = get(block(v, "encryption"), "default_kms_key_name");
                (
                    "storage_bucket",
                    json!({
                        "provider": "gcp",
                        "bucket": v.get("name"),
                        "versioning": get(block(v, "versioning"), "enabled").as_bool().unwrap_or(false),
                        "object_lock": get(block(v, "retention_policy"), "is_locked").as_bool().unwrap_or(false),
                        "encryption": if kms.is_null() { json!("google-managed") } else { json!("google-kms") },
                        "kms_key": kms,
                        "public_access_blocked": v.get("public_access_prevention").and_then(Value::as_str) == Some("enforced"),
                        "uniform_bucket_level_access": v.get("uniform_bucket_level_access"),
                        "expiration_days": min_days(blocks(v, "lifecycle_rule").into_iter().filter_map(|r| {
                            let deletes = get(block(r, "action"), "type").as_str() == Some("Delete");
                            deletes.then(|| get(block(r, "condition"), "age")).as_ref().and_then(num)
                        })),
                    }),
                    Vec::new(),
                )
            }
            "aws_api_gateway_usage_plan" => {
                let t = block(v, "throttle_settings");
                let q = block(v, "quota_settings");
                let rate = get(t, "rate_limit");
                (
                    "api_throttling",
                    json!({
                        "scope": "usage_plan",
                        "stages": blocks(v, "api_stages").iter().map(|s| json!({"api_id": s.get("api_id"), "stage": s.get("stage")})).collect::<Vec<_>>(),
                        "rate_limit": rate, "burst_limit": get(t, "burst_limit"),
                        "quota_limit": get(q, "limit"), "quota_period": get(q, "period"),
                        "throttled": num(&rate).is_some_and(|x| x > 0.0),
                    }),
                    Vec::new(),
                )
            }
            "aws_api_gateway_method_settings" => {
                let s = block(v, "settings");
                let rate = get(s, "throttling_rate_limit");
                (
                    "api_throttling",
                    json!({
                        "scope": "stage", "stage": v.get("stage_name"), "method": v.get("method_path"),
                        "rate_limit": rate, "burst_limit": get(s, "throttling_burst_limit"), "quota_limit": null,
                        "throttled": num(&rate).is_some_and(|x| x > 0.0),
                    }),
                    Vec::new(),
                )
            }
            "aws_apigatewayv2_stage" => {
                let s = block(v, "default_route_settings");
                let rate = get(s, "throttling_rate_limit");
                (
                    "api_throttling",
                    json!({
                        "scope": "stage", "stage": v.get("name"),
                        "rate_limit": rate, "burst_limit": get(s, "throttling_burst_limit"), "quota_limit": null,
                        "throttled": num(&rate).is_some_and(|x| x > 0.0),
                    }),
                    Vec::new(),
                )
            }
            "aws_wafv2_web_acl" => {
                let rules: Vec<Value> = blocks(v, "rule")
                    .into_iter()
                    .filter_map(|r| {
                        let rb = block(r, "statement").and_then(|s| block(s, "rate_based_statement"))?;
                        Some(json!({"name": r.get("name"), "limit": rb.get("limit"), "aggregate_key_type": rb.get("aggregate_key_type")}))
                    })
                    .collect();
                (
                    "waf",
                    json!({"name": v.get("name"), "scope": v.get("scope"), "rate_limited": !rules.is_empty(), "rate_rules": rules}),
                    Vec::new(),
                )
            }
            "aws_autoscaling_group" => {
                let (min, max) = (get(Some(v), "min_size"), get(Some(v), "max_size"));
                (
                    "autoscaling",
                    json!({"service": "ec2", "target": v.get("name"), "min": min, "max": max,
                           "desired": v.get("desired_capacity"), "headroom": headroom(&min, &max)}),
                    Vec::new(),
                )
            }
            "aws_appautoscaling_target" => {
                let (min, max) = (get(Some(v), "min_capacity"), get(Some(v), "max_capacity"));
                (
                    "autoscaling",
                    json!({"service": v.get("service_namespace"), "target": v.get("resource_id"),
                           "dimension": v.get("scalable_dimension"), "min": min, "max": max,
                           "headroom": headroom(&min, &max)}),
                    Vec::new(),
                )
            }
            "kubernetes_horizontal_pod_autoscaler" | "kubernetes_horizontal_pod_autoscaler_v2" => {
                let spec = block(v, "spec");
                let (min, max) = (get(spec, "min_replicas"), get(spec, "max_replicas"));
                let target = spec.and_then(|s| block(s, "scale_target_ref"));
                let meta = block(v, "metadata");
                (
                    "autoscaling",
                    json!({"service": "kubernetes", "namespace": get(meta, "namespace"),
                           "target": format!("{}/{}", get(target, "kind").as_str().unwrap_or(""), get(target, "name").as_str().unwrap_or("")),
                           "min": min, "max": max, "headroom": headroom(&min, &max)}),
                    Vec::new(),
                )
            }
            "aws_lb" | "aws_alb" => (
                "load_balancer",
                json!({"role": "balancer", "name": v.get("name"), "lb_type": v.get("load_balancer_type"),
                       "internal": v.get("internal"), "drop_invalid_header_fields": v.get("drop_invalid_header_fields"),
                       "deletion_protection": v.get("enable_deletion_protection"), "arn": v.get("arn"),
                       "security_groups": ids_or_refs(raws, refs, r, v.get("security_groups"), "security_groups", SG_TYPES)}),
                Vec::new(),
            ),
            "aws_lb_listener" | "aws_alb_listener" => {
                let proto = v.get("protocol").and_then(Value::as_str).unwrap_or("");
                let redirect_https = blocks(v, "default_action").into_iter().any(|a| {
                    a.get("type").and_then(Value::as_str) == Some("redirect")
                        && get(block(a, "redirect"), "protocol").as_str() == Some("HTTPS")
                });
                let lb = referenced(raws, refs, &r.address, "load_balancer_arn", LB_TYPES)
                    .map(Value::from)
                    .unwrap_or_else(|| get(Some(v), "load_balancer_arn"));
                (
                    "load_balancer",
                    json!({"role": "listener", "protocol": v.get("protocol"), "port": v.get("port"),
                           "ssl_policy": v.get("ssl_policy"), "tls": matches!(proto, "HTTPS" | "TLS"),
                           "redirect_https": redirect_https, "load_balancer": lb}),
                    Vec::new(),
                )
            }
            "aws_security_group" => {
                let mut rules = Vec::new();
                for (dir, key) in [("ingress", "ingress"), ("egress", "egress")] {
                    for b in blocks(v, key) {
                        let mut cidrs = strings(b.get("cidr_blocks"));
                        cidrs.extend(strings(b.get("ipv6_cidr_blocks")));
                        rules.push(rule(
                            dir,
                            b.get("protocol"),
                            b.get("from_port"),
                            b.get("to_port"),
                            cidrs,
                        ));
                    }
                }
                (
                    "network_rule",
                    network_facts(
                        v.get("name").cloned().unwrap_or(Value::Null),
                        json!(r.address),
                        v.get("id"),
                        rules,
                    ),
                    Vec::new(),
                )
            }
            "aws_security_group_rule"
            | "aws_vpc_security_group_ingress_rule"
            | "aws_vpc_security_group_egress_rule" => {
                // The legacy resource names its direction in `type`; the VPC ones in their type name.
                let legacy = r.rtype == "aws_security_group_rule";
                let (v4, v6, proto) = if legacy {
                    ("cidr_blocks", "ipv6_cidr_blocks", "protocol")
                } else {
                    ("cidr_ipv4", "cidr_ipv6", "ip_protocol")
                };
                let egress = if legacy {
                    v.get("type").and_then(Value::as_str) == Some("egress")
                } else {
                    r.rtype.ends_with("egress_rule")
                };
                let mut cidrs = strings(v.get(v4));
                cidrs.extend(strings(v.get(v6)));
                let dir = if egress { "egress" } else { "ingress" };
                let rules = vec![rule(
                    dir,
                    v.get(proto),
                    v.get("from_port"),
                    v.get("to_port"),
                    cidrs,
                )];
                let (sg, addr) = group_of(raws, refs, r);
                let id = v.get("security_group_id").filter(|x| !is_blank(x));
                (
                    "network_rule",
                    network_facts(sg, addr, id, rules),
                    Vec::new(),
                )
            }
            "aws_wafv2_web_acl_association" => {
                let target = referenced(raws, refs, &r.address, "resource_arn", WAF_TARGETS);
                let acl = referenced(
                    raws,
                    refs,
                    &r.address,
                    "web_acl_arn",
                    &["aws_wafv2_web_acl"],
                );
                (
                    "waf_association",
                    json!({"resource": target, "resource_arn": v.get("resource_arn"),
                           "web_acl": acl, "web_acl_arn": v.get("web_acl_arn")}),
                    Vec::new(),
                )
            }
            "aws_sagemaker_model" => {
                let vpc = block(v, "vpc_config");
                (
                    "ml_compute",
                    json!({"service": "sagemaker", "role": "model", "name": v.get("name"),
                           "network_isolation": v.get("enable_network_isolation").and_then(Value::as_bool).unwrap_or(false),
                           "vpc": vpc.is_some(), "subnets": strings(vpc.and_then(|c| c.get("subnets"))),
                           "security_groups": ids_or_refs(raws, refs, r, vpc.and_then(|c| c.get("security_group_ids")), "vpc_config.security_group_ids", SG_TYPES)}),
                    Vec::new(),
                )
            }
            "aws_sagemaker_notebook_instance" => {
                // The provider's default is `Enabled`: a notebook reaches the internet unless this says otherwise.
                let direct = v
                    .get("direct_internet_access")
                    .and_then(Value::as_str)
                    .unwrap_or("Enabled");
                (
                    "ml_compute",
                    json!({"service": "sagemaker", "role": "notebook", "name": v.get("name"),
                           "network_isolation": direct == "Disabled", "direct_internet_access": direct,
                           "vpc": !strings(v.get("subnet_id")).is_empty(), "subnets": strings(v.get("subnet_id")),
                           "security_groups": ids_or_refs(raws, refs, r, v.get("security_groups"), "security_groups", SG_TYPES)}),
                    Vec::new(),
                )
            }
            "aws_vpc_endpoint" => {
                let service = v
                    .get("service_name")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                (
                    "vpc_endpoint",
                    json!({"service_name": v.get("service_name"),
                           "service": service.split('.').skip(3).collect::<Vec<_>>().join("."),
                           "endpoint_type": v.get("vpc_endpoint_type").and_then(Value::as_str).unwrap_or("Gateway"),
                           "vpc_id": v.get("vpc_id"), "has_policy": v.get("policy").is_some_and(|p| !is_blank(p))}),
                    Vec::new(),
                )
            }
            "aws_backup_plan" => {
                let rules: Vec<Value> = blocks(v, "rule")
                    .into_iter()
                    .map(|r| {
                        json!({"name": r.get("rule_name"), "schedule": r.get("schedule"),
                               "vault": r.get("target_vault_name"),
                               "delete_after_days": get(block(r, "lifecycle"), "delete_after")})
                    })
                    .collect();
                let daily = rules.iter().any(|r| {
                    r.get("schedule")
                        .and_then(Value::as_str)
                        .is_some_and(daily_cron)
                });
                (
                    "backup_plan",
                    json!({"name": v.get("name"), "rules": rules, "daily": daily}),
                    Vec::new(),
                )
            }
            "aws_backup_vault" => (
                "backup_plan",
                json!({"vault": v.get("name"), "kms_key": v.get("kms_key_arn"), "rules": [], "daily": false}),
                Vec::new(),
            ),
            "aws_kms_key" => (
                "kms_key",
                json!({"provider": "aws", "rotation": v.get("enable_key_rotation").and_then(Value::as_bool).unwrap_or(false),
                       "rotation_period": v.get("rotation_period_in_days"),
                       "deletion_window_days": v.get("deletion_window_in_days"), "description": v.get("description")}),
                Vec::new(),
            ),
            "google_kms_crypto_key" => {
                let period = v.get("rotation_period").cloned().unwrap_or(Value::Null);
                (
                    "kms_key",
                    json!({"provider": "gcp", "rotation": !period.is_null(), "rotation_period": period,
                           "deletion_window_days": null, "description": v.get("name")}),
                    Vec::new(),
                )
            }
            "aws_sagemaker_endpoint_configuration" => {
                let variants: Vec<Value> = blocks(v, "production_variants")
                    .into_iter()
                    .map(|p| json!({"name": p.get("variant_name"), "instance_type": p.get("instance_type"),
                                    "instance_count": p.get("initial_instance_count")}))
                    .collect();
                (
                    "inference_endpoint",
                    json!({"name": v.get("name"), "kms_key": v.get("kms_key_arn"), "variants": variants,
                           "data_capture": get(block(v, "data_capture_config"), "enable_capture").as_bool().unwrap_or(false)}),
                    Vec::new(),
                )
            }
            _ => continue,
        };
        out.push(TfResource {
            address: r.address.clone(),
            rtype: r.rtype.clone(),
            name: r.name.clone(),
            module: r.module.clone(),
            provider: r.provider.clone(),
            category,
            facts,
            from,
        });
    }
    out
}

const SG_TYPES: &[&str] = &["aws_security_group"];
const LB_TYPES: &[&str] = &["aws_lb", "aws_alb"];
const WAF_TARGETS: &[&str] = &[
    "aws_lb",
    "aws_alb",
    "aws_api_gateway_stage",
    "aws_appsync_graphql_api",
    "aws_cognito_user_pool",
];

fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

/// A string or list of strings; anything else is empty.
fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) if !s.is_empty() => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// Security groups as the state knows them (ids), else the addresses a plan's configuration refers to.
fn ids_or_refs(
    raws: &[Raw],
    refs: &BTreeMap<String, BTreeMap<String, Vec<String>>>,
    r: &Raw,
    value: Option<&Value>,
    attr: &str,
    rtypes: &[&str],
) -> Vec<String> {
    let ids = strings(value);
    if !ids.is_empty() {
        return ids;
    }
    referenced_all(raws, refs, &r.address, attr, rtypes)
}

/// The security group a separate rule resource belongs to: (its id or name, the group's address if known).
fn group_of(
    raws: &[Raw],
    refs: &BTreeMap<String, BTreeMap<String, Vec<String>>>,
    r: &Raw,
) -> (Value, Value) {
    let id = get(Some(&r.values), "security_group_id");
    let addr = referenced(raws, refs, &r.address, "security_group_id", SG_TYPES).or_else(|| {
        let id = id.as_str()?;
        raws.iter()
            .find(|x| {
                x.rtype == "aws_security_group"
                    && x.values.get("id").and_then(Value::as_str) == Some(id)
            })
            .map(|x| x.address.clone())
    });
    let name = addr
        .as_ref()
        .and_then(|a| raws.iter().find(|x| &x.address == a))
        .and_then(|x| x.values.get("name").cloned())
        .filter(|n| !n.is_null());
    (
        name.unwrap_or(id),
        addr.map(Value::from).unwrap_or(Value::Null),
    )
}

/// The internet as a CIDR: every IPv4 or every IPv6 address.
fn is_internet(cidr: &str) -> bool {
    matches!(cidr.trim(), "0.0.0.0/0" | "::/0")
}

/// One normalised security-group rule. Protocol `-1` (all) covers every port; numbers 6 and 17 are tcp and udp.
fn rule(
    direction: &str,
    protocol: Option<&Value>,
    from: Option<&Value>,
    to: Option<&Value>,
    cidrs: Vec<String>,
) -> Value {
    let p = match protocol {
        Some(Value::String(s)) => s.to_ascii_lowercase(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    let p = match p.as_str() {
        "-1" | "all" => "all".to_owned(),
        "6" => "tcp".to_owned(),
        "17" => "udp".to_owned(),
        "1" => "icmp".to_owned(),
        _ => p,
    };
    let (from, to) = if p == "all" {
        (json!(0), json!(65535))
    } else {
        (
            from.cloned().unwrap_or(Value::Null),
            to.cloned().unwrap_or(Value::Null),
        )
    };
    let open = cidrs.iter().any(|c| is_internet(c));
    json!({"direction": direction, "protocol": p, "from_port": from, "to_port": to,
           "cidrs": cidrs, "open_to_internet": open})
}

fn network_facts(group: Value, address: Value, id: Option<&Value>, rules: Vec<Value>) -> Value {
    let open = |dir: &str| {
        rules.iter().any(|r| {
            r.get("direction").and_then(Value::as_str) == Some(dir)
                && r.get("open_to_internet").and_then(Value::as_bool) == Some(true)
        })
    };
    json!({"security_group": group, "security_group_address": address,
           "security_group_id": id.cloned().unwrap_or(Value::Null),
           "internet_ingress": open("ingress"), "internet_egress": open("egress"), "rules": rules})
}

/// Whether a bucket policy denies requests not sent over TLS: a `Deny` for everyone on all S3 actions (or `*`)
/// under `Bool` `aws:SecureTransport` = false. `null` when the policy text is not known (a plan) or not JSON.
fn denies_plain_http(policy: &Value) -> Value {
    let doc = match policy {
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(d) => d,
            Err(_) => return Value::Null,
        },
        o @ Value::Object(_) => o.clone(),
        _ => return Value::Null,
    };
    let statements = match doc.get("Statement") {
        Some(Value::Array(a)) => a.clone(),
        Some(o @ Value::Object(_)) => vec![o.clone()],
        _ => Vec::new(),
    };
    let found = statements.iter().any(|st| {
        let everyone = match st.get("Principal") {
            Some(Value::String(p)) => p == "*",
            Some(p) => strings(p.get("AWS")).iter().any(|a| a == "*"),
            None => false,
        };
        let all_actions = strings(st.get("Action"))
            .iter()
            .any(|a| a == "*" || a.eq_ignore_ascii_case("s3:*"));
        let insecure = st
            .get("Condition")
            .and_then(|c| c.get("Bool"))
            .and_then(|b| b.get("aws:SecureTransport"))
            .is_some_and(|x| match x {
                Value::Bool(b) => !b,
                Value::String(s) => s.eq_ignore_ascii_case("false"),
                Value::Array(a) => a.iter().any(|y| y == "false" || y == &json!(false)),
                _ => false,
            });
        st.get("Effect").and_then(Value::as_str) == Some("Deny")
            && everyone
            && all_actions
            && insecure
    });
    json!(found)
}

/// The smallest positive number of days, as a JSON number; `null` when there is none.
fn min_days(days: impl Iterator<Item = f64>) -> Value {
    days.filter(|d| *d > 0.0)
        .fold(None::<f64>, |m, d| Some(m.map_or(d, |x| x.min(d))))
        .map_or(Value::Null, |d| json!(d as u64))
}

fn headroom(min: &Value, max: &Value) -> Value {
    match (num(min), num(max)) {
        (Some(a), Some(b)) => json!(b > a),
        _ => Value::Null,
    }
}

/// Whether an AWS Backup schedule runs at least daily: `cron(M H * * ? *)` with `*`/`?` day fields, or a
/// `rate(N hours|minutes)` / `rate(1 day)`.
fn daily_cron(schedule: &str) -> bool {
    let s = schedule.trim();
    if let Some(inner) = s.strip_prefix("cron(").and_then(|x| x.strip_suffix(')')) {
        let f: Vec<&str> = inner.split_whitespace().collect();
        return f.len() == 6 && matches!(f[2], "*" | "?") && matches!(f[4], "*" | "?");
    }
    if let Some(inner) = s.strip_prefix("rate(").and_then(|x| x.strip_suffix(')')) {
        let mut it = inner.split_whitespace();
        let n: u32 = it.next().and_then(|n| n.parse().ok()).unwrap_or(0);
        return match it.next() {
            Some("minute" | "minutes" | "hour" | "hours") => n > 0,
            Some("day" | "days") => n == 1,
            _ => false,
        };
    }
    false
}

/// HorizontalPodAutoscaler objects in Kubernetes YAML manifests, as `autoscaling` resources.
pub fn parse_hpa_manifests(yaml: &str) -> Result<Vec<TfResource>, CollectError> {
    let mut out = Vec::new();
    for (start, doc) in crate::k8s_rbac::documents(yaml) {
        let v: serde_yaml_ng::Value = serde_yaml_ng::from_str(&doc).map_err(|e| {
            let line = e.location().map_or(start, |l| start + l.line() - 1);
            malformed(SOURCE, format!("line {line}"), format!("not YAML ({e})"))
        })?;
        if v.get("kind").and_then(|k| k.as_str()) != Some("HorizontalPodAutoscaler") {
            continue;
        }
        let v: Value = serde_json::to_value(&v)
            .map_err(|e| malformed(SOURCE, format!("document at line {start}"), e.to_string()))?;
        let meta = v.get("metadata");
        let name = get(meta, "name").as_str().unwrap_or_default().to_owned();
        if name.is_empty() {
            return Err(malformed(
                SOURCE,
                format!("document at line {start}"),
                "HorizontalPodAutoscaler has no metadata.name",
            ));
        }
        let ns = get(meta, "namespace")
            .as_str()
            .unwrap_or("default")
            .to_owned();
        let spec = v.get("spec");
        let target = spec.and_then(|s| s.get("scaleTargetRef"));
        let (min, max) = (
            spec.and_then(|s| s.get("minReplicas"))
                .cloned()
                .unwrap_or(json!(1)),
            get(spec, "maxReplicas"),
        );
        out.push(TfResource {
            address: format!("k8s:{ns}/HorizontalPodAutoscaler/{name}"),
            rtype: "HorizontalPodAutoscaler".into(),
            name,
            module: String::new(),
            provider: "kubernetes-manifest".into(),
            category: "autoscaling",
            facts: json!({"service": "kubernetes", "namespace": ns,
                          "target": format!("{}/{}", get(target, "kind").as_str().unwrap_or(""), get(target, "name").as_str().unwrap_or("")),
                          "min": min, "max": max, "headroom": headroom(&min, &max)}),
            from: Vec::new(),
        });
    }
    Ok(out)
}

/// `[source.terraform]`.
///
/// ```toml
/// [source.terraform]
/// files = ["exports/tf-state.json"]       # terraform show -json (state) or terraform show -json PLANFILE
/// manifests = ["deploy/hpa.yaml"]         # optional: Kubernetes manifests with HorizontalPodAutoscalers
/// [source.terraform.assets]               # optional: evidence subject per address (default `tf:ADDRESS`)
/// "aws_s3_bucket.curated" = "dataset:curated-training"
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerraformConfig {
    pub files: Vec<std::path::PathBuf>,
    pub manifests: Vec<std::path::PathBuf>,
    pub assets: BTreeMap<String, String>,
}

impl TerraformConfig {
    pub fn from_table(table: &toml::Table) -> Result<Self, CollectError> {
        let files = export::files_key(SOURCE, table, "`terraform show -json` output")?;
        let manifests = match table.get("manifests") {
            None => Vec::new(),
            Some(v) => {
                let list: Vec<String> = v.clone().try_into().map_err(|_| {
                    export::config_error(SOURCE, "manifests", "must be a list of paths")
                })?;
                list.into_iter().map(Into::into).collect()
            }
        };
        let assets = match table.get("assets") {
            None => BTreeMap::new(),
            Some(v) => v.clone().try_into().map_err(|_| {
                export::config_error(
                    SOURCE,
                    "assets",
                    "must be a table of resource address = asset id",
                )
            })?,
        };
        Ok(TerraformConfig {
            files,
            manifests,
            assets,
        })
    }
}

/// Reads Terraform plans/states (and HPA manifests) and records `tf.resource` items.
#[derive(Debug, Clone)]
pub struct TerraformCollector {
    config: TerraformConfig,
}

impl TerraformCollector {
    pub fn new(config: TerraformConfig) -> Self {
        TerraformCollector { config }
    }
}

impl crate::Collector for TerraformCollector {
    fn source(&self) -> &str {
        SOURCE
    }

    fn collect(&self, ctx: &mut crate::Context<'_>) -> Result<crate::Collected, CollectError> {
        let mut read = Vec::new();
        for f in &self.config.files {
            let ex = export::read(SOURCE, ctx.workspace, f, ctx.now)?;
            let doc = parse_show(&ex.text).map_err(|e| ex.locate(e))?;
            read.push((ex.rel, ex.observed, doc.form, doc.resources));
        }
        for f in &self.config.manifests {
            let ex = export::read(SOURCE, ctx.workspace, f, ctx.now)?;
            let rs = parse_hpa_manifests(&ex.text).map_err(|e| ex.locate(e))?;
            read.push((ex.rel, ex.observed, "manifest", rs));
        }
        let mut out = crate::Collected::default();
        for (rel, observed, form, resources) in read {
            for r in resources {
                let subject = self
                    .config
                    .assets
                    .get(&r.address)
                    .cloned()
                    .unwrap_or_else(|| format!("tf:{}", r.address));
                let mut payload = serde_json::to_value(&r).unwrap_or_default();
                if let Some(o) = payload.as_object_mut() {
                    o.insert("form".into(), json!(form));
                    o.insert("file".into(), json!(rel));
                }
                out.evidence.push(export::item(
                    SOURCE,
                    assay_ledger::EvidenceKind::TfResource,
                    subject,
                    format!("{rel}#{}", r.address),
                    observed,
                    ctx.now,
                    payload,
                ));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn daily_schedules() {
        assert!(daily_cron("cron(0 5 * * ? *)"));
        assert!(daily_cron("rate(12 hours)"));
        assert!(!daily_cron("cron(0 5 ? * SUN *)"));
        assert!(!daily_cron("rate(7 days)"));
    }

    proptest! {
        #[test]
        fn parsing_never_panics(doc in "\\PC{0,300}") {
            let _ = parse_show(&doc);
            let _ = parse_hpa_manifests(&doc);
        }

        #[test]
        fn parsing_never_panics_on_show_like_json(
            t in "(aws_s3_bucket|aws_s3_bucket_versioning|aws_kms_key|aws_backup_plan|aws_wafv2_web_acl|aws_lb_listener|x)",
            val in "(null|1|\"s\"|\\[\\]|\\{\\}|\\[\\{\\}\\]|true)",
        ) {
            let doc = format!(
                r#"{{"planned_values":{{"root_module":{{"resources":[{{"address":"{t}.a","mode":"managed","type":"{t}","name":"a","values":{{"bucket":{val},"rule":{val},"versioning_configuration":{val},"enable_key_rotation":{val},"protocol":{val}}}}}]}}}},"configuration":{{"root_module":{{"resources":[{{"address":"{t}.a","expressions":{{"bucket":{{"references":{val}}}}}}}]}}}}}}"#
            );
            let _ = parse_show(&doc);
        }
    }
}
