#!/usr/bin/env python3
"""Independent reference for pmp-dedup (docs/dedup.md), in plain Python: exact
Jaccard by brute force (an inverted index of shingles only skips pairs that share
none, whose Jaccard is 0), the exact-duplicate and repeated-response rules, and
word n-gram decontamination, from the documented definitions, never from the
program's output.

  reference.py gen-near SEED OUT.jsonl          synthetic near duplicates
  reference.py gen-contam SEED OUT.jsonl EVAL   groups with planted eval n-grams
  reference.py check-near IN OUT [--near J] [--shingle K] [--assert-recall]
  reference.py check-contam IN OUT EVAL REPORT [--ngram N]
  reference.py to-docs IN OUT            groups as text documents (half of them, the
                                         odd lines; the rest stay groups): text =
                                         context + each response, one per line

IN may hold text documents {"source", "id", "text"} too (pmp-extract wikipedia
--text): a document's near text and decontaminated text is its whole text, its exact
key its normalised text (never equal to a group's).
"""
import gzip
import os
import json
import random
import sys
import unicodedata
from collections import defaultdict

WHITE = set('\t\n\x0b\x0c\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000') | {chr(c) for c in range(0x2000, 0x200b)}


def norm(text):
    """NFC of the case-folded canonical decomposition: what utf8proc's
    STABLE|COMPOSE|CASEFOLD computes."""
    return unicodedata.normalize('NFC', unicodedata.normalize('NFD', text).casefold())


_cat = {}


def is_word(c):
    r = _cat.get(c)
    if r is None:
        r = _cat[c] = unicodedata.category(c)[0] in 'LMN'
    return r


def words(text):
    out, cur = [], []
    for c in norm(text):
        if is_word(c):
            cur.append(c)
        elif cur:
            out.append(''.join(cur))
            cur = []
    if cur:
        out.append(''.join(cur))
    return out


def collapsed(text):
    out, space = [], False
    for c in norm(text):
        if c in WHITE:
            space = bool(out)
        else:
            if space:
                out.append(' ')
            space = False
            out.append(c)
    return ''.join(out)


def shingles(ws, k):
    if not ws:
        return frozenset()
    if len(ws) < k:
        return frozenset([tuple(ws)])
    return frozenset(tuple(ws[i:i + k]) for i in range(len(ws) - k + 1))


def read_jsonl(path):
    op = gzip.open if path.endswith('.gz') else open
    with op(path, 'rt', encoding='utf-8') as f:
        return [json.loads(l) for l in f if l.strip()]


def kept_flags(groups, out):
    """Output order is input order: walk both."""
    kept, j = [False] * len(groups), 0
    for i, g in enumerate(groups):
        if j < len(out) and out[j]['id'] == g['id']:
            kept[i] = True
            j += 1
    if j != len(out):
        sys.exit('reference: the output is not a subsequence of the input (at output %d)' % j)
    return kept


def is_doc(g):
    """A text document {"source", "id", "text"} (pmp-extract wikipedia --text)."""
    return 'responses' not in g and 'text' in g


def group_rules(g):
    """(responses kept after rule 1, exact key) of a group; a document has no
    responses and its whole text as the context."""
    if is_doc(g):
        return [], ('doc', collapsed(g['text']))
    seen, kept = set(), []
    for r in g['responses']:
        c = collapsed(r['text'])
        if c not in seen:
            seen.add(c)
            kept.append(r)
    return kept, (collapsed(g['context']), frozenset(seen))


# ---------------------------------------------------------------- generators

def vocab(rng, n):
    letters = 'abcdefghijklmnopqrstuvwxyz'
    extra = ['é', 'ü', 'ß', 'ø', 'ñ', 'λ', 'ж', 'ç']
    out = set()
    while len(out) < n:
        w = ''.join(rng.choice(letters) for _ in range(rng.randint(2, 9)))
        if rng.random() < 0.1:
            p = rng.randrange(len(w) + 1)
            w = w[:p] + rng.choice(extra) + w[p:]
        out.add(w)
    return sorted(out)


def zipf_text(rng, vocab_, n):
    # Zipf-like: index = floor(V * u^3), so common words repeat as in real text
    V = len(vocab_)
    return [vocab_[int(V * rng.random() ** 3)] for _ in range(n)]


