#!/usr/bin/env bash
# Bad input on every command of `mlpify`. Each case must
#   * exit with code 2 (not 0, not 1, not a crash or a hang),
#   * end stderr with one line "mlpify: ..." (the only line containing "mlpify:") that names the
#     offending file, path or option: a user must see what to fix without a stack trace,
#   * leave no new file in its folder (no partial output, no *.tmp.*, no checkpoint of a run that
#     should never have started), and
#   * leave every file that was there byte-identical (sha256 before and after): above all the
#     file the command would have written over, and its input.
# Every case runs in a fresh folder of its own, with paths relative to it, under a `mktemp -d`
# root removed at exit; cases run a few at a time and fail before any long work (--images 8,
# --epochs 1, --train-limit 64). Good inputs are only the embedded model `default`, the preset
# `preset:micro` and Debian's Fashion-MNIST (`fashion-mnist`); everything else is made here.
# Cases needing chmod (unreadable file, read-only folder) are skipped as root, who reads and
# writes through permissions anyway.
# Prints a markdown table, one row per case (also written to $BAD_INPUT_TABLE when set), then the
# details of every failing case; exits 1 if any case fails.
# Usage: bad_input.sh PATH_TO_MLPIFY
set -uo pipefail
export LC_ALL=C # sorting, and a decimal point in $EPOCHREALTIME
BIN=$(realpath "$1")
ROOT=$(mktemp -d)
trap 'kill -9 $(jobs -p) 2>/dev/null; chmod -R u+rwX "$ROOT" 2>/dev/null; rm -rf "$ROOT"' EXIT
FX=$ROOT/fixtures
mkdir -p "$FX" "$ROOT/cases" "$ROOT/logs" "$ROOT/rows" "$ROOT/fails"
TIMEOUT=${BAD_INPUT_TIMEOUT:-30} # seconds per case: a few on an idle machine, ~20 on a loaded one
JOBS=${BAD_INPUT_JOBS:-$(($(nproc) + 1))} # cases at a time; mostly loading LibTorch, on one core
IS_ROOT=0
[ "$(id -u)" -eq 0 ] && IS_ROOT=1
T0=$EPOCHREALTIME
N=0

# ---------------------------------------------------------------------------------------------
# Fixtures, made once: real files from the embedded model, and broken ones.
# ---------------------------------------------------------------------------------------------
fixture() { # ARGS: runs mlpify ARGS in $FX; the checks below stop the script if it failed
  (cd "$FX" && "$BIN" "$@" > /dev/null 2> "$ROOT/logs/fixture.$BASHPID.err") ||
    { echo "cannot make fixtures: mlpify $*"; cat "$ROOT/logs/fixture.$BASHPID.err"; }
}
fixture convert default good.mlpify &
fixture convert default good.pth &
fixture convert default good.safetensors &
fixture analyze default --images 8 --out analysis.json &
fixture select default --ratio 0.5 --method first --images 8 --out selection.json &
# Block 1 MLP-only, block 2 attention-only (a short dilution run, folded).
fixture dilute default --data fashion-mnist --train-limit 64 --eval-limit 64 --epochs 1 --batch 32 --remove 1 \
  --remove-mlp 2 --out removed.mlpify &
wait
for f in good.mlpify good.pth good.safetensors analysis.json selection.json removed.mlpify; do
  [ -s "$FX/$f" ] || { echo "fixture $f was not made"; exit 1; }
done
head -c 1000 "$FX/good.mlpify" > "$FX/trunc.mlpify"                     # cut in the zip's first entry
head -c $(($(stat -c %s "$FX/good.mlpify") / 2)) "$FX/good.mlpify" > "$FX/half.mlpify" # no central directory
head -c 1000 "$FX/good.safetensors" > "$FX/trunc.safetensors"
head -c 65536 /dev/urandom > "$FX/random.mlpify"
: > "$FX/empty.mlpify"
cp "$FX/good.mlpify" "$FX/flipped.mlpify" # one byte of the weights inverted: only the CRC can tell
MID=$(($(stat -c %s "$FX/flipped.mlpify") / 2))
BYTE=$(od -An -tu1 -j $MID -N1 "$FX/flipped.mlpify")
printf "\\$(printf '%03o' $((BYTE ^ 255)))" | dd of="$FX/flipped.mlpify" bs=1 seek=$MID conv=notrunc status=none
# A project as mlpify-gui saves it, with the entropy curves of the analysis above (one figure).
{ printf '{"kind": "mlpify-project", "version": 1, "model": "default", "results": {"entropy_profile": '
  cat "$FX/analysis.json"; printf '}}\n'; } > "$FX/project.mlpify-project"
# An analysis whose model is gone, and JSON that is not an analysis.
sed 's/"model": "[^"]*"/"model": "gone.mlpify"/' "$FX/analysis.json" > "$FX/orphan.json"
grep -q '"gone.mlpify"' "$FX/orphan.json" || { echo "cannot make orphan.json"; exit 1; }
printf '{"kind": "entropy_profile", "blocks": [' > "$FX/malformed.json"
printf '[1, 2, 3]\n' > "$FX/array.json"

# ---------------------------------------------------------------------------------------------
# Running and judging one case
# ---------------------------------------------------------------------------------------------
# What is under the current folder: PREFIX.paths (every path and its type) and PREFIX.sums (the
# sha256 of every file), both sorted.
snapshot() { # PREFIX
  find . -mindepth 1 -printf '%y %p\n' | sort > "$1.paths"
  find . -type f | sort | while IFS= read -r f; do
    sha256sum "$f" 2> /dev/null || echo "unreadable  $f"
  done | sort > "$1.sums"
}

