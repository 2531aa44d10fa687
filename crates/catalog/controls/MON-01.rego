# MON-01 Drift and performance monitoring with thresholds and alerts (daily).
# Each drift.report is one occurrence for its subject. A report without drift and without degraded
# performance holds. A drifting or degraded report holds only when a monitor.alert for the same subject
# was raised at or after it and has been resolved (status closed or resolved).
package assay.control

drifting(e) if e.payload.dataset_drift == true

drifting(e) if e.payload.performance.degraded == true

drifted_columns(e) := [c.column | some c in object.get(e.payload, "columns", []); c.drifted == true]

# Alerts grouped by subject in one pass, so a report's lookups do not rescan the evidence.
alerts_of[s] contains a if {
	some a in input.evidence
	a.kind == "monitor.alert"
	s := a.subject
}

resolved_alert(e) := earliest([a |
	some a in alerts_of[e.subject]
	a.observed_at >= e.observed_at
	object.get(a.payload, "status", "open") in {"closed", "resolved"}
])

# The earliest of some items (by observed_at, then ledger index); undefined when there are none. Used
# where several items could answer a lookup, so the function gives one answer, not a conflict.
earliest(items) := sort([[i.observed_at, i.index, i] | some i in items])[0][2]

occurrences contains o if {
	some e in input.evidence
	e.kind == "drift.report"
	not drifting(e)
	o := {
		"at": e.observed_at,
		"ok": true,
		"subject": e.subject,
		"reason": sprintf("%s: no drift and no performance degradation in report #%v", [e.subject, e.index]),
		"evidence": [e.index],
	}
}

occurrences contains o if {
	some e in input.evidence
	e.kind == "drift.report"
	drifting(e)
	a := resolved_alert(e)
	o := {
		"at": e.observed_at,
		"ok": true,
		"subject": e.subject,
		"reason": sprintf("%s: drift in report #%v was alerted and resolved (alert #%v)", [e.subject, e.index, a.index]),
		"evidence": [e.index, a.index],
	}
}

occurrences contains o if {
	some e in input.evidence
	e.kind == "drift.report"
	drifting(e)
	not resolved_alert(e)
	cols := concat(", ", drifted_columns(e))
	# Oldest first, as in input.evidence.
	alerts := [x[1] | some x in sort([[a.observed_at, a.index] | some a in object.get(alerts_of, e.subject, set()); a.observed_at >= e.observed_at])]
	handling := alert_text(alerts)
	o := {
		"at": e.observed_at,
		"ok": false,
		"subject": e.subject,
		"reason": sprintf("%s: drift detected in report #%v (columns: %s) and %s", [e.subject, e.index, cols, handling]),
		"evidence": array.concat([e.index], alerts),
	}
}

alert_text(alerts) := "no alert was raised" if count(alerts) == 0

alert_text(alerts) := sprintf("alert #%v is still open", [alerts[0]]) if count(alerts) > 0
