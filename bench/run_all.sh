#!/bin/sh
# Run every benchmark one after the other (about 6-7 minutes on 2 cores) and keep a transcript
# in bench/results/run_all-<UTC time>.txt. Extra arguments are not passed on: run a script
# directly to change its options. bench/http_pages.py installs wrk with apt-get if it is missing.
set -eu
cd "$(dirname "$0")/.."
mkdir -p bench/results
log="bench/results/run_all-$(date -u +%Y%m%dT%H%M%SZ).txt"
{
    echo "Terreau benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
    for script in seed_demo http_pages socketio_fanout; do
        python "bench/$script.py" || echo "bench/$script.py FAILED (exit $?)"
    done
} 2>&1 | tee "$log"
echo "transcript: $log"
