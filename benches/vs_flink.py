#!/usr/bin/env python3
# statecap against real Flink on the same cases: runs `statecap run` on every ground-truth
# case (best of 3, whole process: trace reading, simulation, CSVs, charts and report)
# and compares with the time Flink took (cases.csv: flink_job_ms, flink_wall_s).
# Usage, from the project root after `cargo build --release`: python3 benches/vs_flink.py
import csv,os,re,subprocess,time,statistics
import sys
root=sys.argv[1] if len(sys.argv)>1 else '../shared/ground-truth'
b='target/release/statecap'
rows=[]
for c in csv.DictReader(open(root+'/cases.csv')):
    d=f"{root}/cases/{c['case']}"
    t=open(d+'/scenario.toml').read()
    t=re.sub(r'(?m)^trace = "([^"]+)"', lambda m: f'trace = "{os.path.normpath(os.path.join(d,m.group(1)))}"', t)
    open('/tmp/sp.toml','w').write(t)
    best=1e9
    for _ in range(3):
        t0=time.perf_counter(); subprocess.run([b,'run','/tmp/sp.toml','--out','/tmp/spo','-q'],check=True); best=min(best,time.perf_counter()-t0)
    rows.append((c['case'],c['backend'],float(c['flink_job_ms'])/1000,float(c['flink_wall_s']),best))
r_job=[f/s for _,_,f,_,s in rows]; r_wall=[w/s for _,_,_,w,s in rows]
print(f"{len(rows)} cases; statecap median {statistics.median([s for *_,s in rows])*1000:.0f} ms per case (whole process, trace read included)")
print(f"speed-up vs Flink job time: median {statistics.median(r_job):.0f}x, min {min(r_job):.0f}x; vs Flink wall time (JVM start included): median {statistics.median(r_wall):.0f}x, min {min(r_wall):.0f}x")
for be in ['hashmap','rocksdb','unset']:
    sub=[(f/s) for _,bb,f,_,s in rows if bb==be]
    if sub: print(f"  {be}: {len(sub)} cases, median {statistics.median(sub):.0f}x vs job time")
