# SUP-11 Encryption in transit (continuous).
# One occurrence per load balancer listener read from Terraform (tf.resource, load_balancer, role listener):
# HTTPS and TLS listeners hold when their security policy accepts TLS 1.2 or later only — the policy families
# ELBSecurityPolicy-TLS13-1-2-*, ELBSecurityPolicy-TLS13-1-3-*, ELBSecurityPolicy-TLS-1-2-* and
# ELBSecurityPolicy-FS-1-2-*; any other policy (ELBSecurityPolicy-2016-08, the provider default when none is
# set, …-TLS13-1-0-*, …-TLS-1-1-*, …-FS-2018-06) accepts older versions and fails. An HTTP listener holds only
# when its default action redirects to HTTPS (listener rules are not read). TCP/UDP listeners carry traffic the
# load balancer does not encrypt and fail. One occurrence per S3 bucket whose policy is known: it holds when the
# policy denies requests with aws:SecureTransport = false (GCS buckets are not assessed). One occurrence per
# gateway.config with a `tls` object {enabled, min_version}: it holds when TLS is enabled with 1.2 or later.
package assay.control

modern_policies := ["ELBSecurityPolicy-TLS13-1-2-", "ELBSecurityPolicy-TLS13-1-3-", "ELBSecurityPolicy-TLS-1-2-", "ELBSecurityPolicy-FS-1-2-"]

modern(p) if {
	some prefix in modern_policies
	startswith(p, prefix)
}

tf(e, category) if {
	e.kind == "tf.resource"
	e.payload.category == category
}

occurrences contains o if {
	some e in input.evidence
	tf(e, "load_balancer")
	e.payload.facts.role == "listener"
	f := e.payload.facts
	f.protocol != "GENEVE"
	v := listener(f, object.get(f, "ssl_policy", null))
	o := {"at": e.observed_at, "ok": v[0], "subject": e.subject, "evidence": [e.index],
		"reason": sprintf("%s: %v listener on port %v %s", [e.subject, f.protocol, f.port, v[1]])}
}

listener(f, p) := [true, sprintf("uses %s (TLS 1.2 or later)", [p])] if {
	f.protocol in {"HTTPS", "TLS"}
	p != null
	modern(p)
}

listener(f, p) := [false, sprintf("uses %s, which accepts TLS versions before 1.2", [p])] if {
	f.protocol in {"HTTPS", "TLS"}
	p != null
	not modern(p)
}

listener(f, null) := [false, "sets no ssl_policy, so the default ELBSecurityPolicy-2016-08 applies, which accepts TLS 1.0 and 1.1"] if {
	f.protocol in {"HTTPS", "TLS"}
}

listener(f, _) := [true, "only redirects to HTTPS"] if {
	f.protocol == "HTTP"
	f.redirect_https == true
}

listener(f, _) := [false, "serves plain HTTP: its default action does not redirect to HTTPS"] if {
	f.protocol == "HTTP"
	not f.redirect_https == true
}

listener(f, _) := [false, "passes traffic the load balancer does not encrypt; use a TLS listener"] if {
	not f.protocol in {"HTTPS", "TLS", "HTTP"}
}

bucket_name(e) := n if {
	n := e.payload.facts.bucket
	n != null
} else := e.payload.address

occurrences contains o if {
	some e in input.evidence
	tf(e, "storage_bucket")
	e.payload.facts.provider == "aws"
	tls := object.get(e.payload.facts, "tls_only", null)
	tls != null
	o := {"at": e.observed_at, "ok": tls == true, "subject": e.subject, "evidence": [e.index], "reason": bucket_reason(e, tls)}
}

bucket_reason(e, true) := sprintf("%s (%s): the bucket policy denies requests without TLS", [e.subject, bucket_name(e)])

bucket_reason(e, false) := sprintf("%s (%s): accepts plain HTTP requests: no bucket policy statement denies s3:* when aws:SecureTransport is false", [e.subject, bucket_name(e)])

current_tls := {"1.2", "1.3"}

occurrences contains o if {
	some e in input.evidence
	e.kind == "gateway.config"
	t := e.payload.tls
	is_object(t)
	ok := gateway_ok(t)
	o := {"at": e.observed_at, "ok": ok, "subject": e.subject, "evidence": [e.index], "reason": gateway_reason(e.subject, t, ok)}
}

gateway_ok(t) := true if {
	t.enabled == true
	sprintf("%v", [object.get(t, "min_version", "")]) in current_tls
} else := false

gateway_reason(s, t, true) := sprintf("%s: the gateway requires TLS %v or later", [s, t.min_version])

gateway_reason(s, t, false) := sprintf("%s: the gateway accepts plain-text connections (tls.enabled is not true)", [s]) if not t.enabled == true

gateway_reason(s, t, false) := sprintf("%s: the gateway's minimum TLS version is %v; 1.2 or later is required", [s, object.get(t, "min_version", "not set")]) if {
	t.enabled == true
	not sprintf("%v", [object.get(t, "min_version", "")]) in current_tls
}
