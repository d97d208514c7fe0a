// Encodes texts with Hugging Face tokenizers (npm "tokenizers", native binding)
// from a tokenizer.json, to check that files pmp-bpe writes load there and give
// the same ids.   node hf_encode.mjs TOKENIZER.json TEXTS.jsonl > ids.txt
// A line holding [a, b] is encoded as a pair with the file's post-processor (its
// special tokens added): what a reward model directory's tokenizer.json is for.
// Exit 77 when the package is not installed (the test then skips).
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, "../../bench/tokenizer/package.json"));
let Tokenizer;
try {
  ({ Tokenizer } = require("tokenizers"));
} catch (e) {
  console.error("tokenizers (npm) is not installed: " + e.message);
  process.exit(77);
}
const [tokPath, textsPath] = process.argv.slice(2);
const tok = Tokenizer.fromFile(tokPath);
const texts = readFileSync(textsPath, "utf8").split("\n").filter((l) => l.length).map((l) => JSON.parse(l));
const out = [];
for (const t of texts) {
  const pair = Array.isArray(t);
  const enc = pair ? await tok.encode(t[0], t[1], { addSpecialTokens: true })
                   : await tok.encode(t, null, { addSpecialTokens: false });
  out.push(enc.getIds().join(" "));
}
process.stdout.write(out.join("\n") + "\n");
