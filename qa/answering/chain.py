"""The retrieval chain, as a LangChain runnable:

    {"question", "history"} -> condense -> retriever -> reader -> Answer

    >>> condense_question("When was it formally organized?",
    ...                   [("What is the Zeynabiyoun Brigade?", "...")])
    'When was it formally organized? (Zeynabiyoun Brigade)'
    >>> condense_question("Who signed the agreements?", [])
    'Who signed the agreements?'

Swap the reader (e.g. for an LLM) or the retriever (any ``BaseRetriever``
whose documents carry the metadata :mod:`qa.search.retriever` documents) without
touching the rest.
"""

from __future__ import annotations

from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda

from ..ingest.text import tokens, words
from ..search.lexical import STOP_WORDS
from .answer import Answer
from .reader import Reader

MIN_CONTENT_WORDS = 3   # a question with this many content words and no pronoun stands alone
# Words that make a question lean on the conversation.
ANAPHORA = frozenset("it its it's they them their theirs this that these those he him his she her hers "
                     "there then such same former latter both other another".split())
_QWORDS = frozenset("what which who whom whose when where why how does did do is are was were can could "
                    "would should will name list tell give explain describe".split())


def condense_question(question: str, history: list[tuple[str, str]] | None) -> str:
    """A standalone search query: a question that leans on the previous turn gets
    that turn's topic words (the words of the previous question it doesn't share)."""
    if not history:
        return question
    asked = words(question)
    content = [w for w in asked if w not in STOP_WORDS and w not in _QWORDS]
    if not (set(asked) & ANAPHORA) and len(content) >= MIN_CONTENT_WORDS:
        return question
    for prev_question, _ in reversed(history):
        carried = [w for w in tokens(prev_question)
                   if w.lower() not in STOP_WORDS and w.lower() not in _QWORDS and w.lower() not in asked]
        if carried:
            return f"{question} ({' '.join(carried)})"
    return question


def retrieval_chain(retriever: BaseRetriever) -> Runnable:
    """``invoke({"question": ..., "history": [...]})`` adds ``query`` (the condensed question)
    and ``passages`` (what ``retriever`` found for it)."""

    def add_query(x: dict) -> dict:
        return {**x, "query": condense_question(x["question"], x.get("history"))}

    def add_passages(x: dict, config: RunnableConfig) -> dict:
        return {**x, "passages": retriever.invoke(x["query"], config)}

    # Plain sequential steps: no thread pool hop per question (RunnableParallel would add one).
    return RunnableLambda(add_query, name="condense") | RunnableLambda(add_passages, name="retrieve")


def build_chain(retriever: BaseRetriever, reader: Reader) -> Runnable:
    """``chain.invoke({"question": ..., "history": [...]})`` returns an :class:`~qa.answering.answer.Answer`."""

    def read(x: dict) -> Answer:
        return reader.read(x["question"], x["passages"], query=x["query"], history=x.get("history"))

    return (retrieval_chain(retriever) | RunnableLambda(read, name="read")).with_config(run_name="qa")
