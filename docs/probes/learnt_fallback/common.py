"""Shared helpers: data loading, eval.rs state derivation, rules' state via the release binary."""
import json, os, re, subprocess, hashlib

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
FIX = os.path.join(ROOT, "tests/fixtures/extraction")
BIN = os.environ.get("STATUSTRAIL_BIN", os.path.join(ROOT, "target/release/statustrail"))
PATTERNS = os.path.join(ROOT, "patterns")
CACHE = os.environ.get("PROBE_CACHE", "/tmp/statustrail_probe_cache")

EN_TRAIN = ["en_social_dev.jsonl"] + [f"en_social_dev{i}.jsonl" for i in range(2, 15)] + [
    "statuspage_handlabelled_dev2.jsonl"]
EN_EVAL = "en_social_dev15.jsonl"
FR_TRAIN = ["fr_posts.jsonl", "fr_real.jsonl", "fr_dev.jsonl", "fr_dev2.jsonl"] + [
    f"fr_dev{i}.jsonl" for i in range(4, 20)]
FR_EVAL = "fr_dev20.jsonl"

# eval.rs state_of: rank investigating 0, identified 1, recovering 2, monitoring 3,
# postmortem 4, resolved 5, maintenance_scheduled 6, _started 7, _completed 8
RANK = {"investigating": 0, "identified": 1, "recovering": 2, "monitoring": 3,
        "postmortem": 4, "resolved": 5, "maintenance_scheduled": 6,
        "maintenance_started": 7, "maintenance_completed": 8}
NONE = "none"


def state_of(phases):
    if not phases:
        return NONE
    return max(phases, key=lambda p: RANK[p])


def statuspage_word(p):
    return {"recovering": "monitoring", "postmortem": "resolved"}.get(p, p)


WORDS = ["investigating", "identified", "monitoring", "resolved", "update", "postmortem",
         "scheduled", "in progress", "verifying", "completed"]


def strip_status_word(text):
    """eval.rs strip_status_word (byte lengths, ASCII case-insensitive)."""
    t = text.lstrip()
    b = t.encode("utf-8")
    for w in WORDS:
        wb = w.encode()
        if len(b) > len(wb) and b[:len(wb)].lower() == wb:
            # is_char_boundary: w is ASCII so prefix equal => boundary OK
            rest = b[len(wb):].decode("utf-8").lstrip()
            for d in ("-", ":", "–", "—"):
                if rest.startswith(d):
                    return rest[len(d):].lstrip()
    return t


def load(name, lang_filter=None):
    assert "_test" not in name and name not in ("statuspage_labels.jsonl", "statuspage_handlabelled.jsonl")
    out = []
    for line in open(os.path.join(FIX, name), encoding="utf-8"):
        if not line.strip():
            continue
        d = json.loads(line)
        if lang_filter and name == "fr_real.jsonl" and d.get("lang") != lang_filter:
            continue
        if d.get("phases") is not None:
            d["_state"] = state_of(d["phases"])
            d["_statusword"] = False
        else:
            d["_state"] = d["status"] if d.get("status") else NONE
            d["_statusword"] = True
        d["_file"] = name
        out.append(d)
    return out


def load_many(names, lang):
    out = []
    for n in names:
        out += load(n, lang_filter=lang)
    return out


def rules_states(posts, lang):
    """Rules' state per post, derived as eval.rs does (status word stripped first)."""
    texts = [re.sub(r"[\r\n]+", " ", strip_status_word(p["text"])) for p in posts]
    blob = "\n".join(texts) + "\n"
    # The key covers the rules and the binary too, so that a change of either is not read stale.
    rules = "".join(
        open(os.path.join(d, f), encoding="utf-8").read()
        for d, _, fs in sorted(os.walk(PATTERNS)) for f in sorted(fs) if f.endswith(".toml"))
    key = hashlib.sha1((lang + blob + rules + str(os.path.getmtime(BIN))).encode()).hexdigest()
    os.makedirs(CACHE, exist_ok=True)
    cf = os.path.join(CACHE, key + ".jsonl")
    if not os.path.exists(cf):
        r = subprocess.run([BIN, "extract", "--patterns", PATTERNS, "--lang", lang, "-"],
                           input=blob.encode(), capture_output=True, check=True)
        open(cf, "wb").write(r.stdout)
    got = [[] for _ in posts]
    for line in open(cf, encoding="utf-8"):
        o = json.loads(line)
        if o.get("phase") and o["phase"] not in got[o["line"] - 1]:
            got[o["line"] - 1].append(o["phase"])
    states = []
    for p, g in zip(posts, got):
        s = state_of(g)
        if p["_statusword"] and s != NONE:
            s = statuspage_word(s)
        states.append(s)
    return states, got


def accuracy(gold, pred):
    return sum(g == p for g, p in zip(gold, pred)) / len(gold)


def false_resolved(gold, pred):
    return sum(g != "resolved" and p == "resolved" for g, p in zip(gold, pred))
