#!/usr/bin/env bash
# C++ symbols are demangled: a program spending its CPU time in a namespaced member function is
# shown under the name its source uses, in folded stacks and in the report's hot functions.
source "$(dirname "$0")/../lib.sh"
cd "$T" || exit 1
command -v g++ >/dev/null || { fail cxx_prereq "g++ not installed (build-essential)"; exit 0; }
g++ -O1 -g -fno-omit-frame-pointer -o "$T/cxx_burn" "$ROOT/tests/progs/cxx_burn.cc" || { fail cxx_build "g++ failed"; exit 0; }
same_run cxx.same_output "$T/run" "$T/cxx_burn" 200000000
"$PP" export --format folded "$T/run" >"$T/folded" 2>"$T/folded.err"
if grep -Eq 'hot::Kernel::spin\(unsigned[ _]long\)' "$T/folded"; then pass cxx.folded_demangled
else fail cxx.folded_demangled "$(head -c 300 "$T/folded") $(cat "$T/folded.err")"; fi
if grep -q '_ZN3hot6Kernel4spinEm' "$T/folded"; then fail cxx.no_mangled_left "mangled name in folded stacks"
else pass cxx.no_mangled_left; fi
