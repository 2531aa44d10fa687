# STO-02 Least-privilege access to training data and model registries (continuous).
# The role matrix, read from the description: data stores are components at the ingestion, training or
# storage stage; only principals of a data-platform [[team]] may write them (an unmapped principal is a
# finding: map pipelines to the data-platform team), and no ML engineer or data scientist may read a component
# that holds pii. Grants are iam.effective_permission items (AWS, GCP, Kubernetes), matched to teams by their
# identities. One occurrence per data store with grants; conditional grants count and are marked.
package assay.control

stores := {c.id: c | some c in input.scope.components; c.stage in {"ingestion", "training", "storage"}}

function_of(i) := {t.function | some t in input.scope.teams; some p in t.principals; lower(p) == i}

ids(e) := {lower(x) | some x in e.payload.identities} if e.payload.identities

ids(e) := {lower(x) | some x in array.concat(
	[e.payload.principal_arn, e.payload.principal],
	[sprintf("group:%s", [g]) | some g in object.get(e.payload, "groups", [])],
)} if not e.payload.identities

functions(e) := {f | some i in ids(e); some f in function_of(i)}

aws_access(action) := "read" if {
	parts := split(action, ":")
	count(parts) == 2
	verb := lower(parts[1])
	some p in ["get", "list", "describe", "head", "select", "batchget", "search", "invoke"]
	startswith(verb, p)
} else := "write"

access(e) := e.payload.access if e.payload.access

access(e) := aws_access(e.payload.action) if not e.payload.access

live(e) if e.payload.decision in {"allow", "conditional"}

grants_of(s) := [e | some e in input.evidence; e.kind == "iam.effective_permission"; e.subject == s; live(e)]

cond_note(e) := " (if its condition holds)" if e.payload.decision == "conditional"

cond_note(e) := "" if e.payload.decision != "conditional"

# Writers that are not data platform.
findings contains [e.subject, msg, e.index] if {
	some e in input.evidence
	e.kind == "iam.effective_permission"
	stores[e.subject]
	live(e)
	access(e) in {"write", "deploy", "admin"}
	fs := functions(e)
	not "data-platform" in fs
	who := describe_functions(fs)
	msg := sprintf("%s (%s) can write: %s%s", [e.payload.principal_arn, who, e.payload.action, cond_note(e)])
}

# ML engineers and data scientists reading personal data.
findings contains [e.subject, msg, e.index] if {
	some e in input.evidence
	e.kind == "iam.effective_permission"
	c := stores[e.subject]
	"pii" in object.get(c, "holds", [])
	live(e)
	access(e) in {"read", "secrets"}
	fs := functions(e) & {"ml-engineer", "data-scientist"}
	count(fs) > 0
	msg := sprintf("%s (%s) can read personal data: %s%s", [e.payload.principal_arn, concat(", ", sort(fs)), e.payload.action, cond_note(e)])
}

describe_functions(fs) := "not mapped to any [[team]]" if count(fs) == 0

describe_functions(fs) := concat(", ", sort(fs)) if count(fs) > 0

occurrences contains o if {
	some s, _ in stores
	gs := grants_of(s)
	count(gs) > 0
	bad := [f | some f in findings; f[0] == s]
	o := {
		"at": max([e.observed_at | some e in gs]),
		"ok": count(bad) == 0,
		"subject": s,
		"evidence": sort({i | some i in array.concat([f[2] | some f in bad], [e.index | some e in gs; count(bad) == 0])}),
		"reason": describe(s, gs, bad),
	}
}

describe(s, gs, bad) := sprintf("%s: all %v grant(s) fit the role matrix (writes by data platform only, no ML engineer or data scientist reads personal data)", [s, count(gs)]) if count(bad) == 0

describe(s, gs, bad) := sprintf("%s: access exceeds the role matrix: %s", [s, concat("; ", sort({f[1] | some f in bad}))]) if count(bad) > 0
