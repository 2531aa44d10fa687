# SUP-01 Multi-factor authentication for workforce access (continuous).
# Reads the AWS IAM credential report (iam.principal items with `from: credential_report`). One occurrence per
# AWS account, from the newest report of that account in the window: it holds when the root account and every
# user who can sign in to the console (a console password) has an MFA device active. Users without console
# access (access keys only: pipelines, service users) are not assessed and are named in the reason. A report
# without a <root_account> row fails (the real report always has one). Identity providers, code hosting and
# data platforms are not read yet.
package assay.control

reported(e) if {
	e.kind == "iam.principal"
	e.payload.from == "credential_report"
}

account(e) := split(e.payload.arn, ":")[4]

rows_by_account[a] contains e if {
	some e in input.evidence
	reported(e)
	a := account(e)
}

# The newest report of each account: its rows share the report's observation time.
newest := {a: max({e.observed_at | some e in rs}) | some a, rs in rows_by_account}

current := {a: [e | some e in rs; e.observed_at == newest[a]] | some a, rs in rows_by_account}

both(a, b) := true if {
	a == true
	b == true
} else := false

who(e) := "the root account" if e.payload.kind == "root"

who(e) := sprintf("%s (line %v)", [e.payload.name, e.payload.line]) if e.payload.kind != "root"

occurrences contains o if {
	some a, rows in current
	assessed := [e | some e in rows; e.payload.console_access == true]
	count(assessed) > 0
	bad := [e | some e in assessed; e.payload.mfa_active != true]
	has_root := count([e | some e in rows; e.payload.kind == "root"]) > 0
	skipped := sort([e.payload.name | some e in rows; e.payload.console_access != true])
	ok := count(bad) == 0
	o := {
		"at": newest[a],
		"ok": both(ok, has_root),
		"subject": sprintf("aws-account:%s", [a]),
		"evidence": sort([e.index | some e in array.concat(bad, [x | some x in assessed; ok])]),
		"reason": sprintf("AWS account %s: %s%s%s", [a, mfa_part(assessed, bad), root_part(has_root), skipped_part(skipped)]),
	}
}

mfa_part(assessed, bad) := sprintf("MFA is active for all %v principal(s) with console access", [count(assessed)]) if count(bad) == 0

mfa_part(assessed, bad) := sprintf("console sign-in without MFA: %s", [concat(", ", sort([who(e) | some e in bad]))]) if count(bad) > 0

root_part(true) := ""

root_part(false) := "; the credential report has no <root_account> row, so root MFA cannot be seen"

skipped_part(s) := "" if count(s) == 0

skipped_part(s) := sprintf("; %v user(s) without console access not assessed (%s)", [count(s), concat(", ", s)]) if count(s) > 0
