// Writes the reference ids that test_bpe_exact checks against, with the npm
// package tiktoken (its WASM build of OpenAI's Rust core). Run once after changing
// hard_cases.jsonl; the outputs are committed so the tests run without node.
//   cd bench/tokenizer && npm install && node ../../tests/tokenizer/ref_ids.mjs [SHARED_DATA]
// Outputs (next to this script):
//   ref_hard.tsv  enc TAB mode TAB index TAB ids   (mode o = ordinary, s = specials allowed)
//   ref_hh.tsv    enc TAB index TAB count TAB fnv  (hh-rlhf chosen/rejected texts in file
//                 order; fnv = FNV-1a 64 of the ids as little-endian uint32, hex)
import { createRequire } from "node:module";
import { readFileSync, writeFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, "../../bench/tokenizer/package.json"));
const { get_encoding } = require("tiktoken");
const shared = process.argv[2] || join(here, "../../../shared/data");
const encs = { gpt2: "gpt2", cl100k: "cl100k_base", o200k: "o200k_base" };

function fnv64(ids) {
  const P = 0x100000001b3n, M = (1n << 64n) - 1n;
  let h = 0xcbf29ce484222325n;
  for (const id of ids)
    for (let k = 0; k < 4; k++) {
      h ^= BigInt((id >>> (8 * k)) & 255);
      h = (h * P) & M;
    }
  return h.toString(16).padStart(16, "0");
}

const hard = readFileSync(join(here, "hard_cases.jsonl"), "utf8").split("\n").filter((l) => l.length)
  .map((l) => JSON.parse(l));
const hh = [];
for (const line of gunzipSync(readFileSync(join(shared, "hhh/hh-rlhf-harmless-base-test.jsonl.gz")))
  .toString("utf8").split("\n")) {
  if (!line.trim()) continue;
  const o = JSON.parse(line);
  hh.push(o.chosen, o.rejected);
}

let outHard = "", outHh = "";
for (const [name, tk] of Object.entries(encs)) {
  const e = get_encoding(tk);
  hard.forEach((t, i) => {
    outHard += `${name}\to\t${i}\t${Array.from(e.encode_ordinary(t)).join(" ")}\n`;
    outHard += `${name}\ts\t${i}\t${Array.from(e.encode(t, "all")).join(" ")}\n`;
  });
  hh.forEach((t, i) => {
    const ids = e.encode_ordinary(t);
    outHh += `${name}\t${i}\t${ids.length}\t${fnv64(ids)}\n`;
  });
  e.free();
}
writeFileSync(join(here, "ref_hard.tsv"), outHard);
writeFileSync(join(here, "ref_hh.tsv"), outHh);
console.log(`hard cases: ${hard.length}, hh texts: ${hh.length}`);
