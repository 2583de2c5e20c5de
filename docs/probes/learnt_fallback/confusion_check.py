"""Checks the Python rules-state derivation against `st_bin patterns eval` (accuracy and confusion table)."""
from common import *
import collections, subprocess
for name,lang in [(EN_EVAL,"en"),(FR_EVAL,"fr")]:
    ps=load(name); gold=[p["_state"] for p in ps]
    rs,_=rules_states(ps,lang)
    mine=collections.Counter((g,r) for g,r in zip(gold,rs) if g!=r)
    out=subprocess.run([BIN,"patterns","eval",f"{FIX}/{name}","--patterns",PATTERNS],capture_output=True,text=True).stdout
    off={}
    for l in out.splitlines():
        c=[x.strip() for x in l.strip('|').split('|')]
        if len(c)==3 and c[2].isdigit():
            off[(c[0].replace('(none)','none'),c[1].replace('(none)','none'))]=int(c[2])
    print(name, "acc %.1f" % (100*accuracy(gold,rs)), "false resolved", false_resolved(gold,rs), "confusion identical:", dict(mine)==off)
