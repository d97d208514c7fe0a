#!/usr/bin/python3
"""Writes hard_cases.jsonl: texts that stress pre-tokenisation and merging.
One JSON string per line (ensure_ascii, so the file shows every code point).
Run once; the output is committed, and ref_ids.mjs turns it into reference ids."""
import json, os

cases = []
add = cases.append

# Contractions in every case, after letters, digits, spaces, and alone.
for c in ["s", "t", "re", "ve", "m", "ll", "d"]:
    for v in {c, c.upper(), c.capitalize(), c[:-1] + c[-1].upper()}:
        add(f"it'{v} x'{v} '{v}'{v} 9'{v} ('{v})")
add("I'm You're He's She'd We'll They've Don't I'M YOU'RE HE'S SHE'D WE'LL THEY'VE DON'T")
add("o'clock rock'n'roll y'all ma'am 'tis '''' ' '' don\u2019t it\u2019s")
add("'\u017f '\u017fs it'\u017f I'\u212a")          # long s and Kelvin sign: case folding
# Digit runs.
for n in range(1, 13):
    add("".join(str((i * 7 + 3) % 10) for i in range(n)))
add("3.14159 2,718,281 1e-10 0x1F 100% $5 \u20ac12,50 1st 2nd 3rd 007 08/15/2024")
add("\u0661\u0662\u0663\u0664\u0665 \uff11\uff12\uff13\uff14 \u00b2\u00b3\u00b9 \u2160\u2161 \u0967\u0968\u0969")
add("a1b22c333d4444e55555 " + "9" * 40)
# Whitespace runs, trailing spaces, tabs, form feeds, vertical tabs, CR LF.
for s in ["a  b", "a   b", "a    b", "   leading", "trailing ", "trailing   ", " ", "  ", "     ",
          "\n", "\n\n", "\n\n\n", " \n ", "  \n\n  x", "\r\n", "a\r\nb\r\n\r\n", "\r", "x\r\r\ny",
          "\t", "\t\tx", "x\t\t", "a \t b", "\f", "a\fb", "\f\f x", "\u000b", "a\u000b\u000bb",
          "end with newline\n", "  \t\n \t", "word \n\n word  \n"]:
    add(s)
# Unicode spaces: the White_Space set, and look-alikes that are not in it.
for cp in [0x85, 0xA0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006,
           0x2007, 0x2008, 0x2009, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000,
           0x180E, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x1C, 0x1D, 0x1E, 0x1F]:
    ch = chr(cp)
    add(f"a{ch}b {ch}word word{ch} {ch}{ch}x x{ch}{ch} 1{ch}2 !{ch}? {ch}\n{ch}")
add("NEL\u0085\u0085line \u0085 \u0085\n\u0085")
# Emoji and ZWJ sequences, flags, skin tones, keycaps.
add("\U0001F44D\U0001F3FD \U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466 "
    "\U0001F3F3\uFE0F\u200D\U0001F308 \U0001F1EF\U0001F1F5\U0001F1EB\U0001F1F7 1\uFE0F\u20E3")
add("I love it\U0001F602\U0001F602\U0001F602!! \u2764\ufe0f\u2764\ufe0f \U0001F600 smile")
add("\U0001F9D1\u200D\U0001F4BB coding \U0001F415\u200D\U0001F9BA \U0001FAE0\U0001FAE8")
# CJK, Korean, Japanese with punctuation.
add("\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3067\u3059\u3002\u6771\u4eac\u30bf\u30ef\u30fc")
add("\u4e2d\u6587\u6d4b\u8bd5\uff0c\u6807\u70b9\u7b26\u53f7\u3002\u201c\u5f15\u53f7\u201d\uff01")
add("\uc548\ub155\ud558\uc138\uc694 \uc138\uacc4! \u1100\u1161\u11a8")
add("\u6f22\u5b57 kanji \u3072\u3089\u304c\u306a katakana\u30ab\u30bf\u30ab\u30ca 123\u5e74")
# Combining marks, precomposed vs decomposed, scripts with marks.
add("e\u0301 \u00e9 n\u0303 \u00f1 A\u030a \u00c5 a\u0300\u0301\u0302\u0303\u0304 Z\u0335\u0336\u0337")
add("\u0939\u093f\u0928\u094d\u0926\u0940 \u092d\u093e\u0937\u093e \u0e20\u0e32\u0e29\u0e32\u0e44\u0e17\u0e22")
add("\u0301\u0301 start with marks \u0301x")
# Right-to-left text, mixed with LTR, digits and direction marks.
add("\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645 123 hello \u0627\u0644\u0646\u0635")
add("\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd \u200f(\u05d0)\u200e end \u202bembed\u202c")
add("\u0627\u0644\u0639\u0631\u0628\u064a\u0629\u0651\u064e \u0661\u0662 \u06f1\u06f2")
# The text of special tokens, whole, partial, adjacent, inside words.
for s in ["<|endoftext|>", "a<|endoftext|>b", "<|endoftext|><|endoftext|>", "<|endoftext|",
          "|endoftext|>", "<|endofprompt|> prompt", "<|fim_prefix|>x<|fim_middle|>y<|fim_suffix|>z",
          "text <|endoftext|>\n\nmore", "<|im_start|>user", "< |endoftext| >", "<<|endoftext|>>"]:
    add(s)
# NUL and other controls.
add("a\u0000b")
add("\u0000")
add("\u0000\u0000 \u0000x\u0000 \u0001\u0002\u0003\u007f \u001b[31mred\u001b[0m")
# Case and camel case (o200k splits on case changes), slashes, punctuation runs.
add("HelloWorld camelCaseWord XMLHttpRequest iPhone McDONALD'S ALLCAPS's \u01c5ungla \u01c8j")
add("path/to/file.txt a//b https://example.com/a/b?c=d&e=f#g C:\\Users\\x /usr/bin/\n")
add("!!! ??? ... --- *** ;;; ,,, ((( ))) [[]] {{}} <<>> @@ ## $$ %% ^^ && __ == ++ ~~ `` ||")
add("end.\nnext line\n\n  indented:\n\t- item 1\n\t- item 2\n")
add("```python\ndef f(x):\n    return x ** 2  # square\n```\n")
add("\u00bfQu\u00e9? \u00a1S\u00ed! \u00ab\u00bb \u2018single\u2019 \u201cdouble\u201d \u2026 \u2014 \u2013")
# Code points assigned in Unicode 15 (PCRE2 10.42 and Rust's regex tables may differ).
add("a\U00011F04\U00011F05b x \U00031350\U00031351 ok \U0001E030\U0001E031 z \U0001FAE8 x\u0CF3y")
# Long pieces: the heap path (> 256 bytes in one piece) and long runs.
add("a" * 1000)
add(" " * 600 + "x")
add("x" + " " * 600)
add("\n" * 300)
add("1234567890" * 40)
add("pneumonoultramicroscopicsilicovolcanoconiosis" * 20)
add("!?" * 300)
add("\u00e9" * 400)
add("\u4e2d\u6587" * 200)
add("\U0001F600" * 150)
add("ab" * 500 + " " + "abc" * 300)

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "hard_cases.jsonl"), "w", encoding="ascii") as f:
    for s in cases:
        f.write(json.dumps(s, ensure_ascii=True) + "\n")
print(len(cases), "cases")
