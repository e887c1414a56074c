#!/usr/bin/env bats
# steps: once
# tools/rehearse gives each talk cut as its speaker will: every live demo run
# from the kit's root on the talk's ports, held to what its slide says it shows,
# every process it started ended, and the cut's time plan (spoken notes at 140
# words a minute, the demos as measured, 5 s a slide change) inside its slot with
# the questions' minutes free. These tests prove each check can fail, then
# rehearse the real cuts.

load helpers

setup() {
	REHEARSE=$KIT_ROOT/tools/rehearse
	STRAY=
	DECK=$BATS_TEST_TMPDIR/deck.md
}

teardown() {
	[ -z "${STRAY:-}" ] || kill $STRAY 2>/dev/null
	return 0
}

# deck NOTE... — a two-slide deck whose second slide has these note lines.
deck() {
	{
		printf -- '---\nmarp: true\n---\n\n# A title\n\n<!--\nSay: one two three.\n-->\n\n---\n\n## A demo\n\n<!--\n'
		printf '%s\n' "$@"
		printf -- '-->\n'
	} >"$DECK"
}

@test "rehearse: a demo that shows what its slide says passes, and is timed" {
	deck 'Say: four five.' \
		'Run: `03-timers/timers --port 9004 &` then `echo /stats | tools/client -p 9004`' \
		'Shows: handles=2 · conns=1'
	run "$REHEARSE" --no-build --deck "$DECK" talk-20
	[ "$status" -eq 0 ]
	[[ $output == *'ok   slide 2 "A demo": demo in '*' ms'* ]]
	[[ $output == *'rehearse talk-20: 2 slides, 1 demos (1 ok)'* ]]
	# nothing of the demo is left: no server on its port
	! awk 'FNR > 1 && $4 == "0A"' /proc/net/tcp | grep -qi ':232C '
}

@test "rehearse: a number outside the tolerance, or a missing fragment, fails" {
	deck 'Run: `echo "slept 1000 ms"`' 'Shows: slept 2000 ms'
	run "$REHEARSE" --no-build --deck "$DECK" talk-20
	[ "$status" -eq 1 ]
	[[ $output == *"FAIL slide 2 \"A demo\": did not show 'slept 2000 ms'"* ]]
	deck 'Run: `echo "slept 1250 ms"`' 'Shows: slept 1000 ms · wakeups=1'
	run "$REHEARSE" --no-build --deck "$DECK" talk-20
	[ "$status" -eq 1 ]
	[[ $output == *"did not show 'wakeups=1'"* ]]
	[[ $output != *"did not show 'slept"* ]]
}

@test "rehearse: a demo on a port outside 9001-9009, or with no Shows line, fails" {
	deck 'Run: `03-timers/timers --port 8000 &`' 'Shows: listening'
	run "$REHEARSE" --no-build --deck "$DECK" talk-20
	[ "$status" -eq 1 ]
	[[ $output == *"a port outside 9001-9009"* ]]
	deck 'Run: `echo hi`'
	run "$REHEARSE" --no-build --deck "$DECK" talk-20
	[ "$status" -eq 1 ]
	[[ $output == *"no Shows: line after its Run:"* ]]
}

@test "rehearse: a demo that leaves a server running fails" {
	deck 'Run: `setsid 03-timers/timers --port 9007 &`' 'Shows: listening on 127.0.0.1:9007'
	run "$REHEARSE" --no-build --deck "$DECK" talk-20
	for c in /proc/[0-9]*/cmdline; do
		tr '\0' ' ' <"$c" 2>/dev/null | grep -q '^[^ ]*timers --port 9007 $' &&
			STRAY+=" $(basename "$(dirname "$c")")"
	done
	[ "$status" -eq 1 ]
	[[ $output == *"still listening on port 9007"* ]]
}

@test "rehearse: a plan that leaves no time for questions fails" {
	words=$(printf 'word %.0s' $(seq 2500))
	deck "Say: $words"
	run "$REHEARSE" --no-build --deck "$DECK" talk-20
	[ "$status" -eq 1 ]
	[[ $output == *"of 17:00 (3:00 left for questions; "*" too long)"* ]]
}

@test "rehearse: the 20-minute talk, rehearsed: every demo shows its slide, and it fits" {
	run "$REHEARSE" --no-build talk-20
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"(3:00 left for questions, "*" spare)"* ]]
}

@test "rehearse: the 40-minute talk, rehearsed: every demo shows its slide, and it fits" {
	run "$REHEARSE" --no-build talk-40
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"(5:00 left for questions, "*" spare)"* ]]
}
