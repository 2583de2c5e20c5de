"""Probe: can a learnt reader of share mentions (restored / affected / neither, from the words
around each "N %", "N of M", "la moitié") add to the percentage rules on posts they were not
written on? Trains on the development sets (those of make_learnt_posts.py), reads the blind sets
(aggregate only), alone and behind the rules (a mention whose value no rule yielded).

    pip install scikit-learn && python3 docs/probes/learnt_shares/probe.py
"""
import json, os, re, subprocess, sys
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC
from scipy.sparse import hstack

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
FIX = os.path.join(ROOT, "tests/fixtures/extraction")
BIN = os.path.join(ROOT, "target/release/statustrail")
sys.path.insert(0, os.path.join(ROOT, "tests/fixtures/extraction"))

TRAIN = {
    "en": ["en_social_dev.jsonl"] + [f"en_social_dev{i}.jsonl" for i in range(2, 15)]
    + ["statuspage_handlabelled_dev2.jsonl", "en_offtopic_dev.jsonl"],
    "fr": ["fr_posts.jsonl", "fr_real.jsonl", "fr_dev.jsonl", "fr_dev2.jsonl"]
    + [f"fr_dev{i}.jsonl" for i in range(4, 20)] + ["fr_offtopic_dev.jsonl"],
}
BLIND = {
    "en": [f"en_social_dev{i}.jsonl" for i in range(15, 19)] + ["en_offtopic_dev2.jsonl"],
    "fr": [f"fr_dev{i}.jsonl" for i in range(20, 24)] + ["fr_offtopic_dev2.jsonl"],
}

WORDS = {
    "en": {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
           "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
           "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
           "ninety": 90, "hundred": 100},
    "fr": {"un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7,
           "huit": 8, "neuf": 9, "dix": 10, "douze": 12, "quinze": 15, "vingt": 20, "trente": 30,
           "quarante": 40, "cinquante": 50, "soixante": 60, "septante": 70, "quatre-vingt": 80,
           "quatre-vingts": 80, "nonante": 90, "quatre-vingt-dix": 90, "cent": 100},
}
FRAC = {
    "en": {"half": 50, "a quarter": 25, "a third": 100 / 3, "one third": 100 / 3,
           "two thirds": 200 / 3, "three quarters": 75},
    "fr": {"la moitié": 50, "un quart": 25, "un tiers": 100 / 3, "deux tiers": 200 / 3,
           "trois quarts": 75},
}


def num(s, lang):
    s = s.lower().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if s in WORDS[lang]:
        return float(WORDS[lang][s])
    if lang == "en":
        s = s.replace(",", "") if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", s) else s.replace(",", ".")
    else:
        s = s.replace(",", ".")
    try:
        return float(s)
    except ValueError:
        return None


def finder(lang):
    w = "|".join(sorted(map(re.escape, WORDS[lang]), key=len, reverse=True))
    n = rf"(?:\d{{1,3}}(?:[ \u00a0\u202f,]\d{{3}})+(?:[.,]\d{{1,2}})?|\d{{1,4}}(?:[.,]\d{{1,2}})?|\b(?:{w})\b)"
    f = "|".join(sorted(map(re.escape, FRAC[lang]), key=len, reverse=True))
    if lang == "en":
        pct = rf"(?P<pct>{n})\s?(?:%|percent\b|per cent\b|pct\b)"
        pw = rf"\b(?P<part>{n})\s+(?:[\w-]+\s+)?(?:of|out of|in)\s+(?:the\s+|our\s+|every\s+)?(?P<whole>{n})\b"
    else:
        pct = rf"(?P<pct>{n})\s?(?:%|pour\s?cents?\b|pourcents?\b)"
        pw = rf"\b(?P<part>{n})\s+(?:[\w'’-]+\s+){{0,2}}?sur\s+(?:les\s+|nos\s+)?(?P<whole>{n})\b"
    fr = rf"\b(?P<frac>{f})\b"
    return re.compile(rf"{pct}|{pw}|{fr}", re.I)


def mentions(text, lang, rx):
    out = []
    for m in rx.finditer(text):
        if m.group("pct"):
            v = num(m.group("pct"), lang)
        elif m.group("part"):
            p, wh = num(m.group("part"), lang), num(m.group("whole"), lang)
            v = None if not p or not wh or p > wh else 100 * p / wh
        else:
            v = FRAC[lang][m.group("frac").lower()]
        if v is None or v > 100:
            continue
        out.append((m.start(), m.end(), v))
    return out


SENT = re.compile(r"[.!?;:\n|—]\s")
TOK = re.compile(r"\w+(?:['’]\w+)?")


