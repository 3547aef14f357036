"""The ``providers.azure`` block: where the stage lives and how it is hosted.

Validated strictly (``extra="forbid"``) only when Azure is the chosen provider,
so a typo such as ``resource_grop`` is an error with a "did you mean" hint.
Imported lazily by :meth:`AzureProvider.settings_model` (pydantic stays off
the ``--help`` path).
"""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field


class AzureSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subscription_id: Optional[str] = Field(
        None, description="Subscription of the resource group (deploy needs it; package does not).")
    resource_group: Optional[str] = Field(
        None, min_length=1, max_length=90,
        description="Existing resource group; default rg-<service>-<stage>.")
    location: str = Field("eastus", min_length=1, description="Azure region of every resource.")
    plan: Literal["flex", "consumption"] = Field(
        "flex", description="flex = Flex Consumption (FC1, the default); consumption = Linux Consumption (Y1).")
    tags: dict[str, str] = Field(default_factory=dict, description="Tags on every resource.")
    storage_account: Optional[str] = Field(
        None, description="Name of the data storage account (3-24 lowercase letters and digits, globally "
                          "unique); derived from service, stage and resource group when absent.")
    maximum_instance_count: int = Field(100, ge=1, le=1000,
                                        description="Flex Consumption: the app's scale-out limit.")
