#!/usr/bin/env bats
# steps: once
# Read from the back row: tools/check-render lays every cut of the deck out in
# headless Chromium at 1280×720 and measures body text (24 px), code (22 px),
# every label of every picture as the slide draws it (20 px), the contrast of
# all of it (4.5:1), code slides in the talk cuts (12 lines) and tracing lines
# on any code slide. These tests make each check fail on a small deck of their
# own, show that it measures rather than guesses (a picture scaled by its width,
# one scaled by its height), and hold the kit's own cuts to all of it.

load helpers

setup() {
	DIR=$BATS_TEST_TMPDIR
	mkdir -p "$DIR/pictures"
	# A theme with a few classes that break the rules, one at a time.
	cp "$KIT_ROOT/slides/theme.css" "$DIR/theme.css"
	cat >>"$DIR/theme.css" <<-'CSS'
		section.tinytext p { font-size: 18px; }
		section.tinycode pre code { font-size: 16px; }
		section.pale p { color: #a0a8b0; }
	CSS
}

# render ARGS... — runs tools/check-render, skipping the test (with the package
# to install) when Chromium or node_modules is missing.
render() {
	needs node nodejs
	run "$KIT_ROOT/tools/check-render" "$@"
	echo "$output"
	if [ "$status" -eq 77 ]; then
		skip "${output#check-render: skipped: } (apt install chromium; npm ci)"
	fi
}

# picture FILE W H TEXT... — an SVG of viewBox W × H whose texts are TEXT
# (each a whole <text> or <rect> element), on white.
picture() {
	local file=$1 w=$2 h=$3
	shift 3
	{
		printf '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %s %s" width="%s" height="%s">\n' \
			"$w" "$h" "$w" "$h"
		printf '<title>fixture</title><desc>fixture</desc>\n'
		printf '<style>.label { font-size: 10px; }</style>\n'
		printf '<rect width="%s" height="%s" fill="#ffffff"/>\n' "$w" "$h"
		printf '%s\n' "$@"
		printf '</svg>\n'
	} >"$DIR/pictures/$file"
}

# deck SLIDE... — a deck in $DIR/deck.md, one slide per argument (Markdown,
# notes added).
deck() {
	{
		printf -- '---\nmarp: true\ntheme: kit\npaginate: true\n---\n'
		local first=1 s
		for s in "$@"; do
			[ "$first" ] || printf -- '\n---\n'
			first=
			printf '\n%s\n\n<!-- Say: a note. -->\n' "$s"
		done
	} >"$DIR/deck.md"
}

code_lines() {         # code_lines N [LINE] — a C fence of N lines, the last LINE
	local n=$1 last=${2:-} i
	[ -z "$last" ] || n=$((n - 1))
	printf '```c\n'
	for i in $(seq 1 "$n"); do printf 'int line_%d;\n' "$i"; done
	[ -z "$last" ] || printf '%s\n' "$last"
	printf '```'
}

@test "check-render: every cut passes: text, code, pictures, contrast, code slides" {
	render
	[ "$status" -eq 0 ]
	[[ $output == *"check-render: workshop: "*" 0 overflowing, 0 with small code, 0 with small text, 0 with small picture text, 0 with low contrast, 0 with over 12 code lines, 0 with a tracing line"* ]]
	if [ -e "$KIT_ROOT/tools/cut" ]; then
		[[ $output == *"check-render: talk-20: "*" 0 with a tracing line"* ]]
		[[ $output == *"check-render: talk-40: "*" 0 with a tracing line"* ]]
	fi
}

@test "check-render: a good deck passes, and pictures are measured as drawn (by width, by height)" {
	# 40 units of a 2000-wide picture, shown 1168 px wide: 23.4 px.
	picture wide.svg 2000 600 '<text x="20" y="80" font-size="40" fill="#1f2937">wide</text>'
	# 40 units of a 1000 × 1000 picture, shown 530 px high: 21.2 px.
	picture tall.svg 1000 1000 '<text x="20" y="80" font-size="40" fill="#1f2937">tall</text>'
	deck '<!-- _class: picture -->

## A wide picture

![wide](pictures/wide.svg)' '<!-- _class: picture -->

## A tall picture

![tall](pictures/tall.svg)' "## Some code

$(code_lines 12)"
	render --cut talk-20 --theme "$DIR/theme.css" "$DIR/deck.md"
	[ "$status" -eq 0 ]
	[[ $output == *'ok 1 "A wide picture" '*"picture text 23.4 px"* ]]
	[[ $output == *'ok 2 "A tall picture" '*"picture text 21.2 px"* ]]
	[[ $output == *'ok 3 "Some code" '*"code 22.0 px, 12 code lines"* ]]
	[[ $output == *"check-render: talk-20: 3 slides, 0 overflowing"* ]]
}

@test "check-render: body text under 24 px and code under 22 px fail, named" {
	deck '<!-- _class: tinytext -->

## Small print

Too small to read from the back.' '<!-- _class: tinycode -->

## Small code

```c
int tiny;
```'
	render --theme "$DIR/theme.css" "$DIR/deck.md"
	[ "$status" -eq 1 ]
	[[ $output == *'SMALL-TEXT 1 "Small print": <p> "Too small to read from the back.": text at 18.0 px (at least 24)'* ]]
	[[ $output == *'SMALL 2 "Small code": <code> "int tiny;": code at 16.0 px'* ]]
	[[ $output == *", 1 with small code, 1 with small text,"* ]]
}

@test "check-render: a picture whose labels are 10 px as shown fails, even when a class sets the size" {
	picture small.svg 1000 400 '<text x="20" y="80" class="label" fill="#1f2937">tiny label</text>' \
		'<text x="20" y="200" font-size="40" fill="#1f2937">big title</text>'
	deck '## A picture

![small](pictures/small.svg)'
	render --theme "$DIR/theme.css" "$DIR/deck.md"
	[ "$status" -eq 1 ]
	[[ $output == *'SMALL-PICTURE 1 "A picture": pictures/small.svg "tiny label" at 10.0 px (10.0 × 1.00)'* ]]
	[[ $output != *'"big title" at'* ]]
	[[ $output == *", 1 with small picture text,"* ]]
}

@test "check-render: low contrast fails, in a picture (white on green) and on the slide" {
	picture green.svg 1000 400 '<rect x="10" y="40" width="500" height="60" fill="#009e73"/>' \
		'<text x="20" y="80" font-size="30" fill="#ffffff">white on green</text>' \
		'<text x="20" y="200" font-size="30" fill="#1f2937">dark on white</text>'
	deck '## A green bar

![green](pictures/green.svg)' '<!-- _class: pale -->

## Pale text

Grey on white.'
	render --theme "$DIR/theme.css" "$DIR/deck.md"
	[ "$status" -eq 1 ]
	[[ $output == *'CONTRAST 1 "A green bar": pictures/green.svg "white on green": #ffffff on #009e73, 3.4:1'* ]]
	[[ $output != *'"dark on white": #'* ]]
	[[ $output == *'CONTRAST 2 "Pale text": <p> "Grey on white.": #a0a8b0 on #fdfdfb, 2.4:1'* ]]
	[[ $output == *", 2 with low contrast,"* ]]
}

@test "check-render: 13 code lines fail in a talk cut, not in the workshop deck" {
	deck "## Thirteen lines

$(code_lines 13)"
	render --cut talk-40 --theme "$DIR/theme.css" "$DIR/deck.md"
	[ "$status" -eq 1 ]
	[[ $output == *'LONG 1 "Thirteen lines": 13 lines of code on a slide of a talk cut (at most 12)'* ]]
	[[ $output == *"check-render: talk-40: 1 slides, "*", 1 with over 12 code lines,"* ]]
	render --cut workshop --theme "$DIR/theme.css" "$DIR/deck.md"
	[ "$status" -eq 0 ]
	[[ $output == *'ok 1 "Thirteen lines" '*"13 code lines"* ]]
}

@test "check-render: a tracing line on a code slide fails in every cut" {
	deck "## The loop

$(code_lines 4 '	if (trace_events) on_ready_traced(ev);')"
	local cut
	for cut in workshop talk-20; do
		render --cut "$cut" --theme "$DIR/theme.css" "$DIR/deck.md"
		[ "$status" -eq 1 ]
		[[ $output == *'TRACE 1 "The loop": a tracing line on a code slide: line 4: if (trace_events) on_ready_traced(ev);'* ]]
		[[ $output == *", 1 with a tracing line"* ]]
	done
}

@test "check-render: an unknown cut is refused; no Chromium is a skip (77) that says what to install" {
	needs node nodejs
	run "$KIT_ROOT/tools/check-render" --cut talk-90
	echo "$output"
	[ "$status" -eq 2 ]
	[[ $output == *"no cut 'talk-90' (talk-20, talk-40, workshop)"* ]]
	[ -d "$KIT_ROOT/node_modules/@marp-team/marp-core" ] || skip "node_modules is missing (npm ci)"
	deck '## One'
	CHROME_PATH=/nonexistent run "$KIT_ROOT/tools/check-render" "$DIR/deck.md"
	echo "$output"
	[ "$status" -eq 77 ]
	[[ $output == *"no Chromium at /nonexistent: install it (Debian: apt install chromium)"* ]]
}
