"""Wrap any aio RPC handler (all four cardinalities) in an async context manager.

Interceptors in grpc.aio only see the handler, not the call; wrapping its behaviour is
the one way to run code around every RPC, streaming ones included.
"""

import inspect
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import grpc

from inferlane.common.grpc.any_rpc import AnyContext, AnyHandler

Around = Callable[[AnyContext], AbstractAsyncContextManager[None]]


def wrap(handler: AnyHandler, around: Around) -> AnyHandler:
    if handler.response_streaming:
        behavior = handler.unary_stream or handler.stream_stream
        wrapped: Any = _streaming(behavior, around)
    else:
        behavior = handler.unary_unary or handler.stream_unary
        wrapped = _unary(behavior, around)
    factory = {
        (False, False): grpc.unary_unary_rpc_method_handler,
        (False, True): grpc.unary_stream_rpc_method_handler,
        (True, False): grpc.stream_unary_rpc_method_handler,
        (True, True): grpc.stream_stream_rpc_method_handler,
    }[(handler.request_streaming, handler.response_streaming)]
    return factory(
        wrapped,
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )


def _unary(behavior: Any, around: Around) -> Any:
    async def call(request: Any, context: AnyContext) -> Any:
        async with around(context):
            return await behavior(request, context)

    return call


def _streaming(behavior: Any, around: Around) -> Any:
    async def call(request: Any, context: AnyContext) -> AsyncIterator[Any]:
        async with around(context):
            result = behavior(request, context)
            if inspect.isasyncgen(result):
                async for item in result:
                    yield item
            else:  # the behaviour writes with context.write() (e.g. health Watch)
                await result

    return call
