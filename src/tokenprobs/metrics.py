"""Placeholder: the maths issue (#3) replaces this module. Signatures are the contract."""
# ruff: noqa
from __future__ import annotations
import numpy as np

def probs(logprobs, *, clip=True): return np.exp(np.where(np.asarray(logprobs) <= -9999, -np.inf, np.minimum(logprobs, 0)))
def support(logprobs, top_logprobs, *, in_top): raise NotImplementedError
def entropy(logprobs, axis=-1, *, base=None, keepdims=False): raise NotImplementedError
def margin(logprobs, axis=-1, *, keepdims=False): raise NotImplementedError
def tail_mass(logprobs, axis=-1, *, keepdims=False): raise NotImplementedError
def perplexity(logprobs, axis=-1, *, keepdims=False): raise NotImplementedError
def entropy_bounds(logprobs, *, vocab_size, axis=-1, base=None): raise NotImplementedError
