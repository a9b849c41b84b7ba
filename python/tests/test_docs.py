"""The examples in the package's docstrings run and give what they show."""

from __future__ import annotations

import doctest

import glacier_tree_hash


def test_docstring_examples():
    failures, attempted = doctest.testmod(glacier_tree_hash, verbose=False)
    assert attempted >= 8
    assert failures == 0


def test_everything_public_is_documented():
    for name in glacier_tree_hash.__all__:
        if name == "__version__":
            continue
        item = getattr(glacier_tree_hash, name)
        assert item.__doc__ and item.__doc__.strip(), name
    for method in ("update", "digest", "hexdigest", "copy", "reset"):
        assert getattr(glacier_tree_hash.TreeHasher, method).__doc__, method
