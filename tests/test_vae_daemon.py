"""The VAE verbs over real UDP on 127.0.0.1 (port 0, deadlines), with a tiny random VAE."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from clients import QUIET, WAIT, daemon_client, wire_notes

from bridge.server import table
from bridge.server.osc import Message, OscClient

LATENT = 8
A = [60, 0, 0.5, 90, 62, 0.5, 0.5, 90, 64, 1, 1, 90, 67, 2, 2, 90, 65, 4, 4, 90]
B = [72, 0, 1, 110, 71, 1, 1, 110, 69, 2.0, 0.5, 110, 67, 4, 2, 110]


@pytest.fixture(scope="module")
def tiny_vae() -> Any:
    import torch

    from engines.vae.engine import VaeEngine
    from engines.vae.model import VaeConfig

    config = VaeConfig(embed=8, enc_hidden=16, latent=LATENT, dec_hidden=16, dec_layers=1)
    engine = VaeEngine.from_config(config, device="cpu", seed=0)
    gen = torch.Generator().manual_seed(0)
    engine.attributes = {
        name: torch.randn(LATENT, generator=gen) for name in ("density", "register", "syncopation")
    }
    return engine


@pytest.fixture
def client(tiny_vae: Any) -> Iterator[OscClient]:
    with daemon_client({"vae": tiny_vae}) as c:
        yield c


def ask_all(client: OscClient, count: int, address: str, *args: Any) -> list[Message]:
    """Send one request and collect ``count`` replies."""
    client.send(address, *args)
    out = []
    for _ in range(count):
        reply = client.receive(WAIT)
        assert reply is not None, f"{len(out)} of {count} replies to {address}"
        out.append(reply)
    return out


def test_interpolate_one_reply_per_point_in_order(client: OscClient) -> None:
    args = [7, "steps", 6, "temperature", 0.5, "seed", 3, "a", *A, "b", *B]
    replies = ask_all(client, 6, "/bridge/vae/interpolate", *args)
    for i, r in enumerate(replies):
        assert r.address == "/bridge/reply/vae/interpolate"
        assert r.args[:3] == [7, i, 6]
        for n in wire_notes(r.args[3:]):
            assert 0 <= n.start < 8 and n.end <= 8 + 1e-6
    assert client.receive(QUIET) is None  # exactly one reply per point
    again = ask_all(client, 6, "/bridge/vae/interpolate", *args)
    assert [r.args for r in again] == [r.args for r in replies]


def test_interpolate_default_five_points_with_float_numbers(client: OscClient) -> None:
    floats = [float(v) for v in A]
    replies = ask_all(client, 5, "/bridge/vae/interpolate", 1.0, "a", *floats, "b", *B)
    assert [r.args[1:3] for r in replies] == [[i, 5] for i in range(5)]


def test_sample(client: OscClient) -> None:
    replies = ask_all(client, 3, "/bridge/vae/sample", 2, "n", 3, "seed", 1)
    assert [r.args[:3] for r in replies] == [[2, i, 3] for i in range(3)]
    assert [r.address for r in replies] == ["/bridge/reply/vae/sample"] * 3
    (one,) = ask_all(client, 1, "/bridge/vae/sample", 3)
    assert one.args[:3] == [3, 0, 1]


def test_encode_then_decode(client: OscClient) -> None:
    (code,) = ask_all(client, 1, "/bridge/vae/encode", 4, "notes", *A)
    assert code.address == "/bridge/reply/vae/encode" and code.args[0] == 4
    z = code.args[1:]
    assert len(z) == LATENT and all(type(v) is float for v in z)
    (melody,) = ask_all(client, 1, "/bridge/vae/decode", 5, "z", *z)
    assert melody.address == "/bridge/reply/vae/decode" and melody.args[0] == 5
    wire_notes(melody.args[1:])
    ints = [int(round(v)) for v in z]
    (melody,) = ask_all(client, 1, "/bridge/vae/decode", 6, "seed", 1, "temperature", 2, "z", *ints)
    assert melody.args[0] == 6


def test_attribute(client: OscClient) -> None:
    args = [8, "name", "density", "amount", -1.5, "notes", *A]
    (r,) = ask_all(client, 1, "/bridge/vae/attribute", *args)
    assert r.address == "/bridge/reply/vae/attribute" and r.args[0] == 8
    wire_notes(r.args[1:])


@pytest.mark.parametrize(
    ("address", "args", "message"),
    [
        ("/bridge/vae/interpolate", [9, "steps", 1, "a", *A, "b", *B], "steps must be 2..64"),
        ("/bridge/vae/interpolate", [9, "steps", 65, "a", *A, "b", *B], "got 65"),
        ("/bridge/vae/interpolate", [9, "a", *A], "missing key b"),
        ("/bridge/vae/interpolate", [9, "a", "b", *B], "missing value for a"),
        ("/bridge/vae/interpolate", [9, "a", 60, 9, 1, 100, "b", *B], "melody a has no notes"),
        ("/bridge/vae/sample", [9, "n", 0], "n must be 1..64"),
        ("/bridge/vae/sample", [9, "temperature", 0], "temperature must be > 0"),
        ("/bridge/vae/decode", [9, "z", 1, 2, 3], f"must have {LATENT} numbers, got 3"),
        ("/bridge/vae/decode", [9, "z", "x"], "z must be a number"),
        ("/bridge/vae/encode", [9, "notes", 60, 0, 1], "groups of 4 numbers"),
        (
            "/bridge/vae/attribute",
            [9, "name", "loud", "notes", *A],
            "unknown attribute 'loud'; known: density, register, syncopation",
        ),
        ("/bridge/vae/attribute", [9, "name", "density", "amount", 9, "notes", *A], "-8..8"),
    ],
)
def test_bad_requests(client: OscClient, address: str, args: list, message: str) -> None:
    (reply,) = ask_all(client, 1, address, *args)
    assert reply.address == "/bridge/error"
    assert reply.args[:2] == [9, address]
    assert message in reply.args[2]


def test_vae_addresses_are_documented() -> None:
    md = table.address_table_markdown()
    for verb in ("interpolate", "sample", "encode", "decode", "attribute"):
        spec = table.addresses()[f"/bridge/vae/{verb}"]
        assert spec.engine == "vae" and spec.doc and spec.doc in md
    assert "/bridge/vae/interpolate <id> [steps N] [temperature T] [seed S] a" in md
    assert "/bridge/reply/vae/interpolate <id> <index> <count> <notes...>" in md
    assert "/bridge/vae/sample <id> [n N] [temperature T] [seed S]`" in md