# Compares the snapshots LOG.before and LOG.after: NEW lists the paths that appeared, CHANGED the
# files whose bytes changed or that went (comma-separated, empty if none).
compare_snapshots() { # LOG
  NEW=$(comm -13 "$1.before.paths" "$1.after.paths" | cut -c3- | sed 's|^\./||' | paste -sd, -)
  CHANGED=$(comm -23 "$1.before.sums" "$1.after.sums" | sed 's/^[^ ]*  //; s|^\./||' | paste -sd, -)
}

cell() { # text fit for a table cell: one line, pipes escaped, at most 170 characters
  local s=${1//$'\t'/ }
  s=${s//|/\\|}
  ((${#s} > 170)) && s="${s:0:167}..."
  printf '%s' "$s"
}

# bad CMD LABEL EXPECT PREP ARGS...: one case. CMD names the command in the table, LABEL what is
# wrong. EXPECT is text the error line must contain (the file, path or option at fault;
# alternatives separated by '|'). PREP is shell code run first in the case's folder ("$FX" holds
# the fixtures). ARGS are mlpify's arguments, run in that folder.
# Per case, set before the call: ROOTSKIP=1 skips it as root; FSIZE=K runs mlpify under
# `ulimit -f K` (bash counts 1024-byte blocks), so a write past K KiB fails as on a full disk.
# Commands a build leaves out: figures and front draw with Qt, and a build without the GUI lists
# them as "(needs a build with the GUI)".
HELP=$("$BIN" --help 2>&1)
has_command() { # CMD
  ! grep -qE "^ +$1 .*needs a build with the GUI" <<< "$HELP"
}
bad() {
  local cmd=$1 label=$2
  N=$((N + 1))
  local id
  id=$(printf '%03d' "$N")
  if ! has_command "$cmd"; then
    printf '| %s | %s | - | - | - | skipped (this build has no %s: it needs the GUI) |\n' "$cmd" "$(cell "$label")" \
      "$cmd" > "$ROOT/rows/$id"
    return
  fi
  if [ "${ROOTSKIP:-0}" = 1 ] && [ "$IS_ROOT" = 1 ]; then
    printf '| %s | %s | - | - | - | skipped (root ignores permissions) |\n' "$cmd" "$(cell "$label")" \
      > "$ROOT/rows/$id"
    return
  fi
  run_case "$id" "$@" &
  while (($(jobs -rp | wc -l) >= JOBS)); do wait -n; done
}

run_case() {
  local id=$1 cmd=$2 label=$3 expect=$4 prep=$5
  shift 5
  local dir=$ROOT/cases/$id log=$ROOT/logs/$id
  mkdir -p "$dir" && cd "$dir" || exit 1
  if ! (eval "$prep") > "$log.prep" 2>&1; then
    finish "$id" "$cmd" "$label" - "" "" "FAIL: setup failed: $(head -c 200 "$log.prep")" "$@"
    return
  fi
  snapshot "$log.before"
  # Cases run side by side: one compute thread each (LibTorch's OpenMP threads spin when the
  # cores are oversubscribed, and a 5-second case then takes 30). Cases of --threads keep theirs.
  [ "$1" = --threads ] || set -- --threads 1 "$@"
  local start=$EPOCHREALTIME code
  # stderr goes through a pipe, so that a file size limit cannot cut the error message short.
  {
    (
      [ -n "${FSIZE:-}" ] && ulimit -f "$FSIZE"
      exec timeout -k 5 "$TIMEOUT" "$BIN" "$@"
    ) 2>&1 >&3 3>&- | cat > "$log.err"
  } 3> "$log.out" < /dev/null
  code=${PIPESTATUS[0]}
  local secs
  secs=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
  snapshot "$log.after"

  # stderr: progress lines end in \r and are overwritten; keep what is after the last \r.
  local clean line others tags=()
  clean=$(sed 's/.*\r//' "$log.err" | grep -v '^[[:space:]]*$')
  line=$(printf '%s\n' "$clean" | tail -n 1)
  others=$(($(printf '%s\n' "$clean" | grep -c .) - 1))
  case $code in
    2) ;;
    124 | 137) tags+=("no error within ${TIMEOUT} s (exit $code)") ;;
    *) tags+=("exit $code") ;;
  esac
  [[ $line == "mlpify: "* ]] || tags+=("last stderr line is not 'mlpify: ...'")
  local n
  n=$(grep -c 'mlpify:' <<< "$clean")
  ((n > 1)) && tags+=("$n lines contain 'mlpify:'")
  local named=0 alt
  IFS='|' read -ra alts <<< "$expect"
  for alt in "${alts[@]}"; do [[ $line == *"$alt"* ]] && named=1; done
  ((named)) || tags+=("does not name '$expect'")

  # Files: what appeared, what changed or went.
  local leftovers=""
  compare_snapshots "$log"
  [ -n "$NEW" ] && leftovers="new: $NEW" && tags+=("left files")
  [ -n "$CHANGED" ] && leftovers="${leftovers:+$leftovers; }changed or gone: $CHANGED" && tags+=("changed files")
  local result="ok ($secs s)"
  ((${#tags[@]})) && result="FAIL: $(IFS=';'; echo "${tags[*]}" | sed 's/;/; /g') ($secs s)"
  ((others > 0)) && line="$line (+$others other lines)"
  finish "$id" "$cmd" "$label" "$code" "$line" "${leftovers:-none}" "$result" "$@"
}

finish() { # id cmd label exit line leftovers result args...: the row, and details if it failed
  local id=$1 cmd=$2 label=$3 code=$4 line=$5 left=$6 result=$7
  shift 7
  printf '| %s | %s | %s | %s | %s | %s |\n' "$cmd" "$(cell "$label")" "$code" "$(cell "$line")" \
    "$(cell "$left")" "$(cell "$result")" > "$ROOT/rows/$id"
  [[ $result == FAIL* ]] || return 0
  {
    echo "### case $id: $cmd: $label"
    echo "result: $result"
    echo "folder: $(sed 's/^/  /' "$ROOT/logs/$id.prep" 2> /dev/null)"
    printf 'command: mlpify'
    printf ' %q' "$@"
    echo
    echo "exit: $code; leftovers: $left"
    echo "stderr:"
    sed 's/^/    /' "$ROOT/logs/$id.err" 2> /dev/null | head -n 20
    echo "stdout (last 5 lines):"
    tail -n 5 "$ROOT/logs/$id.out" 2> /dev/null | sed 's/^/    /'
  } > "$ROOT/fails/$id"
}

# ---------------------------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------------------------
# Short runs: if a bad option were accepted, the command would still finish in seconds.
SHORT=(--data fashion-mnist --train-limit 64 --eval-limit 64)
TRAIN=("${SHORT[@]}" --epochs 1 --batch 32)
DILUTE=("${TRAIN[@]}" --method first)

# 0. Killed while writing: `convert` of a 330 MiB model over an existing file, killed (SIGKILL, as
#    a crash or the OOM killer would) or interrupted (SIGINT, Ctrl-C) once the file being written
#    holds 8 MiB. The old file must stay byte-identical and nothing be left behind (an unnamed
#    O_TMPFILE vanishes with the process; a named temp file would stay). After Ctrl-C the command
#    may instead finish, if it then leaves a complete file. The file being written is any open
#    file of the process over 8 MiB (convert reads nothing that large). Best effort: if the write
#    ends before that is seen, the case is not counted. These run first, beside the others: the
#    busier the machine, the slower the write and the surer the hit.
kill_case() { # ID SIGNAL
  local id=$1 sig=$2
  local dir=$ROOT/cases/$id log=$ROOT/logs/$id label="SIG$sig while writing 330 MiB over an old file"
  mkdir -p "$dir" && cd "$dir" || exit 1
  cp "$FX/good.mlpify" big.mlpify
  : > "$log.prep"
  snapshot "$log.before"
  local start=$EPOCHREALTIME
  "$BIN" --threads 1 convert preset:deit_base_patch16_224 big.mlpify > "$log.out" 2> "$log.err" &
  local pid=$! hit=0
  for _ in $(seq 12000); do # at most about 2 minutes
    kill -0 $pid 2> /dev/null || break
    [ -n "$(find -L /proc/$pid/fd -mindepth 1 -maxdepth 1 -type f -size +8M 2> /dev/null)" ] && hit=1 && break
    sleep 0.01
  done
  ((hit)) && kill -"$sig" $pid
  local code=0
  for _ in $(seq 300); do kill -0 $pid 2> /dev/null || break; sleep 0.1; done # 30 s to stop
  kill -0 $pid 2> /dev/null && { kill -9 $pid; code=timeout; }
  wait $pid 2> /dev/null
  local status=$?
  [ "$code" = timeout ] || code=$status
  local secs
  secs=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
  snapshot "$log.after"
  compare_snapshots "$log"
  local left="none" result tags=()
  [ -n "$NEW" ] && left="new: $NEW" && tags+=("left files")
  if ((!hit)); then
    result="not counted: the write ended before 8 MiB were seen (exit $code)"
  else
    [ "$code" = timeout ] && tags+=("still running 30 s after SIG$sig")
    if [ "$sig" = INT ] && [ "$code" = 0 ]; then # it finished anyway: the new file must be whole
      "$BIN" info big.mlpify > /dev/null 2>&1 || tags+=("finished after Ctrl-C but big.mlpify does not load")
      left="$left; big.mlpify replaced: the command finished"
    elif [ -n "$CHANGED" ]; then
      left="$left; changed: $CHANGED" && tags+=("the old file changed")
    fi
    result="ok ($secs s)"
    ((${#tags[@]})) && result="FAIL: $(IFS=';'; echo "${tags[*]}" | sed 's/;/; /g') ($secs s)"
  fi
  local line
  line=$(sed 's/.*\r//' "$log.err" | grep -v '^[[:space:]]*$' | tail -n 1)
  finish "$id" convert "$label" "$code" "$line" "$left" "$result" --threads 1 convert preset:deit_base_patch16_224 \
    big.mlpify
}
# A job beside the JOBS below; its stderr is bash's "Killed" notice (mlpify's goes to the logs).
(kill_case 900 KILL; kill_case 901 INT) 2> /dev/null &

# 1. Every command that reads a model, given a model that is missing, a folder, unreadable,
#    empty, random bytes or a real model cut short.
model_cmd() { # CMD IN: the arguments that make CMD read the model IN, in ARGS
  local in=$2
  case $1 in
    info) ARGS=(info "$in") ;;
    eval) ARGS=(eval "$in" --data fashion-mnist --limit 8) ;;
    convert) ARGS=(convert "$in" out.mlpify) ;;
    train) ARGS=(train --model "$in" "${TRAIN[@]}" --out out.mlpify) ;;
    dilute) ARGS=(dilute "$in" "${DILUTE[@]}" --ratio 0.5 --out out.mlpify) ;;
    fold) ARGS=(fold "$in" out.mlpify) ;;
    export) ARGS=(export "$in" out.pth) ;;
    bench) ARGS=(bench "$in" --batch 1 --repeats 1 --warmup 0) ;;
    analyze) ARGS=(analyze "$in" --images 8 --out out.json) ;;
    select) ARGS=(select "$in" --ratio 0.5 --method first --images 8 --out out.json) ;;
    spectrum) ARGS=(spectrum "$in" --images 8 --out out.json) ;;
    what-if) ARGS=(what-if "$in" --remove 2 --images 8 --out out.json) ;;
    criteria) ARGS=(criteria "$in" --methods first --images 8 --test-limit 8 --out out.json) ;;
  esac
}
for c in info eval convert train dilute fold export bench analyze select spectrum what-if criteria; do
  model_cmd $c missing.mlpify && bad $c "model: missing file" missing.mlpify "" "${ARGS[@]}"
  model_cmd $c adir.mlpify && bad $c "model: a folder" adir.mlpify "mkdir adir.mlpify" "${ARGS[@]}"
  model_cmd $c locked.mlpify && ROOTSKIP=1 bad $c "model: unreadable (chmod 000)" locked.mlpify \
    'cp "$FX/good.mlpify" locked.mlpify && chmod 000 locked.mlpify' "${ARGS[@]}"
  model_cmd $c empty.mlpify && bad $c "model: empty file" empty.mlpify ': > empty.mlpify' "${ARGS[@]}"
  model_cmd $c random.mlpify && bad $c "model: 64 KiB of random bytes" random.mlpify \
    'cp "$FX/random.mlpify" .' "${ARGS[@]}"
  model_cmd $c trunc.mlpify && bad $c "model: real model cut at 1000 bytes" trunc.mlpify \
    'cp "$FX/trunc.mlpify" .' "${ARGS[@]}"
