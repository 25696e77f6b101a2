"""Every verb of every registered engine over real UDP, /bridge/describe and /bridge/load.

Parametrized over ``engines.ENGINES``: a new engine is tested here without a line of its own.
Each engine's ``tiny()`` is saved once per session; daemons bind port 0 and waits have
deadlines.
"""

from __future__ import annotations

import json
import shutil
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from clients import QUIET, WAIT, wire_notes

import engines
from bridge.server import table
from bridge.server.daemon import Daemon
from bridge.server.osc import Message, OscClient
from engines.base import Verb, weights_hash
from engines.params import Param

NAMES = list(engines.ENGINES)
# Verbs a tiny engine cannot answer yet; strict: the test fails once the engine can, so the
# entry goes away with the gap.
VERBS = [(name, v.name) for name in NAMES for v in engines.engine_class(name).verbs]
VARIATION_VERBS = [
    (name, v.name) for name in NAMES for v in engines.engine_class(name).verbs if v.variations
]


@pytest.fixture(scope="session")
def tiny_checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every registered engine's ``tiny()`` saved as a checkpoint folder (``<name>-0``), and a
    second one from another seed (``<name>-1``) for swaps."""
    root = tmp_path_factory.mktemp("tiny-engines")
    folders = {}
    for name in NAMES:
        for seed in (0, 1):
            folders[f"{name}-{seed}"] = (
                engines.engine_class(name).tiny(seed).save(root / f"{name}-{seed}")
            )
    return folders


def load(folders: dict[str, Path], name: str, seed: int = 0) -> Any:
    return engines.load_engine(folders[f"{name}-{seed}"], "cpu")


@pytest.fixture(scope="module")
def served(tiny_checkpoints: dict[str, Path]) -> Iterator[Daemon]:
    """One daemon serving every registered engine's tiny checkpoint."""
    with Daemon({n: load(tiny_checkpoints, n) for n in NAMES}, port=0, device="cpu") as d:
        yield d


@pytest.fixture
def client(served: Daemon) -> Iterator[OscClient]:
    host, port = served.address
    with OscClient(host, port) as c:
        yield c


# --- helpers -------------------------------------------------------------------------------


def collect(client: OscClient, rid: int, reply: str, indexed: bool = False) -> list[Message]:
    """The replies to request ``rid``: one, or for an indexed verb ``count`` of them; an error
    ends it. Messages for other ids are skipped."""
    got: list[Message] = []
    while True:
        m = client.receive(WAIT)
        assert m is not None, f"no reply to request {rid} on {reply}"
        if not m.args or m.args[0] != rid:
            continue
        got.append(m)
        if m.address != reply or not indexed or len(got) == m.args[2]:
            return got


def split(args: list[Any], verb: Verb) -> dict[str, list[Any]]:
    """A request's arguments (after the id) by key, as the parser groups them."""
    names = {p.name for p in verb.params}
    groups: dict[str, list[Any]] = {}
    key = None
    for a in args:
        if isinstance(a, str) and a in names:
            key = a
            groups[key] = []
        else:
            assert key is not None, f"bench value {a!r} before any key"
            groups[key].append(a)
    return groups


def flat(groups: dict[str, list[Any]]) -> list[Any]:
    return [x for key, values in groups.items() for x in (key, *values)]


def bench_groups(client: OscClient, name: str, verb: Verb, seed: int = 7) -> dict[str, list]:
    """The verb's bench request with a seed; a required ``floats`` key it leaves out (a latent
    code) is filled with the reply of the engine's ``numbers`` verb."""
    groups = split(list(verb.bench), verb)
    if verb.param("seed") is not None:
        groups["seed"] = [seed]
    for p in verb.params:
        if p.required and p.name not in groups:
            assert p.kind == "floats", f"{name}/{verb.name}: no bench value for {p.name}"
            source = next(v for v in engines.engine_class(name).verbs if v.reply == "numbers")
            path = f"/bridge/{name}/{source.name}"
            client.send(path, 999, *flat(bench_groups(client, name, source)))
            (numbers,) = collect(client, 999, "/bridge/reply" + path[len("/bridge") :])
            groups[p.name] = numbers.args[1:]
    return groups


