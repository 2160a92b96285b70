"""A reproducible synthetic corpus of English-like documents, for the scale benchmark.

Every passage is one Markdown section (``## heading`` + 3-6 sentences, under
the chunker's 700 characters), so a corpus of ``docs x per_doc`` sections is
exactly ``docs x per_doc`` passages. Passages are about *topics*: a made-up
place (``Velmora``) with one of twenty domains (a harbour board, a grain
cooperative, an observatory, ...), its organisation, people and landmarks.
Sentences come from templates filled with the topic's words, years and
numbers, so both BM25 (rare place names, domain words) and the dense model
(domain semantics) have something to find. Some templates come with a
question whose answer is a slot (a year, a number, a name), which gives
queries with a known passage and answer.

The same ``seed`` gives the same text, byte for byte (``random.Random`` only).

    >>> gen = Generator(seed=7)
    >>> docs = gen.documents(n_docs=2, per_doc=3)
    >>> len(docs), sum(d.text.count("\\n## ") for d in docs)
    (2, 6)
    >>> docs[0].text == Generator(seed=7).documents(2, 3)[0].text
    True
    >>> q = gen.questions(docs, 1)[0]
    >>> q.answer in q.sentence and q.sentence in docs[q.doc].passages[q.passage]
    True

``pool`` mode (for the 100k size): sentences come from a fixed pool of distinct
sentences per topic, so a large corpus needs only the pool embedded:

    >>> gen = Generator(seed=7, pool_per_topic=8)
    >>> docs = gen.documents(3, 10)
    >>> len(gen.sentence_pool()) <= 8 * len(gen.topics)
    True
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.synthetic_words import SYLLABLES, FIRST_NAMES, TITLES, MONTHS, DIRECTIONS, ADJECTIVES, QUALITIES, DOMAINS, TEMPLATES, COMPASS


@dataclass
class Topic:
    place: str
    domain: str
    people: list[str]

    @property
    def org(self) -> str:
        return DOMAINS[self.domain][0]


@dataclass
class SyntheticDocument:
    source: str               # file name, e.g. "doc-0007.md"
    text: str                 # Markdown: "# title", then one "## heading" section per passage
    passages: list[str] = field(default_factory=list)      # section bodies (= passages once chunked)
    facts: list[list[tuple[str, str, str]]] = field(default_factory=list)  # per passage: (question, answer, sentence)


@dataclass(frozen=True)
class SyntheticQuestion:
    question: str
    answer: str
    sentence: str   # the sentence that answers it
    doc: int        # index into the documents list
    passage: int    # index into that document's passages
    source: str


class Generator:
    """Deterministic generator: ``Generator(seed).documents(n_docs, per_doc)``.

    ``pool_per_topic``: when set, each topic has at most that many distinct
    sentences, drawn again and again (see :meth:`sentence_pool`)."""

    def __init__(self, seed: int = 0, n_topics: int | None = None, pool_per_topic: int | None = None,
                 max_passage_chars: int = 680):
        self.seed = seed
        self.rng = random.Random(seed)
        self.n_topics = n_topics
        self.pool_per_topic = pool_per_topic
        self.max_passage_chars = max_passage_chars
        self.topics: list[Topic] = []
        self._pools: dict[int, list[tuple[str, str | None, str | None]]] = {}
        self._places: set[str] = set()

    # -- vocabulary ----------------------------------------------------------------------
    def _place(self) -> str:
        for _ in range(1000):
            n = self.rng.choice((2, 2, 3))
            name = "".join(self.rng.choice(SYLLABLES) for _ in range(n)).capitalize()
            if name not in self._places and len(name) >= 5:
                self._places.add(name)
                return name
        raise RuntimeError("ran out of place names")

    def _person(self) -> str:
        surname = "".join(self.rng.choice(SYLLABLES) for _ in range(2)).capitalize() + \
            self.rng.choice(["er", "ov", "ini", "sen", "ek", "ard", "ic"])
        return f"{self.rng.choice(FIRST_NAMES)} {surname}"

    def _make_topics(self, n: int) -> None:
        domains = sorted(DOMAINS)
        while len(self.topics) < n:
            self.topics.append(Topic(self._place(), self.rng.choice(domains),
                                     [self._person() for _ in range(3)]))

    # -- sentences -------------------------------------------------------------------------
    def _sentence(self, topic: Topic) -> tuple[str, str | None, str | None]:
        rng = self.rng
        org, workers, landmark, things, activities, _ = DOMAINS[topic.domain]
        other = self.topics[rng.randrange(len(self.topics))]
        acts = rng.sample(activities, 2)
        slots = {
            "place": topic.place, "org": org, "workers": workers, "landmark": landmark,
            "thing": rng.choice(things), "activity": acts[0], "activity2": acts[1],
            "person": rng.choice(topic.people), "title": rng.choice(TITLES),
            "year": str(rng.randint(1850, 2023)), "number": str(rng.randint(12, 980)),
            "small": str(rng.randint(2, 9)), "month": rng.choice(MONTHS), "day": str(rng.randint(1, 28)),
            "dir": rng.choice(DIRECTIONS), "adj": rng.choice(ADJECTIVES), "quality": rng.choice(QUALITIES),
            "quality2": rng.choice(QUALITIES), "place2": other.place if other is not topic else self.topics[0].place,
            "org2": other.org, "compass": rng.choice(COMPASS),
        }
        template, question, slot = TEMPLATES[rng.randrange(len(TEMPLATES))]
        sentence = template.format(**slots)
        sentence = sentence[0].upper() + sentence[1:]
        if question is None:
            return sentence, None, None
        return sentence, question.format(**slots), slots[slot]

    def _topic_sentence(self, t: int) -> tuple[str, str | None, str | None]:
        if not self.pool_per_topic:
            return self._sentence(self.topics[t])
        pool = self._pools.setdefault(t, [])
        if len(pool) < self.pool_per_topic:
            s = self._sentence(self.topics[t])
            if all(s[0] != p[0] for p in pool):
                pool.append(s)
                return s
        return pool[self.rng.randrange(len(pool))]

    def sentence_pool(self) -> list[str]:
        """Every distinct sentence the pool mode has used (embed these, then look vectors up)."""
        return sorted({s for pool in self._pools.values() for s, _, _ in pool})

    def _passage(self, t: int) -> tuple[str, list[tuple[str, str, str]]]:
        want = self.rng.randint(3, 6)
        sentences, facts, length = [], [], 0
        for _ in range(want * 3):
            if len(sentences) == want:
                break
            s, q, a = self._topic_sentence(t)
            if s in sentences or length + len(s) + 1 > self.max_passage_chars:
                continue
            sentences.append(s)
            length += len(s) + 1
            if q:
                facts.append((q, a, s))
        return " ".join(sentences), facts

    # -- documents --------------------------------------------------------------------------
    def documents(self, n_docs: int, per_doc: int) -> list[SyntheticDocument]:
        """``n_docs`` Markdown documents of ``per_doc`` sections (passages) each."""
        n_topics = self.n_topics or max(2, (n_docs * per_doc) // 8)
        self._make_topics(n_topics)
        out = []
        for d in range(n_docs):
            out.append(self.document(d, per_doc))
        return out

    def document(self, d: int, per_doc: int, variant: int = 0) -> SyntheticDocument:
        """Document number ``d``; ``variant`` > 0 gives an edited version of it (other sentences)."""
        if not self.topics:
            self._make_topics(max(2, self.n_topics or 8))
        saved = self.rng
        self.rng = random.Random(f"{self.seed}:{d}:{variant}")
        try:
            # a document covers a handful of topics, a few sections each
            home = self.rng.sample(range(len(self.topics)), min(len(self.topics), max(1, per_doc // 4)))
            title = f"Chronicle of {self.topics[home[0]].place} and its neighbours, volume {d + 1}"
            parts = [f"# {title}\n"]
            doc = SyntheticDocument(source=f"doc-{d:05d}.md", text="")
            for k in range(per_doc):
                t = home[self.rng.randrange(len(home))]
                topic = self.topics[t]
                body, facts = self._passage(t)
                heading = f"{topic.place} {DOMAINS[topic.domain][5]}, part {k + 1}"
                parts.append(f"## {heading}\n\n{body}\n")
                doc.passages.append(body)
                doc.facts.append(facts)
            doc.text = "\n".join(parts)
        finally:
            self.rng = saved
        return doc

    def questions(self, docs: list[SyntheticDocument], n: int, seed: int | None = None) -> list[SyntheticQuestion]:
        """``n`` questions with a known passage and answer, drawn reproducibly."""
        rng = random.Random(f"questions:{self.seed if seed is None else seed}")
        out = []
        candidates = [(d, p) for d, doc in enumerate(docs) for p, f in enumerate(doc.facts) if f]
        for d, p in rng.sample(candidates, min(n, len(candidates))):
            q, a, s = rng.choice(docs[d].facts[p])
            out.append(SyntheticQuestion(q, a, s, d, p, docs[d].source))
        return out


def write_corpus(folder, docs: list[SyntheticDocument]) -> Path:
    """Write the documents as UTF-8 Markdown files into ``folder`` (created)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for doc in docs:
        (folder / doc.source).write_text(doc.text, encoding="utf-8")
    return folder
