#!/usr/bin/env bats
# steps: once
# tools/setup, what make demo and make test run first: README.md's table is
# tools/packages; with everything there it is silent and quick; with something
# missing it installs it in one apt-get (root), or stops at once naming the one
# command (no root), or takes bats from the kit's lockfile (npm, no root).

load helpers

setup() {
	# A kit of two files, whose table lacks what no machine has; readable by
	# the unprivileged user the no-root tests run as.
	KIT_COPY=$(mktemp -d)
	chmod 755 "$KIT_COPY"
	mkdir -p "$KIT_COPY/tools" "$KIT_COPY/bin"
	cp "$KIT_ROOT/tools/setup" "$KIT_COPY/tools/"
	printf '%s\n' '# command package demo test what' \
		'cc build-essential required required building' \
		'kit-no-such-tool kit-no-such-package - required a test' \
		'kit-no-such-either kit-no-such-other - optional a test' >"$KIT_COPY/tools/packages"
}

teardown() {
	rm -rf "$KIT_COPY"
}

# as_nobody CMD... — CMD as user 65534 when root (who may always install).
# (Under `run`, where a skip cannot skip: call can_be_nobody first.)
can_be_nobody() {
	[ "$(id -u)" -ne 0 ] || needs setpriv util-linux
}
as_nobody() {
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
	else
		"$@"
	fi
}

@test "README.md's Quick start table is tools/packages" {
	run "$KIT_ROOT/tools/setup" --table
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -ge 10 ]
	local line missing=0
	while IFS= read -r line; do
		grep -qxF -- "$line" "$KIT_ROOT/README.md" || { echo "not in README.md: $line"; missing=1; }
	done <<<"$output"
	[ "$missing" -eq 0 ]
	# ...and no row of the README's table that tools/packages lacks.
	[ "$(grep -c '^| `[^`]*` | [a-z0-9.+-]* | \(required\|optional\|-\) |' "$KIT_ROOT/README.md")" \
		-eq "$((${#lines[@]} - 2))" ]
}

@test "--list: required, optional and ci, each package once, ci all of them" {
	run "$KIT_ROOT/tools/setup" --list required
	[ "$status" -eq 0 ]
	local required=$output
	[[ $'\n'$required$'\n' == *$'\nbats\n'* ]]
	run "$KIT_ROOT/tools/setup" --list optional
	local optional=$output pkg
	[[ $'\n'$optional$'\n' == *$'\nchromium\n'* ]]
	run "$KIT_ROOT/tools/setup" --list ci
	for pkg in $required $optional valgrind debootstrap; do
		[[ $'\n'$output$'\n' == *$'\n'$pkg$'\n'* ]]
	done
	[ -z "$(printf '%s\n' $required $optional | sort | uniq -d)" ]
	[ -z "$(sort <<<"$output" | uniq -d)" ]
}

@test "with everything there: silent, exit 0, for both targets" {
	run "$KIT_ROOT/tools/setup" test
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run "$KIT_ROOT/tools/setup" demo
	[ "$status" -eq 0 ]
}

@test "missing, and no root: it stops at once with the one command" {
	local t0
	can_be_nobody
	t0=$(now_ms)
	run as_nobody env PATH=/usr/bin:/bin "$KIT_COPY/tools/setup" test
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$output" = "make test needs: sudo apt install kit-no-such-package" ]
	echo "took $(($(now_ms) - t0)) ms"
	[ $(($(now_ms) - t0)) -lt 2000 ]      # "at once": 1 s, doubled for a loaded machine
	# demo does not need it.
	run as_nobody env PATH=/usr/bin:/bin "$KIT_COPY/tools/setup" demo
	[ "$status" -eq 0 ]
}

@test "missing, as root: one apt-get install of exactly the missing packages" {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	cat >"$KIT_COPY/bin/apt-get" <<-'SH'
	#!/bin/sh
	echo "$*" >>"${0%/*}/apt.log"
	SH
	chmod +x "$KIT_COPY/bin/apt-get"
	run env PATH="$KIT_COPY/bin:$PATH" "$KIT_COPY/tools/setup" test
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "make test: installing kit-no-such-package" ]
	[ "$(grep -c '^install' "$KIT_COPY/bin/apt.log")" -eq 1 ]
	grep -qx 'install -y -q --no-install-recommends kit-no-such-package' "$KIT_COPY/bin/apt.log"
}

@test "bats missing, no root, npm there: npm ci brings the kit's own" {
	printf '%s\n' 'bats bats - required the suites' >"$KIT_COPY/tools/packages"
	cat >"$KIT_COPY/bin/npm" <<-'SH'
	#!/bin/sh
	echo "npm $*"
	mkdir -p node_modules/bats/bin && printf '#!/bin/sh\n' >node_modules/bats/bin/bats &&
		chmod +x node_modules/bats/bin/bats
	SH
	chmod +x "$KIT_COPY/bin/npm"
	chmod 777 "$KIT_COPY"
	can_be_nobody
	# test/without from the copy: the kit itself may sit where user 65534
	# cannot read (a clone in /root, as on a fresh machine).
	mkdir -p "$KIT_COPY/test" && cp "$KIT_ROOT/test/without" "$KIT_COPY/test/"
	PATH="$KIT_COPY/bin:$PATH" run as_nobody "$KIT_COPY/test/without" bats -- "$KIT_COPY/tools/setup" test
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"installing the kit's own (npm ci)"* ]]
	[[ $output == *"npm ci --no-audit --no-fund"* ]]
	[ -x "$KIT_COPY/node_modules/bats/bin/bats" ]
}
