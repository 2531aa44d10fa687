# TRN-01 Production models are trained only by the controlled pipeline from committed code (per event).
# Each finished mlflow.run is one occurrence: it holds when the run names a source commit, was not run
# from a dirty tree, came from a job source (not a notebook or a local run), and recorded its parameters.
# When git is collected, the commit must be a collected commit. (Protected-branch membership needs
# branch-protection evidence that no collector writes yet.)
package assay.control

runs contains r if {
	some r in input.evidence
	r.kind == "mlflow.run"
	object.get(r.payload, "status", "FINISHED") == "FINISHED"
}

commit(r) := c if {
	c := r.payload.git.commit
	is_string(c)
}

# Collected commit ids, computed once (a set, so lookups do not rescan the evidence).
commit_shas := {c.payload.commit | some c in input.evidence; c.kind == "git.commit"}

git_collected if count(commit_shas) > 0

known_commit(r) if commit(r) in commit_shas

problems(r) := array.concat(array.concat(p_commit(r), p_dirty(r)), array.concat(array.concat(p_known(r), p_source(r)), p_params(r)))

p_commit(r) := ["it names no source commit"] if {
	not commit(r)
} else := []

p_dirty(r) := ["it ran from a dirty working tree"] if {
	r.payload.git.dirty == true
} else := []

p_known(r) := [sprintf("commit %v is not among the collected git commits", [substring(commit(r), 0, 12)])] if {
	git_collected
	commit(r)
	not known_commit(r)
} else := []

p_source(r) := [sprintf("it ran from a %v, not the pipeline", [lower(r.payload.source_type)])] if {
	upper(object.get(r.payload, "source_type", "JOB")) in {"NOTEBOOK", "LOCAL"}
} else := []

p_params(r) := ["it recorded no parameters"] if {
	count(object.get(r.payload, "params", {})) == 0
} else := []

occurrences contains o if {
	some r in runs
	ps := problems(r)
	o := {
		"at": r.observed_at,
		"ok": count(ps) == 0,
		"subject": r.subject,
		"evidence": [r.index],
		"reason": text(r, ps),
	}
}

text(r, ps) := sprintf("run %v: pipeline run from commit %v with %v recorded parameter(s)", [r.payload.run_id, substring(commit(r), 0, 12), count(r.payload.params)]) if count(ps) == 0

text(r, ps) := sprintf("run %v (#%v): %s", [object.get(r.payload, "run_id", "?"), r.index, concat("; ", ps)]) if count(ps) > 0
