"""Per-line precision/recall of `assay data scan --format sarif` output against labels.json.
  python bench/pii_score.py SARIF LABELS MAX_LINE
"""
import json
import sys

sarif = json.load(open(sys.argv[1]))
labels = {int(k): v for k, v in json.load(open(sys.argv[2]))["labels"].items()}
max_line = int(sys.argv[3])
pred = set()
for r in sarif["runs"][0]["results"]:
    line = r["locations"][0]["physicalLocation"]["region"]["startLine"]
    if line <= max_line and r["ruleId"] in {"EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN", "IP_ADDRESS", "CRYPTO"}:
        pred.add((line, r["ruleId"]))
truth = {(ln, e) for ln, e in labels.items() if ln <= max_line}
tp = len(pred & truth)
per = {}
for e in sorted({e for _, e in truth}):
    t = {x for x in truth if x[1] == e}
    p = {x for x in pred if x[1] == e}
    per[e] = {"precision": len(p & t) / max(1, len(p)), "recall": len(p & t) / max(1, len(t))}
print(json.dumps({"precision": tp / max(1, len(pred)), "recall": tp / max(1, len(truth)), "predicted": len(pred), "true": len(truth), "per_entity": per}))
