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

# well_formed SVG... — each file is well-formed XML (tools/svg-check), and,
# checked apart from it, its bytes are UTF-8 (iconv) with none of the
# characters XML forbids that UTF-8 allows (C0 controls but tab, LF and CR;
# U+FFFE and U+FFFF).
well_formed() {
	local f
	for f in "$@"; do
		iconv -f UTF-8 -t UTF-8 "$f" >/dev/null || { echo "$f: not UTF-8"; return 1; }
		if LC_ALL=C grep -q $'[\x01-\x08\x0b\x0c\x0e-\x1f]\|\xef\xbf[\xbe\xbf]' "$f"; then
			echo "$f: a character XML forbids"
			return 1
		fi
	done
	"$BIN_DIR/tools/svg-check" "$@"
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
	# The plot is 1280 - 170 - 20 = 1090 px wide for the fixture's 1,343 ms.
	w=$(grep -o '<rect class="job" [^>]*' "$BATS_TEST_TMPDIR/t.svg" | sed 's/.*width="\([0-9.]*\)".*/\1/')
	awk -v w="$w" 'BEGIN { want = 500 / 1343.8 * 1090; exit !(w > want - 3 && w < want + 3) }'
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
	grep -q ', 48000 events, ' "$BATS_TEST_TMPDIR/big.svg"
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
	grep -Eq '<rect class="io" [^>]*><title>io fd [0-9]+ \(conn\) · /block 100 · (99|1[0-9][0-9]) ms' <<<"$svg"
	# The slices that bind arrows (submit, complete, wakeup) are no loop work.
	if grep -q '<rect class="other' <<<"$svg"; then false; fi
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

# spans_trace MODE N — N spans that no end matches (unmatched), N spans ended
# oldest-first (oldest), or N threads of 4 jobs each (threads), as awk writes.
spans_trace() {
	awk -v mode="$1" -v n="$2" 'BEGIN {
		printf "{\"traceEvents\":[\n{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":1,\"tid\":1,\"args\":{\"name\":\"loop\"}}"
		if (mode == "unmatched") {
			for (i = 1; i <= n; i++) printf ",\n{\"ph\":\"b\",\"cat\":\"dns\",\"name\":\"resolve a.test\",\"pid\":1,\"tid\":1,\"ts\":%d,\"id\":%d}", i, i
			for (i = 1; i <= n; i++) printf ",\n{\"ph\":\"e\",\"cat\":\"dns\",\"name\":\"resolve a.test\",\"pid\":1,\"tid\":1,\"ts\":%d,\"id\":%d}", n + i, n + i
		} else if (mode == "oldest") {
			for (i = 1; i <= n; i++) printf ",\n{\"ph\":\"b\",\"cat\":\"process\",\"name\":\"child %d true\",\"pid\":1,\"tid\":1,\"ts\":%d,\"id\":%d}", i, i, i
			for (i = 1; i <= n; i++) printf ",\n{\"ph\":\"e\",\"cat\":\"process\",\"name\":\"child %d true\",\"pid\":1,\"tid\":1,\"ts\":%d,\"id\":%d,\"args\":{\"exit\":0}}", i, n + i, i
		} else {
			for (k = 0; k < 4; k++) for (i = 1; i <= n; i++) printf ",\n{\"ph\":\"X\",\"cat\":\"pool\",\"name\":\"/work 1\",\"pid\":1,\"tid\":%d,\"ts\":%d,\"dur\":1}", i + 1, (k * n + i) * 10
		}
		printf "\n]}\n"
	}'
}