done
bad info "model: real model cut in half" half.mlpify 'cp "$FX/half.mlpify" .' info half.mlpify
bad info "model: one byte of the weights flipped" flipped.mlpify 'cp "$FX/flipped.mlpify" .' info flipped.mlpify
HF=$(realpath "$(dirname "$0")/../fixtures/hf") # Hugging Face folders (tests/fixtures/make_hf_fixtures.py)
bad info "HF folder: unsupported architecture (Swin)" m/config.json "cp -r '$HF/vit' m && sed -i \
  's/ViTForImageClassification/SwinForImageClassification/' m/config.json" info m
bad info "HF folder: DINOv2 with the SwiGLU MLP" m/config.json "cp -r '$HF/dinov2' m && sed -i \
  's/\"use_swiglu_ffn\": false/\"use_swiglu_ffn\": true/' m/config.json" info m
bad dilute "--data: 100 classes for a 1000-class head, no --new-head" "--new-head" \
  "mkdir c && head -c 12296 /dev/zero > c/train.bin && cp c/train.bin c/test.bin" \
  dilute preset:deit_tiny_patch16_224 --data cifar100:c --remove 1 --epochs 1 --out out.mlpify
bad dilute "--new-head with --distill" "--distill" "" dilute default --data fashion-mnist --remove 1 --new-head \
  --distill --out out.mlpify
