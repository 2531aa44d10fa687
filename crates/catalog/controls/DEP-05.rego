# DEP-05 Protected branches and signed commits for pipeline and serving code (continuous).
# One occurrence per repository, dated at its newest commit in the window: it holds when every commit
# in the window carries a signature. (Branch protection and review facts need change.pull_request and
# branch-protection evidence that no collector writes yet.)
package assay.control

# Commits grouped by repository in one pass over the evidence.
commits_of[repo] contains e if {
	some e in input.evidence
	e.kind == "git.commit"
	repo := e.subject
}

occurrences contains o if {
	some repo, group in commits_of
	commits := [e | some e in group]
	unsigned := [e | some e in commits; not e.payload.signed == true]
	newest := max([e.observed_at | some e in commits])
	o := {
		"at": newest,
		"ok": count(unsigned) == 0,
		"subject": repo,
		"evidence": sort([e.index | some e in array.concat(unsigned, [c | some c in commits; count(unsigned) == 0])]),
		"reason": describe(repo, commits, unsigned),
	}
}

describe(repo, commits, unsigned) := sprintf("%s: all %v commit(s) in the window are signed", [repo, count(commits)]) if count(unsigned) == 0

describe(repo, commits, unsigned) := msg if {
	count(unsigned) > 0
	shas := [substring(e.payload.commit, 0, 8) | some e in unsigned]
	msg := sprintf("%s: %v of %v commit(s) are unsigned (%s)", [repo, count(unsigned), count(commits), concat(", ", sort(shas))])
}
