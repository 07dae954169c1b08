#!/usr/bin/env python3
"""tests/fuzz/result-seeds.py: writes the seed corpus of fuzz_result
(tests/fuzz/corpus/result/) and its regression inputs
(tests/fuzz/regressions/result/) from readable Lua-like values.

Owns the encoding of values into fuzz_result's input bytes: it mirrors the
decoder of tests/fuzz/fuzz_result.c (enum vtag, push_key, push_word, the
words table). Change both together. To add a seed, add a line to SEEDS (or
REGRESSIONS, named after the id of the check it breaks) and run
`tests/fuzz/result-seeds.py`; the files are named after the entry.
"""
import os
import struct
import sys

# enum vtag in fuzz_result.c
V_NIL, V_FALSE, V_TRUE, V_INT_SMALL, V_INT_RAW, V_INT_EDGE, V_FLOAT_RAW, V_FLOAT_EDGE, \
    V_STR_RAW, V_STR_WORD, V_STR_LONG, V_TABLE, V_ARRAY, V_REF, V_WIDE, V_FUNCTION, \
    V_META, V_USERDATA, V_THREAD = range(19)

# rec_fields in batch/core/case.c, in order (R__COUNT of them)
REC_FIELDS = [
    "case_no", "defendant_no", "offense", "status", "error", "threshold_met",
    "threshold_basis", "statutory_kinds", "statutory_max_months", "fine_rule",
    "fine_min_yuan", "recommended_kind", "recommended_months", "range_low_months",
    "range_high_months", "suspension_allowed", "recommended_suspended",
    "probation_min_months", "probation_max_months", "recommended_fine_yuan", "ban_eligible",
    "ban_min_years", "ban_max_years", "ban_recommended_years", "injunction_eligible",
    "review_flags", "citations", "rule_set",
]
# words[] in fuzz_result.c, the first ones (the rest are reached by the fuzzer)
WORDS = ["trace", "ok", "error", "with_or_alone", "fixed_term", "detention", "surveillance",
         "fine_only", "exempt"]


class Word(str):
    """A string the decoder takes from its word list (field names, enum values)."""


class Wide:
    """An array holding one value n times (the same table, when a table)."""

    def __init__(self, n, value):
        self.n, self.value = n, value


class Meta:
    """setmetatable(table, {__index = index}); index is 'error' or 'value'."""

    def __init__(self, table, index):
        self.table, self.index = table, index


def value(v):
    if v is None:
        return bytes([V_NIL])
    if v is True or v is False:
        return bytes([V_TRUE if v else V_FALSE])
    if isinstance(v, int):
        if -128 <= v <= 127:
            return bytes([V_INT_SMALL, v & 0xFF])
        return bytes([V_INT_RAW]) + struct.pack(">q", v)
    if isinstance(v, float):
        return bytes([V_FLOAT_RAW]) + struct.pack(">d", v)
    if isinstance(v, Word):
        names = REC_FIELDS + WORDS
        return bytes([V_STR_WORD, names.index(v)])
    if isinstance(v, (str, bytes)):
        b = v.encode() if isinstance(v, str) else v
        assert len(b) < 256
        return bytes([V_STR_RAW, len(b)]) + b
    if isinstance(v, list):
        assert len(v) < 32
        return bytes([V_ARRAY, len(v)]) + b"".join(value(x) for x in v)
    if isinstance(v, dict):
        return bytes([V_TABLE]) + pairs(v)
    if isinstance(v, Wide):
        return bytes([V_WIDE]) + struct.pack(">H", v.n - 1) + value(v.value)
    if isinstance(v, Meta):
        return bytes([V_META, {"error": 0, "value": 1}[v.index]]) + pairs(v.table)
    raise TypeError(v)


def key(k):
    if k in REC_FIELDS:
        return bytes([0, REC_FIELDS.index(k)])
    if k == "trace":
        return bytes([3])
    if isinstance(k, int) and 1 <= k <= 16:
        return bytes([5, k - 1])
    b = k.encode() if isinstance(k, str) else k
    return bytes([4, len(b)]) + b


