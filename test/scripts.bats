#!/usr/bin/env bats
# steps: once
# The kit's scripts check what they need before they use it: a missing tool is
# one line naming its package and an exit code, never a bash error halfway.

load helpers

# path_without CMD... — prints a directory of links to every command on PATH but
# CMD, for a PATH on which CMD is not installed.
path_without() {
	local dir=$BATS_TEST_TMPDIR/path d c
	mkdir -p "$dir"
	IFS=: read -ra dirs <<<"$PATH"
	for d in "${dirs[@]}"; do
		[ -d "$d" ] && ln -s "$d"/* "$dir"/ 2>/dev/null
	done
	for c; do rm -f "$dir/$c"; done
	echo "$dir"
}

@test "tools/dns-starvation without ip: names iproute2, exit 69, no bash error" {
	local path
	path=$(path_without ip)
	PATH=$path run "$KIT_ROOT/tools/dns-starvation" 100
	echo "$output"
	[ "$status" -eq 69 ]
	[ "$output" = "dns-starvation: ip is not installed (apt install iproute2)" ]
}

@test "tools/dns-starvation without unshare: names util-linux, exit 69" {
	local path
	path=$(path_without unshare)
	PATH=$path run "$KIT_ROOT/tools/dns-starvation" 100
	echo "$output"
	[ "$status" -eq 69 ]
	[ "$output" = "dns-starvation: unshare is not installed (apt install util-linux)" ]
}

@test "tools/demo without ip: the DNS observation fails naming iproute2, the rest still run" {
	local path
	path=$(path_without ip)
	PATH=$path run "$KIT_ROOT/tools/demo" --traces "$BATS_TEST_TMPDIR/demo"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"not made: dns-starvation: ip is not installed (apt install iproute2)"* ]]
	[[ $output == *"observations matched the slides, 1 did not."* ]]
	[[ $output != *"unbound variable"* ]]
}

@test "bench/run without a C compiler: names build-essential, exit 2, before it builds anything" {
	local path
	path=$(path_without cc)
	CC=cc PATH=$path run "$KIT_ROOT/bench/run"
	echo "$output"
	[ "$status" -eq 2 ]
	[ "$output" = "bench/run: cc is not installed (apt install build-essential)" ]
}

@test "tools/fresh-root runs README.md's Quick start commands, read from README.md" {
	run "$KIT_ROOT/tools/fresh-root" --commands
	echo "$output"
	[ "$status" -eq 0 ]
	expected=$(sed -n '/^## Quick start/,/^## /p' "$KIT_ROOT/README.md" |
		sed -n '/^```sh/,/^```$/p' | grep -v '^```' | sed 's/ *#.*//')
	[ "$output" = "$expected" ]
	[[ $output == *"make demo"* ]] && [[ $output == *"make test"* ]]
}

@test "make -C NN-step also builds tools/client, which the step's README runs" {
	local d
	for d in "$KIT_ROOT"/[0-9][0-9]-*/; do
		run make -n -C "$d"
		echo "$d: $output"
		[ "$status" -eq 0 ]
		[[ $output == *"-C ../tools client"* ]]
	done
}

@test "under make sanitize, a report file a program wrote fails the test it turned up in, once" {
	local reports=$BATS_TEST_TMPDIR/reports
	mkdir -p "$reports"
	KIT_SANITIZER=asan KIT_SANITIZER_REPORTS=$reports run sanitizer_check
	[ "$status" -eq 0 ]
	echo "==1==ERROR: LeakSanitizer: detected memory leaks" >"$reports/asan.123"
	KIT_SANITIZER=asan KIT_SANITIZER_REPORTS=$reports run sanitizer_check
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"detected memory leaks"* ]]
	[ "$(cat "$reports/asan.123.test")" = "scripts.bats: $BATS_TEST_DESCRIPTION (on $STEP)" ]
	# claimed: the next test is not failed for it
	KIT_SANITIZER=asan KIT_SANITIZER_REPORTS=$reports run sanitizer_check
	[ "$status" -eq 0 ]
	# LeakSanitizer skipping a thread that was ending is no finding
	echo "==9025==Unable to get registers from thread 8994." >"$reports/asan.8994"
	eval "$(sed -n '/^export KIT_SANITIZER_NOISE=/,/^export -f real_report/p' "$KIT_ROOT/tools/sanitize")"
	KIT_SANITIZER=asan KIT_SANITIZER_REPORTS=$reports run sanitizer_check
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "tools/sanitize names the test a report was first seen after, says when it is empty, and shows LeakSanitizer's noise uncounted" {
	local kit=$BATS_TEST_TMPDIR/kit
	mkdir -p "$kit/build/asan/reports"
	echo "scripts.bats: a test" >"$kit/build/asan/reports/asan.7.test"
	: >"$kit/build/asan/reports/asan.7"
	echo "==9025==Unable to get registers from thread 8994." >"$kit/build/asan/reports/asan.8994"
	run bash -c "cd '$kit' && failed=0 && $(sed -n -e '/^export KIT_SANITIZER_NOISE=/,/^export -f/p' \
		-e '/^check_reports() {/,/^}/p' "$KIT_ROOT/tools/sanitize")
		check_reports asan; echo failed=\$failed"
	echo "$output"
	[ "${lines[0]}" = "not ok - asan report build/asan/reports/asan.7, first seen after the test scripts.bats: a test:" ]
	[[ ${lines[1]} == *"(empty: "* ]]
	[ "${lines[2]}" = "# sanitize: build/asan/reports/asan.8994, not a finding: ==9025==Unable to get registers from thread 8994." ]
	[ "${lines[-1]}" = "failed=1" ]
}

