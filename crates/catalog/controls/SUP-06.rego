# SUP-06 Quarterly restore test of models, registry and datasets (quarterly).
# Every dr.test record is one occurrence for its system: it holds when the test passed and the recovery time
# and recovery point achieved are within their targets (when both are recorded). A failed test is followed
# up by a later passing test of the same system, which then is the newest occurrence. Hash and smoke-evaluation
# checks of the restored model are read from the record's result, not verified here.
package assay.control

occurrences contains o if {
	some e in input.evidence
	e.kind == "dr.test"
	problems := [p | some p in checks(e)]
	o := {"at": e.observed_at, "ok": count(problems) == 0, "subject": e.subject, "evidence": [e.index],
		"reason": describe(e, problems)}
}

checks(e) := {p |
	some p in [
		failed_result(e),
		missed("RTO", e.payload, "rto"),
		missed("RPO", e.payload, "rpo"),
	]
	p != ""
}

failed_result(e) := "" if e.payload.passed == true

failed_result(e) := sprintf("result %s", [object.get(e.payload, "result", "not recorded")]) if not e.payload.passed == true

missed(label, p, key) := sprintf("%s %v min achieved against a %v min target", [label, p[sprintf("%s_achieved_minutes", [key])], p[sprintf("%s_target_minutes", [key])]]) if {
	p[sprintf("%s_met", [key])] == false
}

missed(label, p, key) := "" if not p[sprintf("%s_met", [key])] == false

describe(e, problems) := sprintf("%s: restore test %s on %s passed%s", [e.subject, e.payload.id, substring(e.observed_at, 0, 10), objectives(e.payload)]) if count(problems) == 0

describe(e, problems) := sprintf("%s: restore test %s on %s failed: %s", [e.subject, e.payload.id, substring(e.observed_at, 0, 10), concat("; ", sort(problems))]) if count(problems) > 0

objectives(p) := sprintf(" (RTO %v of %v min)", [p.rto_achieved_minutes, p.rto_target_minutes]) if p.rto_met == true

objectives(p) := "" if not p.rto_met == true