def surface(rng, ws):
    """A text of these words, with surface noise that normalisation must undo:
    case, decomposed accents, punctuation, whitespace runs."""
    out = []
    for w in ws:
        r = rng.random()
        if r < 0.05:
            w = w.upper()
        elif r < 0.1:
            w = w.capitalize()
        if rng.random() < 0.05:
            w = unicodedata.normalize('NFD', w)
        out.append(w)
        out.append(rng.choice([' ', ' ', ' ', ' ', ', ', '.  ', '\n', ' \t ', '\u00a0']))
    return ''.join(out).strip()


def same_text(rng, s):
    """s again, as the normalisation sees it: case, decomposition or whitespace changed."""
    return rng.choice([s.upper(), s.replace(' ', '  \n '), unicodedata.normalize('NFD', s), ' ' + s + '\t'])


def edit(rng, ws, rate, vocab_):
    out = []
    for w in ws:
        r = rng.random()
        if r < rate / 3:
            continue                                  # delete
        if r < 2 * rate / 3:
            out.append(rng.choice(vocab_))            # substitute
            continue
        out.append(w)
        if r < rate:
            out.append(rng.choice(vocab_))            # insert after
    return out


def gen_near(seed, path):
    rng = random.Random(seed)
    V = vocab(rng, 20000)
    rates = [0, 0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.035, 0.04, 0.05, 0.06, 0.08, 0.1, 0.15, 0.25]
    bases, variants = [], []
    for i in range(1200):
        ctx = zipf_text(rng, V, rng.randint(10, 250))
        best = zipf_text(rng, V, rng.randint(5, 200))
        other = zipf_text(rng, V, rng.randint(5, 100))
        bases.append((ctx, best, other, 'syn/base/%d' % i))
        rate = rates[i % len(rates)]
        # the variant edits the context and the best response; the other response is new
        variants.append((edit(rng, ctx, rate, V), edit(rng, best, rate, V), zipf_text(rng, V, 30),
                         'syn/var/%d/%g' % (i, rate)))
    lines = []
    for ctx, best, other, gid in bases + variants:
        g = {'source': 'synthetic', 'id': gid, 'context': surface(rng, ctx),
             'responses': [{'text': surface(rng, other), 'score': 0},
                           {'text': surface(rng, best), 'score': 2}]}
        if rng.random() < 0.03:   # a repeated response (rule 1)
            g['responses'].append({'text': same_text(rng, g['responses'][1]['text']), 'score': 1})
        if rng.random() < 0.01:   # a group left with one response (rule 1)
            g['responses'][0]['text'] = same_text(rng, g['responses'][1]['text'])
        lines.append(g)
    for i in range(40):           # exact duplicates (rule 3): responses in another order too
        g = dict(rng.choice(lines[:len(bases)]))
        g['id'] = 'syn/exact/%d' % i
        g['context'] = same_text(rng, g['context'])
        g['responses'] = [dict(r, text=same_text(rng, r['text'])) for r in reversed(g['responses'])]
        lines.append(g)
    tail = lines[len(bases):]
    rng.shuffle(tail)
    with open(path, 'w', encoding='utf-8') as f:
        for g in lines[:len(bases)] + tail:
            f.write(json.dumps(g, ensure_ascii=rng.random() < 0.5) + '\n')


def gen_contam(seed, path, eval_path):
    rng = random.Random(seed)
    V = vocab(rng, 20000)
    items = []
    with open(eval_path, 'w', encoding='utf-8') as f:
        for i in range(300):
            h = zipf_text(rng, V, rng.randint(5, 60))
            a = zipf_text(rng, V, rng.randint(5, 60))
            b = zipf_text(rng, V, rng.randint(5, 60))
            items.append((h, a, b))
            f.write(json.dumps({'chosen': '\n\nHuman: %s\n\nAssistant: %s' % (surface(rng, h), surface(rng, a)),
                                'rejected': '\n\nHuman: %s\n\nAssistant: %s' % (surface(rng, h), surface(rng, b))}) + '\n')
    planted = []
    with open(path, 'w', encoding='utf-8') as f:
        for i in range(3000):
            texts = [zipf_text(rng, V, rng.randint(20, 200)) for _ in range(3)]
            kind = rng.random()
            gid = 'syn/%d' % i
            if kind < 0.15 or kind < 0.25:
                # plant a 13-word window of an eval text (0.15), or a 12-word one (0.1: must not hit)
                n = 13 if kind < 0.15 else 12
                h, a, b = rng.choice(items)
                src = rng.choice([['human'] + h + ['assistant'] + a, h, a, b])
                if len(src) >= n:
                    s = rng.randrange(len(src) - n + 1)
                    t = rng.randrange(3)
                    p = rng.randrange(len(texts[t]) + 1)
                    texts[t] = texts[t][:p] + src[s:s + n] + texts[t][p:]
                    if n == 13:
                        planted.append(gid)
            g = {'source': 'synthetic', 'id': gid, 'context': surface(rng, texts[0]),
                 'responses': [{'text': surface(rng, texts[1]), 'score': 1},
                               {'text': surface(rng, texts[2]), 'score': 0}]}
            f.write(json.dumps(g) + '\n')
    with open(path + '.planted', 'w') as f:
        f.write('\n'.join(planted) + '\n')


