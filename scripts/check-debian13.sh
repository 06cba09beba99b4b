#!/usr/bin/env bash
# Runs the README's test command (scripts/test.sh) on a fresh Debian 13 (trixie), as a new user
# would: makes a trixie root from Debian's own archive with debootstrap, puts a clean clone of
# this repository's HEAD in it, and runs `bash scripts/test.sh` inside with chroot. Needs root,
# debootstrap (installed when missing) and Debian's archive.
#
# Usage: sudo bash scripts/check-debian13.sh [--root DIR] [--keep] [--log FILE]
#   --root DIR   where the trixie root goes (default /var/tmp/mlpify-trixie); made anew unless --keep
#   --keep       reuse DIR when it already holds a trixie root (its packages stay installed)
#   --log FILE   the whole run's output (default DIR.log)
# Prints, and adds to the table in resources/docs/measurements/debian13/runs.md, one line: the commit, the
# date, LibTorch, Qt and GCC versions inside, each phase's minutes, and the result; ctest's lines
# of the run go to last-run-tests.txt beside it.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
ROOT=/var/tmp/mlpify-trixie
KEEP=0
OUT_DIR=$REPO/resources/docs/measurements/debian13
LOG=""
while (($#)); do
  case $1 in
    --root) ROOT=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --log) LOG=$2; shift 2 ;;
    *) echo "check-debian13: unknown option $1" >&2; exit 2 ;;
  esac
done
if [[ $(id -u) -ne 0 ]]; then
  echo "check-debian13: needs root (debootstrap and chroot); run it with sudo" >&2
  exit 2
fi
LOG=${LOG:-$ROOT.log}
mkdir -p "$OUT_DIR" "$(dirname "$LOG")"
exec > >(tee "$LOG") 2>&1

COMMIT=$(git rev-parse --short HEAD)
[[ -z $(git status --porcelain --untracked-files=no) ]] || echo "check-debian13: note: uncommitted changes are not tested (a clean clone of $COMMIT is)"
minutes() { awk -v s="$1" -v e="$2" 'BEGIN { printf "%.1f", (e - s) / 60 }'; }

unmount_all() {
  for m in dev/pts dev sys proc; do
    mountpoint -q "$ROOT/$m" && umount -l "$ROOT/$m" || true
  done
}
trap unmount_all EXIT

T0=$(date +%s)
if ! command -v debootstrap > /dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap
fi
if [[ $KEEP -eq 1 && -x $ROOT/bin/bash ]] && grep -q trixie "$ROOT/etc/os-release" 2> /dev/null; then
  echo "check-debian13: reusing the trixie root in $ROOT"
else
  unmount_all
  rm -rf "$ROOT"
  echo "check-debian13: debootstrap trixie into $ROOT"
  debootstrap --variant=minbase trixie "$ROOT" http://deb.debian.org/debian
fi
T1=$(date +%s)

mount -t proc proc "$ROOT/proc"
mount --rbind /sys "$ROOT/sys"
mount --rbind /dev "$ROOT/dev"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
# The host's site certificates (a proxy's CA, as some networks have) travel like resolv.conf, so
# that apt and npm inside reach what the host reaches; Debian's own trust store is kept.
if compgen -G "/usr/local/share/ca-certificates/*.crt" > /dev/null; then
  mkdir -p "$ROOT/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$ROOT/usr/local/share/ca-certificates/"
  chroot "$ROOT" bash -c 'command -v update-ca-certificates > /dev/null || (apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ca-certificates); update-ca-certificates' > /dev/null
fi
rm -rf "$ROOT/src/mlpify"
mkdir -p "$ROOT/src"
git clone -q --no-hardlinks "$REPO" "$ROOT/src/mlpify"
git -C "$ROOT/src/mlpify" checkout -q "$COMMIT"
# Nothing the host built or installed travels: the clone has tracked files only.

echo "check-debian13: bash scripts/test.sh inside Debian $(cat "$ROOT/etc/debian_version")"
set +e
chroot "$ROOT" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  LANG=C.UTF-8 TERM=dumb NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt bash -c 'cd /src/mlpify && bash scripts/test.sh'
RC=$?
set -e
T2=$(date +%s)

versions=$(chroot "$ROOT" bash -c "dpkg-query -W -f='\${Version}' libtorch-dev; echo -n ' / '; \
  dpkg-query -W -f='\${Version}' qt6-base-dev; echo -n ' / '; gcc -dumpfullversion" 2> /dev/null || echo unknown)
tests=$(grep -Eo '[0-9]+% tests passed, [0-9]+ tests failed out of [0-9]+' "$LOG" | tail -1 || true)
result=$([[ $RC -eq 0 ]] && echo "passed" || echo "FAILED (exit $RC)")
line="| $(date -u +%Y-%m-%d) | $COMMIT | $versions | $(minutes "$T0" "$T1") | $(minutes "$T1" "$T2") | ${tests:-no ctest summary} | $result |"
if [[ ! -f $OUT_DIR/runs.md ]]; then
  cat > "$OUT_DIR/runs.md" << 'EOF'
# scripts/check-debian13.sh runs

The README's test command (`bash scripts/test.sh`: install-deps, build, every test, the fuzz
replay) on a fresh Debian 13 root made by debootstrap, from a clean clone of the commit named.
Minutes on the machine that ran it; ctest's lines of the last run are in `last-run-tests.txt`.

| date | commit | LibTorch / Qt / GCC inside | debootstrap (min) | install, build, test (min) | ctest | result |
|---|---|---|---|---|---|---|
EOF
fi
# The row goes under the table's last row; notes on the runs follow the table.
last=$(grep -n '^| ' "$OUT_DIR/runs.md" | tail -1 | cut -d: -f1)
sed -i "${last}a\\$line" "$OUT_DIR/runs.md"
grep -E '^ *[0-9]+/[0-9]+ Test +#|tests passed|tests failed|The following tests|^check-debian13|fuzz' "$LOG" \
  > "$OUT_DIR/last-run-tests.txt" || true
echo "check-debian13: $line"
exit $RC
