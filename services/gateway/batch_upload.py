"""The batch-file form (`POST /tasks/batch-file`): its text fields read as a task spec, and
the whole form forwarded to the tasks service's CreateBatchFromUpload, which stores the file
and starts the task."""

from inferlane.tasks.v1 import tasks_service_pb2 as pb

from .deps import TasksStub
from .schemas.common import INT64_MAX
from .schemas.tasks import batch_spec
from .transfers import TRANSFER_TIMEOUT, forward
from .uploads import FileStart, StreamingForm, invalid

MODEL_FIELD, COLUMN_FIELD, LIMIT_FIELD = "model", "column", "limit"
VERSION_FIELD, LABEL_COLUMN_FIELD, ID_COLUMN_FIELD = "version", "label_column", "id_column"
CALLBACK_URL_FIELD = "callback_url"


def spec_of(fields: dict[str, str], *, complete: bool) -> pb.BatchTaskSpec:
    """The fields as a spec (the service sets its dataset); `complete`: every field has been
    read, so a missing model is an error. Refusals are 422 problems (code 01)."""
    model = fields.get(MODEL_FIELD, "").strip()
    if complete and not model:
        raise invalid(f"The form has no {MODEL_FIELD!r} field.")
    raw_limit = fields.get(LIMIT_FIELD, "").strip()
    limit = None
    if raw_limit:
        # isascii: isdigit() also accepts digits such as "²" that int() refuses.
        if (
            not (raw_limit.isascii() and raw_limit.isdigit())
            or not 1 <= int(raw_limit) <= INT64_MAX
        ):
            raise invalid(
                f"The {LIMIT_FIELD!r} field must be a whole number from 1 to {INT64_MAX}."
            )
        limit = int(raw_limit)
    return batch_spec(
        model,
        "",
        _optional(fields, COLUMN_FIELD),
        limit,
        version=_optional(fields, VERSION_FIELD),
        label_column=_optional(fields, LABEL_COLUMN_FIELD),
        id_column=_optional(fields, ID_COLUMN_FIELD),
        callback_url=_optional(fields, CALLBACK_URL_FIELD),
    )


def _optional(fields: dict[str, str], name: str) -> str | None:
    return fields.get(name, "").strip() or None


async def create_batch(
    stub: TasksStub, start: FileStart, form: StreamingForm, idempotency_key: str | None
) -> pb.CreateBatchFromUploadResponse:
    """Streams the file on as it arrives; the spec follows it, since fields may come after the
    file. A spec the fields refuse cancels the call, and the service stores nothing."""
    if form.fields:  # fields sent before the file can be checked before the upload
        spec_of(form.fields, complete=False)
    first = pb.BatchUploadStart(filename=start.filename, idempotency_key=idempotency_key or "")
    if start.content_type is not None:
        first.content_type = start.content_type
    return await forward(
        stub.CreateBatchFromUpload(None, timeout=TRANSFER_TIMEOUT),  # None: we call write()
        pb.CreateBatchFromUploadRequest(start=first),
        form,
        lambda data: pb.CreateBatchFromUploadRequest(chunk=data),
        lambda: pb.CreateBatchFromUploadRequest(spec=spec_of(form.fields, complete=True)),
    )
