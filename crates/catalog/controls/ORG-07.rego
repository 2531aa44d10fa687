# ORG-07 Security, privacy and AI policies approved and published every year (annually).
# Each policy document (manual.document whose subject starts with `policy:`) is one occurrence. It holds
# when the document names who approved it and carries a review date (expires_at). Documents past their
# review date never reach this test: the engine reports them as stale.
package assay.control

policy_docs contains e if {
	some e in input.evidence
	e.kind == "manual.document"
	startswith(e.subject, "policy:")
}

occurrences contains o if {
	some e in policy_docs
	e.payload.approved_by
	e.expires_at
	o := {
		"at": e.observed_at,
		"ok": true,
		"subject": e.subject,
		"reason": sprintf("%s approved by %v, review due %s (#%v)", [object.get(e.payload, "title", e.subject), e.payload.approved_by, substring(e.expires_at, 0, 10), e.index]),
		"evidence": [e.index],
	}
}

occurrences contains o if {
	some e in policy_docs
	not e.payload.approved_by
	o := {
		"at": e.observed_at,
		"ok": false,
		"subject": e.subject,
		"reason": sprintf("%s (#%v) does not say who approved it", [object.get(e.payload, "title", e.subject), e.index]),
		"evidence": [e.index],
	}
}

occurrences contains o if {
	some e in policy_docs
	e.payload.approved_by
	not e.expires_at
	o := {
		"at": e.observed_at,
		"ok": false,
		"subject": e.subject,
		"reason": sprintf("%s (#%v) has no review date; record it with --expires", [object.get(e.payload, "title", e.subject), e.index]),
		"evidence": [e.index],
	}
}
