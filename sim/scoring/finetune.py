"""Fine-tune MiniLM's top transformer layers for the rubric labels (multi-label BCE through a linear head).

The lower layers stay frozen, so their output is computed once per text and cached; only the top
`layers` layers and a linear head over the 17 labels are trained. The tuned layers make better
sentence embeddings for the per-label logistic regression, and the head is kept too: training blends
it into each label where cross-validation says it helps (`sim.scoring.model.Head`).
"""

import copy
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Final, NamedTuple

import numpy as np
import torch
from sklearn.model_selection import KFold

from sim.scoring.checkpoints import Checkpoints
from sim.scoring.model import head_probabilities


@dataclass(frozen=True)
class TuneConfig:
    """Training settings, chosen by 5-fold cross-validation on the training split."""

    layers: int = 6
    epochs: int = 12
    lr: float = 1e-4
    head_lr: float = 3e-3
    batch: int = 16
    dropout: float = 0.1
    scale: float = 10.0
    warmup: float = 0.1
    weight_decay: float = 0.01
    max_length: int = 128
    bucket: int = 50
    """Batches per length bucket (`epoch_batches`); 0 = plain random batches."""

    def as_meta(self) -> dict[str, Any]:
        return asdict(self)


class Frozen(NamedTuple):
    """Token states below the tuned layers (texts x tokens x hidden) and the attention mask."""

    hidden: torch.Tensor
    mask: torch.Tensor


def pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of the unmasked token states, L2-normalised (sentence-transformers' mean pooling + Normalize)."""
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    summed = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(summed, dim=-1)


def positive_weights(y: np.ndarray) -> np.ndarray:
    """Per-label BCE weight of a positive: sqrt(negatives / positives), 1 for a label never seen."""
    positives = y.sum(0).astype(np.float64)
    return np.where(positives > 0, np.sqrt((len(y) - positives) / np.maximum(positives, 1)), 1.0)


def lr_factor(step: int, steps: int, warmup: float) -> float:
    """Linear warm-up over the first `warmup` share of the steps, then linear decay to 0."""
    warm = max(1.0, warmup * steps)
    return min(1.0, (step + 1) / warm) * max(0.0, (steps - step) / steps)


class TopLayers(torch.nn.Module):
    """Copies of the encoder's top layers plus a linear head over the labels."""

    def __init__(self, bert: Any, config: TuneConfig, labels: int) -> None:
        super().__init__()
        first = len(bert.encoder.layer) - config.layers
        self.first = first
        self.bert_config = bert.config
        self.layers = torch.nn.ModuleList(copy.deepcopy(bert.encoder.layer[first:]))
        self.head = torch.nn.Linear(bert.config.hidden_size, labels)
        self.drop = torch.nn.Dropout(config.dropout)
        self.scale = config.scale

    def embed(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        from transformers.masking_utils import create_bidirectional_mask

        extended = create_bidirectional_mask(
            config=self.bert_config, inputs_embeds=hidden, attention_mask=mask
        )
        for layer in self.layers:
            out = layer(hidden, attention_mask=extended)
            hidden = out[0] if isinstance(out, tuple) else out
        return pool(hidden, mask)

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.head(self.drop(self.embed(hidden, mask)) * self.scale)

    def layer_state(self) -> dict[str, np.ndarray]:
        """The tuned layers' weights under their names in the base encoder (`encoder.layer.N.…`)."""
        return {
            f"encoder.layer.{self.first + i}.{name}": value.detach().cpu().numpy()
            for i, layer in enumerate(self.layers)
            for name, value in layer.state_dict().items()
        }

    def round_to_half(self) -> None:
        """Round the tuned layers' weights to fp16 precision (what the shipped delta stores)."""
        with torch.no_grad():
            for p in self.layers.parameters():
                p.copy_(p.half().float())


def epoch_batches(
    lengths: torch.Tensor, size: int, bucket: int, generator: torch.Generator
) -> list[torch.Tensor]:
    """One epoch's batches of indices: a random order cut into batches of `size`.

    With `bucket`, each run of `bucket * size` turns of that order is sorted by length before it is cut,
    and the batches are then shuffled: a batch pads to turns of similar length (half the padded token
    positions on the training turns), while the runs stay random.
    """
    order = torch.randperm(len(lengths), generator=generator)
    if bucket <= 0:
        return list(order.split(size))
    batches: list[torch.Tensor] = []
    for run in order.split(size * bucket):
        batches += run[torch.argsort(lengths[run], stable=True)].split(size)
    return [batches[int(i)] for i in torch.randperm(len(batches), generator=generator)]


def frozen_states(bert: Any, tokenizer: Any, texts: Sequence[str], config: TuneConfig) -> Frozen:
    """Run the frozen lower layers once over every text (padded to the longest)."""
    enc = tokenizer(
        list(texts), padding=True, truncation=True, max_length=config.max_length, return_tensors="pt"
    )
    bert.eval()
    chunks = []
    with torch.inference_mode():
        for start in range(0, len(texts), 64):
            part = {k: v[start : start + 64] for k, v in enc.items()}
            out = bert(**part, output_hidden_states=True)
            chunks.append(out.hidden_states[len(bert.encoder.layer) - config.layers].clone())
    return Frozen(torch.cat(chunks), enc["attention_mask"].clone())


def tune(
    bert: Any,
    states: Frozen,
    y: np.ndarray,
    config: TuneConfig,
    seed: int,
    weights: np.ndarray | None = None,
    progress: Callable[[str], None] | None = None,
) -> TopLayers:
    """Train the top layers and head on (states, y) with AdamW and a warm-up/decay schedule; seeded.

    `weights` (one per turn, default 1) weigh each turn's loss in its batch's weighted mean.
    `progress`, if given, is told after each epoch ("epoch 3/12").
    """
    torch.manual_seed(seed)
    model = TopLayers(bert, config, y.shape[1])
    optimizer = torch.optim.AdamW(
        [
            {"params": model.layers.parameters(), "lr": config.lr},
            {"params": model.head.parameters(), "lr": config.head_lr},
        ],
        weight_decay=config.weight_decay,
    )
    per_epoch = (len(y) + config.batch - 1) // config.batch
    steps = config.epochs * per_epoch
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: lr_factor(s, steps, config.warmup))
    loss_fn = torch.nn.BCEWithLogitsLoss(
        pos_weight=torch.tensor(positive_weights(y), dtype=torch.float32), reduction="none"
    )
    targets = torch.tensor(y, dtype=torch.float32)
    turn_weights = torch.ones(len(y)) if weights is None else torch.tensor(weights, dtype=torch.float32)
    order = torch.Generator().manual_seed(seed)
    lengths = states.mask.sum(1)
    model.train()
    for epoch in range(config.epochs):
        for idx in epoch_batches(lengths, config.batch, config.bucket, order):
            length = int(lengths[idx].max())
            logits = model(states.hidden[idx, :length], states.mask[idx, :length])
            w = turn_weights[idx]
            loss = (loss_fn(logits, targets[idx]).mean(1) * w).sum() / w.sum()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
        if progress is not None:
            progress(f"epoch {epoch + 1}/{config.epochs}")
    model.eval()
    model.round_to_half()
    return model


def embed_states(model: TopLayers, states: Frozen) -> np.ndarray:
    """Sentence embeddings of cached states through the tuned layers (rows: texts)."""
    with torch.inference_mode():
        return model.embed(states.hidden, states.mask).numpy().astype(np.float32)


class CrossFit(NamedTuple):
    """Each text's embedding and head probabilities, from layers tuned without it (texts x dims/labels)."""

    embeddings: np.ndarray
    head_probabilities: np.ndarray


def cross_fit(
    bert: Any,
    states: Frozen,
    y: np.ndarray,
    config: TuneConfig,
    seed: int,
    folds: int = 5,
    weights: np.ndarray | None = None,
    progress: Callable[[str], None] | None = None,
    checkpoints: Checkpoints | None = None,
) -> CrossFit:
    """Tune k models, each without one fold, and pass that fold through it, so a classifier fit on
    the results (or a check of the tuning head itself) is honest. `progress` hears each fold's epochs;
    a fold already in `checkpoints` is read back instead of tuned again (each fold's tuning is seeded
    on its own, so the result is the same)."""
    emb = np.zeros((len(y), bert.config.hidden_size), dtype=np.float32)
    probs = np.zeros(y.shape, dtype=np.float32)
    splits = KFold(folds, shuffle=True, random_state=seed).split(y)
    for fold, (train_idx, val_idx) in enumerate(splits, start=1):
        name = f"fold-{fold}-of-{folds}"
        saved = None if checkpoints is None else checkpoints.load(name)
        if saved is not None and saved["embeddings"].shape == (len(val_idx), emb.shape[1]):
            emb[val_idx], probs[val_idx] = saved["embeddings"], saved["probabilities"]
            if progress is not None:
                progress(f"fold {fold}/{folds} read back from its checkpoint")
            continue
        part = Frozen(states.hidden[train_idx], states.mask[train_idx])
        part_weights = None if weights is None else weights[train_idx]
        heard = None if progress is None else prefixed(progress, f"fold {fold}/{folds} ")
        model = tune(bert, part, y[train_idx], config, seed, part_weights, heard)
        emb[val_idx] = embed_states(model, Frozen(states.hidden[val_idx], states.mask[val_idx]))
        weight, bias = model.head.weight.detach().numpy(), model.head.bias.detach().numpy()
        probs[val_idx] = head_probabilities(emb[val_idx], weight, bias, model.scale)
        if checkpoints is not None:
            checkpoints.save(name, {"embeddings": emb[val_idx], "probabilities": probs[val_idx]})
    return CrossFit(emb, probs)


class Tuned(NamedTuple):
    """What is kept of a tuned model: its layers' weights (base encoder names), the head and its scale."""

    layers: dict[str, np.ndarray]
    weight: np.ndarray
    bias: np.ndarray
    scale: float


_LAYER: Final = "layer:"


def tune_final(
    bert: Any,
    states: Frozen,
    y: np.ndarray,
    config: TuneConfig,
    seed: int,
    weights: np.ndarray | None = None,
    progress: Callable[[str], None] | None = None,
    checkpoints: Checkpoints | None = None,
) -> Tuned:
    """`tune` on all turns, kept as arrays; read back from `checkpoints` when a run already did it.
    `progress` hears its epochs as "final epoch 3/12", like `cross_fit`'s folds."""
    saved = None if checkpoints is None else checkpoints.load("final")
    if saved is not None:
        if progress is not None:
            progress("final model read back from its checkpoint")
        layers = {k.removeprefix(_LAYER): v for k, v in saved.items() if k.startswith(_LAYER)}
        return Tuned(layers, saved["head_weight"], saved["head_bias"], float(saved["scale"]))
    heard = None if progress is None else prefixed(progress, "final ")
    model = tune(bert, states, y, config, seed, weights, heard)
    weight, bias = model.head.weight.detach().numpy(), model.head.bias.detach().numpy()
    tuned = Tuned(model.layer_state(), weight, bias, model.scale)
    if checkpoints is not None:
        arrays = {f"{_LAYER}{k}": v for k, v in tuned.layers.items()}
        checkpoints.save(
            "final",
            arrays
            | {"head_weight": weight, "head_bias": bias, "scale": np.array(model.scale, dtype=np.float32)},
        )
    return tuned


def prefixed(progress: Callable[[str], None], prefix: str) -> Callable[[str], None]:
    """`progress` with `prefix` put before each message."""
    return lambda message: progress(prefix + message)
