"""A MusicVAE-style recurrent VAE over two-bar melodies on the 16th-note grid.

Encoder: token embedding -> bidirectional LSTM -> (mean, log-variance) of a diagonal
Gaussian over the latent code z. Decoder: z sets the LSTM's initial state (through a tanh
layer) and is concatenated to every input; the input at step t is the token of step t - 1
(``BOS`` at step 0), teacher-forced in training.
"""

from __future__ import annotations

import torch
from torch import nn

from engines.notes import BOS
from engines.vae.config import VaeConfig

OUT_VOCAB = BOS  # the decoder predicts HOLD, OFF and the 128 note-ons, never BOS


class VaeModel(nn.Module):
    """Encoder, latent heads and teacher-forced decoder; see the module docstring."""

    def __init__(self, config: VaeConfig) -> None:
        super().__init__()
        self.config = config
        c = config
        self.embed = nn.Embedding(c.vocab, c.embed)
        self.encoder = nn.LSTM(
            c.embed,
            c.enc_hidden,
            num_layers=c.enc_layers,
            batch_first=True,
            bidirectional=True,
            dropout=c.dropout if c.enc_layers > 1 else 0.0,
        )
        self.to_mean = nn.Linear(2 * c.enc_hidden, c.latent)
        self.to_logvar = nn.Linear(2 * c.enc_hidden, c.latent)
        self.to_state = nn.Linear(c.latent, 2 * c.dec_layers * c.dec_hidden)
        self.decoder = nn.LSTM(
            c.embed + c.latent,
            c.dec_hidden,
            num_layers=c.dec_layers,
            batch_first=True,
            dropout=c.dropout if c.dec_layers > 1 else 0.0,
        )
        self.head = nn.Linear(c.dec_hidden, OUT_VOCAB)

    def encode(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """tokens [B, T] -> mean, logvar, each [B, latent]."""
        _, (h, _) = self.encoder(self.embed(tokens))
        # h: [layers * 2, B, H]; the last layer's forward and backward final states
        last = torch.cat([h[-2], h[-1]], dim=-1)
        return self.to_mean(last), self.to_logvar(last).clamp(-12.0, 6.0)

    def initial_state(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """z [B, latent] -> (h0, c0), each [layers, B, H]."""
        c = self.config
        s = torch.tanh(self.to_state(z)).view(z.shape[0], 2, c.dec_layers, c.dec_hidden)
        return s[:, 0].transpose(0, 1).contiguous(), s[:, 1].transpose(0, 1).contiguous()

    def decode_teacher(
        self, z: torch.Tensor, tokens: torch.Tensor, input_dropout: float = 0.0
    ) -> torch.Tensor:
        """Teacher-forced decoding: z [B, latent], targets [B, T] -> logits [B, T, OUT_VOCAB].

        ``input_dropout`` (training only) hides that share of the previous tokens behind
        ``BOS``, so the decoder has to read the melody from z instead of copying its input.
        """
        bos = torch.full_like(tokens[:, :1], BOS)
        prev = torch.cat([bos, tokens[:, :-1]], dim=1)
        if input_dropout > 0:
            hide = torch.rand(prev.shape, device=prev.device) < input_dropout
            prev = prev.masked_fill(hide, BOS)
        x = self.embed(prev)
        x = torch.cat([x, z[:, None, :].expand(-1, x.shape[1], -1)], dim=-1)
        out, _ = self.decoder(x, self.initial_state(z))
        return self.head(out)

    def forward(
        self, tokens: torch.Tensor, sample: bool = True, input_dropout: float = 0.0
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """tokens [B, T] -> logits [B, T, OUT_VOCAB], mean, logvar.

        ``sample`` draws z with the reparameterisation trick; otherwise z is the mean.
        """
        mean, logvar = self.encode(tokens)
        z = mean + torch.randn_like(mean) * torch.exp(0.5 * logvar) if sample else mean
        return self.decode_teacher(z, tokens, input_dropout), mean, logvar


def kl_per_example(mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(q(z|x) || N(0, I)) in nats for each example: [B, latent] -> [B]."""
    return 0.5 * (mean.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)


class FastDecoder:
    """Step-by-step decoding for a batch of latent codes, without nn.LSTM's per-call cost.

    The first layer's input is [embed(token); z]: its token part is folded into a table
    (vocab x 4H) and its z part is computed once per code, so a step is a lookup, an add and
    one matmul; the remaining layers use ``torch.lstm_cell``.
    """

    def __init__(self, model: VaeModel) -> None:
        self.model = model
        dec = model.decoder
        e = model.config.embed
        self.layers = model.config.dec_layers
        self.w = [
            tuple(
                getattr(dec, f"{name}_l{i}").detach()
                for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
            )
            for i in range(self.layers)
        ]
        w_ih0, _, b_ih0, b_hh0 = self.w[0]
        with torch.no_grad():
            self.table0 = model.embed.weight @ w_ih0[:, :e].T + b_ih0 + b_hh0  # [V, 4H]
        self.w_z = w_ih0[:, e:]  # [4H, latent]
        self.head_w = model.head.weight.detach()
        self.head_b = model.head.bias.detach()

    @torch.inference_mode()
    def __call__(
        self,
        z: torch.Tensor,
        steps: int,
        temperature: float | None = None,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """z [B, latent] -> tokens [B, steps] (CPU, int64).

        Greedy when ``temperature`` is None or 0, else sampled by the Gumbel-max trick
        (argmax of logits / T plus Gumbel noise, the same distribution as softmax
        sampling): the noise for every step is drawn at once on the CPU from ``generator``,
        so a seed gives the same tokens on every device and a step costs no sampling call.
        """
        gumbel = None
        if temperature:
            u = torch.rand((steps, z.shape[0], OUT_VOCAB), generator=generator)
            gumbel = (-torch.log(-torch.log(u.clamp_(1e-20, 1.0)))).to(z.device)
        h0, c0 = self.model.initial_state(z)
        h, c = list(h0.unbind(0)), list(c0.unbind(0))
        zgates = z @ self.w_z.T  # [B, 4H], constant over the steps
        token = torch.full((z.shape[0],), BOS, dtype=torch.long, device=z.device)
        out = []
        for t in range(steps):
            gates = torch.addmm(self.table0[token] + zgates, h[0], self.w[0][1].T)
            i, f, g, o = gates.chunk(4, 1)
            c[0] = torch.sigmoid(f) * c[0] + torch.sigmoid(i) * torch.tanh(g)
            h[0] = torch.sigmoid(o) * torch.tanh(c[0])
            x = h[0]
            for layer in range(1, self.layers):
                w_ih, w_hh, b_ih, b_hh = self.w[layer]
                h[layer], c[layer] = torch.lstm_cell(
                    x, (h[layer], c[layer]), w_ih, w_hh, b_ih, b_hh
                )
                x = h[layer]
            logits = torch.addmm(self.head_b, x, self.head_w.T)
            if gumbel is None:
                token = logits.argmax(-1)
            else:
                token = (logits.float() / temperature + gumbel[t]).argmax(-1)
            out.append(token)
        return torch.stack(out, 1).cpu()
