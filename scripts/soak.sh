#!/usr/bin/env bash
# Soak test (issue 7, item 6; not run in CI): one long `somnus run` with plasticity and
# sleep, its resident set size (VmRSS from /proc/PID/status) sampled every few seconds,
# and a check that memory stays flat.
#
#   scripts/soak.sh [SOMNUS [STEPS [extra `somnus run` options...]]]
#
#   SOMNUS     binary to run (env or 1st argument; default build/release/somnus)
#   STEPS      wake steps (env or 2nd argument; default 1e8 = 100000000). Sleep adds
#              about sleep.rate x that many steps on top (20%: 1.2e8 steps in all).
#   INTERVAL   seconds between RSS samples (default 2)
#   OUT        directory for rss.csv, run.log and the results JSON
#              (default: a new directory under ${TMPDIR:-/tmp})
#   MAX_GROWTH_PCT, MAX_GROWTH_KB
#              allowed RSS growth from the 10% mark to the end: PCT % of the RSS at
#              the 10% mark plus KB kilobytes (defaults 5 and 1024)
#
# The run: the paper config (configs/paper.cfg), published STDP sign, 20% sleep,
# 100 steps per image, a new random image every 100 steps, plasticity on.
#
# Why monitor.interval = 100000: the monitor keeps one record (about 32 doubles, ~260
# bytes) per monitor.interval steps in an array that grows by doubling, and the results
# JSON holds all of them. With the default interval of 1000 and 1.2e8 steps that array
# alone grows by ~30 MB during the run: expected data, not a leak, but it would swamp
# what this script is for. At 100000 the run keeps ~1200 records (~0.3 MB, ~0.5 MB of
# capacity), well inside the threshold, so any growth beyond it points at a leak.
#
# Output: rss.csv (elapsed_s,rss_kb), then a summary: steps, wall time, steps/s, RSS
# first/min/max/last and the growth from the 10% mark (the first sample at or after 10%
# of the wall time, once the network is built and warmed up) to the last sample.
# Exit status: 0 flat, 1 RSS grew beyond the threshold, 2 somnus failed or bad usage.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")

SOMNUS=${1:-${SOMNUS:-$root/build/release/somnus}}
STEPS=${2:-${STEPS:-100000000}}
if [ $# -gt 2 ]; then shift 2; else shift $#; fi
INTERVAL=${INTERVAL:-2}
MAX_GROWTH_PCT=${MAX_GROWTH_PCT:-5}
MAX_GROWTH_KB=${MAX_GROWTH_KB:-1024}

die() { echo "soak: $*" >&2; exit 2; }
[ -x "$SOMNUS" ] || die "no executable somnus at $SOMNUS (run make, or give SOMNUS)"
case $STEPS in ''|*[!0-9]*) die "STEPS must be a whole number, got '$STEPS'";; esac
OUT=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/somnus-soak.XXXXXX")}
mkdir -p "$OUT" || die "cannot create $OUT"

csv=$OUT/rss.csv
log=$OUT/run.log
echo "elapsed_s,rss_kb" > "$csv"

cmd=("$SOMNUS" run --config "$root/configs/paper.cfg"
     --set stdp.sign=as_published --set sleep.rate=0.2
     --set input.steps_per_image=100 --set monitor.interval=100000
     --steps "$STEPS" --out "$OUT/results.json" "$@")
echo "soak: ${cmd[*]}"
echo "soak: RSS every ${INTERVAL} s -> $csv; load: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"

t0=$(date +%s.%N)
"${cmd[@]}" > "$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null' INT TERM

# Sample until the process is gone (VmRSS disappears once it is a zombie).
while :; do
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null)
    [ -n "$rss" ] || break
    now=$(date +%s.%N)
    awk -v a="$now" -v b="$t0" -v r="$rss" 'BEGIN {printf "%.1f,%d\n", a - b, r}' >> "$csv"
    sleep "$INTERVAL"
done
wait "$pid"
rc=$?
t1=$(date +%s.%N)
trap - INT TERM

cat "$log"
if [ $rc -ne 0 ]; then
    echo "soak: somnus exited with status $rc (log: $log)" >&2
    exit 2
fi

# "somnus run: N steps (M asleep) in X s (R steps/s); ..."
total=$(sed -n 's/^somnus run: \([0-9]*\) steps.*/\1/p' "$log" | tail -1)
asleep=$(sed -n 's/^somnus run: [0-9]* steps (\([0-9]*\) asleep).*/\1/p' "$log" | tail -1)
[ -n "$total" ] || total=$STEPS

awk -F, -v t0="$t0" -v t1="$t1" -v wake="$STEPS" -v total="$total" -v asleep="${asleep:-?}" \
    -v pct="$MAX_GROWTH_PCT" -v kb="$MAX_GROWTH_KB" -v load="$(cut -d' ' -f1-3 /proc/loadavg)" '
NR == 1 { next }
{ t[++n] = $1; r[n] = $2 }
END {
    if (n == 0) { print "soak: no RSS samples"; exit 2 }
    wall = t1 - t0
    mn = r[1]; mx = r[1]
    for (i = 1; i <= n; i++) { if (r[i] < mn) mn = r[i]; if (r[i] > mx) mx = r[i] }
    b = n; for (i = 1; i <= n; i++) if (t[i] >= 0.1 * t[n]) { b = i; break }
    growth = r[n] - r[b]
    limit = r[b] * pct / 100 + kb
    printf "soak: steps          %d wake + %s asleep = %d\n", wake, asleep, total
    printf "soak: wall time      %.1f s\n", wall
    printf "soak: steps/s        %.0f (all steps over wall time)\n", total / wall
    printf "soak: samples        %d (every ~%.1f s)\n", n, (n > 1 ? t[n] / (n - 1) : 0)
    printf "soak: RSS kB         first %d, min %d, max %d, last %d\n", r[1], mn, mx, r[n]
    printf "soak: RSS growth     %+d kB (%+.2f%%) from %d kB at %.1f s (10%% mark) to %d kB at %.1f s\n",
           growth, r[b] ? 100 * growth / r[b] : 0, r[b], t[b], r[n], t[n]
    printf "soak: limit          %d kB (%g%% + %d kB)\n", limit, pct, kb
    printf "soak: load at end    %s\n", load
    if (growth > limit) { print "soak: FAIL: RSS grew"; exit 1 }
    print "soak: OK: RSS flat"
}' "$csv"
status=$?
echo "soak: files in $OUT (rss.csv, run.log, results.json)"
exit $status
