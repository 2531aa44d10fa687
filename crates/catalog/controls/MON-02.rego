# MON-02 Availability and latency monitoring with on-call alerting (continuous).
# One occurrence per monitored subject, dated at its newest monitor.alert in the window: it holds when
# every alert of that subject in the window is acknowledged or closed (status acknowledged, closed or
# resolved). Monitor coverage of every endpoint needs monitor configuration evidence no collector writes yet.
package assay.control

handled := {"acknowledged", "closed", "resolved"}

# Alerts grouped by subject in one pass over the evidence.
alerts_of[s] contains a if {
	some a in input.evidence
	a.kind == "monitor.alert"
	s := a.subject
}

occurrences contains o if {
	some s, group in alerts_of
	alerts := [a | some a in group]
	open := [a | some a in alerts; not object.get(a.payload, "status", "open") in handled]
	o := {
		"at": max([a.observed_at | some a in alerts]),
		"ok": count(open) == 0,
		"subject": s,
		"evidence": sort([a.index | some a in alerts]),
		"reason": text(s, alerts, open),
	}
}

text(s, alerts, open) := sprintf("%s: all %v alert(s) in the window were handled", [s, count(alerts)]) if count(open) == 0

text(s, alerts, open) := sprintf("%s: %v of %v alert(s) still open (%s)", [s, count(open), count(alerts), concat(", ", sort([sprintf("#%v", [a.index]) | some a in open]))]) if count(open) > 0
