# ING-01 Ingestion validation on every training-data load.
# Each dataset.validation result is one occurrence: it holds when the batch passed every rule.
package assay.control

occurrences contains o if {
	some e in input.evidence
	e.kind == "dataset.validation"
	e.payload.passed == true
	o := {
		"at": e.observed_at,
		"ok": true,
		"subject": e.subject,
		"reason": sprintf("%s: batch %v passed %v validation rule(s) (#%v)", [e.subject, object.get(e.payload, "data", "?"), object.get(e.payload, "evaluated_rules", 0), e.index]),
		"evidence": [e.index],
	}
}

occurrences contains o if {
	some e in input.evidence
	e.kind == "dataset.validation"
	not e.payload.passed == true
	failed := [sprintf("%v", [object.get(r, "detail", object.get(r, "rule", "a rule"))]) |
		some r in object.get(e.payload, "results", [])
		r.passed == false
	]
	o := {
		"at": e.observed_at,
		"ok": false,
		"subject": e.subject,
		"reason": sprintf("%s: batch %v failed validation (#%v): %s", [e.subject, object.get(e.payload, "data", "?"), e.index, concat("; ", failed)]),
		"evidence": [e.index],
	}
}
