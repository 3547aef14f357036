"""The ``providers.aws`` block, validated strictly when AWS is the chosen provider.

Imported lazily by :meth:`AwsProvider.settings_model` so pydantic stays off the
``--help`` path.
"""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field


class AwsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    region: str = Field("us-east-1", pattern=r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$",
                        description="Region of the stack and every resource.")
    architecture: Literal["x86_64", "arm64"] = Field(
        "x86_64", description="Lambda instruction set; dependencies are installed for the matching manylinux wheel.")
    tags: dict[str, str] = Field(default_factory=dict, description="Tags on the stack and every taggable resource.")
    deployment_bucket: Optional[str] = Field(
        None, min_length=3, max_length=63, pattern=r"^[a-z0-9][a-z0-9.-]+[a-z0-9]$",
        description="Existing bucket for code and templates; default sls-neutral-deploy-<account>-<region> "
                    "(created on first deploy).")
    stack_name: Optional[str] = Field(
        None, min_length=1, max_length=128, pattern=r"^[A-Za-z][A-Za-z0-9-]*$",
        description="CloudFormation stack name; default <service>-<stage>.")
    profile: Optional[str] = Field(None, min_length=1, description="Named AWS profile used by deploy/remove/info.")
