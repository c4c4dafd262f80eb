#!/usr/bin/env python3
# statecap against real Flink on the same cases: runs `statecap run` on every ground-truth
# case (best of 3) and compares with the time Flink took (cases.csv: flink_job_ms,
# flink_wall_s). Two statecap times per case:
#   prediction: what `run` prints as "simulated N records in X s" (scenario and trace
#               reading, simulation, backend models; no file output);
#   whole:      the whole process (also CSVs, PNG/SVG charts, report.html/.md).
# Usage, from the project root after `cargo build --release`: python3 benches/vs_flink.py
import csv,os,re,subprocess,time,statistics
import sys
root=os.path.abspath(sys.argv[1] if len(sys.argv)>1 else '../shared/ground-truth')
b='target/release/statecap'
rows=[]
for c in csv.DictReader(open(root+'/cases.csv')):
    d=f"{root}/cases/{c['case']}"
    t=open(d+'/scenario.toml').read()
    t=re.sub(r'(?m)^trace = "([^"]+)"', lambda m: f'trace = "{os.path.normpath(os.path.join(d,m.group(1)))}"', t)
    open('/tmp/sp.toml','w').write(t)
    best=1e9; sim=1e9
    for _ in range(3):
        t0=time.perf_counter()
        out=subprocess.run([b,'run','/tmp/sp.toml','--out','/tmp/spo','--no-progress'],check=True,capture_output=True,text=True).stdout
        best=min(best,time.perf_counter()-t0)
        m=re.search(r'simulated [\d,]+ records in ([\d.]+) s',out)
        sim=min(sim,float(m.group(1)))
    rows.append((c['case'],c['backend'],float(c['flink_job_ms'])/1000,float(c['flink_wall_s']),best,max(sim,1e-4)))
med=statistics.median
print(f"{len(rows)} cases; statecap median per case: prediction {med([p for *_,p in rows])*1000:.1f} ms, whole process {med([s for *_,s,_ in rows])*1000:.0f} ms")
for label,i in [('prediction',5),('whole process',4)]:
    r_job=[r[2]/r[i] for r in rows]; r_wall=[r[3]/r[i] for r in rows]
    print(f"{label}: vs Flink job time median {med(r_job):.0f}x, min {min(r_job):.0f}x; vs Flink wall time (JVM start included) median {med(r_wall):.0f}x, min {min(r_wall):.0f}x")
for be in ['hashmap','rocksdb','unset']:
    sub=[r[2]/r[5] for r in rows if r[1]==be]
    if sub: print(f"  {be}: {len(sub)} cases, prediction median {med(sub):.0f}x vs job time")
