"""Paired win/loss of (a) vs rules on the blind sets, and where (a)'s false 'resolved' land in training OOF."""
import sys, collections, numpy as np
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from common import *
from run import model, text_of
for lang, best in [("en", ("svm", 10)), ("fr", ("svm", 1))]:
    trn, evn = (EN_TRAIN, EN_EVAL) if lang == "en" else (FR_TRAIN, FR_EVAL)
    tr = load_many(trn, "fr" if lang == "fr" else None); ev = load(evn)
    ytr = np.array([p["_state"] for p in tr]); yev = [p["_state"] for p in ev]
    rev, _ = rules_states(ev, lang)
    m = model(*best).fit([text_of(p) for p in tr], ytr); a = m.predict([text_of(p) for p in ev])
    win = sum(x == g != r for x, g, r in zip(a, yev, rev)); loss = sum(r == g != x for x, g, r in zip(a, yev, rev))
    print(lang, "blind: clf right & rules wrong", win, "| rules right & clf wrong", loss)
    oof = cross_val_predict(model(*best), [text_of(p) for p in tr], ytr, cv=StratifiedKFold(5, shuffle=True, random_state=0), n_jobs=2)
    fr = [(p["_file"], p["_state"]) for p, o in zip(tr, oof) if o == "resolved" and p["_state"] != "resolved"]
    print(lang, "train OOF false resolved", len(fr), "of", sum(ytr != "resolved"), collections.Counter(s for _, s in fr).most_common(5), collections.Counter(f for f, _ in fr).most_common(4))