def ask_verb(client: OscClient, name: str, verb: Verb, rid: int, args: list) -> list[Message]:
    client.send(f"/bridge/{name}/{verb.name}", rid, *args)
    return collect(client, rid, f"/bridge/reply/{name}/{verb.name}", verb.reply == "indexed")


def bad_value(p: Param) -> list[Any]:
    """A value of ``p``'s key that the parser refuses."""
    if p.kind in ("int", "float"):
        if p.high is not None:
            return [int(p.high) + 1]
        if p.low is not None:
            return [int(p.low) - 1]
        return ["loud"]
    if p.kind == "notes":
        return [200, 0, 1, 100]
    if p.kind in ("str", "strings"):
        return [5]
    return ["x"]  # floats


# --- every verb ------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "verb_name"), VERBS)
def test_every_verb_replies_in_its_declared_shape(
    client: OscClient, name: str, verb_name: str
) -> None:
    verb = engines.engine_class(name).verb(verb_name)
    replies = ask_verb(client, name, verb, 1, flat(bench_groups(client, name, verb)))
    address = f"/bridge/reply/{name}/{verb_name}"
    assert all(m.address == address for m in replies), replies
    assert all(m.args[0] == 1 for m in replies)
    if verb.reply == "notes":
        (reply,) = replies
        wire_notes(reply.args[1:])
    elif verb.reply == "indexed":
        count = replies[0].args[2]
        assert count >= 1 and len(replies) == count
        for i, m in enumerate(replies):
            assert m.args[1:3] == [i, count]
            wire_notes(m.args[3:])
    else:
        (reply,) = replies
        assert reply.args[1:] and all(type(x) is float for x in reply.args[1:])
    assert client.receive(QUIET) is None, "more replies than the shape declares"


@pytest.mark.parametrize(("name", "verb_name"), VERBS)
def test_the_same_seed_gives_the_same_reply(client: OscClient, name: str, verb_name: str) -> None:
    verb = engines.engine_class(name).verb(verb_name)
    args = flat(bench_groups(client, name, verb, seed=11))
    first = ask_verb(client, name, verb, 2, args)
    again = ask_verb(client, name, verb, 3, args)
    assert first[0].address == f"/bridge/reply/{name}/{verb_name}", first
    assert [m.args[1:] for m in first] == [m.args[1:] for m in again]


@pytest.mark.parametrize(("name", "verb_name"), VERBS)
def test_a_bad_value_of_each_key_is_an_error(client: OscClient, name: str, verb_name: str) -> None:
    verb = engines.engine_class(name).verb(verb_name)
    good = bench_groups(client, name, verb)
    for i, p in enumerate(verb.params):
        args = flat({**good, p.name: bad_value(p)})
        (reply,) = ask_verb(client, name, verb, 10 + i, args)
        assert reply.address == "/bridge/error", (p.name, reply)
        assert reply.args[:2] == [10 + i, f"/bridge/{name}/{verb_name}"]
        assert ("pitch" if p.kind == "notes" else p.name) in reply.args[2]


def ask_variations(
    client: OscClient, name: str, verb: Verb, rid: int, args: list
) -> list[list[Any]]:
    """The notes of each indexed reply to a request for variations, in index order."""
    client.send(f"/bridge/{name}/{verb.name}", rid, *args)
    replies = collect(client, rid, f"/bridge/reply/{name}/{verb.name}", indexed=True)
    count = len(replies)
    assert [m.args[1:3] for m in replies] == [[i, count] for i in range(count)], replies
    return [wire_notes(m.args[3:]) for m in replies]


def test_variations_are_declared_where_the_issue_asks() -> None:
    assert {("rnn", "continue"), ("ngram", "continue"), ("gan", "bars")} <= set(VARIATION_VERBS)


