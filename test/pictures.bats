#!/usr/bin/env bats
# steps: once
# The pictures: every SVG under pictures/ is well-formed, self-contained and
# titled (so a screen reader has words for it), and every image that a
# Markdown file of the kit shows exists.

load helpers

@test "every picture is well-formed SVG with a title and a description, and loads nothing from outside" {
	shopt -s nullglob
	local svgs=("$KIT_ROOT"/pictures/*.svg)
	[ ${#svgs[@]} -gt 0 ]
	run "$BIN_DIR/tools/svg-check" "${svgs[@]}"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "svg-check refuses what is not well-formed, untitled, or not self-contained" {
	local head='<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 9 9">' name
	local -A body=(
		[ok]='<title>A dot</title><desc>One.</desc><circle r="1"/>'
		[unclosed]='<title>A dot</title><desc>One.</desc><circle r="1">'
		[unquoted]='<title>A dot</title><desc>One.</desc><circle r=1/>'
		[twice]='<title>A dot</title><desc>One.</desc><circle r="1" r="2"/>'
		[entity]='<title>A dot</title><desc>One&nbsp;dot.</desc>'
		[amp]='<title>A dot</title><desc>One & two.</desc>'
		[lt]='<title>A dot</title><desc>One.</desc><circle id="<"/>'
		[control]=$'<title>A dot</title><desc>One\x01.</desc>'
		[utf8]=$'<title>A dot</title><desc>One\xc3\x28.</desc>'
		[ref]='<title>A dot</title><desc>One&#1;.</desc>'
		[loads]='<title>A dot</title><desc>One.</desc><image href="a.png"/>'
		[xlink]='<title>A dot</title><desc>One.</desc><use xlink:href="b.svg#c"/>'
		[untitled]='<title> </title><desc>One.</desc>'
		[undescribed]='<title>A dot</title>'
	)
	for name in "${!body[@]}"; do
		printf '%s%s</svg>\n' "$head" "${body[$name]}" >"$BATS_TEST_TMPDIR/$name.svg"
	done
	printf '<svg xmlns="http://www.w3.org/2000/svg"><title>A</title><desc>B</desc></svg>\n' \
		>"$BATS_TEST_TMPDIR/noviewbox.svg"
	printf '<!DOCTYPE svg>\n%s%s</svg>\n' "$head" "${body[ok]}" >"$BATS_TEST_TMPDIR/doctype.svg"
	run "$BIN_DIR/tools/svg-check" "$BATS_TEST_TMPDIR/ok.svg"
	[ "$status" -eq 0 ]
	for name in "${!body[@]}" noviewbox doctype; do
		[ "$name" != ok ] || continue
		run "$BIN_DIR/tools/svg-check" "$BATS_TEST_TMPDIR/$name.svg"
		echo "$name: $output"
		[ "$status" -eq 1 ]
		[[ $output == "$BATS_TEST_TMPDIR/$name.svg: "* ]]
	done
}

@test "every image a Markdown file shows exists" {
	local missing=0 md ref
	while IFS= read -r md; do
		while IFS= read -r ref; do
			case $ref in http*://*) continue ;; esac
			[ -e "$(dirname "$md")/$ref" ] || { echo "$md: no such image: $ref"; missing=1; }
		done < <(grep -o '!\[[^]]*\]([^)]*)' "$md" | sed 's/.*](\([^) ]*\).*/\1/')
	done < <(cd "$KIT_ROOT" && git ls-files '*.md' | sed "s|^|$KIT_ROOT/|")
	[ "$missing" -eq 0 ]
}
