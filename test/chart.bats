#!/usr/bin/env bats
# steps: once
# tools/chart: the "Idle connections" table of a results.md drawn as bars, each
# bar's value and length taken from the table (fixture: test/fixtures/results.md).

load helpers

CHART=$BIN_DIR/tools/chart
RESULTS=$KIT_ROOT/test/fixtures/results.md

# bar SERVER METRIC ATTR — an attribute of that bar in $BATS_TEST_TMPDIR/c.svg.
bar() {
	grep -o "<rect class=\"bar\" data-server=\"$1\" data-metric=\"$2\"[^>]*" \
		"$BATS_TEST_TMPDIR/c.svg" | sed "s/.* $3=\"\([^\"]*\)\".*/\1/"
}

@test "chart: one bar per server and metric, with the table's numbers" {
	run "$CHART" "$RESULTS" -o "$BATS_TEST_TMPDIR/c.svg"
	[ "$status" -eq 0 ]
	[ "$(grep -c '<rect class="bar"' "$BATS_TEST_TMPDIR/c.svg")" -eq 10 ]
	[ "$(bar 01-thread-per-conn threads data-value)" = 2501 ]
	[ "$(bar node threads data-value)" = 7 ]
	[ "$(bar 08-dns rss_mib data-value)" = 10 ]
	[ "$(bar node rss_mib data-value)" = 20 ]
	grep -q '>2,501</text>' "$BATS_TEST_TMPDIR/c.svg"
	grep -q '>40.0 MiB</text>' "$BATS_TEST_TMPDIR/c.svg"
	grep -q '>Holding 2,500 idle connections: threads and memory</text>' "$BATS_TEST_TMPDIR/c.svg"
	# The caption says where the numbers come from.
	grep -q 'Test machine, 3 cores, Linux 9.9, 2030-01-02 03:04 UTC' "$BATS_TEST_TMPDIR/c.svg"
	# The ping-pong table's 999 threads are not this chart's.
	run grep -c '999' "$BATS_TEST_TMPDIR/c.svg"
	[ "$output" = 0 ]
}

@test "chart: bar lengths are proportional to the values" {
	"$CHART" "$RESULTS" -o "$BATS_TEST_TMPDIR/c.svg"
	big=$(bar 01-thread-per-conn rss_mib width) dns=$(bar 08-dns rss_mib width)
	node=$(bar node rss_mib width)
	awk -v a="$big" -v b="$dns" -v c="$node" \
		'BEGIN { exit !(b / a > 0.24 && b / a < 0.26 && c / a > 0.49 && c / a < 0.51) }'
}

@test "chart: a results file without the table is refused" {
	printf '# results\n\n## Ping-pong\n' >"$BATS_TEST_TMPDIR/none.md"
	run "$CHART" "$BATS_TEST_TMPDIR/none.md" -o "$BATS_TEST_TMPDIR/c.svg"
	[ "$status" -eq 1 ]
	[[ $output == *'no "Idle connections" table with rows' ]]
	printf '## Idle connections\n\n| server | threads |\n|---|---|\n| a | 1 |\n' >"$BATS_TEST_TMPDIR/cols.md"
	run "$CHART" "$BATS_TEST_TMPDIR/cols.md"
	[ "$status" -eq 1 ]
	[[ $output == *"no server, threads or RSS MiB column" ]]
	run "$CHART"
	[ "$status" -eq 2 ]
	run "$CHART" "$RESULTS" --width 10
	[ "$status" -eq 2 ]
	[[ $output == "chart: bad --width '10' (want 640..8000)"* ]]
}
