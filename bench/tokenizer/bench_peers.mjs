// Encode throughput of the npm peers on the same texts as bench_bpe:
//   node bench_peers.mjs TEXTS.jsonl REPS CORPUS [HF_DIR]
// Peers, one thread each (JavaScript's), for gpt2/r50k_base, cl100k_base and o200k_base:
//   tiktoken       npm tiktoken: OpenAI's Rust core compiled to WASM
//   tiktoken-node  npm tiktoken-node: the same Rust core, native, through N-API
//                  (gpt2 and cl100k only: the package has no o200k)
//   hf-tokenizers  npm tokenizers: Hugging Face's Rust core, native, through N-API
//                  (encode is asynchronous: one awaited call per text), loading
//                  HF_DIR/ENC.json (written by pmp-bpe convert)
//   gpt-tokenizer  npm gpt-tokenizer: pure JavaScript
// A peer that is not installed is skipped with a note on stderr. Timing: the best
// of REPS passes (after one warm-up pass) in CPU time and in wall time. The binding
// overhead of a native peer: the same number of calls on the empty string (a no-op
// native call per text), timed alike in CPU time, as a share of the encode's CPU time. digest: FNV-1a
// (32-bit, one step per id) of every id of every text in order, as bench_bpe prints,
// so that the ids are checked equal, not only counted.
// One JSON line per (peer, encoding).
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
const require = createRequire(import.meta.url);
const [file, repsArg, corpus, hfDir] = process.argv.slice(2);
const reps = Number(repsArg || 5);
const texts = readFileSync(file, "utf8").split("\n").filter((l) => l.length).map((l) => JSON.parse(l));
const bytes = texts.reduce((a, t) => a + Buffer.byteLength(t, "utf8"), 0);

function tryRequire(name) {
  try {
    return require(name);
  } catch (e) {
    console.error(`note: npm ${name} not installed, skipped`);
    return null;
  }
}

function digestOf(all) {
  let h = 0x811c9dc5, tokens = 0;
  for (const ids of all) {
    for (const id of ids) h = Math.imul(h ^ id, 16777619) >>> 0;
    tokens += ids.length;
  }
  return { digest: h.toString(16).padStart(8, "0"), tokens };
}

async function timeIt(fn, isAsync) {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  if (isAsync) for (const t of texts) await fn(t);
  else for (const t of texts) fn(t);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1e6 };
}

async function bench(impl, enc, fn, isAsync, noop) {
  const all = [];
  for (const t of texts) all.push(isAsync ? await fn(t) : fn(t));   // warm-up, and the ids
  const { digest, tokens } = digestOf(all);
  let wall = Infinity, cpu = Infinity, noopWall = Infinity, noopCpu = Infinity;
  for (let r = 0; r < reps; r++) {
    const m = await timeIt(fn, isAsync);
    wall = Math.min(wall, m.wall);
    cpu = Math.min(cpu, m.cpu);
    if (noop) {
      const n = await timeIt(() => noop(""), isAsync);
      noopWall = Math.min(noopWall, n.wall);
      noopCpu = Math.min(noopCpu, n.cpu);
    }
  }
  const row = { corpus, enc, impl, threads: 1, texts: texts.length, bytes, tokens, digest,
    best_seconds: +wall.toFixed(4), mb_s: +(bytes / 1e6 / wall).toFixed(2),
    best_cpu_seconds: +cpu.toFixed(4), cpu_mb_s: +(bytes / 1e6 / cpu).toFixed(2),
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024) };
  if (noop) {
    // CPU time (of every thread of the process): steadier than wall time on a shared machine
    row.noop_call_cpu_us = +((noopCpu / texts.length) * 1e6).toFixed(2);
    row.noop_share = +(noopCpu / cpu).toFixed(3);
  }
  console.log(JSON.stringify(row));
}

const tiktoken = tryRequire("tiktoken");
const tiktokenNode = tryRequire("tiktoken-node");
const hf = hfDir ? tryRequire("tokenizers") : null;
const ENCS = [
  // [name, tiktoken name, tiktoken-node name, gpt-tokenizer module]
  ["gpt2", "gpt2", "r50k_base", "r50k_base"],
  ["cl100k", "cl100k_base", "cl100k_base", "cl100k_base"],
  ["o200k", "o200k_base", null, "o200k_base"],
];
for (const [enc, tk, tkn, gt] of ENCS) {
  if (tiktoken) {
    const e = tiktoken.get_encoding(tk);
    await bench("tiktoken-wasm", enc, (t) => e.encode_ordinary(t), false, (t) => e.encode_ordinary(t));
    e.free();
  }
  if (tiktokenNode && tkn) {
    const e = tiktokenNode.getEncoding(tkn);
    await bench("tiktoken-node", enc, (t) => e.encode(t), false, (t) => e.encode(t));
  }
  if (hf) {
    const tok = hf.Tokenizer.fromFile(`${hfDir}/${enc}.json`);
    const opts = { addSpecialTokens: false };
    await bench("hf-tokenizers", enc, async (t) => (await tok.encode(t, null, opts)).getIds(), true,
      (t) => tok.encode(t, null, opts));
  }
  const g = tryRequire(`gpt-tokenizer/cjs/encoding/${gt}`);
  if (g) await bench("gpt-tokenizer", enc, (t) => g.encode(t), false, null);
}
