"""English classifier of run.py (training, C/kind by 5-fold CV on training only) evaluated once on
the development half of the well-labelled providers' real updates (DigitalOcean, Oracle Cloud,
DatoCMS in statuspage_labels.jsonl, incidents whose FNV-1a hash is even, as in
tests/extraction_eval.rs; the odd, held-out half is never read)."""
import json, collections, sys
import numpy as np
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from common import *
from run import model, text_of, combine_fallback, SEED

def in_dev_half(incident):
    h = 2166136261
    for b in (incident or "").encode():
        h ^= b
        h = (h * 16777619) & 0xFFFFFFFF
    return h % 2 == 0


def load_good():
    out = []
    for line in open(os.path.join(FIX, "statuspage_labels.jsonl"), encoding="utf-8"):
        if not line.strip(): continue
        d = json.loads(line)
        if d.get("provider") not in ("digitalocean", "oci", "datocms") or not in_dev_half(d.get("incident")):
            continue
        assert d.get("phases") is None
        d["_state"] = d["status"] if d.get("status") else NONE   # eval.rs: (None, Some(s)) => s
        d["_statusword"] = True
        out.append(d)
    return out

tr = load_many(EN_TRAIN, None)
Xtr = [text_of(p) for p in tr]; ytr = np.array([p["_state"] for p in tr])
skf = StratifiedKFold(5, shuffle=True, random_state=SEED)
grid = [("lr", C) for C in (3, 10, 30, 100, 300)] + [("svm", C) for C in (0.3, 1, 3, 10)]
cv = {}
for kind, C in grid:
    cv[(kind, C)] = accuracy(ytr, cross_val_predict(model(kind, C), Xtr, ytr, cv=skf, n_jobs=2))
    print("cv5", kind, C, round(100 * cv[(kind, C)], 2), flush=True)
best = max(cv, key=cv.get)
print("n_train", len(tr), "best", best, flush=True)

ev = load_good()
yev = [p["_state"] for p in ev]
rev, _ = rules_states(ev, "en")        # statuspage_word applied (status lines), as eval.rs
m = model(*best).fit(Xtr, ytr)
raw = list(m.predict([text_of(p) for p in ev]))
clf = [statuspage_word(c) if c != NONE else c for c in raw]   # same mapping the rules get
rows = {"rules": rev, f"classifier alone [{best[0]} C={best[1]}]": clf,
        "rules + classifier fallback (rules none)": combine_fallback(rev, clf, np.ones(len(clf)))}
nr = sum(g != "resolved" for g in yev); nres = len(yev) - nr
res = {"n": len(yev), "gold": dict(collections.Counter(yev)), "best": best, "cv": {f"{k}:{c}": v for (k, c), v in cv.items()},
       "rules_none": sum(r == NONE for r in rev), "raw_clf_counts": dict(collections.Counter(raw)), "rows": {}}
for k, p in rows.items():
    fr = false_resolved(yev, p)
    rec = sum(g == "resolved" and q == "resolved" for g, q in zip(yev, p))
    res["rows"][k] = {"acc": round(100 * accuracy(yev, p), 1), "false_resolved": f"{fr}/{nr} ({100*fr/nr:.1f} %)",
                      "resolved_recall": f"{rec}/{nres} ({100*rec/nres:.1f} %)",
                      "confusion": dict(collections.Counter(f"{g}->{q}" for g, q in zip(yev, p) if g != q).most_common(8))}
print(json.dumps(res, indent=1, default=str))
json.dump(res, open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "result_good_dev.json"), "w"), indent=1, default=str)
