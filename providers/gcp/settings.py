"""The ``providers.gcp`` block: which project and region a stage lives in, and how it is labelled.

Validated strictly (``extra="forbid"``) only when GCP is the chosen provider, so a
typo such as ``regoin`` is an error with a hint. Imported lazily by
:meth:`GcpProvider.settings_model` (pydantic stays off the ``--help`` path).
"""

from __future__ import annotations

from typing import Optional

from pydantic import BaseModel, ConfigDict, Field


class GcpSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    project: Optional[str] = Field(
        None, pattern=r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$",
        description="Project id (deploy needs it; package uses 'my-project' in its absence and says so).")
    project_number: Optional[str] = Field(
        None, pattern=r"^[0-9]{6,20}$",
        description="Project number: lets the Pub/Sub service agent be granted dead-letter forwarding.")
    region: str = Field("us-central1", min_length=1, description="Region of functions, workflows and jobs.")
    labels: dict[str, str] = Field(default_factory=dict, description="Labels on every resource that takes them.")
    service_account_prefix: str = Field(
        "", max_length=10, pattern=r"^[a-z0-9-]*$",
        description="Prefix of the per-function service account ids (6-30 characters in all).")
    bucket_prefix: Optional[str] = Field(
        None, description="Prefix of bucket names (global namespace); default: the project id.")
    public_http: bool = Field(
        True, description="HTTP-triggered functions are invokable by allUsers (an API); false keeps IAM auth.")
    ingress: str = Field("ALLOW_ALL", pattern=r"^(ALLOW_ALL|ALLOW_INTERNAL_ONLY|ALLOW_INTERNAL_AND_GCLB)$",
                         description="Ingress setting of HTTP-triggered functions.")
    source_folders: bool = Field(
        False, description="Also write each function's (and workflow starter's) zip unzipped, as "
                           "functions/<name>/ (starters/<workflow>/): for reading, or gcloud functions deploy "
                           "--source. Only the zips are deployed.")
