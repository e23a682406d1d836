import json, glob, os, sys
rows = []
for f in sorted(glob.glob('/tmp/pf/runs/*.json')):
    d = json.load(open(f))
    name = os.path.basename(f)[:-5]
    proto, arm, seed = name.split('-')
    c = d['chunks']; fin = d['final']
    K = len(c['acc']) - 1
    dorm = c['diag_hidden_dormant_0.1']; sr = c['diag_hidden_srank_frac']
    rows.append(dict(protocol=proto, arm=arm, seed=int(seed[4:]), auc=fin['auc'], pr_final=fin['pr_final'],
                     drop=fin['drop'], acc=c['acc'], acc_fresh=[c['acc_fresh'][1], c['acc_fresh'][K]],
                     dormant_1=dorm[1], dormant_K=dorm[K], mean_dormant=sum(dorm[1:]) / K,
                     mean_srank=sum(sr[1:]) / K, srank=c['diag_hidden_srank'], wall_s=c['wall_s'][K]))
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
json.dump(rows, open(out + '/runs.json', 'w'), indent=1)
with open(out + '/summary.csv', 'w') as f:
    f.write('protocol,arm,seed,auc,pr_final,drop,acc_1,acc_K,acc_fresh_1,acc_fresh_K,dormant_0.1_chunk1,dormant_0.1_chunkK,mean_dormant,mean_srank_frac,wall_s\n')
    for r in rows:
        f.write('%s,%s,%d,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.0f\n' % (
            r['protocol'], r['arm'], r['seed'], r['auc'], r['pr_final'], r['drop'], r['acc'][1], r['acc'][-1],
            r['acc_fresh'][0], r['acc_fresh'][1], r['dormant_1'], r['dormant_K'], r['mean_dormant'], r['mean_srank'], r['wall_s']))
for r in rows:
    print('%-6s %-8s s%d auc %.3f pr_K %.3f drop %.3f acc %s fresh %s dorm %.3f->%.3f srank %.3f' % (
        r['protocol'], r['arm'], r['seed'], r['auc'], r['pr_final'], r['drop'],
        ' '.join('%.2f' % a for a in r['acc'][1:]), r['acc_fresh'], r['dormant_1'], r['dormant_K'], r['mean_srank']))
