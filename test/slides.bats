#!/usr/bin/env bats
# steps: once
# slides.md is the talk, a Marp deck. Its code slides show the real code of each
# step, copied and marked in the fence (```c excerpt=FILE); tools/check-slides
# proves every copy still matches. tools/check-render lays the deck out in
# headless Chromium and proves every slide fits its 1280×720 frame with code at
# 20 px or more, and that every slide has presenter notes; tools/check-numbers
# proves the figures quoted from make bench are bench/results.md's. These tests
# run those checks, prove each can fail, and hold the talk to its shape.

load helpers

setup() {
	SLIDES=$KIT_ROOT/slides.md
	RENDER_SKIP=77
}

# slide_titles FILE — the first line of every slide that is neither blank nor
# a comment (slides are separated by `---` lines outside code blocks and the
# front matter; a slide may open with a Marp directive such as _class).
slide_titles() {
	awk '
		NR == 1 && $0 == "---" { front = 1; next }
		front { if ($0 == "---") { front = 0; want = 1 } next }
		/^```/ { code = !code }
		!code && $0 == "---" { want = 1; next }
		want && /^<!--.*-->[ \t]*$/ { next }
		want && /[^ \t]/ { print; want = 0 }
	' "$1"
}

# render ARGS... — runs tools/check-render, skipping the test (with the reason
# it printed) when Chromium or node_modules is missing.
render() {
	needs node nodejs
	[ -n "${CHROME_PATH:-}" ] || command -v chromium >/dev/null ||
		skip "no Chromium to render with (apt install chromium)"
	CHROME_PATH=${CHROME_PATH:-$(command -v chromium)} run "$KIT_ROOT/tools/check-render" "$@"
	echo "$output"
	if [ "$status" -eq "$RENDER_SKIP" ]; then
		skip "${output#check-render: skipped: }"
	fi
}

@test "every excerpt in slides.md matches its source file" {
	run "$KIT_ROOT/tools/check-slides"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"ok slides.md:"* ]]
	[[ $output != *STALE* ]]
}

@test "the checker fails when an excerpt no longer matches its file" {
	local copy=$BATS_TEST_TMPDIR/slides.md marker
	cp "$SLIDES" "$copy"
	marker=$(grep -n -m 1 '^```c excerpt=' "$copy" | cut -d: -f1)
	[ -n "$marker" ]
	# The marked fence, then the code: alter its third line.
	sed -i "$((marker + 3))s/\$/ \/* altered *\//" "$copy"
	run "$KIT_ROOT/tools/check-slides" "$copy" "$KIT_ROOT"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"STALE slides.md:$marker "*"first differing line: excerpt line 3 "* ]]

	# ...and when a marked file does not exist.
	cp "$SLIDES" "$copy"
	sed -i "${marker}s|excerpt=[^ ]*|excerpt=02-epoll-echo/no-such-file.c|" "$copy"
	run "$KIT_ROOT/tools/check-slides" "$copy" "$KIT_ROOT"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"STALE slides.md:$marker 02-epoll-echo/no-such-file.c: no such file"* ]]
}

@test "an elided excerpt matches part by part, in order, and fails out of order" {
	local dir=$BATS_TEST_TMPDIR
	mkdir -p "$dir/kit"
	printf '%s\n' 'int f(void)' '{' '	int a = 1;' '	int b = 2;' '	int c = 3;' '	return a + b + c;' '}' >"$dir/kit/f.c"
	deck() {        # deck LINE... — a 30-slide deck whose first slide holds LINEs
		{
			printf '## one\n\n```c excerpt=f.c\n'
			printf '%s\n' "$@"
			printf '```\n'
			for i in $(seq 2 30); do printf -- '\n---\n\n## slide %d\n' "$i"; done
		} >"$dir/slides.md"
	}
	deck 'int f(void)' '{' '	/* ... */' '	int c = 3;' '	return a + b + c;'
	run "$KIT_ROOT/tools/check-slides" "$dir/slides.md" "$dir/kit"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"ok slides.md:3 f.c:1-6"* ]]

	# The parts exist, but not in this order.
	deck '	int c = 3;' '/* ... */' '	int a = 1;'
	run "$KIT_ROOT/tools/check-slides" "$dir/slides.md" "$dir/kit"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"STALE slides.md:3 f.c: first differing line: excerpt line 3 "*"after the part before it"* ]]

	# The old marker, an HTML comment, would show as a presenter note.
	sed -i '3s/.*/<!-- excerpt: f.c -->\n```c/' "$dir/slides.md"
	run "$KIT_ROOT/tools/check-slides" "$dir/slides.md" "$dir/kit"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"old marker form"* ]]
}

