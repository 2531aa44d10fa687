# REG-03 Daily backups of the model store, registry and training snapshots (daily).
# Every backup.job is one occurrence for its system: it holds when the job succeeded. A Terraform backup plan
# (tf.resource, category backup_plan, with rules) is an occurrence too: it holds when one of its rules runs at
# least daily. At a date the newest occurrence per system counts, so a failed night followed by a good one
# passes; over a period every day without a successful job is a gap.
package assay.control

occurrences contains o if {
	some e in input.evidence
	e.kind == "backup.job"
	ok := object.get(e.payload, "succeeded", false) == true
	o := {"at": e.observed_at, "ok": ok, "subject": e.subject, "evidence": [e.index], "reason": job_reason(e, ok)}
}

job_reason(e, true) := sprintf("%s: backup job %s completed%s", [e.subject, e.payload.id, vault(e)])

job_reason(e, false) := sprintf("%s: backup job %s did not complete (status %s)%s", [e.subject, e.payload.id, object.get(e.payload, "status", "unknown"), vault(e)])

vault(e) := sprintf(" to vault %s", [e.payload.vault]) if e.payload.vault

vault(e) := "" if not e.payload.vault

occurrences contains o if {
	some e in input.evidence
	e.kind == "tf.resource"
	e.payload.category == "backup_plan"
	count(object.get(e.payload.facts, "rules", [])) > 0
	ok := e.payload.facts.daily == true
	o := {"at": e.observed_at, "ok": ok, "subject": e.subject, "evidence": [e.index], "reason": plan_reason(e, ok)}
}

plan_reason(e, true) := sprintf("%s: backup plan %s runs at least daily", [e.subject, e.payload.facts.name])

plan_reason(e, false) := sprintf("%s: backup plan %s has no rule that runs daily (%s)", [e.subject, e.payload.facts.name, concat(", ", [sprintf("%v", [r.schedule]) | some r in e.payload.facts.rules])])
