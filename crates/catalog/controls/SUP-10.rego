# SUP-10 Network boundary protection for the inference API (continuous).
# From Terraform (tf.resource): one occurrence per internet-facing load balancer mapped (through
# [source.terraform.assets]) to an in-scope component: at the inference stage it holds when a WAF web ACL is
# associated with it (aws_wafv2_web_acl_association naming the load balancer or its ARN); at the training or
# registry stage it fails, since those systems should have no public ingress. Load balancers not mapped to a
# component are not assessed. One occurrence per security group or rule resource with ingress rules
# (category network_rule): it holds when nothing but TCP 80 and 443 is open to 0.0.0.0/0 or ::/0. Egress and
# gateway.config items are not assessed by this control.
package assay.control

tf(e, category) if {
	e.kind == "tf.resource"
	e.payload.category == category
}

components := {c.id: c | some c in input.scope.components; c.in_scope}

# Everything a web ACL is associated with: resource addresses (plans) and ARNs (states).
protected contains x if {
	some e in input.evidence
	tf(e, "waf_association")
	some x in [e.payload.facts.resource, e.payload.facts.resource_arn]
	x != null
}

shielded(e) if e.payload.address in protected

shielded(e) if {
	arn := e.payload.facts.arn
	arn != null
	arn in protected
}

occurrences contains o if {
	some e in input.evidence
	tf(e, "load_balancer")
	e.payload.facts.role == "balancer"
	e.payload.facts.internal == false
	c := components[e.subject]
	c.stage in {"inference", "training", "registry"}
	v := balancer(e, c.stage)
	o := {"at": e.observed_at, "ok": v[0], "subject": e.subject, "evidence": [e.index], "reason": v[1]}
}

balancer(e, "inference") := [true, sprintf("%s: internet-facing load balancer %s is protected by a WAF web ACL", [e.subject, e.payload.address])] if shielded(e)

balancer(e, "inference") := [false, sprintf("%s: internet-facing load balancer %s has no WAF web ACL associated", [e.subject, e.payload.address])] if not shielded(e)

balancer(e, stage) := [false, sprintf("%s: a %s system is reachable from the internet through load balancer %s", [e.subject, stage, e.payload.address])] if stage in {"training", "registry"}

web_ports := {80, 443}

# An ingress rule open to the internet beyond TCP 80 and 443.
too_open(r) if {
	r.open_to_internet == true
	not web_only(r)
}

web_only(r) if {
	r.protocol == "tcp"
	r.from_port == r.to_port
	r.from_port in web_ports
}

describe_rule(r) := sprintf("all traffic (%s)", [concat(", ", r.cidrs)]) if r.protocol == "all"

describe_rule(r) := sprintf("%s %v (%s)", [r.protocol, r.from_port, concat(", ", r.cidrs)]) if {
	r.protocol != "all"
	r.from_port == r.to_port
}

describe_rule(r) := sprintf("%s %v-%v (%s)", [r.protocol, r.from_port, r.to_port, concat(", ", r.cidrs)]) if {
	r.protocol != "all"
	r.from_port != r.to_port
}

occurrences contains o if {
	some e in input.evidence
	tf(e, "network_rule")
	f := e.payload.facts
	ingress := [r | some r in f.rules; r.direction == "ingress"]
	count(ingress) > 0
	bad := sort([describe_rule(r) | some r in ingress; too_open(r)])
	o := {"at": e.observed_at, "ok": count(bad) == 0, "subject": e.subject, "evidence": [e.index],
		"reason": rules_reason(e, f, ingress, bad)}
}

group(f) := sprintf(" (%v)", [f.security_group]) if f.security_group != null

group(f) := "" if f.security_group == null

rules_reason(e, f, ingress, bad) := sprintf("%s%s: opens only TCP 80/443 to the internet, if anything (%v ingress rule(s))", [e.subject, group(f), count(ingress)]) if count(bad) == 0

rules_reason(e, f, ingress, bad) := sprintf("%s%s: opens to the internet: %s", [e.subject, group(f), concat(", ", bad)]) if count(bad) > 0
