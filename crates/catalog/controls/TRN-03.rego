# TRN-03 Evaluation gate before promotion (per event).
# One occurrence per production deployment (`deployment` with payload.production true; the deployments
# collector derives them from the release log, GTO stage assignments and MLflow aliases or stages). It holds
# when the newest `model.evaluation` of the same model and version recorded at or before the deployment
# passed. An evaluation passes when its `passed` is true, or, without `passed`, when every metric meets its
# threshold (`direction` "min": value >= threshold, the default; "max": value <= threshold). It fails when
# no evaluation was recorded before the deployment (an evaluation recorded only afterwards is named), or when
# the evaluation in force failed (its failing metrics are named) without an exception approved by someone
# other than the evaluator (`exception: {approved_by, reason}`).
#
# model.evaluation payload: {model, version, passed?, metrics: [{name, value, threshold?, direction?}],
# dataset?, evaluated_by?, exception?}; subject `model:NAME`. mlflow.model_version is read through the
# deployments the deployments collector derives from MLflow aliases and stages.
package assay.control

deployments contains d if {
	some d in input.evidence
	d.kind == "deployment"
	d.payload.production == true
}

model_of(e) := m if {
	m := e.payload.model
	is_string(m)
} else := trim_prefix(e.subject, "model:")

key(e) := sprintf("%s@%v", [lower(model_of(e)), e.payload.version])

# Evaluations per model@version, indexed once.
evaluations[k] contains e if {
	some e in input.evidence
	e.kind == "model.evaluation"
	k := key(e)
}

before(d) := [e | some e in evaluations[key(d)]; e.observed_at <= d.observed_at]

after(d) := [x[2] | some x in sort([[e.observed_at, e.index, e] | some e in evaluations[key(d)]; e.observed_at > d.observed_at])]

# The newest of some items (by observed_at, then ledger index); undefined when there are none.
newest(items) := x[2] if {
	sorted := sort([[i.observed_at, i.index, i] | some i in items])
	count(sorted) > 0
	x := sorted[count(sorted) - 1]
}

# The evaluation in force at the deployment: the newest recorded at or before it.
in_force(d) := newest(before(d))

metric_ok(m) if {
	object.get(m, "direction", "min") == "max"
	m.value <= m.threshold
}

metric_ok(m) if {
	object.get(m, "direction", "min") != "max"
	m.value >= m.threshold
}

failing_metrics(e) := [sprintf("%s %v %s %v", [m.name, m.value, cmp(m), m.threshold]) |
	some m in object.get(e.payload, "metrics", [])
	is_number(m.threshold)
	not metric_ok(m)
]

cmp(m) := "above the maximum" if object.get(m, "direction", "min") == "max"

cmp(m) := "below the minimum" if object.get(m, "direction", "min") != "max"

passed(e) if e.payload.passed == true

passed(e) if {
	not is_boolean(e.payload.passed)
	count(object.get(e.payload, "metrics", [])) > 0
	count(failing_metrics(e)) == 0
}

label(d) := sprintf("%s %v to %s on %s", [d.subject, d.payload.version, d.payload.environment, substring(d.observed_at, 0, 10)])

occurrences contains o if {
	some d in deployments
	e := in_force(d)
	passed(e)
	o := {
		"at": d.observed_at, "ok": true, "subject": d.subject, "evidence": [d.index, e.index],
		"reason": sprintf("%s: passed evaluation #%v of %s", [label(d), e.index, substring(e.observed_at, 0, 10)]),
	}
}

accepted(e) if {
	a := e.payload.exception.approved_by
	is_string(a)
	a != ""
	lower(a) != lower(object.get(e.payload, "evaluated_by", ""))
}

occurrences contains o if {
	some d in deployments
	e := in_force(d)
	not passed(e)
	accepted(e)
	o := {
		"at": d.observed_at, "ok": true, "subject": d.subject, "evidence": [d.index, e.index],
		"reason": sprintf("%s: evaluation #%v failed%s, accepted by an exception approved by %s (%s)", [
			label(d), e.index, suffix(concat(", ", failing_metrics(e))),
			e.payload.exception.approved_by, object.get(e.payload.exception, "reason", "no reason given"),
		]),
	}
}

occurrences contains o if {
	some d in deployments
	e := in_force(d)
	not passed(e)
	not accepted(e)
	fm := failing_metrics(e)
	detail := concat(", ", fm)
	o := {
		"at": d.observed_at, "ok": false, "subject": d.subject, "evidence": [d.index, e.index],
		"reason": sprintf("%s: the evaluation in force (#%v of %s) failed%s", [label(d), e.index, substring(e.observed_at, 0, 10), suffix(detail)]),
	}
}

suffix("") := ""

suffix(s) := sprintf(": %s", [s]) if s != ""

occurrences contains o if {
	some d in deployments
	not in_force(d)
	late := after(d)
	o := {
		"at": d.observed_at, "ok": false, "subject": d.subject,
		"evidence": array.concat([d.index], [e.index | some e in late]),
		"reason": sprintf("%s: no evaluation recorded before the deployment%s", [label(d), late_text(late)]),
	}
}

late_text(late) := "" if count(late) == 0

late_text(late) := sprintf(" (evaluated only afterwards: #%v on %s)", [late[0].index, substring(late[0].observed_at, 0, 10)]) if count(late) > 0