def pairs(d):
    assert len(d) < 16
    return bytes([len(d)]) + b"".join(key(k) + value(v) for k, v in d.items())


OK = Word("ok")
SEEDS = {
    "ok-minimal": {"status": OK},
    "error": {"status": Word("error"), "error": "rules.lua:12: no offense date"},
    "ok-full": {
        "status": OK, "threshold_met": True, "threshold_basis": ["287-2.1.a"],
        "statutory_kinds": [Word("fixed_term"), Word("detention")],
        "statutory_max_months": 36, "fine_rule": Word("with_or_alone"),
        "recommended_kind": Word("fixed_term"), "recommended_months": 10,
        "range_low_months": 6, "range_high_months": 14, "suspension_allowed": True,
        "recommended_fine_yuan": 1000000, "ban_eligible": False,
        "citations": ["cl287-2", "spc2019-15.12"],
        "trace": [{"test": "amount", "met": True, "facts": {"payment_settled_fen": 152340050}}],
    },
    "trace-mixed": {
        "status": OK,
        "trace": [{"n": 1.5, "big": 2**62, "neg": -7, "nan": float("nan"), "s": "帮信 \"q\"\n"},
                  [True, False, 3, "x"], {}, {"nil": None}],
    },
    "trace-shared": {"status": OK, "trace": Wide(4, {"rule": "r1", "met": True})},
    "trace-meta": {"status": OK, "trace": [Meta({"rule": "r2"}, "value")]},
    "bad-types": {"status": OK, "recommended_months": -1, "threshold_basis": ["a;b"]},
}


# Findings of fuzz_result, named after the check they break (tests/fuzz/known
# says what is wrong while one is open). All were found on f7c495d,
# 8292099 or 3502033 and are fixed on main (text_show, caps, key checks,
# arrays); the inputs stay to keep them fixed.
REGRESSIONS = {
    # 'unknown result key' echoed the key's bytes: the message was not UTF-8.
    "msg-utf8": {"status": OK, b"\xff\xfe": 1},
    # A trace key that was not UTF-8 went into the JSON as it was.
    "trace-json": {"status": OK, "trace": [{b"\xc0\x80": 1}]},
    # An enum was cut at a NUL: "error\0..." was taken as the status error.
    "rec-fidelity": {"status": b"error\0?", "error": "rule failed"},
    # Text was cut at a NUL too: the error lost its tail.
    "rec-fidelity-text": {"status": Word("error"), "error": b"rule failed\0 at rules.lua:3"},
    # A trace key with a NUL was cut at it, and its value lost: the trace
    # was stored as [{"a": null, "c": 2}].
    "trace-keys-nul": {"status": OK, "trace": [{b"a\0b": 1, "c": 2}]},
    # A table was taken for an array when it had #t keys, whichever they
    # were. Filled as t[1], t[2], t[4], t[6] = true, true, true, {lost = 1},
    # it had #t == 4 and four keys: it was written [true,true,null,true] and
    # t[6] was dropped.
    "trace-keys": {"status": OK, "trace": [True, True, None, True, None, {"lost": 1}]},
    # A trace key with a NUL was looked up without it, through __index.
    "metamethod": {"status": OK, "trace": [Meta({b"a\0b": 1}, "error")]},
    # The same table at every level: 16^8 entries of JSON.
    "trace-size": {"status": OK,
                   "trace": Wide(16, Wide(16, Wide(16, Wide(16, Wide(16, Wide(16, Wide(
                       16, Wide(16, "x"))))))))},
}


def write(kind, entries):
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), kind, "result")
    os.makedirs(out, exist_ok=True)
    for name, v in entries.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(value(v))
    print(f"{len(entries)} inputs in {out}", file=sys.stderr)


def main():
    write("corpus", SEEDS)
    write("regressions", REGRESSIONS)


if __name__ == "__main__":
    main()
