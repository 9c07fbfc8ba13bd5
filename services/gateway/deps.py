"""What routes may ask for, as `Annotated` aliases (``clients: ClientsDep``)."""

from typing import Annotated

from fastapi import Depends, Request

from .clients import Clients
from .settings import GatewaySettings


def get_settings(request: Request) -> GatewaySettings:
    settings: GatewaySettings = request.app.state.settings
    return settings


def get_clients(request: Request) -> Clients:
    clients: Clients = request.app.state.clients
    return clients


SettingsDep = Annotated[GatewaySettings, Depends(get_settings)]
ClientsDep = Annotated[Clients, Depends(get_clients)]
