# The event loop from the inside out — top-level Makefile.
#
#   make                 build every step and tool (warnings are errors; CC=clang works too)
#   make test            run every bats suite against every step it applies to
#   make test STEP=05    one step only (still with every earlier step's suites)
#   make diff STEP=05    what step 05 adds to step 04: the lesson, as a diff
#   make demo            the guided tour of all eight steps
#   make clean
# CC, CFLAGS, CPPFLAGS and LDFLAGS are passed down to every sub-make.

SHELL := /bin/bash

STEPS := $(sort $(patsubst %/,%,$(wildcard [0-9][0-9]-*/)))

all: $(STEPS) tools

$(STEPS) tools:
	$(MAKE) -C $@

test: all
	test/run $(STEP)

diff:
	@test -n "$(STEP)" || { echo "usage: make diff STEP=NN (02..08)"; exit 2; }
	@tools/stepdiff $(STEP)

demo: all
	@echo "make demo: the guided tour is coming; meanwhile see README.md, 'How to watch a step'."

clean:
	for d in $(STEPS) tools; do $(MAKE) -C $$d clean; done

.PHONY: all test diff demo clean $(STEPS) tools
