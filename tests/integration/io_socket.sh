#!/usr/bin/env bash
# Sockets: sock_pair echoes data over a socketpair and over TCP on 127.0.0.1 with every send and
# recv form; the trace must count socket-class bytes exactly and name the TCP peers.
source "$(dirname "$0")/../lib.sh"
source "$ROOT/tests/trace_check.sh"
need_lib socket
ST=(python3 "$ROOT/tests/io_stats.py")
cd "$T" || exit 1
expect() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got $2, want $3"; fi; }

d="$T/sock"
same_run socket.same_output "$d" "$PROGS/sock_pair" 300
trace_check socket.traces "$d" --complete --traces 1
sent=$(sed -n 's/^tcp: sent=\([0-9]*\) received=.*/\1/p' "$T/pp.out")
# two connections, each side sends and receives `sent` bytes
expect socket.write_bytes "$("${ST[@]}" cell "$d" socket write bytes)" $((4 * sent))
expect socket.read_bytes "$("${ST[@]}" cell "$d" socket read bytes)" $((4 * sent))
expect socket.file_stats_bytes "$("${ST[@]}" file "$d" '*' write_bytes)" $((4 * sent + $(wc -c <"$T/pp.out")))
n=$("${ST[@]}" paths "$d" | grep -c '^inet:127\.0\.0\.1:[1-9]')
if [ "$n" -ge 2 ]; then pass socket.peer_names; else fail socket.peer_names "$n FILE_STATS named inet:127.0.0.1:PORT"; fi
