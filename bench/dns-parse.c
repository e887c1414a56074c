/*
 * dns-parse.c - the step-08 reply parser alone, timed on a real reply: asks a
 * DNS server (tools/slowdns) for NAME's A records over TCP, then parses the
 * reply ROUNDS times and prints the CPU time of one parse, the median of
 * five batches. What a 64 KiB hostile reply costs the loop, without the loop.
 *
 * Usage: dns-parse PORT NAME [ROUNDS]     (the server on 127.0.0.1:PORT)
 * Prints: `NAME`, BYTES bytes, STATUS, N addresses: MS ms (CPU per parse)
 */
#define _GNU_SOURCE
#include "dns_wire.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static unsigned char reply[DNS_TCP_MAX];

static double cpu_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* One TCP exchange: the query out, the whole reply in. Returns its length. */
static size_t ask(int port, const char *name, uint16_t id)
{
	unsigned char query[512], framed[514];
	int len = dns_build_query(query, sizeof query, id, name);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (len < 0 || fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		perror("dns-parse: connect");
		exit(1);
	}
	size_t total = dns_tcp_frame(framed, query, (size_t)len), have = 0;
	if (send(fd, framed, total, 0) != (ssize_t)total) {
		perror("dns-parse: send");
		exit(1);
	}
	while (have < DNS_TCP_PREFIX || have < dns_tcp_want(reply, have)) {
		ssize_t n = recv(fd, reply + have, dns_tcp_want(reply, have) - have, 0);
		if (n <= 0) {
			fprintf(stderr, "dns-parse: the server closed early\n");
			exit(1);
		}
		have += (size_t)n;
	}
	close(fd);
	return have - DNS_TCP_PREFIX;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: dns-parse PORT NAME [ROUNDS]\n");
		return 2;
	}
	int rounds = argc > 3 ? atoi(argv[3]) : 20;
	size_t len = ask(atoi(argv[1]), argv[2], 0x4242), count = 0;
	size_t max = dns_max_addrs(len);
	struct in_addr *addrs = malloc((max + 1) * sizeof *addrs);
	enum dns_status st = DNS_OK;
	double batch[5];
	for (int b = 0; b < 5; b++) {
		double t0 = cpu_ms();
		for (int i = 0; i < rounds; i++)
			st = dns_parse_reply(reply + DNS_TCP_PREFIX, len, true, 0x4242, argv[2],
					     addrs, max, &count);
		batch[b] = (cpu_ms() - t0) / rounds;
	}
	qsort(batch, 5, sizeof batch[0], by_value);
	printf("`%s`, %zu bytes, %s, %zu addresses: %.2f ms\n", argv[2], len,
	       dns_status_str(st), count, batch[2]);
	free(addrs);
	return 0;
}
