#!/usr/bin/env bats
# steps: once
# tools/timeline: a --trace-events file drawn as an SVG, checked for its
# structure, rendered by headless Chromium, at 10,000+ events, and fed broken
# input. The fixture test/fixtures/trace-04.json is a hand-written trace in the
# format the steps write: a /block 500 on the loop, then a /work 500 on pool-1.

load helpers

TIMELINE=$BIN_DIR/tools/timeline
FIXTURE=$KIT_ROOT/test/fixtures/trace-04.json

# chromium_bin — the headless browser's command, or nothing.
chromium_bin() {
	local c
	for c in chromium chromium-browser google-chrome; do
		command -v "$c" && return 0
	done
	return 1
}

# render SVG PNG — a 1280×720 screenshot of SVG, as a slide would show it.
render() {
	local chrome
	chrome=$(chromium_bin) || skip "no Chromium to render with (apt install chromium)"
	timeout 120 "$chrome" --headless --no-sandbox --disable-gpu --hide-scrollbars \
		--window-size=1280,720 --screenshot="$2" "file://$1" 2>/dev/null
	[ -s "$2" ]
}

# well_formed SVG... — each file is well-formed XML: by tools/svg-check where
# the kit has it, else by python3's parser; and, needing neither, its bytes are
# UTF-8 (iconv) with none of the characters XML forbids that UTF-8 allows (C0
# controls but tab, LF and CR; U+FFFE and U+FFFF).
well_formed() {
	local f
	for f in "$@"; do
		iconv -f UTF-8 -t UTF-8 "$f" >/dev/null || { echo "$f: not UTF-8"; return 1; }
		if LC_ALL=C grep -q $'[\x01-\x08\x0b\x0c\x0e-\x1f]\|\xef\xbf[\xbe\xbf]' "$f"; then
			echo "$f: a character XML forbids"
			return 1
		fi
	done
	if [ -x "$KIT_ROOT/tools/svg-check" ]; then
		"$KIT_ROOT/tools/svg-check" "$@"
	elif command -v python3 >/dev/null; then
		python3 -c 'import sys, xml.dom.minidom as m; [m.parse(f) for f in sys.argv[1:]]' "$@"
	fi
}

# trace_of_n_ticks N — a trace of N loop ticks (a poll and one I/O callback
# each, 105 µs a tick) and N/10 pool jobs on two threads, with their flows.
trace_of_n_ticks() {
	awk -v n="$1" 'BEGIN {
		printf "{\"otherData\":{\"step\":\"08-dns\"},\"traceEvents\":[\n"
		printf "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":1,\"tid\":1,\"args\":{\"name\":\"loop\"}},\n"
		printf "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":1,\"tid\":2,\"args\":{\"name\":\"pool-1\"}},\n"
		printf "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":1,\"tid\":3,\"args\":{\"name\":\"pool-2\"}}"
		t = 1000
		for (i = 1; i <= n; i++) {
			printf ",\n{\"ph\":\"X\",\"cat\":\"loop\",\"name\":\"poll wait=forever\",\"pid\":1,\"tid\":1,\"ts\":%d,\"dur\":100,\"args\":{\"tick\":%d,\"woke\":\"1 fds\"}}", t, i
			printf ",\n{\"ph\":\"X\",\"cat\":\"io\",\"name\":\"io fd 7 (conn)\",\"pid\":1,\"tid\":1,\"ts\":%d,\"dur\":5}", t + 100
			if (i % 10 == 0) {
				w = 2 + (i / 10) % 2
				printf ",\n{\"ph\":\"s\",\"cat\":\"pool\",\"name\":\"job\",\"id\":%d,\"pid\":1,\"tid\":1,\"ts\":%d}", i, t + 101
				printf ",\n{\"ph\":\"t\",\"cat\":\"pool\",\"name\":\"job\",\"id\":%d,\"pid\":1,\"tid\":%d,\"ts\":%d}", i, w, t + 110
				printf ",\n{\"ph\":\"X\",\"cat\":\"pool\",\"name\":\"/cat chunk\",\"pid\":1,\"tid\":%d,\"ts\":%d,\"dur\":300,\"args\":{\"queued_ms\":0.009}}", w, t + 110
				printf ",\n{\"ph\":\"f\",\"bp\":\"e\",\"cat\":\"pool\",\"name\":\"job\",\"id\":%d,\"pid\":1,\"tid\":1,\"ts\":%d}", i, t + 420
			}
			t += 105
		}
		printf "\n]}\n"
	}'
}

