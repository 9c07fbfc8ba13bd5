"""Types for code that handles every RPC alike (interceptors, generic handlers), whatever its
messages: grpc-stubs makes these classes generic in the request and response types.

grpcio's own classes, but for ServicerContext, cannot be subscripted at run time, so the
subscripted base classes exist for the type checker only.
"""

from typing import TYPE_CHECKING, Any, TypeAlias

import grpc

AnyContext: TypeAlias = grpc.aio.ServicerContext[Any, Any]

if TYPE_CHECKING:
    AnyHandler: TypeAlias = grpc.RpcMethodHandler[Any, Any]
    ServerInterceptor: TypeAlias = grpc.aio.ServerInterceptor[Any, Any]
    GenericRpcHandler: TypeAlias = grpc.GenericRpcHandler[Any, Any]
    UnaryUnaryClientInterceptor: TypeAlias = grpc.aio.UnaryUnaryClientInterceptor[Any, Any]
    UnaryStreamClientInterceptor: TypeAlias = grpc.aio.UnaryStreamClientInterceptor[Any, Any]
    StreamUnaryClientInterceptor: TypeAlias = grpc.aio.StreamUnaryClientInterceptor[Any, Any]
    StreamStreamClientInterceptor: TypeAlias = grpc.aio.StreamStreamClientInterceptor[Any, Any]
else:
    AnyHandler = grpc.RpcMethodHandler
    ServerInterceptor = grpc.aio.ServerInterceptor
    GenericRpcHandler = grpc.GenericRpcHandler
    UnaryUnaryClientInterceptor = grpc.aio.UnaryUnaryClientInterceptor
    UnaryStreamClientInterceptor = grpc.aio.UnaryStreamClientInterceptor
    StreamUnaryClientInterceptor = grpc.aio.StreamUnaryClientInterceptor
    StreamStreamClientInterceptor = grpc.aio.StreamStreamClientInterceptor
