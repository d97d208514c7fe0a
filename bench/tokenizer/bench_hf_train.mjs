// Trains Hugging Face tokenizers (npm, native Rust binding) on a text file with
// its default BPE trainer (30,000 tokens) after a ByteLevel pre-tokenizer with
// GPT-2's regex — the same setup as `pmp-bpe train -n 30000 -p gpt2`.
//   RAYON_NUM_THREADS=2 node bench_hf_train.mjs CORPUS OUT.json
// Prints one JSON line: seconds of training, vocab size.
import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
const { Tokenizer, BPE, byteLevelPreTokenizer, byteLevelDecoder } = require("tokenizers");
const [corpus, out] = process.argv.slice(2);
const tok = new Tokenizer(BPE.empty());
tok.setPreTokenizer(byteLevelPreTokenizer(false, true));
const t0 = process.hrtime.bigint();
tok.train([corpus]);
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
tok.save(out);
console.log(JSON.stringify({ impl: "hf-tokenizers", seconds: +secs.toFixed(3),
  vocab_size: tok.getVocabSize(true) }));
