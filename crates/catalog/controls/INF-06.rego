# INF-06 Screening of adversarial and prompt-injection inputs (continuous).
# One occurrence per gateway configuration (`gateway.config`): every external route (`external` true, the
# default) must screen requests before they reach the model (`input_screening` with a positive `max_bytes`
# and an `action` of "block" or "flag"), and a route that takes free text (`input` "free_text" or "prompt")
# must also screen for prompt injection (`input_screening.prompt_injection` true); failures name the routes
# and what is missing. One occurrence per screening alert (`gateway.alert` with `rule` "input_screening",
# newest record per `alert_id`): a flagged request holds once someone reviewed it.
package assay.control

routes(e) := object.get(e.payload, "routes", [])

external(r) if object.get(r, "external", true) == true

screened(r) if {
	s := r.input_screening
	s.max_bytes > 0
	lower(object.get(s, "action", "block")) in {"block", "flag"}
}

needs_injection_check(r) if lower(object.get(r, "input", "structured")) in {"free_text", "prompt", "text"}

gaps(r) := array.concat(
	["no input screening" | external(r); not screened(r)],
	["no prompt-injection screening" | external(r); needs_injection_check(r); not r.input_screening.prompt_injection == true],
)

bad_routes(e) := sort([sprintf("%s (%s)", [r.path, concat(", ", gaps(r))]) | some r in routes(e); count(gaps(r)) > 0])

occurrences contains o if {
	some e in input.evidence
	e.kind == "gateway.config"
	count(routes(e)) > 0
	bad := bad_routes(e)
	o := {
		"at": e.observed_at, "ok": count(bad) == 0, "subject": e.subject, "evidence": [e.index],
		"reason": reason(e, bad),
	}
}

reason(e, []) := sprintf("%s: every external route screens its input (%v external route(s))", [e.subject, count([r | some r in routes(e); external(r)])])

reason(e, bad) := sprintf("%s: external routes without the screening they need: %s", [e.subject, concat("; ", bad)]) if count(bad) > 0

reviewed(a) := lower(object.get(a.payload, "status", "open")) in {"acknowledged", "resolved", "closed"}

occurrences contains o if {
	some a in input.evidence
	a.kind == "gateway.alert"
	a.payload.rule == "input_screening"
	o := {
		"at": a.observed_at, "ok": reviewed(a), "subject": sprintf("%s/alert:%v", [a.subject, a.payload.alert_id]), "evidence": [a.index],
		"reason": sprintf("%s: flagged request %v on %v (%s) %s", [a.subject, a.payload.alert_id, object.get(a.payload, "route", "?"), object.get(a.payload, "detail", "no detail"), review_text(a)]),
	}
}

review_text(a) := sprintf("was reviewed by %v", [object.get(a.payload, "handled_by", "someone")]) if reviewed(a) == true

review_text(a) := sprintf("raised %s is not reviewed", [substring(a.observed_at, 0, 10)]) if reviewed(a) == false
