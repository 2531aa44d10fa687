# SUP-04 Vulnerability scanning of ML dependencies with remediation deadlines (daily).
# For each scanned target (lockfile or scanner), only its newest scan counts: a finding absent from it is closed.
# Each finding in the newest scan is one occurrence; it holds while it has been open (scan time minus first_seen,
# the first time Assay saw it) no longer than the deadline for its severity: critical 7 days, high 30, medium 90,
# low 180; `unknown` (scanners such as pip-audit give none) is held to the high deadline until triaged. A newest
# scan with no findings is one passing occurrence.
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

deadline_days := {"critical": 7, "high": 30, "medium": 90, "low": 180, "unknown": 30}

scans contains s if {
	some s in input.evidence
	s.kind == "vuln.finding"
	s.payload.scan == true
}

findings contains f if {
	some f in input.evidence
	f.kind == "vuln.finding"
	not f.payload.scan
	is_string(f.payload.first_seen)
}

# Scan times and findings grouped by target in one pass over the evidence.
scan_times[t] contains s.observed_at if {
	some s in scans
	t := s.payload.target
}

scans_of[t] contains s if {
	some s in scans
	t := s.payload.target
}

findings_of[t] contains f if {
	some f in findings
	t := f.payload.target
}

newest(target) := max(scan_times[target])

occurrences contains o if {
	some t, _ in scan_times
	at := newest(t)
	some f in findings_of[t]
	f.observed_at == at
	limit := object.get(deadline_days, f.payload.severity, 30)
	age := day(at) - day(f.payload.first_seen)
	o := {
		"at": at,
		"ok": age <= limit,
		"subject": f.subject,
		"evidence": [f.index],
		"reason": describe(f, age, limit),
	}
}

occurrences contains o if {
	some t, _ in scan_times
	at := newest(t)
	some s in scans_of[t]
	s.observed_at == at
	s.payload.findings == 0
	o := {
		"at": at,
		"ok": true,
		"subject": s.subject,
		"evidence": [s.index],
		"reason": sprintf("%s: scanned %s by %s, no open findings", [t, substring(at, 0, 10), s.payload.scanner]),
	}
}

fix(f) := sprintf("; fixed in %s", [f.payload.fixed_version]) if is_string(f.payload.fixed_version)

fix(f) := "; no fixed version yet" if not is_string(f.payload.fixed_version)

finding(f) := sprintf("%s %s: %s (%s) open %v days since %s", [f.payload.package, object.get(f.payload, "version", "?"), f.payload.advisory, f.payload.severity, age_of(f), substring(f.payload.first_seen, 0, 10)])

age_of(f) := day(f.observed_at) - day(f.payload.first_seen)

describe(f, age, limit) := sprintf("%s, within the %v-day deadline%s", [finding(f), limit, fix(f)]) if age <= limit

describe(f, age, limit) := sprintf("%s, past the %v-day deadline%s", [finding(f), limit, fix(f)]) if age > limit