@test "slides.md is a Marp deck: front matter, the kit's theme, slide numbers" {
	[ "$(sed -n 1p "$SLIDES")" = --- ]
	run awk 'NR > 1 && $0 == "---" { exit } NR > 1 { print }' "$SLIDES"
	echo "$output"
	[[ $output == *"marp: true"* ]]
	[[ $output == *"paginate: true"* ]]
	[[ $output == *"theme: kit"* ]]
	grep -q '@theme kit' "$KIT_ROOT/slides/theme.css"
	grep -q 'tab-size: 4' "$KIT_ROOT/slides/theme.css"
	# Marp shrinks code silently in a theme that declares auto-scaling.
	run grep -c '@auto-scaling' "$KIT_ROOT/slides/theme.css"
	[ "$output" = 0 ]
	grep -q 'slides/theme.css' "$KIT_ROOT/.marprc.yml"
}

@test "slides.md has at least 30 slides, each starting with a title" {
	local count
	count=$(slide_titles "$SLIDES" | wc -l)
	echo "slides: $count"
	[ "$count" -ge 30 ]
	run bash -c "$(declare -f slide_titles); slide_titles '$SLIDES' | grep -v '^##\? '"
	echo "slides without a '# ' or '## ' title: $output"
	[ -z "$output" ]
}

@test "every step 01..08 has an excerpt and a divider slide saying what to run and which exercise" {
	local step missing=""
	for step in 01-thread-per-conn 02-epoll-echo 03-timers 04-threadpool-fs \
		05-self-pipe 06-signals 07-children 08-dns; do
		grep -q "^\`\`\`c excerpt=$step/" "$SLIDES" || missing="$missing $step(excerpt)"
		# The divider: its class, then a Run line and the step's exercise check.
		awk -v step="$step" -v num="${step%%-*}" '
			/^---$/ { if (d && run && ex) ok = 1; d = run = ex = 0 }
			/<!-- _class: divider -->/ { d = 1 }
			d && /^# Step / && index($0, num) { mine = 1 }
			d && /^\*\*Run:\*\*/ { run = 1 }
			d && index($0, "make -C " step " exercise") { ex = 1 }
			END { if (d && run && ex) ok = 1; exit !(ok) }
		' "$SLIDES" || missing="$missing $step(divider)"
	done
	echo "missing:${missing:- none}"
	[ -z "$missing" ]
}

@test "no code block on a slide is longer than 15 lines (split the slide, or elide with /* ... */)" {
	run awk '/^```/ { if (code) { if (n > 15) print FILENAME ":" start ": " n " lines"; code = 0 }
			  else { code = 1; n = 0; start = NR } next }
		 code { n++ }' "$SLIDES"
	echo "$output"
	[ -z "$output" ]
}

@test "slides.md has no HTML but comments (notes, Marp directives)" {
	run awk '
		/^```/ { code = !code; next }
		code { next }
		/<!--/ { comment = 1 }
		comment { if (/-->/) comment = 0; next }
		/<[A-Za-z\/]/ { print FILENAME ":" NR ": " $0 }
	' "$SLIDES"
	echo "$output"
	[ -z "$output" ]
}

@test "every slide has presenter notes, and no note is an excerpt marker" {
	render --notes
	[ "$status" -eq 0 ]
	[[ $output == *" 0 without a proper note"* ]]
}

@test "the notes check fails on a slide without notes" {
	local copy=$BATS_TEST_TMPDIR/slides.md
	cp "$SLIDES" "$copy"
	printf '\n---\n\n## A slide nobody wrote notes for\n\nText.\n' >>"$copy"
	render --notes "$copy"
	[ "$status" -eq 1 ]
	[[ $output == *'NO-NOTE '*'"A slide nobody wrote notes for"'* ]]
}

@test "every slide fits its 1280x720 frame, with code at 20 px or more" {
	render
	[ "$status" -eq 0 ]
	[[ $output == *" 0 overflowing, 0 with small code"* ]]
	[[ $output != *OVERFLOW* ]]
	[[ $output != *SMALL* ]]
}

@test "the render check fails on an overflowing slide and on shrunk code, naming them" {
	local copy=$BATS_TEST_TMPDIR/slides.md
	cp "$SLIDES" "$copy"
	{
		printf '\n---\n\n## Far too much code\n\n```c\n'
		for i in $(seq 1 30); do printf 'int line_%d;\n' "$i"; done
		printf '```\n\n<!-- Notes. -->\n'
		printf '\n---\n\n<!-- _class: tiny -->\n\n## Tiny code\n\n'
		printf '```c\nint tiny;\n```\n\n<!-- Notes. -->\n'
		printf '\n---\n\n## A line too long\n\n```c\n'
		printf 'int x; /* %s */\n' "$(printf 'wide%.0s ' $(seq 1 40))"
		printf '```\n\n<!-- Notes. -->\n'
	} >>"$copy"
	# A theme that shrinks code on one class of slide.
	cp "$KIT_ROOT/slides/theme.css" "$BATS_TEST_TMPDIR/theme.css"
	echo 'section.tiny pre code { font-size: 14px; }' >>"$BATS_TEST_TMPDIR/theme.css"
	local n
	n=$(slide_titles "$copy" | wc -l)
	render --theme "$BATS_TEST_TMPDIR/theme.css" "$copy"
	[ "$status" -eq 1 ]
	[[ $output == *"OVERFLOW $((n - 2)) \"Far too much code\": <pre>"* ]]
	[[ $output == *"SMALL $((n - 1)) \"Tiny code\": "*"code at 14.0 px"* ]]
	[[ $output == *"OVERFLOW $n \"A line too long\": "*"a line too long"* ]]
	[[ $output == *" 2 overflowing, 1 with small code"* ]]

	# Marp's auto-scaling, which shrinks code to fit, is caught as such.
	sed -i 's/@theme kit/@theme kit\n * @auto-scaling true/' "$BATS_TEST_TMPDIR/theme.css"
	render --theme "$BATS_TEST_TMPDIR/theme.css" "$SLIDES"
	[ "$status" -eq 1 ]
	[[ $output == *"Marp's auto-scaling is on"* ]]
}

