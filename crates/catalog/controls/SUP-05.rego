# SUP-05 Secrets scanning of repositories, notebooks and datasets (per event).
# Each pii.scan is one occurrence: it holds when it found no credentials (AWS keys, private keys, API
# tokens), or when an incident for the same subject, recorded after the scan, says the secret was rotated.
package assay.control

secret_entities := {"AWS_ACCESS_KEY", "PRIVATE_KEY", "API_TOKEN"}

secrets(e) := {k: v | some k, v in object.get(e.payload, "by_entity", {}); k in secret_entities; v > 0}

# Incidents that rotated credentials, grouped by subject in one pass over the evidence.
rotations_of[s] contains i if {
	some i in input.evidence
	i.kind == "incident"
	i.payload.rotated == true
	s := i.subject
}

rotation(e) := earliest([i | some i in rotations_of[e.subject]; i.observed_at >= e.observed_at])

# The earliest of some items (by observed_at, then ledger index); undefined when there are none. Used
# where several items could answer a lookup, so the function gives one answer, not a conflict.
earliest(items) := sort([[i.observed_at, i.index, i] | some i in items])[0][2]

occurrences contains o if {
	some e in input.evidence
	e.kind == "pii.scan"
	count(secrets(e)) == 0
	o := {"at": e.observed_at, "ok": true, "subject": e.subject, "evidence": [e.index],
		"reason": sprintf("%s: scan #%v found no credentials", [e.subject, e.index])}
}

occurrences contains o if {
	some e in input.evidence
	e.kind == "pii.scan"
	count(secrets(e)) > 0
	i := rotation(e)
	o := {"at": e.observed_at, "ok": true, "subject": e.subject, "evidence": [e.index, i.index],
		"reason": sprintf("%s: credentials found by scan #%v were rotated (incident #%v)", [e.subject, e.index, i.index])}
}

occurrences contains o if {
	some e in input.evidence
	e.kind == "pii.scan"
	s := secrets(e)
	count(s) > 0
	not rotation(e)
	o := {"at": e.observed_at, "ok": false, "subject": e.subject, "evidence": [e.index],
		"reason": sprintf("%s: scan #%v found credentials (%s) with no recorded rotation", [e.subject, e.index, concat(", ", sort([sprintf("%s: %v", [k, v]) | some k, v in s]))])}
}
