# ING-02 Dataset versioning with content hashes (per event).
# Each dvc.stage (from dvc.lock) and dvc.dataset (a .dvc file) is one occurrence: it holds when every
# dependency and output it records has a content hash. An lfs.pointer holds when its oid is a sha256.
package assay.control

unhashed(e) := [f.path |
	some f in array.concat(object.get(e.payload, "deps", []), object.get(e.payload, "outs", []))
	not is_string(f.hash)
]

versioned(e) if {
	e.kind in {"dvc.stage", "dvc.dataset"}
	not e.payload.definition == true
	not e.payload.parse_error
}

occurrences contains o if {
	some e in input.evidence
	versioned(e)
	u := unhashed(e)
	o := {"at": e.observed_at, "ok": count(u) == 0, "subject": e.subject, "evidence": [e.index],
		"reason": hash_text(e, u)}
}

occurrences contains o if {
	some e in input.evidence
	e.kind == "lfs.pointer"
	ok := startswith(object.get(e.payload, "oid", ""), "sha256:")
	o := {"at": e.observed_at, "ok": ok, "subject": e.subject, "evidence": [e.index],
		"reason": sprintf("%v: LFS pointer %v %s", [e.subject, object.get(e.payload, "path", "?"), lfs_text(ok)])}
}

lfs_text(true) := "is identified by a sha256 content hash"

lfs_text(false) := "has no sha256 content hash"

hash_text(e, u) := sprintf("%s at %v: every dependency and output has a content hash (%v)", [e.kind, locator(e), e.index]) if count(u) == 0

hash_text(e, u) := sprintf("%s at %v: no recorded hash for %s", [e.kind, locator(e), concat(", ", u)]) if count(u) > 0

locator(e) := e.locator if e.locator != ""

locator(e) := sprintf("#%v", [e.index]) if e.locator == ""