# ---------------------------------------------------------------- checks

def check_near(inp, outp, near, k, assert_recall):
    groups, out = read_jsonl(inp), read_jsonl(outp)
    kept = kept_flags(groups, out)
    seen = set()
    kept_sh = []
    inv = defaultdict(list)
    pairs = []          # (Jmax with an earlier kept group, dropped by the program)
    wrong = []
    for i, g in enumerate(groups):
        resp, key = group_rules(g)
        if len(resp) < 2 and not is_doc(g):
            if kept[i]:
                wrong.append('%s: kept with < 2 distinct responses' % g['id'])
            continue
        if key in seen:
            if kept[i]:
                wrong.append('%s: exact duplicate kept' % g['id'])
            continue
        seen.add(key)
        if is_doc(g):
            sh = shingles(words(g['text']), k)
        else:
            best = max(range(len(resp)), key=lambda j: (resp[j]['score'], -j))
            sh = shingles(words(g['context']) + words(resp[best]['text']), k)
        if not sh:
            if not kept[i]:
                wrong.append('%s: no words, yet dropped' % g['id'])
            continue
        counts = defaultdict(int)
        for s in sh:
            for d in inv.get(s, ()):
                counts[d] += 1
        jmax = max((c / (len(sh) + len(kept_sh[d]) - c) for d, c in counts.items()), default=0.0)
        pairs.append((jmax, not kept[i]))
        if kept[i]:
            for s in sh:
                inv[s].append(len(kept_sh))
            kept_sh.append(sh)
    bins = [(0, 0.0001), (0.0001, 0.3), (0.3, near - 0.2), (near - 0.2, near - 0.1), (near - 0.1, near),
            (near, near + 0.05), (near + 0.05, 0.9), (0.9, 0.99), (0.99, 1.01)]
    print('reference: %d groups, %d kept, %d checked for near duplicates' % (len(groups), len(out), len(pairs)))
    print('  exact Jaccard with an earlier kept group   pairs   dropped')
    for lo, hi in bins:
        sel = [d for j, d in pairs if lo <= j < hi]
        if sel:
            print('  [%.2f, %.2f)  %28d  %8.4f' % (lo, min(hi, 1), len(sel), sum(sel) / len(sel)))
    hi_ = [d for j, d in pairs if j >= near + 0.05]
    lo_ = [d for j, d in pairs if j <= near - 0.2]
    recall = sum(hi_) / len(hi_) if hi_ else float('nan')
    fp = sum(lo_) / len(lo_) if lo_ else float('nan')
    print('reference: recall %.4f over %d pairs with J >= %.2f; false positives %.4f over %d pairs with J <= %.2f'
          % (recall, len(hi_), near + 0.05, fp, len(lo_), near - 0.2))
    for w in wrong[:20]:
        print('reference: WRONG', w)
    ok = not wrong
    if assert_recall:
        if hi_ and recall < 0.95:
            print('reference: FAIL recall %.4f < 0.95' % recall)
            ok = False
        if lo_ and fp > 0.01:
            print('reference: FAIL false positives %.4f > 0.01' % fp)
            ok = False
    return 0 if ok else 1


def eval_seqs(path):
    """(item name, word sequences): an hh row's two transcripts; a group's context +
    each response."""
    recs = read_jsonl(path)
    for n, r in enumerate(recs, 1):
        if 'responses' in r:
            yield r['id'], [words(r['context']) + words(x['text']) for x in r['responses']]
        else:
            yield '%s:%d' % (path, n), [words(r['chosen']), words(r['rejected'])]


