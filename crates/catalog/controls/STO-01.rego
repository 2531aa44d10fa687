# STO-01 Training data and model artifacts encrypted at rest (continuous).
# One occurrence per storage bucket and inference endpoint configuration read from Terraform (tf.resource,
# categories storage_bucket and inference_endpoint): a bucket holds when its default encryption uses a managed
# key (aws:kms, aws:kms:dsse or a Cloud KMS key); provider-default keys (AES256, Google-managed) cannot be
# restricted to the owning services and fail; an endpoint holds when its volumes use a KMS key. Key policies
# themselves are not read yet.
package assay.control

managed := {"aws:kms", "aws:kms:dsse", "google-kms"}

occurrences contains o if {
	some e in input.evidence
	e.kind == "tf.resource"
	e.payload.category == "storage_bucket"
	enc := object.get(e.payload.facts, "encryption", null)
	o := {"at": e.observed_at, "ok": enc in managed, "subject": e.subject, "evidence": [e.index],
		"reason": bucket_reason(e, enc)}
}

bucket_reason(e, enc) := sprintf("%s (%s): encrypted at rest with a managed key (%s)", [e.subject, bucket_name(e), enc]) if enc in managed

bucket_reason(e, enc) := sprintf("%s (%s): no default encryption configured", [e.subject, bucket_name(e)]) if enc == null

bucket_reason(e, enc) := sprintf("%s (%s): encrypted only with provider-default keys (%s); use a KMS key whose use is restricted to the owning services", [e.subject, bucket_name(e), enc]) if {
	enc != null
	not enc in managed
}

bucket_name(e) := n if {
	n := e.payload.facts.bucket
	n != null
} else := e.payload.address

occurrences contains o if {
	some e in input.evidence
	e.kind == "tf.resource"
	e.payload.category == "inference_endpoint"
	key := object.get(e.payload.facts, "kms_key", null)
	ok := key != null
	o := {"at": e.observed_at, "ok": ok, "subject": e.subject, "evidence": [e.index],
		"reason": endpoint_reason(e, ok)}
}

endpoint_reason(e, true) := sprintf("%s: endpoint volumes are encrypted with a KMS key", [e.subject])

endpoint_reason(e, false) := sprintf("%s: endpoint configuration %s sets no kms_key_arn, so its volumes use the default key", [e.subject, e.payload.address])
