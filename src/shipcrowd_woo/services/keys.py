"""Encryption keys: checking at start-up that every stored secret can be opened, and
re-sealing every secret with the newest key."""

import attrs

from shipcrowd_woo.domain.errors import SecretsUnavailable
from shipcrowd_woo.domain.secrets import EncryptedSecret
from shipcrowd_woo.ports.repositories import UnitOfWorkFactory
from shipcrowd_woo.ports.secrets import SecretBox


def verify_keys(uow_factory: UnitOfWorkFactory, box: SecretBox) -> int:
    """Open one stored secret per key id in use; raise SecretsUnavailable naming every key
    that is missing or wrong, so a misconfigured process stops at start-up instead of failing
    job by job. Returns how many key ids were checked."""
    samples: dict[str, EncryptedSecret] = {}
    with uow_factory() as uow:
        for store in uow.stores.every_store():
            for sealed in (store.consumer_key, store.consumer_secret):
                samples.setdefault(sealed.key_id, sealed)
            for webhook in uow.webhooks.for_store(store.id):
                samples.setdefault(webhook.secret.key_id, webhook.secret)
    problems = []
    for sealed in samples.values():
        try:
            box.open(sealed)
        except SecretsUnavailable as error:
            problems.append(str(error))
    if problems:
        raise SecretsUnavailable("; ".join(problems))
    return len(samples)


@attrs.frozen
class RotationReport:
    """How many secrets were re-sealed and how many already used the newest key."""

    resealed: int
    current: int


def rotate_keys(uow_factory: UnitOfWorkFactory, box: SecretBox) -> RotationReport:
    """Re-seal every stored secret (credentials and webhook secrets, of connected and
    disconnected stores) with the current key, one store per transaction; afterwards the old
    keys can be removed from the configuration."""
    with uow_factory() as uow:
        store_ids = [(s.company_id, s.id) for s in uow.stores.every_store()]
    resealed = current = 0

    def reseal(sealed: EncryptedSecret) -> EncryptedSecret:
        nonlocal resealed, current
        if sealed.key_id == box.current_key_id:
            current += 1
            return sealed
        resealed += 1
        return box.seal(box.open(sealed))

    for company_id, store_id in store_ids:
        with uow_factory() as uow:
            store = uow.stores.get(company_id, store_id)
            uow.stores.update(
                attrs.evolve(
                    store,
                    consumer_key=reseal(store.consumer_key),
                    consumer_secret=reseal(store.consumer_secret),
                )
            )
            for webhook in uow.webhooks.for_store(store_id):
                uow.webhooks.update(attrs.evolve(webhook, secret=reseal(webhook.secret)))
            uow.commit()
    return RotationReport(resealed, current)
