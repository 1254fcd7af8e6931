#!/usr/bin/env bash
# More real programs nobody here wrote, each in Debian's base system: perl (its own interpreter
# loop, hashes, a file written), tar driving gzip (tar forks and execs gzip and talks to it
# through a pipe), find | sort | sed in a pipeline, diff -u, and sed/grep/awk over a file.  Output
# and exit status byte-identical with and without the preload, and a complete trace for each
# process with the right exe.  (A wider sweep by hand is in bench/RESULTS.md, session 8.)
source "$(dirname "$0")/../lib.sh"
source "$ROOT/tests/trace_check.sh"
need_lib more
cd "$T" || exit 1
export LC_ALL=C TZ=UTC

seq 1 200000 >nums.txt
mkdir -p tree/a/b tree/c
for i in $(seq 1 40); do seq "$i" 1000 >"tree/a/f$i.txt"; seq 1 "$i" >"tree/c/g$i.txt"; done
seq 1 3 30000 >b.txt

d="$T/perl"
same_run perl.same_output "$d" perl -e '
    my %h; for my $i (1..300000) { $h{$i % 1777} .= chr(97 + $i % 26) }
    open(my $f, ">", "perl.out") or die "open: $!";
    print $f join(",", map { length $h{$_} } sort { $a <=> $b } keys %h), "\n";
    close $f or die;
    my $sum = 0; $sum += length($_) for values %h;
    print scalar(keys %h), " $sum\n"; exit 3'
trace_check perl.traces "$d" --run-id "$PHASEPROF_RUN_ID" --complete --traces 1 --root-exe perl
info_check perl.info "$d" perl

d="$T/tar"
rm -f t.tgz
same_run tar.same_output "$d" bash -c 'tar --mtime=@1700000000 --owner=0 --group=0 --numeric-owner \
    --sort=name -czf t.tgz tree && tar -tzvf t.tgz | sort -k6 | sha256sum && gzip -dc t.tgz | wc -c'
trace_check tar.traces "$d" --run-id "$PHASEPROF_RUN_ID" --complete --tree \
    --root-exe bash --exe tar --exe gzip --exe sort --exe sha256sum --exe wc
info_check tar.info "$d" tar gzip

d="$T/find"
same_run find.same_output "$d" bash -c 'find tree -type f -name "*.txt" | sort | sed -e "s|/|:|g" | tail -n 5; find tree -newer nums.txt -o -size +1k | wc -l'
trace_check find.traces "$d" --run-id "$PHASEPROF_RUN_ID" --complete --tree \
    --root-exe bash --exe find --exe sort --exe sed --exe tail --exe wc
info_check find.info "$d" find

d="$T/diff"
same_run diff.same_output "$d" diff -u --label a --label b nums.txt b.txt
trace_check diff.traces "$d" --run-id "$PHASEPROF_RUN_ID" --complete --traces 1 --root-exe diff

d="$T/text"
same_run text.same_output "$d" bash -c 'grep -c "7" nums.txt; sed -E "s/([0-9])([0-9])/\2\1/g" nums.txt | awk "{ s += \$1 } END { print s, NR }"'
trace_check text.traces "$d" --run-id "$PHASEPROF_RUN_ID" --complete --tree \
    --root-exe bash --exe grep --exe sed
