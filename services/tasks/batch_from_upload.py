"""Upload-and-run: a file streamed to the datasets service and a batch task over it, in one
request.

The workflow spans two services, so it lives in the tasks service rather than at the edge: a
task that cannot be created deletes the dataset just stored (no task will ever read it), and
a replayed idempotency key, whose task reads the first request's dataset (matched by
content: a retried upload is a new dataset with the same bytes), deletes the copy.
"""

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace

import structlog

from inferlane.common.errors import DomainError
from services.tasks import audit
from services.tasks.peers import Peers
from services.tasks.service import TasksService, TaskView
from services.tasks.specs import BatchSpec

log = structlog.get_logger("inferlane.tasks.batch_from_upload")


@dataclass(frozen=True)
class Upload:
    """One upload-and-run request: the file and, once its bytes are read, what to run."""

    filename: str
    content_type: str | None
    chunks: AsyncIterator[bytes]
    # The spec may follow the file, so it is asked for only after `chunks` is exhausted.
    spec: Callable[[], BatchSpec]
    idempotency_key: str | None


class BatchFromUpload:
    def __init__(self, service: TasksService, peers: Peers) -> None:
        self._service = service
        self._peers = peers

    async def create(self, owner_id: uuid.UUID, upload: Upload, who: audit.Who) -> TaskView:
        dataset = await self._peers.upload(upload.filename, upload.content_type, upload.chunks)
        try:
            spec = replace(upload.spec(), dataset_id=dataset.id, match_by_content=True)
            view = await self._service.create(owner_id, spec, upload.idempotency_key, who)
        except BaseException:  # refused, or the caller hung up: no task will read it
            await self._discard(dataset.id)
            raise
        if str(view.task.dataset_id) != dataset.id:  # a replay: the first request's dataset
            await self._discard(dataset.id)
        return view

    async def _discard(self, dataset_id: str) -> None:
        """Best effort: an upload left behind is the caller's to see and delete, not an error
        to hide the task's (or the refusal's) answer behind."""
        try:
            await self._peers.delete_dataset(dataset_id)
        except (DomainError, RuntimeError) as exc:
            log.warning("could not delete an unused upload", dataset_id=dataset_id, error=str(exc))
