# TRN-02 Immutable snapshot of the training data for every production training run (per event).
# Each finished mlflow.run is one occurrence: it holds when one of its inputs carries a content hash
# (content_sha256) equal to the Merkle root of a recorded dataset.snapshot, or its `assay.snapshot` tag
# names a recorded snapshot (`NAME@VERSION`), and no later verification of that snapshot found it changed.
# Each failed snapshot verification is an occurrence of its own.
package assay.control

snapshots contains s if {
	some s in input.evidence
	s.kind == "dataset.snapshot"
	object.get(s.payload, "action", "snapshot") == "snapshot"
}

# Snapshots by Merkle root and by NAME@VERSION, failed verifications by name and version: indexed once,
# so a run's lookups do not rescan the evidence.
snapshots_with_root[root] contains s if {
	some s in snapshots
	root := s.payload.merkle_root
}

snapshots_with_tag[tag] contains s if {
	some s in snapshots
	tag := sprintf("%s@%s", [s.payload.name, s.payload.version])
}

failed_verifications[name][version] contains v if {
	some v in input.evidence
	v.kind == "dataset.snapshot"
	v.payload.action == "verify"
	v.payload.intact == false
	name := v.payload.name
	version := v.payload.version
}

# Every snapshot a run references: each is checked (a run may read several datasets).
references(r) := {s | some i in object.get(r.payload, "inputs", []); some s in snapshots_with_root[i.content_sha256]} | {s | some s in snapshots_with_tag[object.get(object.get(r.payload, "tags", {}), "assay.snapshot", "")]}

# The earliest verification that found the snapshot changed.
broken(s) := earliest(failed_verifications[s.payload.name][s.payload.version])

# The earliest of some items (by observed_at, then ledger index); undefined when there are none. Used
# where several items could answer a lookup, so the function gives one answer, not a conflict.
earliest(items) := sort([[i.observed_at, i.index, i] | some i in items])[0][2]

runs contains r if {
	some r in input.evidence
	r.kind == "mlflow.run"
	object.get(r.payload, "status", "FINISHED") == "FINISHED"
}

occurrences contains o if {
	some r in runs
	some s in references(r)
	not broken(s)
	o := {"at": r.observed_at, "ok": true, "subject": r.subject, "evidence": [r.index, s.index],
		"reason": sprintf("run %v trained on snapshot %v@%v (root %v, #%v)", [r.payload.run_id, s.payload.name, s.payload.version, substring(s.payload.merkle_root, 0, 12), s.index])}
}

occurrences contains o if {
	some r in runs
	some s in references(r)
	v := broken(s)
	o := {"at": r.observed_at, "ok": false, "subject": r.subject, "evidence": [r.index, s.index, v.index],
		"reason": sprintf("run %v trained on snapshot %v@%v, which verification #%v found changed", [r.payload.run_id, s.payload.name, s.payload.version, v.index])}
}

occurrences contains o if {
	some r in runs
	count(references(r)) == 0
	o := {"at": r.observed_at, "ok": false, "subject": r.subject, "evidence": [r.index],
		"reason": sprintf("run %v (#%v) references no recorded dataset snapshot by content hash", [object.get(r.payload, "run_id", "?"), r.index])}
}

occurrences contains o if {
	some v in input.evidence
	v.kind == "dataset.snapshot"
	v.payload.action == "verify"
	v.payload.intact == false
	changed := array.concat(array.concat(object.get(v.payload, "added", []), object.get(v.payload, "removed", [])), [m.path | some m in object.get(v.payload, "modified", [])])
	o := {"at": v.observed_at, "ok": false, "subject": v.subject, "evidence": [v.index],
		"reason": sprintf("snapshot %v@%v changed after it was recorded (#%v): %s", [v.payload.name, v.payload.version, v.index, concat(", ", changed)])}
}
