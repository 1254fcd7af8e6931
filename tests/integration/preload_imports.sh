#!/usr/bin/env bash
# Pitfalls 4, 5: no code in preload/ calls stdio (FILE locks can deadlock a traced program) or the
# malloc family (it would re-enter our own hooks).  The hooks reach the real functions through
# pointers (PP_REAL), so no object file of the library may reference these symbols directly.
source "$(dirname "$0")/../lib.sh"
need_lib() { [ -f "$LIB" ] || { fail imports.built "$LIB is missing (run make)"; exit 1; }; }
need_lib
command -v nm >/dev/null || { fail imports.nm "nm not installed (binutils)"; exit 1; }

FORBIDDEN='fopen|fdopen|freopen|fclose|fflush|fprintf|printf|vprintf|vfprintf|fputs|puts|fputc|putc|putchar|fgets|fgetc|getc|fscanf|scanf|sscanf|fread|fwrite|perror|getline|getdelim|opendir|readdir|malloc|calloc|realloc|free|strdup|strndup|asprintf|vasprintf|posix_memalign|aligned_alloc'
objs=("$B"/preload/*.o)
if [ ! -f "${objs[0]}" ]; then fail imports.objects "no object files in $B/preload"; exit 1; fi
bad=""
for o in "${objs[@]}"; do
    u=$(nm -u "$o" | awk '{print $2}' | grep -xE "$FORBIDDEN" | tr '\n' ' ')
    [ -n "$u" ] && bad="$bad $(basename "$o"): $u;"
done
if [ -z "$bad" ]; then pass imports.no_stdio_no_malloc
else fail imports.no_stdio_no_malloc "$bad"; fi

# The library exports only hooks and the marker API (built with -fvisibility=hidden): none of our
# internal pp_* helpers may be visible to the program.
leaked=$(nm -D --defined-only "$LIB" | awk '{print $3}' | grep -E '^pp_' | grep -vE '^pp_(mark|phase)' | head -n 5 | tr '\n' ' ')
if [ -z "$leaked" ]; then pass imports.no_internal_exports
else fail imports.no_internal_exports "exported: $leaked"; fi