@pytest.mark.parametrize(("name", "verb_name"), VARIATION_VERBS)
def test_variations_answer_one_indexed_reply_each_variation_k_drawn_with_seed_plus_k(
    client: OscClient, name: str, verb_name: str
) -> None:
    verb = engines.engine_class(name).verb(verb_name)
    assert verb.reply == "notes" and verb.param("variations") is not None
    args = flat({**bench_groups(client, name, verb, seed=20), "variations": [3]})
    three = ask_variations(client, name, verb, 60, args)
    assert len(three) == 3
    assert client.receive(QUIET) is None, "more replies than variations"
    for k, notes in enumerate(three):
        alone_args = flat(bench_groups(client, name, verb, seed=20 + k))
        (alone,) = ask_verb(client, name, verb, 61 + k, alone_args)
        assert alone.address == f"/bridge/reply/{name}/{verb_name}"
        assert notes == wire_notes(alone.args[1:]), f"variation {k} is not seed {20 + k}'s reply"
    again = ask_variations(client, name, verb, 64, args)
    assert again == three
    two = flat({**bench_groups(client, name, verb, seed=20), "variations": [2]})
    assert ask_variations(client, name, verb, 65, two) == three[:2]


@pytest.mark.parametrize(("name", "verb_name"), VARIATION_VERBS)
def test_sixteen_variations_without_a_seed(client: OscClient, name: str, verb_name: str) -> None:
    """Sixteen melodies are more than an unregistered client is sent: the client registers."""
    verb = engines.engine_class(name).verb(verb_name)
    client.send("/bridge/register", 69, "port", client.port)
    assert collect(client, 69, "/bridge/reply/register")[0].address == "/bridge/reply/register"
    groups = bench_groups(client, name, verb)
    del groups["seed"]
    melodies = ask_variations(client, name, verb, 70, flat({**groups, "variations": [16]}))
    assert len(melodies) == 16


def test_a_registered_engine_not_loaded_is_an_error_naming_how_to_load_it(
    tiny_checkpoints: dict[str, Path],
) -> None:
    name, other = NAMES[0], NAMES[1]
    with Daemon({other: load(tiny_checkpoints, other)}, port=0) as d, OscClient(*d.address) as c:
        verb = engines.engine_class(name).verbs[0]
        (reply,) = ask_verb(c, name, verb, 4, [])
        assert reply.address == "/bridge/error"
        assert f"the {name} engine is not loaded (loaded: {other})" in reply.args[2]
        assert f"/bridge/load <id> engine {name} path" in reply.args[2]
        c.send("/bridge/nosuchengine/continue", 5)
        assert c.receive(WAIT).args[2].startswith("unknown address")  # type: ignore[union-attr]


# --- /bridge/describe ------------------------------------------------------------------------


def describe(client: OscClient, rid: int, *args: Any) -> list[Message]:
    """Every reply of one /bridge/describe, up to and with its done message (or an error).

    The client registers its own port first: every engine's description is more than the
    reply allowance of a client that has not registered (see test_safety)."""
    client.send("/bridge/register", rid, "port", client.port)
    assert collect(client, rid, "/bridge/reply/register")[0].address == "/bridge/reply/register"
    client.send("/bridge/describe", rid, *args)
    got = []
    while True:
        m = client.receive(WAIT)
        assert m is not None, "no /bridge/reply/describe/done"
        if m.args[:1] != [rid]:
            continue
        got.append(m)
        if m.address in (table.DESCRIBE_DONE, "/bridge/error"):
            return got


