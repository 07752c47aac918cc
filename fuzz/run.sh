#!/bin/sh
# Runs every davdir fuzz target for N seconds (default 900) and prints, per
# target, the executions, executions per second and the findings (crash,
# OOM, timeout inputs saved under fuzz/artifacts/<target>/).
#
#   fuzz/run.sh [SECONDS] [TARGET...]
#   SANITIZER=address fuzz/run.sh 60 xml_request
#
# New corpus entries go to fuzz/work/<target>/ (ignored by git); the
# committed seeds in fuzz/corpus/<target>/ are read but never written.
# Findings do not stop a run (-fork=1 with -ignore_crashes and friends), so
# one known crash cannot hide the next. Needs the nightly toolchain and
# cargo-fuzz (cargo install cargo-fuzz).
set -eu
cd "$(dirname "$0")"
SECONDS_EACH=${1:-900}
[ $# -gt 0 ] && shift
TARGETS=${*:-"xml_request ical_inspect filter_eval href_path vcard_inspect"}
# The library has almost no unsafe code on these paths; without ASan the
# targets run several times faster. Debug assertions stay on (-a), so
# integer overflow is a finding.
SANITIZER=${SANITIZER:-none}
# Request handlers run on the blocking pool's threads (2 MiB stacks); give
# the fuzzer the same stack so deep recursion is found where it would crash
# the server.
ulimit -s 2048

max_len() {
    case $1 in
        href_path) echo 2048 ;;
        filter_eval) echo 32768 ;;
        *) echo 65536 ;;
    esac
}

for t in $TARGETS; do cargo +nightly fuzz build -s "$SANITIZER" -a "$t"; done
summary=""
for t in $TARGETS; do
    mkdir -p "work/$t" "artifacts/$t"
    before=$(ls "artifacts/$t" | wc -l)
    log="artifacts/$t.log"
    echo "== $t: ${SECONDS_EACH}s, log in fuzz/$log"
    cargo +nightly fuzz run -s "$SANITIZER" -a "$t" "work/$t" "corpus/$t" -- \
        -max_total_time="$SECONDS_EACH" -max_len="$(max_len "$t")" \
        -rss_limit_mb=2048 -timeout=10 -fork=1 \
        -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1 \
        -artifact_prefix="artifacts/$t/" >"$log" 2>&1 || true
    # Fork mode reports "#EXECS: cov: .. exec/s: N .. oom/timeout/crash: a/b/c".
    last=$(grep -E '^#[0-9]+: cov:' "$log" | tail -n 1)
    execs=$(echo "$last" | sed -E 's/^#([0-9]+):.*/\1/')
    rate=$(echo "$last" | sed -E 's/.*exec\/s: ([0-9]+).*/\1/')
    otc=$(echo "$last" | sed -E 's/.*oom\/timeout\/crash: ([0-9\/]+).*/\1/')
    after=$(ls "artifacts/$t" | wc -l)
    line="$t: ${execs:-?} executions, ${rate:-?} exec/s, oom/timeout/crash ${otc:-?}, $((after - before)) new artifact(s)"
    echo "$line"
    ls -t "artifacts/$t" | head -n $((after - before)) | sed "s|^|    fuzz/artifacts/$t/|"
    summary="$summary$line
"
done
echo "== summary"
printf '%s' "$summary"
