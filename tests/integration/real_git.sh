#!/usr/bin/env bash
# Real program: git init / add / commit / log in a fresh repository, with names and dates fixed
# so every run makes the same commit.
source "$(dirname "$0")/../lib.sh"
source "$ROOT/tests/trace_check.sh"
need_lib git
cd "$T" || exit 1

export GIT_AUTHOR_NAME="Phase Prof" GIT_AUTHOR_EMAIL="pp@example.invalid"
export GIT_COMMITTER_NAME="Phase Prof" GIT_COMMITTER_EMAIL="pp@example.invalid"
export GIT_AUTHOR_DATE="2024-01-02T03:04:05Z" GIT_COMMITTER_DATE="2024-01-02T03:04:05Z"
export GIT_CONFIG_NOSYSTEM=1 HOME="$T" GIT_TERMINAL_PROMPT=0
mkdir -p "$T/src"
for i in $(seq 1 50); do seq 1 "$((i * 20))" >"$T/src/file$i.txt"; done
cat >"$T/git.sh" <<'SHEOF'
set -e
rm -rf repo
git init -q -b main repo
cp -r src/. repo/
cd repo
git add .
git commit -q -m "first commit"
git log --format='%H %an %ad %s' --date=iso-strict
git count-objects
SHEOF
d="$T/git"
same_run git.same_output "$d" bash "$T/git.sh"
trace_check git.traces "$d" --run-id "$PHASEPROF_RUN_ID" --complete --tree --unique \
    --root-exe bash --exe git --exe rm --exe cp
info_check git.info "$d" git
