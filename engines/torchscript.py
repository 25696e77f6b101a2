"""TorchScript where it works: an engine's step core compiled, or left eager."""

from __future__ import annotations

import logging
import warnings

import torch
from torch import nn

log = logging.getLogger(__name__)


def script_or_eager(core: nn.Module, who: str) -> nn.Module:
    """``core`` compiled by TorchScript, or as it is where TorchScript cannot (it is in
    maintenance in PyTorch): the same arithmetic, only slower. ``who`` names the engine in
    the warning ("the RNN", say)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return torch.jit.script(core)
    except Exception as exc:  # noqa: BLE001 - any compiler failure leaves the eager module
        log.warning("TorchScript unavailable (%s); %s steps in eager mode", exc, who)
        return core


__all__ = ["script_or_eager"]
