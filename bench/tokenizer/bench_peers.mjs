// Encode throughput of the npm peers on the same texts as bench_bpe:
//   node bench_peers.mjs TEXTS.jsonl REPS
// tiktoken (WASM build of OpenAI's Rust core) and gpt-tokenizer (pure JS), for
// gpt2/r50k_base and cl100k_base; one thread (JavaScript). One JSON line each.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
const require = createRequire(import.meta.url);
const { get_encoding } = require("tiktoken");
const [file, repsArg] = process.argv.slice(2);
const reps = Number(repsArg || 5);
const texts = readFileSync(file, "utf8").split("\n").filter((l) => l.length).map((l) => JSON.parse(l));
const bytes = texts.reduce((a, t) => a + Buffer.byteLength(t, "utf8"), 0);

function bench(name, enc, fn) {
  let tokens = 0;
  for (const t of texts) tokens += fn(t).length;   // warm-up
  const times = [], cpus = [];
  for (let r = 0; r < reps; r++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (const t of texts) fn(t);
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
    const c = process.cpuUsage(c0);
    cpus.push((c.user + c.system) / 1e6);
  }
  times.sort((a, b) => a - b);
  cpus.sort((a, b) => a - b);
  const med = times[Math.floor(reps / 2)], cmed = cpus[Math.floor(reps / 2)];
  console.log(JSON.stringify({ impl: name, enc, threads: 1, texts: texts.length, bytes, tokens,
    median_seconds: +med.toFixed(4), mb_s: +(bytes / 1e6 / med).toFixed(2),
    cpu_seconds: +cmed.toFixed(4), cpu_mb_s: +(bytes / 1e6 / cmed).toFixed(2),
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024) }));
}

for (const [enc, tk, gt] of [["gpt2", "gpt2", "r50k_base"], ["cl100k", "cl100k_base", "cl100k_base"]]) {
  const e = get_encoding(tk);
  bench("tiktoken", enc, (t) => e.encode_ordinary(t));
  e.free();
  const g = require(`gpt-tokenizer/cjs/encoding/${gt}`);
  bench("gpt-tokenizer", enc, (t) => g.encode(t));
}
