#!/usr/bin/env bats
# steps: once
# slides.md is the talk. Its code slides show the real code of each step, copied
# and marked `<!-- excerpt: FILE -->`; tools/check-slides proves every copy still
# matches its file. These tests run that check, prove it can fail, and hold the
# talk to its shape: 30 slides or more, each with a title, every step quoted.

load helpers

setup() {
	SLIDES=$KIT_ROOT/slides.md
}

# slide_titles FILE — the first non-blank line of every slide (slides are
# separated by `---` lines outside code blocks).
slide_titles() {
	awk '
		BEGIN { want = 1 }
		/^```/ { code = !code }
		!code && $0 == "---" { want = 1; next }
		want && /[^ \t]/ { print; want = 0 }
	' "$1"
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
	marker=$(grep -n -m 1 '^<!-- excerpt: ' "$copy" | cut -d: -f1)
	[ -n "$marker" ]
	# The marker, the ```c line, then the code: alter its third line.
	sed -i "$((marker + 4))s/\$/ \/* altered *\//" "$copy"
	run "$KIT_ROOT/tools/check-slides" "$copy" "$KIT_ROOT"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"STALE slides.md:$marker "*"first differing line: excerpt line 3 "* ]]

	# ...and when a marked file does not exist.
	cp "$SLIDES" "$copy"
	sed -i "${marker}s|<!-- excerpt: [^ ]*|<!-- excerpt: 02-epoll-echo/no-such-file.c|" "$copy"
	run "$KIT_ROOT/tools/check-slides" "$copy" "$KIT_ROOT"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"STALE slides.md:$marker 02-epoll-echo/no-such-file.c: no such file"* ]]
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

@test "every step 01..08 has at least one excerpt in slides.md" {
	local step missing=""
	for step in 01-thread-per-conn 02-epoll-echo 03-timers 04-threadpool-fs \
		05-self-pipe 06-signals 07-children 08-dns; do
		grep -q "^<!-- excerpt: $step/" "$SLIDES" || missing="$missing $step"
	done
	echo "steps without an excerpt:${missing:- none}"
	[ -z "$missing" ]
}

@test "slides.md has no HTML but the excerpt markers" {
	run awk '
		/^```/ { code = !code; next }
		code || /^<!-- excerpt: [^ ]+ -->[ \t]*$/ { next }
		/<[A-Za-z!\/]/ { print FILENAME ":" NR ": " $0 }
	' "$SLIDES"
	echo "$output"
	[ -z "$output" ]
}
