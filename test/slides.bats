#!/usr/bin/env bats
# steps: once
# slides.md is the talk, a Marp deck. Its code slides show the real code of each
# step, copied and marked in the fence (```c excerpt=FILE); tools/check-slides
# proves every copy still matches. tools/check-render lays the deck out in
# headless Chromium: that every slide of every cut fits its 1280×720 frame and
# can be read from the back row is test/render.bats; here, that every slide has
# presenter notes and that an overflow is caught; tools/check-numbers
# proves the figures quoted from make bench are bench/results.md's. These tests
# run those checks, prove each can fail, and hold the talk to its shape. tools/cut
# writes the three decks slides.md holds: the 20- and 40-minute talks and the
# workshop; the tests below hold each to its slot.

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

# (Every cut fitting its frame, its text, code and pictures large enough, is
# test/render.bats' "every cut passes"; small code and text failing, named, is
# render.bats too. What it does not make fail is here.)
@test "the render check fails on an overflowing slide and on Marp's auto-scaling, naming them" {
	local deck=$BATS_TEST_TMPDIR/deck.md
	{
		printf -- '---\nmarp: true\ntheme: kit\npaginate: true\n---\n\n## Fits\n\n<!-- Notes. -->\n'
		printf '\n---\n\n## Far too much code\n\n```c\n'
		for i in $(seq 1 30); do printf 'int line_%d;\n' "$i"; done
		printf '```\n\n<!-- Notes. -->\n'
		printf '\n---\n\n## A line too long\n\n```c\n'
		printf 'int x; /* %s */\n' "$(printf 'wide%.0s ' $(seq 1 40))"
		printf '```\n\n<!-- Notes. -->\n'
	} >"$deck"
	render "$deck"
	[ "$status" -eq 1 ]
	[[ $output == *'ok 1 "Fits"'* ]]
	[[ $output == *'OVERFLOW 2 "Far too much code": <pre>'* ]]
	[[ $output == *'OVERFLOW 3 "A line too long": '*"a line too long"* ]]
	[[ $output == *"check-render: workshop: 3 slides, 2 overflowing, 0 with small code"* ]]

	# Marp's auto-scaling, which shrinks code to fit, is caught as such.
	cp "$KIT_ROOT/slides/theme.css" "$BATS_TEST_TMPDIR/theme.css"
	sed -i 's/@theme kit/@theme kit\n * @auto-scaling true/' "$BATS_TEST_TMPDIR/theme.css"
	render --theme "$BATS_TEST_TMPDIR/theme.css" "$deck"
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

@test "make slides renders the three decks, each with its slides and none of the markers" {
	needs node nodejs
	[ -f "$KIT_ROOT/node_modules/@marp-team/marp-cli/marp-cli.js" ] ||
		skip "node_modules is missing: run npm ci"
	local out=$BATS_TEST_TMPDIR/out cut
	CHROME_PATH=/nonexistent run "$KIT_ROOT/tools/slides" "$out"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"no PDF: no Chromium at /nonexistent"* ]]
	for cut in talk-20 talk-40 workshop; do
		"$KIT_ROOT/tools/cut" "$cut" >"$BATS_TEST_TMPDIR/$cut.md"
		[ "$(grep -o '<section[ >]' "$out/$cut.html" | wc -l)" -eq "$(slide_titles "$BATS_TEST_TMPDIR/$cut.md" | wc -l)" ]
		# Neither the excerpt markers nor the cut markers are on any slide or note.
		run grep -c -e 'excerpt=' -e 'cuts:' "$out/$cut.html"
		[ "$output" = 0 ]
	done
}

