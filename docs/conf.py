# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Sphinx configuration of the sklearn_seq documentation.

Sphinx + numpydoc + sphinx-gallery, as scikit-learn, imbalanced-learn and
skorch do; the narrative pages are MyST markdown. The build needs no network:
no intersphinx inventories are fetched (set ``SKLEARN_SEQ_DOCS_INTERSPHINX=1``
to link to the scikit-learn, torch and skorch docs when online) and MathJax is
served from ``sphinx-mathjax-offline`` when it is installed.

Build with ``bash docs/build.sh`` (HTML in ``docs/_build/html``).
"""

import importlib
import importlib.util
import os
import pkgutil
import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent

# The gallery runs every example inside this process: keep it small and fast,
# headless, and on one torch thread (tiny models gain nothing from more, and
# the build shares its machine). Set before anything imports torch;
# ``SKLEARN_SEQ_SMALL=0 bash docs/build.sh`` builds the full-size gallery.
os.environ.setdefault("SKLEARN_SEQ_SMALL", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("OMP_NUM_THREADS", "1")

sys.path.insert(0, str(ROOT))  # document the checkout, not an installed copy
sys.path.insert(0, str(DOCS / "sphinxext"))

import sklearn_seq  # does not import torch

# -- Project -----------------------------------------------------------------

project = "sklearn_seq"
author = "The sklearn_seq developers"
copyright = "The sklearn_seq developers, BSD-3-Clause"
release = sklearn_seq.__version__
version = re.sub(r"(\.dev\d*|rc\d*|[ab]\d*)$", "", release)

# -- Extensions --------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]
# MathJax bundled locally (a few docstrings use :math:); without the package
# Sphinx falls back to its CDN URL, which only matters for viewing math.
if importlib.util.find_spec("sphinx-mathjax-offline") is not None:
    extensions.append("sphinx-mathjax-offline")

if os.environ.get("SKLEARN_SEQ_DOCS_INTERSPHINX") == "1":
    extensions.append("sphinx.ext.intersphinx")
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable", None),
        "sklearn": ("https://scikit-learn.org/stable", None),
        "torch": ("https://docs.pytorch.org/docs/stable", None),
        "skorch": ("https://skorch.readthedocs.io/en/stable", None),
    }

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "Thumbs.db",
    ".DS_Store",
    "build.sh",
    # sphinx-gallery writes these next to the rendered examples
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
]

# -- MyST (the markdown pages) ------------------------------------------------

myst_enable_extensions = ["colon_fence", "deflist"]
# Anchors for "[text](page.md#a-section)" links, up to ### headings.
myst_heading_anchors = 3

# -- autodoc / autosummary / numpydoc -----------------------------------------

autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {
    "members": True,
    # sklearn's inherited methods (get_params, score, ...) are documented;
    # torch.nn.Module's (and object's) are not.
    "inherited-members": "Module",
}
autodoc_typehints = "none"  # the numpydoc Parameters section is the reference
autoclass_content = "class"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True

# -- Gallery -----------------------------------------------------------------


def _load_run_all():
    spec = importlib.util.spec_from_file_location(
        "_sklearn_seq_run_all", ROOT / "examples" / "run_all.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_run_all = _load_run_all()
# Examples documented as not for CI (multi-GPU launchers, ...) are rendered in
# the gallery but not executed; run_all.py itself is left out.
_NOT_EXECUTED = sorted(
    p.stem
    for p in _run_all.example_paths(include_skipped=True)
    if _run_all.skip_reason(p)
)
_no_run = "|".join(re.escape(stem) for stem in _NOT_EXECUTED) or "$^"

sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    # executed: every example except those documented as not for CI
    "filename_pattern": rf"[\\/](?!(?:{_no_run})\.py$)[^\\/]+\.py$",
    "ignore_pattern": r"(^|[\\/])(run_all|__init__|_[^\\/]*)\.py$",
    "within_subsection_order": "FileNameSortKey",
    "image_scrapers": ("matplotlib",),
    "reset_modules": ("matplotlib", "gallery_helpers.provide_file"),
    "reset_modules_order": "both",
    "remove_config_comments": True,
    "download_all_examples": False,
    "show_memory": False,
    "min_reported_time": 1,
    # the execution-time tables load jQuery/DataTables from a CDN; run_all.py
    # prints per-example durations instead
    "write_computation_times": False,
    "plot_gallery": "True",
    "capture_repr": (),
    "default_thumb_file": None,
}

# -- HTML --------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"sklearn_seq {release}"
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc", "sourcelink"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": [], "getting_started": [], "comparison": []}
html_static_path = []
html_show_sourcelink = True
html_copy_source = False

# -- Build-time checks and helpers -------------------------------------------

from sphinx.util import logging as _sphinx_logging

_logger = _sphinx_logging.getLogger("sklearn_seq.docs")

#: Pages named in a toctree of these documents are skipped (with an info line)
#: while their file does not exist yet, so capability pages can land one by one.
_OPTIONAL_TOCTREE_DOCS = {"user_guide"}


def _drop_missing_toctree_entries(app, docname, source):
    if docname not in _OPTIONAL_TOCTREE_DOCS:
        return
    text, out, in_toctree = source[0], [], False
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if stripped.startswith("```{toctree}"):
            in_toctree = True
        elif in_toctree and stripped.startswith("```"):
            in_toctree = False
        elif in_toctree and stripped and not stripped.startswith(":"):
            target = stripped.split("<")[-1].rstrip(">").strip()
            if not any((DOCS / f"{target}{s}").exists() for s in source_suffix):
                _logger.info("user guide: %s not written yet, left out", target)
                continue
        out.append(line)
    source[0] = "".join(out)


def _reread_optional_toctrees(app, env, added, changed, removed):
    # a capability page that appears later must enter the toctree of an
    # incremental build too
    return sorted(_OPTIONAL_TOCTREE_DOCS & env.found_docs)


def _public_names():
    """Yield ``(module, name, object)`` for every name in a public ``__all__``."""
    for name in sklearn_seq.__all__:
        if not name.startswith("_"):
            yield "sklearn_seq", name, getattr(sklearn_seq, name)
    subpackages = {m.name for m in pkgutil.iter_modules(sklearn_seq.__path__)}
    for sub in sorted(set(sklearn_seq._SUBMODULES) | subpackages):
        if sub.startswith("_"):
            continue
        modname = f"sklearn_seq.{sub}"
        try:
            module = importlib.import_module(modname)
        except ImportError as exc:
            _logger.warning("API check: cannot import %s: %s", modname, exc)
            continue
        for name in getattr(module, "__all__", ()):
            yield modname, name, getattr(module, name)


def _documented_names(api_text):
    """``(name, id(object))`` of every autosummary entry of api.md."""
    documented, current, in_summary = set(), "sklearn_seq", False
    for line in api_text.splitlines():
        stripped = line.strip()
        if stripped.startswith(".. currentmodule::"):
            current = stripped.split("::", 1)[1].strip()
            in_summary = False
        elif stripped.startswith(".. autosummary::"):
            in_summary = True
        elif stripped.startswith(("```", ".. ")):
            in_summary = False
        elif in_summary and stripped and not stripped.startswith(":"):
            module = importlib.import_module(current)
            obj = getattr(module, stripped, None)
            documented.add((stripped, id(obj)))
    return documented


def _check_api_coverage(app):
    """Warn about public names (any ``__all__``) missing from api.md."""
    documented = _documented_names((DOCS / "api.md").read_text(encoding="utf-8"))
    for modname, name, obj in _public_names():
        if (name, id(obj)) not in documented:
            _logger.warning(
                "api.md does not document %s.%s (in %s.__all__): add it to "
                "the autosummary of that module's section",
                modname,
                name,
                modname,
                type="sklearn_seq",
                subtype="api",
            )


#: scikit-learn labels that its inherited docstrings (``score``,
#: ``set_output``, ``get_metadata_routing``, ...) refer to, resolved to its web
#: pages since no inventory is fetched.
_SKLEARN_URL = "https://scikit-learn.org/stable/"
_SET_OUTPUT = "auto_examples/miscellaneous/plot_set_output.html"
_SKLEARN_LABELS = {
    "metadata_routing": "metadata_routing.html",
    "df_output_transform": _SET_OUTPUT,
    "sphx_glr_auto_examples_miscellaneous_plot_set_output.py": _SET_OUTPUT,
    "accuracy_score": "modules/model_evaluation.html#accuracy-score",
    "r2_score": "modules/model_evaluation.html#r2-score",
}


def _resolve_sklearn_references(app, env, node, contnode):
    """Link ``:term:`` to scikit-learn's glossary and sklearn's own labels.

    Our docstrings follow scikit-learn's (``seen during :term:`fit```), and the
    methods inherited from scikit-learn carry ``:ref:`` labels of its user
    guide. Without intersphinx these would be undefined; they become links to
    scikit-learn's site (a label unknown here stays plain text). References
    from sklearn_seq's own text are left alone, so ours still warn.
    """
    from docutils import nodes

    if node.get("refdomain") != "std":
        return None
    reftype, target = node.get("reftype"), node.get("reftarget", "")
    if reftype == "term":
        slug = re.sub(r"[^a-z0-9]+", "-", target.lower()).strip("-")
        uri = f"{_SKLEARN_URL}glossary.html#term-{slug}"
    elif reftype == "ref" and "docstring of sklearn." in str(node.source or ""):
        if target not in _SKLEARN_LABELS:
            return contnode
        uri = _SKLEARN_URL + _SKLEARN_LABELS[target]
    else:
        return None
    ref = nodes.reference(
        "", "", internal=False, refuri=uri, reftitle="scikit-learn documentation"
    )
    ref += contnode
    return ref


def _constant_docstring(app, what, name, obj, options, lines):
    """Document a constant by its ``#:`` comment, not by its type's docstring.

    ``sklearn_seq.nn.CELLS`` would otherwise read "Built-in immutable
    sequence.": the comment sits in the module defining the constant, not in
    the package that re-exports it.
    """
    if what not in ("data", "attribute") or obj.__doc__ != type(obj).__doc__:
        return
    from sphinx.errors import PycodeError
    from sphinx.pycode import ModuleAnalyzer

    short = name.rpartition(".")[2]
    for modname in sorted(sys.modules):
        if not modname.startswith("sklearn_seq"):
            continue
        try:
            docs = ModuleAnalyzer.for_module(modname).find_attr_docs()
        except PycodeError as exc:  # namespace packages, C modules
            _logger.debug("no attribute docs for %s: %s", modname, exc)
            continue
        if ("", short) in docs and getattr(sys.modules[modname], short, None) is obj:
            lines[:] = list(docs[("", short)])
            return
    lines[:] = []


def setup(app):
    app.connect("source-read", _drop_missing_toctree_entries)
    app.connect("env-get-outdated", _reread_optional_toctrees)
    app.connect("builder-inited", _check_api_coverage)
    app.connect("missing-reference", _resolve_sklearn_references)
    app.connect("autodoc-process-docstring", _constant_docstring)
