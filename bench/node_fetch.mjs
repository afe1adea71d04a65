// node_fetch.mjs — the Node peer: Node's own fetch (undici), as a Node game server would use it.
//
//   node node_fetch.mjs --case small --url U --count 10000 --in-flight 64 --expect-bytes 1024
//   node node_fetch.mjs --case file  --url U --out PATH --expect-bytes N   (body piped to a file)
//   node node_fetch.mjs --case body  --url U --expect-bytes N              (arrayBuffer())
//
// A URL "self:/bytes/N" starts a tiny in-process server (for the smoke test). Prints one JSON
// line; exits 0 only when every response was 200 with the expected size.
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stat } from 'node:fs/promises';

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];

async function resolveUrl(url) {
  if (!url.startsWith('self:')) return url;
  const server = createServer((req, res) => {
    const n = Number(req.url.split('/').pop());
    res.writeHead(200, { 'Content-Length': n, 'Content-Type': 'application/octet-stream' });
    res.end(Buffer.alloc(n, 120));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  return `http://127.0.0.1:${server.address().port}${url.slice(5)}`;
}

function emit(result, ok, problem) {
  result.tool = 'node-fetch';
  result.ok = ok;
  if (!ok) result.problem = problem;
  result.peak_rss_kib = Math.round(process.resourceUsage().maxRSS);
  console.log(JSON.stringify(result));
  process.exit(ok ? 0 : 1);  // not waiting for idle keep-alive sockets to time out
}

const url = await resolveUrl(args.url);
const expect = Number(args['expect-bytes'] ?? -1);
const start = performance.now();

if (args.case === 'small') {
  const count = Number(args.count ?? 10000);
  const inFlight = Number(args['in-flight'] ?? 64);
  let issued = 0, good = 0, bad = 0;
  async function worker() {
    while (issued < count) {
      ++issued;
      const response = await fetch(url);
      const body = await response.arrayBuffer();
      if (response.status === 200 && body.byteLength === expect) ++good; else ++bad;
    }
  }
  await Promise.all(Array.from({ length: inFlight }, worker));
  const seconds = (performance.now() - start) / 1000;
  emit({ case: 'small', requests: count, seconds, req_per_s: count / seconds }, bad === 0 && good === count,
       `${bad} bad responses`);
} else if (args.case === 'file' || args.case === 'body') {
  const response = await fetch(url);
  let bytes;
  if (args.case === 'file') {
    await pipeline(Readable.fromWeb(response.body), createWriteStream(args.out));
    bytes = (await stat(args.out)).size;
  } else {
    bytes = (await response.arrayBuffer()).byteLength;
  }
  const seconds = (performance.now() - start) / 1000;
  emit({ case: args.case, bytes, seconds, mb_per_s: bytes / seconds / 1e6 },
       response.status === 200 && (expect < 0 || bytes === expect), `status ${response.status}, ${bytes} bytes`);
} else {
  console.error(`unknown --case ${args.case}`);
  process.exitCode = 2;
}
