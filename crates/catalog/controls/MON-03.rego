# MON-03 Configuration baseline monitoring (daily).
# Each stored `assay check` run (`check.result`) is one daily comparison of the live configuration with the
# baseline that the configuration controls encode: STO-01, STO-03, STO-04, STO-06, SUP-01, SUP-10, SUP-11,
# INF-07 and REG-03, the controls that read Terraform state. A run holds when every one of them that it
# evaluated passed. It fails naming each weakened setting (the failing control and its reason), and also when
# the run could see none of them (all not verifiable: the configuration is not monitored). A deviation that
# stays open shows as consecutive failed days over a period (`assay check --period`); the remediation window
# is judged from those exceptions.
package assay.control

baseline := {"STO-01", "STO-03", "STO-04", "STO-06", "SUP-01", "SUP-10", "SUP-11", "INF-07", "REG-03"}

config_results(e) := [r | some r in object.get(e.payload, "results", []); r.control in baseline]

seen(e) := [r | some r in config_results(e); r.status in {"pass", "fail"}]

failing(e) := [r | some r in config_results(e); r.status == "fail"]

occurrences contains o if {
	some e in input.evidence
	e.kind == "check.result"
	rs := config_results(e)
	count(rs) > 0
	o := {
		"at": e.observed_at, "ok": holds(e), "subject": e.subject, "evidence": [e.index],
		"reason": reason(e),
	}
}

reason(e) := sprintf("check run #%v saw no configuration control (all not verifiable): the configuration baseline is not monitored", [e.index]) if count(seen(e)) == 0

reason(e) := sprintf("check run #%v: %v configuration control(s) hold (%s)", [e.index, count(seen(e)), concat(", ", sort([r.control | some r in seen(e)]))]) if {
	count(seen(e)) > 0
	count(failing(e)) == 0
}

reason(e) := sprintf("check run #%v found configuration deviations: %s", [e.index, concat("; ", sort([sprintf("%s %s", [r.control, r.reason]) | some r in failing(e)]))]) if count(failing(e)) > 0

holds(e) := count([1 | count(seen(e)) > 0; count(failing(e)) == 0]) == 1