bad train "--input-size: not a multiple of the patch" "--input-size 30" "" train --data fashion-mnist --input-size 30 \
  --out out.mlpify
bad bench "--onnx with --train" "--train" "" bench default --onnx --train --batch 1 --repeats 1 --warmup 0
bad info "HF folder: a shard missing" pytorch_model-00002-of-00002.bin "cp -r '$HF/vit-sharded' m && \
  rm m/pytorch_model-00002-of-00002.bin" info m
bad info "HF folder: config.json not JSON" m/config.json "cp -r '$HF/vit' m && echo '{' > m/config.json" info m
bad convert "OUT/: an existing folder" out/ "mkdir out && echo keep > out/keep.txt" convert default out/
bad info "model: .safetensors cut at 1000 bytes" trunc.safetensors 'cp "$FX/trunc.safetensors" .' \
  info trunc.safetensors
bad bench "--vs: missing file" missing.mlpify "" bench default --vs missing.mlpify --batch 1 --repeats 1 --warmup 0
bad spectrum "--vs: missing file" missing.mlpify "" spectrum default --vs missing.mlpify --images 8
bad train "--resume: missing checkpoint" missing.ckpt "" train "${TRAIN[@]}" --out out.mlpify --resume \
  --checkpoint missing.ckpt

# 2. Outputs: in a folder that does not exist, in a read-only folder, an existing folder, and the
#    input itself (which must stay byte-identical).
out_cmd() { # CMD OPTION PATH: the arguments that make CMD write PATH with OPTION, in ARGS
  local out=$3
  case "$1 $2" in
    "convert OUT") ARGS=(convert default "$out") ;;
    "fold OUT") ARGS=(fold default "$out") ;;
    "export OUT") ARGS=(export default "$out") ;;
    "train --out") ARGS=(train "${TRAIN[@]}" --out "$out") ;;
    "train --checkpoint") ARGS=(train "${TRAIN[@]}" --out out.mlpify --checkpoint "$out") ;;
    "train --json-log") ARGS=(train "${TRAIN[@]}" --out out.mlpify --json-log "$out") ;;
    "dilute --out") ARGS=(dilute default "${DILUTE[@]}" --ratio 0.5 --out "$out") ;;
    "eval --logits") ARGS=(eval default --data fashion-mnist --limit 64 --logits "$out") ;;
    "analyze --out") ARGS=(analyze default --images 8 --out "$out") ;;
    "analyze --csv") ARGS=(analyze default --images 8 --csv "$out") ;;
    "select --out") ARGS=(select default --ratio 0.5 --method first --images 8 --out "$out") ;;
    "select --csv") ARGS=(select default --ratio 0.5 --method first --images 8 --csv "$out") ;;
    "spectrum --out") ARGS=(spectrum default --images 8 --out "$out") ;;
    "spectrum --csv") ARGS=(spectrum default --images 8 --csv "$out") ;;
    "what-if --out") ARGS=(what-if default --remove 2 --images 8 --out "$out") ;;
    "criteria --out") ARGS=(criteria default --methods first --images 8 --test-limit 8 --out "$out") ;;
    "criteria --csv") ARGS=(criteria default --methods first --images 8 --test-limit 8 --csv "$out") ;;
  esac
}
for o in "convert OUT mlpify" "convert OUT onnx" "fold OUT mlpify" "export OUT pth" "train --out mlpify" "train --checkpoint ckpt" \
  "train --json-log jsonl" "dilute --out mlpify" "eval --logits csv" "analyze --out json" "analyze --csv csv" \
  "select --out json" "select --csv csv" "spectrum --out json" "spectrum --csv csv" "what-if --out json" \
  "criteria --out json" "criteria --csv csv"; do
  read -r c opt ext <<< "$o"
  out_cmd $c $opt nosuch/out.$ext && bad $c "$opt: folder does not exist" nosuch "" "${ARGS[@]}"
  out_cmd $c $opt ro/out.$ext && ROOTSKIP=1 bad $c "$opt: in a read-only folder (chmod 555)" ro \
    'mkdir ro && chmod 555 ro' "${ARGS[@]}"
  out_cmd $c $opt adir.$ext && bad $c "$opt: an existing folder" adir.$ext \
    "mkdir adir.$ext && echo keep > adir.$ext/keep.txt" "${ARGS[@]}"
