#!/usr/bin/env bats
# steps: 01-
# Every step's checkable exercise is real: its check (test/exercises/NN-name.bats)
# fails on the shipped code, and passes once the reference solution
# (solutions/NN-name.patch, applied with `patch -p1` inside a copy of the step)
# is in. Learners run the check with `make -C NN-name exercise`.

load helpers

setup() {
	CHECK=$KIT_ROOT/test/exercises/$STEP.bats
	PATCH=$KIT_ROOT/solutions/$STEP.patch
}

@test "the exercise's check fails on the shipped code" {
	[ -f "$CHECK" ] || skip "no checkable exercise for $STEP yet"
	run env KIT_STEP="$STEP" bats --tap "$CHECK"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"not ok "* ]]
}

@test "the reference solution applies to a copy of the step and passes the check" {
	[ -f "$CHECK" ] || skip "no checkable exercise for $STEP yet"
	[ -f "$PATCH" ]
	local copy=$BATS_TEST_TMPDIR/kit
	mkdir -p "$copy"
	cp -r "$KIT_ROOT/$STEP" "$copy/$STEP"
	ln -s "$BIN_DIR/tools" "$copy/tools"
	(cd "$copy/$STEP" && make -s clean >/dev/null && patch -p1 --quiet <"$PATCH" && make -s)
	run env KIT_STEP="$STEP" KIT_BIN_DIR="$copy" bats --tap "$CHECK"
	echo "$output"
	[ "$status" -eq 0 ]
}
