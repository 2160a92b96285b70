"""The package's shape: each subpackage is one stage of the pipeline, and imports only go
downstream (ingest <- search <- answering <- pipeline <- app; eval beside app: it imports the
stages and the pipeline, never app, and only the CLI imports it, lazily). Modules and functions
stay small. Checked by parsing the source, not by importing it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "qa"
STAGES = ["ingest", "search", "answering", "pipeline", "app"]   # in pipeline order (pipeline: qa/pipeline.py)
BESIDE_APP = "eval"                                        # imports what app may, except app
TOP_LEVEL = {"errors", "extras", "settings"}               # importable from anywhere
MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 50
LONG_OK = "# long:"    # a function longer than the limit says why, in a comment starting so


def modules(root: Path = PACKAGE) -> list[Path]:
    return sorted(root.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def qa_imports(path: Path, module: str | None = None) -> list[tuple[str, bool]]:
    """``(imported qa module, inside a function)`` for every import of ``qa`` in ``path``
    (the module ``module``, by default the one ``path`` is in this checkout)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    module = module or module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.Import):
                out.extend((a.name, in_function) for a in child.names if a.name.split(".")[0] == "qa")
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")[:len(package.split(".")) - child.level + 1]
                    target = ".".join(base + ([child.module] if child.module else []))
                else:
                    target = child.module or ""
                if target.split(".")[0] == "qa":
                    names = [f"{target}.{a.name}" for a in child.names] if not child.module else [target]
                    out.extend((n, in_function) for n in names)
            visit(child, inner)

    visit(tree, False)
    return out


def stage_of(module: str) -> str:
    """``ingest``, ``search``, ``answering``, ``app``, ``eval``, or the top-level module's name."""
    parts = module.split(".")
    return "qa" if len(parts) == 1 or parts[1] == "__main__" else parts[1]


def allowed(importer: str, imported: str, in_function: bool) -> bool:
    src, dst = stage_of(importer), stage_of(imported)
    if dst in TOP_LEVEL or dst == src:
        return True
    if dst == BESIDE_APP:
        return importer == "qa.app.cli" and in_function
    if src in TOP_LEVEL:
        return False
    if src == "qa":                      # qa/__init__.py and qa/__main__.py: the public face
        return True
    if src == BESIDE_APP:
        src = "app"
        if dst == "app":
            return False
    return dst in STAGES and src in STAGES and STAGES.index(dst) < STAGES.index(src)


def test_every_module_belongs_to_a_stage():
    for path in modules():
        stage = stage_of(module_name(path))
        assert stage in STAGES + [BESIDE_APP, "qa"] + sorted(TOP_LEVEL), path


def test_imports_only_go_downstream():
    wrong = [f"{module_name(p)} imports {name}" + (" (in a function)" if lazy else "")
             for p in modules() for name, lazy in qa_imports(p)
             if not allowed(module_name(p), name, lazy)]
    assert not wrong, "\n".join(wrong)


def test_the_checker_sees_a_wrong_import(tmp_path):
    assert not allowed("qa.ingest.corpus", "qa.search.index", False)
    assert not allowed("qa.search.index", "qa.eval.metrics", True)
    assert not allowed("qa.app.api", "qa.eval.run", False)
    assert allowed("qa.app.cli", "qa.eval.run", True)
    assert not allowed("qa.eval.run", "qa.app.api", True) and not allowed("qa.eval.run", "qa.app", False)
    assert allowed("qa.eval.run", "qa.pipeline", False) and allowed("qa.eval.squad", "qa.ingest.text", False)
    assert allowed("qa.app.api", "qa.pipeline", False) and not allowed("qa.pipeline", "qa.app.api", True)
    assert not allowed("qa.answering.chain", "qa.pipeline", True) and not allowed("qa.pipeline", "qa.eval.run", True)
    assert allowed("qa.answering.extractive", "qa.search.lexical", False)
    found = qa_imports(PACKAGE / "app" / "cli.py")
    assert ("qa.eval.run", True) in found and ("qa.settings", False) in found
    source = tmp_path / "run.py"     # parsed as qa.eval's: a relative import of app, inside a function
    source.write_text("def f():\n    from ..app.api import Answerer\n", encoding="utf-8")
    assert qa_imports(source, module="qa.eval.run") == [("qa.app.api", True)]


