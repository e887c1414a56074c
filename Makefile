# The event loop from the inside out — top-level Makefile.
#
#   make                 build every step and tool (warnings are errors; CC=clang works too)
#   make test            run every bats suite against every step it applies to
#   make test STEP=05    one step only (still with every earlier step's suites)
#   make diff STEP=05    what step 05 adds to step 04: the lesson, as a diff
#   make demo            the guided tour of all eight steps (its timelines: build/demo/)
#   make pictures        pictures/: the 10,000-connection chart and the demo's timelines
#   make slides          the three decks of slides.md (the 20- and 40-minute talks, the
#                        workshop) as HTML and PDF with notes in build/slides/: `npm ci` first
#   make bench           measure 01, 02, 08 (and libuv, node) under load: build/bench/
#   make fuzz            fuzz 08's DNS reply parser (UDP and TCP) and tools/timeline's reader,
#                        each for FUZZ_SECONDS (default 30)
#   make soak            the chaos soak: 40 clients doing a random mix to each step 03-08
#                        for SOAK_SECONDS (default 15), then checks what the server has
#                        left (SOAK_SEED=N replays a mix; STEP=05 for one step)
#   make sanitize        the tests again against ASan+UBSan builds, and TSan builds of the
#                        threaded steps: each suite on its first step and the newest
#                        (STEP=05: all of one step's; tools/sanitize --every: all)
#   make valgrind        the newest step under Valgrind's memcheck (STEP=05 for another)
#   make lint            cppcheck and clang-tidy over every step and tools/ (STEP=05 for one)
#   make compile_commands.json   every file's compile command, for editors (clangd)
#   make clean           (also removes build/, where sanitize and valgrind build)
# CC, CFLAGS, CPPFLAGS and LDFLAGS are passed down to every sub-make.

SHELL := /bin/bash

STEPS := $(sort $(patsubst %/,%,$(wildcard [0-9][0-9]-*/)))

all: $(STEPS) tools

$(STEPS) tools:
	$(MAKE) -C $@

# Both check what they need first: tools/setup installs it, or names the command that would.
test:
	@tools/setup test
	@$(MAKE) --no-print-directory all
	test/run $(STEP)

diff:
	@test -n "$(STEP)" || { echo "usage: make diff STEP=NN (02..08)"; exit 2; }
	@tools/stepdiff $(STEP)

demo:
	@tools/setup demo
	@$(MAKE) --no-print-directory all
	@tools/demo

pictures: all
	@tools/pictures

slides:
	@tools/slides

bench:
	@bench/run

fuzz:
	$(MAKE) -C 08-dns fuzz
	$(MAKE) -C tools fuzz

SOAK_SECONDS ?= 15
SOAK_STEPS := $(if $(STEP),$(STEP),$(filter-out 01-% 02-%,$(STEPS)))

# Every step is soaked, even after one fails: the report names each that did.
soak: all
	@failed=; for s in $(SOAK_STEPS); do \
		echo "== soak $$s"; \
		tools/soak-check $$s -d $(SOAK_SECONDS) $(if $(SOAK_SEED),--seed $(SOAK_SEED)) \
			|| failed="$$failed $$s"; \
	done; \
	if [ -n "$$failed" ]; then echo "make soak: failed:$$failed"; exit 1; fi

sanitize:
	@tools/sanitize $(STEP)

valgrind:
	@tools/valgrind-check $(STEP)

lint:
	@tools/lint $(STEP)

compile_commands.json:
	@tools/compile-commands >$@.tmp && mv $@.tmp $@

clean:
	for d in $(STEPS) tools bench; do $(MAKE) -C $$d clean; done
	rm -rf build

.PHONY: all test diff demo slides bench fuzz soak sanitize valgrind lint compile_commands.json clean $(STEPS) tools check-slides

check-slides:
	@tools/check-slides
