# ING-03 Personal data removed or pseudonymised before training (per event).
# Each pii.scan is one occurrence for its subject (a dataset). A clean scan (total == 0) holds. A scan with
# findings holds only when a pii.transform of the same subject followed it and a later scan of the same
# subject is clean.
package assay.control

clean(e) if e.payload.total == 0

entities(e) := concat(", ", [sprintf("%s: %v", [k, v]) | some k, v in object.get(e.payload, "by_entity", {})])

# Transforms and clean scans grouped by subject in one pass, so a scan's lookups do not rescan the evidence.
transforms_of[s] contains t if {
	some t in input.evidence
	t.kind == "pii.transform"
	s := t.subject
}

clean_scans_of[s] contains x if {
	some x in input.evidence
	x.kind == "pii.scan"
	clean(x)
	s := x.subject
}

later_transform(e) := earliest([t | some t in transforms_of[e.subject]; t.observed_at >= e.observed_at])

later_clean_scan(e, t) := earliest([s | some s in clean_scans_of[e.subject]; s.observed_at >= t.observed_at])

# The earliest of some items (by observed_at, then ledger index); undefined when there are none. Used
# where several items could answer a lookup, so the function gives one answer, not a conflict.
earliest(items) := sort([[i.observed_at, i.index, i] | some i in items])[0][2]

occurrences contains o if {
	some e in input.evidence
	e.kind == "pii.scan"
	clean(e)
	o := {"at": e.observed_at, "ok": true, "subject": e.subject, "evidence": [e.index],
		"reason": sprintf("%s: scan #%v found no personal data or secrets", [e.subject, e.index])}
}

occurrences contains o if {
	some e in input.evidence
	e.kind == "pii.scan"
	not clean(e)
	t := later_transform(e)
	s := later_clean_scan(e, t)
	o := {"at": e.observed_at, "ok": true, "subject": e.subject, "evidence": [e.index, t.index, s.index],
		"reason": sprintf("%s: findings of scan #%v (%s) were %vd by #%v; rescan #%v is clean", [e.subject, e.index, entities(e), object.get(t.payload, "mode", "transforme"), t.index, s.index])}
}

occurrences contains o if {
	some e in input.evidence
	e.kind == "pii.scan"
	not clean(e)
	not remediated(e)
	o := {"at": e.observed_at, "ok": false, "subject": e.subject, "evidence": [e.index],
		"reason": sprintf("%s: scan #%v found %v item(s) of personal data (%s) and no pseudonymisation followed by a clean rescan", [e.subject, e.index, object.get(e.payload, "total", "?"), entities(e)])}
}

remediated(e) if {
	t := later_transform(e)
	later_clean_scan(e, t)
}
