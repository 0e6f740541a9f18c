"""Jobs as queue messages and stored payloads: plain JSON with a `kind`."""

from typing import Any

import cattrs

from shipcrowd_woo.domain.jobs import JOB_TYPES, Job, job_kind

_converter = cattrs.Converter(forbid_extra_keys=True)


class UnknownJob(ValueError):
    """A message or payload that is not one of our jobs."""


def job_to_data(job: Job) -> dict[str, Any]:
    """`{"kind": "sync_orders", "company_id": …, …}`."""
    data: dict[str, Any] = _converter.unstructure(job)
    return {"kind": job_kind(job), **data}


def job_from_data(data: object) -> Job:
    """The job a message describes; UnknownJob for anything else."""
    if not isinstance(data, dict) or data.get("kind") not in JOB_TYPES:
        raise UnknownJob("not a job message")
    fields = {k: v for k, v in data.items() if k != "kind"}
    try:
        return _converter.structure(fields, JOB_TYPES[data["kind"]])
    except Exception as error:  # any structuring failure is a malformed message
        raise UnknownJob(f"malformed {data['kind']} message: {type(error).__name__}") from None