done
bad convert "output = input" a.mlpify 'cp "$FX/good.mlpify" a.mlpify' convert a.mlpify a.mlpify
bad convert "output = input, spelled ./a.mlpify" a.mlpify 'cp "$FX/good.mlpify" a.mlpify' convert a.mlpify ./a.mlpify
bad fold "output = input" x.mlpify 'cp "$FX/good.mlpify" x.mlpify' fold x.mlpify x.mlpify
bad export "output = input" a.pth 'cp "$FX/good.pth" a.pth' export a.pth a.pth
bad export "OUT.json (the sidecar) is a folder" out.pth.json 'mkdir out.pth.json' export default out.pth
bad train "--out = --model" a.mlpify 'cp "$FX/good.mlpify" a.mlpify' train --model a.mlpify "${TRAIN[@]}" \
  --out a.mlpify
bad train "--checkpoint = --out" x.mlpify "" train "${TRAIN[@]}" --out x.mlpify --checkpoint x.mlpify
bad dilute "--out = MODEL" a.mlpify 'cp "$FX/good.mlpify" a.mlpify' dilute a.mlpify "${DILUTE[@]}" --ratio 0.5 \
  --out a.mlpify
bad eval "--logits = MODEL" a.mlpify 'cp "$FX/good.mlpify" a.mlpify' eval a.mlpify --data fashion-mnist \
  --limit 8 --logits a.mlpify
bad analyze "--out = MODEL" a.mlpify 'cp "$FX/good.mlpify" a.mlpify' analyze a.mlpify --images 8 --out a.mlpify
bad analyze "--csv = --out" r.json "" analyze default --images 8 --out r.json --csv r.json
bad select "--out = MODEL" a.mlpify 'cp "$FX/good.mlpify" a.mlpify' select a.mlpify --ratio 0.5 --method first \
  --images 8 --out a.mlpify
bad select "--out = INPUT analysis.json" analysis.json 'cp "$FX/analysis.json" .' select analysis.json \
  --ratio 0.5 --method first --out analysis.json
bad spectrum "--csv = MODEL" a.mlpify 'cp "$FX/good.mlpify" a.mlpify' spectrum a.mlpify --images 8 --csv a.mlpify
bad spectrum "--out = --vs" a.mlpify 'cp "$FX/good.mlpify" a.mlpify' spectrum default --vs a.mlpify --images 8 \
  --out a.mlpify

# 3. A full disk, made with a file size limit: the write fails part-way. The file it would have
#    replaced must stay as it was and no partial or temp file may stay behind.
OLD='cp "$FX/trunc.mlpify" '
FSIZE=1 bad convert "full disk (ulimit -f 1), .mlpify over an old file" out.mlpify "$OLD out.mlpify" \
  convert default out.mlpify
FSIZE=1 bad convert "full disk, .pth over an old file" out.pth "$OLD out.pth" convert default out.pth
FSIZE=1 bad convert "full disk, .safetensors over an old file" out.safetensors "$OLD out.safetensors" \
  convert default out.safetensors
FSIZE=1 bad fold "full disk, over an old file" out.mlpify "$OLD out.mlpify" fold default out.mlpify
FSIZE=1 bad export "full disk, over an old file" out.pth "$OLD out.pth" export default out.pth
FSIZE=1 bad train "--out: full disk, over an old file" out.mlpify "$OLD out.mlpify" train "${TRAIN[@]}" \
  --out out.mlpify
FSIZE=1 bad dilute "--out: full disk, over an old file" out.mlpify "$OLD out.mlpify" dilute default \
  "${DILUTE[@]}" --ratio 0.5 --no-fold --out out.mlpify
FSIZE=1 bad eval "--logits: full disk, over an old file" out.csv "$OLD out.csv" eval default \
  --data fashion-mnist --limit 64 --logits out.csv
FSIZE=1 bad analyze "--out: full disk, over an old file" out.json "$OLD out.json" analyze default --images 8 \
  --out out.json
