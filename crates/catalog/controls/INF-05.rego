# INF-05 Output filtering for personal data and secrets (continuous).
# One occurrence per gateway configuration (`gateway.config`): every route that returns free text (`output`
# "free_text" or "generated") must filter responses for personal data and secrets (`output_filter.pii` and
# `output_filter.secrets` true) and redact or block matches (`action` "redact" or "block", not "log"); routes
# that return structured output (scores, labels) are listed as not needing the filter. One occurrence per
# output-filter alert (`gateway.alert` with `rule` "output_filter", newest record per `alert_id`): a hit holds
# once someone reviewed it (status acknowledged, resolved or closed) and fails while it is open.
package assay.control

routes(e) := object.get(e.payload, "routes", [])

free_text(r) if lower(object.get(r, "output", "structured")) in {"free_text", "generated", "text"}

filtered(r) if {
	f := r.output_filter
	f.pii == true
	f.secrets == true
	lower(object.get(f, "action", "redact")) in {"redact", "block"}
}

unfiltered(e) := sort([r.path | some r in routes(e); free_text(r); not filtered(r)])

text_routes(e) := [r | some r in routes(e); free_text(r)]

occurrences contains o if {
	some e in input.evidence
	e.kind == "gateway.config"
	count(routes(e)) > 0
	bad := unfiltered(e)
	o := {
		"at": e.observed_at, "ok": count(bad) == 0, "subject": e.subject, "evidence": [e.index],
		"reason": reason(e, bad),
	}
}

reason(e, []) := sprintf("%s: no route returns free text, so no output filter is needed (%v structured route(s))", [e.subject, count(routes(e))]) if count(text_routes(e)) == 0

reason(e, []) := sprintf("%s: all %v free-text route(s) redact or block personal data and secrets", [e.subject, count(text_routes(e))]) if count(text_routes(e)) > 0

reason(e, bad) := sprintf("%s: free-text routes without a personal-data and secrets filter that redacts or blocks: %s", [e.subject, concat(", ", bad)]) if count(bad) > 0

reviewed(a) := lower(object.get(a.payload, "status", "open")) in {"acknowledged", "resolved", "closed"}

occurrences contains o if {
	some a in input.evidence
	a.kind == "gateway.alert"
	a.payload.rule == "output_filter"
	o := {
		"at": a.observed_at, "ok": reviewed(a), "subject": sprintf("%s/alert:%v", [a.subject, a.payload.alert_id]), "evidence": [a.index],
		"reason": alert_reason(a),
	}
}

alert_reason(a) := sprintf("%s: output-filter hit %v on %v (%s) was reviewed by %v", [a.subject, a.payload.alert_id, object.get(a.payload, "route", "?"), object.get(a.payload, "detail", "no detail"), object.get(a.payload, "handled_by", "someone")]) if reviewed(a)

alert_reason(a) := sprintf("%s: output-filter hit %v on %v (%s) raised %s is not reviewed", [a.subject, a.payload.alert_id, object.get(a.payload, "route", "?"), object.get(a.payload, "detail", "no detail"), substring(a.observed_at, 0, 10)]) if not reviewed(a)
