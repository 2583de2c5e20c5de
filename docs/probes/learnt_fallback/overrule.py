"""Session 18 probe: should the learnt model overrule the rules, and can any learner read the
well-labelled providers' own status words at 95 %?

Aggregate figures only: the held-out sets (`*_test*`, the well-labelled providers' odd half) are
scored, never printed. Needs `cargo build --release` and scikit-learn.

    python3 overrule.py

1. Per set: the rules alone (`extract --no-learnt`), the session 15 model alone (TF-IDF word 1-2 +
   char_wb 3-5, LinearSVC, trained on patterns/<lang>/learnt.jsonl), the share of posts where
   either is right (an oracle choosing between them), and, where they disagree, how often each
   is right.
2. The well-labelled providers (DigitalOcean, Oracle Cloud, DatoCMS): the same model trained on
   the dev half's own status words (FNV-1a-32 of the incident id even), read on the held-out
   half; and stacked with the rules' state as features.
"""
import json, os, re, subprocess, sys
from collections import defaultdict

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import make_union
from sklearn.svm import LinearSVC

sys.path.insert(0, os.path.dirname(__file__))
from common import BIN, FIX, PATTERNS, state_of, statuspage_word, strip_status_word  # noqa: E402


def read(path):
    return [json.loads(l) for l in open(path, encoding="utf-8") if l.strip()]


def gold(d):
    return state_of(d["phases"]) if d.get("phases") is not None else d["status"]


def rules(posts, lang):
    texts = [re.sub(r"\s+", " ", strip_status_word(p["text"])).strip() for p in posts]
    args = [BIN, "extract", "--patterns", PATTERNS, "--no-learnt", "-"]
    if lang == "en":
        args[-1:-1] = ["--lang", "en"]
    out = subprocess.run(args, input="\n".join(texts) + "\n", capture_output=True, text=True,
                         check=True).stdout
    got = defaultdict(list)
    for line in out.splitlines():
        o = json.loads(line)
        if o.get("phase"):
            got[o["line"] - 1].append(o["phase"])
    return [state_of(got[i]) for i in range(len(posts))]


def vectorizer():
    return make_union(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
                      TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True))


def fnv_even(s):
    h = 2166136261
    for b in s.encode():
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h % 2 == 0


SETS = {
    "en": [["en_social_dev15.jsonl"], ["en_social_test.jsonl", "en_social_test2.jsonl",
           "en_social_test3.jsonl", "en_social_test4.jsonl"], ["en_offtopic_test.jsonl"]],
    "fr": [["fr_dev20.jsonl"], [f"fr_test{s}.jsonl" for s in ("", "2", "3", "4", "5")],
           ["fr_offtopic_test.jsonl"]],
}
C = {"en": 10.0, "fr": 1.0}

print("1. rules alone, model alone, either right; where they disagree, who is right")
for lang, groups in SETS.items():
    train = read(os.path.join(PATTERNS, lang, "learnt.jsonl"))
    vec = vectorizer()
    model = LinearSVC(C=C[lang]).fit(vec.fit_transform([d["text"] for d in train]),
                                     [gold(d) for d in train])
    for names in groups:
        posts = [d for n in names for d in read(os.path.join(FIX, n))]
        y = np.array([gold(d) for d in posts])
        r = np.array(rules(posts, lang))
        m = model.predict(vec.transform([d["text"] for d in posts]))
        dis = r != m
        print(f"{lang} {'+'.join(names)} ({len(y)} posts): rules {np.mean(r == y):.1%}, "
              f"model {np.mean(m == y):.1%}, either {np.mean((r == y) | (m == y)):.1%}; "
              f"{dis.sum()} disagreements: model right {np.mean((m == y)[dis]):.0%}, "
              f"rules right {np.mean((r == y)[dis]):.0%}")

print("2. well-labelled providers: a model of their own words, dev half -> held-out half")
wl = [d for d in read(os.path.join(FIX, "statuspage_labels.jsonl"))
      if d["provider"] in ("digitalocean", "oci", "datocms")]
dev = [d for d in wl if fnv_even(d["incident"])]
test = [d for d in wl if not fnv_even(d["incident"])]
vec = vectorizer()
A = vec.fit_transform([strip_status_word(d["text"]) for d in dev])
B = vec.transform([strip_status_word(d["text"]) for d in test])
yd, yt = [d["status"] for d in dev], np.array([d["status"] for d in test])
rt = np.array([statuspage_word(s) if s != "none" else s for s in rules(test, "en")])
rd = np.array([statuspage_word(s) if s != "none" else s for s in rules(dev, "en")])
print(f"rules per update on the held-out half: {np.mean(rt == yt):.1%}")
for c in (0.1, 0.3, 1.0):
    p = LinearSVC(C=c).fit(A, yd).predict(B)
    print(f"model of the providers' words, C={c}: {np.mean(p == yt):.1%}")
onehot = TfidfVectorizer(token_pattern=r"\S+", use_idf=False, norm=None)
Ra, Rb = onehot.fit_transform(["r_" + s for s in rd]), onehot.transform(["r_" + s for s in rt])
p = LinearSVC(C=0.3).fit(sp.hstack([A, Ra]).tocsr(), yd).predict(sp.hstack([B, Rb]).tocsr())
print(f"stacked with the rules' state: {np.mean(p == yt):.1%}")
