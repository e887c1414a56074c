#!/usr/bin/env bats
# steps: 04-
# --trace-events FILE (TRACE.md), what step 04 adds: pool jobs on their workers' tracks, with arrows from submit to completion.
# Each recorded run is checked by tools/trace-check: it parses, per thread the
# events come in order and the slices nest, every flow and span has both ends.

load helpers
load trace-helpers

@test "/block 100: a slice of >= 100 ms on the loop thread, with no poll inside" {
	start_server --trace-events "$TRACE"
	connect_fd c
	say "$c" "/block 100"
	expect_line "$c" "blocked the loop for 100 ms"
	exec {c}>&-
	end_run
	run trace_check --long loop 100
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "/work 100: a slice of >= 100 ms on a pool thread, none on the loop thread" {
	start_server --trace-events "$TRACE"
	connect_fd c
	say "$c" "/work 100"
	hear "$c"
	[[ $HEARD == "worked 100 ms, queued "* ]]
	exec {c}>&-
	end_run
	run trace_check --long pool 100 --no-long loop 100 --count pool:X:"/work 100" 1 \
		--count loop:X:"done /work 100" 1 --count pool:s:job 1 --count pool:t:job 1
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q '"name":"thread_name".*"args":{"name":"pool-[0-9]*"}' "$TRACE"
	# The job, its callback and the io slice that submitted it: the command.
	grep -q '"cat":"pool","name":"/work 100".*"args":{"queued_ms":[0-9]*,"cmd":"/work 100"}' "$TRACE"
	grep -q '"cat":"loop","name":"done /work 100".*"args":{"cmd":"/work 100"}' "$TRACE"
	grep -q '"cat":"io","name":"io fd [0-9]* (conn)".*"cmd":"/work 100"' "$TRACE"
}

@test "/cat: each chunk a job, with its arrow from submit to worker to completion" {
	mkdir -p "$BATS_TEST_TMPDIR/root"
	head -c 200000 /dev/zero >"$BATS_TEST_TMPDIR/root/file"
	start_server --trace-events "$TRACE" --root "$BATS_TEST_TMPDIR/root"
	"$CLIENT" -p "$PORT" -t 10000 <<<"/cat file" >/dev/null
	end_run
	run trace_check --count pool:X:"/cat open" 1 --has pool:X:"/cat chunk" \
		--has loop:X:"done /cat chunk"
	echo "$output"
	[ "$status" -eq 0 ]
	# Every job's flow starts once and finishes once (trace-check checks
	# that); as many starts as jobs.
	# Each chunk, submitted by the one before, is the command's too.
	! grep '"cat":"pool","name":"/cat' "$TRACE" | grep -v '"cmd":"/cat file"'
	jobs=$(grep -c '"cat":"pool","name":"/cat' "$TRACE")
	flows=$(grep -c '"ph":"s","cat":"pool"' "$TRACE")
	[ "$jobs" -eq "$flows" ]
}
