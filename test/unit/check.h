/*
 * test/unit/check.h — the few lines the libuv-behaviour tests share: run a
 * case, check a condition, say which one failed.
 *
 * A case is a function `static void NAME(void)` that sets up its own loop.
 * CHECK(cond) ends the case at the first false condition, printing
 *   FAIL NAME: cond (line N)
 * and run_case() prints "ok NAME" for a case that got through. The program's
 * exit status is the number of failed cases, so a bats suite only has to see
 * every line start with "ok".
 */
#ifndef CHECK_H
#define CHECK_H

#include <stdio.h>
#include <string.h>

static const char *check_case = "";
static int check_failed, check_failures;

#define CHECK(cond)                                                             \
	do {                                                                    \
		if (!(cond)) {                                                  \
			printf("FAIL %s: %s (line %d)\n", check_case, #cond,    \
			       __LINE__);                                       \
			check_failed = 1;                                       \
			return;                                                 \
		}                                                               \
	} while (0)

/* Runs FN as the case NAME, unless ONLY names another case. */
static void run_case(const char *name, void (*fn)(void), const char *only)
{
	if (only != NULL && strcmp(only, name) != 0)
		return;
	check_case = name;
	check_failed = 0;
	fn();
	if (check_failed)
		check_failures++;
	else
		printf("ok %s\n", name);
	fflush(stdout);
}

#define RUN(fn) run_case(#fn, fn, argc > 1 ? argv[1] : NULL)

#endif
