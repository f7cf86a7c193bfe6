# Copyright (c) mmuda contributors. All rights reserved.
"""The class-wise source feature dictionary and thresholded cosine-similarity loss of Chung,
Kim, Kwak (WACV 2022); used by :class:`mmuda.models.uda.CosSim` and, through their ``cossim``
argument, by the adversarial methods."""
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F


class CosineSimilarityAlignment(nn.Module):
    """A class-wise source feature dictionary and the thresholded cosine-similarity loss.

    - :meth:`update`: per class present in the source batch, up to ``samples_per_class``
      feature vectors (drawn at random from the pixels whose label, down-sampled by nearest to
      the feature map, is that class) are L2-normalised and pushed into that class's FIFO
      queue of ``dict_size`` entries (the oldest are overwritten). ``use_dictionary=False``
      keeps only the current batch's vectors (the paper's "unmatching" ablation).
    - :meth:`loss`: the cosine similarity matrix S between the target feature vectors and
      all dictionary entries, computed ``chunk_size`` target rows at a time; ``selection``
      'max': s_i = max_j S_ij (each target feature's most similar source feature), loss =
      -mean of the s_i above ``threshold``; 'all': -mean of every S_ij above it. Gradients
      reach the target features only (the entries are detached). No entry above the
      threshold: a zero loss, with the count logged.

    The queues are buffers: checkpointed, and identical after a resume.

    Args:
        num_classes (int): classes of the source labels.
        feat_channels (int): channels of the aligned feature map.
        in_index (int): which backbone output is aligned. Defaults to -1 (the last stage).
        loss_weight (float): lambda of the loss. Defaults to 0.01.
        threshold (float): entries above it are maximised. Defaults to 0.5.
        selection (str): 'max' (default) or 'all', see above.
        dict_size (int): entries per class. Defaults to 256.
        samples_per_class (int): vectors pushed per class per batch. Defaults to 32.
        use_dictionary (bool): False: match against the current source batch only.
        chunk_size (int): target rows of S computed at once. Defaults to 1024.
        ignore_index (int): label ignored when filling the dictionary. Defaults to 255.
    """

    def __init__(self, num_classes: int, feat_channels: int, in_index: int = -1,
                 loss_weight: float = 0.01, threshold: float = 0.5, selection: str = 'max',
                 dict_size: int = 256, samples_per_class: int = 32,
                 use_dictionary: bool = True, chunk_size: int = 1024,
                 ignore_index: int = 255):
        super().__init__()
        if selection not in ('max', 'all'):
            raise ValueError(f"cossim.selection must be 'max' or 'all', got {selection!r}")
        if not -1 <= threshold <= 1:
            raise ValueError(f'cossim.threshold is a cosine, in [-1, 1]; got {threshold}')
        if dict_size < samples_per_class:
            raise ValueError(f'cossim.dict_size ({dict_size}) must hold at least one batch '
                             f'of samples_per_class ({samples_per_class})')
        self.num_classes, self.feat_channels, self.in_index = num_classes, feat_channels, \
            in_index
        self.loss_weight, self.threshold, self.selection = loss_weight, threshold, selection
        self.samples_per_class, self.use_dictionary = samples_per_class, use_dictionary
        self.chunk_size, self.ignore_index = chunk_size, ignore_index
        self.register_buffer('entries', torch.zeros(num_classes, dict_size, feat_channels))
        #: entries filled per class (<= dict_size) and the next slot to write
        self.register_buffer('filled', torch.zeros(num_classes, dtype=torch.long))
        self.register_buffer('next_slot', torch.zeros(num_classes, dtype=torch.long))

    def _check(self, feats: torch.Tensor) -> None:
        if feats.dim() != 4 or feats.shape[1] != self.feat_channels:
            raise ValueError(f'cossim.feat_channels is {self.feat_channels} but backbone output '
                             f'{self.in_index} has shape {tuple(feats.shape)}: set '
                             f'feat_channels to its channels (or in_index to another stage)')

    @torch.no_grad()
    def update(self, feats: torch.Tensor, labels: torch.Tensor,
               generator: Optional[torch.Generator] = None) -> None:
        """Push the source feature vectors (B, D, h, w) of each labelled class (B, H, W)."""
        self._check(feats)
        if not self.use_dictionary:
            self.filled.zero_()
            self.next_slot.zero_()
        small = F.interpolate(labels[:, None].float(), size=feats.shape[2:],
                              mode='nearest')[:, 0].long().flatten()
        vectors = F.normalize(feats.detach().float().permute(0, 2, 3, 1).flatten(0, 2), dim=1,
                              eps=1e-12)
        for c in small.unique().tolist():
            if c == self.ignore_index:
                continue
            if not 0 <= c < self.num_classes:
                raise ValueError(f'source label {c} is outside the {self.num_classes} classes '
                                 f'of the cosine-similarity dictionary (ignore index '
                                 f'{self.ignore_index})')
            idx = (small == c).nonzero()[:, 0]
            pick = torch.randperm(len(idx), generator=generator)[:self.samples_per_class]
            new = vectors[idx[pick.to(idx.device)]]
            size = self.entries.shape[1]
            slots = (self.next_slot[c] + torch.arange(len(new), device=new.device)) % size
            self.entries[c, slots] = new
            self.next_slot[c] = (self.next_slot[c] + len(new)) % size
            self.filled[c] = min(int(self.filled[c]) + len(new), size)

    def keys(self) -> torch.Tensor:
        """All filled dictionary entries (M, D); classes never seen contribute none."""
        mask = torch.arange(self.entries.shape[1], device=self.filled.device)[None] < \
            self.filled[:, None]
        return self.entries[mask]

    def loss(self, feats: torch.Tensor) -> Tuple[torch.Tensor, int, int]:
        """(weighted loss, selected, candidates) for the target features (B, D, h, w)."""
        self._check(feats)
        keys = self.keys()
        queries = feats.float().permute(0, 2, 3, 1).flatten(0, 2)
        candidates = queries.shape[0] * (keys.shape[0] if self.selection == 'all' else 1)
        if keys.numel() == 0:
            return feats.sum() * 0, 0, candidates
        total, selected = feats.new_zeros((), dtype=torch.float32), 0
        for start in range(0, queries.shape[0], self.chunk_size):
            q = F.normalize(queries[start:start + self.chunk_size], dim=1, eps=1e-12)
            sim = q @ keys.t()
            if self.selection == 'max':
                sim = sim.max(dim=1).values
            chosen = sim > self.threshold
            total = total + sim[chosen].sum()
            selected += int(chosen.sum())
        if selected == 0:
            return feats.sum() * 0, 0, candidates
        return -self.loss_weight * total / selected, selected, candidates
