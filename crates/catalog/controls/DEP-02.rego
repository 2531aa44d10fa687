# DEP-02 Deployed artifact hash equals the approved artifact (per event).
# One occurrence per production deployment read from a release log (`deployment`, origin `log`: the record of
# what was actually rolled out). It holds when the deployment records the artifact's digest and that digest
# equals the content hash registered for the same model version: the Git LFS oid of the artifact file at the
# commit of the version's GTO registration. It fails when the log records no digest, when the version has no
# registered content hash to compare with, or when the two differ. Deployments derived from the registry itself
# (GTO stage assignments, MLflow aliases) say nothing about what runs and are not assessed; MLflow model
# versions carry no content hash.
package assay.control

rollouts contains d if {
	some d in input.evidence
	d.kind == "deployment"
	d.payload.production == true
	d.payload.origin == "log"
}

model_of(e) := m if {
	m := e.payload.model
	is_string(m)
} else := trim_prefix(e.subject, "model:")

# Registrations by model@version and LFS pointers by commit:path, indexed once; where a key has several
# items, the one with the highest ledger index counts.
registrations[k] contains r if {
	some r in input.evidence
	r.kind == "gto.registration"
	r.payload.action == "register"
	is_string(r.payload.version)
	k := sprintf("%s@%s", [lower(r.payload.artifact), r.payload.version])
}

pointers[k] contains p if {
	some p in input.evidence
	p.kind == "lfs.pointer"
	k := sprintf("%s:%s", [lower(p.payload.commit), p.payload.path])
}

last(items) := x[1] if {
	sorted := sort([[i.index, i] | some i in items])
	count(sorted) > 0
	x := sorted[count(sorted) - 1]
}

# The registered content hash of the deployment's version, with the items that establish it.
approved(d) := {"digest": lower(p.payload.oid), "evidence": [r.index, p.index], "tag": r.payload.tag} if {
	r := last(registrations[sprintf("%s@%v", [lower(model_of(d)), d.payload.version])])
	p := last(pointers[sprintf("%s:%s", [lower(r.payload.commit), r.payload.artifact_path])])
}

label(d) := sprintf("%s %v to %s on %s", [d.subject, d.payload.version, d.payload.environment, substring(d.observed_at, 0, 10)])

short(h) := substring(h, 0, 19)

occurrences contains o if {
	some d in rollouts
	not is_string(d.payload.digest)
	o := {
		"at": d.observed_at, "ok": false, "subject": d.subject, "evidence": [d.index],
		"reason": sprintf("%s: the deployment log records no artifact digest, so the running artifact cannot be shown to be the approved one", [label(d)]),
	}
}

occurrences contains o if {
	some d in rollouts
	is_string(d.payload.digest)
	not approved(d)
	o := {
		"at": d.observed_at, "ok": false, "subject": d.subject, "evidence": [d.index],
		"reason": sprintf("%s: no registered content hash for %v (no GTO registration with an LFS pointer at its commit) to compare the deployed %s with", [label(d), d.payload.version, short(d.payload.digest)]),
	}
}

occurrences contains o if {
	some d in rollouts
	is_string(d.payload.digest)
	a := approved(d)
	ok := lower(d.payload.digest) == a.digest
	o := {
		"at": d.observed_at, "ok": ok, "subject": d.subject, "evidence": array.concat([d.index], a.evidence),
		"reason": compare(d, a, ok),
	}
}

compare(d, a, true) := sprintf("%s: deployed %s… is the artifact registered as %s", [label(d), short(a.digest), a.tag])

compare(d, a, false) := sprintf("%s: deployed %s…, but %s registered %s…: a different artifact is running", [label(d), short(lower(d.payload.digest)), a.tag, short(a.digest)])