# first's selection JSON is under 1 KiB: no write at all (stdout is lost too, stderr is a pipe)
FSIZE=0 bad select "--out: full disk (ulimit -f 0), over an old file" out.json "$OLD out.json" select default \
  --ratio 0.5 --method first --images 8 --out out.json
FSIZE=1 bad spectrum "--csv: full disk, over an old file" out.csv "$OLD out.csv" spectrum default --images 8 \
  --csv out.csv
FSIZE=1 bad figures "--out: full disk, over old figures" figs \
  'cp "$FX/project.mlpify-project" p.mlpify-project && mkdir figs && cp "$FX/analysis.json" figs/entropy.svg' \
  figures p.mlpify-project --out figs

# 4. Numbers: zero, negative, fractional, absurd and not-a-number values (NaN passes a range check
#    written as "v < min || v > max"), and words no option knows. Options that share a validator
#    (--images, --batch of analyze, select and spectrum) get the full set once.
num() { # CMD OPTION VALUES -- ARGS...: one case per value, ARGS followed by OPTION VALUE
  local cmd=$1 opt=$2 values=$3
  shift 4
  for v in $values; do bad "$cmd" "$opt $v" "$opt" "" "$@" "$opt" "$v"; done
}
num train --epochs "0 -1 1.5 1e30" -- train "${SHORT[@]}" --out out.mlpify
num train --batch "0 -1 1e30" -- train "${SHORT[@]}" --epochs 1 --out out.mlpify
num train --lr "0 -1 1e30 nan" -- train "${TRAIN[@]}" --out out.mlpify
num train --checkpoint-every "-1 1e30" -- train "${TRAIN[@]}" --out out.mlpify
num train --train-limit "-1 1e30" -- train --data fashion-mnist --epochs 1 --eval-limit 64 --out out.mlpify
num train --warmup-epochs "-1 nan" -- train "${TRAIN[@]}" --out out.mlpify
num eval --limit "-1 1e30" -- eval default --data fashion-mnist
num eval --batch "0" -- eval default --data fashion-mnist --limit 8
num dilute --ratio "1.5 nan" -- dilute default "${DILUTE[@]}" --out out.mlpify
num dilute --select-images "0" -- dilute default "${TRAIN[@]}" --method nose --ratio 0.5 --out out.mlpify
num dilute --schedule "bogus" -- dilute default "${DILUTE[@]}" --ratio 0.5 --out out.mlpify
num dilute --method "bogus" -- dilute default "${TRAIN[@]}" --ratio 0.5 --out out.mlpify
num dilute --remove "99 x" -- dilute default "${DILUTE[@]}" --out out.mlpify
num dilute --remove-mlp "12 x" -- dilute default "${TRAIN[@]}" --out out.mlpify
bad dilute "--remove-mlp: an MLP already removed" "--remove-mlp 2" 'cp "$FX/removed.mlpify" .' dilute removed.mlpify \
  "${TRAIN[@]}" --remove-mlp 2 --out out.mlpify
num bench --batch "0" -- bench default --repeats 1 --warmup 0
num bench --repeats "0 -1 1e30" -- bench default --batch 1 --warmup 0
num bench --warmup "-1 1e30" -- bench default --batch 1 --repeats 1
num bench --remove "99 0,x" -- bench default --batch 1 --repeats 1 --warmup 0
# Token merging: a negative r, a schedule longer than the model (12 blocks), not a number, a
# start outside the model, a start with a list, an unknown shape.
num eval --tome "-1 1,1,1,1,1,1,1,1,1,1,1,1,1 x 2,-3" -- eval default --data fashion-mnist --limit 8
num bench --tome "-1 1,1,1,1,1,1,1,1,1,1,1,1,1 x" -- bench default --batch 1 --repeats 1 --warmup 0
num eval --tome-start "12 -1" -- eval default --data fashion-mnist --limit 8 --tome 2
num eval --tome-schedule "bogus" -- eval default --data fashion-mnist --limit 8 --tome 2
bad eval "--tome list with --tome-start" --tome "" eval default --data fashion-mnist --limit 8 --tome 1,2 \
  --tome-start 1
num analyze --images "0 -1 1e30" -- analyze default
num analyze --folds "0 -1 1e30" -- analyze default --images 8
num analyze --tokens "bogus" -- analyze default --images 8
num analyze --split "bogus" -- analyze default --images 8
num select --ratio "-1 1.5 1e30 nan" -- select default --method first --images 8
num select --count "-1 13 1000000" -- select default --method first --images 8
num select --images "0" -- select default --ratio 0.5 --method nose
num select --bootstrap "-1 1e30 x" -- select default --ratio 0.5 --method first --images 8
num select --test-limit "-1 1e30" -- select default --ratio 0.5 --method first --images 8 --evaluate
num select --method "bogus" -- select default --ratio 0.5 --images 8
num select --units "bogus" -- select default --count 2 --images 8
num select --budget-params "0 -1 x" -- select default --units mlp --images 8
num select --budget-flops "0 -1 nan" -- select default --units block --images 8
bad select "--budget-params below the cheapest unit" "--budget-params 10" "" select default --units mlp \
  --budget-params 10 --images 8
bad select "--units with --curve" "--curve" "" select default --units mixed --count 2 --images 8 --curve
bad select "--count with --budget-params" "--budget-params" "" select default --units mixed --count 2 \
  --budget-params 100000 --images 8
bad select "--units with an attention-only method" "--method entropy" "" select default --units mlp --count 2 \
  --method entropy --images 8
