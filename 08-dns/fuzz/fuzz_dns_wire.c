/*
 * fuzz_dns_wire.c - a libFuzzer harness for the DNS message code.
 *
 * dns_parse_reply() reads bytes that anyone on the network can send, so it
 * must survive any input at all. libFuzzer mutates real replies (seeds/ holds
 * some captured from tools/slowdns) while AddressSanitizer and UBSan catch
 * stray reads and overflows, and libFuzzer's timeout catches endless loops
 * such as a compression pointer cycle the parser failed to refuse.
 *
 * Each input is a whole reply. Its first two bytes, the id field, also serve
 * as the id we expect, so that mutations get past the id check and reach
 * the interesting code; the name matches the seeds' question. Each reply is
 * parsed as a datagram and as a TCP message (where TC does not stop it).
 * fuzz_dns_tcp.c reads inputs as TCP streams.
 *
 * `make fuzz` runs it with -max_len=65536, the largest message, and a
 * per-input -timeout of 10 s: a parser whose cost grows as records x records
 * fails that on a 64 KiB maze (seeds/maze.bin), which took it 20 s without ASan.
 *
 * Usage (in 08-dns/):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined \
 *         -fno-sanitize-recover=all \
 *         fuzz/fuzz_dns_wire.c dns_wire.c -o fuzz-dns
 *   mkdir -p /tmp/dns-corpus
 *   ./fuzz-dns -max_total_time=60 /tmp/dns-corpus fuzz/seeds
 */
#define _GNU_SOURCE
#ifndef __linux__
#error "fuzz_dns_wire.c needs Linux"
#endif

#include "../dns_wire.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_QUERY = 512 };

static const char *const fuzz_name = "example.test";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The parser's promises, beyond "does not crash": checked on every input. */
static void check_reply(const uint8_t *data, size_t size, bool tcp)
{
	size_t max = dns_max_addrs(size), count = 99;
	struct in_addr *addrs = malloc((max + 1) * sizeof *addrs);
	if (addrs == NULL)
		abort();
	uint16_t id = size >= 2 ? (uint16_t)(data[0] << 8 | data[1]) : 0;
	enum dns_status s = dns_parse_reply(data, size, tcp, id, fuzz_name, addrs,
										max, &count);
	if (count > max || (s != DNS_OK && count != 0) || (tcp && s == DNS_TRUNCATED))
		abort();
	for (size_t i = 0; i < count; i++)
		for (size_t j = 0; j < i; j++)
			if (addrs[i].s_addr == addrs[j].s_addr)
				abort();                /* each address only once */
	/* Room for one more changes nothing: max was already enough. */
	size_t again;
	if (dns_parse_reply(data, size, tcp, id, fuzz_name, addrs, max + 1, &again) != s ||
		again != count)
		abort();
	free(addrs);
}

/*
 * Treats the input as a hostname too. A query we built is not a reply; with
 * its QR bit set it becomes a valid reply that has no answers: NODATA.
 */
static void check_query(const uint8_t *data, size_t size)
{
	char name[300];
	unsigned char query[MAX_QUERY], framed[MAX_QUERY + DNS_TCP_PREFIX];
	struct in_addr addrs[1];
	size_t count;
	size_t n = size < sizeof name - 1 ? size : sizeof name - 1;
	memcpy(name, data, n);
	name[n] = '\0';

	int len = dns_build_query(query, sizeof query, 0x4242, name);
	if (len < 0)
		return;
	if (dns_parse_reply(query, (size_t)len, false, 0x4242, name, addrs,
						1, &count) != DNS_NOT_OURS)
		abort();
	query[2] |= 0x80;
	if (dns_parse_reply(query, (size_t)len, false, 0x4242, name, addrs,
						1, &count) != DNS_NODATA || count != 0)
		abort();
	/* Framed for TCP, the query comes back whole from its own prefix. */
	size_t total = dns_tcp_frame(framed, query, (size_t)len);
	if (total != (size_t)len + DNS_TCP_PREFIX ||
		dns_tcp_want(framed, 1) != DNS_TCP_PREFIX ||
		dns_tcp_want(framed, DNS_TCP_PREFIX) != total ||
		memcmp(framed + DNS_TCP_PREFIX, query, (size_t)len) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_reply(data, size, false);
	check_reply(data, size, true);
	check_query(data, size);
	return 0;
}
