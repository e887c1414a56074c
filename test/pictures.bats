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
	run python3 - "${svgs[@]}" <<'PY'
import sys, xml.etree.ElementTree as ET
NS = "{http://www.w3.org/2000/svg}"
bad = 0
for path in sys.argv[1:]:
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        print(f"{path}: not XML: {e}"); bad += 1; continue
    why = []
    if root.tag != NS + "svg": why.append("root is not <svg>")
    if not root.get("viewBox"): why.append("no viewBox")
    if root.find(NS + "title") is None or not (root.find(NS + "title").text or "").strip(): why.append("no <title>")
    if root.find(NS + "desc") is None: why.append("no <desc>")
    for el in root.iter():
        for k, v in el.attrib.items():
            if k.endswith("href") and not v.startswith("#"): why.append(f"loads {v}")
    if why: print(f"{path}: " + "; ".join(why)); bad += 1
sys.exit(1 if bad else 0)
PY
	echo "$output"
	[ "$status" -eq 0 ]
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
