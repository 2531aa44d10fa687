# REG-01 Model registry with full lineage for every production version (per event).
# Each mlflow.model_version in production (stage `Production`, or alias `production`/`champion`) is one
# occurrence. It holds when its training run is recorded, the run names a source commit and was not
# built from a dirty tree, that commit is a recorded git.commit (when git is collected), and at least one
# run input carries a real content hash (content_sha256 or md5, never MLflow's digest label).
package assay.control

production(v) if v.payload.current_stage == "Production"

production(v) if {
	some a in object.get(v.payload, "aliases", [])
	lower(a) in {"production", "champion", "prod"}
}

# Runs by run id and commits by id, indexed once, so a version's lookups do not rescan the evidence.
runs_with_id[id] contains r if {
	some r in input.evidence
	r.kind == "mlflow.run"
	id := r.payload.run_id
}

commits_with_sha[sha] contains c if {
	some c in input.evidence
	c.kind == "git.commit"
	sha := c.payload.commit
}

# A run recorded more than once (collected again after it changed): its newest record counts.
run_of(v) := r if {
	rs := runs_with_id[v.payload.run_id]
	newest := max({x.index | some x in rs})
	some r in rs
	r.index == newest
}

git_collected if count(commits_with_sha) > 0

hashed_inputs(r) := [i | some i in object.get(r.payload, "inputs", []); hashed(i)]

hashed(i) if is_string(i.content_sha256)

hashed(i) if is_string(i.md5)

commit(r) := c if {
	c := r.payload.git.commit
	is_string(c)
}

problems(v) := ["the training run is not recorded"] if not run_of(v)

problems(v) := ps if {
	r := run_of(v)
	ps := array.concat(array.concat(p_commit(r), p_dirty(r)), array.concat(p_known(r), p_hash(r)))
}

p_commit(r) := ["the run names no source commit (code version unknown)"] if {
	not commit(r)
} else := []

p_dirty(r) := ["the run was built from a dirty working tree"] if {
	r.payload.git.dirty == true
} else := []

p_known(r) := [sprintf("commit %v is not among the collected git commits", [substring(commit(r), 0, 12)])] if {
	git_collected
	not known_commit(r)
} else := []

known_commit(r) if commits_with_sha[commit(r)]

p_hash(r) := ["no run input carries a content hash"] if {
	count(hashed_inputs(r)) == 0
} else := []

label(v) := sprintf("%v v%v", [v.subject, v.payload.version])

occurrences contains o if {
	some v in input.evidence
	v.kind == "mlflow.model_version"
	production(v)
	count(problems(v)) == 0
	r := run_of(v)
	inputs := [object.get(i, "name", "?") | some i in hashed_inputs(r)]
	o := {"at": v.observed_at, "ok": true, "subject": v.subject,
		"evidence": array.concat([v.index, r.index], sort([c.index | some c in commits_with_sha[commit(r)]])),
		"reason": sprintf("%s traces to run %v, clean commit %v and content-hashed data (%s)", [label(v), r.payload.run_id, substring(r.payload.git.commit, 0, 12), concat(", ", inputs)])}
}

occurrences contains o if {
	some v in input.evidence
	v.kind == "mlflow.model_version"
	production(v)
	ps := problems(v)
	count(ps) > 0
	o := {"at": v.observed_at, "ok": false, "subject": v.subject,
		"evidence": array.concat([v.index], [r.index | r := run_of(v)]),
		"reason": sprintf("%s in production: %s", [label(v), concat("; ", sort(ps))])}
}
