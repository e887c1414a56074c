#!/usr/bin/env bats
# steps: 03-
# PROTOCOL.md against the servers: the commands /help lists and the keys /stats
# prints must be the ones the page's tables name for this step, in their order.

load helpers

# documented TABLE_RE — the first column of PROTOCOL.md's table rows matching
# TABLE_RE whose `from` column is this step or earlier, one a line.
documented() {
	awk -F'|' -v re="$1" -v step="$STEP_NUM" '
		$2 ~ re {
			name = $2; gsub(/[` ]/, "", name); sub(/[A-Z].*$/, "", name)
			from = $3; gsub(/ /, "", from)
			if (from + 0 <= step) print name
		}' "$KIT_ROOT/PROTOCOL.md"
}

@test "PROTOCOL.md documents this step's commands, in /help's order" {
	start_server
	connect_fd c
	say "$c" /help
	hear "$c"
	[[ $HEARD == "commands: "* ]]
	want=$(documented '^ `/[a-z]+' | tr '\n' ' ')
	echo "/help:       ${HEARD#commands: }"
	echo "PROTOCOL.md: $want"
	[ "${HEARD#commands: } " = "$want" ]
}

@test "PROTOCOL.md documents this step's /stats keys, in order" {
	start_server
	connect_fd c
	say "$c" /stats
	hear "$c"
	got=$(printf '%s\n' "${HEARD#stats }" | tr ' ' '\n' | sed 's/=.*//' | tr '\n' ' ')
	want=$(documented '^ `[a-z_]+` $' | tr '\n' ' ')
	echo "/stats:      $got"
	echo "PROTOCOL.md: $want"
	[ -n "$want" ]
	[ "$got" = "$want" ]
}
