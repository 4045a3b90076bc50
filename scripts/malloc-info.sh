#!/bin/bash
# glibc's view of a running server's memory (docs/operations-figures.md, "Soak on 2026-12-04"):
# gdb attaches, calls malloc_info() into OUT.xml and detaches; the process keeps running (it stalls
# for under a second). Prints RSS before and after, then per arena the bytes glibc holds, the
# bytes freed but kept, and the bytes in use. Needs gdb and python3; `trim` also calls
# malloc_trim(0), which hands freed pages back (and so changes what a soak measures).
# usage: scripts/malloc-info.sh PID OUT.xml [trim] -> RSS before/after, glibc malloc_info XML in OUT.xml, optional malloc_trim(0) after it
P=$1; OUT=$2
echo "t=$(date +%T) pid=$P rss_before=$(awk '/VmRSS/{print $2/1024}' /proc/$P/status)MB anon=$(awk '/RssAnon/{print $2/1024}' /proc/$P/status)"
cmds=(-ex "set \$f = (void*)fopen(\"$OUT\", \"w\")" -ex 'call (int)malloc_info(0, $f)' -ex 'call (int)fclose($f)')
[ "$3" = trim ] && cmds+=(-ex 'call (int)malloc_trim(0)')
timeout 120 gdb -p $P -batch "${cmds[@]}" -ex detach >/tmp/mstats.$P.out 2>&1
sleep 0.5
echo "rss_after=$(awk '/VmRSS/{print $2/1024}' /proc/$P/status)MB anon=$(awk '/RssAnon/{print $2/1024}' /proc/$P/status)"
python3 - "$OUT" <<'PY'
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
for h in r.findall('heap'):
    tot = {t.get('type'): int(t.get('size')) for t in h.findall('total')}
    sysc = {s.get('type'): int(s.get('size')) for s in h.findall('system')}
    free = tot.get('fast', 0) + tot.get('rest', 0)
    print(f"arena {h.get('nr')}: system {sysc.get('current',0)/2**20:.1f} MB, free {free/2**20:.1f} MB, in use {(sysc.get('current',0)-free)/2**20:.1f} MB, mmap {tot.get('mmap',0)/2**20:.1f} MB")
tot = {t.get('type'): (int(t.get('count')), int(t.get('size'))) for t in r.findall('total')}
sysc = {s.get('type'): int(s.get('size')) for s in r.findall('system')}
print('total', {k: round(v[1]/2**20,1) for k,v in tot.items()}, 'system', {k: round(v/2**20,1) for k,v in sysc.items()})
PY