@test "timeline: 100,000 unmatched ends, 200,000 spans ended oldest-first, 40,000 threads: read in linear time" {
	local d=$BATS_TEST_TMPDIR
	spans_trace unmatched 100000 >"$d/unmatched.json"
	spans_trace oldest 200000 >"$d/oldest.json"
	spans_trace threads 40000 >"$d/threads.json"
	# A scan per event took 9, 43 and 6 s of CPU for these on a 2-core VM; a
	# lookup by hash, 0.7, 1.5 and 0.9 s. CPU time, not the clock's: a loaded
	# machine stretches the one, not the other.
	TIMEFORMAT='%U %S'
	cpu=$( { time for f in unmatched oldest threads; do
		timeout 120 "$TIMELINE" "$d/$f.json" -o "$d/$f.svg" >&2 || echo "$f: failed" >&2
	done; } 2>&1 )
	echo "$cpu"
	[[ $cpu != *failed* ]]
	tail -n 1 <<<"$cpu" | awk '{ exit !($1 + $2 < 10) }'
	grep -q 'exit 0' "$d/oldest.svg"
	# 100,000 queries still running at once are a shade, not 100,000 bars.
	ls -l "$d"/*.svg
	[ "$(stat -c %s "$d/unmatched.svg")" -lt 400000 ]
}

@test "timeline: --height is the most it uses: 200 pool lanes, 40,000 threads" {
	local d=$BATS_TEST_TMPDIR
	awk 'BEGIN {
		printf "{\"traceEvents\":[\n{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":1,\"tid\":1,\"args\":{\"name\":\"loop\"}}"
		for (i = 1; i <= 200; i++) {
			printf ",\n{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":1,\"tid\":%d,\"args\":{\"name\":\"pool-%d\"}}", i + 1, i
			if (i <= 10)
				printf ",\n{\"ph\":\"X\",\"cat\":\"pool\",\"name\":\"/work 500\",\"pid\":1,\"tid\":%d,\"ts\":0,\"dur\":500000}", i + 1
		}
		printf ",\n{\"ph\":\"X\",\"cat\":\"loop\",\"name\":\"poll wait=forever\",\"pid\":1,\"tid\":1,\"ts\":0,\"dur\":600000}\n]}\n"
	}' >"$d/pool200.json"
	spans_trace threads 40000 >"$d/threads.json"
	for h in 520 300; do
		run "$TIMELINE" "$d/pool200.json" --height $h -o "$d/p.svg"
		[ "$status" -eq 0 ]
		height=$(sed -n 's/.*<svg [^>]* height="\([0-9]*\)".*/\1/p' "$d/p.svg")
		echo "200 pool lanes, --height $h: $height px"
		[ "$height" -le $h ]
		# The 190 idle ones are left out, and the picture says so.
		grep -q '>+ 190 idle pool threads not shown</text>' "$d/p.svg"
	done
	run "$TIMELINE" "$d/threads.json" -o "$d/t.svg"
	[ "$status" -eq 0 ]
	height=$(sed -n 's/.*<svg [^>]* height="\([0-9]*\)".*/\1/p' "$d/t.svg")
	echo "40,000 threads: $height px"
	[ "$height" -le 520 ]
	grep -Eq '>[0-9,]+ pool threads a lane, shaded by how many are busy</text>' "$d/t.svg"
	[ "$(stat -c %s "$d/t.svg")" -lt 400000 ]
}

@test "timeline: a slice is labelled by what the client asked (args.cmd), else by its name" {
	local in=$BATS_TEST_TMPDIR/cmd.json out=$BATS_TEST_TMPDIR/cmd.svg
	cat >"$in" <<-'EOF'
	{"traceEvents":[{"ph":"M","name":"thread_name","pid":1,"tid":1,"args":{"name":"loop"}},
	{"ph":"M","name":"thread_name","pid":1,"tid":2,"args":{"name":"pool-1"}},
	{"ph":"X","cat":"io","name":"io fd 21 (conn)","pid":1,"tid":1,"ts":0,"dur":800000,"args":{"events":"readable","cmd":"/block 800"}},
	{"ph":"X","cat":"io","name":"io fd 22 (conn)","pid":1,"tid":1,"ts":800000,"dur":100000,"args":{"events":"readable"}},
	{"ph":"X","cat":"pool","name":"lookup slow.test","pid":1,"tid":2,"ts":0,"dur":1000000,"args":{"queued_ms":0.01,"cmd":"/lookup slow.test"}},
	{"ph":"X","cat":"loop","name":"poll wait=forever","pid":1,"tid":1,"ts":900000,"dur":100000}]}
	EOF
	run "$TIMELINE" "$in" -o "$out"
	[ "$status" -eq 0 ]
	grep -q '>/block 800 · 800 ms</text>' "$out"
	grep -q '<title>io fd 21 (conn) · /block 800 · 800 ms</title>' "$out"
	grep -q '<title>io fd 22 (conn) · 100 ms</title>' "$out"
	grep -q '>/lookup slow.test · 1000 ms</text>' "$out"
}