def test_describe_agrees_with_the_address_table(
    served: Daemon, client: OscClient, tiny_checkpoints: dict[str, Path]
) -> None:
    replies = describe(client, 40)
    assert replies[-1] == Message(table.DESCRIBE_DONE, [40, len(NAMES)])
    md = table.address_table_markdown(served.addresses)
    sections = {s.split("`", 1)[0]: s for s in md.split("\n### `")[1:]}
    engines_seen, i = [], 0
    body = replies[:-1]
    while i < len(body):
        head = body[i].args
        assert body[i].address == table.DESCRIBE_ENGINE and len(head) == 15
        assert head[1::2] == ["engine", "checkpoint", "corpus", "trained", "parameters", "hash",
                              "verbs"]  # fmt: skip
        name, checkpoint, n_verbs = head[2], head[4], head[14]
        folder = tiny_checkpoints[f"{name}-0"]
        assert checkpoint == folder.name and head[12] == weights_hash(folder)
        assert head[10] == served.engines[name].parameter_count() > 0
        engines_seen.append(name)
        specs = [a for a in served.addresses.values() if a.engine == name]
        assert n_verbs == len(specs) == len(engines.engine_class(name).verbs)
        i += 1
        for spec in specs:
            verb = body[i]
            assert verb.address == table.DESCRIBE_VERB and len(verb.args) == 6
            assert verb.args[1:] == [name, spec.path.rsplit("/", 1)[1],
                                     spec.verb.reply, len(spec.keys), " ".join(spec.doc.split())]  # type: ignore[union-attr]  # fmt: skip
            section = sections[spec.path]
            assert spec.doc in section and spec.reply_usage() in section
            i += 1
            for index, key in enumerate(spec.keys):
                p = body[i].args
                assert body[i].address == table.DESCRIBE_PARAM and len(p) == 13
                assert p[1:7] == [name, verb.args[2], index, key.name, key.kind, int(key.required)]
                low, high = p[7], p[8]
                assert low == ("nil" if key.low is None else key.low)
                assert high == ("nil" if key.high is None else key.high)
                bounds = [b for b in (low, high) if b != "nil"]
                assert all(type(b) is (int if key.kind == "int" else float) for b in bounds)
                assert p[9] == int(key.low_open)
                # the default and meaning columns of the table, word for word
                assert f"| `{key.name}` |" in section
                assert f" | {p[11]} | {p[12]} |" in section
                if p[10] != "nil":
                    assert p[10] == key.default
                i += 1
    assert engines_seen == sorted(NAMES)


def test_describe_one_engine_and_errors(client: OscClient) -> None:
    name = NAMES[-1]
    replies = describe(client, 41, "engine", name)
    assert replies[0].args[:3] == [41, "engine", name]
    assert replies[-1] == Message(table.DESCRIBE_DONE, [41, 1])
    assert all(m.args[1] == name for m in replies[1:-1])
    (error,) = describe(client, 42, "engine", "nosuch")
    assert error.address == "/bridge/error" and error.args[:2] == [42, "/bridge/describe"]
    assert "the nosuch engine is not loaded" in error.args[2]


# --- /bridge/load ---------------------------------------------------------------------------


def load_request(client: OscClient, rid: int, name: str, path: Any) -> Message:
    client.send("/bridge/load", rid, "engine", name, "path", str(path))
    (reply,) = collect(client, rid, "/bridge/reply/load")
    return reply


@pytest.mark.parametrize("name", NAMES)
def test_load_swaps_the_engine_and_drops_the_old_one(
    tiny_checkpoints: dict[str, Path], name: str
) -> None:
    swaps: list[tuple[str, Any, Any]] = []
    engine = load(tiny_checkpoints, name)
    old = weakref.ref(engine)
    with Daemon({name: engine}, port=0, device="cpu") as d, OscClient(*d.address) as c:
        del engine
        d.on_engine_swap.append(lambda *args: swaps.append(args))
        new = tiny_checkpoints[f"{name}-1"]
        reply = load_request(c, 50, name, new)
        assert reply == Message("/bridge/reply/load", [50, name, new.name, weights_hash(new)])
        assert d.engines[name].folder == new.resolve()
        ((swapped, was, now),) = swaps
        assert swapped == name and was is old() and now is d.engines[name]
        swaps.clear()  # the hook's list held the old engine: let it go
        del was, now
        # freed by reference counting alone, no garbage collection: nothing keeps it
        assert old() is None, "the old engine is still referenced after the swap"
        head = describe(c, 51, "engine", name)[0]
        assert head.args[4] == new.name and head.args[12] == weights_hash(new)
        verb = engines.engine_class(name).verbs[0]
        (answer,) = ask_verb(c, name, verb, 52, flat(bench_groups(c, name, verb)))[:1]
        assert answer.address == f"/bridge/reply/{name}/{verb.name}"


