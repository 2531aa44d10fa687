# STO-06 Egress restrictions on training data and model weights (continuous).
# One occurrence per SageMaker model and notebook instance read from Terraform (tf.resource, ml_compute): it
# holds when the container runs with network isolation (models: enable_network_isolation; notebooks: direct
# internet access disabled), or when it runs in a VPC and none of its security groups lets traffic out to
# 0.0.0.0/0 or ::/0 (network_rule items, matched by group id in a state or address in a plan). Bucket and
# endpoint policies, downloads to workstations and transfer channels are not assessed yet.
package assay.control

tf(e, category) if {
	e.kind == "tf.resource"
	e.payload.category == category
}

# Security groups (by id and by address) with a rule that sends traffic to the internet.
leaky contains k if {
	some e in input.evidence
	tf(e, "network_rule")
	e.payload.facts.internet_egress == true
	some k in [e.payload.facts.security_group_id, e.payload.facts.security_group_address]
	k != null
}

occurrences contains o if {
	some e in input.evidence
	tf(e, "ml_compute")
	f := e.payload.facts
	v := verdict(f)
	o := {"at": e.observed_at, "ok": v[0], "subject": e.subject, "evidence": [e.index],
		"reason": sprintf("%s: SageMaker %v %v %s", [e.subject, f.role, f.name, v[1]])}
}

verdict(f) := [true, "runs with network isolation"] if f.network_isolation == true

verdict(f) := [false, "has direct internet access (direct_internet_access is Enabled)"] if {
	f.role == "notebook"
	f.network_isolation != true
}

verdict(f) := [false, "runs without network isolation and outside a VPC, so it can reach the internet"] if {
	f.role == "model"
	f.network_isolation != true
	f.vpc != true
}

verdict(f) := [ok, msg] if {
	f.role == "model"
	f.network_isolation != true
	f.vpc == true
	count(f.security_groups) > 0
	open := sort([g | some g in f.security_groups; g in leaky])
	ok := count(open) == 0
	msg := vpc_reason(f, open)
}

verdict(f) := [false, "runs in a VPC without a security group the export names, so egress cannot be seen"] if {
	f.role == "model"
	f.network_isolation != true
	f.vpc == true
	count(f.security_groups) == 0
}

vpc_reason(f, open) := sprintf("runs in a VPC whose security group(s) allow no egress to the internet (%s)", [concat(", ", f.security_groups)]) if count(open) == 0

vpc_reason(f, open) := sprintf("runs without network isolation and security group(s) %s allow egress to the internet", [concat(", ", open)]) if count(open) > 0
