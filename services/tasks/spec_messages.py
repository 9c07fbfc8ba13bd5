"""What to run, from its proto message: the specs of CreateTask and CreateBatchFromUpload."""

from google.protobuf import json_format

from inferlane.common.errors import InvalidInput
from inferlane.tasks.v1 import tasks_service_pb2 as pb
from services.tasks.specs import BatchSpec, SingleSpec


def spec_of(request: pb.CreateTaskRequest) -> SingleSpec | BatchSpec:
    which = request.WhichOneof("spec")
    if which == "single":
        return SingleSpec(
            model=request.single.model,
            input=json_format.MessageToDict(request.single.input),
            version=request.single.version or None,
            ttl_seconds=_ttl(request.single),
            callback_url=request.single.callback_url or None,
        )
    if which == "batch":
        return batch_spec_of(request.batch)
    raise InvalidInput("say what to run: a single or a batch task", code="01")


def batch_spec_of(b: pb.BatchTaskSpec) -> BatchSpec:
    return BatchSpec(
        model=b.model,
        dataset_id=b.dataset_id,
        column=b.column or None,
        limit=b.limit if b.HasField("limit") else None,
        match_by_content=b.match_dataset_by_content,
        version=b.version or None,
        label_column=b.label_column or None,
        id_column=b.id_column or None,
        ttl_seconds=_ttl(b),
        callback_url=b.callback_url or None,
    )


def _ttl(spec: pb.SingleTaskSpec | pb.BatchTaskSpec) -> int | None:
    return spec.ttl_seconds if spec.HasField("ttl_seconds") else None