FOLDERS = ["qa", "tests", "benchmarks", "training", "evaluation", "scripts"]
# What each folder of the repository may import of the others (beside itself): the library none of them.
MAY_IMPORT = {"qa": set(), "training": {"qa"}, "benchmarks": {"qa", "tests"},   # tests.support: shared helpers
              "scripts": {"qa", "benchmarks"}, "evaluation": set(),            # check_questions: stdlib only
              "tests": {"qa", "training"}}


def folder_imports(path: Path) -> set[str]:
    """The folders of this repository (:data:`FOLDERS`) that ``path`` imports, absolutely."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
            [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
        out |= {n.split(".")[0] for n in names} & set(FOLDERS)
    return out


@pytest.mark.parametrize("root", FOLDERS)
def test_folders_import_only_what_they_may(root):
    wrong = {str(p.relative_to(ROOT)): sorted(bad) for p in modules(ROOT / root)
             if (bad := folder_imports(p) - MAY_IMPORT[root] - {root})}
    assert not wrong, f"{root}/ may import only {sorted(MAY_IMPORT[root])}: {wrong}"


def test_the_folder_checker_sees_a_wrong_import(tmp_path):
    (tmp_path / "x.py").write_text("import json\nfrom training.data import REPO\n\ndef f():\n    import qa.app\n",
                                   encoding="utf-8")
    assert folder_imports(tmp_path / "x.py") == {"training", "qa"}


@pytest.mark.parametrize("root", FOLDERS)
def test_modules_are_small(root):
    long = {str(p.relative_to(ROOT)): n for p in modules(ROOT / root)
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert not long, f"modules over {MAX_MODULE_LINES} lines: {long}"


@pytest.mark.parametrize("root", FOLDERS)
def test_functions_are_small_or_say_why(root):
    long = []
    for path in modules(ROOT / root):
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                body = lines[node.lineno - 1:node.end_lineno]
                if len(body) > MAX_FUNCTION_LINES and not any(line.strip().startswith(LONG_OK) for line in body):
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({len(body)} lines)")
    assert not long, "\n".join(long)


def test_no_test_imports_benchmarks_or_patches_sys_path():
    for path in modules(ROOT / "tests"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                assert not any(a.name.split(".")[0] == "benchmarks" for a in node.names), path
            if isinstance(node, ast.ImportFrom):
                assert (node.module or "").split(".")[0] != "benchmarks", path
            if isinstance(node, ast.Attribute) and node.attr in ("insert", "append", "extend"):
                assert ast.unparse(node.value) != "sys.path", f"{path}:{node.lineno} patches sys.path"


TEST_FOLDERS = {"ingest", "search", "answering", "app", "eval", "training"}   # the stages, evaluation and training
HOUSE_TESTS = {"test_layout.py", "test_settings.py", "test_readme.py", "test_docs.py", "test_extras.py"}


def test_tests_are_grouped_by_stage():
    """A test module sits in the folder of the stage it tests; only the house's own checks stay at the top."""
    tests = ROOT / "tests"
    top = {p.name for p in tests.glob("test_*.py")}
    assert top <= HOUSE_TESTS, f"tests/ holds {sorted(top - HOUSE_TESTS)}: move them to tests/<stage>/"
    folders = {p.name for p in tests.iterdir() if p.is_dir() and p.name not in ("support", "__pycache__")}
    assert folders == TEST_FOLDERS, folders ^ TEST_FOLDERS
    assert all((tests / name / "__init__.py").is_file() for name in TEST_FOLDERS)
