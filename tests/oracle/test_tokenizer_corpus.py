"""Deterministic tokenizer test corpus shared by tests/oracle/test_tokenizer_*.py.

make_corpus(specials, seed) -> list of (category, text). Every category is generated from a
seeded random.Random, so runs are reproducible; the whole corpus has > 2,000 strings.
"""
import random

WORDS = ("the of and to in is was that for it with as his on be at by had not are but from or have an they which "
         "one you were all her she there would their we him been has when who will more no if out so said what up its "
         "about into than them can only other new some could time these two may then do first any my now such like our "
         "over man me even most made after also did many before must through back years where much your way well down "
         "should because each just those people how too little state good very make world still own see men work long "
         "get here between both life being under never day same another know while last might us great old year off "
         "tokenizer merges vocabulary quantization transformer attention embedding gradient checkpoint").split()
CONTRACTIONS = ["I've", "don't", "DON'T", "we'll", "they're", "she'd", "it's", "I'M", "You'Re", "can't", "'s", "O'Neil"]
PUNCT = list("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~") + ["…", "—", "–", "«", "»", "‹", "›", "“", "”", "‘", "’", "¿", "¡", "§", "¶", "•", "·", "※", "、", "。", "！", "？", "（", "）"]
CJK = ["你好，世界", "机器学习模型", "東京都", "こんにちは", "カタカナ", "ひらがなとカタカナ", "한국어 텍스트", "안녕하세요", "汉字和假名", "量子化されたモデル", "中文标点：“引号”"]
EMOJI = ["😀", "👍🏽", "👨‍👩‍👧‍👦", "🇺🇸", "🇯🇵", "❤️", "✨", "🚀", "🧑🏿‍💻", "🏳️‍🌈", "☕", "1️⃣", "🤖"]
COMBINING = ["e\u0301", "a\u0308", "A\u030a", "n\u0303", "o\u0302\u0301", "\u1100\u1161\u11a8", "Cafe\u0301", "resume\u0301",
             "\u0915\u094d\u0937", "\u0e01\u0e34", "Z\u0335\u0321a\u0336l\u0334g\u0337o", "\u212b", "\u2126", "\uff21", "ﬁ", "Ǆ", "ſ", "K"]
WS = [" ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", "\r", " \n", "\u00a0", "\u3000", "\u2009", "\u200b", "\u0085", "\u2028", "\x0b", "\x0c", "\t\t", "    "]
DIGITS = ["0", "7", "42", "123", "2024", "3.14159", "1,000,000", "1e-6", "0x1F", "٣٤٥", "１２３", "²", "Ⅻ", "½", "𝟙𝟚"]
RANGES = [(0x20, 0x7E), (0xA0, 0x24F), (0x370, 0x3FF), (0x400, 0x4FF), (0x590, 0x5FF), (0x600, 0x6FF), (0x900, 0x97F),
          (0xE00, 0xE7F), (0x1E00, 0x1EFF), (0x2000, 0x206F), (0x2190, 0x22FF), (0x3040, 0x30FF), (0x4E00, 0x9FFF),
          (0xAC00, 0xD7A3), (0xFF00, 0xFFEF), (0x1F300, 0x1F5FF), (0x1F600, 0x1F64F), (0x1D400, 0x1D4FF)]


def _sentence(r):
    n = r.randint(1, 18)
    words = []
    for _ in range(n):
        w = r.choice(WORDS) if r.random() > 0.1 else r.choice(CONTRACTIONS)
        if r.random() < 0.1:
            w = w.capitalize()
        if r.random() < 0.03:
            w = w.upper()
        words.append(w)
    s = " ".join(words)
    return s[0].upper() + s[1:] + r.choice([".", "!", "?", "", ",", ";", "..."])


def _code(r):
    ident = lambda: r.choice(["x", "y", "foo", "bar_baz", "camelCase", "i", "value2", "__init__", "self"])
    templates = [
        lambda: f"def {ident()}({ident()}, {ident()}):\n    return {ident()} * {r.randint(0, 99)}\n",
        lambda: f"for (int i = 0; i < {r.randint(1, 1000)}; ++i) {{\n\t{ident()}[i] += {ident()};\n}}\n",
        lambda: f"if {ident()} == '{r.choice(WORDS)}':\n        print(f\"{{{ident()}}}\")\n",
        lambda: f"const {ident()} = await fetch(`/api/{r.choice(WORDS)}?id=${{{ident()}}}`);\r\n",
        lambda: f"#include <{r.choice(['vector', 'stdio.h', 'map'])}>\n\nint main() {{ return {r.randint(0, 9)}; }}\n",
        lambda: f"SELECT {ident()}, COUNT(*) FROM t WHERE {ident()} >= {r.randint(0, 50)} GROUP BY 1;",
        lambda: f"    # {_sentence(r)}\n    {ident()} = [{', '.join(str(r.randint(0, 999)) for _ in range(r.randint(1, 6)))}]\n",
        lambda: "{\"key\": \"" + r.choice(WORDS) + "\", \"n\": " + str(r.randint(0, 10 ** 6)) + ", \"ok\": true}\n",
        lambda: f"x = y->z;  // {r.choice(WORDS)}\n\n\n",
        lambda: "<div class=\"" + ident() + "\">&nbsp;" + r.choice(WORDS) + "</div>\n",
    ]
    return "".join(r.choice(templates)() for _ in range(r.randint(1, 3)))


