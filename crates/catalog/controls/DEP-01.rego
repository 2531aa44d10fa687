# DEP-01 Approved change ticket for every production model deployment (per event).
# One occurrence per production deployment (a `deployment` with payload.production true). It holds when the
# deployment names a ticket, the newest record of that ticket is approved, the approval is not later than the
# deployment, and the approver is neither the deployer nor the ticket's requester (reporter). When a pull request
# is linked — named by the deployment, or merged as the deployed commit — it must also have been approved before
# merge by someone other than its author. People compare case-insensitively; identities must match across Jira,
# GitHub and the deployment log (e-mail addresses are the usual common key).
package assay.control

deployments contains d if {
	some d in input.evidence
	d.kind == "deployment"
	d.payload.production == true
}

text(v, _) := v if is_string(v)

text(v, fallback) := fallback if not is_string(v)

same(a, b) if {
	is_string(a)
	is_string(b)
	lower(a) == lower(b)
}

# Ticket records by key and pull requests by merge commit, URL and number: indexed once, so a
# deployment's lookups do not rescan the evidence.
tickets_with_key[key] contains r if {
	some r in input.evidence
	r.kind == "change.ticket"
	is_string(r.payload.key)
	key := upper(r.payload.key)
}

prs_with_merge[sha] contains p if {
	some p in input.evidence
	p.kind == "change.pull_request"
	is_string(p.payload.merge_commit)
	sha := lower(p.payload.merge_commit)
}

prs_with_url[url] contains p if {
	some p in input.evidence
	p.kind == "change.pull_request"
	url := p.payload.url
}

prs_with_number[n] contains p if {
	some p in input.evidence
	p.kind == "change.pull_request"
	n := sprintf("%v", [p.payload.number])
}

# The newest record of the deployment's ticket (the highest ledger index among the records with that key).
ticket_of(d) := t if {
	is_string(d.payload.ticket)
	records := tickets_with_key[upper(d.payload.ticket)]
	newest := max([r.index | some r in records])
	some t in records
	t.index == newest
}

# Pull requests linked to the deployment: by URL or number, or by merge commit; oldest first (the order
# of input.evidence).
prs_of(d) := [x[2] | some x in sort([[p.observed_at, p.index, p] | some p in linked(d)])]

# Each part is a comprehension, so a lookup that finds nothing (or an index with no entries) is empty.
linked(d) := {p | some p in merged_as(d)} | {p | some p in named_url(d)} | {p | some p in named_number(d)}

merged_as(d) := prs_with_merge[lower(d.payload.commit)] if is_string(d.payload.commit)

named_url(d) := prs_with_url[d.payload.pull_request] if is_string(d.payload.pull_request)

named_number(d) := prs_with_number[trim_left(d.payload.pull_request, "#")] if is_string(d.payload.pull_request)

label(d) := sprintf("%s %s to %s on %s by %s", [
	d.subject,
	text(d.payload.version, "(no version)"),
	d.payload.environment,
	substring(d.observed_at, 0, 10),
	text(d.payload.actor, "(unknown deployer)"),
])

# What is wrong with a deployment, as phrases; empty when it holds.
problems(d) := ["names no change ticket"] if {
	not is_string(d.payload.ticket)
}

problems(d) := [sprintf("names ticket %s, which is not in the evidence", [d.payload.ticket])] if {
	is_string(d.payload.ticket)
	not ticket_of(d)
}

problems(d) := array.concat(
	[sprintf("ticket %s %s", [t.payload.key, m]) | some n in [1, 2, 3, 4, 5]; m := ticket_issue(d, t, n)],
	[sprintf("pull request #%v was %s", [p.payload.number, m]) | some p in prs_of(d); m := pr_issue(p)],
) if {
	t := ticket_of(d)
}

ticket_issue(_, t, 1) := sprintf("is not approved (%s)", [text(t.payload.approval, "no approval recorded")]) if {
	t.payload.approved != true
}

ticket_issue(_, t, 2) := "does not record who approved it" if {
	t.payload.approved == true
	not is_string(t.payload.approver)
}

ticket_issue(d, t, 3) := sprintf("was approved after the deployment (%s)", [t.payload.approved_at]) if {
	is_string(t.payload.approved_at)
	t.payload.approved_at > d.observed_at
}

ticket_issue(d, t, 4) := sprintf("was approved by the deployer %s", [d.payload.actor]) if {
	same(t.payload.approver, d.payload.actor)
}

ticket_issue(_, t, 5) := sprintf("was approved by its own requester %s", [t.payload.reporter]) if {
	same(t.payload.approver, t.payload.reporter)
}

pr_issue(p) := sprintf("approved only by its author %s", [p.payload.author]) if {
	p.payload.self_approved == true
} else := "merged without an approving review" if {
	p.payload.approved_before_merge != true
}

evidence_of(d) := sort(array.concat(
	array.concat([d.index], [t.index | t := ticket_of(d)]),
	[p.index | some p in prs_of(d)],
))

occurrences contains o if {
	some d in deployments
	ps := problems(d)
	o := {
		"at": d.observed_at,
		"ok": count(ps) == 0,
		"subject": d.subject,
		"evidence": evidence_of(d),
		"reason": describe(d, ps),
	}
}

describe(d, ps) := sprintf("%s: ticket %s approved by %s", [label(d), upper(d.payload.ticket), ticket_of(d).payload.approver]) if {
	count(ps) == 0
}

describe(d, ps) := sprintf("%s: %s", [label(d), concat("; ", ps)]) if {
	count(ps) > 0
}
