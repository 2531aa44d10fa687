# TRN-04 Fairness evaluation for every model release (per event).
# Each fairness.report is one occurrence for its model: it holds when every metric is within tolerance.
package assay.control

occurrences contains o if {
	some e in input.evidence
	e.kind == "fairness.report"
	e.payload.passed == true
	o := {"at": e.observed_at, "ok": true, "subject": e.subject, "evidence": [e.index],
		"reason": sprintf("%s: fairness across %v groups of %v within tolerance (#%v)", [e.subject, count(object.get(e.payload, "groups", [])), object.get(e.payload, "sensitive", "?"), e.index])}
}

occurrences contains o if {
	some e in input.evidence
	e.kind == "fairness.report"
	not e.payload.passed == true
	bad := [sprintf("%s %v (limit %v)", [m.metric, m.value, m.threshold]) | some m in object.get(e.payload, "metrics", []); m.passed == false]
	o := {"at": e.observed_at, "ok": false, "subject": e.subject, "evidence": [e.index],
		"reason": sprintf("%s: fairness out of tolerance across %v (#%v): %s", [e.subject, object.get(e.payload, "sensitive", "?"), e.index, concat("; ", bad)])}
}
