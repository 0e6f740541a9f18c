"""Key verification at start-up and key rotation, with real AES-GCM boxes."""

import base64
import os

import pytest

from shipcrowd_woo.adapters.crypto import AesGcmSecretBox
from shipcrowd_woo.domain.errors import SecretsUnavailable
from shipcrowd_woo.services.context import ServiceContext
from shipcrowd_woo.services.keys import rotate_keys, verify_keys
from tests.unit.services.conftest import COMPANY


def key(key_id: str) -> tuple[str, bytes]:
    return key_id, os.urandom(32)


@pytest.fixture
def old_key():
    return key("old")


def with_box(world, box):
    import attrs

    world.context = attrs.evolve(world.context, secrets=box)
    return world


def test_rotation_reseals_every_secret_with_the_newest_key(world, old_key):
    """After rotation, the old key can be removed and every secret still opens."""
    with_box(world, AesGcmSecretBox([old_key]))
    store = world.install()
    new_key = key("new")
    both = AesGcmSecretBox([new_key, old_key])
    report = rotate_keys(world.context.uow_factory, both)
    assert report.resealed == 2 + 8
    only_new = AesGcmSecretBox([new_key])
    assert verify_keys(world.context.uow_factory, only_new) == 1
    with world.uow() as uow:
        saved = uow.stores.get(COMPANY, store.id)
        assert only_new.open(saved.consumer_secret).reveal() == world.secret
        assert {w.secret.key_id for w in uow.webhooks.for_store(store.id)} == {"new"}
    assert rotate_keys(world.context.uow_factory, both).resealed == 0


def test_a_missing_or_wrong_key_is_refused_at_start_up(world, old_key):
    """Secrets sealed with `old` cannot be opened by a process configured without it, or
    with another key under its name."""
    with_box(world, AesGcmSecretBox([old_key]))
    world.install()
    with pytest.raises(SecretsUnavailable, match="'old', which is not configured"):
        verify_keys(world.context.uow_factory, AesGcmSecretBox([key("other")]))
    impostor = ("old", base64.b64decode(base64.b64encode(os.urandom(32))))
    with pytest.raises(SecretsUnavailable, match="cannot be opened"):
        verify_keys(world.context.uow_factory, AesGcmSecretBox([impostor]))


def test_an_empty_database_passes_verification(world):
    """Nothing sealed, nothing to check."""
    assert verify_keys(world.context.uow_factory, AesGcmSecretBox([key("k")])) == 0
    assert isinstance(world.context, ServiceContext)
