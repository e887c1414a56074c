// echo.js — a byte-echo server written the usual Node way, for `make bench`.
//
// The same protocol as 02-epoll-echo and bench/uv-echo.c, in idiomatic Node:
// net.createServer() and socket.pipe(socket), which echoes every chunk and
// pauses reading while the socket cannot take more (backpressure). Under it is
// libuv: the same loop, the same epoll, plus V8 and Node's stream machinery.
//
// Node raises its own soft fd limit at startup and ignores SIGPIPE, as the kit's
// servers do.
//
// Usage: node echo.js [--host ADDR] [--port N]    (prints `listening on HOST:PORT`)
'use strict';

const net = require('net');

function usage(to, status) {
	to.write('usage: node echo.js [--host ADDR] [--port N]\n' +
		'  --host ADDR  address to listen on (default 127.0.0.1)\n' +
		'  --port N     port to listen on, 0 for any free port (default 8000)\n' +
		'  --help       show this help\n');
	process.exit(status);
}

function parseArgs(argv) {
	const opt = { host: '127.0.0.1', port: 8000 };
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		if (a === '--help') usage(process.stdout, 0);
		else if (a === '--host' && i + 1 < argv.length) opt.host = argv[++i];
		else if (a === '--port' && i + 1 < argv.length && /^[0-9]+$/.test(argv[i + 1])
			 && Number(argv[i + 1]) <= 65535) opt.port = Number(argv[++i]);
		else {
			process.stderr.write(`echo.js: bad argument '${a}'\n`);
			usage(process.stderr, 2);
		}
	}
	return opt;
}

const opt = parseArgs(process.argv.slice(2));
const server = net.createServer((socket) => {
	// A reset peer emits 'error'; without a listener Node would throw and exit.
	socket.on('error', () => socket.destroy());
	socket.pipe(socket);
});
server.on('error', (err) => {
	process.stderr.write(`echo.js: cannot listen on ${opt.host}:${opt.port}: ${err.message}\n`);
	process.exit(1);
});
server.listen({ host: opt.host, port: opt.port, backlog: 4096 }, () => {
	const a = server.address();
	process.stdout.write(`listening on ${a.address}:${a.port}\n`);
});
