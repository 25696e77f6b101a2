"""Request parsing, reply formatting and OSC decoding on bytes and built messages: no network."""

from __future__ import annotations

import math
import struct
import time

import pytest

from bridge.server import osc, protocol, table
from bridge.server.osc import Malformed, Message
from bridge.server.protocol import Address, Request, RequestError, parse_request
from engines.base import Verb
from engines.notes import Note
from engines.params import Param

ADDRESSES = table.addresses()

CONTINUE = ADDRESSES["/bridge/rnn/continue"]
REGISTER = ADDRESSES["/bridge/register"]
PING = ADDRESSES["/bridge/ping"]


def osc_string(text: str) -> bytes:
    data = text.encode() + b"\0"
    return data + b"\0" * (-len(data) % 4)


# --- parsing that succeeds ---------------------------------------------------------------


def test_defaults_are_filled_and_given_keys_recorded() -> None:
    req = parse_request(CONTINUE, [7])
    assert req.id == 7
    assert req["temperature"] == 1.0 and req["steps"] == 32
    assert req["seed"] is None and req["top_p"] is None and list(req["notes"]) == []
    assert req.given == frozenset()


def test_keys_in_any_order_with_int_and_float_interchangeable() -> None:
    # Max sends ints where a patch holds ints and floats where it holds floats.
    req = parse_request(
        CONTINUE,
        [
            3.0,
            "notes",
            60.0,
            0,
            1,
            100,
            62,
            1.5,
            0.5,
            90.0,
            "steps",
            16.0,
            "temperature",
            2,
            "seed",
            42,
            "top_p",
            1,
        ],
    )
    assert req.id == 3 and isinstance(req.id, int)
    assert req["steps"] == 16 and isinstance(req["steps"], int)
    assert req["temperature"] == 2.0 and isinstance(req["temperature"], float)
    assert req["seed"] == 42 and req["top_p"] == 1.0
    assert req["notes"] == [Note(60, 0.0, 1.0, 100), Note(62, 1.5, 0.5, 90)]
    assert req.given == {"notes", "steps", "temperature", "seed", "top_p"}


def test_register_port() -> None:
    assert parse_request(REGISTER, [1, "port", 9000])["port"] == 9000


def test_strings_key_takes_names_up_to_next_key() -> None:
    spec = Address(
        "/bridge/test/bars",
        keys=(Param("chords", "strings", "chords"), Param("seed", "int", "seed")),
    )
    req = parse_request(spec, [1, "chords", "C", "Am", "F", "G", "seed", 3])
    assert req["chords"] == ["C", "Am", "F", "G"] and req["seed"] == 3
    with pytest.raises(RequestError, match="chords must be names"):
        parse_request(spec, [1, "chords", "C", 4])


# --- parsing that fails: each error class, with the id and the performer's message ---------

NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize(
    ("args", "rid", "message"),
    [
        ([], -1, "missing request id"),
        (["temperature", 0.5], -1, "the first argument must be the request id"),
        ([1.5], -1, "the request id must be a whole number, got 1.5"),
        ([NAN], -1, "finite"),
        ([2**40], -1, "int32"),
        ([1, "temprature", 0.5], 1, "unknown key 'temprature' for /bridge/rnn/continue"),
        ([1, 0.5], 1, "expected a key name, got 0.5"),
        ([1, "temperature", 0.5, 0.6], 1, "expected a key name, got 0.6"),
        ([1, "temperature", 0.5, "hot"], 1, "unknown key 'hot'"),
        ([1, "temperature"], 1, "missing value for temperature"),
        ([1, "temperature", "steps", 8], 1, "missing value for temperature"),
        ([1, "notes"], 1, "missing value for notes"),
        ([1, "temperature", "hot"], 1, "temperature must be a number, got 'hot'"),
        ([1, "temperature", -1], 1, "temperature must be > 0, got -1"),
        ([1, "temperature", -1.0], 1, "temperature must be > 0, got -1"),
        ([1, "temperature", 0], 1, "temperature must be > 0, got 0"),
        ([1, "temperature", NAN], 1, "temperature must be a finite number, got nan"),
        ([1, "temperature", -INF], 1, "temperature must be a finite number, got -inf"),
        ([1, "temperature", True], 1, "temperature must be a number, got true"),
        ([1, "temperature", None], 1, "temperature must be a number, got nil"),
        ([1, "steps", 0], 1, "steps must be 1..1024, got 0"),
        ([1, "steps", 1025], 1, "steps must be 1..1024, got 1025"),
        ([1, "steps", 8.5], 1, "steps must be a whole number, got 8.5"),
        ([1, "seed", b"\x01\x02"], 1, "seed must be a whole number, got a 2-byte blob"),
        ([1, "top_p", 0], 1, "top_p must be > 0 and <= 1, got 0"),
        ([1, "top_p", 1.5], 1, "top_p must be > 0 and <= 1, got 1.5"),
        ([1, "steps", 4, "steps", 5], 1, "key 'steps' is given twice"),
        ([1, "notes", 60, 0, 1], 1, "groups of 4 numbers"),
        ([1, "notes", 60, 0, 1, 100, 62], 1, "got 5 numbers"),
        ([1, "notes", 128, 0, 1, 100], 1, "note 1: pitch must be 0..127, got 128"),
        ([1, "notes", 60, 0, 1, 100, -1, 1, 1, 100], 1, "note 2: pitch must be 0..127"),
        ([1, "notes", 60.5, 0, 1, 100], 1, "pitch must be a whole number, got 60.5"),
        ([1, "notes", 60, -0.5, 1, 100], 1, "start must be >= 0 beats, got -0.5"),
        ([1, "notes", 60, 0, 0, 100], 1, "duration must be > 0 beats, got 0"),
        ([1, "notes", 60, 0, 1, 0], 1, "velocity must be 1..127, got 0"),
        ([1, "notes", 60, 0, 1, 128], 1, "velocity must be 1..127, got 128"),
        ([1, "notes", 60, NAN, 1, 100], 1, "start must be a finite number"),
        ([1, "notes", 60, 0, "long", 100], 1, "duration must be a number, got 'long'"),
    ],
)
def test_bad_continue_requests(args: list, rid: int, message: str) -> None:
    with pytest.raises(RequestError) as info:
        parse_request(CONTINUE, args)
    assert info.value.request_id == rid
    assert message in str(info.value)


def test_unknown_key_suggests_and_lists_keys() -> None:
    with pytest.raises(RequestError) as info:
        parse_request(CONTINUE, [1, "temprature", 0.5])
    text = str(info.value)
    assert "did you mean 'temperature'?" in text
    assert "keys: temperature, steps, seed, top_p, notes" in text


@pytest.mark.parametrize(
    ("spec", "args", "message"),
    [
        (REGISTER, [1], "missing key port"),
        (REGISTER, [1, "port", 70000], "port must be 0..65535, got 70000"),
        (REGISTER, [1, "port", -5], "port must be 0..65535, got -5"),
        (PING, [1, "steps", 3], "/bridge/ping takes only the request id"),
        (PING, [1, 2], "expected a key name, got 2"),
    ],
)
def test_bad_core_requests(spec: Address, args: list, message: str) -> None:
    with pytest.raises(RequestError, match=message):
        parse_request(spec, args)


# --- replies and the table ----------------------------------------------------------------


def test_format_notes_types() -> None:
    wire = protocol.format_notes([Note(60, 0, 1, 100), Note(62, 1.5, 0.25, 90)])
    assert wire == [60, 0.0, 1.0, 100, 62, 1.5, 0.25, 90]
    assert [type(v) for v in wire[:4]] == [int, float, float, int]
    # ...and they go out as int32 / float32 on the wire.
    assert b",iiffiiffi\0\0" in osc.encode("/x", [1, *wire])


def test_reply_addresses() -> None:
    assert CONTINUE.reply == "/bridge/reply/rnn/continue"
    assert PING.reply == "/bridge/pong"
    assert ADDRESSES["/bridge/engines"].reply == "/bridge/reply/engines"
    assert REGISTER.reply == "/bridge/reply/register"


