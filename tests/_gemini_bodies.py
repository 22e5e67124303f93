"""Gemini `generateContent` bodies: two candidates with logprobs, and a stream of two responses.

Built after the shapes seen in public recordings (Vertex AI answers with `tokenId`s and
`topCandidates`); the framework tests, the integrations page's example and
`tests/adapters/test_gemini.py` use them.
"""

from __future__ import annotations

import json


def _token(text, logprob, ident):
    return {"token": text, "logProbability": logprob, "tokenId": ident}


BODY = {
    "candidates": [
        {
            "content": {"parts": [{"text": "YES it"}], "role": "model"},
            "finishReason": "STOP",
            "avgLogprobs": -0.075,
            "logprobsResult": {
                "chosenCandidates": [_token("YES", -0.1, 42), _token(" it", -0.05, 7)],
                "topCandidates": [
                    {"candidates": [_token("YES", -0.1, 42), _token("NO", -2.6, 43)]},
                    {"candidates": [_token(" it", -0.05, 7), _token(" is", -3.4, 9)]},
                ],
                "logProbabilitySum": -0.15,
            },
        },
        {
            "index": 1,
            "content": {"parts": [{"text": "NO"}], "role": "model"},
            "finishReason": "MAX_TOKENS",
            "logprobsResult": {
                "chosenCandidates": [_token("NO", -2.6, 43)],
                "topCandidates": [
                    {"candidates": [_token("YES", -0.1, 42), _token("NO", -2.6, 43)]}
                ],
            },
        },
    ],
    "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 3, "totalTokenCount": 6},
    "modelVersion": "gemini-2.0-flash",
}
CHUNKS = [
    {
        "candidates": [
            {
                "content": {"parts": [{"text": "YES"}], "role": "model"},
                "logprobsResult": {
                    "chosenCandidates": [_token("YES", -0.1, 42)],
                    "topCandidates": [
                        {"candidates": [_token("YES", -0.1, 42), _token("NO", -2.6, 43)]}
                    ],
                },
            }
        ],
        "modelVersion": "gemini-2.0-flash",
    },
    {
        "candidates": [
            {
                "content": {"parts": [{"text": " it"}], "role": "model"},
                "finishReason": "STOP",
                "logprobsResult": {
                    "chosenCandidates": [_token(" it", -0.05, 7)],
                    "topCandidates": [
                        {"candidates": [_token(" it", -0.05, 7), _token(" is", -3.4, 9)]}
                    ],
                },
            }
        ],
        "modelVersion": "gemini-2.0-flash",
    },
]
SSE = "".join(f"data: {json.dumps(c)}\r\n\r\n" for c in CHUNKS)
