#!/usr/bin/env bash
# The interception rule of issue 2: every symbol of our I/O families (POSIX I/O, stdio, sockets,
# metadata) that the real programs of the tests import (themselves or through the libraries they
# load, other than libc) is defined by libphaseprof.so.  Checked with nm -D, program by program.
source "$(dirname "$0")/../lib.sh"
source "$ROOT/tests/trace_check.sh"
need_lib nm_rule
command -v nm >/dev/null || { fail nm_rule.nm "nm not installed (binutils)"; exit 1; }

FAMILY="
open open64 openat openat64 creat creat64 __open_2 __open64_2 __openat_2 __openat64_2
close close_range closefrom read write __read_chk pread pread64 __pread_chk __pread64_chk
pwrite pwrite64 readv writev preadv preadv64 pwritev pwritev64 preadv2 pwritev2 preadv64v2
pwritev64v2 lseek lseek64 fsync fdatasync sync_file_range dup dup2 dup3 fcntl fcntl64
sendfile sendfile64 copy_file_range splice ftruncate ftruncate64 pipe pipe2
mkstemp mkstemp64 mkostemp mkostemp64 mkstemps mkstemps64
fopen fopen64 fdopen freopen freopen64 fclose tmpfile tmpfile64 pclose fread fwrite
fread_unlocked fwrite_unlocked __fread_chk __fread_unlocked_chk fgets fgets_unlocked __fgets_chk
__fgets_unlocked_chk fputs fputs_unlocked puts fgetc fputc getc putc _IO_getc _IO_putc
getc_unlocked putc_unlocked fgetc_unlocked fputc_unlocked getchar putchar getchar_unlocked
putchar_unlocked __uflow __overflow printf vprintf fprintf vfprintf __printf_chk __vprintf_chk
__fprintf_chk __vfprintf_chk dprintf vdprintf __dprintf_chk __vdprintf_chk fscanf scanf vfscanf
__isoc99_fscanf __isoc99_scanf __isoc99_vfscanf getline getdelim __getdelim fflush
fflush_unlocked fseek fseeko fseeko64 ftell ftello ftello64 rewind
socket socketpair connect accept accept4 bind listen shutdown send recv __recv_chk sendto
recvfrom __recvfrom_chk sendmsg recvmsg sendmmsg recvmmsg
stat stat64 lstat lstat64 fstat fstat64 fstatat fstatat64 statx __xstat __xstat64 __lxstat
__lxstat64 __fxstat __fxstat64 __fxstatat __fxstatat64 access faccessat eaccess euidaccess
rename renameat renameat2 unlink unlinkat remove rmdir mkdir mkdirat truncate truncate64 opendir
chmod fchmod fchmodat chown lchown fchown fchownat link linkat symlink symlinkat readlink
readlinkat utime utimes utimensat futimens statvfs statvfs64 fstatvfs fstatvfs64
posix_fadvise posix_fadvise64 posix_fallocate posix_fallocate64 fallocate fallocate64
"
family=$(printf '%s\n' $FAMILY | sort -u)
exports=$(nm -D --defined-only "$LIB" | awk '$2 ~ /^[TW]$/ {print $3}' | sed 's/@.*//' | sort -u)

# The family list itself is exported in full (so a new program importing any of it is covered).
missing=$(comm -23 <(printf '%s\n' "$family") <(printf '%s\n' "$exports") | tr '\n' ' ')
if [ -z "$missing" ]; then pass nm_rule.family_exported; else fail nm_rule.family_exported "not exported: $missing"; fi

PY=/usr/bin/python3; [ -x "$PY" ] || PY=$(command -v python3)
progs=("$PY" gcc "$(gcc -print-prog-name=cc1 2>/dev/null)" as sqlite3 xz sort git make bash uniq wc seq)
for p in "${progs[@]}"; do
    [ -n "$p" ] || continue
    exe=$(command -v "$p" 2>/dev/null || true)
    [ -n "$exe" ] && exe=$(readlink -f "$exe")
    name=$(basename "${exe:-$p}")
    if [ -z "$exe" ] || ! head -c 4 "$exe" 2>/dev/null | grep -q ELF; then
        echo "note: $p not installed or not ELF, skipped"; continue
    fi
    # the program and the libraries it loads (libc and the loader excluded: they are what we wrap)
    objs=("$exe")
    while read -r lib; do objs+=("$lib"); done < <(ldd "$exe" 2>/dev/null |
        awk '/=> \// {print $3}' | grep -vE '/(libc|ld-linux[^/]*|libm|libpthread|libdl|librt)\.so')
    imports=$(for o in "${objs[@]}"; do nm -D --undefined-only "$o" 2>/dev/null; done |
              awk '{print $NF}' | sed 's/@.*//' | sort -u)
    ours=$(comm -12 <(printf '%s\n' "$imports") <(printf '%s\n' "$family"))
    unwrapped=$(comm -23 <(printf '%s\n' "$ours") <(printf '%s\n' "$exports") | tr '\n' ' ')
    n=$(printf '%s\n' "$ours" | grep -c .)
    echo "note: $name imports $n symbols of our families"
    if [ -z "$unwrapped" ]; then pass "nm_rule.$name"
    else fail "nm_rule.$name" "imported but not wrapped: $unwrapped"; fi
done