def check_contam(inp, outp, eval_path, report_path, n):
    groups, out = read_jsonl(inp), read_jsonl(outp)
    kept = kept_flags(groups, out)
    # every n-gram of an evaluation text; a text of fewer than n words, whole
    first = {}
    for name, seqs in eval_seqs(eval_path):
        for ws in seqs:
            if 0 < len(ws) < n:
                first.setdefault(tuple(ws), name)
            for i in range(len(ws) - n + 1):
                first.setdefault(tuple(ws[i:i + n]), name)
    expect_hits = defaultdict(int)
    wrong = []
    n_contam = 0
    seen = set()
    for i, g in enumerate(groups):
        resp, key = group_rules(g)      # rules 1 and 3 (run with --no-near)
        if len(resp) < 2 and not is_doc(g):
            if kept[i]:
                wrong.append('%s: kept with < 2 distinct responses' % g['id'])
            continue
        # a group's texts are context + each response (repeated responses aside);
        # a document's, its text
        hit = set()
        texts = [words(g['text'])] if is_doc(g) else [words(g['context']) + words(r['text']) for r in resp]
        for ws in texts:
            grams = [tuple(ws)] if 0 < len(ws) < n else [tuple(ws[j:j + n]) for j in range(len(ws) - n + 1)]
            for k in grams:
                it = first.get(k)
                if it:
                    hit.add(it)
        n_contam += bool(hit)
        for it in hit:
            expect_hits[it] += 1
        if hit:
            if kept[i]:
                wrong.append('%s: contaminated, yet kept' % g['id'])
            continue
        if key in seen:
            if kept[i]:
                wrong.append('%s: exact duplicate kept' % g['id'])
            continue
        seen.add(key)
        if not kept[i]:
            wrong.append('%s: clean, yet dropped' % g['id'])
    planted = set(open(inp + '.planted').read().split()) if os.path.exists(inp + '.planted') else set()
    missed = [g['id'] for i, g in enumerate(groups) if g['id'] in planted and kept[i]]
    rep = json.load(open(report_path))
    # items are named FILE:LINE: compare the line numbers (the file may be a compressed copy)
    got_hits = {h['item'].rsplit(':', 1)[-1]: h['groups'] for h in rep['evaluation']['hits']}
    want_hits = {k.rsplit(':', 1)[-1]: v for k, v in expect_hits.items()}
    print('reference: %d groups, %d contaminated (%d planted), %d evaluation items hit; program: %d dropped, '
          'report %d contaminated, %d items' % (len(groups), n_contam, len(planted), len(expect_hits),
                                                kept.count(False), rep['total']['contaminated'], len(got_hits)))
    ok = not wrong and not missed and got_hits == want_hits and rep['total']['contaminated'] == n_contam
    for w in wrong[:20]:
        print('reference: WRONG', w)
    for m in missed[:20]:
        print('reference: planted n-gram missed', m)
    if got_hits != want_hits:
        print('reference: the report\'s items differ: %d vs %d' % (len(got_hits), len(want_hits)))
    return 0 if ok else 1


def to_docs(inp, outp):
    with open(outp, 'w', encoding='utf-8') as f:
        for i, g in enumerate(read_jsonl(inp)):
            if i % 2:
                g = {'source': g['source'], 'id': g['id'],
                     'text': '\n'.join([g['context']] + [r['text'] for r in g['responses']])}
            f.write(json.dumps(g, ensure_ascii=False) + '\n')
    return 0


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ''
    opt = {}
    args = []
    i = 2
    while i < len(argv):
        if argv[i].startswith('--'):
            if argv[i] == '--assert-recall':
                opt['assert'] = True
            else:
                opt[argv[i][2:]] = argv[i + 1]
                i += 1
        else:
            args.append(argv[i])
        i += 1
    if cmd == 'gen-near':
        gen_near(int(args[0]), args[1])
        return 0
    if cmd == 'gen-contam':
        gen_contam(int(args[0]), args[1], args[2])
        return 0
    if cmd == 'check-near':
        return check_near(args[0], args[1], float(opt.get('near', 0.8)), int(opt.get('shingle', 5)),
                          opt.get('assert', False))
    if cmd == 'to-docs':
        return to_docs(args[0], args[1])
    if cmd == 'check-contam':
        return check_contam(args[0], args[1], args[2], args[3], int(opt.get('ngram', 13)))
    print(__doc__)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
