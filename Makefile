# phaseprof — build, test, demo, bench.  `make V=1` shows commands, `make ASAN=1` sanitizes the
# analyzer and unit tests (the preload is never built with ASan: it would have to come first).
PREFIX  ?= /usr/local
DESTDIR ?=
B       := build
CC      ?= cc
OPT     ?= -O2
WARN    := -Wall -Wextra
CFLAGS_COMMON := -std=gnu11 $(OPT) -g $(WARN) -Iinclude -D_GNU_SOURCE
ifeq ($(ASAN),1)
  # its own build directory: objects do not record their flags, so a plain build's objects
  # would otherwise be linked into a "sanitized" analyzer unchecked
  B := build-asan
  SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  # Runtimes linked statically: with the shared one, any LD_PRELOAD in the environment (a user's,
  # record_cli's) comes first and ASan refuses to start.
  SAN_LINK := $(if $(findstring clang,$(shell $(CC) --version 2>/dev/null)),-static-libsan,-static-libasan -static-libubsan)
endif
ifneq ($(V),1)
  Q := @
endif

PRELOAD_SRC := $(wildcard preload/*.c)
PRELOAD_OBJ := $(PRELOAD_SRC:preload/%.c=$(B)/preload/%.o)
PRELOAD_CFLAGS := $(CFLAGS_COMMON) -fPIC -fvisibility=hidden \
                  -ftls-model=initial-exec -fno-stack-protector -Ipreload
PRELOAD_LIBS := -ldl -lpthread -lrt

ANALYZER_SRC := $(filter-out analyzer/main.c,$(wildcard analyzer/*.c))
ANALYZER_OBJ := $(ANALYZER_SRC:analyzer/%.c=$(B)/analyzer/%.o)
ANALYZER_CFLAGS := $(CFLAGS_COMMON) $(SAN) -Ianalyzer -DPP_LIBDIR='"$(PREFIX)/lib/phaseprof"' \
                   -DPP_MODELDIR='"$(PREFIX)/share/phaseprof/models"'
ANALYZER_LIBS := -lcjson -ldw -lelf -lzstd -lm

UNIT_SRC  := $(wildcard tests/unit/*.c)
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
PROG_SRC  := $(wildcard tests/progs/*.c)
PROG_BIN  := $(PROG_SRC:tests/progs/%.c=$(B)/progs/%)
WORK_SRC  := $(wildcard tests/workloads/*.c)
WORK_BIN  := $(WORK_SRC:tests/workloads/%.c=$(B)/workloads/%)

.PHONY: all test unit demo bench fuzz models install clean deps
all: $(B)/libphaseprof.so $(B)/phaseprof

$(B)/preload/%.o: preload/%.c $(wildcard preload/*.h) $(wildcard include/phaseprof/*)
	@mkdir -p $(@D)
	$(Q)$(CC) $(PRELOAD_CFLAGS) -c $< -o $@

$(B)/libphaseprof.so: $(PRELOAD_OBJ)
	$(Q)$(CC) -shared -o $@ $^ $(PRELOAD_LIBS) -Wl,-z,now -Wl,--no-undefined
	@echo "  built $@"

$(B)/analyzer/%.o: analyzer/%.c $(wildcard analyzer/*.h) $(wildcard include/phaseprof/*)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ANALYZER_CFLAGS) -c $< -o $@

$(B)/phaseprof: $(B)/analyzer/main.o $(ANALYZER_OBJ) | $(B)/libphaseprof.so
	$(Q)$(CC) $(SAN) $(SAN_LINK) -o $@ $^ $(ANALYZER_LIBS)
	@echo "  built $@"

# Unit tests link the analyzer's objects (everything but main).
$(B)/tests/%: tests/unit/%.c $(ANALYZER_OBJ) $(wildcard tests/unit/*.h)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ANALYZER_CFLAGS) $(SAN_LINK) -Itests/unit -o $@ $< $(ANALYZER_OBJ) $(ANALYZER_LIBS) -lpthread

# Test programs: plain programs built like a user's (-g, dynamic); never linked with us.
$(B)/progs/%: tests/progs/%.c include/phaseprof/phaseprof.h
	@mkdir -p $(@D)
	$(Q)$(CC) -std=gnu11 -O1 -g -Wall -Wextra -Iinclude -o $@ $< -lpthread -ldl -lm

$(B)/workloads/%: tests/workloads/%.c include/phaseprof/phaseprof.h $(wildcard tests/workloads/*.h)
	@mkdir -p $(@D)
	$(Q)$(CC) -std=gnu11 -O2 -g -Wall -Wextra -Iinclude -o $@ $< -lpthread -lm

unit: $(UNIT_BIN)
progs: $(PROG_BIN) $(WORK_BIN)

test: all $(UNIT_BIN) $(PROG_BIN) $(WORK_BIN)
	$(Q)B=$(B) bash tests/run.sh

demo: deps all $(B)/progs/demo
	$(Q)bash tests/demo.sh $(B)

deps:
	$(Q)bash .ci/deps.sh

bench: all $(PROG_BIN)
	$(Q)B=$(B) bash bench/run.sh

fuzz: all
	$(Q)B=$(B) bash tests/fuzz/run.sh long

# Labelled workloads → models/training_data.csv → the sw classifier, and its held-out evaluation
# (issue 5).  Then the paired fix workloads → models/speedup_data.csv → the speedup regressor and
# its leave-one-kind-out evaluation (models/README.md).  Some minutes; never part of `make test`.
# The classifier leaves out the allocation *rates* (models/README.md): a compiler's million
# mallocs a second are not an allocation bottleneck when they take 6% of its time.
SPEEDUP_IGNORE := fix_kind,pair,cost,speedup,w_slow_s,w_fixed_s,w_traced_s,c_traced_s,c_s
CLASSIFIER_ARGS := --counter-set sw --map memory=cpu --classes cpu,io,alloc,wait --seed 1 \
    --ignore alloc_calls_ps,alloc_bps
models: all $(WORK_BIN)
	$(Q)python3 tests/workloads/label_suite.py --build $(B) --out models/training_data.csv
	$(Q)$(B)/phaseprof train --data models/training_data.csv --out models/classifier_sw.json $(CLASSIFIER_ARGS)
	$(Q)$(B)/phaseprof train --data models/training_data.csv $(CLASSIFIER_ARGS) --evaluate \
	    | tee models/evaluation_sw.txt
	$(Q)python3 tests/workloads/stressng_eval.py --build $(B) --seconds 2 --out models/evaluation_stressng.txt
	$(Q)python3 tests/workloads/pairs_suite.py --build $(B) --out models/speedup_data.csv
	$(Q)$(B)/phaseprof train --task regress --data models/speedup_data.csv --label remaining_frac \
	    --ignore $(SPEEDUP_IGNORE) --partition cost_kind --out models/speedup_regressor.json --seed 1
	$(Q)python3 tests/workloads/pairs_suite.py --build $(B) --evaluate --out models/speedup_data.csv \
	    --eval-out models/evaluation_speedup.txt

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/phaseprof $(DESTDIR)$(PREFIX)/include/phaseprof
	install -m 755 $(B)/phaseprof $(DESTDIR)$(PREFIX)/bin/phaseprof
	install -m 644 $(B)/libphaseprof.so $(DESTDIR)$(PREFIX)/lib/phaseprof/libphaseprof.so
	install -m 644 include/phaseprof/*.h include/phaseprof/events.def $(DESTDIR)$(PREFIX)/include/phaseprof/
	install -d $(DESTDIR)$(PREFIX)/share/phaseprof/models
	install -m 644 $(wildcard models/*.json) $(DESTDIR)$(PREFIX)/share/phaseprof/models/

clean:
	rm -rf $(B)

# ---- phase detection test programs (tests/workloads/detect.c, phases_bench.c): unlike the other
# workloads they link the analyzer's objects, so they get their own rules (explicit rules win
# over the pattern rule above).
$(B)/workloads/detect: tests/workloads/detect.c $(ANALYZER_OBJ)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ANALYZER_CFLAGS) $(SAN_LINK) -o $@ $< $(ANALYZER_OBJ) $(ANALYZER_LIBS)
$(B)/workloads/phases_bench: tests/workloads/phases_bench.c $(ANALYZER_OBJ)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ANALYZER_CFLAGS) $(SAN_LINK) -o $@ $< $(ANALYZER_OBJ) $(ANALYZER_LIBS)
# ---- end of phase detection test programs
