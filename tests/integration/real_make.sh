#!/usr/bin/env bash
# Real program: make -j2 on a small Makefile (several recipes through /bin/sh, run two at a time).
# Recipes write to files and only the final one prints, so the output does not depend on order.
source "$(dirname "$0")/../lib.sh"
source "$ROOT/tests/trace_check.sh"
need_lib make
mkdir -p "$T/proj" && cd "$T/proj" || exit 1

cat >Makefile <<'MKEOF'
PARTS := a b c d e f
all: $(PARTS:%=%.sum)
	@cat $^ | sort | md5sum
	@echo "parts: $(words $^)"
%.sum: %.dat
	@sort -n $< | tail -n 1 > $@
%.dat:
	@seq 1 $$(( 5000 * $(words $(subst ., ,$*)) + $$(printf %d "'$*") )) > $@
clean:
	@rm -f *.dat *.sum
.PHONY: all clean
MKEOF
d="$T/make"
same_run make.same_output "$d" make -s -B -j2
trace_check make.traces "$d" --run-id "$PHASEPROF_RUN_ID" --complete --tree --unique \
    --root-exe make --exe sort --exe seq --exe md5sum
info_check make.info "$d" make
# make only waits for its jobs: the whole-program bounds are make's own, and the report says the
# time is in the children.
if "$PP" report "$d" 2>/dev/null | grep -q 'waited for its child processes [0-9]*% of the run'; then pass make.report_root_waits_for_children
else fail make.report_root_waits_for_children "$("$PP" report "$d" 2>&1 | sed -n '/^Whole program/,/time by class/p' | head -8)"; fi
