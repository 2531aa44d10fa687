# INF-07 Autoscaling and capacity headroom for model serving (continuous).
# One occurrence per autoscaling configuration read from Terraform or Kubernetes manifests (tf.resource,
# category autoscaling: Auto Scaling groups, Application Auto Scaling targets such as SageMaker endpoint
# variants, HorizontalPodAutoscalers): it holds when the maximum is above the minimum, so serving can scale on
# load. Whether the limits fit the expected peak, and the handling of capacity alerts, are not assessed yet.
package assay.control

occurrences contains o if {
	some e in input.evidence
	e.kind == "tf.resource"
	e.payload.category == "autoscaling"
	f := e.payload.facts
	ok := f.headroom == true
	o := {"at": e.observed_at, "ok": ok, "subject": e.subject, "evidence": [e.index], "reason": describe(e, f, ok)}
}

describe(e, f, true) := sprintf("%s: %v scales %v between %v and %v", [e.subject, f.service, f.target, f.min, f.max])

describe(e, f, false) := sprintf("%s: %v %v cannot scale (min %v, max %v)", [e.subject, f.service, f.target, f.min, f.max])
