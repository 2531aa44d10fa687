# ORG-12 AI-aware incident response (per event).
# Each incident (its newest record, when an export was collected more than once) is one occurrence: it holds
# when it was classified (a severity), triaged (a triage time) and, once resolved, closed with a post-incident
# review (a post-mortem link). An open, triaged incident holds until it is resolved. Whether AI playbooks exist
# is a manual document and is not assessed here.
package assay.control

latest contains e if {
	some e in input.evidence
	e.kind == "incident"
	id := object.get(e.payload, "id", sprintf("#%v", [e.index]))
	not newer(e, id)
}

# The highest ledger index of each incident id, computed in one pass.
records_of[id] contains f.index if {
	some f in input.evidence
	f.kind == "incident"
	id := object.get(f.payload, "id", "")
}

newer(e, id) if max(records_of[id]) > e.index

problems(p) := {x |
	some x in [
		cond(not_has(p, "severity"), "no severity"),
		cond(not_has(p, "triaged_at"), "never triaged"),
		cond(closed_without_review(p), "resolved without a post-incident review"),
	]
	x != ""
}

not_has(p, k) := object.get(p, k, null) == null

closed_without_review(p) := true if {
	object.get(p, "resolved_at", null) != null
	not p.has_post_mortem == true
} else := false

cond(true, msg) := msg

cond(false, _) := ""

occurrences contains o if {
	some e in latest
	ps := problems(e.payload)
	o := {"at": e.observed_at, "ok": count(ps) == 0, "subject": e.subject, "evidence": [e.index], "reason": describe(e, ps)}
}

title(p) := sprintf("%s (%s)", [p.id, p.title]) if p.title

title(p) := sprintf("%v", [object.get(p, "id", "incident")]) if not p.title

describe(e, ps) := sprintf("%s: incident %s, %s, triaged after %v min, resolved with a post-incident review", [e.subject, title(e.payload), e.payload.severity, e.payload.minutes_to_triage]) if {
	count(ps) == 0
	e.payload.resolved_at
}

describe(e, ps) := sprintf("%s: incident %s, %s, triaged after %v min, still open", [e.subject, title(e.payload), e.payload.severity, e.payload.minutes_to_triage]) if {
	count(ps) == 0
	not e.payload.resolved_at
}

describe(e, ps) := sprintf("%s: incident %s: %s", [e.subject, title(e.payload), concat(", ", sort(ps))]) if count(ps) > 0