@test "test/run --first-and-newest runs each suite on its first step and on the newest" {
	# A bats that runs nothing, so only the plan is seen: the lines `== STEP: SUITES`.
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	printf '#!/bin/sh\necho "ok 1 planned"\n' >"$BATS_TEST_TMPDIR/bin/bats"
	chmod +x "$BATS_TEST_TMPDIR/bin/bats"
	local steps newest
	steps=$(cd "$KIT_ROOT" && ls -d [0-9][0-9]-*/ | tr -d / | tr '\n' ' ')
	newest=${steps% }
	newest=${newest##* }
	PATH=$BATS_TEST_TMPDIR/bin:$PATH run "$KIT_ROOT/test/run" --first-and-newest $steps
	echo "$output"
	[ "$status" -eq 0 ]
	# 02-faults.bats applies to 02 and on: it runs on 02 and on the newest alone.
	[ "$(grep -c ' test/02-faults\.bats' <<<"$output")" -eq 2 ]
	grep -q '^== 02-epoll-echo: .*test/02-faults\.bats' <<<"$output"
	grep -q "^== $newest: .*test/02-faults\\.bats" <<<"$output"
	# every suite of the newest step runs there
	[ "$(grep "^== $newest: " <<<"$output" | wc -w)" -eq \
	  "$(PATH=$BATS_TEST_TMPDIR/bin:$PATH "$KIT_ROOT/test/run" "$newest" | grep "^== $newest: " | wc -w)" ]
	# Among the threaded steps (TSan's), 02's suites first apply to 04.
	PATH=$BATS_TEST_TMPDIR/bin:$PATH run "$KIT_ROOT/test/run" --first-and-newest 01 04 "$newest"
	grep -q '^== 04-[a-z-]*: test/02-faults\.bats' <<<"$output"
	[ "$(grep -c '^== 01-[a-z-]*: .*test/02-' <<<"$output")" -eq 0 ]
	# Without the option the suites stay cumulative: 02-faults.bats on every step from 02.
	PATH=$BATS_TEST_TMPDIR/bin:$PATH run "$KIT_ROOT/test/run" $steps
	[ "$(grep -c ' test/02-faults\.bats' <<<"$output")" -eq $(($(wc -w <<<"$steps") - 1)) ]
}

@test "tools/sanitize asks test/run for --first-and-newest for the whole kit, and not with --every or named steps" {
	# A kit of two steps whose make and test/run only say what they were asked.
	local kit=$BATS_TEST_TMPDIR/kit bin=$BATS_TEST_TMPDIR/bin
	mkdir -p "$kit/tools" "$kit/test" "$kit/01-a" "$kit/04-b" "$bin"
	touch "$kit/01-a/Makefile" "$kit/04-b/Makefile"
	cp "$KIT_ROOT/tools/sanitize" "$kit/tools/"
	printf '#!/bin/sh\necho "test/run $*"\necho "tests: 1 passed, 0 failed, 0 skipped"\n' >"$kit/test/run"
	printf '#!/bin/sh\nexit 0\n' >"$bin/make"
	chmod +x "$kit/test/run" "$bin/make"
	# ASan, then TSan (both steps have threads): test/run once each.
	PATH=$bin:$PATH run "$kit/tools/sanitize"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^test/run --first-and-newest 01-a 04-b$' <<<"$output")" -eq 2 ]
	PATH=$bin:$PATH run "$kit/tools/sanitize" --every
	echo "$output"
	[ "$(grep -c '^test/run 01-a 04-b$' <<<"$output")" -eq 2 ]
	PATH=$bin:$PATH run "$kit/tools/sanitize" 04
	echo "$output"
	[ "$(grep -c '^test/run 04-b$' <<<"$output")" -eq 2 ]
	[ "$(grep -c -- --first-and-newest <<<"$output")" -eq 0 ]
}