@test "timeline: the slices that bind a flow to its thread are the arrow's ends, not work" {
	local in=$BATS_TEST_TMPDIR/bind.json out=$BATS_TEST_TMPDIR/bind.svg
	# A /work 500 as 05 records it: `submit` inside the io slice that submitted
	# it, `async_send` on the worker, `wakeup` in the self-pipe's callback and
	# `complete` at the start of `done` (TRACE.md), each a few µs.
	cat >"$in" <<-'EOF'
	{"traceEvents":[{"ph":"M","name":"thread_name","pid":1,"tid":1,"args":{"name":"loop"}},
	{"ph":"M","name":"thread_name","pid":1,"tid":2,"args":{"name":"pool-1"}},
	{"ph":"s","cat":"pool","name":"job","id":1,"pid":1,"tid":1,"ts":500},
	{"ph":"X","cat":"pool","name":"submit /work 500","pid":1,"tid":1,"ts":500,"dur":3,"args":{"cmd":"/work 500"}},
	{"ph":"X","cat":"io","name":"io fd 7 (conn)","pid":1,"tid":1,"ts":0,"dur":1000,"args":{"events":"readable","cmd":"/work 500"}},
	{"ph":"X","cat":"loop","name":"poll wait=forever","pid":1,"tid":1,"ts":1000,"dur":499700},
	{"ph":"t","cat":"pool","name":"job","id":1,"pid":1,"tid":2,"ts":600},
	{"ph":"i","cat":"async","name":"async_send","s":"t","pid":1,"tid":2,"ts":500600},
	{"ph":"s","cat":"async","name":"wakeup","id":1,"pid":1,"tid":2,"ts":500600},
	{"ph":"X","cat":"async","name":"async_send","pid":1,"tid":2,"ts":500600,"dur":2},
	{"ph":"X","cat":"pool","name":"/work 500","pid":1,"tid":2,"ts":600,"dur":500000,"args":{"queued_ms":0.1,"cmd":"/work 500"}},
	{"ph":"f","cat":"async","name":"wakeup","id":1,"bp":"e","pid":1,"tid":1,"ts":500705},
	{"ph":"X","cat":"async","name":"wakeup","pid":1,"tid":1,"ts":500705,"dur":2,"args":{"sends":1}},
	{"ph":"f","cat":"pool","name":"job","id":1,"bp":"e","pid":1,"tid":1,"ts":500710},
	{"ph":"X","cat":"pool","name":"complete /work 500","pid":1,"tid":1,"ts":500710,"dur":2},
	{"ph":"X","cat":"loop","name":"done /work 500","pid":1,"tid":1,"ts":500710,"dur":50,"args":{"cmd":"/work 500"}},
	{"ph":"X","cat":"io","name":"io fd 5 (self-pipe)","pid":1,"tid":1,"ts":500700,"dur":100,"args":{"events":"readable"}},
	{"ph":"X","cat":"loop","name":"poll wait=forever","pid":1,"tid":1,"ts":500800,"dur":100000}]}
	EOF
	run "$TIMELINE" "$in" -o "$out"
	[ "$status" -eq 0 ]
	# One job, on pool-1: none on the loop's lane, no "other work" anywhere.
	[ "$(grep -c '<rect class="job' "$out")" -eq 1 ]
	grep -q '<rect class="job" [^>]*><title>/work 500 · 500 ms</title>' "$out"
	if grep -q '<rect class="other' "$out"; then false; fi
	if grep -q 'other loop work' "$out"; then false; fi
	# The arrows are drawn still: submit → job → done, and the send's wake-up.
	[ "$(grep -c '<path class="flow-pool"' "$out")" -eq 2 ]
	[ "$(grep -c '<path class="flow-async"' "$out")" -eq 1 ]
	[ "$(grep -c '<circle class="wakeup"' "$out")" -eq 1 ]
}

@test "timeline: a label a callout line would cross starts right of the line" {
	local in=$BATS_TEST_TMPDIR/cross.json out=$BATS_TEST_TMPDIR/cross.svg
	cat >"$in" <<-'EOF'
	{"traceEvents":[{"ph":"M","name":"thread_name","pid":1,"tid":1,"args":{"name":"loop"}},
	{"ph":"M","name":"thread_name","pid":1,"tid":2,"args":{"name":"pool-1"}},
	{"ph":"X","cat":"loop","name":"poll wait=forever","pid":1,"tid":1,"ts":0,"dur":2000000},
	{"ph":"X","cat":"pool","name":"lookup slow.test","pid":1,"tid":2,"ts":0,"dur":1000000,"args":{"cmd":"/lookup slow.test"}}]}
	EOF
	run "$TIMELINE" "$in" --mark '80:/cat: 17 ms' -o "$out"
	[ "$status" -eq 0 ]
	line=$(sed -n 's/.*<g class="callout"><path d="M\([0-9.]*\) .*/\1/p' "$out")
	job=$(sed -n 's/.*<text x="\([0-9.]*\)"[^>]*>\/lookup slow.test · 1000 ms<\/text>.*/\1/p' "$out")
	poll=$(sed -n 's/.*<text x="\([0-9.]*\)"[^>]*>poll wait=forever<\/text>.*/\1/p' "$out")
	echo "callout at $line, job label at $job, poll label at $poll"
	awk -v l="$line" -v j="$job" -v p="$poll" 'BEGIN { exit !(l != "" && j > l && p > l) }'
}

@test "timeline: --mark puts a callout on the picture at its moment" {
	run "$TIMELINE" "$FIXTURE" --mark '560:the loop is free again' --mark '2000:past the end' \
		-o "$BATS_TEST_TMPDIR/m.svg"
	[ "$status" -eq 0 ]
	[ "$(grep -c '<g class="callout">' "$BATS_TEST_TMPDIR/m.svg")" -eq 1 ]
	grep -q 'font-weight="600">the loop is free again</text>' "$BATS_TEST_TMPDIR/m.svg"
	run "$TIMELINE" "$FIXTURE" --mark 'soon:text'
	[ "$status" -eq 1 ]
	run "$TIMELINE" "$FIXTURE" --mark '100'
	[ "$status" -eq 1 ]
	[[ $output == *"--mark: '100' is not MS:TEXT"* ]]
}

@test "timeline: every text is 22 px or more at 1160 wide, and every label's colour has 4.5:1 on its fill" {
	trace_of_n_ticks 2000 >"$BATS_TEST_TMPDIR/big.json"
	for in in "$FIXTURE" "$BATS_TEST_TMPDIR/big.json"; do
		"$TIMELINE" "$in" -o "$BATS_TEST_TMPDIR/r.svg" --mark '50:a mark'
		grep -q 'viewBox="0 0 1160 ' "$BATS_TEST_TMPDIR/r.svg"
		sizes=$(grep -o 'font-size="[0-9]*"' "$BATS_TEST_TMPDIR/r.svg" | sort -u | tr -dc '0-9 \n')
		echo "font sizes: $sizes"
		for s in $sizes; do [ "$s" -ge 22 ]; done
	done
	# The fills labels sit on, and the label colours, as WCAG counts contrast.
	awk 'function hex(s) { return (index("0123456789abcdef", substr(s, 1, 1)) - 1) * 16 + index("0123456789abcdef", substr(s, 2, 1)) - 1 }
	function lin(c) { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ^ 2.4 }
	function lum(h,  r, g, b) { r = hex(substr(h, 2, 2)); g = hex(substr(h, 4, 2)); b = hex(substr(h, 6, 2))
		return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b) }
	function ratio(a, b,  x, y) { x = lum(a) + 0.05; y = lum(b) + 0.05; return x > y ? x / y : y / x }
	BEGIN { bad = 0
		n = split("#ffffff:#00775a #ffffff:#0072b2 #ffffff:#003d2c #ffffff:#5b6673 #ffffff:#6a51a3 #1f2933:#d3dce6 #1f2933:#e69f00 #1f2933:#cc79a7 #1f2933:#56b4e9 #1f2933:#8fd3ba #52606d:#ffffff #a33f00:#ffffff #a33f00:#f5f7fa", p, " ")
		for (i = 1; i <= n; i++) { split(p[i], c, ":"); r = ratio(c[1], c[2]); printf "%s on %s: %.2f\n", c[1], c[2], r; if (r < 4.5) bad = 1 }
		exit bad }'
	# Those are the ones lanes.c draws.
	for c in '#00775a' '#003d2c' '#5b6673'; do grep -q "\"$c\"" "$KIT_ROOT/tools/lanes.c"; done
}

@test "timeline: the demo's callouts come from the run: trace_ms finds an event's moment in a trace" {
	mkdir -p "$BATS_TEST_TMPDIR/traces"
	cp "$FIXTURE" "$BATS_TEST_TMPDIR/traces/t.json"
	run env LIB_WORK="$BATS_TEST_TMPDIR" LIB_TRACES="$BATS_TEST_TMPDIR/traces" bash -c '
		. "$0/tools/lib.bash"
		trace_ms t "\"name\":\"/work 500\""
		trace_ms t "\"name\":\"/work 500\"" queued
		trace_ms t "no such event"' "$KIT_ROOT"
	[ "$status" -eq 0 ]
	# The fixture's first event is at 1,000,000 µs, /work 500 at 1,563,290
	# after 0.08 ms in the queue.
	[ "$output" = "$(printf '563\n563')" ]
}
