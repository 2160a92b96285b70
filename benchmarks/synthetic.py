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

SYLLABLES = ("val mor ka ren dil tha sor ve lin gar bro nes tal ith ur an del por qui ste ma ro "
             "fen wick hal bre ost cam lun dor sey ard vin tor esk mar bel ash cor rim").split()
FIRST_NAMES = ("Anna Boris Clara David Elena Farid Greta Hamid Irene Jonas Karim Lena Marco Nadia Omar "
               "Petra Rashid Sofia Tomas Ursula Viktor Wanda Yusuf Zara Amir Beatrix Conrad Dalia Emil "
               "Fatima Gustav Hana Ilse Jamal Katya Leon Mira Nils Olga Pavel Rosa Samir Tilde Vera").split()
TITLES = ["engineer", "director", "chairwoman", "chairman", "surveyor", "historian", "treasurer", "mayor",
          "inspector", "architect", "botanist", "captain"]
MONTHS = ("January February March April May June July August September October November December").split()
DIRECTIONS = ["northern", "southern", "eastern", "western", "upper", "lower", "old", "new"]
ADJECTIVES = ["modest", "ambitious", "costly", "long-delayed", "controversial", "popular", "temporary",
              "permanent", "experimental", "widely praised", "hastily planned", "carefully restored"]
QUALITIES = ["reliable", "overcrowded", "efficient", "expensive", "quiet", "busy", "fragile", "well kept",
             "poorly funded", "admired", "neglected", "crowded"]

# domain: (organisation, workers, landmark, things built or done, activities, the topic word for headings)
DOMAINS = {
    "harbour": ("Harbour Board", "dock workers", "breakwater", ["a grain terminal", "a lighthouse",
                "a dry dock", "a ferry pier", "a customs house"], ["dredged the channel", "unloaded timber ships",
                "repaired the sea wall"], "Harbour"),
    "farming": ("Grain Cooperative", "farmers", "irrigation canal", ["a seed bank", "a flour mill",
                "a storage barn", "an orchard school"], ["harvested barley", "rotated the wheat fields",
                "planted apple orchards"], "Farms"),
    "railway": ("Railway Company", "rail workers", "viaduct", ["a freight yard", "a signal box",
                "a branch line", "a locomotive shed"], ["laid new track", "electrified the main line",
                "ran night trains to the coast"], "Railway"),
    "mining": ("Mining Trust", "miners", "copper seam", ["a ventilation shaft", "an ore crusher",
               "a safety station", "a smelter"], ["extracted copper ore", "drained the flooded galleries",
               "closed the oldest pit"], "Mines"),
    "hospital": ("Hospital Trust", "nurses", "hilltop clinic", ["a maternity ward", "a vaccine store",
                 "a surgical wing", "a nursing school"], ["vaccinated the children of the valley",
                 "treated fever patients", "trained rural midwives"], "Hospital"),
    "university": ("University Senate", "lecturers", "library tower", ["a chemistry laboratory",
                   "a lecture hall", "a student hostel", "a botanical garden"], ["admitted the first women students",
                   "opened an evening school", "digitised the archive"], "University"),
    "festival": ("Festival Committee", "volunteers", "open-air stage", ["a music pavilion",
                 "a lantern parade", "a poetry prize", "a film week"], ["hosted travelling orchestras",
                 "sold out every concert", "moved the fair to the riverbank"], "Festival"),
    "football": ("Football Club", "players", "stadium", ["a youth academy", "a floodlit pitch",
                 "a supporters' hall", "a new grandstand"], ["won the regional cup",
                 "signed a goalkeeper from the coast", "toured the northern provinces"], "Football"),
    "river": ("River Commission", "boatmen", "flood barrier", ["a pumping station", "a fish ladder",
              "a stone embankment", "a water gauge"], ["measured the spring floods", "cleared the silted banks",
              "rebuilt the towpath"], "River"),
    "bridge": ("Bridge Authority", "steel workers", "suspension bridge", ["a toll plaza",
               "a pedestrian walkway", "a second deck", "a cable anchorage"], ["painted the steel towers",
               "replaced the rusted cables", "closed the bridge for repairs"], "Bridge"),
    "archive": ("City Archive", "archivists", "reading room", ["a map collection", "a microfilm vault",
                "a conservation workshop", "a public catalogue"], ["catalogued the parish records",
                "restored water-damaged ledgers", "published the census returns"], "Archive"),
    "textile": ("Textile Mill", "weavers", "dye works", ["a spinning hall", "a cotton warehouse",
                "a workers' canteen", "a steam engine house"], ["wove wool blankets for the army",
                "switched to synthetic fibres", "exported linen to the capital"], "Mill"),
    "observatory": ("Observatory Council", "astronomers", "great telescope", ["a radio dish",
                    "a planetarium", "a seismograph vault", "a weather station"], ["catalogued variable stars",
                    "photographed the comet", "timed the solar eclipse"], "Observatory"),
    "fishing": ("Fishermen's Guild", "fishermen", "fish market", ["a smokehouse", "an ice plant",
                "a net loft", "a boatyard"], ["landed record herring catches", "banned trawling in the bay",
                "repaired the fleet after the storm"], "Fisheries"),
    "forest": ("Forest Service", "rangers", "pine reserve", ["a fire lookout", "a tree nursery",
               "a logging road", "a wildlife shelter"], ["replanted the burned slopes",
               "counted the red deer", "fought the summer wildfires"], "Forest"),
    "council": ("Town Council", "clerks", "town hall", ["a market square", "a public bath",
                "a tram line", "a street lighting scheme"], ["raised the property tax",
                "held a referendum on the tram", "paved the central avenue"], "Council"),
    "museum": ("Museum Trust", "curators", "sculpture court", ["a natural history gallery",
               "a children's wing", "a coin cabinet", "a glass atrium"], ["acquired a bronze-age hoard",
               "returned stolen paintings", "doubled its visitor numbers"], "Museum"),
    "brewery": ("Brewers' Association", "brewers", "malt house", ["a bottling plant", "a hop garden",
                "a cooperage", "a tasting hall"], ["brewed a dark winter ale", "bought the old maltings",
                "exported beer by barge"], "Brewery"),
    "telegraph": ("Telegraph Office", "operators", "relay station", ["a cable landing", "a telephone exchange",
                  "a radio mast", "a switchboard room"], ["connected the island by cable",
                  "sent the first wireless message", "installed automatic exchanges"], "Telegraph"),
    "cycling": ("Cycling Union", "riders", "velodrome", ["a mountain stage", "a touring route",
                "a repair depot", "a race museum"], ["organised a six-day race", "won the mountain stage",
                "built a cycle path to the lake"], "Cycling"),
}

