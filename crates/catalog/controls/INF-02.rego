# INF-02 Every inference request is logged (continuous).
# One occurrence per sealed audit batch (`gateway.audit_batch`, subject the gateway). Batches of one gateway
# form a chain: each names its sequence number `batch`, the interval it covers (`from`, `to`), the Merkle
# `root` of its call records and the root of the batch before it (`prev_root`). A batch holds when it follows
# its predecessor with no gap: the next sequence number, the predecessor's root as `prev_root`, and `from` not
# later than the predecessor's `to`. The first batch in the window is compared with nothing and holds. A gap
# in sequence or time, or a broken root chain, fails with the interval whose calls are unaccounted for.
package assay.control

# Batches per gateway, indexed once, then in sequence order (ties: ledger index).
by_gateway[g] contains b if {
	some b in input.evidence
	b.kind == "gateway.audit_batch"
	g := b.subject
}

chain(g) := [x[2] | some x in sort([[b.payload.batch, b.index, b] | some b in by_gateway[g]])]

occurrences contains o if {
	some g, _ in by_gateway
	c := chain(g)
	b := c[0]
	o := {
		"at": b.observed_at, "ok": true, "subject": g, "evidence": [b.index],
		"reason": sprintf("%s: batch %v (%v calls, %s to %s) is the first in the window", [g, b.payload.batch, object.get(b.payload, "records", "?"), b.payload.from, b.payload.to]),
	}
}

occurrences contains o if {
	some g, _ in by_gateway
	c := chain(g)
	some i, b in c
	i > 0
	p := c[i - 1]
	ps := problems(p, b)
	o := {
		"at": b.observed_at, "ok": count(ps) == 0, "subject": g, "evidence": [p.index, b.index],
		"reason": chain_reason(g, p, b, ps),
	}
}

problems(p, b) := array.concat(array.concat(
	[sprintf("batches %v to %v are missing", [p.payload.batch + 1, b.payload.batch - 1]) | b.payload.batch > p.payload.batch + 1],
	[sprintf("calls between %s and %s are in no batch", [p.payload.to, b.payload.from]) | b.payload.from > p.payload.to]),
	[sprintf("batch %v does not chain to batch %v (prev_root differs from its root)", [b.payload.batch, p.payload.batch]) |
		b.payload.batch == p.payload.batch + 1
		object.get(b.payload, "prev_root", null) != object.get(p.payload, "root", "")
	],
)

chain_reason(g, p, b, []) := sprintf("%s: batch %v (%v calls) follows batch %v with no gap", [g, b.payload.batch, object.get(b.payload, "records", "?"), p.payload.batch])

chain_reason(g, p, b, ps) := sprintf("%s: %s", [g, concat("; ", ps)]) if count(ps) > 0