def _whitespace(r):
    parts = []
    for _ in range(r.randint(1, 8)):
        parts.append(r.choice(WS) * r.randint(1, 4))
        if r.random() < 0.7:
            parts.append(r.choice(WORDS + PUNCT + DIGITS))
    return "".join(parts)


def _digits(r):
    parts = []
    for _ in range(r.randint(1, 6)):
        c = r.random()
        if c < 0.5:
            parts.append(str(r.randint(0, 10 ** r.randint(1, 15))))
        else:
            parts.append(r.choice(DIGITS))
        parts.append(r.choice(["", " ", ",", ".", "-", "+", "x", "% ", " = "]))
    return "".join(parts)


def _punct(r):
    return "".join(r.choice(PUNCT + [" ", "a", "'s", "'t", "'ll"]) for _ in range(r.randint(1, 25)))


def _cjk(r):
    return "".join(r.choice(CJK + [" ", "ABC", "123", "。", "，", "AI"]) for _ in range(r.randint(1, 5)))


def _emoji(r):
    return "".join(r.choice(EMOJI + [" ", "ok", "!", "\u200d", "\ufe0f"]) for _ in range(r.randint(1, 8)))


def _combining(r):
    return "".join(r.choice(COMBINING + [" ", r.choice(WORDS)]) for _ in range(r.randint(1, 6)))


def _special(r, specials):
    parts = []
    for _ in range(r.randint(1, 6)):
        c = r.random()
        if c < 0.4:
            parts.append(r.choice(specials))
        elif c < 0.5:
            s = r.choice(specials)  # a truncated special token is plain text
            parts.append(s[: r.randint(1, max(1, len(s) - 1))])
        else:
            parts.append(r.choice([_sentence(r), " ", "\n", "user\n", "x", "<", "|>", "<|"]))
    return "".join(parts)


def _random_unicode(r):
    out = []
    for _ in range(r.randint(1, 30)):
        lo, hi = r.choice(RANGES)
        out.append(chr(r.randint(lo, hi)))
    return "".join(out)


def make_corpus(specials, seed=20241126):
    r = random.Random(seed)
    gens = [("english", _sentence), ("code", _code), ("whitespace", _whitespace), ("digits", _digits),
            ("punctuation", _punct), ("cjk", _cjk), ("emoji", _emoji), ("combining", _combining),
            ("special", lambda rr: _special(rr, specials)), ("random_unicode", _random_unicode)]
    corpus = []
    for name, g in gens:
        for _ in range(220):
            corpus.append((name, g(r)))
    # Longer and edge-case strings.
    corpus += [("edge", s) for s in ["", " ", "\n", "a", "  ", " " * 5000, "a" * 3000, "ab" * 1500, "\n" * 300,
                                      " \t\n\r " * 200, "".join(_sentence(r) + " " for _ in range(200)),
                                      "x" + "".join(specials) + "y", "".join(specials[:3]) * 3, "Hello world"]]
    for _ in range(60):  # mixed paragraphs
        corpus.append(("mixed", "".join(r.choice(gens)[1](r) for _ in range(r.randint(2, 5)))))
    return corpus


# C0 control characters (some byte-level vocabularies, e.g. SmolLM2's, lack a few of them).
def control_strings(seed=7):
    r = random.Random(seed)
    out = []
    for b in range(0x00, 0x20):
        out.append("a" + chr(b) + "b")
        out.append("!!" + chr(b) + "!!" + chr(b) * 2)
    for _ in range(40):
        out.append("".join(r.choice([chr(r.randint(0, 31)), " ", "x", "!", "é"]) for _ in range(r.randint(1, 12))))
    return out


if __name__ == "__main__":
    # Standalone check of the corpus itself: size, categories, determinism, coverage.
    import sys
    import unicodedata
    specials = ["<|im_start|>", "<|im_end|>", "<|endoftext|>"]
    c1, c2 = make_corpus(specials), make_corpus(specials)
    results = []
    results.append(("size >= 2000", len(c1) >= 2000))
    results.append(("deterministic", c1 == c2))
    results.append(("different seed differs", make_corpus(specials, seed=1) != c1))
    cats = {c for c, _ in c1}
    for need in ["english", "code", "whitespace", "digits", "punctuation", "cjk", "emoji", "combining", "special", "random_unicode"]:
        results.append((f"category {need}", need in cats and sum(1 for c, _ in c1 if c == need) >= 200))
    texts = [t for _, t in c1]
    results.append(("has non-NFC strings", sum(1 for t in texts if unicodedata.normalize("NFC", t) != t) >= 50))
    results.append(("has inline specials", sum(1 for t in texts if any(s in t for s in specials)) >= 100))
    results.append(("has CJK", any("\u4e00" <= ch <= "\u9fff" for t in texts for ch in t)))
    results.append(("has astral emoji", any(ord(ch) > 0xFFFF for t in texts for ch in t)))
    failed = [n for n, ok in results if not ok]
    for n in failed:
        print("FAIL", n)
    print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    sys.exit(1 if failed else 0)
