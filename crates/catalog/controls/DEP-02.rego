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

# model@version -> the newest registration, and commit:path -> the newest LFS pointer, built once (a key seen
# twice keeps the item with the highest ledger index, so duplicates never conflict).
reg_key(r) := sprintf("%s@%s", [lower(r.payload.artifact), r.payload.version])

registrations := [r |
	some r in input.evidence
	r.kind == "gto.registration"
	r.payload.action == "register"
	is_string(r.payload.version)
]

registered := {k: r |
	some k in {reg_key(x) | some x in registrations}
	newest := max([x.index | some x in registrations; reg_key(x) == k])
	some r in registrations
	r.index == newest
}

ptr_key(p) := sprintf("%s:%s", [lower(p.payload.commit), p.payload.path])

lfs := [p | some p in input.evidence; p.kind == "lfs.pointer"]

pointers := {k: p |
	some k in {ptr_key(x) | some x in lfs}
	newest := max([x.index | some x in lfs; ptr_key(x) == k])
	some p in lfs
	p.index == newest
}

# The registered content hash of the deployment's version, with the items that establish it.
approved(d) := {"digest": lower(p.payload.oid), "evidence": [r.index, p.index], "tag": r.payload.tag} if {
	r := registered[sprintf("%s@%v", [lower(model_of(d)), d.payload.version])]
	p := pointers[sprintf("%s:%s", [lower(r.payload.commit), r.payload.artifact_path])]
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
