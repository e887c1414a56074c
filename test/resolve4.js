// test/resolve4.js — asks Node's dns.resolve4 (c-ares) what the kit's /resolve
// is compared with. Usage: node test/resolve4.js PORT TIMEOUT_MS TRIES NAME...
// Prints one line per NAME, in order: "NAME ok ADDR..." (sorted) or "NAME CODE".
'use strict';
const dns = require('node:dns');
const [port, timeout, tries, ...names] = process.argv.slice(2);
const resolver = new dns.Resolver({ timeout: Number(timeout), tries: Number(tries) });
resolver.setServers([`127.0.0.1:${port}`]);
(async () => {
	for (const name of names) {
		const line = await new Promise((done) => {
			resolver.resolve4(name, (err, addrs) => {
				if (err) done(`${name} ${err.code}`);
				else done(`${name} ok ${addrs.slice().sort().join(' ')}`.trimEnd());
			});
		});
		console.log(line);
	}
})();