# cut_stats CUT — "SLIDES DEMOS WORDS" of a cut: its slides, its live demos
# (note lines `Run: ...`, not `Run: nothing`) and the words of its spoken notes
# (the `Say:` and `Notice:` lines).
cut_stats() {
	"$KIT_ROOT/tools/cut" "$1" | awk '
		NR == 1 && $0 == "---" { front = 1; next }
		front { if ($0 == "---") front = 0; next }
		/^```/ { code = !code; next }
		code { next }
		$0 == "---" { slides++; next }
		/^(Say|Notice): / { words += split($0, w, /[ \t]+/) - 1 }
		/^Run: / && !/^Run: nothing/ { demos++ }
		END { print slides + 1, demos + 0, words + 0 }'
}

# spoken_fits SLIDES WORDS SLOT_MIN QUESTIONS_MIN — do the words of a cut, at 140
# a minute, with 5 s for each slide change, fill its slot as tools/rehearse
# plans it? At most the slot less its questions and one minute for the demos;
# at least the slot less its questions and 5 minutes, so that a speaker does not
# end the talk minutes early. Prints the bounds.
spoken_fits() {
	local slides=$1 words=$2 talk=$((($3 - $4) * 60))
	local max=$(((talk - 60 - 5 * slides) * 140 / 60)) min=$(((talk - 300 - 5 * slides) * 140 / 60))
	echo "words: $words, between $min and $max for $3 minutes with $4 of questions"
	[ "$words" -ge "$min" ] && [ "$words" -le "$max" ]
}

@test "each talk cut fits its slot: slides, live demos and spoken words within its limits" {
	local slides demos words
	read -r slides demos words < <(cut_stats talk-20)
	echo "talk-20: $slides slides, $demos demos, $words words"
	[ "$slides" -le 28 ]
	[ "$demos" -ge 1 ]
	[ "$demos" -le 2 ]
	spoken_fits "$slides" "$words" 20 3
	read -r slides demos words < <(cut_stats talk-40)
	echo "talk-40: $slides slides, $demos demos, $words words"
	[ "$slides" -le 50 ]
	[ "$demos" -ge 3 ]
	[ "$demos" -le 4 ]
	spoken_fits "$slides" "$words" 40 5
	# The workshop is every slide but the talks' own (their short dividers).
	read -r slides demos words < <(cut_stats workshop)
	echo "workshop: $slides slides, $demos demos, $words words"
	[ "$slides" -eq $(($(slide_titles "$SLIDES" | wc -l) - $(grep -c '^<!-- cuts: talk-40 -->$' "$SLIDES"))) ]
}

@test "the slot check fails on a talk that ends minutes early, or runs into its questions" {
	run spoken_fits 50 2615 40 5        # talk-40 as it once was: 22:59 of 35:00
	echo "$output"
	[ "$status" -ne 0 ]
	run spoken_fits 27 2000 20 3
	echo "$output"
	[ "$status" -ne 0 ]
	run spoken_fits 27 1800 20 3
	[ "$status" -eq 0 ]
}

@test "every cut keeps the talk's shape" {
	local cut missing title
	for cut in talk-20 talk-40 workshop; do
		"$KIT_ROOT/tools/cut" "$cut" >"$BATS_TEST_TMPDIR/$cut.md"
		missing=
		for title in 'Three questions' '01: a thread for every connection' \
			'The other way: ask the kernel what is ready' '02: the loop' "What can't be polled" \
			'Hand it to a few threads' '05: how do you wake a sleeping loop?' \
			'The least a handler can do' '07: child processes' '08: two ways to ask DNS' \
			'Answer 1: ' 'Answer 2: ' 'Answer 3: ' 'Credits, and the way on'; do
			slide_titles "$BATS_TEST_TMPDIR/$cut.md" | grep -qF "$title" || missing="$missing [$title]"
		done
		echo "$cut: missing:${missing:- none}"
		[ -z "$missing" ]
	done
}

@test "the cuts carry no marker, their code slides at most 12 lines in the talks, their dividers no workshop lines" {
	local cut
	for cut in talk-20 talk-40 workshop; do
		"$KIT_ROOT/tools/cut" "$cut" >"$BATS_TEST_TMPDIR/$cut.md"
		run grep -n -E '^<!-- cuts:|^[A-Z][a-z]+ \([a-z0-9 -]+\): ' "$BATS_TEST_TMPDIR/$cut.md"
		echo "$cut: $output"
		[ -z "$output" ]
	done
	for cut in talk-20 talk-40; do
		run awk '
			$0 == "---" && !code { slide++; divider = 0; lines = 0; next }
			/^```/ { code = !code; next }
			code { if (++lines == 13) print "slide " slide ": a code block over 12 lines"; next }
			/_class: divider/ { divider = 1 }
			divider && /^\*\*(Read|Exercise|Workshop slot):/ { print "slide " slide ": " $0 }
		' "$BATS_TEST_TMPDIR/$cut.md"
		echo "$cut: $output"
		[ -z "$output" ]
	done
}

