#!/usr/bin/python3
# Paired differences between inits per size over seeds, from a pmp-curve curve.csv:
#   bench/experiments/paired_diffs.py OUT/curve.csv
import csv,sys,statistics as st,math
rows=list(csv.DictReader(open(sys.argv[1])))
acc={(r['init'],int(r['size']),int(r['seed'])):float(r['accuracy']) for r in rows}
sizes=sorted({k[1] for k in acc}); seeds=sorted({k[2] for k in acc})
for a,b in [('pmp-rank','lm'),('pmp-rank-newhead','lm'),('pmp-binary','lm'),('pmp-binary','pmp-rank'),('pmp-rank','pmp-rank-newhead'),('lm','scratch')]:
    out=[]
    for s in sizes:
        d=[acc[(a,s,k)]-acc[(b,s,k)] for k in seeds if (a,s,k) in acc and (b,s,k) in acc]
        if len(d)>1: out.append(f"{s}: {st.mean(d):+.3f}±{st.stdev(d)/math.sqrt(len(d)):.3f}")
    print(f"{a} − {b}:", ", ".join(out))
