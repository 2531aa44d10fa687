"""Presidio's analyzer with pattern recognizers only (blank spaCy pipeline, no model download).

  python bench/presidio_bench.py CORPUS LABELS SAMPLE_LINES
Prints JSON: throughput over the first SAMPLE_LINES lines (100-line requests) and per-line precision/recall at
score threshold 0 (Presidio's default) and 0.4 (Assay's default).
"""
import json
import sys
import tempfile
import time

import spacy
from presidio_analyzer import AnalyzerEngine
from presidio_analyzer.nlp_engine import NlpEngineProvider

ENTITIES = ["EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN", "IP_ADDRESS", "CRYPTO"]
corpus, labels_path, sample = sys.argv[1], sys.argv[2], int(sys.argv[3])
model_dir = tempfile.mkdtemp()
spacy.blank("en").to_disk(model_dir)
provider = NlpEngineProvider(nlp_configuration={"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": model_dir}]})
analyzer = AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])
with open(corpus) as f:
    lines = f.read().split("\n")[:sample + 1]
text_lines = lines[1:]
nbytes = sum(len(line.encode()) + 1 for line in text_lines)
t0 = time.perf_counter()
for s in range(0, len(text_lines), 100):
    analyzer.analyze(text="\n".join(text_lines[s:s + 100]), language="en", entities=ENTITIES)
t1 = time.perf_counter()
labels = {int(k): v for k, v in json.load(open(labels_path))["labels"].items()}
preds = {0.0: set(), 0.4: set()}
for i, line in enumerate(text_lines):
    for r in analyzer.analyze(text=line, language="en", entities=ENTITIES):
        for th in preds:
            if r.score > th or (th > 0 and r.score >= th):
                preds[th].add((i + 2, r.entity_type))
truth = {(ln, e) for ln, e in labels.items() if ln <= sample + 1}
out = {"bytes": nbytes, "seconds": t1 - t0, "mb_per_s": nbytes / 1e6 / (t1 - t0)}
for th, p in preds.items():
    tp = len(p & truth)
    out[f"threshold_{th}"] = {"precision": tp / max(1, len(p)), "recall": tp / max(1, len(truth)), "predicted": len(p), "true": len(truth)}
print(json.dumps(out))
