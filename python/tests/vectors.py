"""The shared vectors (copied from the repository's ../shared/vectors into the test data): name,
a function building the bytes, the tree hash and, where known, the linear SHA-256."""

from __future__ import annotations

from conftest import MIB, splitmix64

# (name, size, tree hash, linear SHA-256 or None), from public.tsv.
PUBLIC = [
    ("empty", b"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    ("test", b"test", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"),
    ("bar", b"bar", "fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9"),
    ("zero-char", b"0", "5feceb66ffc86f38d952786c6d696c79c2dbc239dd4e91b46729d73a27fb57e9"),
    ("zeros-1MiB", bytes(MIB), "30e14955ebf1352266dc2ff8067e68104607e750abb9d3b36582b8af909fcb58"),
    ("zeros-2MiB", bytes(2 * MIB), "861890b487038d840e9d71d43bbc0fd4571453fb9d9b1f370caa3582a29b0ec7"),
    ("zeros-5.5MiB", bytes(5767168), "a3a82dbe3644dd6046be472f2e3ec1f8ef47f8f3adb86d0de4de7a254f255455"),
    ("ascii0-5.5MiB", b"0" * 5767168, "154e26c78fd74d0c2c9b3cc4644191619dc4f2cd539ae2a74d5fd07957a3ee6a"),
    ("zeros-7680000", bytes(7680000), "7a43777ddc7a0326d36b15bc482e6c7736e1c2e9d80a647e8c301646f6a4785c"),
    ("a-1MiB", b"a" * MIB, "9bc1b2a288b26af7257a36277ae3816a7d4f16e89c1e7e77d0a5c48bad62b360"),
    ("a-2MiB", b"a" * (2 * MIB), "560c2c9333c719cb00cfdffee3ba293db17f58743cdd1f7e4055373ae6300afa"),
    ("a-3MiB", b"a" * (3 * MIB), "70239f4f2ead7561f69d48b956b547edef52a1280a93c262c0b582190be7db17"),
    ("a-3.5MiB", b"a" * 3670016, "daede4eb580f914dacd5e0bdf7015c937fd615c1e6c6552d25cb04a8b7219828"),
    ("a-4MiB", b"a" * (4 * MIB), "9491cb2ed1d4e7cd53215f4017c23ec4ad21d7050a1e6bb636c4f67e8cddb844"),
    ("a-4MiB+20", b"a" * 4194324, "12f3cbd6101b981cde074039f6f728071da8879d6f632de8afc7cdf00661b08f"),
    (
        "smithy-101MiB",
        (b"01245678912" * (105906680 // 11 + 1))[:105906680],
        "3d417484359fc9f5a3bafd576dc47b8b2de2bf2d4fdac5aa2aff768f2210d386",
    ),
]

# (size, tree hash, linear SHA-256), from splitmix64.tsv (the rows up to 7 MiB + 12345: the
# stream is generated in Python).
SPLITMIX64 = [
    (0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    (1, "5a6e7a4754af8e7f47fc9493040d853e7b01e39d537cb1dd353c93b7ae58eb3d", "5a6e7a4754af8e7f47fc9493040d853e7b01e39d537cb1dd353c93b7ae58eb3d"),
    (MIB - 1, "443c1f1826ad9c2b627ea5addd2271cc719efeabc832b415edbab236fb9235c6", "443c1f1826ad9c2b627ea5addd2271cc719efeabc832b415edbab236fb9235c6"),
    (MIB, "bc9d1d01517351f3e2c02d32495b3bfbcba5ec54e5f1a44b06f51755d0086a01", "bc9d1d01517351f3e2c02d32495b3bfbcba5ec54e5f1a44b06f51755d0086a01"),
    (MIB + 1, "1040dce2636a5b254ba563fee20bb8de512e226917b5ebd99446dc800f1db786", "ad0789e1b380eb250e474e8e98e8879808c1e0ec94aaeb91ebe256f76d320699"),
    (2 * MIB, "56a3191b49dcf5f6acb513e5c4fb882cd8de6c43f6ed90b0cf5a1d0587da4e01", "3be6731243efc03680c8aa432c8f98c000ad293abecf015956db458b5b70f52c"),
    (3 * MIB, "1ead201525f4d978f633c6217806f09ed16ac8ecef06f48040634c10c1dcc453", "344c8a780187fca11891d3d8e296893c7575532d35803985adbe8a505d67999f"),
    (3 * MIB + 1, "bcb0c80bf4a4cf3157cb982de152765d46da286d8f35804f44186bc3663c8bff", "c0436acc4733bbcad20b75152a3f884bb17df29e36b3c04fea4588e197b87d56"),
    (5 * MIB - 1, "0b126faef1d502833e2db4b74ef441ccaf65c192989497154218ddde664b6301", "d952ac8d575f890141903ec9351607987862073a30f551aa7a7d5717c1246310"),
    (7 * MIB, "104a3b15e7d3f239276f8857cdecb6ffcef8f86feaf0781bb293780144236017", "c8cebe3ad9733240f9dc3f7f53c8a46da9ed1000c1e5151e6178a8bdd1c81ade"),
    (7 * MIB + 12345, "57d2c089d45c0fe6c104e57e69ef3732efa387edfe98a6a1b4af78db3bd5605e", "dfa87279b0dd2a1e2b0a7cc35af3b315955e4700f42e099072759b612f362ae4"),
]

_STREAM = None


def splitmix64_prefix(size: int) -> bytes:
    """The first ``size`` bytes of the stream (generated once, for the longest row)."""
    global _STREAM
    if _STREAM is None:
        _STREAM = splitmix64(max(size for size, _, _ in SPLITMIX64))
    return _STREAM[:size]


def all_vectors():
    """Every vector as (name, data, tree hash, SHA-256 or None)."""
    for name, data, tree in PUBLIC:
        yield name, data, tree, None
    for size, tree, sha256 in SPLITMIX64:
        yield f"splitmix64-{size}", splitmix64_prefix(size), tree, sha256
