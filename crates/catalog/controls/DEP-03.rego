# DEP-03 Segregation of duties: data scientists cannot deploy or promote to production (continuous).
# Who is a data scientist comes from the description's [[team]] tables (function = "data-scientist"), matched
# against the identities of each grant (IAM member, ARN, "group:NAME", Kubernetes user/group/service account).
# One occurrence per production deploy target (a component at the deployment or inference stage in the
# production environment): it holds when no data scientist holds a grant that changes it (deploy, write or
# admin access; conditional grants count and are marked), and when no GTO production stage assignment in the
# window was tagged by a data scientist. Without a data-scientist team nothing is assessed.
package assay.control

prod_stages := {"prod", "production", "live"}

targets contains c.id if {
	some c in input.scope.components
	c.stage in {"deployment", "inference"}
	object.get(c, "environment", "production") == "production"
}

data_scientists contains lower(p) if {
	some t in input.scope.teams
	t.function == "data-scientist"
	some p in t.principals
}

ids(e) := {lower(x) | some x in e.payload.identities} if e.payload.identities

ids(e) := {lower(x) | some x in array.concat(
	[e.payload.principal_arn, e.payload.principal],
	[sprintf("group:%s", [g]) | some g in object.get(e.payload, "groups", [])],
)} if not e.payload.identities

aws_access(action) := "read" if {
	parts := split(action, ":")
	count(parts) == 2
	verb := lower(parts[1])
	some p in ["get", "list", "describe", "head", "select", "batchget", "search", "invoke"]
	startswith(verb, p)
} else := "write"

access(e) := e.payload.access if e.payload.access

access(e) := aws_access(e.payload.action) if not e.payload.access

changes(e) if access(e) in {"deploy", "write", "admin", "escalate"}

offending contains e if {
	some e in input.evidence
	e.kind == "iam.effective_permission"
	e.subject in targets
	e.payload.decision in {"allow", "conditional"}
	changes(e)
	some i in ids(e)
	i in data_scientists
}

promotions contains e if {
	some e in input.evidence
	e.kind == "gto.stage_assignment"
	lower(object.get(e.payload, "stage", "")) in prod_stages
	email := lower(e.payload.tagger.email)
	some i in {email, sprintf("user:%s", [email])}
	i in data_scientists
}

grants_of(t) := [e | some e in input.evidence; e.kind == "iam.effective_permission"; e.subject == t]

label(e) := sprintf("%s can %s (%s)%s", [
	e.payload.principal_arn, e.payload.action, concat(", ", e.payload.allowed_by),
	cond_note(e),
])

cond_note(e) := " if its condition holds" if e.payload.decision == "conditional"

cond_note(e) := "" if e.payload.decision != "conditional"

occurrences contains o if {
	count(data_scientists) > 0
	some t in targets
	gs := grants_of(t)
	count(gs) > 0
	bad := [e | some e in offending; e.subject == t]
	o := {
		"at": max([e.observed_at | some e in gs]),
		"ok": count(bad) == 0,
		"subject": t,
		"evidence": sort([e.index | some e in array.concat(bad, [g | some g in gs; count(bad) == 0])]),
		"reason": describe(t, gs, bad),
	}
}

describe(t, gs, bad) := sprintf("%s: none of the %v principal grant(s) that reach it belongs to a data scientist", [t, count(gs)]) if count(bad) == 0

describe(t, gs, bad) := sprintf("%s: data scientists can change production: %s", [t, concat("; ", sort([label(e) | some e in bad]))]) if count(bad) > 0

occurrences contains o if {
	count(data_scientists) > 0
	some e in promotions
	o := {
		"at": e.observed_at,
		"ok": false,
		"subject": sprintf("model:%s", [e.payload.artifact]),
		"evidence": [e.index],
		"reason": sprintf("%s: %s promoted %s to %s (tag %s) although a data scientist", [
			e.payload.artifact, e.payload.tagger.email, object.get(e.payload, "version", "?"), e.payload.stage, e.payload.tag,
		]),
	}
}
