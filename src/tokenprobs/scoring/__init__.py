"""Scoring text you give: its logprobs computed by the server, and multiple-choice scores.

`score(text, context=...)` asks a server to echo `context + text` with logprobs and keeps the
positions of `text`, after checking that the answer really is an aligned echo (`ScoringError`
otherwise); `score_choices` (and its async twin `ascore_choices`) and `loglikelihood` build
lm-eval-style multiple choice on it.
"""

from tokenprobs._public import rehome
from tokenprobs.scoring._choices import (
    ChoiceScores,
    ascore_choices,
    greedy,
    loglikelihood,
    score_choices,
)
from tokenprobs.scoring._echo import BOS_FLAG
from tokenprobs.scoring._score import ascore, score, score_many

__all__ = [
    "BOS_FLAG",
    "ChoiceScores",
    "ascore",
    "ascore_choices",
    "greedy",
    "loglikelihood",
    "score",
    "score_choices",
    "score_many",
]

rehome(__name__, ChoiceScores)
