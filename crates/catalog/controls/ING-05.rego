# ING-05 Training-use consent enforced at ingestion (per event).
# Each dataset.validation is one occurrence: it holds when the load evaluated a consent rule (a result
# whose rule or column names `consent` or `opt_out`) and that rule passed. A load without a consent rule,
# or whose consent rule failed, fails.
package assay.control

consent_results(e) := [r |
	some r in object.get(e.payload, "results", [])
	about_consent(r)
]

about_consent(r) if mentions_consent(object.get(r, "rule", ""))

about_consent(r) if mentions_consent(object.get(r, "column", ""))

mentions_consent(s) if contains(lower(s), "consent")

mentions_consent(s) if contains(lower(s), "opt_out")

occurrences contains o if {
	some e in input.evidence
	e.kind == "dataset.validation"
	rs := consent_results(e)
	failed := [sprintf("%v", [object.get(r, "detail", "consent rule failed")]) | some r in rs; r.passed == false]
	o := {
		"at": e.observed_at,
		"ok": holds(rs, failed),
		"subject": e.subject,
		"evidence": [e.index],
		"reason": text(e, rs, failed),
	}
}

holds(rs, failed) if {
	count(rs) > 0
	count(failed) == 0
} else := false

text(e, rs, failed) := sprintf("%s: load #%v checked no consent rule", [e.subject, e.index]) if count(rs) == 0

text(e, rs, failed) := sprintf("%s: load #%v enforced the consent rule", [e.subject, e.index]) if {
	count(rs) > 0
	count(failed) == 0
}

text(e, rs, failed) := sprintf("%s: load #%v let records through without consent: %s", [e.subject, e.index, concat("; ", failed)]) if count(failed) > 0
