/*
 * tools/soak.h — what soak.c (the clients and their loop) and soak_mix.c (what
 * each kind of session sends and expects) share: a client and its session.
 */
#ifndef SOAK_H
#define SOAK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	MAX_EXPECT = 64,        /* replies one session waits for */
	CAT_SIZE = 768 * 1024 + 123,    /* the /cat file: many chunks, an odd tail */
	TINY_RCVBUF = 4096,
	LINE_LIMIT = 1024,      /* the servers' MAX_LINE */
	BIG_ANSWERS = 40,       /* slowdns's big.test=10.1.0.1*40 */
};

#define CAT_FILE "soak-cat"     /* in the server's --root, written by soak */

enum kind { ECHO, COMMANDS, BYTEWISE, OVERLONG, LIMIT, HALFCLOSE_RESET, RESET,
	    TINYCAT, NOREAD, VANISH, KINDS };


extern const char *const kind_names[KINDS];

/* One reply the session waits for. EXACT: these bytes (REPEAT: over and over,
 * as from `yes`); LINE: a line that starts with TEXT; CAT: LEN bytes of the
 * /cat file. */
enum expect_type { EXACT, REPEAT, LINE, CAT };
struct expect {
	enum expect_type type;
	char *text;
	size_t len;
};

/* How a session ends, once everything is sent. */
enum ending {
	END_EOF,        /* shutdown(SHUT_WR); every reply, then the server's EOF */
	END_RESET,      /* a reset (SO_LINGER 0) once RESET_AFTER bytes came back */
	END_LEAVE,      /* close() or a reset after DELAY ms, whatever is pending */
	END_FLOOD,      /* keep sending OUT for DELAY ms without reading, close */
};

enum pace { ALL_AT_ONCE, CHUNKS, ONE_BYTE };

struct client {
	char *out;              /* what the session sends */
	size_t out_len, out_off;
	size_t read_max;        /* bytes per recv(): tinycat reads slowly */
	struct expect expects[MAX_EXPECT];
	size_t n_expect, cur, pos;
	size_t received, reset_after;
	unsigned long session;
	uint64_t start_at;      /* ms: when the next session starts */
	uint64_t send_at;       /* ms: ONE_BYTE's next send */
	uint64_t read_at;       /* ms: tinycat's next recv() */
	uint64_t delay_ms, started_at_ms, sent_all_at, progress_at, flood_until;
	int id, fd, rcvbuf;
	enum kind kind;
	enum pace pace;
	enum ending ending;
	bool running, shut, send_failed, noread, abrupt;
	bool unchecked;         /* reads what comes, expects nothing in particular */
	bool half_close;        /* shutdown(SHUT_WR) once all is sent, whatever the ending */
};

/* Starts the random sequence: the same SEED, the same mix. */
void mix_seed(uint64_t seed);
/* A number in [LO, HI], from the sequence. */
size_t pick(size_t lo, size_t hi);
/* True PERCENT times in 100. */
bool chance(unsigned percent);
/* Byte I of the /cat file. */
unsigned char cat_byte(size_t i);
/* A kind of session for step STEP, by the mix's weights; ONLY >= 0: that kind. */
enum kind mix_pick_kind(unsigned long step, int only);
/* Fills C's session of kind C->kind for step STEP: what it sends, what it
 * expects back, and how it ends. */
void mix_build_session(struct client *c, unsigned long step);

#endif
