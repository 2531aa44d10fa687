# SUP-03 Quarterly access reviews of data, model and production systems (quarterly).
# One occurrence per system (the access_review subject) and export of the review register: it holds when the
# latest review of that system known at the export is at most 92 days (a quarter) older than the export. Review
# registers are collected as snapshots (observed at export time), so a system whose last review is long past still
# reaches this test and fails here rather than dropping out of the look-back window.
package assay.control

# Days since 0000-03-01 of an RFC 3339 timestamp or a date (proleptic Gregorian), for day differences.
day(ts) := n if {
	y0 := to_number(substring(ts, 0, 4))
	# "1" prefixed: to_number refuses leading zeros ("06").
	m := to_number(concat("", ["1", substring(ts, 5, 2)])) - 100
	d := to_number(concat("", ["1", substring(ts, 8, 2)])) - 100
	mp := (m + 9) % 12
	y := y0 - floor(mp / 10)
	n := ((((365 * y) + floor(y / 4)) - floor(y / 100)) + floor(y / 400)) + (floor(((153 * mp) + 2) / 5) + d)
}

quarter_days := 92

reviews contains r if {
	some r in input.evidence
	r.kind == "access_review"
	is_string(r.payload.date)
}

occurrences contains o if {
	some s in {r.subject | some r in reviews}
	some at in {r.observed_at | some r in reviews; r.subject == s}
	known := [r | some r in reviews; r.subject == s; r.observed_at <= at]
	last := max([r.payload.date | some r in known])
	latest := max([r.index | some r in known; r.payload.date == last])
	some r in known
	r.index == latest
	age := day(at) - day(last)
	o := {
		"at": at,
		"ok": age <= quarter_days,
		"subject": s,
		"evidence": [r.index],
		"reason": describe(s, r, age),
	}
}

summary(r) := sprintf("last access review %s by %s (%v accounts, %v removed)", [substring(r.payload.date, 0, 10), r.payload.reviewer, object.get(r.payload, "population", "?"), object.get(r.payload, "removals", "?")])

describe(s, r, age) := sprintf("%s: %s, %v days before the export", [s, summary(r), age]) if age <= quarter_days

describe(s, r, age) := sprintf("%s: %s is %v days old, more than a quarter (%v days)", [s, summary(r), age, quarter_days]) if age > quarter_days