@test "every live demo runs from the kit root on ports 9001-9009, and says what it shows" {
	run awk '
		prev_run && !/^Shows( \([a-z0-9 -]+\))?: ./ { print NR ": a Run: line without its Shows: line" }
		{ prev_run = 0 }
		/^Run( \([a-z0-9 -]+\))?: / && !/^Run: nothing/ {
			prev_run = 1
			if (index($0, "../") || / `cd /) print NR ": not from the kit root: " $0
			line = $0
			while (match(line, /(-p|--port|127\.0\.0\.1:) ?[0-9]+/)) {
				port = substr(line, RSTART, RLENGTH); sub(/.*[^0-9]/, "", port)
				if (port < 9001 || port > 9009) print NR ": port " port ": " $0
				line = substr(line, RSTART + RLENGTH)
			}
			if (!index($0, "`")) print NR ": no command: " $0
		}' "$SLIDES"
	echo "$output"
	[ -z "$output" ]
}

@test "tools/cut refuses an unknown cut, and a marker that names one" {
	run "$KIT_ROOT/tools/cut" talk-30
	echo "$output"
	[ "$status" -eq 2 ]
	[[ $output == *"no such cut: 'talk-30'"* ]]
	run "$KIT_ROOT/tools/cut"
	[ "$status" -eq 2 ]
	local copy=$BATS_TEST_TMPDIR/slides.md
	cp "$SLIDES" "$copy"
	sed -i '0,/^<!-- cuts: talk-20 talk-40 workshop -->$/s//<!-- cuts: talk-20 talk-30 -->/' "$copy"
	run "$KIT_ROOT/tools/cut" workshop "$copy"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *'slides.md:'*'no such cut: "talk-30"'* ]]
	# A note line for a cut that does not exist.
	cp "$SLIDES" "$copy"
	sed -i '0,/^Say: /s//Say (talk-60): /' "$copy"
	run "$KIT_ROOT/tools/cut" talk-20 "$copy"
	[ "$status" -eq 1 ]
	[[ $output == *'no such cut: "talk-60"'* ]]
}

@test "tools/cut keeps a slide in the cuts its marker names, and a note line in the cuts its label names" {
	local dir=$BATS_TEST_TMPDIR
	printf '%s\n' '---' 'marp: true' 'title: T' '---' '' '## everywhere' '' \
		'<!-- cuts: talk-20 talk-40 workshop -->' '' '<!--' 'Say: all.' 'Say (workshop): long.' \
		'Notice (talk-20 talk-40): short.' '-->' '' '---' '' '## workshop only' '' \
		'<!--' 'Say: w.' '-->' '' '---' '' '<!-- cuts: talk-40 -->' '' '## talk-40 only' '' \
		'```' '---' '```' >"$dir/s.md"
	run "$KIT_ROOT/tools/cut" talk-20 "$dir/s.md"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *'title: T (the 20-minute talk)'* ]]
	[[ $output == *'## everywhere'*'Say: all.'*'Notice: short.'* ]]
	[[ $output != *long.* && $output != *'workshop only'* && $output != *'talk-40 only'* ]]
	run "$KIT_ROOT/tools/cut" talk-40 "$dir/s.md"
	[[ $output == *'## everywhere'*'## talk-40 only'*'```'*'---'*'```'* ]]
	run "$KIT_ROOT/tools/cut" workshop "$dir/s.md"
	[[ $output == *'Say: long.'*'## workshop only'* ]]
	[[ $output != *short.* && $output != *'talk-40 only'* ]]
}
