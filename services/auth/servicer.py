"""gRPC front of the auth service: proto <-> domain, nothing else. Errors are DomainErrors,
mapped to status codes by the shared interceptor."""

import grpc

from inferlane.auth.v1 import auth_service_pb2 as pb
from inferlane.auth.v1 import auth_service_pb2_grpc, auth_types_pb2
from inferlane.common import principal
from inferlane.common.principal import ADMIN, SERVICE, USER
from services.auth.domain import ApiKey, TokenPair, User
from services.auth.service import AuthService

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["AuthService"].full_name
# Methods a caller without an access token may use (health and reflection always may).
PUBLIC_METHODS = frozenset(
    f"/{SERVICE_NAME}/{m}"
    for m in ("Register", "Login", "RefreshTokens", "Logout", "GetJwks", "AuthenticateApiKey")
)

_ROLE_TO_PB = {
    USER: auth_types_pb2.ROLE_USER,
    ADMIN: auth_types_pb2.ROLE_ADMIN,
    SERVICE: auth_types_pb2.ROLE_SERVICE,
}
_PB_TO_ROLE = {v: k for k, v in _ROLE_TO_PB.items()}


def user_pb(user: User) -> auth_types_pb2.User:
    message = auth_types_pb2.User(id=str(user.id), email=user.email, role=_ROLE_TO_PB[user.role])
    message.created_at.FromDatetime(user.created_at)
    return message


def tokens_pb(pair: TokenPair) -> auth_types_pb2.TokenPair:
    return auth_types_pb2.TokenPair(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        token_type=pair.token_type,
        expires_in=pair.expires_in,
        refresh_expires_in=pair.refresh_expires_in,
    )


def api_key_pb(key: ApiKey) -> auth_types_pb2.ApiKey:
    message = auth_types_pb2.ApiKey(id=str(key.id), name=key.name, prefix=key.prefix)
    message.created_at.FromDatetime(key.created_at)
    if key.last_used_at is not None:
        message.last_used_at.FromDatetime(key.last_used_at)
    return message


class AuthServicer(auth_service_pb2_grpc.AuthServiceServicer):
    def __init__(self, service: AuthService, jwks: list[dict[str, str]]) -> None:
        self._service = service
        self._jwks = [auth_types_pb2.Jwk(**jwk) for jwk in jwks]

    async def Register(
        self,
        request: pb.RegisterRequest,
        context: grpc.aio.ServicerContext[pb.RegisterRequest, pb.RegisterResponse],
    ) -> pb.RegisterResponse:
        return pb.RegisterResponse(
            user=user_pb(await self._service.register(request.email, request.password))
        )

    async def Login(
        self,
        request: pb.LoginRequest,
        context: grpc.aio.ServicerContext[pb.LoginRequest, pb.LoginResponse],
    ) -> pb.LoginResponse:
        pair = await self._service.login(request.email, request.password, request.client_address)
        return pb.LoginResponse(token_pair=tokens_pb(pair))

    async def RefreshTokens(
        self,
        request: pb.RefreshTokensRequest,
        context: grpc.aio.ServicerContext[pb.RefreshTokensRequest, pb.RefreshTokensResponse],
    ) -> pb.RefreshTokensResponse:
        return pb.RefreshTokensResponse(
            token_pair=tokens_pb(await self._service.refresh(request.refresh_token))
        )

    async def Logout(
        self,
        request: pb.LogoutRequest,
        context: grpc.aio.ServicerContext[pb.LogoutRequest, pb.LogoutResponse],
    ) -> pb.LogoutResponse:
        await self._service.logout(request.refresh_token)
        return pb.LogoutResponse()

    async def GetCurrentUser(
        self,
        request: pb.GetCurrentUserRequest,
        context: grpc.aio.ServicerContext[pb.GetCurrentUserRequest, pb.GetCurrentUserResponse],
    ) -> pb.GetCurrentUserResponse:
        return pb.GetCurrentUserResponse(user=user_pb(await self._service.me(principal.current())))

    async def GetJwks(
        self,
        request: pb.GetJwksRequest,
        context: grpc.aio.ServicerContext[pb.GetJwksRequest, pb.GetJwksResponse],
    ) -> pb.GetJwksResponse:
        return pb.GetJwksResponse(keys=self._jwks)

    async def ListUsers(
        self,
        request: pb.ListUsersRequest,
        context: grpc.aio.ServicerContext[pb.ListUsersRequest, pb.ListUsersResponse],
    ) -> pb.ListUsersResponse:
        principal.require_admin()
        users, token = await self._service.list_users(request.page_size, request.page_token)
        return pb.ListUsersResponse(users=[user_pb(u) for u in users], next_page_token=token)

    async def SetUserRole(
        self,
        request: pb.SetUserRoleRequest,
        context: grpc.aio.ServicerContext[pb.SetUserRoleRequest, pb.SetUserRoleResponse],
    ) -> pb.SetUserRoleResponse:
        principal.require_admin()
        user = await self._service.set_role(request.user_id, _PB_TO_ROLE.get(request.role, ""))
        return pb.SetUserRoleResponse(user=user_pb(user))

    async def CreateApiKey(
        self,
        request: pb.CreateApiKeyRequest,
        context: grpc.aio.ServicerContext[pb.CreateApiKeyRequest, pb.CreateApiKeyResponse],
    ) -> pb.CreateApiKeyResponse:
        key, secret = await self._service.create_api_key(principal.current(), request.name)
        return pb.CreateApiKeyResponse(api_key=api_key_pb(key), secret=secret)

    async def ListApiKeys(
        self,
        request: pb.ListApiKeysRequest,
        context: grpc.aio.ServicerContext[pb.ListApiKeysRequest, pb.ListApiKeysResponse],
    ) -> pb.ListApiKeysResponse:
        keys, token = await self._service.list_api_keys(
            principal.current(), request.page_size, request.page_token
        )
        return pb.ListApiKeysResponse(api_keys=[api_key_pb(k) for k in keys], next_page_token=token)

    async def RevokeApiKey(
        self,
        request: pb.RevokeApiKeyRequest,
        context: grpc.aio.ServicerContext[pb.RevokeApiKeyRequest, pb.RevokeApiKeyResponse],
    ) -> pb.RevokeApiKeyResponse:
        await self._service.revoke_api_key(principal.current(), request.api_key_id)
        return pb.RevokeApiKeyResponse()

    async def AuthenticateApiKey(
        self,
        request: pb.AuthenticateApiKeyRequest,
        context: grpc.aio.ServicerContext[
            pb.AuthenticateApiKeyRequest, pb.AuthenticateApiKeyResponse
        ],
    ) -> pb.AuthenticateApiKeyResponse:
        identity = await self._service.authenticate_api_key(request.api_key)
        return pb.AuthenticateApiKeyResponse(
            user_id=str(identity.user_id),
            role=_ROLE_TO_PB[identity.role],
            api_key_id=str(identity.api_key_id),
            access_token=identity.access_token,
            expires_in=identity.expires_in,
        )
