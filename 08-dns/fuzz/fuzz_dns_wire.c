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
 * the interesting code; the name matches the seeds' question.
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

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_QUERY = 512 };

static const char *const fuzz_name = "example.test";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The parser's promises, beyond "does not crash": checked on every input. */
static void check_reply(const uint8_t *data, size_t size)
{
	struct in_addr addrs[DNS_MAX_ADDRS];
	size_t count = 99;
	uint16_t id = size >= 2 ? (uint16_t)(data[0] << 8 | data[1]) : 0;
	enum dns_status s = dns_parse_reply(data, size, id, fuzz_name, addrs,
										DNS_MAX_ADDRS, &count);
	if (count > DNS_MAX_ADDRS || (s != DNS_OK && count != 0))
		abort();
	for (size_t i = 0; i < count; i++)
		for (size_t j = 0; j < i; j++)
			if (addrs[i].s_addr == addrs[j].s_addr)
				abort();                /* each address only once */
}

/*
 * Treats the input as a hostname too. A query we built is not a reply; with
 * its QR bit set it becomes a valid reply that has no answers.
 */
static void check_query(const uint8_t *data, size_t size)
{
	char name[300];
	unsigned char query[MAX_QUERY];
	struct in_addr addrs[DNS_MAX_ADDRS];
	size_t count;
	size_t n = size < sizeof name - 1 ? size : sizeof name - 1;
	memcpy(name, data, n);
	name[n] = '\0';

	int len = dns_build_query(query, sizeof query, 0x4242, name);
	if (len < 0)
		return;
	if (dns_parse_reply(query, (size_t)len, 0x4242, name, addrs,
						DNS_MAX_ADDRS, &count) != DNS_NOT_OURS)
		abort();
	query[2] |= 0x80;
	if (dns_parse_reply(query, (size_t)len, 0x4242, name, addrs,
						DNS_MAX_ADDRS, &count) != DNS_OK || count != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_reply(data, size);
	check_query(data, size);
	return 0;
}