def context(text, s, e, lang):
    """Words of the mention's sentence, by side, nearest first."""
    a = max([m.end() for m in SENT.finditer(text, 0, s)] or [0])
    b = SENT.search(text, e)
    b = b.start() if b else len(text)
    left = TOK.findall(text[a:s].lower())[-8:]
    right = TOK.findall(text[e:b].lower())[:10]
    feats = [f"L_{x}" for x in left] + [f"R_{x}" for x in right]
    feats += [f"L1_{left[-1]}" if left else "L1_^"] + [f"R1_{right[0]}" if right else "R1_$"]
    feats += [f"L_{a}_{b}" for a, b in zip(left, left[1:])] + [f"R_{a}_{b}" for a, b in zip(right, right[1:])]
    words = " ".join(left + right)
    return " ".join(feats), words


def same(a, b):
    return a is not None and b is not None and abs(a - b) < 0.6


def load(name, lang):
    out = []
    for line in open(os.path.join(FIX, name), encoding="utf-8"):
        if not line.strip():
            continue
        d = json.loads(line)
        if name == "fr_real.jsonl" and d.get("lang") != lang:
            continue
        out.append(d)
    return out


def rules_pcts(posts, lang):
    texts = "\n".join(re.sub(r"\s+", " ", p["text"]) for p in posts) + "\n"
    r = subprocess.run([BIN, "extract", "--no-learnt", "--lang", lang, "-"], input=texts.encode(),
                       capture_output=True, check=True)
    got = [([], []) for _ in posts]
    for line in r.stdout.decode().splitlines():
        st = json.loads(line)
        i = st["line"] - 1
        if st.get("restored") is not None:
            got[i][0].append(st["restored"])
        if st.get("affected") is not None:
            got[i][1].append(st["affected"])
    return got


def score(posts, preds):
    c = {"restored": [0, 0, 0], "affected": [0, 0, 0]}
    for p, pr in zip(posts, preds):
        for k, got in zip(("restored", "affected"), pr):
            exp = p.get(k)
            hit = False
            for g in got:
                if same(exp, g) and not hit:
                    c[k][0] += 1
                    hit = True
                else:
                    c[k][1] += 1
            if exp is not None and not hit:
                c[k][2] += 1
    return {k: (tp / max(tp + fp, 1), tp / max(tp + fn, 1), tp + fn) for k, (tp, fp, fn) in c.items()}


def fmt(s):
    return " | ".join(f"{k} P {p:.1%} R {r:.1%} (of {n})" for k, (p, r, n) in s.items())


for lang in ("en", "fr"):
    rx = finder(lang)
    X, y = [], []
    for name in TRAIN[lang]:
        for d in load(name, lang):
            for s, e, v in mentions(d["text"], lang, rx):
                r, a = same(d.get("restored"), v), same(d.get("affected"), v)
                if r and a:
                    continue
                X.append(context(d["text"], s, e, lang))
                y.append("restored" if r else "affected" if a else "none")
    print(f"== {lang}: {len(y)} training mentions:", {k: y.count(k) for k in set(y)})
    vw = TfidfVectorizer(token_pattern=r"\S+", sublinear_tf=True, lowercase=False)
    vc = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2)
    Xw = vw.fit_transform([x[0] for x in X])
    Xc = vc.fit_transform([x[1] for x in X])
    clf = LinearSVC(C=float(os.environ.get("C", "0.5"))).fit(hstack([Xw, Xc]).tocsr(), y)
    classes = list(clf.classes_)
    posts = [d for name in BLIND[lang] for d in load(name, lang)]
    rules = rules_pcts(posts, lang)
    print("rules alone (blind):", fmt(score(posts, rules)))
    for margin in (-0.5, -0.25, 0.0, 0.25, 0.5):
        alone, behind = [], []
        for d, rp in zip(posts, rules):
            ms = mentions(d["text"], lang, rx)
            best = {"restored": None, "affected": None}
            if ms:
                ctx = [context(d["text"], s, e, lang) for s, e, v in ms]
                sc = clf.decision_function(hstack([vw.transform([c[0] for c in ctx]),
                                                   vc.transform([c[1] for c in ctx])]).tocsr())
                for (s, e, v), row in zip(ms, sc):
                    k = classes[int(np.argmax(row))]
                    srt = sorted(row)
                    if k != "none" and row.max() - srt[-2] > margin:
                        if best[k] is None or row.max() > best[k][1]:
                            best[k] = (v, row.max())
            model = ([best["restored"][0]] if best["restored"] else [],
                     [best["affected"][0]] if best["affected"] else [])
            alone.append(model)
            said = rp[0] + rp[1]
            behind.append((rp[0] or [v for v in model[0] if not any(same(v, x) for x in said)],
                           rp[1] or [v for v in model[1] if not any(same(v, x) for x in said)]))
        print(f"margin {margin:+.2f}  model alone:", fmt(score(posts, alone)))
        print(f"              behind the rules:", fmt(score(posts, behind)))
