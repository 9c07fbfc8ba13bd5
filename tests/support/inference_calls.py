"""An in-process inference service, and the rows its Predict takes."""

from google.protobuf import struct_pb2
from google.protobuf.json_format import ParseDict

from services.inference.process import build as build_inference
from services.inference.settings import InferenceSettings
from tests.support.in_process import fast


async def start_inference(start_process, auth_server, triton_url: str, **extra):
    settings = fast(
        InferenceSettings, triton_url=triton_url, auth_addr=auth_server.address, **extra
    )
    return await start_process(build_inference, settings)


def rows(*records) -> list[struct_pb2.Struct]:
    return [ParseDict(r, struct_pb2.Struct()) for r in records]
