"""Deterministic generated news-like documents for the benchmarks."""

from __future__ import annotations

import random

WORDS = (
    "Russia Mali Wagner Kremlin Africa Corps Bamako Moscow security defence cooperation junta military "
    "said on Monday the a of in to and with reports forces government officials agreement troops region "
    "Peskov Ukraine Kyiv drones attack 2024 country West French minister spokesperson told reporters"
).split()


def make_text(rng: random.Random, words: int = 80) -> str:
    sentences, count = [], 0
    while count < words:
        n = rng.randint(8, 20)
        sentence = " ".join(rng.choice(WORDS) for _ in range(n))
        sentences.append(sentence[0].upper() + sentence[1:] + ".")
        count += n
    return " ".join(sentences)


def make_texts(n: int, seed: int = 7, words: int = 80) -> list[str]:
    rng = random.Random(seed)
    return [f"Document {i}. " + make_text(rng, words) for i in range(n)]
