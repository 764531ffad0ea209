// Creates stories through storyflow's REST API at a steady rate and times each request, in a
// process of its own (autocannon keeps the benchmark's event loop busy, which would add to the
// times). Run by bench/ingest.ts during storyflow's maximum run with --api-writes; prints one
// line of JSON: the number of writes, how many failed, and the latency percentiles in ms.
const [port, token, rateText, durationText] = process.argv.slice(2);
const rate = Number(rateText);
const durationMs = Number(durationText) * 1000;
if (!(rate > 0) || !(durationMs > 0)) throw new Error('usage: api-writer PORT TOKEN RATE SECONDS');

const latencies: number[] = [];
let failed = 0;
const started = performance.now();
const writes: Promise<void>[] = [];
for (let sent = 0; performance.now() - started < durationMs; sent += 1) {
  const due = started + (sent * 1000) / rate;
  const wait = due - performance.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  writes.push(
    (async () => {
      const asked = performance.now();
      try {
        const response = await fetch(`http://127.0.0.1:${port}/api/v1/stories`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            id: `BENCH-${process.pid}${sent}`,
            title: 'written during a burst',
          }),
        });
        await response.arrayBuffer();
        if (response.status !== 201) failed += 1;
      } catch {
        failed += 1;
      }
      latencies.push(performance.now() - asked);
    })(),
  );
}
await Promise.all(writes);
latencies.sort((a, b) => a - b);
const at = (q: number) =>
  latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
process.stdout.write(
  `${JSON.stringify({ count: latencies.length, failed, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1) })}\n`,
);
