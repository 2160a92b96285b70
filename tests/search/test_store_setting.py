"""QA_STORE: parsed and checked, credentials only from the environment and never shown, and
nothing changes (pymilvus is not even imported) for people who don't set it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from qa.errors import ConfigError
from qa.app.configured import credentials, open_configured_store
from qa.search.stores import LocalStore, open_store, parse_store
from qa.settings import Settings
from tests.conftest import ROOT

SECRET = "s3cret-Tok3n-never-shown"


@pytest.mark.parametrize("raw, kind, uri, collection, name", [
    ("", "local", "", "qa", "local"),
    ("local", "local", "", "qa", "local"),
    ("milvus://db.internal:19530/handbook", "milvus", "http://db.internal:19530", "handbook",
     "milvus://db.internal:19530/handbook"),
    ("milvus://db.internal", "milvus", "http://db.internal:19530", "qa", "milvus://db.internal:19530/qa"),
    ("milvus+https://x.cloud.zilliz.com:443/docs_v2", "milvus", "https://x.cloud.zilliz.com:443", "docs_v2",
     "milvus+https://x.cloud.zilliz.com:443/docs_v2"),
    ("milvus-lite:./index/qa.db", "milvus", "./index/qa.db", "qa", "milvus-lite:./index/qa.db"),
    ("/srv/qa/milvus.db", "milvus", "/srv/qa/milvus.db", "qa", "milvus-lite:/srv/qa/milvus.db"),
])
def test_allowed_values(raw, kind, uri, collection, name):
    spec = parse_store(raw)
    assert (spec.kind, spec.uri, spec.collection, spec.name) == (kind, uri, collection, name)
    assert spec.lite == (kind == "milvus" and not uri.startswith("http"))


@pytest.mark.parametrize("raw", ["qdrant://localhost:6333/qa", "milvus://host:port/qa", "milvus://:19530/qa",
                                 "milvus://h:19530/bad-name", "milvus://h:19530/a/b", "milvus://h:19530/qa?x=1",
                                 "index", "faiss", "milvus-lite:", ".db"])
def test_anything_else_says_what_is_allowed(raw):
    with pytest.raises(ConfigError) as info:
        parse_store(raw)
    assert f"QA_STORE is {raw!r}" in str(info.value)
    assert "milvus://HOST:PORT/COLLECTION" in str(info.value) or "ends in .db" in str(info.value)


def test_credentials_in_the_address_are_refused_without_being_repeated():
    with pytest.raises(ConfigError) as info:
        parse_store(f"milvus://root:{SECRET}@db.internal:19530/qa")
    assert SECRET not in str(info.value) and "QA_MILVUS_TOKEN" in str(info.value)
    with pytest.raises(ConfigError) as info:
        parse_store(f"http://root:{SECRET}@db.internal:19530/qa")
    assert SECRET not in str(info.value) and "//***@" in str(info.value)


def test_secrets_are_read_from_the_environment_and_kept_out_of_reprs():
    env = {"QA_MILVUS_TOKEN": SECRET, "QA_MILVUS_USER": "reader", "QA_MILVUS_PASSWORD": SECRET + "pw"}
    creds = credentials(env)
    assert creds.client_kwargs() == {"token": SECRET}
    assert credentials({"QA_MILVUS_USER": "reader", "QA_MILVUS_PASSWORD": "pw"}).client_kwargs() == \
        {"user": "reader", "password": "pw"}
    assert credentials({}).client_kwargs() == {}
    for shown in (repr(creds), repr(Settings.from_env(env)), str(Settings.from_env(env))):
        assert SECRET not in shown
    assert "reader" in repr(Settings.from_env(env))


def test_the_default_store_is_the_local_folder(tmp_path):
    store = open_store(None, index_dir=tmp_path / "idx")
    assert isinstance(store, LocalStore) and store.index_dir == tmp_path / "idx"
    assert open_store(store) is store
    configured = open_configured_store(environ={"QA_INDEX": str(tmp_path / "i2")})
    assert isinstance(configured, LocalStore) and configured.index_dir == tmp_path / "i2"
    assert open_configured_store(None, tmp_path / "i3", environ={"QA_STORE": "local"}).index_dir == tmp_path / "i3"
    with pytest.raises(ConfigError, match="QA_STORE_TIMEOUT is 0"):
        open_configured_store("milvus://h:1/qa", environ={"QA_STORE_TIMEOUT": "0"})


def run_python(code: str, env: dict | None = None) -> subprocess.CompletedProcess:
    import os

    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


def test_without_qa_store_pymilvus_is_never_imported(tmp_path):
    code = f"""
import sys
from qa.app.api import Answerer
from tests.support.fakes import HashEmbeddings
bot = Answerer.from_corpus({str(ROOT / 'corpus')!r}, {str(tmp_path / 'idx')!r}, embeddings=HashEmbeddings())
bot.ask("What is the Zeynabiyoun Brigade?")
print(sorted(m for m in sys.modules if m.split('.')[0] in ('pymilvus', 'milvus_lite', 'grpc')))
"""
    out = run_python(code, {"QA_STORE": ""})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_a_missing_extra_says_how_to_install_it(tmp_path):
    code = f"""
import sys
sys.modules["pymilvus"] = None       # as if the extra were not installed
from qa.app.api import Answerer
from qa.errors import ModelError
from tests.support.fakes import HashEmbeddings
try:
    Answerer.from_corpus({str(ROOT / 'corpus')!r}, store="milvus-lite:{tmp_path}/qa.db", embeddings=HashEmbeddings())
except ModelError as exc:
    print(exc)
"""
    out = run_python(code)
    assert out.returncode == 0, out.stderr
    assert "needs the milvus extra (pymilvus is not installed)" in out.stdout
    assert "Install the milvus extra: pip install 'qa[milvus]'" in out.stdout
    assert "-e" not in out.stdout.split("pip install")[1]