num what-if --remove "12 -1 x 2,,3 m12 q4 b-1" -- what-if default --images 8
num what-if --images "0 -1" -- what-if default --remove 2
num criteria --ratio "-1 1.5 nan" -- criteria default --methods first --images 8 --test-limit 8
num criteria --methods "bogus first,bogus" -- criteria default --images 8 --test-limit 8
num criteria --stability "-1 1e30" -- criteria default --methods first --images 8 --test-limit 8
num criteria --te-resamples "-1 x" -- criteria default --methods first --images 8 --test-limit 8
num criteria --test-limit "-1" -- criteria default --methods first --images 8
bad criteria "--diluted: missing model" missing.mlpify "" criteria default --methods first --images 8 \
  --test-limit 8 --diluted missing.mlpify
bad criteria "--diluted: a JSON that is no eval output" other.json "echo '{\"kind\": \"x\"}' > other.json" \
  criteria default --methods first --images 8 --test-limit 8 --diluted other.json
bad criteria "--diluted: a model without a test top-1" preset:micro "" criteria default --methods first \
  --images 8 --test-limit 8 --diluted preset:micro
num criteria --pools "bogus mlp,bogus" -- criteria default --budget-params 100000 --images 8 --test-limit 8
num criteria --budget-params "0 -1 x" -- criteria default --pools all --images 8 --test-limit 8
num criteria --budget-flops "0 nan" -- criteria default --pools all --images 8 --test-limit 8
bad criteria "--pools without a budget" "--pools" "" criteria default --pools all --images 8 --test-limit 8
bad criteria "--pools with --ratio" "--ratio" "" criteria default --pools all --ratio 0.5 --budget-params 100000 \
  --images 8 --test-limit 8
bad criteria "--pools with an attention-only method" "--methods entropy" "" criteria default --pools all \
  --methods entropy --budget-params 100000 --images 8 --test-limit 8
bad criteria "--budget-params without --pools" "--budget-params" "" criteria default --budget-params 100000 \
  --images 8 --test-limit 8
num spectrum --images "0" -- spectrum default
num spectrum --source "bogus" -- spectrum default --images 8
# attention: a block, head, query or patch the model does not have, an MLP-only block, an image that
# cannot feed the model, options that do not go together, an unknown output format.
bad attention "--block beyond the model" "block 12" "" attention default --block 12 --out map.json
bad attention "--head beyond the model" "head 3" "" attention default --block 0 --head 3 --out map.json
bad attention "--query beyond the tokens" "query token 50" "" attention default --block 0 --query 50 --out map.json
bad attention "--patch outside the grid" "--patch 7,0" "" attention default --block 0 --patch 7,0 --out map.json
bad attention "an MLP-only block" "block 1" 'cp "$FX/removed.mlpify" .' attention removed.mlpify --block 1 \
  --out map.json
bad attention "--image beyond the split" "fashion-mnist" "" attention default --block 0 --image 10000 --out map.json
bad attention "--image-file: not an image" not.png "head -c 4096 /dev/urandom > not.png" attention default \
  --block 0 --image-file not.png --out map.png
bad attention "--image-file: a PNG cut after its signature" cut.png \
  "printf '\\x89PNG\\r\\n\\x1a\\n' > cut.png" attention preset:deit_tiny_patch16_224 --block 0 --image-file cut.png \
  --out map.png
bad attention "3x224x224 model on 1x28x28 data" "fashion-mnist" "" attention preset:deit_tiny_patch16_224 --block 0 \
  --out map.json
bad attention "--head with --rollout" "--rollout" "" attention default --block 0 --head 1 --rollout --out map.json
bad attention "--distance with --block" "--block" "" attention default --distance --block 0 --json out.json
bad attention "a map without --out" "--out" "" attention default --block 0
bad attention "--out of an unknown format" map.txt "" attention default --block 0 --out map.txt
num attention --images "0" -- attention default --distance --json out.json
num attention --mark "12 x" -- attention default --distance --images 8 --json out.json
num figures --dpi "0 1e30" -- figures "$FX/project.mlpify-project" --out figs
num figures --size "0x0 abc" -- figures "$FX/project.mlpify-project" --out figs
for v in -1 1000000; do bad global "--threads $v" --threads "" --threads $v info default; done
bad global "--device bogus" --device "" --device bogus info default

# 5. Data specs that name nothing usable, and a model that does not fit the data: every spec for
#    each way data is loaded (eval: test split; train: both; analyze: a calibration subset), an
#    unknown kind for the others.
for c in eval train dilute analyze select spectrum; do
  specs="nosuch:x"
  [[ $c == eval || $c == train || $c == analyze ]] && specs="nosuch:x idx:/nonexistent folder:/etc/passwd"
  for spec in $specs; do
    case $c in
      eval) ARGS=(eval default --data "$spec" --limit 8) ;;
      train) ARGS=(train --data "$spec" --epochs 1 --train-limit 64 --eval-limit 64 --out out.mlpify) ;;
      dilute) ARGS=(dilute default --data "$spec" --epochs 1 --train-limit 64 --eval-limit 64 --method nose \
        --ratio 0.5 --out out.mlpify) ;;
      *) ARGS=($c default --data "$spec" --images 8) ;;
    esac
    [ $c = select ] && ARGS+=(--ratio 0.5)
    expect=${spec#*:} # the path, or the whole spec when its kind is unknown
    [[ $spec == nosuch:* ]] && expect=$spec
    bad $c "--data $spec" "$expect" "" "${ARGS[@]}"
  done
  case $c in
    select | spectrum) continue ;; # as analyze
    eval) ARGS=(eval preset:deit_tiny_patch16_224 --data fashion-mnist --limit 8) ;;
    train) ARGS=(train --model preset:deit_tiny_patch16_224 "${TRAIN[@]}" --out out.mlpify) ;;
    dilute) ARGS=(dilute preset:deit_tiny_patch16_224 "${TRAIN[@]}" --method nose --ratio 0.5 --out out.mlpify) ;;
    *) ARGS=($c preset:deit_tiny_patch16_224 --data fashion-mnist --images 8) ;;
  esac
  bad $c "3x224x224 model on 1x28x28 data" "fashion-mnist|deit_tiny" "" "${ARGS[@]}"
