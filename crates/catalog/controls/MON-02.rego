# MON-02 Availability and latency monitoring with on-call alerting (continuous).
# One occurrence per monitored subject, dated at its newest monitor.alert in the window: it holds when
# every alert of that subject in the window is acknowledged or closed (status acknowledged, closed or
# resolved). Monitor coverage of every endpoint needs monitor configuration evidence no collector writes yet.
package assay.control

handled := {"acknowledged", "closed", "resolved"}

subjects contains a.subject if {
	some a in input.evidence
	a.kind == "monitor.alert"
}

occurrences contains o if {
	some s in subjects
	alerts := [a | some a in input.evidence; a.kind == "monitor.alert"; a.subject == s]
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
