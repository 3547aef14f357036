"""boto3 clients for deploy/remove/info, all pointed at ``--endpoint-url`` when it is given."""

from __future__ import annotations

from typing import Any

from sls_neutral.core.errors import DeployError
from sls_neutral.core.provider import DeployContext


class Clients:
    """Lazily created clients sharing one session (profile and region from ``providers.aws``)."""

    def __init__(self, settings: dict[str, Any], ctx: DeployContext):
        self.settings = settings
        self.ctx = ctx
        self.region = settings.get("region") or "us-east-1"
        self._session = None
        self._clients: dict[str, Any] = {}

    @property
    def session(self):
        if self._session is None:
            import boto3

            try:
                self._session = boto3.session.Session(profile_name=self.settings.get("profile"),
                                                      region_name=self.region)
            except Exception as exc:  # botocore.exceptions.ProfileNotFound and friends
                raise DeployError(f"cannot open the AWS session: {exc}",
                                  hint="check providers.aws.profile and your AWS configuration") from exc
        return self._session

    def __call__(self, service: str):
        client = self._clients.get(service)
        if client is None:
            from botocore.config import Config

            config = Config(retries={"max_attempts": 8, "mode": "standard"},
                            s3={"addressing_style": "path"} if self.ctx.endpoint_url else {})
            client = self.session.client(service, endpoint_url=self.ctx.endpoint_url, config=config)
            self._clients[service] = client
        return client

    def account(self) -> str:
        try:
            return self("sts").get_caller_identity()["Account"]
        except Exception as exc:
            raise DeployError(f"cannot reach AWS with the current credentials: {exc}",
                              hint="configure credentials (aws configure, AWS_PROFILE, or environment "
                                   "variables); --endpoint-url points at a local emulator") from exc