done

# 6. select's input JSON: malformed, of the wrong kind, empty, naming a model that is gone.
SEL=(--ratio 0.5 --method first --out out.json)
bad select "INPUT: malformed JSON" malformed.json 'cp "$FX/malformed.json" .' select malformed.json "${SEL[@]}"
bad select "INPUT: a JSON array" array.json 'cp "$FX/array.json" .' select array.json "${SEL[@]}"
bad select "INPUT: a selection, not an analysis" selection.json 'cp "$FX/selection.json" .' select selection.json \
  "${SEL[@]}"
bad select "INPUT: empty .json" empty.json ': > empty.json' select empty.json "${SEL[@]}"
bad select "INPUT: .json that is a folder" adir.json 'mkdir adir.json' select adir.json "${SEL[@]}"
bad select "INPUT: analysis of a model that is gone" gone.mlpify 'cp "$FX/orphan.json" .' select orphan.json \
  "${SEL[@]}"

# 7. figures: the project missing, malformed, of the wrong kind; the output folder wrong.
FIG='cp "$FX/project.mlpify-project" p.mlpify-project'
bad figures "PROJECT: missing" missing.mlpify-project "" figures missing.mlpify-project --out figs
bad figures "PROJECT: malformed JSON" bad.mlpify-project 'cp "$FX/malformed.json" bad.mlpify-project' \
  figures bad.mlpify-project --out figs
bad figures "PROJECT: a selection JSON" sel.mlpify-project 'cp "$FX/selection.json" sel.mlpify-project' \
  figures sel.mlpify-project --out figs
bad figures "PROJECT: a model file" good.mlpify 'cp "$FX/good.mlpify" .' figures good.mlpify --out figs
bad figures "PROJECT: a folder" adir.mlpify-project 'mkdir adir.mlpify-project' figures adir.mlpify-project --out figs
bad figures "PROJECT: empty" e.mlpify-project ': > e.mlpify-project' figures e.mlpify-project --out figs
bad figures "--out: its parent folder does not exist" nosuch "$FIG" figures p.mlpify-project --out nosuch/figs
bad figures "--out: an existing file" afile "$FIG && echo keep > afile" figures p.mlpify-project --out afile
ROOTSKIP=1 bad figures "--out: inside a read-only folder" ro "$FIG && mkdir ro && chmod 555 ro" \
  figures p.mlpify-project --out ro/figs
bad figures "--out = PROJECT" p.mlpify-project "$FIG" figures p.mlpify-project --out p.mlpify-project
# reproduce: the bundle missing, its record missing, malformed or of another kind, its project gone.
bad reproduce "BUNDLE: missing" nosuch "" reproduce nosuch
bad reproduce "BUNDLE: a folder without record.json" record.json 'mkdir b' reproduce b
bad reproduce "record.json: malformed" record.json 'mkdir b && cp "$FX/malformed.json" b/record.json' reproduce b
bad reproduce "record.json: a project" record.json 'mkdir b && cp "$FX/project.mlpify-project" b/record.json' \
  reproduce b/record.json
bad reproduce "record.json without project-data.json" project-data.json \
  "mkdir b && echo '{\"kind\": \"mlpify-record\"}' > b/record.json" reproduce b
num reproduce --tolerance "-1 nan 2" -- reproduce b
# front: the project missing or not a project; its model gone (the project is left as it was).
bad front "PROJECT: missing" missing.mlpify-project "" front missing.mlpify-project --limit 8 --repeats 1
bad front "PROJECT: a model file" good.mlpify 'cp "$FX/good.mlpify" .' front good.mlpify --limit 8 --repeats 1
bad front "PROJECT: its model is gone" gone.mlpify \
  "$FIG"' && sed -i "s|\"model\": *\"[^\"]*\"|\"model\": \"gone.mlpify\"|" p.mlpify-project' \
  front p.mlpify-project --limit 8 --repeats 1
num front --tome-max "-1 1e30" -- front "$FX/project.mlpify-project" --limit 8 --repeats 1
wait

# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------
TABLE=$ROOT/table.md
{
  echo "| command | case | exit | stderr line | leftovers | result |"
  echo "|---|---|---|---|---|---|"
  cat "$ROOT"/rows/*
} > "$TABLE"
N=$(ls "$ROOT/rows" | wc -l)
PASSED=$(grep -c '| ok (' "$TABLE")
FAILED=$(grep -c '| FAIL' "$TABLE")
SKIPPED=$(grep -c '| skipped\|| not counted' "$TABLE")
SUMMARY=$(printf '%d cases: %d passed, %d failed, %d skipped, in %.0f s' "$N" "$PASSED" "$FAILED" "$SKIPPED" \
  "$(awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }')")
echo >> "$TABLE"
echo "$SUMMARY" >> "$TABLE"
cat "$TABLE"
[ -n "${BAD_INPUT_TABLE:-}" ] && cp "$TABLE" "$BAD_INPUT_TABLE"
if ((FAILED > 0)); then
  echo
  echo "## Failing cases"
  for f in "$ROOT"/fails/*; do
    echo
    cat "$f"
  done
  exit 1
fi