# (sentence template, question template or None, answer slot)
TEMPLATES = [
    ("In {year}, the {place} {org} opened {thing} near the {dir} {landmark}.",
     "When did the {place} {org} open {thing}?", "year"),
    ("{person}, the {title} of the {place} {org}, {activity} for {number} years.",
     "Who was the {title} of the {place} {org}?", "person"),
    ("By {month} {year}, the {place} {org} employed about {number} {workers}.",
     "How many {workers} did the {place} {org} employ in {year}?", "number"),
    ("The {adj} plan for {thing} in {place} cost {number} thousand crowns and took {small} years to finish.",
     "How much did the plan for {thing} in {place} cost?", "number"),
    ("Under {person}, the {workers} of {place} {activity} and {activity2}.",
     "Under whom did the {workers} of {place} {activity}?", "person"),
    ("The {dir} {landmark} of {place} was damaged in {year} and rebuilt by {person}.",
     "Who rebuilt the {dir} {landmark} of {place}?", "person"),
    ("Visitors described the {landmark} at {place} as {quality} and {quality2}.", None, None),
    ("Most of the {workers} came from {place2}, a town {small}0 kilometres to the {compass}.",
     "Where did most of the {workers} of {place} come from?", "place2"),
    ("Records kept by the {org} show that {number} people used {thing} in its first year.", None, None),
    ("Local newspapers in {place} reported the opening of {thing} on {day} {month} {year}.",
     "When did newspapers in {place} report the opening of {thing}?", "year"),
    ("The {org} of {place} {activity} after a long dispute with the {org2} of {place2}.", None, None),
    ("A {adj} proposal to close the {landmark} of {place} was rejected by {number} votes.",
     "By how many votes was the proposal to close the {landmark} of {place} rejected?", "number"),
]
COMPASS = ["north", "south", "east", "west", "north-east", "south-west"]


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
