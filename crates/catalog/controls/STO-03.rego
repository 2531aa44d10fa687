# STO-03 No public access to data or model storage (continuous).
# One occurrence per storage bucket read from Terraform: it holds when public access is blocked (all four S3
# public-access-block flags, or GCS public access prevention enforced). One occurrence per asset with
# effective-permission grants from a collector that can see public members (items with a `public` field: GCP
# IAM today): it fails when any grant goes to allUsers or allAuthenticatedUsers. AWS grants say nothing about
# public access (bucket policies are not read yet) and are not assessed; cross-account principals neither.
package assay.control

occurrences contains o if {
	some e in input.evidence
	e.kind == "tf.resource"
	e.payload.category == "storage_bucket"
	ok := object.get(e.payload.facts, "public_access_blocked", false) == true
	o := {"at": e.observed_at, "ok": ok, "subject": e.subject, "evidence": [e.index], "reason": bucket_reason(e, ok)}
}

name(e) := n if {
	n := e.payload.facts.bucket
	n != null
} else := e.payload.address

bucket_reason(e, true) := sprintf("%s (%s): public access is blocked", [e.subject, name(e)])

bucket_reason(e, false) := sprintf("%s (%s): public access is not blocked (no public access block with all four flags, or prevention not enforced)", [e.subject, name(e)])

sees_public(e) if {
	e.kind == "iam.effective_permission"
	object.get(e.payload, "public", null) != null
}

# Grants that show public members, grouped by asset in one pass over the evidence.
grants_of[a] contains e if {
	some e in input.evidence
	sees_public(e)
	a := e.subject
}

occurrences contains o if {
	some a, group in grants_of
	gs := [e | some e in group]
	pub := [e | some e in gs; object.get(e.payload, "public", false) == true]
	o := {
		"at": max([e.observed_at | some e in gs]),
		"ok": count(pub) == 0,
		"subject": a,
		"evidence": sort([e.index | some e in array.concat(pub, [g | some g in gs; count(pub) == 0])]),
		"reason": grant_reason(a, gs, pub),
	}
}

grant_reason(a, gs, pub) := sprintf("%s: none of %v grant(s) goes to a public member", [a, count(gs)]) if count(pub) == 0

grant_reason(a, gs, pub) := sprintf("%s: public members can %s", [a, concat(", ", sort([sprintf("%s (%s)", [e.payload.action, e.payload.principal_arn]) | some e in pub]))]) if count(pub) > 0