@test "timeline: the fixture's SVG has the loop and pool lanes, an axis, a legend, and the marks" {
	run "$TIMELINE" "$FIXTURE" -o "$BATS_TEST_TMPDIR/t.svg"
	[ "$status" -eq 0 ]
	svg=$(cat "$BATS_TEST_TMPDIR/t.svg")
	# The lanes, in order: the loop first, then the pool threads by number.
	lanes=$(grep -o 'class="lane-bg" data-lane="[^"]*"' <<<"$svg" | sed 's/.*data-lane="//; s/"//' | tr '\n' ' ')
	[ "$lanes" = "loop pool-1 pool-2 " ]
	grep -q '<g class="axis">' <<<"$svg"
	grep -q '>time, ms</text>' <<<"$svg"
	grep -q '<g class="legend">' <<<"$svg"
	grep -q '>waiting in epoll_wait()</text>' <<<"$svg"
	grep -q '>pool job</text>' <<<"$svg"
	# /block 500 is one wide I/O callback on the loop; /work 500 one job.
	grep -q '>io fd 7 (conn) · 500 ms</text>' <<<"$svg"
	grep -q '>/work 500 · 500 ms</text>' <<<"$svg"
	# Every tick of the fixture's 19 is counted; there are flow lines.
	grep -q '>19 ticks</text>' <<<"$svg"
	grep -q 'class="flow-pool"' <<<"$svg"
	# Not blank: the fixture's marks are there as rectangles.
	[ "$(grep -c '<rect class="\(io\|job\|poll\)' <<<"$svg")" -ge 10 ]
}

@test "timeline: the job's width on the picture is its share of the time axis" {
	"$TIMELINE" "$FIXTURE" -o "$BATS_TEST_TMPDIR/t.svg" --width 1280
	# The plot is 1280 - 150 - 28 = 1102 px wide for the fixture's 1,343 ms.
	w=$(grep -o '<rect class="job" [^>]*' "$BATS_TEST_TMPDIR/t.svg" | sed 's/.*width="\([0-9.]*\)".*/\1/')
	awk -v w="$w" 'BEGIN { want = 500 / 1343.8 * 1102; exit !(w > want - 3 && w < want + 3) }'
}

@test "timeline: Chromium parses the SVG and renders it, not blank" {
	local chrome
	chrome=$(chromium_bin) || skip "no Chromium to render with (apt install chromium)"
	"$TIMELINE" "$FIXTURE" -o "$BATS_TEST_TMPDIR/t.svg"
	# A well-formed SVG comes back as itself; a broken one as a parser error page.
	run timeout 120 "$chrome" --headless --no-sandbox --disable-gpu --dump-dom \
		"file://$BATS_TEST_TMPDIR/t.svg"
	[ "$status" -eq 0 ]
	[[ $output != *parsererror* ]]
	[[ $output == *'data-lane="pool-1"'* ]]
	# Blank, the same page is one colour and compresses to almost nothing.
	printf '<svg xmlns="http://www.w3.org/2000/svg" width="1280" height="720"><rect width="1280" height="720" fill="#fff"/></svg>\n' \
		>"$BATS_TEST_TMPDIR/blank.svg"
	render "$BATS_TEST_TMPDIR/t.svg" "$BATS_TEST_TMPDIR/t.png"
	render "$BATS_TEST_TMPDIR/blank.svg" "$BATS_TEST_TMPDIR/blank.png"
	picture=$(stat -c %s "$BATS_TEST_TMPDIR/t.png") blank=$(stat -c %s "$BATS_TEST_TMPDIR/blank.png")
	echo "PNG bytes: picture $picture, blank $blank"
	[ "$picture" -gt $((blank * 5)) ]
}

@test "timeline: 20,000 ticks (48,000 events) merge into a bounded picture" {
	trace_of_n_ticks 20000 >"$BATS_TEST_TMPDIR/big.json"
	run "$TIMELINE" "$BATS_TEST_TMPDIR/big.json" -o "$BATS_TEST_TMPDIR/big.svg"
	[ "$status" -eq 0 ]
	size=$(stat -c %s "$BATS_TEST_TMPDIR/big.svg")
	echo "SVG bytes: $size"
	[ "$size" -lt 400000 ]
	grep -q ': 48,000 events, ' "$BATS_TEST_TMPDIR/big.svg"
	grep -q '>20000 ticks</text>' "$BATS_TEST_TMPDIR/big.svg"
	grep -q 'class="io merged"' "$BATS_TEST_TMPDIR/big.svg"
	# The loop was busy 5 µs in every 105: its merged work is drawn pale.
	grep -o '<rect class="io merged"[^>]*' "$BATS_TEST_TMPDIR/big.svg" | grep -q 'fill-opacity="0.25"'
	# A window of 10 ms of the same run shows single ticks again.
	run "$TIMELINE" "$BATS_TEST_TMPDIR/big.json" --from 100 --to 110 -o "$BATS_TEST_TMPDIR/zoom.svg"
	[ "$status" -eq 0 ]
	grep -q ', 10 ms shown (from 100 ms)' "$BATS_TEST_TMPDIR/zoom.svg"
	[ "$(grep -c '<rect class="poll"' "$BATS_TEST_TMPDIR/zoom.svg")" -ge 90 ]
}

@test "timeline: malformed JSON is refused with the place of the error, and no output" {
	local out=$BATS_TEST_TMPDIR/out.svg
	head -c 700 "$FIXTURE" >"$BATS_TEST_TMPDIR/cut.json"
	run "$TIMELINE" "$BATS_TEST_TMPDIR/cut.json" -o "$out"
	[ "$status" -eq 1 ]
	[[ $output == "timeline: $BATS_TEST_TMPDIR/cut.json: not JSON: line "*", column "*": "* ]]
	[ ! -e "$out" ]

	printf '{"traceEvents": [{"ph": "X",, }]}' >"$BATS_TEST_TMPDIR/comma.json"
	run "$TIMELINE" "$BATS_TEST_TMPDIR/comma.json" -o "$out"
	[ "$status" -eq 1 ]
	[[ $output == *"not JSON: line 1, column 29: expected a string as an object key" ]]

	printf '{"traceEvents": [{"name": "\xff"}]}' >"$BATS_TEST_TMPDIR/utf8.json"
	run "$TIMELINE" "$BATS_TEST_TMPDIR/utf8.json" -o "$out"
	[ "$status" -eq 1 ]
	[[ $output == *"invalid UTF-8"* ]]

	# 100,000 nested arrays: refused, not a stack overflow.
	head -c 100000 /dev/zero | tr '\0' '[' >"$BATS_TEST_TMPDIR/deep.json"
	run "$TIMELINE" "$BATS_TEST_TMPDIR/deep.json" -o "$out"
	[ "$status" -eq 1 ]
	[[ $output == *"nested deeper than"* ]]

	printf '{"events": []}' >"$BATS_TEST_TMPDIR/other.json"
	run "$TIMELINE" "$BATS_TEST_TMPDIR/other.json" -o "$out"
	[ "$status" -eq 1 ]
	[[ $output == *'not a trace: no "traceEvents" array' ]]

	printf '{"traceEvents": []}' >"$BATS_TEST_TMPDIR/empty.json"
	run "$TIMELINE" "$BATS_TEST_TMPDIR/empty.json" -o "$out"
	[ "$status" -eq 1 ]
	[[ $output == *"no events to draw" ]]

	run "$TIMELINE" "$BATS_TEST_TMPDIR/missing.json" -o "$out"
	[ "$status" -eq 1 ]
	[[ $output == *"missing.json: No such file or directory" ]]
	[ ! -e "$out" ]
}

@test "timeline: numbers out of any range (1e999, 1e300, -1) draw no garbage" {
	local in=$BATS_TEST_TMPDIR/huge.json out=$BATS_TEST_TMPDIR/huge.svg
	cat >"$in" <<-'EOF'
	{"traceEvents":[{"ph":"M","name":"thread_name","pid":1,"tid":1,"args":{"name":"loop"}},
	{"ph":"b","cat":"process","name":"child","pid":1,"tid":1,"ts":1,"id":-1},
	{"ph":"e","cat":"process","name":"child","pid":1,"tid":1,"ts":2,"id":1e300},
	{"ph":"X","cat":"loop","name":"poll","pid":1,"tid":1e300,"ts":1e300,"dur":-5},
	{"ph":"X","cat":"loop","name":"poll","pid":1,"tid":1,"ts":1e999,"dur":1e999}]}
	EOF
	run "$TIMELINE" "$in" -o "$out"
	[ "$status" -eq 0 ]
	# A double that no int holds, converted anyway, showed as these.
	run grep -E -e 'nan|inf|-2147483648|9,223,372' "$out"
	[ "$status" -eq 1 ]
}

@test "timeline: bad options are a usage error" {
	run "$TIMELINE"
	[ "$status" -eq 2 ]
	[[ $output == usage:* ]]
	run "$TIMELINE" "$FIXTURE" --width lots
	[ "$status" -eq 2 ]
	[[ $output == "timeline: bad --width 'lots' (want 640..8000)"* ]]
	run "$TIMELINE" "$FIXTURE" --from soon
	[ "$status" -eq 1 ]
	[[ $output == *"--from: 'soon' is not a number"* ]]
	run "$TIMELINE" "$FIXTURE" --from 10 --to 5
	[ "$status" -eq 1 ]
}

@test "timeline: a real run of the newest step, /work 100 on a pool lane and /block 100 on the loop" {
	"$STEP_BIN" --help 2>&1 | grep -q -- --trace-events || skip "$STEP has no --trace-events yet"
	local json=$BATS_TEST_TMPDIR/run.json probe worker
	start_server --trace-events "$json"
	connect_fd probe
	connect_fd worker
	say "$worker" "/work 100"
	hear "$worker" 10
	say "$probe" "/block 100"
	hear "$probe" 10
	# The reply to one more command means every earlier tick is in the file.
	say "$probe" "/stats"
	hear "$probe" 10
	kill_started
	run "$TIMELINE" "$json" -o "$BATS_TEST_TMPDIR/run.svg"
	echo "$output"
	[ "$status" -eq 0 ]
	svg=$(cat "$BATS_TEST_TMPDIR/run.svg")
	grep -q 'data-lane="loop"' <<<"$svg"
	grep -q 'data-lane="pool-1"' <<<"$svg"
	grep -Eq '<rect class="job" [^>]*><title>/work 100 · 1[0-9][0-9] ms' <<<"$svg"
	# /block counts whole ms of the loop's clock, so it may spin 99.x ms.
	grep -Eq '<rect class="io" [^>]*><title>io fd [0-9]+ \(conn\) · (99|1[0-9][0-9]) ms' <<<"$svg"
}

@test "timeline: names are decoded from JSON and escaped for SVG" {
	printf '%s\n' '{"traceEvents":[' \
		'{"ph":"M","name":"thread_name","pid":1,"tid":1,"args":{"name":"loop"}},' \
		'{"ph":"X","cat":"io","name":"io <fd> \"7\" & caf\u00e9 \ud83d\ude00","pid":1,"tid":1,"ts":0,"dur":900000},' \
		'{"ph":"X","cat":"loop","name":"poll wait=forever","pid":1,"tid":1,"ts":900000,"dur":100000}' \
		']}' >"$BATS_TEST_TMPDIR/names.json"
	run "$TIMELINE" "$BATS_TEST_TMPDIR/names.json" -o "$BATS_TEST_TMPDIR/names.svg"
	[ "$status" -eq 0 ]
	grep -qF '>io &lt;fd&gt; &quot;7&quot; &amp; café 😀 · 900 ms</text>' "$BATS_TEST_TMPDIR/names.svg"
}

@test "timeline: whatever the names hold, the SVG is well-formed XML" {
	local in=$BATS_TEST_TMPDIR/bad.json out=$BATS_TEST_TMPDIR/bad.svg
	long=$(printf '\u00e9%.0s' {1..200}) euro=$(printf '€%.0s' {1..90})
	# U+FFFE and U+FFFF, C0 controls, lone surrogates, a name cut by the
	# reader's buffer inside a character; and a title longer than it may be.
	cat >"$in" <<-EOF
	{"traceEvents":[{"ph":"M","name":"thread_name","pid":1,"tid":1,"args":{"name":"loop"}},
	{"ph":"M","name":"thread_name","pid":1,"tid":2,"args":{"name":"pool\\uffff1"}},
	{"ph":"X","cat":"io","name":"io \\ufffe\\uffff \\u0001\\u001f\\u0008\\u000b \\ud800 \\udc00x \\ud83d","pid":1,"tid":1,"ts":0,"dur":900000},
	{"ph":"X","cat":"pool","name":"lookup $long","pid":1,"tid":2,"ts":0,"dur":900000},
	{"ph":"b","cat":"dns","name":"resolve $euro","pid":1,"tid":1,"ts":0,"id":1},
	{"ph":"e","cat":"dns","name":"resolve $euro","pid":1,"tid":1,"ts":800000,"id":1,"args":{"answer":"$euro"}},
	{"ph":"X","cat":"loop","name":"poll wait=forever","pid":1,"tid":1,"ts":900000,"dur":100000}]}
	EOF
	run "$TIMELINE" "$in" -o "$out" --title "$euro$euro"
	[ "$status" -eq 0 ]
	run well_formed "$out"
	echo "$output"
	[ "$status" -eq 0 ]
	# What XML forbids is shown as U+FFFD, as a browser shows a bad byte.
	grep -q 'data-lane="pool�1"' "$out"
	grep -q '<title>io �� ' "$out"
}

@test "timeline: a /resolve query's answer is on its bar, as the recorder writes it" {
	local in=$BATS_TEST_TMPDIR/dns.json out=$BATS_TEST_TMPDIR/dns.svg
	cat >"$in" <<-'EOF'
	{"traceEvents":[{"ph":"M","name":"thread_name","pid":1,"tid":1,"args":{"name":"loop"}},
	{"ph":"b","cat":"dns","name":"resolve slow.test","pid":1,"tid":1,"ts":0,"id":1},
	{"ph":"b","cat":"dns","name":"resolve gone.test","pid":1,"tid":1,"ts":0,"id":2},
	{"ph":"n","cat":"dns","name":"try 2 over UDP","pid":1,"tid":1,"ts":500000,"id":2},
	{"ph":"e","cat":"dns","name":"resolve slow.test","pid":1,"tid":1,"ts":1000000,"id":1,"args":{"answer":"ok"}},
	{"ph":"e","cat":"dns","name":"resolve gone.test","pid":1,"tid":1,"ts":1000000,"id":2,"args":{"answer":"timeout"}},
	{"ph":"X","cat":"loop","name":"poll wait=forever","pid":1,"tid":1,"ts":0,"dur":1000000}]}
	EOF
	run "$TIMELINE" "$in" -o "$out"
	[ "$status" -eq 0 ]
	grep -q '<title>resolve slow.test · 1000 ms · ok</title>' "$out"
	grep -q '<title>resolve gone.test · 1000 ms · timeout</title>' "$out"
	grep -q 'class="note"' "$out"
}
