# REG-02 Unsafe model-file scanning on registration and before loading (per event).
# One occurrence per scanned model file (subject), dated at its scan: it holds when the scanner's verdict is
# `safe` (nothing imported outside the allowlist). `dangerous` (an import that runs commands or code),
# `suspicious` (an import outside the allowlist) and `unreadable` (a file that cannot be shown to be safe)
# fail with the imports named. A file scanned again is judged by its newest scan. Matching each registered version's hash to a scan is not checked yet.
package assay.control

scans := [e | some e in input.evidence; e.kind == "model.file_scan"]

# A file scanned again (after it was replaced, or with a new allowlist) is judged by its newest scan.
scan_times[s] contains e.observed_at if {
	some e in scans
	s := e.subject
}

superseded(e) if max(scan_times[e.subject]) > e.observed_at

occurrences contains o if {
	some e in scans
	not superseded(e)
	verdict := object.get(e.payload, "verdict", "unknown")
	o := {
		"at": e.observed_at,
		"ok": verdict == "safe",
		"subject": e.subject,
		"evidence": [e.index],
		"reason": describe(e, verdict),
	}
}

file(e) := object.get(e.payload, "path", e.subject)

describe(e, "safe") := sprintf("%s (%s) is safe to load: it imports nothing outside the allowlist", [file(e), object.get(e.payload, "format", "?")])

describe(e, verdict) := msg if {
	verdict != "safe"
	imports := sort({sprintf("%v (%v)", [f["import"], f.risk]) | some f in object.get(e.payload, "findings", [])})
	msg := sprintf("%s is %s: %s", [file(e), verdict, detail(imports)])
}

detail(imports) := concat(", ", imports) if count(imports) > 0

detail(imports) := "it could not be inspected, so it cannot be shown to be safe" if count(imports) == 0
