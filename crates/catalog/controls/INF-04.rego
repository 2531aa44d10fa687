# INF-04 Output validation before responses are returned (continuous).
# One occurrence per gateway configuration (`gateway.config`): it holds when every route validates model
# output against a response specification before returning it (`output_validation` with a `schema` or
# `rules`) and replaces an invalid output with an error (`on_invalid` "error", "block" or "fallback", not
# "log" or "pass"); failures name the routes. Alerts raised by the validator are not assessed here.
package assay.control

routes(e) := object.get(e.payload, "routes", [])

validated(r) if {
	v := r.output_validation
	is_object(v)
	some k in ["schema", "rules"]
	object.get(v, k, null) != null
	lower(object.get(v, "on_invalid", "error")) in {"error", "block", "fallback"}
}

unvalidated(e) := sort([r.path | some r in routes(e); not validated(r)])

occurrences contains o if {
	some e in input.evidence
	e.kind == "gateway.config"
	count(routes(e)) > 0
	bad := unvalidated(e)
	o := {
		"at": e.observed_at, "ok": count(bad) == 0, "subject": e.subject, "evidence": [e.index],
		"reason": reason(e, bad),
	}
}

reason(e, []) := sprintf("%s: all %v route(s) validate output and return an error for invalid output", [e.subject, count(routes(e))])

reason(e, bad) := sprintf("%s: routes that return output without validating it (or only log invalid output): %s", [e.subject, concat(", ", bad)]) if count(bad) > 0