def test_continue_is_the_rnn_verb_declared_by_its_engine() -> None:
    from engines.rnn.engine import RnnEngine

    verb = RnnEngine.verb("continue")
    assert CONTINUE.engine == "rnn" and CONTINUE.verb == verb
    assert CONTINUE.keys == verb.params and CONTINUE.doc == verb.doc
    assert CONTINUE.reply_usage() == "/bridge/reply/rnn/continue <id> <notes...>"


NOTES = [Note(64, 0.0, 0.5, 80), Note(65, 0.5, 1.0, 90)]


@pytest.mark.parametrize(
    ("shape", "result", "replies"),
    [
        ("notes", NOTES, [[9, 64, 0.0, 0.5, 80, 65, 0.5, 1.0, 90]]),
        ("notes", [], [[9]]),
        ("indexed", [NOTES[:1], [], NOTES[1:]],
         [[9, 0, 3, 64, 0.0, 0.5, 80], [9, 1, 3], [9, 2, 3, 65, 0.5, 1.0, 90]]),
        ("numbers", [1, -0.5, 2.25], [[9, 1.0, -0.5, 2.25]]),
    ],
)  # fmt: skip
def test_replies_follow_the_verbs_reply_shape(shape: str, result: list, replies: list) -> None:
    verb = Verb("v", (), shape, "A verb.")  # type: ignore[arg-type]
    got = protocol.verb_replies(verb, 9, result)
    assert got == replies
    assert [type(x) for r in got for x in r] == [type(x) for r in replies for x in r]
    if shape != "numbers":
        assert sum(protocol.reply_note_count(r, verb) for r in got) == len(NOTES) * bool(result)


def test_markdown_table_is_generated_from_the_verbs() -> None:
    from engines.rnn.engine import RnnEngine

    md = table.address_table_markdown()
    for spec in ADDRESSES.values():
        assert f"`{spec.usage()}`" in md
        assert spec.reply_usage() in md
        for key in spec.keys:
            assert f"| `{key.name}` |" in md
    assert RnnEngine.verb("continue").doc in md
    assert "| `temperature` | number > 0 | 1.0 |" in md
    assert "| `steps` | whole number 1..1024 | 32 |" in md
    # A new entry shows up without touching the renderer.
    extra = Address(
        "/bridge/x/y", keys=(Param("n", "int", "how many", default=2, low=1),), doc="Does y."
    )
    assert "| `n` | whole number >= 1 | 2 | how many |" in table.address_table_markdown(
        {**ADDRESSES, extra.path: extra}
    )


def test_every_verb_of_every_registered_engine_has_its_address() -> None:
    import engines

    for name in engines.ENGINES:
        cls = engines.engine_class(name)
        for verb in cls.verbs:
            spec = ADDRESSES[f"/bridge/{name}/{verb.name}"]
            assert spec.engine == name and spec.verb == verb and spec.keys == verb.params


def test_unknown_address_message() -> None:
    known = list(ADDRESSES)
    assert "did you mean /bridge/rnn/continue?" in protocol.unknown_address_message(
        "/bridge/rnn/contnue", known
    )
    assert "addresses: /bridge/ping" in protocol.unknown_address_message("/foo", known)


def test_peek_id() -> None:
    assert protocol.peek_id([5, "x"]) == 5
    assert protocol.peek_id(["x"]) == -1
    assert protocol.peek_id([]) == -1


# --- OSC decoding from bytes -------------------------------------------------------------


def test_decode_message_from_bytes() -> None:
    dgram = (
        osc_string("/bridge/rnn/continue")
        + osc_string(",isfs")
        + struct.pack(">i", 7)
        + osc_string("temperature")
        + struct.pack(">f", 0.5)
        + osc_string("steps")
    )
    packets, problems = osc.decode(dgram)
    assert problems == []
    assert packets == [Message("/bridge/rnn/continue", [7, "temperature", 0.5, "steps"])]


