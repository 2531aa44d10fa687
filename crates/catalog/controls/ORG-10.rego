# ORG-10 Control monitoring and deficiency reporting (quarterly).
# Each stored `assay check` run (check.result, subject assay:check) is an occurrence of automated
# monitoring. It holds when every failing control of that run is covered by a deficiency log entry
# (manual.document with subject `deficiency:<CONTROL-ID>` naming an owner) recorded at or after the run.
package assay.control

failing(r) := [x.control | some x in object.get(r.payload, "results", []); x.status == "fail"]

# Deficiency entries grouped by subject in one pass over the evidence.
documents_of[s] contains d if {
	some d in input.evidence
	d.kind == "manual.document"
	s := d.subject
}

logged(r, id) if {
	some d in documents_of[sprintf("deficiency:%s", [id])]
	d.observed_at >= r.observed_at
	d.payload.owner
}

occurrences contains o if {
	some r in input.evidence
	r.kind == "check.result"
	r.subject == "assay:check"
	open := [id | some id in failing(r); not logged(r, id)]
	o := {
		"at": r.observed_at,
		"ok": count(open) == 0,
		"subject": r.subject,
		"evidence": [r.index],
		"reason": text(r, open),
	}
}

text(r, open) := sprintf("check #%v: %v failing control(s), each logged as a deficiency with an owner", [r.index, count(failing(r))]) if count(open) == 0

text(r, open) := sprintf("check #%v: failing control(s) with no deficiency logged with an owner: %s", [r.index, concat(", ", sort(open))]) if count(open) > 0