@test "every figure the slides quote from make bench is in bench/results.md" {
	run "$KIT_ROOT/tools/check-numbers"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *" 0 untrue"* ]]
	[[ $output == *'"Answer 3: why does Node "scale well"? (memory)": '* ]]
}

@test "the numbers check fails on a figure results.md does not have" {
	local copy=$BATS_TEST_TMPDIR/slides.md
	cp "$SLIDES" "$copy"
	# The mistake slides.md once made: 121.4 MiB where the results say 121.5.
	sed -i '0,/| 10,001 | 121.5 MiB |/s//| 10,001 | 121.4 MiB |/' "$copy"
	run "$KIT_ROOT/tools/check-numbers" "$copy"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *'UNTRUE slides.md:'*'"121.4 MiB" is not in bench/results.md'* ]]
	# ...and on a bare number in a table cell.
	cp "$SLIDES" "$copy"
	sed -i 's/| 100 | 121,883 |/| 100 | 121,884 |/' "$copy"
	run "$KIT_ROOT/tools/check-numbers" "$copy"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *'"121,884" is not in bench/results.md'* ]]
}

@test "make slides renders slides.html with every slide" {
	needs node nodejs
	[ -f "$KIT_ROOT/node_modules/@marp-team/marp-cli/marp-cli.js" ] ||
		skip "node_modules is missing: run npm ci"
	local out=$BATS_TEST_TMPDIR/out
	CHROME_PATH=/nonexistent run "$KIT_ROOT/tools/slides" "$out"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"no PDF: no Chromium at /nonexistent"* ]]
	[ "$(grep -o '<section[ >]' "$out/slides.html" | wc -l)" -eq "$(slide_titles "$SLIDES" | wc -l)" ]
	# The excerpt markers are not on any slide.
	run grep -c 'excerpt=' "$out/slides.html"
	[ "$output" = 0 ]
}

@test "WORKSHOP.md times every slide of the talk, 40 minutes in all, and the workshop to 3 hours" {
	local plan=$KIT_ROOT/WORKSHOP.md
	# The talk's table: | N | title | m:ss | at |, one row per slide, in order.
	run bash -c "$(declare -f slide_titles); paste -d '\t' \
		<(slide_titles '$SLIDES' | sed 's/^#* //') \
		<(awk -F' [|] ' '/^[|] [0-9]+ [|] / { print \$2 }' '$plan' | sed 's/\\\\|/|/g') |
		awk -F'\t' '\$1 != \$2 { print NR \": slide \\\"\" \$1 \"\\\", plan \\\"\" \$2 \"\\\"\" }'"
	echo "$output"
	[ -z "$output" ] || { echo "WORKSHOP.md is stale: run tools/time-plan --write"; false; }
	run awk -F' [|] ' '/^[|] [0-9]+ [|] / { split($3, t, ":"); s += t[1] * 60 + t[2]; last = $4 }
		END { printf "%d %s\n", s, last }' "$plan"
	echo "talk: $output"
	[ "$output" = "2400 40:00 |" ]
	# The workshop's table: its rows' minutes add up to three hours.
	run awk -F' [|] ' '/^[|] [0-9]:[0-9][0-9] [|] [0-9]+ min/ { s += $2 + 0 } END { print s }' "$plan"
	echo "workshop: $output minutes"
	[ "$output" = 180 ]
}
