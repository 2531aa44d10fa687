# INF-01 Inference API authentication and per-key rate limits (continuous).
# One occurrence per gateway configuration (`gateway.config`, subject the gateway): it holds when every route
# requires authentication (`auth` other than "none") and sets a per-key rate limit (`rate_limit.per_key_rps`
# above zero); failures name the routes. One occurrence per audit batch (`gateway.audit_batch`) that reports
# calls served without authentication (`unauthenticated_served` above zero), subject `GATEWAY/audit`.
# The payload shapes are in docs/controls.md ("Inference gateway evidence").
package assay.control

routes(e) := object.get(e.payload, "routes", [])

unauthenticated(e) := sort([r.path | some r in routes(e); lower(object.get(r, "auth", "none")) == "none"])

unlimited(e) := sort([r.path | some r in routes(e); not limited(r)])

limited(r) if r.rate_limit.per_key_rps > 0

occurrences contains o if {
	some e in input.evidence
	e.kind == "gateway.config"
	count(routes(e)) > 0
	na := unauthenticated(e)
	nl := unlimited(e)
	o := {
		"at": e.observed_at, "ok": count(na) + count(nl) == 0, "subject": e.subject, "evidence": [e.index],
		"reason": config_reason(e, na, nl),
	}
}

config_reason(e, [], []) := sprintf("%s: all %v route(s) require authentication and set a per-key rate limit", [e.subject, count(routes(e))])

config_reason(e, na, nl) := concat("; ", array.concat(
	[sprintf("%s: routes without authentication: %s", [e.subject, concat(", ", na)]) | count(na) > 0],
	[sprintf("%s: routes without a per-key rate limit: %s", [e.subject, concat(", ", nl)]) | count(nl) > 0],
)) if count(na) + count(nl) > 0

occurrences contains o if {
	some b in input.evidence
	b.kind == "gateway.audit_batch"
	n := object.get(b.payload, "unauthenticated_served", 0)
	n > 0
	o := {
		"at": b.observed_at, "ok": false, "subject": sprintf("%s/audit", [b.subject]), "evidence": [b.index],
		"reason": sprintf("%s: audit batch %v served %v call(s) without authentication", [b.subject, b.payload.batch, n]),
	}
}