def broken_checkpoints(folders: dict[str, Path], name: str, root: Path) -> list[tuple[Path, str]]:
    """Folders /bridge/load must refuse, each with the words its error must contain."""
    good = folders[f"{name}-0"]
    other = next(n for n in NAMES if n != name)
    empty = root / "empty"
    empty.mkdir()
    mismatch = root / "mismatch"
    shutil.copytree(good, mismatch)
    meta = json.loads((mismatch / "config.json").read_text())
    meta["config"] = {
        k: v + 1 if type(v) is int else v for k, v in meta["config"].items()
    }  # every size one larger: the weights no longer fit
    (mismatch / "config.json").write_text(json.dumps(meta))
    truncated = root / "truncated"
    shutil.copytree(good, truncated)
    data = (truncated / "model.safetensors").read_bytes()
    (truncated / "model.safetensors").write_bytes(data[: len(data) // 2])
    return [
        (root / "nowhere", "no checkpoint folder at"),
        (good / "config.json", "is a file, not a checkpoint folder"),
        (empty, "has no config.json"),
        (folders[f"{other}-0"], f"is a checkpoint of the {other} engine, not {name}"),
        (mismatch, "config.json in"),
        (mismatch, "does not match its weights"),
        (truncated, "model.safetensors in"),
        (truncated, "is corrupt or truncated"),
    ]


@pytest.mark.parametrize("name", NAMES)
def test_load_errors_keep_the_current_engine(
    tiny_checkpoints: dict[str, Path], name: str, tmp_path: Path
) -> None:
    engine = load(tiny_checkpoints, name)
    with Daemon({name: engine}, port=0, device="cpu") as d, OscClient(*d.address) as c:
        for rid, (path, words) in enumerate(broken_checkpoints(tiny_checkpoints, name, tmp_path)):
            reply = load_request(c, 60 + rid, name, path)
            assert reply.address == "/bridge/error", (path, reply)
            assert reply.args[:2] == [60 + rid, "/bridge/load"]
            assert words in reply.args[2] and "\n" not in reply.args[2]
            assert d.engines[name] is engine
        reply = load_request(c, 70, "nosuch", tiny_checkpoints[f"{name}-1"])
        assert reply.args[1:] == ["/bridge/load", f"unknown engine 'nosuch'; engines: "
                                  f"{', '.join(sorted(NAMES))}"]  # fmt: skip
        verb = engines.engine_class(name).verbs[0]
        (answer,) = ask_verb(c, name, verb, 71, flat(bench_groups(c, name, verb)))[:1]
        assert answer.address == f"/bridge/reply/{name}/{verb.name}"


def test_twenty_swaps_while_requests_arrive_lose_no_request(
    tiny_checkpoints: dict[str, Path],
) -> None:
    """Requests from another thread, one after the other, while the engine is swapped 20
    times: every one gets its reply (or an error), none is lost."""
    name = "vae" if "vae" in NAMES else NAMES[0]  # the quickest to load and warm up
    verb = engines.engine_class(name).verbs[0]
    with Daemon({name: load(tiny_checkpoints, name)}, port=0, device="cpu") as d:
        stop = threading.Event()
        answered: list[str] = []
        failures: list[str] = []

        def requests() -> None:
            with OscClient(*d.address) as c:
                args = flat(bench_groups(c, name, verb))
                rid = 1000
                while not stop.is_set() and not failures:
                    rid += 1
                    try:
                        answered.append(ask_verb(c, name, verb, rid, args)[0].address)
                    except AssertionError as exc:
                        failures.append(str(exc))

        thread = threading.Thread(target=requests)
        thread.start()
        try:
            with OscClient(*d.address) as c:
                for i in range(20):
                    seed = i % 2
                    reply = load_request(c, 100 + i, name, tiny_checkpoints[f"{name}-{1 - seed}"])
                    assert reply.address == "/bridge/reply/load", reply
        finally:
            stop.set()
            thread.join(WAIT)
    assert not failures, failures
    assert answered and set(answered) <= {f"/bridge/reply/{name}/{verb.name}", "/bridge/error"}
