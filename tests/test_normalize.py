"""`nfkc`'s char-by-char fold gives unicodedata's NFKC exactly, and falls back where chars interact."""

import random
import re
import unicodedata

import pytest

from extractors.normalize import _char_folds, compact, compact_with_map, nfkc


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def test_every_bmp_char_alone_folds_as_unicodedata_does():
    wrong = [cp for cp in range(0x10000) if nfkc(chr(cp)) != _nfkc(chr(cp))]
    assert wrong == []


def test_the_tables_miss_no_char_that_composes_or_reorders_even_with_pairs_beyond_the_bmp():
    # The tables scan the BMP only; a canonical pair anywhere (astral composites included) must not have a second
    # the fold treats as inert, nor may a BMP char whose NFKD holds a mark or such a second be folded alone.
    seconds = set(range(0x1161, 0x1176)) | set(range(0x11A8, 0x11C3))
    for cp in range(0x110000):
        d = unicodedata.decomposition(chr(cp))
        if d and d[0] != "<" and len(d.split()) == 2:
            seconds.add(int(d.split()[1], 16))
    fold = _char_folds()
    for cp in range(0x10000):
        ch = chr(cp)
        parts = unicodedata.normalize("NFKD", ch)
        if any(unicodedata.combining(x) or ord(x) in seconds for x in parts):
            assert fold.interacting.match(ch), hex(cp)


@pytest.mark.parametrize(
    "text",
    [
        "（一）主动公开政府信息情况：２０２４年，共计１２３件。",
        "e\u0301 and a\u0300",  # combining marks after ASCII letters compose
        "\u003c\u0338",  # "<" + combining long solidus overlay composes to "≮"
        "\u3131\u314f",  # compatibility jamo fold to conjoining jamo, which then compose to a syllable
        "\u1100\u1161\u11a8",  # conjoining jamo compose
        "\uac00\u11a8",  # a syllable with a final jamo composes
        "q\u0323\u0307",  # marks reorder by combining class
        "\u09c7\u09be",  # a Bengali vowel sign composes with the one before it
        "ＡＢＣ\U0001d400\u2460",  # a char beyond the BMP: normalised whole
        "\ufb01\u2474\u3392\u33c4",  # ligature and squared compatibility forms expand to several chars
    ],
)
def test_texts_where_chars_interact_or_expand_fold_as_unicodedata_does(text):
    assert nfkc(text) == _nfkc(text)


def test_random_texts_of_interacting_and_folding_chars_fold_as_unicodedata_does():
    pool = [
        chr(c)
        for c in [
            *range(0x20, 0x7F),
            *range(0x300, 0x36F),
            *range(0x1100, 0x1200),
            *range(0x3131, 0x318F),
            *range(0xAC00, 0xAC20),
            *range(0xFF01, 0xFF5F),
            *range(0x2460, 0x24FF),
            *range(0x4E00, 0x4E20),
            0x9BE,
            0x9C7,
            0xB3E,
            0xB47,
            0x338,
            0x3000,
            0x3001,
            0x1D400,
        ]
    ]
    rnd = random.Random(7)
    wrong = []
    for _ in range(50_000):
        text = "".join(rnd.choice(pool) for _ in range(rnd.randint(1, 8)))
        if nfkc(text) != _nfkc(text):
            wrong.append(text)
    assert wrong == []


def test_a_compact_forms_map_points_at_each_kept_char_and_compact_agrees():
    rnd = random.Random(11)
    pool = [
        "一",
        "二",
        "、",
        "1",
        "2",
        "．",
        " ",
        "\n",
        "\u3000",
        "“",
        "”",
        "'",
        '"',
        "ａ",
        "Ａ",
        "\ufb01",
        "\u2474",
        "e\u0301",
    ]
    for _ in range(20_000):
        text = "".join(rnd.choice(pool) for _ in range(rnd.randint(0, 30)))
        form, cmap = compact_with_map(text)
        folded = _nfkc(text)
        if len(folded) == len(text):
            kept = [i for i, ch in enumerate(folded) if not (ch.isspace() or ch in "“”\"‘’'")]
            assert list(cmap) == kept, text
            assert [cmap[i] for i in range(-len(cmap), 0)] == kept
            assert form == re.sub(r"(?<=\d)[、．]", ".", "".join(folded[i] for i in kept))
        assert len(cmap) == len(form)
        assert compact(text) == form
    with pytest.raises(IndexError):
        compact_with_map("一 二")[1][2]


def test_a_run_map_equals_the_tuple_of_its_indices():
    cmap = compact_with_map("一 二\n三")[1]
    assert cmap == (0, 2, 4)
    assert cmap != (0, 1, 2)
    assert cmap[0:2] == (0, 2)
    assert hash(cmap) == hash((0, 2, 4))


def test_a_memoised_function_of_its_text_alone_answers_by_name_and_by_position_from_one_cache() -> None:
    from extractors.values import squash

    text = "９ ８ 件（memo by name）"
    before = squash.cache_info()
    assert squash(text=text) == squash(text) == "98件(memobyname)"
    assert squash.cache_info().hits == before.hits + 1  # the second call was answered from the first's entry
    long = "１" * 200
    assert squash(long) == "1" * 200 and squash.cache_info().currsize <= before.currsize + 1
