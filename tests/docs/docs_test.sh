#!/usr/bin/env bash
# docs_test.sh REPO_ROOT: the repository's Markdown is self-contained and its commands
# are backed by the build:
#  - every relative link resolves to a file inside the repository;
#  - no text points at files outside it (`../shared/...`, the design documents);
#  - every binary the guides run from build/ (not the tests' own) is built by
#    `deploy/dev.sh run`.
set -euo pipefail
root=$(cd -P -- "$1" && pwd)
cd "$root"
failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
    mapfile -t files < <(git ls-files '*.md')
else
    mapfile -t files < <(find . -name '*.md' -not -path './build*' -not -path './.run/*' |
        sed 's|^\./||')
fi
((${#files[@]} > 0)) || fail "no Markdown files found"

links=0
for f in "${files[@]}"; do
    dir=$(dirname -- "$f")
    # Inline links and images: ](target) or ](target "title").
    while IFS= read -r link; do
        target=${link#](}
        target=${target%)}
        target=${target%% *}
        case $target in
            http://* | https://* | mailto:* | '#'*) continue ;;
        esac
        target=${target%%#*}
        [[ -n "$target" ]] || continue
        links=$((links + 1))
        resolved=$(realpath -m -- "$dir/$target")
        if [[ "$resolved" != "$root"/* ]]; then
            fail "$f: link '$target' leaves the repository"
        elif [[ ! -e "$resolved" ]]; then
            fail "$f: link '$target' does not resolve"
        fi
    done < <(grep -oE '\]\([^)]+\)' -- "$f" || true)
    while IFS= read -r hit; do
        fail "$f:$hit: points outside the repository"
    done < <(grep -nE '\.\./shared|DESIGN\.md|STYLE\.md' -- "$f" || true)
done
((links > 0)) || fail "no links checked: the link pattern matched nothing"

# The targets `deploy/dev.sh run` builds: the `build ...` line of cmd_run.
run_targets=$(sed -n '/^cmd_run()/,/^}/p' deploy/dev.sh | grep -E '^\s+build [a-z]' | head -n 1)
[[ -n "$run_targets" ]] || fail "deploy/dev.sh: no build line in cmd_run"
read -r -a run_targets <<<"${run_targets#*build }"
# A binary's target: the one whose OUTPUT_NAME it is, else its own name.
target_of() {
    local name=$1 t
    t=$(grep -rhoE "set_target_properties\(\w+ PROPERTIES OUTPUT_NAME $name\b" \
        --include=CMakeLists.txt hub partner_sdk settlement 2>/dev/null | head -n 1 |
        sed -E 's/set_target_properties\((\w+) .*/\1/')
    echo "${t:-$name}"
}
checked=0
for f in README.md docs/*.md; do
    while IFS= read -r path; do
        case $path in
            build/tests/* | build/my_till | */) continue ;;  # tests' tools; the guide's own project
        esac
        name=${path##*/}
        target=$(target_of "$name")
        checked=$((checked + 1))
        if ! printf '%s\n' "${run_targets[@]}" | grep -qx -- "$target"; then
            fail "$f: runs $path, but deploy/dev.sh run does not build $target"
        fi
    done < <(grep -oE '\bbuild/[A-Za-z0-9_/.-]+' -- "$f" | sort -u || true)
done
((checked > 0)) || fail "no build/ binaries found in the guides"

if ((failures > 0)); then
    echo "$failures problem(s)" >&2
    exit 1
fi
echo "ok: $links links, $checked binaries named by the guides"
