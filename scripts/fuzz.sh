#!/usr/bin/env bash
# Builds the libFuzzer targets (preset "fuzz": Clang, ASan + UBSan, build-fuzz/) and runs them.
#   bash scripts/fuzz.sh --ci                        replays every corpus (seeds, fixtures, regressions),
#                                                    then fuzzes each target briefly with a fixed seed and
#                                                    a fixed number of executions (about 10 s each, the same
#                                                    inputs on every run); fails on any finding
#   bash scripts/fuzz.sh --long SECONDS [TARGET...]  fuzzes targets one at a time, logs and a summary
#                                                    in fuzz-logs/, the grown corpus kept in fuzz-logs/corpus/
# Targets: pth mlpify safetensors idx cifar image analysis_json checkpoint project. A finding is
# written to fuzz-logs/artifacts/; minimise it (fuzz_T -minimize_crash=1 FILE), fix the reader and
# add the input to fuzz/regressions/T/ with a GoogleTest case.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
MODE=${1:-}
case "$MODE" in
  --ci) shift ;;
  --long) shift; [[ $# -ge 1 ]] || usage; SECONDS_EACH=$1; shift ;;
  *) usage ;;
esac

ALL=(pth mlpify safetensors idx cifar image analysis_json checkpoint project)
TARGETS=("$@")
[[ ${#TARGETS[@]} -gt 0 ]] || TARGETS=("${ALL[@]}")

command -v clang++ >/dev/null || { echo "fuzz: clang++ missing (bash scripts/install-deps.sh)" >&2; exit 2; }
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz

BIN=build-fuzz/fuzz
LOGS=fuzz-logs
mkdir -p "$LOGS/artifacts" "$LOGS/corpus"
# Findings must stop the run: UBSan aborts (compiled with -fno-sanitize-recover), ASan too.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:allocator_may_return_null=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/fuzz/lsan.supp}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export OMP_NUM_THREADS=1
# Every input here runs in well under a second; -timeout is wall time, so on a loaded machine
# (another build, other fuzzers) it must leave room for being descheduled, or a stall reads as a hang.
FLAGS=(-rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=60 -print_final_stats=1)

# Inputs replayed for a target besides its seeds and regressions: the real torch.save files.
fixtures() {
  case "$1" in
    pth) ls tests/fixtures/*.pth ;;
    mlpify) echo resources/models/default.mlpify ;;
    safetensors) ls tests/fixtures/*.safetensors ;;
  esac
}

corpora() { # checked-in corpus folders of a target that exist
  for d in "fuzz/seeds/$1" "fuzz/regressions/$1"; do [[ -d $d ]] && echo "$d"; done
}

# CI fuzzes a fixed number of executions from a fixed seed, so every CI run tries the same inputs:
# a finding shows on the machine that made the change, not at random in a later run. The counts
# are about 10 s of each target's rate on one core; FUZZ_CI_SCALE multiplies them.
ci_runs() {
  local n
  case "$1" in
    pth | mlpify | checkpoint) n=2000 ;;
    safetensors) n=10000 ;;
    image) n=30000 ;;
    *) n=40000 ;;
  esac
  echo $((n * ${FUZZ_CI_SCALE:-1}))
}

dict() {
  case "$1" in
    pth | mlpify | checkpoint) echo -dict=fuzz/dicts/pickle.dict ;;
    safetensors) echo -dict=fuzz/dicts/safetensors.dict ;;
    analysis_json | project) echo -dict=fuzz/dicts/json.dict ;;
  esac
}

failed=()
summary="$LOGS/summary-$(date -u +%Y%m%dT%H%M%SZ).txt"
printf '%-14s %7s %10s %8s %7s %7s %7s %s\n' target seconds execs exec/s corpus cov ft findings | tee "$summary"
for t in "${TARGETS[@]}"; do
  exe="$BIN/fuzz_$t"
  [[ -x $exe ]] || { echo "fuzz: $exe not built (Qt missing for 'project'?)" >&2; failed+=("$t:missing"); continue; }
  mapfile -t dirs < <(corpora "$t")
  # libFuzzer takes folders only: the fixtures are copied into one.
  fixdir="$LOGS/fixtures/$t"
  rm -rf "$fixdir" && mkdir -p "$fixdir"
  for f in $(fixtures "$t"); do cp "$f" "$fixdir/"; done
  dirs+=("$fixdir")
  log="$LOGS/$t-$(date -u +%Y%m%dT%H%M%SZ).log"
  # 1. Replay: every checked-in input and fixture once; a crash here is a regression.
  if ! "$exe" "${FLAGS[@]}" -runs=0 -max_len=8388608 "${dirs[@]}" >"$log.replay" 2>&1; then
    echo "fuzz: $t fails on a checked-in input, see $log.replay" >&2
    failed+=("$t:replay")
    continue
  fi
  # 2. Fuzz, growing a working corpus (a fresh one in CI), seeded from the folders and fixtures.
  work="$LOGS/corpus/$t"
  [[ $MODE == --ci ]] && work=$(mktemp -d "$LOGS/corpus/ci-$t.XXXX")
  mkdir -p "$work"
  before=$(ls "$LOGS/artifacts" | grep "^$t-" | sort || true)
  start=$(date +%s)
  rc=0
  if [[ $MODE == --ci ]]; then budget=(-seed=1 -runs="$(ci_runs "$t")"); else budget=(-max_total_time="$SECONDS_EACH"); fi
  nice -n 10 "$exe" "${FLAGS[@]}" $(dict "$t") "${budget[@]}" \
    -artifact_prefix="$LOGS/artifacts/$t-" "$work" "${dirs[@]}" >"$log" 2>&1 || rc=$?
  elapsed=$(($(date +%s) - start))
  mapfile -t fresh < <(comm -13 <(echo "$before") <(ls "$LOGS/artifacts" | grep "^$t-" | sort || true) | grep . || true)
  # libFuzzer saves any input that took over 10 s as a slow unit. On a loaded machine a stall does
  # that to any input, so each is replayed: one still slower than 1 s is a finding, the rest are reported.
  findings=0 slow=()
  for a in "${fresh[@]}"; do
    if [[ $a == "$t-slow-unit-"* ]]; then
      ms=$("$exe" "${FLAGS[@]}" "$LOGS/artifacts/$a" 2>&1 | sed -n 's/^Executed .* in \([0-9]*\) ms$/\1/p' | tail -1)
      if [[ -n $ms ]] && ((ms < 1000)); then slow+=("$a replays in $ms ms"); continue; fi
    fi
    findings=$((findings + 1))
  done
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
  printf '%-14s %7s %10s %8s %7s %7s %7s %s\n' "$t" "$elapsed" "${execs:-?}" "${rate:-?}" "${corp:-?}" \
    "${cov:-?}" "${ft:-?}" "$findings" | tee -a "$summary"
  for n in "${slow[@]}"; do echo "  slow under load, not a finding: $n" | tee -a "$summary"; done
  [[ $MODE == --ci ]] && rm -rf "$work"
  # A target's scratch folder (fuzz/fuzz_support.h) outlives a crashed run: remove those of dead ones.
  for d in /dev/shm/mlpify_fuzz_* "${TMPDIR:-/tmp}"/mlpify_fuzz_*; do
    [[ -d $d ]] && ! kill -0 "${d##*_}" 2>/dev/null && rm -rf "$d"
  done
  if ((rc != 0 || findings > 0)); then
    echo "fuzz: $t found a problem (exit $rc), see $log and $LOGS/artifacts/" >&2
    failed+=("$t")
  fi
done

if ((${#failed[@]})); then
  echo "fuzz: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: no findings (${TARGETS[*]})"
