# STO-04 Retention limits on training data holding personal data (continuous).
# Components in scope that hold `pii` are the stores with a retention duty; `retention_days` on a component
# (assay.toml) is its limit from the data-retention schedule. One occurrence per storage bucket (tf.resource,
# storage_bucket) mapped to such a component: it holds when a lifecycle rule expires objects (the smallest
# enabled S3 expiration, or a GCS Delete rule's age) no later than the limit, or at all when no limit is stated.
# Rules limited to a prefix or tag count as if they covered the whole bucket. One occurrence per
# dataset.snapshot recorded for such a component with a limit: it fails once the snapshot is older than the
# limit at the end of the window. Snapshots are reference evidence (controls.toml `reference`): every one
# recorded up to the end of the window is read, however old.
package assay.control

personal := {c.id: c | some c in input.scope.components; c.in_scope; "pii" in object.get(c, "holds", [])}

limit(c) := object.get(c, "retention_days", null)

occurrences contains o if {
	some e in input.evidence
	e.kind == "tf.resource"
	e.payload.category == "storage_bucket"
	c := personal[e.subject]
	days := object.get(e.payload.facts, "expiration_days", null)
	v := bucket(days, limit(c))
	o := {"at": e.observed_at, "ok": v[0], "subject": e.subject, "evidence": [e.index],
		"reason": sprintf("%s (%s): %s", [e.subject, bucket_name(e), v[1]])}
}

bucket_name(e) := n if {
	n := e.payload.facts.bucket
	n != null
} else := e.payload.address

bucket(null, _) := [false, "holds personal data but no lifecycle rule expires its objects"]

bucket(days, null) := [true, sprintf("objects expire after %v days (no retention_days stated for the component)", [days])] if days != null

bucket(days, lim) := [true, sprintf("objects expire after %v days, within the %v-day retention", [days, lim])] if {
	days != null
	lim != null
	days <= lim
}

bucket(days, lim) := [false, sprintf("objects expire after %v days, longer than the %v-day retention", [days, lim])] if {
	days != null
	lim != null
	days > lim
}

# Days since 1970-01-01 of an RFC 3339 UTC time (the Julian day number in integer arithmetic; no time
# builtins). Leading zeros are trimmed: to_number reads JSON numbers.
day_number(ts) := n if {
	y0 := to_number(substring(ts, 0, 4))
	m := to_number(trim_prefix(substring(ts, 5, 2), "0"))
	d := to_number(trim_prefix(substring(ts, 8, 2), "0"))
	a := floor((14 - m) / 12)
	y := (y0 + 4800) - a
	mm := (m + (12 * a)) - 3
	jdn := ((((((d + floor(((153 * mm) + 2) / 5)) + (365 * y)) + floor(y / 4)) - floor(y / 100)) + floor(y / 400)) - 32045)
	n := jdn - 2440588
}

occurrences contains o if {
	some e in input.evidence
	e.kind == "dataset.snapshot"
	object.get(e.payload, "action", "snapshot") == "snapshot"
	c := personal[e.subject]
	lim := limit(c)
	lim != null
	age := day_number(input.window.to) - day_number(e.observed_at)
	ok := age <= lim
	o := {"at": e.observed_at, "ok": ok, "subject": sprintf("%s@%v", [e.subject, object.get(e.payload, "version", e.index)]), "evidence": [e.index],
		"reason": snapshot_reason(e, age, lim, ok)}
}

snapshot_reason(e, age, lim, true) := sprintf("%s: snapshot %v %v is %v day(s) old, within the %v-day retention", [e.subject, object.get(e.payload, "name", "?"), object.get(e.payload, "version", "?"), age, lim])

snapshot_reason(e, age, lim, false) := sprintf("%s: snapshot %v %v (recorded %s) is %v days old, past the %v-day retention: delete it or re-derive it from a pseudonymised source", [e.subject, object.get(e.payload, "name", "?"), object.get(e.payload, "version", "?"), e.observed_at, age, lim])
