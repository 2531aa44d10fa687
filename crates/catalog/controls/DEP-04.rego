# DEP-04 Infrastructure-as-code changes are reviewed and policy-checked (per event).
# One occurrence per merged pull request (`change.pull_request`) whose changed files include infrastructure
# code: `.tf`, `.tfvars`, `.tf.json`, `.hcl`, or YAML under a `terraform`, `infra`, `k8s`, `kubernetes`,
# `helm`, `charts`, `kustomize` or `deploy` folder. It holds when the pull request was approved before merge
# by someone other than its author and at least one policy or plan check (a check whose name mentions
# checkov, tfsec, trivy, conftest, opa, terrascan, kics, tflint, policy or terraform) succeeded while none of
# them failed. Pull requests whose export lists no files, and unmerged ones, are not assessed.
package assay.control

infra_file(f) if regex.match(`\.(tf|tfvars|hcl)$|\.tf\.json$`, lower(f))

infra_file(f) if {
	regex.match(`\.ya?ml$`, lower(f))
	some seg in split(lower(f), "/")
	seg in {"terraform", "infra", "k8s", "kubernetes", "helm", "charts", "kustomize", "deploy"}
}

policy_check(c) if regex.match(`checkov|tfsec|trivy|conftest|(^|[^a-z])opa([^a-z]|$)|terrascan|kics|tflint|policy|terraform`, lower(c.name))

changes contains p if {
	some p in input.evidence
	p.kind == "change.pull_request"
	p.payload.merged == true
	is_array(p.payload.files)
	some f in p.payload.files
	infra_file(f)
}

infra_files(p) := sort([f | some f in p.payload.files; infra_file(f)])

checks(p) := [c | some c in object.get(p.payload, "checks", []); policy_check(c)] if is_array(p.payload.checks)

checks(p) := [] if not is_array(p.payload.checks)

label(p) := sprintf("%s#%v (%s)", [p.subject, p.payload.number, concat(", ", array.slice(infra_files(p), 0, 3))])

problems(p) := array.concat(review_problems(p), check_problems(p))

review_problems(p) := ["was merged without an approval from someone other than its author"] if {
	not p.payload.approved_before_merge == true
} else := ["was approved only by its author"] if {
	p.payload.self_approved == true
} else := []

check_problems(p) := ["has no status checks in the export, so no policy check can be shown (export check_runs with the pull requests)"] if {
	not is_array(p.payload.checks)
} else := ["ran no policy or plan check (checkov, tfsec, conftest, terraform plan …)"] if {
	count(checks(p)) == 0
} else := [sprintf("has failing policy checks: %s", [concat(", ", failing(p))])] if {
	count(failing(p)) > 0
} else := ["has no successful policy check"] if {
	not any_success(p)
} else := []

bad_conclusions := {"failure", "timed_out", "cancelled", "action_required", "error"}

failing(p) := sort([sprintf("%s (%s)", [c.name, c.conclusion]) | some c in checks(p); c.conclusion in bad_conclusions])

any_success(p) if {
	some c in checks(p)
	c.conclusion == "success"
}

occurrences contains o if {
	some p in changes
	ps := problems(p)
	o := {
		"at": p.observed_at, "ok": count(ps) == 0, "subject": p.subject, "evidence": [p.index],
		"reason": describe(p, ps),
	}
}

describe(p, []) := sprintf("%s: approved by %s; %s passed", [label(p), concat(", ", p.payload.approvers), concat(", ", sort([c.name | some c in checks(p); c.conclusion == "success"]))])

describe(p, ps) := sprintf("%s %s", [label(p), concat("; ", ps)]) if count(ps) > 0
