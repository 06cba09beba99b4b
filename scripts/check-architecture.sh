#!/usr/bin/env bash
# Checks that the documents name what the tree holds:
#  * resources/docs/architecture.md names every source unit under core/, widgets/ and app/ (a unit
#    is a path without its extension: core/analysis/selection for selection.h and selection.cpp);
#  * README.md's "Layout" section names every folder of core/ and app/, and widgets/, tests/,
#    fuzz/, scripts/ and resources/.
#
# A unit counts as named when architecture.md holds, in backticks, its file name (`selection.h`,
# `selection.cpp`, `selection`) or a path ending in it (`analysis/selection.h`,
# `core/analysis/selection.h`). A file name that occurs in more than one folder (main) must be
# given with its folder (`cli/main.cpp`, `app/gui/main.cpp`).
#
# Tracked and untracked (not ignored) files count, so a unit added but not yet committed is
# checked too (outside a git work tree, every file counts). Needs no build.
set -euo pipefail
cd "$(dirname "$0")/.."

doc=resources/docs/architecture.md
readme=README.md
missing=0
required=()

[[ -f $doc ]] || { echo "check-architecture: $doc is missing"; exit 1; }
[[ -f $readme ]] || { echo "check-architecture: $readme is missing"; exit 1; }

# The files under the given folders: tracked and untracked (not ignored) ones in a git work tree,
# every file outside one (a source archive). Deleted files do not count.
source_files() {
    if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        git ls-files --cached --others --exclude-standard -- "$@"
    else
        find "$@" -type f 2>/dev/null
    fi | while IFS= read -r f; do [[ -e $f ]] && echo "$f"; done
}

# Every unit: the path with .h.in, .h or .cpp taken off, once each, sorted.
mapfile -t units < <(source_files core widgets app |
                     grep -E '\.(h|cpp|h\.in)$' |
                     sed -E 's/\.(h\.in|h|cpp)$//' | sort -u)
if ((${#units[@]} == 0)); then
    echo "check-architecture: no source units found under core/, widgets/, app/"
    exit 1
fi

# File names that occur in more than one folder: those must be named with their folder.
declare -A folders_of
for u in "${units[@]}"; do
    b=${u##*/}
    folders_of[$b]=$((${folders_of[$b]:-0} + 1))
done

# True when the document holds `NAME`, `NAME.h`, `NAME.cpp` or `NAME.h.in` (backticks included).
named() {
    local name=$1 ext
    for ext in "" .h .cpp .h.in; do
        grep -qF -- "\`$name$ext\`" "$doc" && return 0
    done
    return 1
}

for u in "${units[@]}"; do
    b=${u##*/}
    found=0
    # The path with one or more of its folders: core/analysis/selection, analysis/selection.
    qualified=$u
    while [[ $qualified == */* ]]; do
        if named "$qualified"; then found=1; break; fi
        qualified=${qualified#*/}
    done
    # The bare file name, when no other folder has a unit of that name.
    if ((found == 0 && ${folders_of[$b]} == 1)) && named "$b"; then
        found=1
    fi
    if ((found == 0)); then
        if ((${folders_of[$b]} > 1)); then
            echo "architecture.md does not name $u (its file name occurs in ${folders_of[$b]} folders: give it with its folder, e.g. \`${u#*/}\`)"
        else
            echo "architecture.md does not name $u"
        fi
        missing=$((missing + 1))
    fi
done

# README.md's Layout section: from "## Layout" to the next "## " heading.
layout=$(awk '/^## /{inside = ($0 ~ /^## Layout[[:space:]]*$/); next} inside' "$readme")
if [[ -z $layout ]]; then
    echo "README.md has no \"## Layout\" section"
    missing=$((missing + 1))
else
    mapfile -t required < <({
        source_files core app | grep -E '^(core|app)/[^/]+/' | cut -d/ -f1-2
        printf '%s\n' widgets tests fuzz scripts resources
    } | sort -u)
    for d in "${required[@]}"; do
        # The folder as a path of its own: "core/io/" or "core/io " but not "foo/core/io".
        if ! grep -qE "(^|[^[:alnum:]_./-])${d//./\\.}(/|[^[:alnum:]_-]|$)" <<<"$layout"; then
            echo "README.md's Layout section does not name $d/"
            missing=$((missing + 1))
        fi
    done
fi

if ((missing > 0)); then
    echo "check-architecture: $missing missing (resources/docs/architecture.md, README.md \"Layout\")"
    exit 1
fi
echo "architecture.md names all ${#units[@]} units; README.md's Layout names all ${#required[@]} folders"