def test_decode_message_without_type_tags_has_no_args() -> None:
    packets, problems = osc.decode(osc_string("/bridge/ping"))
    assert packets == [Message("/bridge/ping", [])] and problems == []


@pytest.mark.parametrize(
    "dgram",
    [
        b"",
        b"hello world\n",
        b"\x00\x01\x02\x03",
        b"/bridge/ping",  # address never terminated
        b"/bri\xffdge\0\0\0\0",  # address not UTF-8
        b"#bundle\0\0\0",  # bundle too short for its timetag
    ],
)
def test_not_osc_is_a_problem_without_packets(dgram: bytes) -> None:
    packets, problems = osc.decode(dgram)
    assert packets == [] and problems


@pytest.mark.parametrize(
    ("dgram", "reason"),
    [
        (osc_string("/bridge/ping") + osc_string(",i"), "arguments do not match"),
        (osc_string("/bridge/ping") + osc_string(",s") + b"abc", "arguments do not match"),
        (osc_string("/bridge/ping") + osc_string(",s") + b"\xff\xfe\0\0", "arguments"),
        (osc_string("/bridge/ping") + osc_string(",c") + b"\0\0\0a", "unsupported OSC type"),
        (osc_string("/bridge/ping") + osc_string("i") + b"\0\0\0\1", "must start with ','"),
        (osc_string("/bridge/ping") + b",iii", "unreadable type tags"),
    ],
)
def test_bad_arguments_are_malformed_with_the_address(dgram: bytes, reason: str) -> None:
    packets, problems = osc.decode(dgram)
    assert problems == []
    (packet,) = packets
    assert isinstance(packet, Malformed) and packet.address == "/bridge/ping"
    assert reason in packet.reason


def test_bundle_messages_in_order_and_timetag_ignored() -> None:
    ping, engines = osc.encode("/bridge/ping", [1]), osc.encode("/bridge/engines", [2])
    far_future = time.time() + 3600
    inner = osc.encode_bundle([osc.encode("/bridge/ping", [3])], far_future)
    began = time.monotonic()
    packets, problems = osc.decode(osc.encode_bundle([ping, engines, inner], far_future))
    assert time.monotonic() - began < 0.5
    assert problems == []
    assert packets == [
        Message("/bridge/ping", [1]),
        Message("/bridge/engines", [2]),
        Message("/bridge/ping", [3]),
    ]


def test_broken_bundle_keeps_what_came_before() -> None:
    ping = osc.encode("/bridge/ping", [1])
    bundle = osc.encode_bundle([ping]) + struct.pack(">i", 400) + b"/short\0\0"
    packets, problems = osc.decode(bundle)
    assert packets == [Message("/bridge/ping", [1])]
    assert "does not fit" in problems[0]


def test_encode_bundle_timetags() -> None:
    assert osc.encode_bundle([])[8:16] == struct.pack(">Q", 1)  # "immediately"
    seconds, _ = struct.unpack(">II", osc.encode_bundle([], 0.5 + 1e9)[8:16])
    assert seconds == 1_000_000_000 + 2_208_988_800


def test_a_3000_note_primer_decodes_whole() -> None:
    wire = protocol.format_notes([Note(60 + i % 12, i * 0.25, 0.25, 100) for i in range(3000)])
    dgram = osc.encode("/bridge/rnn/continue", [1, "notes", *wire])
    assert 55_000 < len(dgram) < osc.MAX_DATAGRAM
    (packet,), _ = osc.decode(dgram)
    req = parse_request(CONTINUE, packet.args)
    assert len(req["notes"]) == 3000 and req["notes"][-1] == Note(71, 749.75, 0.25, 100)


def test_request_values_survive_float32() -> None:
    (packet,), _ = osc.decode(osc.encode("/bridge/rnn/continue", [1, "temperature", 0.1]))
    value = parse_request(CONTINUE, packet.args)["temperature"]
    assert math.isclose(value, 0.1, rel_tol=1e-6)


def test_request_is_indexable() -> None:
    assert Request("/x", 1, {"a": 2})["a"] == 2
